package envsubst

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/yamlpos"
)

// SubstituteYAML is Substitute for a stream of YAML documents, with two
// differences. A value that would silently lose part of itself in a plain
// scalar is an error (see plain). And a placeholder inside a quoted scalar
// ("…" or '…') gets the value itself, whatever characters it holds. Substitute inserts values
// as text, and inside quotes YAML reads some characters of that text as
// syntax: in "${WIN}" a value C:\new\table would become "C:", a line break,
// "ew", a tab and "able"; in '${Q}' a value it's would end the string.
// Flux substitutes the object kustomize read, written out again without
// those quotes (kustomize's Resource.AsYAML), so it gives such a string
// as it is; kiln gives the same string, and keeps it a string (see the
// docs on quoted placeholders).
//
// A quoted scalar is evaluated as a whole, on its value as YAML reads it,
// and written back with its value escaped for its quotes only where the
// text Substitute would give reads otherwise; every other scalar, comment
// and line is substituted as by Substitute. A quoted scalar that spans
// lines cannot be written back in place without moving the lines below
// it; when its value needs escaping, that is an error at its line. A
// document that YAML cannot read before substitution is substituted as by
// Substitute (kustomize, which Flux runs before substituting, would not
// read it either); the other documents of its file are not affected.
//
// A comment of a document YAML reads is left as written, its placeholders
// unevaluated: Flux substitutes the object kustomize built, which has no
// comments (see comments).
func SubstituteYAML(data []byte, file string, vars map[string]string) ([]byte, []string, error) {
	return SubstituteYAMLSecret(data, file, vars, nil)
}

// SubstituteYAMLSecret is SubstituteYAML where the vars secret names may
// only be substituted whole: an operator that changes such a value is an
// error at its line (see secretTransforms).
func SubstituteYAMLSecret(data []byte, file string, vars map[string]string, secret map[string]bool) ([]byte, []string, error) {
	s := newScanner(file, vars)
	s.secret = secret
	s.commentLimit = commentReadLimit(len(data))
	if bytes.Contains(data, []byte("${")) || bytes.Contains(data, []byte("$$")) {
		data = s.quoted(data)
	}
	return s.run(data)
}

