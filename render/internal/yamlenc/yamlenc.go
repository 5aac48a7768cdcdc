package yamlenc

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// minPiece is the fewest nodes a collection needs to be encoded as a
// piece of its own: small enough that no piece's event queue grows large,
// large enough that stand-ins and splicing stay a small share of the work.
// Tests lower it to cut every collection.
var minPiece = 256

// minCut is the fewest nodes of a collection cut out of its parent's
// piece: each piece costs an encoder.
var minCut = 16

// token starts every stand-in's text; a document whose text holds one
// (found when splicing: a stand-in must occur once) is encoded whole.
const token = "kilnyamlencpiece"

// Encode returns what kyaml's encoder writes for doc (a document node or
// the root node of one).
func Encode(doc *yaml.Node) ([]byte, error) {
	if doc == nil {
		return encode(doc)
	}
	if !cuttable(doc) {
		return encode(doc)
	}
	return (&cutter{}).encode(doc)
}

// encode is Encode of a cuttable doc.
func (c *cutter) encode(doc *yaml.Node) ([]byte, error) {
	root, nodes, slots, _ := c.build(doc, 0)
	c.root = &piece{node: root, slots: slots, nodes: nodes}
	var out bytes.Buffer
	out.Grow(c.size)
	ok, err := c.write(&out, c.root, 0, 0)
	if err != nil {
		return nil, err
	}
	if !ok {
		return encode(doc)
	}
	return out.Bytes(), nil
}

// encode is kyaml's encoding of n, as RNode.String does it.
func encode(n *yaml.Node) ([]byte, error) {
	var b bytes.Buffer
	e := kyaml.NewEncoder(&b)
	err := e.Encode(n)
	if errClose := e.Close(); err == nil {
		err = errClose
	}
	return b.Bytes(), err
}

// size counts the nodes of n's tree.
func size(n *yaml.Node) int {
	s := 1
	for _, c := range n.Content {
		s += size(c)
	}
	return s
}

// cuttable reports whether nothing in n's tree stops it from being cut:
// anchors and aliases (an alias must be encoded with its anchor), a value
// holding the stand-ins' token.
func cuttable(n *yaml.Node) bool {
	if n.Anchor != "" || n.Kind == yaml.AliasNode || strings.Contains(n.Value, token) {
		return false
	}
	for _, c := range n.Content {
		if !cuttable(c) {
			return false
		}
	}
	return true
}

// piece is a part of the document encoded on its own: a copy of its nodes
// in which large collections below it are stand-ins (slots).
type piece struct {
	node  *yaml.Node
	slots []*slot
	nodes int // how many, stand-ins included: to size its text
}

// slot is a stand-in for a large collection: a one-entry mapping (key the
// token, value "x") or a one-item sequence (the token), of the collection's
// kind, so that the encoder lays it out as the collection's first line.
type slot struct {
	text  string // the stand-in's text, from its first column to the line end
	seq   bool
	piece *piece
}

type cutter struct {
	n    int
	root *piece
	size int // about the encoding's length, to size the output once
	// scanned counts the bytes of pieces' texts read to find their
	// stand-ins: for the tests, which keep it linear in the output.
	scanned int
}

