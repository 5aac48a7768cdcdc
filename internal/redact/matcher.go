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
	// edgeSets and ownerSets hold what the few nodes with more than one
	// edge, and the nodes some form ends at, have; index 0 is unused.
	edgeSets  [][]acEdge
	ownerSets [][]int
}

// acNode is kept small: a long secret value has some 27 forms, 40 times
// its length in patterns and as many nodes, nearly all of them links of
// a chain with one edge and no form ending there. With a slice for each
// node's edges and owners, a 200 KB value in a Secret made the message
// redactor of an env with one error take 1.3 GB.
type acNode struct {
	one  acEdge // the node's edge when it has exactly one
	more int32  // else its edges, sorted by byte: edgeSets[more]
	fail int32  // the longest proper suffix that is also a node
	// longest is the length of the longest pattern that is a suffix of
	// this node's prefix (0: none ends here).
	longest int32
	// depth is the length of this node's prefix: after a scan, the
	// length of the text's longest end that starts some pattern.
	depth int32
	// owners indexes ownerSets: the indices of the secrets whose forms
	// end here, this node's own pattern and those of its fail chain,
	// sorted, unique (0: none).
	owners int32
}

type acEdge struct {
	b    byte
	next int32 // 0: no edge (no edge leads to the root)
}

// edges returns n's edges, sorted by byte.
func (m *matcher) edges(n *acNode) []acEdge {
	switch {
	case n.more > 0:
		return m.edgeSets[n.more]
	case n.one.next > 0:
		return []acEdge{n.one}
	}
	return nil
}

func (m *matcher) child(n *acNode, b byte) int32 {
	if n.more == 0 {
		if n.one.next > 0 && n.one.b == b {
			return n.one.next
		}
		return -1
	}
	es := m.edgeSets[n.more]
	i := sort.Search(len(es), func(i int) bool { return es[i].b >= b })
	if i < len(es) && es[i].b == b {
		return es[i].next
	}
	return -1
}

// addEdge gives node cur the edge e, whose byte it has no edge for yet.
func (m *matcher) addEdge(cur int32, e acEdge) {
	n := &m.nodes[cur]
	switch {
	case n.more == 0 && n.one.next == 0:
		n.one = e
		return
	case n.more == 0:
		n.more = int32(len(m.edgeSets))
		m.edgeSets = append(m.edgeSets, []acEdge{n.one})
		n.one = acEdge{}
	}
	es := m.edgeSets[n.more]
	k := sort.Search(len(es), func(k int) bool { return es[k].b >= e.b })
	es = append(es, acEdge{})
	copy(es[k+1:], es[k:])
	es[k] = e
	m.edgeSets[n.more] = es
}

// ownersOf returns the secrets whose forms end at n.
func (m *matcher) ownersOf(n *acNode) []int { return m.ownerSets[n.owners] }

// addOwners adds os to n's owners.
func (m *matcher) addOwners(n *acNode, os ...int) {
	if len(os) == 0 {
		return
	}
	if n.owners == 0 {
		n.owners = int32(len(m.ownerSets))
		m.ownerSets = append(m.ownerSets, nil)
	}
	for _, o := range os {
		m.ownerSets[n.owners] = addOwner(m.ownerSets[n.owners], o)
	}
}

// newMatcher builds a matcher for patterns; owner[i] is the secret that
// pattern i is a form of. Empty patterns are ignored.
func newMatcher(patterns []string, owner []int) *matcher {
	// Each byte of a pattern makes at most one node: sized once, the
	// trie of a long secret value's forms is not copied at every doubling
	// of its slice.
	total := 1
	for _, p := range patterns {
		total += len(p)
	}
	m := &matcher{nodes: make([]acNode, 1, total), edgeSets: [][]acEdge{nil}, ownerSets: [][]int{nil}}
	for i, p := range patterns {
		if p == "" {
			continue
		}
		cur := int32(0)
		for j := 0; j < len(p); j++ {
			next := m.child(&m.nodes[cur], p[j])
			if next < 0 {
				next = int32(len(m.nodes))
				m.nodes = append(m.nodes, acNode{depth: int32(j + 1)})
				m.addEdge(cur, acEdge{b: p[j], next: next})
			}
			cur = next
		}
		n := &m.nodes[cur]
		if int32(len(p)) > n.longest {
			n.longest = int32(len(p))
		}
		m.addOwners(n, owner[i])
	}
	// Breadth first, so that a node's fail target is complete before it.
	queue := make([]int32, 0, len(m.nodes))
	for b := 0; b < 256; b++ {
		next := m.child(&m.nodes[0], byte(b))
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
		for _, e := range m.edges(&m.nodes[cur]) {
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
				if t := m.child(&m.nodes[f], e.b); t >= 0 {
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
			m.addOwners(child, m.ownersOf(&m.nodes[f])...)
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
		if next := m.child(&m.nodes[cur], b); next >= 0 {
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
