package envsubst

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	yaml "go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/kiln-gitops/kiln/internal/diag"
)

// yamlVars hold the characters that YAML reads as syntax inside quotes.
var yamlVars = map[string]string{
	"WIN":   `C:\new\table`,
	"RE":    `^\d+\.\t$`,
	"Q":     "it's",
	"JSON":  `{"a": "b\n"}`,
	"CR":    "a\rb",
	"LS":    "a\u2028b",
	"NEL":   "a\u0085  k: v",
	"CTRL":  "a\x01b",
	"HOST":  "redis.svc",
	"PLACE": "${HOST}",
	"EMPTY": "",
	"COLOR": "#ff0000",
	"PW":    "p@ss #1",
	"LIST":  "echo a, b",
	"CLOSE": "x}",
	"NUM":   "3",
	"KEY":   "key",
	"REF":   "&x y",
	"PIPE":  "|-",
	"ALIAS": "*base",
	"TAG":   "!secret value",
	"INT":   "!!int 7",
	"AT":    "@home",
	"TICK":  "`date`",
	"PCT":   "%d items",
	"BYTES": "ab\xffcd",
}

type yamlCase struct {
	name string
	in   string
	want string // "" when the output is Substitute's
	// wantErr is the error, "" for none.
	wantErr string
	// fluxDiffers says why Flux's values differ, "" when they do not.
	fluxDiffers string
}

// Why Flux's values differ in some cases.
const (
	// Flux drops the quotes and reads the value as YAML; kiln keeps a
	// quoted placeholder a string (docs/templates.md).
	fluxDropsQuotes = "Flux drops the quotes"
	// Flux's own writer quotes this string (it holds a quote and a tab),
	// and Flux then inserts the value into its double quotes as text.
	fluxQuotesItself = "Flux quotes the string itself"
)

const utf8Hint = "  hint: give the variable a UTF-8 value; for binary data, put its base64 into a Secret's data field"

const ctrlHint = "  hint: quote the placeholder (\"${NAME}\" gives any value as it is, escaped), or remove the character from the value"

