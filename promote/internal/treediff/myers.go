package treediff

// opKind is one step of an edit script.
type opKind byte

const (
	opEqual opKind = iota
	opDelete
	opInsert
)

// maxCost bounds the edit distance searched for in one bisection; beyond
// it the diff is still correct but may be longer than the shortest.
const maxCost = 2048

// edit is a run of n lines of one kind.
type edit struct {
	kind opKind
	n    int
}

// lineDiff returns an edit script turning a into b: the shortest one
// (Myers' O(ND) algorithm, linear-space variant with the middle snake, as
// in "An O(ND) Difference Algorithm and Its Variations", 1986). Ties are
// broken the same way every time, so output is deterministic.
func lineDiff(a, b []string) []edit {
	// Intern lines so comparisons are integer compares.
	ids := map[string]int{}
	intern := func(ls []string) []int {
		out := make([]int, len(ls))
		for i, l := range ls {
			id, ok := ids[l]
			if !ok {
				id = len(ids)
				ids[l] = id
			}
			out[i] = id
		}
		return out
	}
	ai, bi := intern(a), intern(b)
	var s script
	s.diff(ai, bi)
	return s.edits
}

// script collects edits, merging adjacent runs of the same kind.
type script struct{ edits []edit }

func (s *script) add(k opKind, n int) {
	if n == 0 {
		return
	}
	if l := len(s.edits); l > 0 && s.edits[l-1].kind == k {
		s.edits[l-1].n += n
		return
	}
	s.edits = append(s.edits, edit{k, n})
}

func (s *script) diff(a, b []int) {
	// Common prefix and suffix cost nothing and are the usual case.
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	s.add(opEqual, pre)
	a, b = a[pre:], b[pre:]
	suf := 0
	for suf < len(a) && suf < len(b) && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	a, b = a[:len(a)-suf], b[:len(b)-suf]

	switch {
	case len(a) == 0:
		s.add(opInsert, len(b))
	case len(b) == 0:
		s.add(opDelete, len(a))
	case disjoint(a, b):
		// Nothing in common: the search below would visit every diagonal.
		s.add(opDelete, len(a))
		s.add(opInsert, len(b))
	default:
		x, y, ok := bisect(a, b)
		if !ok || (x == 0 && y == 0) || (x == len(a) && y == len(b)) {
			// Cannot happen (see bisect); never recurse without progress.
			s.add(opDelete, len(a))
			s.add(opInsert, len(b))
			break
		}
		s.diff(a[:x], b[:y])
		s.diff(a[x:], b[y:])
	}
	s.add(opEqual, suf)
}

// disjoint reports whether a and b share no line.
func disjoint(a, b []int) bool {
	seen := make(map[int]struct{}, len(a))
	for _, v := range a {
		seen[v] = struct{}{}
	}
	for _, v := range b {
		if _, ok := seen[v]; ok {
			return false
		}
	}
	return true
}

// bisect finds the middle snake of a shortest edit script from a to b and
// returns the point (x, y), strictly inside, where the forward and backward searches meet;
// both halves are then diffed separately. a and b are non-empty and differ
// in their first and last elements.
func bisect(a, b []int) (x, y int, ok bool) {
	n, m := len(a), len(b)
	maxD := (n + m + 1) / 2
	off := maxD + 1
	size := 2*maxD + 3
	v1 := make([]int, size) // forward: furthest x on diagonal k = x-y
	v2 := make([]int, size) // backward: furthest x from the end on diagonal k
	for i := range v1 {
		v1[i], v2[i] = -1, -1
	}
	v1[off+1], v2[off+1] = 0, 0
	delta := n - m
	// When delta is odd the paths meet during a forward step, else during
	// a backward step.
	front := delta%2 != 0
	k1start, k1end, k2start, k2end := 0, 0, 0, 0
	bestX, bestY := 0, 0 // the forward point furthest along, for the cost limit
	for d := 0; d < maxD; d++ {
		if d == maxCost && bestX+bestY > 0 {
			// Too expensive to find the shortest script (huge, mostly
			// different files): split where the forward search got
			// furthest. The script stays valid, just not minimal.
			return bestX, bestY, true
		}
		for k1 := -d + k1start; k1 <= d-k1end; k1 += 2 {
			i := off + k1
			var x1 int
			if k1 == -d || (k1 != d && v1[i-1] < v1[i+1]) {
				x1 = v1[i+1]
			} else {
				x1 = v1[i-1] + 1
			}
			y1 := x1 - k1
			for x1 < n && y1 < m && a[x1] == b[y1] {
				x1++
				y1++
			}
			v1[i] = x1
			if x1 <= n && y1 <= m && x1+y1 > bestX+bestY && x1+y1 < n+m {
				bestX, bestY = x1, y1
			}
			switch {
			case x1 > n:
				k1end += 2 // ran off the right edge
			case y1 > m:
				k1start += 2 // ran off the bottom edge
			case front:
				j := off + delta - k1
				if j >= 0 && j < size && v2[j] != -1 {
					if x1 >= n-v2[j] {
						return x1, y1, true
					}
				}
			}
		}
		for k2 := -d + k2start; k2 <= d-k2end; k2 += 2 {
			i := off + k2
			var x2 int
			if k2 == -d || (k2 != d && v2[i-1] < v2[i+1]) {
				x2 = v2[i+1]
			} else {
				x2 = v2[i-1] + 1
			}
			y2 := x2 - k2
			for x2 < n && y2 < m && a[n-x2-1] == b[m-y2-1] {
				x2++
				y2++
			}
			v2[i] = x2
			switch {
			case x2 > n:
				k2end += 2
			case y2 > m:
				k2start += 2
			case !front:
				j := off + delta - k2
				if j >= 0 && j < size && v1[j] != -1 {
					x1 := v1[j]
					y1 := off + x1 - j
					if x1 >= n-x2 {
						return x1, y1, true
					}
				}
			}
		}
	}
	// Unreachable for valid input: the searches always meet by maxD.
	return 0, 0, false
}