// quoted evaluates the quoted scalars of data that hold a placeholder or
// a $$ escape, and returns data with those that need it rewritten; it
// checks the plain scalars that hold one (plain). A rewritten scalar has
// every "$" doubled, so that run, which substitutes the lines afterwards,
// gives its text back unchanged.
func (s *scanner) quoted(data []byte) []byte {
	text := yamlpos.New(data)
	type edit struct {
		start, end int
		text       string
	}
	var edits []edit
	for _, c := range text.Documents() {
		// Each document on its own, so that one only substitution makes
		// YAML (see SubstituteYAML) leaves the others handled.
		var found []*yaml.Node
		var parsed []*yaml.Node
		// A chunk of comments alone (a file commented out whole) is
		// read as no document at all, and its comments are still
		// comments.
		readable := true
		dec := yaml.NewDecoder(bytes.NewReader(data[c.Start:c.End]))
		for {
			var doc yaml.Node
			if err := dec.Decode(&doc); err != nil {
				if err != io.EOF {
					// Not YAML before substitution: the line pass gives
					// the text; check it keeps its flow collections.
					s.flow(data[c.Start:c.End], c.Line)
					readable = false
				}
				break
			}
			found = scalars(&doc, found)
			parsed = append(parsed, &doc)
		}
		if readable {
			for _, r := range comments(data[c.Start:c.End], parsed, &s.commentRead, s.commentLimit) {
				// From the comment's first "$": its "#" may be one inside
				// a quoted scalar before it, whose edit this must not
				// overlap (every "$" from here on is the comment's).
				start, end := c.Start+r[0], c.Start+r[1]
				start += bytes.IndexByte(data[start:end], '$')
				edits = append(edits, edit{start, end, strings.ReplaceAll(string(data[start:end]), "$", "$$")})
			}
		}
		for _, n := range found {
			n.Line += c.Line // the line in data, not in the document
		}
		for _, n := range found {
			if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0 {
				if start, end, cut := s.plain(text, n); cut {
					// Reported; the line pass must not substitute across
					// the comment, nor report the line again.
					edits = append(edits, edit{start, end, strings.ReplaceAll(string(data[start:end]), "$", "$$")})
				}
				continue
			}
			start, end, ok := tokenAt(text, n)
			if !ok {
				continue
			}
			raw := data[start:end]
			if !bytes.Contains(raw, []byte("${")) && !bytes.Contains(raw, []byte("$$")) {
				continue
			}
			if readsAs(string(raw), n.Style) != n.Value {
				continue // not the scalar's text after all: leave it to the line pass
			}
			// Problems are reported at the line of the first placeholder,
			// which is the scalar's own unless it spans lines.
			line := n.Line + bytes.Count(raw[:max(bytes.Index(raw, []byte("${")), 0)], []byte("\n"))
			before := s.problems
			s.quotedValue = true
			want := s.line(n.Value, line)
			s.quotedValue = false
			if s.problems != before {
				// Reported; the line pass must not report it again.
				edits = append(edits, edit{start, end, strings.ReplaceAll(string(raw), "$", "$$")})
				continue
			}
			if sub := s.textSubstitute(raw); readsAs(sub, n.Style) == want && !hasBreak(sub) {
				// The line pass gives this very value. A line break it
				// would write raw (U+2028 in double quotes reads as
				// itself) is escaped instead: the line pass refuses a
				// value that brings one, as it would end unquoted text.
				continue
			}
			if bytes.IndexByte(raw, '\n') >= 0 {
				s.errs = append(s.errs, &diag.Error{File: s.file, Line: line,
					Msg:  fmt.Sprintf("a quoted string that spans lines holds %s, and a value holds a character its quotes would read as syntax (\\ or \" in double quotes, ' in single quotes)", placeholdersIn(raw)),
					Hint: "write the quoted string on one line, or as a block scalar (|)"})
				s.problems++
				edits = append(edits, edit{start, end, strings.ReplaceAll(string(raw), "$", "$$")})
				continue
			}
			edits = append(edits, edit{start, end, strings.ReplaceAll(quote(want, n.Style), "$", "$$")})
		}
	}
	if len(edits) == 0 {
		return data
	}
	// A comment's edit comes after those of its document's scalars.
	slices.SortStableFunc(edits, func(a, b edit) int { return a.start - b.start })
	var out bytes.Buffer
	out.Grow(len(data))
	at := 0
	for _, e := range edits {
		if e.start < at {
			continue // cannot happen: tokens and comments do not overlap
		}
		out.Write(data[at:e.start])
		out.WriteString(e.text)
		at = e.end
	}
	out.Write(data[at:])
	return out.Bytes()
}

// blockHeader reports whether v is a block scalar's header alone (| or >,
// with indentation and chomping indicators): a value that is only that
// makes an empty string of the scalar.
func blockHeader(v string) bool {
	v = strings.TrimRight(v, " \t")
	return v != "" && (v[0] == '|' || v[0] == '>') && strings.Trim(v[1:], "-+0123456789") == ""
}

// scalars appends to out, in document order, the quoted and plain
// scalars below n whose value holds a "$". Aliases are not followed: an
// alias stands for a node written elsewhere.
func scalars(n *yaml.Node, out []*yaml.Node) []*yaml.Node {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) == 0 && strings.Contains(n.Value, "$") {
			out = append(out, n)
		}
	case yaml.DocumentNode, yaml.SequenceNode, yaml.MappingNode:
		for _, c := range n.Content {
			out = scalars(c, out)
		}
	}
	return out
}