// build returns a copy of n for encoding, with each large block
// collection below it (a mapping value or a sequence item) replaced by a
// stand-in, n's size as encoded, the stand-ins, and whether n's tree is
// pinned: written differently at another column, so never cut out, nor
// anything around it. That is a tree with a comment (yaml.v3 places
// comments by what surrounds them), with a line break in a flow
// collection or in a single-quoted or folded scalar (its later lines are
// not indented as the block they are in), or in a mapping key, or a line
// break other than "\n" anywhere (the encoder indents after it). A
// double-quoted scalar's "\n" is written as an escape, on one line (the
// encoder's width is unlimited), so it pins nothing.
func (c *cutter) build(n *yaml.Node, depth int) (*yaml.Node, int, []*slot, bool) {
	if len(n.Content) == 0 {
		// A line per scalar at its depth's indentation, and a literal
		// block's lines one level deeper.
		c.size += len(n.Value) + 2*depth + 4 + strings.Count(n.Value, "\n")*(2*depth+2)
		nl, other := breaks(n.Value)
		// A value that is not UTF-8 is written as !!binary base64 (encoder.node),
		// whose line breaks are not in the value.
		return n, 1, nil, commentedNode(n) || other || (nl && n.Style != 0 && n.Style != yaml.LiteralStyle && n.Style != yaml.DoubleQuotedStyle) || !utf8.ValidString(n.Value)
	}
	if n.Style&yaml.FlowStyle != 0 {
		nodes := size(n)
		c.size += 16 * nodes
		return n, nodes, nil, pinnedFlow(n)
	}
	commented := commentedNode(n)
	// A copy of n only once a child differs from n's: most collections
	// have nothing cut below them and are encoded as they are, so that a
	// CRD's tens of thousands of mappings are not copied to be written.
	var out *yaml.Node
	copyOnce := func() {
		if out == nil {
			c := *n
			c.Content = slices.Clone(n.Content)
			out = &c
		}
	}
	total := 1
	type child struct {
		size  int
		slots []*slot
		may   bool  // may be cut out
		cut   *slot // its stand-in, when cut out
	}
	kids := make([]child, len(n.Content))
	keyCommented := false
	for i, k := range n.Content {
		cc, cs, cslots, kc := c.build(k, depth+1)
		if nl, other := breaks(k.Value); n.Kind == yaml.MappingNode && i%2 == 0 && (nl || other) {
			kc = true // a multi-line key is quoted, and its line breaks indented by column
		}
		value := n.Kind == yaml.SequenceNode || (n.Kind == yaml.MappingNode && i%2 == 1)
		if cc != k {
			copyOnce()
			out.Content[i] = cc
		}
		kids[i] = child{size: cs, slots: cslots, may: value && cs >= minCut && standIn(k) && !kc && !keyCommented}
		keyCommented = kc && n.Kind == yaml.MappingNode && i%2 == 0
		commented = commented || kc
		total += cs
	}
	// The largest children are cut out until what stays is under minPiece.
	if total >= minPiece {
		var order []int
		for i, k := range kids {
			if k.may {
				order = append(order, i)
			}
		}
		slices.SortStableFunc(order, func(a, b int) int { return kids[b].size - kids[a].size })
		for _, i := range order {
			if total < minPiece {
				break
			}
			copyOnce()
			s := c.slot(n.Content[i].Kind == yaml.SequenceNode, &piece{node: out.Content[i], slots: kids[i].slots, nodes: kids[i].size})
			kids[i].cut = s
			out.Content[i] = s.node()
			total += 2 - kids[i].size
		}
	}
	var slots []*slot
	for _, k := range kids {
		if k.cut != nil {
			slots = append(slots, k.cut)
		} else {
			slots = append(slots, k.slots...)
		}
	}
	if out == nil {
		out = n
	}
	return out, total, slots, commented
}

// pinnedFlow reports whether the flow collection n holds a comment or a
// line break.
func pinnedFlow(n *yaml.Node) bool {
	if nl, other := breaks(n.Value); commentedNode(n) || nl || other {
		return true
	}
	for _, c := range n.Content {
		if pinnedFlow(c) {
			return true
		}
	}
	return false
}

// breaks reports whether s holds "\n", and another character yaml.v3
// takes for a line break: "\r", U+0085, U+2028 or U+2029.
func breaks(s string) (nl, other bool) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\n':
			nl = true
		case '\r':
			other = true
		case 0xc2: // U+0085 is c2 85
			other = other || (i+1 < len(s) && s[i+1] == 0x85)
		case 0xe2: // U+2028 and U+2029 are e2 80 a8 and e2 80 a9
			other = other || (i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xa8 || s[i+2] == 0xa9))
		}
	}
	return nl, other
}

// standIn reports whether a collection can be cut out: a non-empty block
// mapping or sequence with its default tag (an empty one is written {} or
// [] in place).
func standIn(n *yaml.Node) bool {
	if len(n.Content) == 0 || n.Style != 0 {
		return false
	}
	switch n.Kind {
	case yaml.MappingNode:
		return n.Tag == "" || n.Tag == "!!map"
	case yaml.SequenceNode:
		return n.Tag == "" || n.Tag == "!!seq"
	}
	return false
}

func (c *cutter) slot(seq bool, p *piece) *slot {
	c.n++
	name := fmt.Sprintf("%s%d", token, c.n)
	if seq {
		return &slot{text: "- " + name + "\n", seq: true, piece: p}
	}
	return &slot{text: name + ": x\n", piece: p}
}

// name is the stand-in's key or item: the token and its number.
func (s *slot) name() string {
	return strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(s.text, "- "), "\n"), ": x")
}

// num is the number after the token in the stand-in's text.
func (s *slot) num() string { return strings.TrimPrefix(s.name(), token) }

// node is the stand-in's node.
func (s *slot) node() *yaml.Node {
	key := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s.name()}
	if s.seq {
		return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{key}}
	}
	return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{key, {Kind: yaml.ScalarNode, Tag: "!!str", Value: "x"}}}
}

