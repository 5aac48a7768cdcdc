package kustomize

import (
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/rootfs"
	"github.com/kiln-gitops/kiln/templates/internal/securefs"
)

// jsonPatchEntry is one entry of a kustomization's patches or
// patchesJson6902: a file or inline text, which may be JSON6902
// operations.
type jsonPatchEntry struct {
	kf   *kfile
	path string // the patch file, absolute; "" if inline
	data string // the inline patch
}

// opFailedRes read the operation and path of a JSON6902 operation that
// json-patch (gopkg.in/evanphx/json-patch.v4, through kyaml's
// patchjson6902 filter) could not apply to an object: kustomize passes
// its error on as it is, naming neither the patch nor the object.
var opFailedRes = []*regexp.Regexp{
	regexp.MustCompile(`\b(add|remove|replace|move|copy|test) operation does not apply: (?:doc )?is missing (?:from |destination )?(?:path|key): "?([^"\s]*?)"?: missing value`),
	regexp.MustCompile(`\b(test)ing value (\S+) failed: test failed`),
	regexp.MustCompile(`\berror in (add|remove|replace|move|copy|test) for (?:path|from): '([^']*)'`),
}

// failedOp points de at the JSON6902 operation msg says failed, in the
// kustomization de names (the one krusty was building), and says why an
// operation fails on one object of a target and what to do. It reports
// false when msg names no such operation or no patch of that
// kustomization has it.
func failedOp(de *diag.Error, fsys *securefs.FS, kfile, msg string) bool {
	var op, at string
	for _, re := range opFailedRes {
		if m := re.FindStringSubmatch(msg); m != nil {
			op, at = m[1], m[2]
			break
		}
	}
	if op == "" {
		return false
	}
	c := walkTree(fsys, kfile)
	for _, e := range c.jsonPatches {
		if e.kf.path != de.File {
			continue
		}
		text := e.data
		if e.path != "" {
			b, err := fsys.ReadFile(e.path)
			if err != nil {
				continue
			}
			text = string(b)
		}
		line, ok := opLine(text, op, at)
		if !ok {
			continue
		}
		if e.path != "" {
			de.File, de.Line = rootfs.Rel(fsys.Root(), e.path), line
		} else {
			de.Line = e.kf.keyLine("patches", "patchesJson6902")
			for _, field := range []string{"patches", "patchesJson6902"} {
				n := e.kf.field([]string{field})
				if n == nil {
					continue
				}
				if s := findPatchScalar(n.value, e.data); s != nil {
					de.Line = s.Line
					if s.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
						// A block scalar's text starts on the line
						// after its indicator.
						de.Line += line
					}
					break
				}
			}
		}
		de.Hint = opHint(op, at)
		return true
	}
	return false
}

// opLine returns the line, in text, of the first JSON6902 operation op
// whose path or from is at.
func opLine(text, op, at string) (int, bool) {
	var doc yaml.Node
	if yaml.Unmarshal([]byte(text), &doc) != nil || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.SequenceNode {
		return 0, false
	}
	for _, item := range doc.Content[0].Content {
		if item.Kind != yaml.MappingNode {
			continue
		}
		var o struct{ Op, Path, From string }
		if item.Decode(&o) != nil {
			continue
		}
		if strings.EqualFold(o.Op, op) && (o.Path == at || o.From == at) {
			return item.Line, true
		}
	}
	return 0, false
}

// findPatchScalar returns the scalar below n whose value is text.
func findPatchScalar(n *yaml.Node, text string) *yaml.Node {
	if n.Kind == yaml.ScalarNode && n.Value == text {
		return n
	}
	for _, c := range n.Content {
		if s := findPatchScalar(c, text); s != nil {
			return s
		}
	}
	return nil
}

func opHint(op, at string) string {
	narrow := "narrow the patch's target (name, labelSelector, annotationSelector) to the objects meant"
	switch op {
	case "test":
		return fmt.Sprintf("an object the patch's target selects has another value at %s, or none: %s, or fix the test", at, narrow)
	case "add":
		return fmt.Sprintf("add creates only the last key of %s: an object the patch's target selects lacks its parent; add the parent first (an add of {} or []), or %s", at, narrow)
	}
	return fmt.Sprintf("an object the patch's target selects has no %s: %s, or use op: add, which creates the last key", at, narrow)
}
