package objects

import (
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// KeepBlockScalars restyles each scalar of n that kiln's YAML writer
// (yaml.v3's emitter, through kyaml) would write as a block scalar that
// reads back as another value, or not at all, and says whether it changed
// one:
//
//   - A folded scalar (">") with a more-indented line: the emitter decides
//     whether to add a line break before each line by looking at the
//     scalar's first character instead of that line's (k := 0 in
//     yaml_emitter_write_folded_scalar, yaml/go-yaml#337), so a line break
//     before a more-indented line is doubled (a kyverno policy's CEL
//     expression, a script gains a "\n"), and one before a normal line
//     after a value that starts with a space is lost. Such a scalar is
//     written literal ("|"), which the emitter writes as it is.
//   - A block scalar whose value starts with a tab (a Makefile, a
//     tab-indented config from jsonnet): the emitter writes no indentation
//     indicator, and yaml.v3's reader (kiln's, and kustomize's in Flux)
//     refuses the file ("found a tab character where an indentation space
//     is expected"), so Flux could apply nothing of the app. Such a scalar
//     is written double-quoted.
//
// The value is what Helm, kustomize or jsonnet gave; only how it is
// written changes, and only where it has to.
func KeepBlockScalars(n *kyaml.Node) bool {
	return walkScalars(n, false, func(n *kyaml.Node, _ bool) bool { return keepBlockScalar(n) })
}

// KeepScalars is KeepBlockScalars and KeepFlowNulls in one walk of n:
// every object of a render goes through both.
func KeepScalars(n *kyaml.Node) bool {
	return walkScalars(n, false, func(n *kyaml.Node, flow bool) bool {
		return keepBlockScalar(n) || keepFlowNull(n, flow)
	})
}

// walkScalars calls keep on each scalar below n, with whether it is in a
// flow collection, and says whether any call changed one.
func walkScalars(n *kyaml.Node, flow bool, keep func(n *kyaml.Node, flow bool) bool) bool {
	if n == nil {
		return false
	}
	switch n.Kind {
	case kyaml.ScalarNode:
		return keep(n, flow)
	case kyaml.DocumentNode, kyaml.SequenceNode, kyaml.MappingNode:
		flow = flow || n.Style&kyaml.FlowStyle != 0
		changed := false
		for _, c := range n.Content {
			if walkScalars(c, flow, keep) {
				changed = true
			}
		}
		return changed
	}
	return false
}

// keepBlockScalar is KeepBlockScalars of one scalar.
func keepBlockScalar(n *kyaml.Node) bool {
	block := n.Style&(kyaml.LiteralStyle|kyaml.FoldedStyle) != 0 ||
		n.Style == 0 && hasBreak(n.Value) // the emitter writes a multi-line plain value literal
	switch {
	case !block:
	case len(n.Value) > 0 && n.Value[0] == '\t':
		n.Style = kyaml.DoubleQuotedStyle
		return true
	case n.Style&kyaml.FoldedStyle != 0 && foldedMiswritten(n.Value):
		n.Style = kyaml.LiteralStyle
		return true
	}
	return false
}

// foldedMiswritten reports whether yaml.v3's emitter writes v, a folded
// block scalar, with another value. It follows
// yaml_emitter_write_folded_scalar: after a line that does not start with
// a blank, a "\n" gets a second line break unless what follows the line
// breaks is a blank (a more-indented line) or the end. The emitter asks
// that of what follows the breaks at the start of the value instead, so
// the two answers differ exactly where it writes another value.
func foldedMiswritten(v string) bool {
	atStart := blankOrEnd(v, skipBreaks(v, 0))
	breaks, leadingBlank := true, true
	for i := 0; i < len(v); {
		if w := breakWidth(v, i); w > 0 {
			if next := skipBreaks(v, i); !breaks && !leadingBlank && v[i] == '\n' && atStart != blankOrEnd(v, next) {
				// A break added before the value's last line break is
				// dropped by the chomping; before two or more at the end
				// it is kept (">+"), as it is before another line.
				if next < len(v) || i+w < len(v) {
					return true
				}
			}
			i += w
			breaks = true
			continue
		}
		if breaks {
			leadingBlank = v[i] == ' ' || v[i] == '\t'
		}
		i++
		breaks = false
	}
	return false
}

// breakWidth is the length of the line break YAML reads at v[i] ("\r\n",
// "\r", "\n", NEL, LS, PS), 0 for none.
func breakWidth(v string, i int) int {
	switch {
	case i >= len(v):
		return 0
	case v[i] == '\r' && i+1 < len(v) && v[i+1] == '\n':
		return 2
	case v[i] == '\r', v[i] == '\n':
		return 1
	case v[i] == 0xC2 && i+1 < len(v) && v[i+1] == 0x85:
		return 2
	case v[i] == 0xE2 && i+2 < len(v) && v[i+1] == 0x80 && (v[i+2] == 0xA8 || v[i+2] == 0xA9):
		return 3
	}
	return 0
}

// skipBreaks returns the index of the first byte at or after i that
// starts no line break.
func skipBreaks(v string, i int) int {
	for {
		w := breakWidth(v, i)
		if w == 0 {
			return i
		}
		i += w
	}
}

// blankOrEnd is yaml.v3's is_blankz: a space, a tab, a line break or the
// end of the value.
func blankOrEnd(v string, i int) bool {
	return i >= len(v) || v[i] == ' ' || v[i] == '\t' || v[i] == 0 || breakWidth(v, i) > 0
}

func hasBreak(v string) bool {
	for i := 0; i < len(v); i++ {
		if breakWidth(v, i) > 0 {
			return true
		}
	}
	return false
}
