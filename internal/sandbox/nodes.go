package sandbox

import (
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// The YAML node graphs of a result cross the pipe in a compact binary form
// of their own, inside the gob frame as one byte slice: gob, reflecting over
// a struct per node, cost more than the rest of the render for a chart
// with megabytes of CRDs (kube-prometheus-stack: some 100 ms of CPU on each
// side for its 4 MB), and the decoder allocated each node, each content
// slice and each string on its own.
//
// The form is a list of nodes; a node refers to its children and its alias
// target by index, so that a node reached twice (an alias's anchor) stays
// one node. All integers are varints (encoding/binary):
//
//	nodes     uvarint  number of nodes
//	children  uvarint  number of child references, all nodes together
//	then per node:
//	  kind, style                      uvarint
//	  line, column                     varint
//	  flags                            uvarint: 1 content is nil, 2 has an alias
//	  alias                            uvarint index, if flag 2
//	  len(content), content…           uvarint, then that many uvarint indexes
//	  tag, value, anchor,
//	  head, line and foot comments     uvarint length, then the bytes
//
// The decoder checks every count and index against what the frame can
// hold, so no frame makes it allocate much more than the frame's size.

const (
	nodeContentNil = 1 << iota
	nodeHasAlias
)

// nodeEncoder writes node graphs, numbering each node once.
type nodeEncoder struct {
	size int // about the bytes bytes writes (countNodes)
	// ids numbers the nodes of a graph that is not a forest; anchors, the
	// aliases' anchors of one that is (numberTree).
	ids      map[*kyaml.Node]uint64
	anchors  map[*kyaml.Node]uint64
	order    []*kyaml.Node // by id
	children int
	// kids holds the ids of each numbered node's content, node i's at
	// kids[first[i]:], so that bytes writes them without looking each
	// child up in ids again: with hundreds of thousands of nodes (a chart
	// with megabytes of CRDs) the lookups were most of the encoding.
	first []int
	kids  []uint64
}

// writeNodes numbers the nodes of roots and writes them (bytes); it
// returns the list and each root's index in it. A parser's output is a
// forest, whose nodes are numbered in one walk without looking each up
// (numberTree); any other graph, a node reached twice, is numbered
// through a map (add).
func writeNodes(roots []*kyaml.Node) (string, []uint64) {
	nodes, size := 0, 0
	for _, r := range roots {
		countNodes(r, 0, &nodes, &size)
	}
	e := &nodeEncoder{
		size:  size,
		order: make([]*kyaml.Node, 0, nodes),
		first: make([]int, 0, nodes),
		kids:  make([]uint64, 0, nodes),
	}
	if nodes < maxHint {
		if ids, ok := e.numberTree(roots); ok {
			return e.bytes(), ids
		}
		e.order, e.first, e.kids, e.children, e.anchors = e.order[:0], e.first[:0], e.kids[:0], 0, nil
	}
	e.ids = make(map[*kyaml.Node]uint64, nodes)
	ids := make([]uint64, len(roots))
	for i, r := range roots {
		ids[i] = e.add(r)
	}
	return e.bytes(), ids
}

// maxHint bounds the nodes writeNodes sizes for and walks as a forest:
// past it the tables grow as needed and the nodes are numbered through
// the map, so that a graph sharing nodes, counted once per path, cannot
// make it allocate or walk much more than it needs, and a graph whose
// content loops back, which no parser makes, is walked to an end.
const maxHint = 1 << 20

// maxDepth is deeper than any parsed YAML (yaml.v3 refuses nesting past
// 10,000): countNodes stops there, on a graph whose content loops back.
const maxDepth = 1 << 14

// countNodes adds to nodes the nodes of n's tree, along content only (a
// node reached twice counted twice), and to size about the bytes bytes
// writes for them; it stops at maxHint nodes, and counts maxHint at
// maxDepth.
func countNodes(n *kyaml.Node, depth int, nodes, size *int) {
	if *nodes >= maxHint {
		return
	}
	if depth > maxDepth {
		*nodes = maxHint
		return
	}
	*nodes++
	// Up to 24 bytes of varints for the node's own fields (nine of one to
	// three bytes for a result under 2M lines and nodes), and up to three
	// for each child's reference: bytes writes its result without growing
	// it. What is reserved and not written is never touched.
	*size += 24 + 3*len(n.Content) + len(n.Tag) + len(n.Value) + len(n.Anchor) + len(n.HeadComment) + len(n.LineComment) + len(n.FootComment)
	for _, c := range n.Content {
		countNodes(c, depth+1, nodes, size)
	}
}

// numberTree numbers the nodes of roots depth first, as add does, for
// roots that form a forest: no node reached twice along content, and
// every alias's anchor among them. It reports false for any other graph.
// Whether a node was reached twice is told by sorting the nodes'
// addresses once, not by a map lookup per node. The caller has counted
// the nodes (countNodes): the walk is no longer than that count.
func (e *nodeEncoder) numberTree(roots []*kyaml.Node) ([]uint64, bool) {
	ids := make([]uint64, len(roots))
	aliases := 0
	for i, r := range roots {
		ids[i] = e.tree(r, &aliases)
	}
	addrs := make([]uintptr, len(e.order))
	for i, n := range e.order {
		addrs[i] = reflect.ValueOf(n).Pointer()
	}
	slices.Sort(addrs)
	for i := 1; i < len(addrs); i++ {
		if addrs[i] == addrs[i-1] {
			return nil, false
		}
	}
	if aliases > 0 {
		e.anchors = map[*kyaml.Node]uint64{}
		for _, n := range e.order {
			if n.Alias != nil {
				e.anchors[n.Alias] = 0
			}
		}
		found := 0
		for id, n := range e.order {
			if _, ok := e.anchors[n]; ok {
				e.anchors[n] = uint64(id)
				found++
			}
		}
		if found != len(e.anchors) {
			return nil, false // an alias to a node outside the forest
		}
	}
	return ids, true
}

// tree numbers n and its content, depth first, counting aliases.
func (e *nodeEncoder) tree(n *kyaml.Node, aliases *int) uint64 {
	id := uint64(len(e.order))
	e.order = append(e.order, n)
	first := len(e.kids)
	e.first = append(e.first, first)
	e.kids = append(e.kids, make([]uint64, len(n.Content))...)
	e.children += len(n.Content)
	if n.Alias != nil {
		*aliases++
	}
	for j, c := range n.Content {
		e.kids[first+j] = e.tree(c, aliases)
	}
	return id
}

// alias returns the id of n's anchor.
func (e *nodeEncoder) alias(n *kyaml.Node) uint64 {
	if e.ids != nil {
		return e.ids[n.Alias]
	}
	return e.anchors[n.Alias]
}

// add numbers n and every node it reaches, depth first, and returns n's
// index; nodes already numbered keep theirs.
func (e *nodeEncoder) add(n *kyaml.Node) uint64 {
	if id, ok := e.ids[n]; ok {
		return id
	}
	id := uint64(len(e.order))
	e.ids[n] = id
	e.order = append(e.order, n)
	first := len(e.kids)
	e.first = append(e.first, first)
	e.kids = append(e.kids, make([]uint64, len(n.Content))...)
	e.children += len(n.Content)
	for j, c := range n.Content {
		e.kids[first+j] = e.add(c)
	}
	if n.Alias != nil {
		e.add(n.Alias)
	}
	return id
}

// bytes writes the numbered nodes. It writes them into a small buffer
// that it moves into the result as it fills, and returns the result
// without a copy: for a chart with megabytes of CRDs, the result is
// megabytes, and each copy of it (the worker's own string, the frame)
// cost its size in fresh memory, whose page faults cost more than the
// copying.
func (e *nodeEncoder) bytes() string {
	w := chunkWriter{b: make([]byte, 0, chunkSize)}
	w.out.Grow(e.size)
	w.uvarint(uint64(len(e.order)))
	w.uvarint(uint64(e.children))
	for i, n := range e.order {
		w.uvarint(uint64(n.Kind))
		w.uvarint(uint64(n.Style))
		w.varint(int64(n.Line))
		w.varint(int64(n.Column))
		var flags uint64
		if n.Content == nil {
			flags |= nodeContentNil
		}
		if n.Alias != nil {
			flags |= nodeHasAlias
		}
		w.uvarint(flags)
		if n.Alias != nil {
			w.uvarint(e.alias(n))
		}
		w.uvarint(uint64(len(n.Content)))
		for _, id := range e.kids[e.first[i] : e.first[i]+len(n.Content)] {
			w.uvarint(id)
		}
		for _, s := range [...]string{n.Tag, n.Value, n.Anchor, n.HeadComment, n.LineComment, n.FootComment} {
			w.str(s)
		}
	}
	return w.done()
}

// chunkSize is the buffer chunkWriter fills before moving it into its
// result: small enough to stay in the CPU's cache.
const chunkSize = 32 << 10

// chunkWriter writes varints and strings as binary.AppendUvarint and
// append would into one byte slice, into out, chunkSize bytes at a time.
type chunkWriter struct {
	out strings.Builder
	b   []byte
}

// room moves b into out unless n more bytes fit in it.
func (w *chunkWriter) room(n int) {
	if len(w.b)+n > cap(w.b) {
		w.out.Write(w.b)
		w.b = w.b[:0]
	}
}

func (w *chunkWriter) uvarint(v uint64) {
	w.room(binary.MaxVarintLen64)
	w.b = binary.AppendUvarint(w.b, v)
}

func (w *chunkWriter) varint(v int64) {
	w.room(binary.MaxVarintLen64)
	w.b = binary.AppendVarint(w.b, v)
}

// str writes s after its length; a long s goes to out directly.
func (w *chunkWriter) str(s string) {
	w.uvarint(uint64(len(s)))
	if len(s) > chunkSize/2 {
		w.room(cap(w.b))
		w.out.WriteString(s)
		return
	}
	w.room(len(s))
	w.b = append(w.b, s...)
}

// done returns what was written.
func (w *chunkWriter) done() string {
	w.out.Write(w.b)
	w.b = w.b[:0]
	return w.out.String()
}

// errNodes is the cause of every error about a node list that cannot be
// read: only a bug (or a broken pipe) makes one.
var errNodes = errors.New("malformed node list")

// decodeNodes reads the nodes written by nodeEncoder.bytes. Nodes, their
// content slices and their strings share a few allocations: the strings
// are substrings of data (itself part of the response's one copy of the
// frame: UnmarshalBinary).
func decodeNodes(data string) ([]*kyaml.Node, error) {
	r := nodeReader{s: data}
	count, children := r.uvarint(), r.uvarint()
	// Every node takes at least 12 bytes and every reference one.
	if r.err != nil || count > uint64(len(data))/12 || children > uint64(len(data)) {
		return nil, fmt.Errorf("%w: %d nodes with %d children in %d bytes", errNodes, count, children, len(data))
	}
	nodes := make([]kyaml.Node, count)
	ptrs := make([]*kyaml.Node, count)
	for i := range nodes {
		ptrs[i] = &nodes[i]
	}
	refs := make([]*kyaml.Node, children)
	at := func(id uint64) *kyaml.Node {
		if id >= count {
			r.fail()
			return nil
		}
		return ptrs[id]
	}
	for i := range nodes {
		n := &nodes[i]
		n.Kind = kyaml.Kind(r.uvarint())
		n.Style = kyaml.Style(r.uvarint())
		n.Line = int(r.varint())
		n.Column = int(r.varint())
		flags := r.uvarint()
		if flags&nodeHasAlias != 0 {
			n.Alias = at(r.uvarint())
		}
		k := r.uvarint()
		if k > uint64(len(refs)) {
			r.fail()
			break
		}
		if flags&nodeContentNil == 0 {
			// Capacity capped: an append to one node's content must not
			// write into the next node's.
			n.Content = refs[:k:k]
		}
		for j := range k {
			refs[j] = at(r.uvarint())
		}
		refs = refs[k:]
		n.Tag, n.Value = r.str(), r.str()
		// Most nodes have no anchor and no comments: their fields are
		// left as they are, empty, not written (a pointer write each).
		for _, f := range [...]*string{&n.Anchor, &n.HeadComment, &n.LineComment, &n.FootComment} {
			if s := r.str(); s != "" {
				*f = s
			}
		}
		if r.err != nil {
			break
		}
	}
	if r.err == nil && r.left() != 0 {
		r.fail()
	}
	if r.err != nil {
		return nil, r.err
	}
	return ptrs, nil
}

// nodeReader reads varints and strings from s, from the byte at on; the
// first problem sticks in err and every later read returns zero. Reading
// moves at, an integer: reslicing s instead wrote a pointer with each
// varint, and with the collector marking (as it is, decoding megabytes of
// nodes) each such write went through its write barrier.
type nodeReader struct {
	s   string
	at  int
	err error
}

// left is how many bytes are left to read.
func (r *nodeReader) left() int { return len(r.s) - r.at }

func (r *nodeReader) fail() {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %d bytes left unread", errNodes, r.left())
	}
	r.at = len(r.s)
}

func (r *nodeReader) uvarint() uint64 {
	if r.at < len(r.s) && r.s[r.at] < 0x80 {
		r.at++
		return uint64(r.s[r.at-1]) // most varints of a node list are one byte
	}
	s := r.s[r.at:]
	var v uint64
	for i := 0; i < binary.MaxVarintLen64 && i < len(s); i++ {
		c := s[i]
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				break // overflows 64 bits
			}
			r.at += i + 1
			return v
		}
	}
	r.fail()
	return 0
}

func (r *nodeReader) varint() int64 {
	u := r.uvarint()
	x := int64(u >> 1)
	if u&1 != 0 {
		x = ^x
	}
	return x
}

func (r *nodeReader) str() string {
	n := r.uvarint()
	if n > uint64(r.left()) {
		r.fail()
		return ""
	}
	s := r.s[r.at : r.at+int(n)]
	r.at += int(n)
	return s
}