var yamlCases = []yamlCase{
	{name: "backslashes in double quotes", in: "win: \"${WIN}\"\n", want: "win: \"C:\\\\new\\\\table\"\n"},
	{name: "regexp in double quotes", in: "re: \"${RE}\"\n", want: "re: \"^\\\\d+\\\\.\\\\t$\"\n"},
	{name: "quote in single quotes", in: "q: '${Q}'\n", want: "q: 'it''s'\n"},
	{name: "JSON in double quotes", in: "j: \"${JSON}\"\n", want: "j: \"{\\\"a\\\": \\\"b\\\\n\\\"}\"\n", fluxDiffers: fluxDropsQuotes},
	{name: "JSON in single quotes is fine as it is", in: "j: '${JSON}'\n", fluxDiffers: fluxDropsQuotes},
	{name: "carriage return", in: "cr: \"${CR}\"\ncr1: '${CR}'\n", want: "cr: \"a\\x0Db\"\ncr1: \"a\\x0Db\"\n"},
	{name: "line separator is escaped", in: "ls: \"${LS}\"\n", want: "ls: \"a\\u2028b\"\n"},
	{name: "control character", in: "c: '${CTRL}'\n", want: "c: \"a\\x01b\"\n"},
	{name: "a value that is not UTF-8", in: "a: 1\nb: \"${BYTES}\"\nc: '${BYTES}'\nd: ${BYTES}\n",
		wantErr: "f.yaml:2: a value substituted for \"${BYTES}\" is not UTF-8 text: YAML and a Kubernetes object's strings hold only UTF-8 (Flux's substitution fails on it too)\n" + utf8Hint + "\n" +
			"f.yaml:3: a value substituted for \"${BYTES}\" is not UTF-8 text: YAML and a Kubernetes object's strings hold only UTF-8 (Flux's substitution fails on it too)\n" + utf8Hint + "\n" +
			"f.yaml:4: a value substituted for \"${BYTES}\" is not UTF-8 text: YAML and a Kubernetes object's strings hold only UTF-8 (Flux's substitution fails on it too)\n" + utf8Hint},
	{name: "control character outside quotes", in: "a: 1\nc: x${CTRL}\nd: |\n  ${CTRL}\n",
		wantErr: "f.yaml:2: a value substituted for \"${CTRL}\" holds a control character (such as NUL, ESC or DEL), which YAML refuses unless escaped in double quotes: the file would not parse (in Flux either)\n" + ctrlHint + "\n" +
			"f.yaml:4: a value substituted for \"${CTRL}\" holds a control character (such as NUL, ESC or DEL), which YAML refuses unless escaped in double quotes: the file would not parse (in Flux either)\n" + ctrlHint},
	{name: "text around, and other quoted scalars on the line", in: "- {m: \"Hi ${Q}, \\\"${WIN}\\\"\\t!\", o: \"${HOST}\"} # ${HOST}\n",
		want: "- {m: \"Hi it's, \\\"C:\\\\new\\\\table\\\"\\t!\", o: \"redis.svc\"} # ${HOST}\n", fluxDiffers: fluxQuotesItself},
	{name: "key", in: "\"${WIN}\": v\n", want: "\"C:\\\\new\\\\table\": v\n"},
	{name: "tag and anchor", in: "a: !!str \"${WIN}\"\nb: &x '${Q}'\nc: *x\n", want: "a: !!str \"C:\\\\new\\\\table\"\nb: &x 'it''s'\nc: *x\n"},
	{name: "no placeholder is left alone", in: "a: \"C:\\\\x $HOME $$\"\n", want: "a: \"C:\\\\x $HOME $\"\n"},
	{name: "a value holding a placeholder is not substituted again", in: "a: \"${PLACE}\\\\\"\nb: \"$${HOST}\"\n", want: "a: \"${HOST}\\\\\"\nb: \"${HOST}\"\n"},
	{name: "plain values unchanged", in: "a: ${HOST}\nb: \"${HOST}\"\nd: |\n  \"${WIN}\"\n"},
	{name: "empty value stays a string", in: "c: '${EMPTY}'\n", fluxDiffers: fluxDropsQuotes},
	{name: "second document", in: "a: 1\n---\nb: '${Q}'\n", want: "a: 1\n---\nb: 'it''s'\n"},
	{name: "byte order mark and wide characters", in: "\ufeffé: \"ü${WIN}\"\n", want: "\ufeffé: \"üC:\\\\new\\\\table\"\n"},
	{name: "crlf", in: "a: \"${WIN}\"\r\nb: 1\r\n", want: "a: \"C:\\\\new\\\\table\"\r\nb: 1\r\n"},
	{name: "a quoted string over lines", in: "a: \"x\n  ${HOST}\"\nb: \"x\n  ${WIN}\"\n",
		wantErr: "f.yaml:4: a quoted string that spans lines holds \"${WIN}\", and a value holds a character its quotes would read as syntax (\\ or \" in double quotes, ' in single quotes)\n  hint: write the quoted string on one line, or as a block scalar (|)"},
	{name: "unset variable in quotes is reported once", in: "a: \"${NOPE}\" ${NOPE}\nb: '${NOPE}'\n",
		wantErr: "f.yaml:1: variable NOPE is not set (also used on line 2)\n  hint: set NOPE in the environment's vars or give a default: ${NOPE:=value}; for a literal ${NOPE} that another program reads, write $${NOPE}"},
	{name: "malformed expression in quotes is reported once", in: "a: \"${A\"\n",
		wantErr: "f.yaml:1: unterminated \"${A\" (Flux's envsubst: missing closing brace)\n  hint: " + syntaxHint},
	{name: "a value starting a comment", in: "a: 1\ncolor: ${COLOR}\n",
		wantErr: "f.yaml:2: \"${COLOR}\": a value there makes YAML read a comment: the rest of the value would be lost (as it would in Flux)\n  hint: quote the placeholder (\"${NAME}\" gives any value as it is), or change the value"},
	{name: "a value holding a comment", in: "- !!str pw-${PW}-x\n",
		wantErr: "f.yaml:1: \"${PW}\": a value there makes YAML read a comment: the rest of the value would be lost (as it would in Flux)\n  hint: quote the placeholder (\"${NAME}\" gives any value as it is), or change the value"},
	// YAML ends a plain scalar at " #": kustomize reads "${NOPE:=hi", which
	// Flux's envsubst refuses; the line as text gave "hi" silently, or the
	// value of a var that is set.
	{name: "a placeholder a comment closes", in: "a: ${NOPE:=hi #1}\nb: ${HOST:=x #y} # ${NOPE}\nc: ${HOST:=${NOPE} #z}\nd: \"${NOPE:=hi #1}\"\ne: ${HOST:=a#b}\ng: a\n  ${NOPE:=x #y}\nf: ${NOPE:=x\n",
		wantErr: "f.yaml:1: \"${NOPE:…\" is cut by a comment: YAML ends the value at a \"#\" after a space or tab, so Flux sees it unclosed, and refuses the file\n" +
			"  hint: quote the scalar (\"${NAME:=a #b}\") to keep the \"#\" in its value, or remove the space before the \"#\"\n" +
			"f.yaml:2: \"${HOST:…\" is cut by a comment: YAML ends the value at a \"#\" after a space or tab, so Flux sees it unclosed, and refuses the file\n" +
			"  hint: quote the scalar (\"${NAME:=a #b}\") to keep the \"#\" in its value, or remove the space before the \"#\"\n" +
			"f.yaml:3: \"${HOST:…\" is cut by a comment: YAML ends the value at a \"#\" after a space or tab, so Flux sees it unclosed, and refuses the file\n" +
			"  hint: quote the scalar (\"${NAME:=a #b}\") to keep the \"#\" in its value, or remove the space before the \"#\"\n" +
			"f.yaml:7: \"${NOPE:…\" is cut by a comment: YAML ends the value at a \"#\" after a space or tab, so Flux sees it unclosed, and refuses the file\n" +
			"  hint: quote the scalar (\"${NAME:=a #b}\") to keep the \"#\" in its value, or remove the space before the \"#\"\n" +
			"f.yaml:8: unterminated \"${NOPE:…\" (Flux's envsubst: unable to parse substitution within function)\n  hint: " + syntaxHint},
	{name: "a placeholder a comment after a tab closes", in: "a: ${NOPE:=x\t#y}\n",
		wantErr: "f.yaml:1: \"${NOPE:…\" is cut by a comment: YAML ends the value at a \"#\" after a space or tab, so Flux sees it unclosed, and refuses the file\n" +
			"  hint: quote the scalar (\"${NAME:=a #b}\") to keep the \"#\" in its value, or remove the space before the \"#\""},
	{name: "a value starting an anchor", in: "${REF}: 1\n",
		wantErr: "f.yaml:1: \"${REF}\": a value there makes YAML read an anchor: its name would be lost (as it would in Flux)\n  hint: quote the placeholder (\"${NAME}\" gives any value as it is), or change the value"},
	{name: "a value starting a tag", in: "a: ${TAG}\nb: ${INT}\nc: x${TAG}\n",
		wantErr: "f.yaml:1: \"${TAG}\": a value there makes YAML read a tag: its first word would be the scalar's type, not part of the value (as it would in Flux)\n  hint: quote the placeholder (\"${NAME}\" gives any value as it is), or change the value\n" +
			"f.yaml:2: \"${INT}\": a value there makes YAML read a tag: its first word would be the scalar's type, not part of the value (as it would in Flux)\n  hint: quote the placeholder (\"${NAME}\" gives any value as it is), or change the value"},
	{name: "a value starting a tag, quoted", in: "a: \"${TAG}\"\nb: '${INT}'\n", want: "a: \"!secret value\"\nb: '!!int 7'\n", fluxDiffers: fluxDropsQuotes},
	{name: "a value starting with a reserved character", in: "a: ${AT}\nb: ${TICK}\nc: ${PCT}\nd: x${AT}\n",
		wantErr: "f.yaml:1: \"${AT}\": a value there makes YAML read a character no plain value may start with (@, ` or %): the file would not parse (Flux refuses it too)\n  hint: quote the placeholder (\"${NAME}\" gives any value as it is), or change the value\n" +
			"f.yaml:2: \"${TICK}\": a value there makes YAML read a character no plain value may start with (@, ` or %): the file would not parse (Flux refuses it too)\n  hint: quote the placeholder (\"${NAME}\" gives any value as it is), or change the value\n" +
			"f.yaml:3: \"${PCT}\": a value there makes YAML read a character no plain value may start with (@, ` or %): the file would not parse (Flux refuses it too)\n  hint: quote the placeholder (\"${NAME}\" gives any value as it is), or change the value"},
	{name: "a value starting with a reserved character, quoted", in: "a: \"${AT}\"\nb: '${TICK}'\n", want: "a: \"@home\"\nb: '`date`'\n", fluxDiffers: fluxDropsQuotes},
	{name: "a value that is a block scalar's header", in: "a: ${PIPE}\n",
		wantErr: "f.yaml:1: \"${PIPE}\": a value there makes YAML read the start of a block scalar: the value would be empty (as it would in Flux)\n  hint: quote the placeholder (\"${NAME}\" gives any value as it is), or change the value"},
	{name: "a value that is an alias of an anchor the file has", in: "a: &base {x: 1}\nb: ${ALIAS}\n",
		wantErr: "f.yaml:2: \"${ALIAS}\": a value there makes YAML read an alias: the value of the anchor it names would be copied in (Flux, which writes the object out without anchors first, refuses it)\n  hint: quote the placeholder (\"${NAME}\" gives any value as it is), or change the value"},
	{name: "those values quoted", in: "color: \"${COLOR}\"\npw: 'pw-${PW}'\nref: \"${REF}\"\nc: ${HOST} # ${COLOR}\nb: |\n  ${PW}\n",
		want: "color: \"#ff0000\"\npw: 'pw-p@ss #1'\nref: \"&x y\"\nc: redis.svc # ${COLOR}\nb: |\n  p@ss #1\n", fluxDiffers: fluxDropsQuotes},
	// Flux substitutes the object kustomize built, which has no comments:
	// a placeholder in one is never evaluated, so neither an unset
	// variable nor a malformed expression there is an error. Text that
	// only looks like a comment (a block scalar's line, the inside of a
	// quoted string) is substituted.
	{name: "comments are left as written", in: "# ${NOPE} $${HOST}\na: ${HOST} # was ${OLD} and ${X\n  # ${NOPE^^}\nb: 1 #${NOPE}\n--- # ${NOPE}\nc: 2\n",
		want: "# ${NOPE} $${HOST}\na: redis.svc # was ${OLD} and ${X\n  # ${NOPE^^}\nb: 1 #${NOPE}\n--- # ${NOPE}\nc: 2\n"},
	{name: "a # line of a block scalar is substituted", in: "run: |\n  # ${HOST}\n  echo ${NUM} # ${HOST}\n# ${NOPE}\nq: \"a\n  # ${HOST}\"\n",
		want: "run: |\n  # redis.svc\n  echo 3 # redis.svc\n# ${NOPE}\nq: \"a\n  # redis.svc\"\n"},
	{name: "a file commented out whole", in: "# apiVersion: v1\n# image: ${NOPE}\n\n  # ${NOPE^^}\n", want: "# apiVersion: v1\n# image: ${NOPE}\n\n  # ${NOPE^^}\n"},
	{name: "a comment right after a quoted string or a flow collection", in: "a: \"${HOST}\"# ${NOPE}\nb: [x]#${NOPE}\nc: 'y'# ${NOPE}\nd: x\"#${HOST}\n",
		want: "a: \"redis.svc\"# ${NOPE}\nb: [x]#${NOPE}\nc: 'y'# ${NOPE}\nd: x\"#redis.svc\n"},
	{name: "a comment below a block scalar of a nested list", in: "- - |\n    x\n  # ${NOPE}\n- ${HOST}\n",
		want: "- - |\n    x\n  # ${NOPE}\n- redis.svc\n"},
	{name: "an unset variable in a block scalar's # line is still an error", in: "# ${NOPE}\nrun: |\n  # ${NOPE}\n",
		wantErr: "f.yaml:3: variable NOPE is not set\n  hint: set NOPE in the environment's vars or give a default: ${NOPE:=value}; for a literal ${NOPE} that another program reads, write $${NOPE}"},
	{name: "a quoted # on the line of a comment", in: "a: \"x # ${HOST}\" # ${NOPE}\nb: 'y #' # ${NOPE}\nc: \"${WIN} # x\" # ${NOPE}\n",
		want: "a: \"x # redis.svc\" # ${NOPE}\nb: 'y #' # ${NOPE}\nc: \"C:\\\\new\\\\table # x\" # ${NOPE}\n"},
	{name: "not YAML before substitution: comments substituted as text", in: "a: [${HOST}] # ${NUM}\n",
		want: "a: [redis.svc] # 3\n"},
	{name: "not YAML before substitution: text substitution", in: "a: [${WIN}]\nb: \"${WIN}\"\n", want: "a: [C:\\new\\table]\nb: \"C:\\new\\table\"\n"},
	{name: "the other documents of such a file", in: "a: '${Q}'\n---\na: [${WIN}]\n--- # x\nb: \"${WIN}\"\n...\n---\nc: '${Q}'\n",
		want: "a: 'it''s'\n---\na: [C:\\new\\table]\n--- # x\nb: \"C:\\\\new\\\\table\"\n...\n---\nc: 'it''s'\n"},
	{name: "a value that splits a flow item", in: "a: 1\nargs: [sh, -c, ${LIST}]\n",
		wantErr: "f.yaml:2: \"${LIST}\" inside a flow collection ([…] or {…}): a value there changes the collection (YAML reads a \",\", \"]\", \"}\", \" #\" or \": \" in it as syntax, and an empty value drops the item)\n" + flowHint},
	{name: "a value that ends a flow mapping", in: "env: [{name: A, value: ${CLOSE}}, {name: B, value: ${HOST}}]\n",
		wantErr: "f.yaml:1: \"${CLOSE}\" inside a flow collection ([…] or {…}): a value there changes the collection (YAML reads a \",\", \"]\", \"}\", \" #\" or \": \" in it as syntax, and an empty value drops the item)\n" + flowHint},
	{name: "an empty value drops a flow item", in: "---\nkind: X\n---\nargs: [a, ${EMPTY}]\n",
		wantErr: "f.yaml:4: \"${EMPTY}\" inside a flow collection ([…] or {…}): a value there changes the collection (YAML reads a \",\", \"]\", \"}\", \" #\" or \": \" in it as syntax, and an empty value drops the item)\n" + flowHint},
	{name: "a comment cuts a flow collection", in: "args: [a, ${PW}, b]\n",
		wantErr: "f.yaml:1: \"${PW}\" inside a flow collection ([…] or {…}): a value there changes the collection (YAML reads a \",\", \"]\", \"}\", \" #\" or \": \" in it as syntax, and an empty value drops the item)\n" + flowHint},
	{name: "a value beside a nested default splits a flow item", in: "args: [${NOPE:=${HOST}}, ${LIST}]\n",
		wantErr: "f.yaml:1: \"${LIST}\" inside a flow collection ([…] or {…}): a value there changes the collection (YAML reads a \",\", \"]\", \"}\", \" #\" or \": \" in it as syntax, and an empty value drops the item)\n" + flowHint},
	{name: "a value right after another splits a flow item", in: "args: [${HOST}${LIST}]\n",
		wantErr: "f.yaml:1: \"${HOST}\", \"${LIST}\" inside a flow collection ([…] or {…}): a value there changes the collection (YAML reads a \",\", \"]\", \"}\", \" #\" or \": \" in it as syntax, and an empty value drops the item)\n" + flowHint},
	{name: "a value after an escaped $ splits a flow item", in: "args: [$$${LIST}]\n",
		wantErr: "f.yaml:1: \"${LIST}\" inside a flow collection ([…] or {…}): a value there changes the collection (YAML reads a \",\", \"]\", \"}\", \" #\" or \": \" in it as syntax, and an empty value drops the item)\n" + flowHint},
	{name: "nested and escaped placeholders that keep their flow collection", in: "args: [${NOPE:=${HOST}}, $$${HOST}, ${HOST}${NUM}, x$$]\n",
		want: "args: [redis.svc, $redis.svc, redis.svc3, x$]\n"},
	{name: "a quoted value in a document that is substituted as text", in: "args: [\"${WIN}\", ${HOST}]\n",
		wantErr: "f.yaml:1: \"${WIN}\" in a quoted string inside a flow collection ([…] or {…}): a value there holds what its quotes read as syntax (\\ or \" in double quotes, ' in single quotes), " +
			"and this document is substituted as text: YAML cannot read it before substitution, for an unquoted placeholder inside […] or {…}\n" +
			"  hint: quote every placeholder inside […] or {…} of this document (\"${NAME}\"): then YAML reads it, and a quoted placeholder gets any value as it is"},
	{name: "the value that breaks a flow collection, not a quoted one beside it", in: "args: [\"${LIST}\", ${CLOSE}]\n",
		wantErr: "f.yaml:1: \"${CLOSE}\" inside a flow collection ([…] or {…}): a value there changes the collection (YAML reads a \",\", \"]\", \"}\", \" #\" or \": \" in it as syntax, and an empty value drops the item)\n" + flowHint},
	{name: "a quote that ends a quoted item of a document substituted as text", in: "args: ['${Q}', ${HOST}]\n",
		wantErr: "f.yaml:1: \"${Q}\" in a quoted string inside a flow collection ([…] or {…}): a value there holds what its quotes read as syntax (\\ or \" in double quotes, ' in single quotes), " +
			"and this document is substituted as text: YAML cannot read it before substitution, for an unquoted placeholder inside […] or {…}\n" +
			"  hint: quote every placeholder inside […] or {…} of this document (\"${NAME}\"): then YAML reads it, and a quoted placeholder gets any value as it is"},
	{name: "values that keep their flow collection", in: "args: [a, ${HOST}, \"${LIST}\", x-${HOST}-y, ${NUM}, $${LIST}]\nm: {k: ${HOST}, ${KEY}: v, d: ${NOPE:=dflt}}\nb: ${LIST}\n",
		want: "args: [a, redis.svc, \"echo a, b\", x-redis.svc-y, 3, ${LIST}]\nm: {k: redis.svc, key: v, d: dflt}\nb: echo a, b\n"},
	// YAML ends a line at a carriage return, U+0085, U+2028 and U+2029
	// too; Flux removes only \n from values. Unquoted, the rest of the
	// value would be read as YAML: a key, a comment (a secret var's rest
	// escaped every check of its forms).
	{name: "line break in a plain scalar", in: "a: ${LS}\nb: x${CR}\n",
		wantErr: "f.yaml:1: a value substituted for \"${LS}\" holds a line break (a carriage return, U+0085, U+2028 or U+2029), which ends the line there: YAML would read the rest of the value as YAML (as it would in Flux, which removes only \\n)\n" + breakHint + "\n" +
			"f.yaml:2: a value substituted for \"${CR}\" holds a line break (a carriage return, U+0085, U+2028 or U+2029), which ends the line there: YAML would read the rest of the value as YAML (as it would in Flux, which removes only \\n)\n" + breakHint},
	// A line that holds a break already (in a default it does not use)
	// still may not take one from a value.
	{name: "line break beside one in the text", in: "a: ${CR}${HOST:=\r}\n",
		wantErr: "f.yaml:1: a value substituted for \"${CR}\" holds a line break (a carriage return, U+0085, U+2028 or U+2029), which ends the line there: YAML would read the rest of the value as YAML (as it would in Flux, which removes only \\n)\n" + breakHint},
	{name: "line break in a block scalar", in: "a: |\n  ${NEL}\n",
		wantErr: "f.yaml:2: a value substituted for \"${NEL}\" holds a line break (a carriage return, U+0085, U+2028 or U+2029), which ends the line there: YAML would read the rest of the value as YAML (as it would in Flux, which removes only \\n)\n" + breakHint},
	{name: "lines counted over documents", in: "a: 1\n---\nb: 2\n---\nc: ${COLOR}\n",
		wantErr: "f.yaml:5: \"${COLOR}\": a value there makes YAML read a comment: the rest of the value would be lost (as it would in Flux)\n  hint: quote the placeholder (\"${NAME}\" gives any value as it is), or change the value"},
}

