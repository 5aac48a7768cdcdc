package envsubst

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/internal/diag"
)

// secret is a value the tests check never reaches an error.
const secret = "s3cr3t-hunter2"

var testVars = map[string]string{
	"HOST":     "redis.svc",
	"EMPTY":    "",
	"PASSWORD": secret,
	"MULTI":    "a\nb",
	"_x1":      "underscore",
}

type substCase struct {
	name      string
	in        string
	vars      map[string]string
	want      string
	wantNames []string
	wantErr   string
}

var substCases = []substCase{
	{name: "no dollar", in: "a: b\n", want: "a: b\n"},
	{name: "simple", in: "host: ${HOST}\n", want: "host: redis.svc\n", wantNames: []string{"HOST"}},
	{name: "twice and sorted names", in: "${PASSWORD} ${HOST} ${HOST}", want: secret + " redis.svc redis.svc", wantNames: []string{"HOST", "PASSWORD"}},
	{name: "underscore name", in: "${_x1}", want: "underscore", wantNames: []string{"_x1"}},
	{name: "adjacent", in: "${HOST}${HOST}x", want: "redis.svcredis.svcx", wantNames: []string{"HOST"}},
	{name: "empty value is defined", in: "v: '${EMPTY}'", want: "v: ''", wantNames: []string{"EMPTY"}},
	{name: "default unused", in: "${HOST:=other}", want: "redis.svc", wantNames: []string{"HOST"}},
	{name: "default for missing", in: "${NOPE:=fallback value}", want: "fallback value"},
	{name: "default for empty", in: "${EMPTY:=fallback}", want: "fallback", wantNames: []string{"EMPTY"}},
	{name: "empty default", in: "a${NOPE:=}b", want: "ab"},
	{name: "default with colon and dollar", in: "${NOPE:=a:b$c}", want: "a:b$c"},
	{name: "value inserted verbatim", in: "x: ${MULTI}\ny: 1\n", want: "x: a\nb\ny: 1\n", wantNames: []string{"MULTI"}},
	{name: "escape", in: "run: echo $${HOME}\n", want: "run: echo ${HOME}\n"},
	{name: "escape of undefined is fine", in: "$${NOPE:=x}", want: "${NOPE:=x}"},
	{name: "lone dollar", in: "price: 5$ $", want: "price: 5$ $"},
	{name: "dollar name without braces left alone, $$ is an escape", in: "echo $HOST $$HOST", want: "echo $HOST $HOST"},
	{name: "dollar dollar before variable", in: "$$${HOST}", want: "$redis.svc", wantNames: []string{"HOST"}},
	{name: "dollar before variable", in: "$${HOST}$${HOST}", want: "${HOST}${HOST}"},
	{name: "lone dollar then variable", in: "$ ${HOST}", want: "$ redis.svc", wantNames: []string{"HOST"}},
	{name: "shell default", in: "${HOST:-x} ${NOPE:-y} ${EMPTY:-z}", want: "redis.svc y z", wantNames: []string{"EMPTY", "HOST"}},
	{name: "= is := in Flux, unlike the shell", in: "${NOPE=d}|${EMPTY=d}", want: "d|d", wantNames: []string{"EMPTY"}},
	{name: "nested default", in: "${NOPE:=${HOST}}", want: "redis.svc", wantNames: []string{"HOST"}},
	{name: "replace", in: "${HOST/./-} ${HOST//s/S} ${HOST/#redis/r} ${HOST/%svc/local}", want: "redis-svc rediS.Svc r.svc redis.local", wantNames: []string{"HOST"}},
	{name: "substring", in: "${HOST:0:5} ${HOST:6}", want: "redis svc", wantNames: []string{"HOST"}},
	{name: "trim", in: "${HOST#*.} ${HOST%.*} ${HOST##r*d} ${HOST%%.*}", want: "svc redis is.svc redis", wantNames: []string{"HOST"}},
	{name: "case and length", in: "${HOST^} ${HOST^^} ${#HOST}", want: "Redis.svc REDIS.SVC 9", wantNames: []string{"HOST"}},
	{name: "a name no env file can set", in: "run: echo ${1} ${1:-x}\n",
		wantErr: "f.yaml:1: variable 1 is not set: 1 is no variable name\n  hint: write $${1} for a literal ${1} (a shell script's), or give a default: ${1:=value}"},
	{name: "crlf lines", in: "a: 1\r\nb: ${NOPE}\r\n", wantErr: "f.yaml:2: variable NOPE is not set\n  hint: set NOPE in the environment's vars or give a default: ${NOPE:=value}; for a literal ${NOPE} that another program reads, write $${NOPE}"},
	{
		name:    "undefined",
		in:      "a: 1\nb: ${NOPE}\n",
		wantErr: "f.yaml:2: variable NOPE is not set\n  hint: set NOPE in the environment's vars or give a default: ${NOPE:=value}; for a literal ${NOPE} that another program reads, write $${NOPE}",
	},
	{
		name: "all undefined together, one error per variable",
		in:   "${B}\n${A}\n${B} ${B}\n${HOST}\n${B}\n",
		wantErr: "f.yaml:1: variable B is not set (also used on lines 3, 5)\n  hint: set B in the environment's vars or give a default: ${B:=value}; for a literal ${B} that another program reads, write $${B}\n" +
			"f.yaml:2: variable A is not set\n  hint: set A in the environment's vars or give a default: ${A:=value}; for a literal ${A} that another program reads, write $${A}",
	},
	{
		name: "every undefined variable of a line",
		in:   "${A} ${HOST} ${B/x/y} ${C:-ok}",
		wantErr: "f.yaml:1: variable A is not set\n  hint: set A in the environment's vars or give a default: ${A:=value}; for a literal ${A} that another program reads, write $${A}\n" +
			"f.yaml:1: variable B is not set\n  hint: set B in the environment's vars or give a default: ${B:=value}; for a literal ${B/x/y} that another program reads, write $${B/x/y}",
	},
	{
		// CloudNativePG's pg_hba rules name pods by ${podselector:NAME}
		// (docs/src/samples/cluster-example-pod-selector-refs.yaml), which
		// Flux reads as a substring of the variable podselector: the hint
		// gives the escape with the placeholder as written.
		name:    "another program's placeholder",
		in:      "pg_hba:\n  - \"hostssl mydb myuser ${podselector:app-pods} scram-sha-256\"\n",
		wantErr: "f.yaml:2: variable podselector is not set\n  hint: set podselector in the environment's vars or give a default: ${podselector:=value}; for a literal ${podselector:app-pods} that another program reads, write $${podselector:app-pods}",
	},
	{
		// HOST is set: its placeholder, first on the line, reads another
		// variable than HOS, whose own the hint gives.
		name:    "the placeholder of the variable, not of one its name starts",
		in:      "x: ${HOST} ${HOS/a/b}",
		wantErr: "f.yaml:1: variable HOS is not set\n  hint: set HOS in the environment's vars or give a default: ${HOS:=value}; for a literal ${HOS/a/b} that another program reads, write $${HOS/a/b}",
	},
	{
		name:    "the literal of a nested placeholder escapes every $",
		in:      "x: ${NOPE:-${ALSO_NOPE:-x}} ${NOPE}",
		wantErr: "f.yaml:1: variable NOPE is not set\n  hint: set NOPE in the environment's vars or give a default: ${NOPE:=value}; for a literal ${NOPE:-${ALSO_NOPE:-x}} that another program reads, write $${NOPE:-$${ALSO_NOPE:-x}}",
	},
	{
		name:    "a long placeholder is cut in the hint",
		in:      "x: ${NOPE/a-very-long-pattern-to-replace/with-a-replacement}",
		wantErr: "f.yaml:1: variable NOPE is not set\n  hint: set NOPE in the environment's vars or give a default: ${NOPE:=value}; for a literal ${NOPE/a-very-long-pattern-to-replace/wi…} that another program reads, write $${NOPE/a-very-long-pattern-to-replace/w…}",
	},
	{
		name:    "undefined inside a default",
		in:      "${NOPE:=${ALSO_NOPE}}",
		wantErr: "f.yaml:1: variable ALSO_NOPE is not set\n  hint: set ALSO_NOPE in the environment's vars or give a default: ${ALSO_NOPE:=value}; for a literal ${ALSO_NOPE} that another program reads, write $${ALSO_NOPE}",
	},
	{
		name:    "unterminated",
		in:      "a: ${HOST\nb: ${HOST}",
		wantErr: "f.yaml:1: unterminated \"${HOST\" (Flux's envsubst: missing closing brace)\n  hint: write ${NAME}, ${NAME:=default} or another of Flux's expansions (${NAME/a/b}, ${NAME:0:2}…), NAME made of letters, digits and _, closed by } on the same line; write $${...} for a literal ${...}",
	},
	{
		name:    "unterminated at end",
		in:      "a: ${",
		wantErr: "f.yaml:1: unterminated \"${\" (Flux's envsubst: unable to parse variable name)\n  hint: write ${NAME}, ${NAME:=default} or another of Flux's expansions (${NAME/a/b}, ${NAME:0:2}…), NAME made of letters, digits and _, closed by } on the same line; write $${...} for a literal ${...}",
	},
	{
		name:    "digit name is a name Flux looks up",
		in:      "\n${1ABC}",
		wantErr: "f.yaml:2: variable 1ABC is not set: 1ABC is no variable name\n  hint: write $${1ABC} for a literal ${1ABC} (a shell script's), or give a default: ${1ABC:=value}",
	},
	{
		name:    "empty braces",
		in:      "${}",
		wantErr: "f.yaml:1: malformed expression \"${}\" (Flux's envsubst: unable to parse variable name)\n  hint: write ${NAME}, ${NAME:=default} or another of Flux's expansions (${NAME/a/b}, ${NAME:0:2}…), NAME made of letters, digits and _, closed by } on the same line; write $${...} for a literal ${...}",
	},
	{
		name:    "long expression is cut",
		in:      "${HOST with a very long tail that goes on and on and on}",
		wantErr: "f.yaml:1: malformed expression \"${…\" (Flux's envsubst: missing closing brace)\n  hint: write ${NAME}, ${NAME:=default} or another of Flux's expansions (${NAME/a/b}, ${NAME:0:2}…), NAME made of letters, digits and _, closed by } on the same line; write $${...} for a literal ${...}",
	},
	{
		name: "malformed and undefined together",
		in:   "${A}\n${-}\n",
		wantErr: "f.yaml:1: variable A is not set\n  hint: set A in the environment's vars or give a default: ${A:=value}; for a literal ${A} that another program reads, write $${A}\n" +
			"f.yaml:2: malformed expression \"${…\" (Flux's envsubst: unable to parse variable name)\n  hint: write ${NAME}, ${NAME:=default} or another of Flux's expansions (${NAME/a/b}, ${NAME:0:2}…), NAME made of letters, digits and _, closed by } on the same line; write $${...} for a literal ${...}",
	},
	{
		name:    "the placeholder that is not closed, not the first",
		in:      "${HOST} ${A:=${HOST}} ${PASSWORD",
		wantErr: "f.yaml:1: unterminated \"${PASSWORD\" (Flux's envsubst: missing closing brace)\n  hint: " + syntaxHint,
	},
	{
		name:    "the malformed placeholder, not the first",
		in:      "${HOST} ${A:=${HOST}} ${-} ${HOST",
		wantErr: "f.yaml:1: malformed expression \"${…\" (Flux's envsubst: unable to parse variable name)\n  hint: " + syntaxHint,
	},
	{name: "nil vars", in: "${A:=1}", vars: map[string]string{}, want: "1"},
}

