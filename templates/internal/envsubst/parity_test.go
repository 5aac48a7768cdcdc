package envsubst

import (
	"testing"

	fluxenvsubst "github.com/fluxcd/pkg/envsubst"
	"github.com/google/go-cmp/cmp"
)

// fluxEval is what kustomize-controller does to a resource's YAML
// (github.com/fluxcd/pkg/kustomize varSubstitution, strict mode): one
// evaluation of the whole text.
func fluxEval(in string, vars map[string]string) (string, error) {
	return fluxenvsubst.Eval(in, func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	})
}

// parityVars are the variables of the parity table; the expressions are
// those of Flux's envsubst tests (taken from the shell's parameter
// substitution), written into YAML as one would use them.
var parityVars = map[string]string{
	"var01":     "abcdEFGH28ij",
	"UPPER":     "ABCDEFGH28IJ",
	"path_name": "/home/bozo/ideas/thoughts.for.today",
	"stringZ":   "abcABC123ABCabc",
	"filename":  "bash.string.txt",
	"cluster":   "prod-eu-west-1",
	"empty":     "",
	"dflt":      "foo1",
}

var parityCases = []string{
	"length: '${#var01}'\n",
	"first: ${var01^}\nall: ${var01^^}\nlower1: ${UPPER,}\nlower: ${UPPER,,}\n",
	"sub: ${path_name:11}\nsub2: ${path_name:11:5}\n",
	"d1: ${var01=xyz}\nd2: ${nope=xyz}\nd3: ${nope:=xyz}\nd4: ${nope:-xyz}\nd5: ${empty:-xyz}\nd6: ${empty=xyz}\n",
	"nested: something ${nope=${dflt}}\nsuffix: ${nope=${dflt}-suffix}\nboth: ${nope=prefix${dflt}-suffix}\n",
	"r1: ${stringZ/%abc/XYZ}\nr2: ${stringZ/#abc/XYZ}\nr3: ${stringZ/abc/xyz}\nr4: ${stringZ//abc/xyz}\n",
	"t1: ${filename#*.}\nt2: ${filename##*.}\nt3: ${filename%.*}\nt4: ${filename%%.*}\nt5: ${stringZ#a*C}\nt6: ${stringZ##a*C}\n",
	"region: ${cluster#*-}\nshort: ${cluster:0:4}\nname: ${cluster/-/_}\n",
	"escaped: $${var01}\nliteral: $var01 $$var01 $ 5$\n",
	"script: |\n  echo $${HOME} ${var01} $$$${x}\n",
	"url: https://${cluster}.example.com/${path_name#/}\n",
	"quoted: \"${var01}\"\nsingle: '${stringZ}'\n",
	"path: ${path_name//\\//_}\n",
	"emptyvar: '${empty}'\nemptydefault: ${nope:=}\n",
	"unicode: é${var01}€\n",
}

// TestFluxParity: for every case, Substitute gives the bytes Flux's own
// envsubst gives for the same text and variables.
func TestFluxParity(t *testing.T) {
	t.Parallel()
	for _, in := range parityCases {
		want, err := fluxEval(in, parityVars)
		if err != nil {
			t.Fatalf("Flux's envsubst refuses %q: %v", in, err)
		}
		got, _, err := Substitute([]byte(in), "f.yaml", parityVars)
		if err != nil {
			t.Errorf("Substitute(%q): %v", in, err)
			continue
		}
		if diff := cmp.Diff(want, string(got)); diff != "" {
			t.Errorf("Substitute(%q) differs from Flux (-flux +kiln):\n%s", in, diff)
		}
	}
	for _, tc := range substCases {
		vars := tc.vars
		if vars == nil {
			vars = testVars
		}
		want, err := fluxEval(tc.in, vars)
		if tc.wantErr != "" {
			if err == nil {
				t.Errorf("case %q: kiln refuses what Flux (strict) accepts", tc.name)
			}
			continue
		}
		if err != nil {
			t.Errorf("case %q: Flux refuses what kiln accepts: %v", tc.name, err)
			continue
		}
		if want != tc.want {
			t.Errorf("case %q: Flux gives %q, the table wants %q", tc.name, want, tc.want)
		}
	}
}
