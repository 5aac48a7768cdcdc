package envsubst

import (
	"fmt"

	"github.com/fluxcd/pkg/envsubst/parse"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/limits"
)

// Flux's envsubst builds each line's result in memory, and its trims
// (${NAME#p}, ${NAME##p}, ${NAME%p}, ${NAME%%p}) match the pattern against
// every prefix of the value: a 30 kB value takes a second per placeholder,
// a 1 MiB one half an hour, and none of it can be interrupted. A few bytes
// of placeholders (${BIG}${BIG}…, ${BIG//x/${BIG}}) can ask for terabytes.
// So before it evaluates a line, kiln measures from the expression's tree
// and the values' lengths what the evaluation may produce and the matching
// it may do, and charges both to a budget that the scanners of one
// substitution share (SubstituteYAML evaluates some placeholders more than
// once, and each evaluation is charged).
const (
	// maxSubstituted bounds the bytes the evaluations of one substitution
	// produce: what kiln would refuse to parse as the result anyway.
	maxSubstituted = limits.OutputSize
	// maxMatchSteps bounds the pattern matching of one substitution's
	// trims, about a second of CPU.
	maxMatchSteps = 1 << 30
)

// budget is what the evaluations of one substitution may still use.
type budget struct {
	bytes, steps int64
	// spent is the bound reached first, once one is.
	spent *limits.Error
}

func newBudget() *budget { return &budget{bytes: maxSubstituted, steps: maxMatchSteps} }

// ceiling keeps the measures from overflowing: far above any budget.
const ceiling = int64(1) << 60

func add(a, b int64) int64 { return min(a+b, ceiling) }

func mul(a, b int64) int64 {
	if a != 0 && b > ceiling/a {
		return ceiling
	}
	return min(a*b, ceiling)
}

// cost measures an evaluation of n: the length of its result (out), the
// bytes it writes into buffers on the way, its result included (built),
// and the matching steps its trims may take. A function's arguments are
// each evaluated into a buffer and copied, then given to the function;
// buffers of finished arguments are garbage, so built adds up rather than
// multiplies along nested defaults. A variable that is not set counts as
// empty, as evaluation gives it.
func (s *scanner) cost(n parse.Node) (out, built, steps int64) {
	switch n := n.(type) {
	case *parse.TextNode:
		return int64(len(n.Value)), int64(len(n.Value)), 0
	case *parse.ListNode:
		for _, c := range n.Nodes {
			o, b, st := s.cost(c)
			out, built, steps = add(out, o), add(built, b), add(steps, st)
		}
		return out, built, steps
	case *parse.FuncNode:
		args := make([]int64, len(n.Args))
		var argSum int64
		for i, a := range n.Args {
			o, b, st := s.cost(a)
			args[i], argSum = o, add(argSum, o)
			built, steps = add(built, add(b, o)), add(steps, st) // the buffer, then its copy
		}
		v := int64(len(s.vars[n.Param]))
		arg := func(i int) int64 {
			if i < len(args) {
				return args[i]
			}
			return 0
		}
		switch n.Name {
		case "#":
			if len(args) == 0 {
				out = 20 // the length, in decimal
				break
			}
			fallthrough
		case "##", "%", "%%":
			// Every prefix (of the reversed value, for a suffix) against
			// the pattern; reversing turns each byte that is no UTF-8
			// into a 3-byte U+FFFD.
			out = mul(3, v)
			steps = add(steps, mul(mul(v, v)/2+1, arg(0)+1))
		case ",", ",,", "^", "^^":
			out = add(mul(3, v), 4) // case mapping may grow a rune, and U+FFFD replaces bad bytes
		case ":":
			out = v
		case "/", "/#", "/%":
			out = add(v, arg(1))
		case "//":
			// An empty pattern matches at every rune boundary.
			out = add(v, mul(add(v, 1), arg(1)))
		default:
			// The defaults: the value, or the arguments joined.
			out = max(v, argSum)
		}
		return out, add(built, out), steps
	}
	return 0, 0, 0
}

// measure returns what evaluating text, which has parsed, may cost: the
// bytes its placeholders add and the matching steps.
func (s *scanner) measure(text string) (size, steps int64) {
	tree, err := parse.Parse(text)
	if err != nil {
		return 0, 0 // the caller parsed it; nothing to measure
	}
	_, built, steps := s.cost(tree.Root)
	// The line's own text is not substituted: only what the
	// placeholders add counts.
	return max(built-int64(len(text)), 0), steps
}

// charge takes size and steps, what one evaluation of text costs, from
// the budget, or records an error at line naming the line's first
// placeholder (never a value).
func (s *scanner) charge(size, steps int64, text string, line int) bool {
	if size <= s.budget.bytes && steps <= s.budget.steps {
		s.budget.bytes -= size
		s.budget.steps -= steps
		return true
	}
	if s.budget.spent == nil {
		s.budget.spent = &limits.Error{Input: s.file, What: "the text that substituting the file's placeholders produces", Limit: limits.Bytes(maxSubstituted)}
		if size <= s.budget.bytes {
			s.budget.spent = &limits.Error{Input: s.file, What: "the pattern matching of the file's trims (${NAME#p}, ${NAME##p}, ${NAME%p}, ${NAME%%p})",
				Limit: fmt.Sprintf("%d steps", int64(maxMatchSteps))}
		}
		s.budget.bytes, s.budget.steps = -1, -1 // every later evaluation fails too
	}
	if s.overBudget {
		s.problems++ // reported once per scanner
		return false
	}
	s.overBudget = true
	le := s.budget.spent
	expr := firstPlaceholder(text)
	s.errs = append(s.errs, &diag.Error{File: s.file, Line: line,
		Msg:  fmt.Sprintf("substituting %s: %s", quoteExpr(expr), le.Describe()),
		Err:  le,
		Hint: "the values substituted here are far longer than a manifest needs; " + limits.Hint})
	s.problems++
	return false
}

// execute evaluates t, turning a panic of Flux's envsubst (${NAME:1:N}
// with a length that overflows slices the value out of range) into an
// error: kustomize-controller fails on the same expression.
func execute(t interface {
	Execute(func(string) (string, bool)) (string, error)
}, mapping func(string) (string, bool)) (out string, panicked bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, panicked, err = "", true, fmt.Errorf("envsubst panicked: %v", p)
		}
	}()
	out, err = t.Execute(mapping)
	return out, false, err
}
