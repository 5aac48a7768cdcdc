package words

import "testing"

func TestCount(t *testing.T) {
	for _, tc := range []struct {
		n    int
		noun string
		want string
	}{
		{n: 0, noun: "object", want: "0 objects"},
		{n: 1, noun: "object", want: "1 object"},
		{n: 2, noun: "changed file", want: "2 changed files"},
	} {
		if got := Count(tc.n, tc.noun); got != tc.want {
			t.Errorf("Count(%d, %q) = %q, want %q", tc.n, tc.noun, got, tc.want)
		}
	}
}
