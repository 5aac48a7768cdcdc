package envsubst

import (
	"fmt"
	"slices"
	"strings"

	"github.com/fluxcd/pkg/envsubst/parse"

	"github.com/kiln-gitops/kiln/internal/diag"
)

// secretTransforms records an error for each placeholder of text, a line
// or a quoted scalar's value about to be evaluated, that puts a changed
// form of a secret var's value into the output: ${PW^^}, ${PW,},
// ${PW:4}, ${PW#p}, ${PW/a/b}, ${#PW}. kiln finds a secret var in
// rendered objects by the forms of its value (the plain-secret gate,
// SOPS's choice of what to encrypt, the masking of diffs), so a value
// upper-cased or cut down would be written in a ConfigMap, or in a Secret
// left unencrypted, without a word. The whole value, or a default in its
// place (${PW}, ${PW:=x}, ${PW:-x}, ${PW:?}, ${PW:+x}), is what those
// checks see. It runs where text is evaluated, so a quoted scalar is
// looked at as YAML reads it ("${PW\x5e^}" is ${PW^^}). It reports
// whether it found one; errors name the var and the operator, never a
// value.
func (s *scanner) secretTransforms(text string, line int) bool {
	if len(s.secret) == 0 || !strings.Contains(text, "${") {
		return false
	}
	tree, err := parse.Parse(text)
	if err != nil {
		return false // fluxenvsubst.Parse took it: cannot happen
	}
	found := transformed(tree.Root, s.secret, nil)
	for _, f := range found {
		s.errs = append(s.errs, &diag.Error{File: s.file, Line: line,
			Msg: fmt.Sprintf("secret var %s is changed by the operator %q before it is substituted: kiln finds a secret var in the output by its value, "+
				"and a changed value would pass the plain-secret check and SOPS encryption unseen", f.Param, opText(f)),
			Hint: "substitute a secret var whole (${" + f.Param + "}, or with a default), and change it where it is used; if its value is not secret, make it a plain var"})
		s.problems++
	}
	return len(found) > 0
}

// transformed appends to out the function nodes below n that change the
// value of a var secret names, in the order of the text.
func transformed(n parse.Node, secret map[string]bool, out []*parse.FuncNode) []*parse.FuncNode {
	switch n := n.(type) {
	case *parse.ListNode:
		for _, c := range n.Nodes {
			out = transformed(c, secret, out)
		}
	case *parse.FuncNode:
		if secret[n.Param] && !slices.Contains(wholeValueOps, n.Name) {
			out = append(out, n)
		}
		for _, a := range n.Args {
			out = transformed(a, secret, out)
		}
	}
	return out
}

// wholeValueOps are the operators whose output is the var's value as it
// is, a default, or another text that does not hold it (Flux's envsubst,
// template.go: isDefaultOp).
var wholeValueOps = []string{"", "-", "+", "=", "?", ":-", ":+", ":=", ":?"}

// opText is the operator of f as written: ${#NAME}, the length, has it
// before the name.
func opText(f *parse.FuncNode) string {
	if f.Name == "#" && len(f.Args) == 0 {
		return "${#" + f.Param + "}"
	}
	return f.Name
}
