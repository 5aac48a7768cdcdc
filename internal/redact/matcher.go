package redact

import "sort"

// matcher finds many patterns in one pass over a text (Aho-Corasick). A
// fleet's env may have dozens of secret vars with some fifty forms each;
// scanning every object once per pattern would cost patterns × bytes, this
// costs bytes. Built once per Redactor, read-only afterwards, so safe for
// concurrent use.
type matcher struct {
	// nodes[0] is the root. Each node is the pattern prefix spelled by the
	// path to it.
	nodes []acNode
	// root is the full transition table of the root, so scanning text that
	// matches nothing (the usual case) costs one lookup a byte.
	root [256]int32
}

type acNode struct {
	edges []acEdge // sorted by byte
	fail  int32    // the longest proper suffix that is also a node
	// longest is the length of the longest pattern that is a suffix of
	// this node's prefix (0: none ends here).
	longest int
	// depth is the length of this node's prefix: after a scan, the
	// length of the text's longest end that starts some pattern.
	depth int
	// owners are the indices of the secrets whose forms end here, this
	// node's own pattern and those of its fail chain, sorted, unique.
	owners []int
}

type acEdge struct {
	b    byte
	next int32
}

func (n *acNode) child(b byte) int32 {
	i := sort.Search(len(n.edges), func(i int) bool { return n.edges[i].b >= b })
	if i < len(n.edges) && n.edges[i].b == b {
		return n.edges[i].next
	}
	return -1
}

// newMatcher builds a matcher for patterns; owner[i] is the secret that
// pattern i is a form of. Empty patterns are ignored.
func newMatcher(patterns []string, owner []int) *matcher {
	m := &matcher{nodes: []acNode{{}}}
	for i, p := range patterns {
		if p == "" {
			continue
		}
		cur := int32(0)
		for j := 0; j < len(p); j++ {
			next := m.nodes[cur].child(p[j])
			if next < 0 {
				next = int32(len(m.nodes))
				m.nodes = append(m.nodes, acNode{depth: j + 1})
				n := &m.nodes[cur]
				k := sort.Search(len(n.edges), func(k int) bool { return n.edges[k].b >= p[j] })
				n.edges = append(n.edges, acEdge{})
				copy(n.edges[k+1:], n.edges[k:])
				n.edges[k] = acEdge{b: p[j], next: next}
			}
			cur = next
		}
		n := &m.nodes[cur]
		if len(p) > n.longest {
			n.longest = len(p)
		}
		n.owners = addOwner(n.owners, owner[i])
	}
	// Breadth first, so that a node's fail target is complete before it.
	queue := make([]int32, 0, len(m.nodes))
	for b := 0; b < 256; b++ {
		next := m.nodes[0].child(byte(b))
		if next < 0 {
			next = 0
		} else {
			queue = append(queue, next)
		}
		m.root[b] = next
	}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, e := range m.nodes[cur].edges {
			f := m.nodes[cur].fail
			for {
				if f == 0 {
					if t := m.root[e.b]; t != e.next {
						f = t
					} else {
						f = 0
					}
					break
				}
				if t := m.nodes[f].child(e.b); t >= 0 {
					f = t
					break
				}
				f = m.nodes[f].fail
			}
			child := &m.nodes[e.next]
			child.fail = f
			if fl := m.nodes[f].longest; fl > child.longest {
				child.longest = fl
			}
			for _, o := range m.nodes[f].owners {
				child.owners = addOwner(child.owners, o)
			}
			queue = append(queue, e.next)
		}
	}
	return m
}

func addOwner(owners []int, o int) []int {
	i := sort.SearchInts(owners, o)
	if i < len(owners) && owners[i] == o {
		return owners
	}
	owners = append(owners, 0)
	copy(owners[i+1:], owners[i:])
	owners[i] = o
	return owners
}

// step moves from state cur over byte b.
func (m *matcher) step(cur int32, b byte) int32 {
	for cur != 0 {
		if next := m.nodes[cur].child(b); next >= 0 {
			return next
		}
		cur = m.nodes[cur].fail
	}
	return m.root[b]
}

// scan calls hit(end, node) for each position end (exclusive) of text
// where at least one pattern ends, and returns the state it ends in.
func scan[T string | []byte](m *matcher, text T, hit func(end int, n *acNode)) *acNode {
	cur := int32(0)
	for i := 0; i < len(text); i++ {
		cur = m.step(cur, text[i])
		if cur != 0 {
			if n := &m.nodes[cur]; n.longest > 0 {
				hit(i+1, n)
			}
		}
	}
	return &m.nodes[cur]
}