// write encodes p and, in place of each stand-in, its slot's piece. The
// first line of p's text continues the output's current line (at column
// startCol); each later non-empty line is indented by indent. It reports
// false when the pieces cannot be spliced exactly: a stand-in not found
// once, a piece that needs a document marker.
func (c *cutter) write(out *bytes.Buffer, p *piece, indent, startCol int) (bool, error) {
	text, ok := fastEncode(p.node, 48*p.nodes)
	if !ok {
		var err error
		if text, err = encode(p.node); err != nil {
			return false, err
		}
	}
	if p != c.root && (bytes.HasPrefix(text, []byte("---")) || bytes.HasSuffix(text, []byte("\n...\n"))) {
		return false, nil
	}
	if len(p.slots) == 0 {
		writeLines(out, text, indent)
		return true, nil
	}
	at, col, ok := c.findSlots(text, p.slots)
	if !ok {
		return false, nil
	}
	for ls := 0; ls < len(text); {
		end := bytes.IndexByte(text[ls:], '\n')
		if end < 0 {
			end = len(text)
		} else {
			end += ls + 1
		}
		line := text[ls:end]
		if ls > 0 && len(line) > 1 {
			out.WriteString(spaces(indent))
		}
		s := at[ls]
		if s == nil {
			out.Write(line)
			ls = end
			continue
		}
		k := col[ls]
		out.Write(line[:k])
		pieceCol := indent + k
		if ls == 0 {
			pieceCol = startCol + k
		}
		ok, err := c.write(out, s.piece, pieceCol, pieceCol)
		if err != nil || !ok {
			return ok, err
		}
		ls = end
	}
	return true, nil
}

// findSlots returns where in text each of slots' stand-ins is: by the
// start of its line (at), and its offset in that line (col). It reports
// false unless each stand-in's text occurs exactly once, after a space or
// at a line's start, and no two on one line. It reads text once: a piece
// may hold a stand-in for each of its hundreds of thousands of entries,
// and searching the whole text for each took time quadratic in it.
func (c *cutter) findSlots(text []byte, slots []*slot) (at map[int]*slot, col map[int]int, ok bool) {
	byNum := make(map[string]*slot, len(slots))
	for _, s := range slots {
		byNum[s.num()] = s
	}
	// Every occurrence of a stand-in's text holds the token, at its start
	// or after "- ", followed by all of its number's digits.
	pos := make(map[*slot]int, len(slots))
	c.scanned += len(text)
	for i := 0; ; {
		j := bytes.Index(text[i:], []byte(token))
		if j < 0 {
			break
		}
		j += i
		i = j + 1
		end := j + len(token)
		for end < len(text) && text[end] >= '0' && text[end] <= '9' {
			end++
		}
		s := byNum[string(text[j+len(token):end])]
		if s == nil {
			continue
		}
		start := j
		if s.seq {
			start -= 2
		}
		if start < 0 || !bytes.HasPrefix(text[start:], []byte(s.text)) {
			continue
		}
		if _, seen := pos[s]; seen {
			return nil, nil, false
		}
		pos[s] = start
	}
	at = make(map[int]*slot, len(slots)) // line start → slot
	col = make(map[int]int, len(slots))  // line start → the stand-in's offset in the line
	for _, s := range slots {
		p, found := pos[s]
		if !found || (p > 0 && text[p-1] != ' ' && text[p-1] != '\n') {
			return nil, nil, false
		}
		ls := bytes.LastIndexByte(text[:p], '\n') + 1
		if at[ls] != nil {
			return nil, nil, false
		}
		at[ls], col[ls] = s, p-ls
	}
	return at, col, true
}

// writeLines writes text, each line after the first that is not empty
// indented by indent.
func writeLines(out *bytes.Buffer, text []byte, indent int) {
	if indent == 0 {
		out.Write(text)
		return
	}
	pad := spaces(indent)
	first := true
	for len(text) > 0 {
		end := bytes.IndexByte(text, '\n') + 1
		if end == 0 {
			end = len(text)
		}
		if !first && end > 1 {
			out.WriteString(pad)
		}
		out.Write(text[:end])
		text = text[end:]
		first = false
	}
}

// blanks serves spaces without an allocation per line for the usual
// indentation.
var blanks = strings.Repeat(" ", 256)

func spaces(n int) string {
	if n <= len(blanks) {
		return blanks[:n]
	}
	return strings.Repeat(" ", n)
}