// plain checks a plain scalar n that holds a placeholder: a value that
// puts " #" into it, or starts it with "#" or "&", makes YAML read the
// rest as a comment or the start as an anchor's name (one starting with
// "*" an alias, one that is "|" or ">-" a block scalar's header), and that
// part of the value is silently lost (in Flux too, which inserts values into the
// same plain scalar): a password "p@ss #1" would become "p@ss". That is
// an error at its line, naming the placeholders, never the value. The
// line pass substitutes the scalar; a plain scalar that holds a
// placeholder is never in a flow collection (YAML ends one there at the
// "{"), and one over several lines is not checked.
//
// A placeholder that the scalar opens and its comment closes
// (k: ${MSG:=hi #1}) is an error too: YAML ends the scalar at " #", so
// Flux sees "${MSG:=hi" and refuses the file, while substituting the
// line as text would give a value, and with the default "hi" silently.
// cut reports that case, with the bytes from the placeholder to the end
// of its line, which the line pass must leave as they are.
func (s *scanner) plain(text *yamlpos.Text, n *yaml.Node) (start, end int, cut bool) {
	data := text.Data()
	start, _, ok := tokenAt(text, n)
	if !ok {
		return 0, 0, false
	}
	if n.LineComment != "" && unclosed([]byte(n.Value)) >= 0 {
		if start, end, ok := s.cutByComment(data, start, n); ok {
			return start, end, true
		}
	}
	if !bytes.HasPrefix(data[start:], []byte(n.Value)) {
		return 0, 0, false
	}
	raw := data[start : start+len(n.Value)]
	if !bytes.Contains(raw, []byte("${")) {
		return 0, 0, false
	}
	sub, names, err := s.child(s.vars).run(raw)
	out := string(sub)
	if err != nil {
		out = string(raw)
	}
	var what string
	flux := " (as it would in Flux)"
	switch {
	case strings.HasPrefix(out, "#") || strings.Contains(out, " #") || strings.Contains(out, "\t#"):
		what = "a comment: the rest of the value would be lost"
	case strings.HasPrefix(out, "&"):
		what = "an anchor: its name would be lost"
	case strings.HasPrefix(out, "!"):
		// "!x y" is "y" tagged !x, which kustomize keeps and the API
		// server's JSON drops; "!!int 7" is the number 7, "!!binary aGk="
		// the text "hi".
		what = "a tag: its first word would be the scalar's type, not part of the value"
	case strings.HasPrefix(out, "*"):
		// Flux substitutes the object written out from JSON, which has no
		// anchors, so an alias there is an error; kiln's text may have
		// the anchor, and the value would then copy in what it holds.
		what = "an alias: the value of the anchor it names would be copied in"
		flux = " (Flux, which writes the object out without anchors first, refuses it)"
	case blockHeader(out):
		what = "the start of a block scalar: the value would be empty"
	case strings.HasPrefix(out, "@") || strings.HasPrefix(out, "`") || strings.HasPrefix(out, "%"):
		// Reserved indicators (and a directive's): the substituted file
		// does not parse, and its error names neither the placeholder nor
		// the fix.
		what = "a character no plain value may start with (@, ` or %): the file would not parse"
		flux = " (Flux refuses it too)"
	case s.anySecret(names) && !oneScalar(out):
		// The collection's items and keys are pieces of the secret, and
		// no piece is a form of its value: the plain-secret gate would
		// pass them and SOPS would not encrypt them. A plain var may be a
		// list on purpose.
		what = "a list or a mapping, not the secret var's value as one string"
	default:
		return 0, 0, false
	}
	s.errs = append(s.errs, &diag.Error{File: s.file, Line: n.Line,
		Msg:  fmt.Sprintf("%s: a value there makes YAML read %s%s", placeholdersIn(raw), what, flux),
		Hint: "quote the placeholder (\"${NAME}\" gives any value as it is), or change the value"})
	s.problems++
	return 0, 0, false
}

// cutByComment reports the placeholder of the plain scalar n, written at
// data[at:], that n's line comment closes, and returns the bytes from the
// placeholder to the end of its line; ok is false when the comment closes
// none. The comment is on the scalar's last line (a comment ends it), the
// first " #" or tab and "#" after the scalar's start that begins its text.
func (s *scanner) cutByComment(data []byte, at int, n *yaml.Node) (start, end int, ok bool) {
	hash := -1
	for _, blank := range []string{" ", "\t"} {
		if i := bytes.Index(data[at:], []byte(blank+n.LineComment)); i >= 0 && (hash < 0 || i < hash) {
			hash = i
		}
	}
	if hash < 0 {
		return 0, 0, false
	}
	hash += at + 1
	lineStart := bytes.LastIndexByte(data[:hash], '\n') + 1
	lineEnd := len(data)
	if i := bytes.IndexByte(data[hash:], '\n'); i >= 0 {
		lineEnd = hash + i
	}
	p := unclosed(data[lineStart:hash])
	if p < 0 {
		return 0, 0, false
	}
	c := closing(data[lineStart:lineEnd], p)
	if c < 0 {
		// Not closed on its line either: the line pass reports it as
		// unterminated.
		return 0, 0, false
	}
	line := n.Line
	if lineStart > at {
		line += bytes.Count(data[at:lineStart], []byte("\n"))
	}
	s.errs = append(s.errs, &diag.Error{File: s.file, Line: line,
		Msg: fmt.Sprintf("%s is cut by a comment: YAML ends the value at a \"#\" after a space or tab, so Flux sees it unclosed, and refuses the file",
			strconv.Quote(exprStart(string(data[lineStart+p:lineStart+c])))),
		Hint: "quote the scalar (\"${NAME:=a #b}\") to keep the \"#\" in its value, or remove the space before the \"#\""})
	s.problems++
	return lineStart + p, lineEnd, true
}