const breakHint = "  hint: quote the placeholder (\"${NAME}\" gives any value as it is), or remove the line break from the value"

const flowHint = "  hint: quote the placeholder (\"${NAME}\" gives any value as it is), or write the collection in block style; " +
	"kustomize, which Flux runs before it substitutes, cannot read an unquoted placeholder inside […] or {…} at all"

// TestSubstituteYAML: a quoted placeholder gets the value as it is, as
// Flux gives it; everything else is Substitute's.
func TestSubstituteYAML(t *testing.T) {
	t.Parallel()
	for _, tc := range yamlCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, _, err := SubstituteYAML([]byte(tc.in), "f.yaml", yamlVars)
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("SubstituteYAML() = %q, want an error", got)
				}
				if diff := cmp.Diff(tc.wantErr, err.Error()); diff != "" {
					t.Errorf("error (-want +got):\n%s", diff)
				}
				for _, e := range diag.Flatten(err) {
					var de *diag.Error
					if !errors.As(e, &de) || de.Line == 0 {
						t.Errorf("error %q has no line", e)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := tc.want
			if want == "" {
				w, _, err := Substitute([]byte(tc.in), "f.yaml", yamlVars)
				if err != nil {
					t.Fatal(err)
				}
				want = string(w)
			}
			if diff := cmp.Diff(want, string(got)); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSubstituteYAMLFluxParity: for every case Flux can read, the values
// kiln gives are the values Flux gives: kustomize-controller substitutes
// the object as kustomize's Resource.AsYAML writes it (JSON to YAML with
// sigs.k8s.io/yaml, so no quotes the file had) and reads the result with
// sigs.k8s.io/yaml again (github.com/fluxcd/pkg/kustomize, varSubstitution).
func TestSubstituteYAMLFluxParity(t *testing.T) {
	t.Parallel()
	n := 0
	for _, tc := range yamlCases {
		if tc.wantErr != "" || tc.fluxDiffers != "" || strings.Contains(tc.in, "---") {
			continue
		}
		j, err := sigsyaml.YAMLToJSON([]byte(tc.in))
		if err != nil {
			continue // kustomize cannot read the file: Flux substitutes nothing
		}
		asYAML, err := sigsyaml.JSONToYAML(j)
		if err != nil {
			t.Fatal(err)
		}
		fluxText, err := fluxEval(string(asYAML), yamlVars)
		if err != nil {
			t.Fatalf("case %q: Flux refuses it: %v", tc.name, err)
		}
		want, err := sigsyaml.YAMLToJSON([]byte(fluxText))
		if err != nil {
			continue // Flux fails on the value (a carriage return in a plain scalar)
		}
		got, _, err := SubstituteYAML([]byte(tc.in), "f.yaml", yamlVars)
		if err != nil {
			t.Fatal(err)
		}
		gotJ, err := sigsyaml.YAMLToJSON(got)
		if err != nil {
			t.Fatalf("case %q: kiln's output does not read: %v\n%s", tc.name, err, got)
		}
		var w, g any
		if err := json.Unmarshal(want, &w); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(gotJ, &g); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(w, g); diff != "" {
			t.Errorf("case %q: kiln's values differ from Flux's (-flux +kiln):\n%s", tc.name, diff)
		}
		n++
	}
	if n < 10 {
		t.Fatalf("only %d cases compared", n)
	}
}

func FuzzSubstituteYAML(f *testing.F) {
	for _, tc := range yamlCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		_, names, err := SubstituteYAML([]byte(in), "f.yaml", yamlVars)
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
			if _, ok := yamlVars[n]; !ok {
				t.Fatalf("names lists %q, which vars does not hold", n)
			}
		}
	})
}

