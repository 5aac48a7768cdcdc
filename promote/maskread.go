package promote

import (
	"bytes"
	"slices"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/redact"
	"github.com/kiln-gitops/kiln/internal/yamlpos"
)

// redactRead returns data with every form of rd's secrets masked
// (rd.Bytes), and then every YAML scalar that still holds one as YAML
// reads it replaced whole by redact.Mask. The redactor searches text: a
// scalar folded over lines (plain, single-quoted, double-quoted with a
// "\" at a line's end, a ">" block), a hand-written escape ("\x20") or a
// block's indent puts other text between the pieces of a value that a
// reader of the file joins. Nothing may depend on the manifests
// repository's side being kiln's output, which never writes a secret
// var's value outside a Secret.
//
// A document that does not parse holds no scalar to read: it is left as
// rd.Bytes masks it, and the other documents of its file are read.
func redactRead(rd *redact.Redactor, data []byte) []byte {
	out := rd.Bytes(data)
	if rd.Empty() {
		return out
	}
	// "**redacted**" starting a plain scalar reads as an alias, which
	// does not parse; a stand-in of its length keeps every offset.
	text := out
	if bytes.Contains(out, []byte(redact.Mask)) {
		text = bytes.ReplaceAll(out, []byte(redact.Mask), bytes.Repeat([]byte("x"), len(redact.Mask)))
	}
	pos := yamlpos.New(text)
	var spans [][2]int
	for _, d := range pos.Documents() {
		dec := kyaml.NewDecoder(bytes.NewReader(text[d.Start:d.End]))
		for {
			var doc kyaml.Node
			if dec.Decode(&doc) != nil {
				break
			}
			spans = hiddenIn(rd, pos, d, &doc, spans)
		}
	}
	if len(spans) == 0 {
		return out
	}
	slices.SortFunc(spans, func(a, b [2]int) int { return a[0] - b[0] })
	masked := make([]byte, 0, len(out))
	at := 0
	for _, sp := range spans {
		if sp[0] < at {
			// Within a document masked whole already.
			at = max(at, sp[1])
			continue
		}
		masked = append(append(masked, out[at:sp[0]]...), redact.Mask...)
		at = sp[1]
	}
	return append(masked, out[at:]...)
}

// hiddenIn appends to spans where each scalar below n that reads as
// holding a secret value, and whose text does not hold that value as it
// is, is written in the text, tag and anchor included. n was decoded
// from document d of pos's text.
func hiddenIn(rd *redact.Redactor, pos *yamlpos.Text, d yamlpos.Doc, n *kyaml.Node, spans [][2]int) [][2]int {
	switch n.Kind {
	case kyaml.AliasNode:
		// Its node is written where its anchor is, and checked there.
		return spans
	case kyaml.ScalarNode:
		if len(n.Value) < redact.MinLength {
			return spans
		}
	default:
		for _, c := range n.Content {
			spans = hiddenIn(rd, pos, d, c, spans)
		}
		return spans
	}
	text := pos.Data()
	at, ok := pos.Offset(n.Line+d.Line, n.Column)
	ok = ok && at >= d.Start && at < d.End
	if ok && verbatim(text, valueAt(text, at), n) {
		// rd.Bytes saw the value as it is.
		return spans
	}
	if rd.Found(n.Value) == nil {
		return spans
	}
	if !ok {
		// Cannot happen for a node of this text; mask its document
		// rather than show the value.
		return append(spans, [2]int{d.Start, d.End})
	}
	return append(spans, [2]int{at, max(at, scalarEnd(text, valueAt(text, at), n, d.End))})
}

// valueAt returns where the scalar whose node starts at i is written:
// past its tag and anchor, and the blanks, line breaks and comment
// between them and it.
func valueAt(text []byte, i int) int {
	for i < len(text) {
		switch text[i] {
		case '!', '&':
			for i < len(text) && !isBlank(text[i]) {
				i++
			}
		case ' ', '\t', '\r', '\n':
			i++
		case '#':
			for i < len(text) && text[i] != '\n' {
				i++
			}
		default:
			return i
		}
	}
	return i
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// verbatim reports whether the scalar n written at i holds its value as
// it is: a plain or quoted scalar that is neither folded nor escaped.
func verbatim(text []byte, i int, n *kyaml.Node) bool {
	if n.Style&(kyaml.DoubleQuotedStyle|kyaml.SingleQuotedStyle) != 0 {
		i++
	}
	return n.Style&(kyaml.LiteralStyle|kyaml.FoldedStyle) == 0 && i <= len(text) &&
		bytes.HasPrefix(text[i:], []byte(n.Value))
}

// scalarEnd returns where the scalar n written at i ends; limit, the end
// of its document, when its text is not what YAML read (which cannot
// happen for a scalar of this text: masking more is the safe mistake).
func scalarEnd(text []byte, i int, n *kyaml.Node, limit int) int {
	if i >= limit {
		return limit
	}
	switch {
	case n.Style&(kyaml.DoubleQuotedStyle|kyaml.SingleQuotedStyle) != 0:
		q := text[i]
		if q != '"' && q != '\'' {
			return limit
		}
		for i++; i < limit; i++ {
			switch {
			case q == '"' && text[i] == '\\':
				i++ // an escape: the next byte is not the closing quote
			case q == '\'' && text[i] == '\'' && i+1 < limit && text[i+1] == '\'':
				i++ // '' is a quote inside single quotes
			case text[i] == q:
				return i + 1
			}
		}
		return limit
	case n.Style&(kyaml.LiteralStyle|kyaml.FoldedStyle) != 0:
		// The content starts on the line after the header ("|-", "> #
		// a comment").
		if nl := bytes.IndexByte(text[i:limit], '\n'); nl >= 0 {
			return afterValue(text, i+nl+1, n.Value, limit)
		}
		return limit
	default:
		return afterValue(text, i, n.Value, limit)
	}
}

// afterValue returns where the text from i that holds the bytes of value
// but blanks and line breaks, in order, ends: folding and a block's
// indent change only those. It returns limit when the text differs.
func afterValue(text []byte, i int, value string, limit int) int {
	for j := 0; j < len(value); j++ {
		if isBlank(value[j]) {
			continue
		}
		for i < limit && isBlank(text[i]) {
			i++
		}
		if i >= limit || text[i] != value[j] {
			return limit
		}
		i++
	}
	return i
}