func TestSubstitute(t *testing.T) {
	t.Parallel()
	for _, tc := range substCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			vars := tc.vars
			if vars == nil {
				vars = testVars
			}
			got, names, err := Substitute([]byte(tc.in), "f.yaml", vars)
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("Substitute() = %q, want error", got)
				}
				if diff := cmp.Diff(tc.wantErr, err.Error()); diff != "" {
					t.Errorf("error (-want +got):\n%s", diff)
				}
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error shows a secret value: %v", err)
				}
				for _, e := range diag.Flatten(err) {
					var de *diag.Error
					if !errors.As(e, &de) || de.File != "f.yaml" || de.Line == 0 {
						t.Errorf("error %q is not a *diag.Error with file and line", e)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Substitute(): %v", err)
			}
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantNames, names); diff != "" {
				t.Errorf("names (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	vars := map[string]string{
		"PASSWORD": "hunter2hunter2",
		"PART":     "hunter2",
		"SHORT":    "on",
		"MARKER":   "redacted",
	}
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "nothing to hide", in: "field does not exist: x", want: "field does not exist: x"},
		{name: "longest first", in: "bad hunter2hunter2 and hunter2", want: "bad <redacted:PASSWORD> and <redacted:PART>"},
		{name: "short values stay", in: "turn it on", want: "turn it on"},
		{name: "markers are not searched again", in: "x redacted hunter2", want: "x <redacted:MARKER> <redacted:PART>"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, Redact(tc.in, vars)); diff != "" {
				t.Errorf("Redact (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzSubstitute(f *testing.F) {
	for _, tc := range substCases {
		f.Add(tc.in)
	}
	for _, in := range parityCases {
		f.Add(in)
	}
	vars := map[string]string{"A": "a", "B": "", "HOST": "redis.svc", "M": "x\ny"}
	f.Fuzz(func(t *testing.T, in string) {
		out, names, err := Substitute([]byte(in), "f.yaml", vars)
		if err != nil {
			for _, e := range diag.Flatten(err) {
				var de *diag.Error
				if !errors.As(e, &de) || de.Line < 1 {
					t.Fatalf("error %q has no line", e)
				}
			}
			return
		}
		for _, n := range names {
			if _, ok := vars[n]; !ok {
				t.Fatalf("names lists %q, which vars does not hold", n)
			}
		}
		// What kiln accepts, Flux's envsubst (strict) accepts too and
		// turns into the same bytes. Flux's scanner reads a NUL byte as
		// the end of the text; YAML cannot hold one, so Flux never sees it.
		if strings.ContainsRune(in, 0) {
			return
		}
		want, err := fluxEval(in, vars)
		if err != nil {
			t.Fatalf("Substitute(%q) = %q, but Flux refuses it: %v", in, out, err)
		}
		if string(out) != want {
			t.Fatalf("Substitute(%q) = %q, Flux gives %q", in, out, want)
		}
	})
}

func ExampleSubstitute() {
	vars := map[string]string{"REDIS_HOST": "redis-master.instavote.svc"}
	in := "host: ${REDIS_HOST}\nlevel: ${LOG_LEVEL:=info}\nscript: echo $${HOME}\n"
	out, names, err := Substitute([]byte(in), "apps/db/deploy.yaml", vars)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(out))
	fmt.Println(names)
	_, _, err = Substitute([]byte("a: 1\nb: ${DB_PASSWORD}\n"), "apps/db/secret.yaml", vars)
	fmt.Println(err)
	// Output:
	// host: redis-master.instavote.svc
	// level: info
	// script: echo ${HOME}
	// [REDIS_HOST]
	// apps/db/secret.yaml:2: variable DB_PASSWORD is not set
	//   hint: set DB_PASSWORD in the environment's vars or give a default: ${DB_PASSWORD:=value}; for a literal ${DB_PASSWORD} that another program reads, write $${DB_PASSWORD}
}