// TestFlowProperty checks the flow check against what it promises, on
// generated flow lists: items that are words, quoted placeholders, or
// plain placeholders after nothing, a word, another placeholder, a nested
// default or an escaped $; values from a pool of YAML's syntax. What
// SubstituteYAML accepts reads as the list of the values (none split,
// cut or dropped), or is not YAML at all (an error when the objects are
// read: never a silent change); what it refuses would not have read so.
func TestFlowProperty(t *testing.T) {
	t.Parallel()
	pool := []string{"a", "a b", "1", "", " ", "a, b", "x]", "x}", "a #b", "a#b", "a: b", "a:b", "x:", "#x",
		"http://x:1", "é", "*x", "&x", "!x", "?x", "- x", "|", "'q'", "\"q\"", "a'b", "a\"b", "a\\b", "%x", "@x",
		"null", "[a]", "{a: b}", "a\tb", "---"}
	r := rand.New(rand.NewSource(1))
	for range 5000 {
		w := pool[r.Intn(len(pool))]
		vars := map[string]string{"W": w}
		var src, text, want []string
		for i := range 1 + r.Intn(3) {
			name, v := fmt.Sprintf("V%d", i), pool[r.Intn(len(pool))]
			vars[name] = v
			switch r.Intn(4) {
			case 0:
				src, text, want = append(src, "lit"), append(text, "lit"), append(want, "lit")
			case 1:
				src, text, want = append(src, `"${`+name+`}"`), append(text, `"`+v+`"`), append(want, v)
			default:
				pre := []string{"", "p-", "${W}", "${NOPE:=${W}}", "$$"}[r.Intn(5)]
				preText := map[string]string{"${W}": w, "${NOPE:=${W}}": w, "$$": "$"}[pre]
				if preText == "" && !strings.HasPrefix(pre, "$") {
					preText = pre
				}
				src, text, want = append(src, pre+"${"+name+"}"), append(text, preText+v), append(want, strings.Trim(preText+v, " \t"))
			}
		}
		in := "args: [" + strings.Join(src, ", ") + "]\n"
		out, _, err := SubstituteYAML([]byte(in), "f.yaml", vars)
		if err == nil && yaml.Unmarshal(out, new(any)) == nil && !readsAsList(out, want) {
			t.Errorf("SubstituteYAML(%q) with %q = %q, want the list %q or an error", in, vars, out, want)
		}
		if err != nil && readsAsList([]byte("args: ["+strings.Join(text, ", ")+"]\n"), want) {
			t.Errorf("SubstituteYAML(%q) with %q refuses values that keep the list: %v", in, vars, err)
		}
	}
}