// unclosed returns where the first placeholder of raw, a plain scalar's
// text, starts when raw ends before it closes; -1 when every placeholder
// of raw closes in it.
func unclosed(raw []byte) int {
	for i := 0; ; {
		p := nextPlaceholder(raw, i)
		if p < 0 {
			return -1
		}
		e := closing(raw, p)
		if e < 0 {
			return p
		}
		i = e
	}
}

// anySecret reports whether one of names is a secret var.
func (s *scanner) anySecret(names []string) bool {
	for _, n := range names {
		if s.secret[n] {
			return true
		}
	}
	return false
}

// oneScalar reports whether YAML reads text, written where a plain scalar
// stood, as one scalar. Text that does not parse there counts as one: the
// file's own parse reports it, without the value.
func oneScalar(text string) bool {
	var n yaml.Node
	if err := yaml.Unmarshal([]byte("- "+text), &n); err != nil || len(n.Content) != 1 {
		return true
	}
	seq := n.Content[0]
	return seq.Kind != yaml.SequenceNode || len(seq.Content) != 1 || seq.Content[0].Kind == yaml.ScalarNode
}

// tokenAt returns where the quoted scalar n is written in data, its
// quotes included; for a plain scalar, where it starts. yaml.v3 gives the line and the column in characters of
// the scalar's node, which starts at its tag or anchor if it has one.
func tokenAt(text *yamlpos.Text, n *yaml.Node) (start, end int, ok bool) {
	data := text.Data()
	i, ok := text.Offset(n.Line, n.Column)
	if !ok {
		return 0, 0, false
	}
	// Skip a tag and an anchor: "!!str '…'", "&a "…"".
	for i < len(data) && (data[i] == '!' || data[i] == '&') {
		for i < len(data) && data[i] != ' ' && data[i] != '\t' && data[i] != '\n' {
			i++
		}
		for i < len(data) && (data[i] == ' ' || data[i] == '\t') {
			i++
		}
	}
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0 {
		return i, i, i <= len(data) // a plain scalar: where it starts
	}
	q := byte('"')
	if n.Style&yaml.SingleQuotedStyle != 0 {
		q = '\''
	}
	if i >= len(data) || data[i] != q {
		return 0, 0, false
	}
	start = i
	for i++; i < len(data); i++ {
		switch {
		case q == '"' && data[i] == '\\':
			i++ // an escape: the next byte is not the closing quote
		case data[i] == q && q == '\'' && i+1 < len(data) && data[i+1] == '\'':
			i++ // '' is a quote inside single quotes
		case data[i] == q:
			return start, i + 1, true
		}
	}
	return 0, 0, false
}

// textSubstitute is what run makes of raw: text substitution, with
// problems ignored (quoted reported them already).
func (s *scanner) textSubstitute(raw []byte) string {
	out, _, err := s.child(s.vars).run(raw)
	if err != nil {
		return string(raw)
	}
	return string(out)
}

// readsAs returns the value YAML reads from the quoted scalar text, and a
// value no string equals ("\x00" never survives YAML) when YAML refuses it.
func readsAs(text string, style yaml.Style) string {
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(text), &n); err != nil || len(n.Content) != 1 {
		return "\x00"
	}
	v := n.Content[0]
	if v.Kind != yaml.ScalarNode || v.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) {
		return "\x00"
	}
	return v.Value
}