// TestMalformedShowsNoText: a placeholder Flux's envsubst cannot parse is
// as often a password holding "${" in a Secret's stringData, or a default
// written in the file, as a mistyped placeholder; the error names its
// line and at most the variable's name, never the rest of the text.
func TestMalformedShowsNoText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"pw: \"${Sup3r-S3cret}\"\n", `malformed expression "${…"`},
		{"pw: \"x${Sup3r-S3cret\"\n", `unterminated "${…"`},
		{"pw: \"${A/Sup3rS3cret}\"\n", `malformed expression "${…"`},
		{"pw: \"${@Sup3rS3cret}\"\n", `malformed expression "${…"`},
		{"pw: \"${DB_PW:=Sup3rS3cret\"\n", `unterminated "${DB_PW:…"`},
		{"pw: ${DB_PW:=Sup3rS3cret\n", `unterminated "${DB_PW:…"`},
		{"pw: ${Sup3rS3cret\n", `unterminated "${Sup3rS3cret"`}, // a name, as written
	} {
		for _, yaml := range []bool{false, true} {
			var err error
			if yaml {
				_, _, err = SubstituteYAML([]byte(tc.in), "f.yaml", testVars)
			} else {
				_, _, err = Substitute([]byte(tc.in), "f.yaml", testVars)
			}
			if err == nil {
				t.Fatalf("%q: no error", tc.in)
			}
			if !strings.Contains(err.Error(), "f.yaml:1: "+tc.want) {
				t.Errorf("yaml %v: %q: error %q, want %q", yaml, tc.in, err, tc.want)
			}
			if strings.Contains(tc.want, "…") && strings.Contains(err.Error(), "Sup3r") {
				t.Errorf("yaml %v: %q: error shows the text: %v", yaml, tc.in, err)
			}
		}
	}
	// A default a comment cuts, in a plain scalar.
	_, _, err := SubstituteYAML([]byte("pw: ${DB_PW:=Sup3r S3cret #x}\n"), "f.yaml", testVars)
	if err == nil || !strings.Contains(err.Error(), `f.yaml:1: "${DB_PW:…" is cut by a comment`) || strings.Contains(err.Error(), "S3cret") {
		t.Errorf("a default a comment cuts: error %v, want one naming ${DB_PW:… without its text", err)
	}
}