// readsAsList reports whether data is args: with exactly the strings want.
func readsAsList(data []byte, want []string) bool {
	var doc struct{ Args []yaml.Node }
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Args) != len(want) {
		return false
	}
	for i, n := range doc.Args {
		if n.Kind != yaml.ScalarNode || n.Value != want[i] {
			return false
		}
	}
	return true
}

// TestCommentsReadAFileABoundedTimes: telling a comment from text that
// looks like one reads a document again, up to 64 times when some of its
// "#" lines are text; over a file of many such documents that was 64
// times the file (half a minute for 2 MB). The reads of one file are
// bounded together; past the bound a comment is substituted as any line,
// and the documents before it keep theirs as written.
func TestCommentsReadAFileABoundedTimes(t *testing.T) {
	var b strings.Builder
	for range 300 {
		b.WriteString("---\n")
		for range 10 {
			b.WriteString("- \"x # ${HOST}\"\n- a # ${NUM}\n")
		}
	}
	data := []byte(b.String())
	s := newScanner("f.yaml", yamlVars)
	s.commentLimit = commentReadLimit(len(data))
	out, _, err := s.run(s.quoted(data))
	if err != nil {
		t.Fatal(err)
	}
	// Eight times the file, and 1 MiB (commentReadLimit).
	if limit := 8*len(data) + 1<<20; s.commentRead > limit {
		t.Errorf("comments read %d bytes of a %d-byte file again, more than %d", s.commentRead, len(data), limit)
	}
	if want := "---\n- \"x # redis.svc\"\n- a # ${NUM}\n"; !strings.HasPrefix(string(out), want) {
		t.Errorf("the first document lost its comments:\n%.200s", out)
	}
}

// TestCommentsNoMoreReadsInAFileThanAlone: a document of a file is held
// to the reads it would get as a file of its own. The yaml engine
// substitutes a file with SOPS documents whole first (for its errors),
// then a document at a time (for its text): a document whose comment the
// whole file's larger budget confirmed, and its own did not, failed there
// on the comment's unset variable after the whole file had passed.
func TestCommentsNoMoreReadsInAFileThanAlone(t *testing.T) {
	var b strings.Builder
	b.WriteString("---\nscript: |\n")
	for b.Len() < 40000 {
		b.WriteString("  echo some line of a long script\n")
	}
	b.WriteString("list:\n")
	for range 24 {
		b.WriteString("- \"x # ${HOST}\"\n")
	}
	b.WriteString("# ${NOPE}\n")
	doc := b.String()
	big := "data: {a: \"" + strings.Repeat("y", 200000) + "\"}\n"
	_, _, errAlone := SubstituteYAML([]byte(doc), "f.yaml", yamlVars)
	_, _, errInFile := SubstituteYAML([]byte(big+doc), "f.yaml", yamlVars)
	if (errAlone == nil) != (errInFile == nil) {
		t.Errorf("alone: %v\nin a file: %v", errAlone, errInFile)
	}
}