// quote writes v as a YAML scalar in style: single quotes when style is
// single-quoted and v holds only characters single quotes can hold as
// they are, double quotes with escapes otherwise.
func quote(v string, style yaml.Style) string {
	if style&yaml.SingleQuotedStyle != 0 && plainPrintable(v) {
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range v {
		switch {
		case r == '\\' || r == '"':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
			fmt.Fprintf(&b, "\\x%02X", r)
		case r == 0x2028 || r == 0x2029 || r == 0xfeff || r == utf8.RuneError:
			fmt.Fprintf(&b, "\\u%04X", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// plainPrintable reports whether v holds no character that YAML reads as
// a line break or refuses unescaped.
func plainPrintable(v string) bool {
	for _, r := range v {
		if (r < 0x20 && r != '\t') || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == 0x2028 || r == 0x2029 || r == 0xfeff || r == utf8.RuneError {
			return false
		}
	}
	return true
}

// placeholdersIn names the placeholders of raw for a message: their
// expressions as written, never a value.
func placeholdersIn(raw []byte) string {
	var out []string
	seen := map[string]bool{}
	for _, m := range placeholderRE.FindAllSubmatch(raw, -1) {
		if e := string(m[1]); !seen[e] {
			seen[e] = true
			out = append(out, quoteExpr(e))
		}
	}
	if len(out) == 0 {
		return "a placeholder"
	}
	return strings.Join(out, ", ")
}

// flow checks a chunk of data that YAML cannot read before substitution,
// which starts on the 0-based line line0: most often a placeholder inside
// a flow collection ([…] or {…}), where YAML ends a plain scalar at the
// "{". Substituted as text, a value there is read as the collection's
// syntax: in args: [sh, -c, ${CMD}] a value "echo a, b" makes two items,
// one with "]" or "}" ends the collection, one with " #" cuts it, an
// empty one drops the item. kustomize, which Flux runs before it
// substitutes, cannot read such a file at all, so no Flux behaviour is
// kept by allowing it; the value would silently change the object.
//
// The chunk is read twice: with each placeholder replaced by a token of
// letters and digits (the skeleton, which shows where each placeholder
// stands), and substituted. A scalar in a flow collection that does not
// read as its skeleton with each token replaced by its value, or a flow
// collection whose items differ in number, is an error at its line,
// naming the placeholders, never a value. Block context is not checked:
// there a value goes in as text, as in Flux (see Substitute). Anything
// the skeleton cannot show (an expression the line pass refuses, a
// skeleton YAML cannot read) is left to the line pass.
func (s *scanner) flow(chunk []byte, line0 int) {
	var skel bytes.Buffer
	// tokens and exprs by placeholder; pairs maps each token to its
	// placeholder's value, for strings.NewReplacer.
	var tokens, exprs, pairs []string
	at := 0
	spans, ok := placeholderSpans(chunk)
	if !ok {
		return
	}
	for _, sp := range spans {
		expr := string(chunk[sp[0]:sp[1]])
		v, _, err := s.child(s.vars).run([]byte(expr))
		if err != nil {
			return
		}
		tok := fmt.Sprintf("kilnplaceholder%dx", len(tokens))
		skel.Write(chunk[at:sp[0]])
		skel.WriteString(tok)
		at = sp[1]
		tokens, exprs, pairs = append(tokens, tok), append(exprs, expr), append(pairs, tok, string(v))
	}
	if len(tokens) == 0 {
		return
	}
	skel.Write(chunk[at:])
	sk, _, err := s.child(nil).run(skel.Bytes()) // $$ escapes, as in the output
	if err != nil {
		return
	}
	out, _, err := s.child(s.vars).run(chunk)
	if err != nil {
		return
	}
	skDocs, ok := documents(sk)
	if !ok {
		return
	}
	fl := &flowCheck{values: strings.NewReplacer(pairs...)}
	outDocs, ok := documents(out)
	for i := range len(skDocs) {
		var bad *yaml.Node
		if ok && i < len(outDocs) {
			bad = fl.differs(skDocs[i], outDocs[i], false)
		} else if !ok {
			// Not YAML once substituted: a value that holds the
			// collection's syntax is the likely cause.
			bad = fl.risky(skDocs[i], false)
		}
		if bad == nil {
			continue
		}
		var names []string
		quoted := true // every placeholder named is in a quoted scalar
		for i, tok := range tokens {
			held, unquoted := nodeHolds(bad, tok)
			if e := quoteExpr(exprs[i]); held && !slices.Contains(names, e) {
				names = append(names, e)
			}
			quoted = quoted && !unquoted
		}
		what := "a placeholder"
		if len(names) > 0 {
			what = strings.Join(names, ", ")
		}
		if len(names) > 0 && quoted {
			// Quoting it is no remedy: it is quoted. The unquoted
			// placeholders of the document keep YAML from reading it,
			// so kiln cannot give the quoted value as it is (quoted).
			s.errs = append(s.errs, &diag.Error{File: s.file, Line: line0 + bad.Line,
				Msg: fmt.Sprintf("%s in a quoted string inside a flow collection ([…] or {…}): a value there holds what its quotes read as syntax "+
					"(\\ or \" in double quotes, ' in single quotes), and this document is substituted as text: "+
					"YAML cannot read it before substitution, for an unquoted placeholder inside […] or {…}", what),
				Hint: "quote every placeholder inside […] or {…} of this document (\"${NAME}\"): then YAML reads it, and a quoted placeholder gets any value as it is"})
			s.problems++
			return
		}
		s.errs = append(s.errs, &diag.Error{File: s.file, Line: line0 + bad.Line,
			Msg: fmt.Sprintf("%s inside a flow collection ([…] or {…}): a value there changes the collection "+
				"(YAML reads a \",\", \"]\", \"}\", \" #\" or \": \" in it as syntax, and an empty value drops the item)", what),
			Hint: "quote the placeholder (\"${NAME}\" gives any value as it is), or write the collection in block style; " +
				"kustomize, which Flux runs before it substitutes, cannot read an unquoted placeholder inside […] or {…} at all"})
		s.problems++
		return
	}
}

// placeholderSpans returns where each placeholder of chunk starts and
// ends, as Flux's envsubst reads them: "$$" is an escaped "$" (so "$${A}"
// is text and "$$${A}" a "$" and a placeholder), and a placeholder ends
// at the "}" that closes its "${", those of placeholders nested in it
// (${A:=${B}}) counted. Side by side (${A}${B}) they are two. false when
// one is not closed on its line: the line pass reports it.
func placeholderSpans(chunk []byte) ([][2]int, bool) {
	var spans [][2]int
	for i := 0; ; {
		start := nextPlaceholder(chunk, i)
		if start < 0 {
			return spans, true
		}
		end := closing(chunk, start)
		if end < 0 || bytes.IndexByte(chunk[start:end], '\n') >= 0 {
			return nil, false // not closed on its line
		}
		spans = append(spans, [2]int{start, end})
		i = end
	}
}

// documents reads every YAML document of data, false if YAML refuses it.
func documents(data []byte) ([]*yaml.Node, bool) {
	var docs []*yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err == io.EOF {
			return docs, true
		} else if err != nil {
			return nil, false
		}
		docs = append(docs, &doc)
	}
}

// flowCheck compares a skeleton with the substituted chunk (see flow).
type flowCheck struct {
	values *strings.Replacer // each token to its placeholder's value
}

// differs returns the skeleton node where out does not read as sk with
// its values in it, inside a flow collection; nil when none does.
func (f *flowCheck) differs(sk, out *yaml.Node, inFlow bool) *yaml.Node {
	if sk.Kind != out.Kind {
		if inFlow {
			return sk
		}
		return nil
	}
	switch sk.Kind {
	case yaml.ScalarNode:
		want := f.values.Replace(sk.Value)
		if out.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
			want = strings.Trim(want, " \t") // a plain scalar has no blanks at its ends
		}
		if inFlow && want != out.Value {
			return sk
		}
	case yaml.DocumentNode, yaml.SequenceNode, yaml.MappingNode:
		flow := inFlow || sk.Style&yaml.FlowStyle != 0
		for i := range min(len(sk.Content), len(out.Content)) {
			if bad := f.differs(sk.Content[i], out.Content[i], flow); bad != nil {
				return bad
			}
		}
		if flow && len(sk.Content) != len(out.Content) {
			return sk
		}
	}
	return nil
}

// risky returns the first scalar in a flow collection below n whose
// value, once its placeholders' values are in, holds what YAML reads as
// flow syntax there; nil when none does.
func (f *flowCheck) risky(n *yaml.Node, inFlow bool) *yaml.Node {
	switch n.Kind {
	case yaml.ScalarNode:
		v := f.values.Replace(n.Value)
		if !inFlow || v == n.Value {
			return nil
		}
		// In quotes only what ends or escapes them, or a line break
		// (folded), is syntax: a quoted "a, b" keeps its collection.
		switch {
		case n.Style&yaml.DoubleQuotedStyle != 0:
			if strings.ContainsAny(v, "\"\\\n\r") {
				return n
			}
		case n.Style&yaml.SingleQuotedStyle != 0:
			if strings.ContainsAny(v, "'\n\r") {
				return n
			}
		case strings.ContainsAny(v, ",[]{}") || strings.Contains(v, " #") || strings.HasPrefix(v, "#") ||
			strings.Contains(v, ": ") || strings.HasSuffix(v, ":") || strings.TrimSpace(v) == "":
			return n
		}
	case yaml.DocumentNode, yaml.SequenceNode, yaml.MappingNode:
		flow := inFlow || n.Style&yaml.FlowStyle != 0
		for _, c := range n.Content {
			if bad := f.risky(c, flow); bad != nil {
				return bad
			}
		}
	}
	return nil
}

// nodeHolds reports whether a scalar at or below n holds text, and
// whether one that holds it is not quoted.
func nodeHolds(n *yaml.Node, text string) (held, unquoted bool) {
	if n.Kind == yaml.ScalarNode {
		held = strings.Contains(n.Value, text)
		return held, held && n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0
	}
	for _, c := range n.Content {
		h, u := nodeHolds(c, text)
		held, unquoted = held || h, unquoted || u
	}
	return held, unquoted
}

// maxCommentChecks bounds how often comments reads a document again
// when not all of its candidates are comments (and how many candidates a
// line may have).
const maxCommentChecks = 64

// commentReadLimit bounds the bytes comments reads again in all the
// documents of one file of size bytes: eight times the file, and 1 MiB
// more for small files. maxCommentChecks alone bounds each document, so
// a file of many documents whose "#" lines are text (a quoted "x # ${A}")
// was read 64 times over, half a minute for 2 MB. Past the limit a
// document's comments are substituted as any line, as before comments
// were told apart.
func commentReadLimit(size int) int { return 8*size + 1<<20 }

// comments returns where, in chunk (a piece of YAML that docs were read
// from), a comment holds a "$": from its "#" to the end of its line.
// kustomize-controller substitutes the object kustomize built, which has
// no comments, so a placeholder in one is never evaluated in Flux: a
// commented-out "# image: ${OLD_TAG}" with OLD_TAG unset, or a note
// "# costs $5 a ${" is no error there. quoted leaves these as written.
//
// A candidate is a "#" at a line's start, after a blank, or right after
// a closing quote or bracket ("x"# note), which YAML's spec calls no
// comment but yaml.v3, which kustomize reads files with, does; Flux never
// sees those either. A candidate may also be text: a block
// scalar's line ("# ${A}" in a shell script), the inside of a quoted
// string, the rest of a quoted string over lines. Such text is Flux's to
// substitute, so each candidate is checked: chunk is read again with
// every "$" of the candidates changed, and a candidate is a comment when
// the documents read the same, value for value. Those that are not keep
// the line pass's substitution, as before.
//
// read counts the bytes read again so far, shared by the documents of a
// file; no read takes it past limit.
func comments(chunk []byte, docs []*yaml.Node, read *int, limit int) [][2]int {
	// Each line's "#"s that start a candidate, earliest first: a "#"
	// inside a quoted string may come before the comment's.
	var lines [][][2]int
	var inText map[int]bool // read once a line has a candidate
	for i, n := 0, 0; i < len(chunk); n++ {
		end := bytes.IndexByte(chunk[i:], '\n')
		if end < 0 {
			end = len(chunk)
		} else {
			end += i
		}
		last := i + bytes.LastIndexByte(chunk[i:end], '$')
		if hash := bytes.IndexByte(chunk[i:end], '#'); hash < 0 || i+hash > last {
			i = end + 1
			continue
		}
		if inText == nil {
			inText = textLines(chunk, docs)
		}
		if inText[n] {
			i = end + 1
			continue
		}
		var starts [][2]int
		for j := i; j < last; j++ {
			if chunk[j] == '#' && (j == i || bytes.IndexByte([]byte(" \t\"']}"), chunk[j-1]) >= 0) {
				starts = append(starts, [2]int{j, end})
				if len(starts) == maxCommentChecks {
					break
				}
			}
		}
		if starts != nil {
			lines = append(lines, starts)
		}
		i = end + 1
	}
	if len(lines) == 0 {
		return nil
	}
	c := &commentCheck{chunk: chunk, docs: docs, budget: maxCommentChecks, read: read, limit: limit}
	first := make([]int, len(lines))
	for i := range lines {
		first[i] = i
	}
	ok := map[int][2]int{}
	var refused []int
	c.split(lines, first, ok, &refused)
	for _, l := range refused {
		for _, cand := range lines[l][1:] {
			if !c.take() {
				break
			}
			if readsSame(chunk, docs, [][2]int{cand}) {
				ok[l] = cand
				break
			}
		}
	}
	out := make([][2]int, 0, len(ok))
	for l := range lines {
		if r, found := ok[l]; found {
			out = append(out, r)
		}
	}
	return out
}

// commentCheck is the state of comments' checks: what is read again, and
// how many more times it may be.
type commentCheck struct {
	chunk  []byte
	docs   []*yaml.Node
	budget int
	// read and limit are the file's bytes read again (comments);
	// docRead the document's.
	read           *int
	limit, docRead int
}

// take charges one more read of chunk, false when the document's or the
// file's budget is spent. A document is held to the limit of a file of
// its own too, so that it gets no more reads within a file than alone
// (plain substitutes a file with SOPS documents a document at a time,
// after the whole file, and the first must be the stricter).
func (c *commentCheck) take() bool {
	n := len(c.chunk)
	if c.budget <= 0 || *c.read+n > c.limit || c.docRead+n > commentReadLimit(n) {
		return false
	}
	c.budget--
	*c.read += n
	c.docRead += n
	return true
}

// split checks the first candidates of the lines idx of lines together,
// and halves those that do not all pass, so that a few candidates that
// are text (a block scalar's "# ${A}") cost a few reads each, not a read
// per comment. Those that pass go into ok by line; a line whose first
// candidate fails alone goes into refused. Once the budget is spent the
// rest are neither: their lines are substituted as before.
func (c *commentCheck) split(lines [][][2]int, idx []int, ok map[int][2]int, refused *[]int) {
	if len(idx) == 0 || !c.take() {
		return
	}
	spans := make([][2]int, len(idx))
	for i, l := range idx {
		spans[i] = lines[l][0]
	}
	if readsSame(c.chunk, c.docs, spans) {
		for _, l := range idx {
			ok[l] = lines[l][0]
		}
		return
	}
	if len(idx) == 1 {
		*refused = append(*refused, idx[0])
		return
	}
	c.split(lines, idx[:len(idx)/2], ok, refused)
	c.split(lines, idx[len(idx)/2:], ok, refused)
}

// textLines returns the 0-based lines of chunk that docs were read from
// that lie inside a scalar, as far as it can tell cheaply: the lines of
// a block scalar's body, and those after the first of a quoted string
// over lines. A "#" there is text, not a comment; comments need not read
// the document again to find that out (readsSame decides the rest).
func textLines(chunk []byte, docs []*yaml.Node) map[int]bool {
	text := yamlpos.New(chunk)
	starts, ends := text.Starts(), text.Ends()
	lineText := func(l int) []byte { // 0-based, without its line break
		return chunk[starts[l]:ends[l]]
	}
	out := map[int]bool{}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		switch {
		case n.Kind == yaml.ScalarNode && n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
			// The body is the lines below the header indented more
			// than the header's line, and at least as much as its
			// first line that is not blank (blank lines too): in
			// "- - |" the body is indented more than the inner item,
			// and a comment below it, less, is none of it.
			h := n.Line - 1
			if h < 0 || h >= len(starts) {
				return
			}
			indent, body := indentOf(lineText(h)), -1
			for l := h + 1; l < len(starts); l++ {
				t := lineText(l)
				if len(bytes.Trim(t, " \t\r")) > 0 {
					in := indentOf(t)
					if in <= indent || in < body {
						break
					}
					if body < 0 {
						body = in
					}
				}
				out[l] = true
			}
		case n.Kind == yaml.ScalarNode && n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0:
			start, end, ok := tokenAt(text, n)
			if !ok {
				return
			}
			first := n.Line - 1
			for l := first + 1; l <= first+bytes.Count(chunk[start:end], []byte("\n")); l++ {
				out[l] = true
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	for _, d := range docs {
		walk(d)
	}
	return out
}

// indentOf is the number of spaces line starts with.
func indentOf(line []byte) int {
	return len(line) - len(bytes.TrimLeft(line, " "))
}

// readsSame reports whether chunk, with every "$" in spans changed to
// another character, reads as docs.
func readsSame(chunk []byte, docs []*yaml.Node, spans [][2]int) bool {
	changed := bytes.Clone(chunk)
	for _, sp := range spans {
		for i := sp[0]; i < sp[1]; i++ {
			if changed[i] == '$' {
				changed[i] = 'S'
			}
		}
	}
	got, ok := documents(changed)
	if !ok || len(got) != len(docs) {
		return false
	}
	for i := range docs {
		if !sameNode(docs[i], got[i]) {
			return false
		}
	}
	return true
}

// sameNode reports whether a and b hold the same YAML, comments and
// positions aside.
func sameNode(a, b *yaml.Node) bool {
	if a.Kind != b.Kind || a.Style != b.Style || a.Tag != b.Tag || a.Value != b.Value || a.Anchor != b.Anchor || len(a.Content) != len(b.Content) {
		return false
	}
	for i := range a.Content {
		if !sameNode(a.Content[i], b.Content[i]) {
			return false
		}
	}
	return true
}
