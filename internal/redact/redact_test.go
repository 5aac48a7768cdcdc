package redact

import (
	"bytes"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	gojsonnet "github.com/google/go-jsonnet"
	"gopkg.in/yaml.v3"
	sigsyaml "sigs.k8s.io/yaml"
)

// testValues are secret values chosen to exercise every escape: HTML-safe
// JSON, control characters, quotes, non-ASCII, several lines.
var testValues = map[string]string{
	"PLAIN":   "hunter2hunter2",
	"HTMLISH": "P@ss<w0rd>&1",
	"TAB":     "tab\tsecret",
	"NEWLINE": "first\nsecond-line",
	"QUOTES":  `it's "quoted" $HOME\back`,
	"UNICODE": "pässwörd✓𝄞",
	"PEM": "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n" +
		"VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n-----END RSA PRIVATE KEY-----\n",
}

// producers put a value into text the way kiln's engines, serialisers and
// templates can: each must be found, and masking must leave nothing found.
var producers = map[string]func(t *testing.T, v string) string{
	"raw in a sentence": func(_ *testing.T, v string) string { return "password is " + v + " ok" },
	"double quoted":     func(_ *testing.T, v string) string { return `pw="` + v + `"` },
	// jsonnet's std.toString(std.encodeUTF8(v)), inside a longer list,
	// and std.manifestJsonMinified of it.
	"bytes as numbers": func(_ *testing.T, v string) string { return "[1, 2, " + decimalBytes(v, ", ") + ", 3]" },
	"bytes minified":   func(_ *testing.T, v string) string { return `{"b":[` + decimalBytes(v, ",") + `]}` },
	// Laid out by a serialiser: std.manifestJson's one a line, YAML's
	// "- " items, space-joined; inside a longer list.
	"bytes one a line": func(_ *testing.T, v string) string {
		return "{\n   \"b\": [\n      9,\n      " + decimalBytes(v, ",\n      ") + "\n   ]\n}"
	},
	"bytes as a YAML list": func(_ *testing.T, v string) string { return "b:\n  - 1\n  - " + decimalBytes(v, "\n  - ") + "\nc: x" },
	"bytes space-joined":   func(_ *testing.T, v string) string { return "bytes " + decimalBytes(v, " ") + " end" },
	"json html-safe": func(t *testing.T, v string) string {
		b, err := json.Marshal(map[string]string{"password": v, "user": "admin"})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	},
	"json no html escaping": func(t *testing.T, v string) string {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(map[string]string{"password": "x" + v + "y"}); err != nil {
			t.Fatal(err)
		}
		return b.String()
	},
	"json inside json": func(t *testing.T, v string) string {
		inner, _ := json.Marshal(map[string]string{"pw": v})
		b, _ := json.Marshal(map[string]string{"config.json": string(inner)})
		return string(b)
	},
	"yaml.v3 double quoted": func(t *testing.T, v string) string {
		n := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
			{Kind: yaml.ScalarNode, Value: "pw"}, {Kind: yaml.ScalarNode, Style: yaml.DoubleQuotedStyle, Value: "pre " + v},
		}}
		b, err := yaml.Marshal(n)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	},
	"yaml.v3 single quoted": func(t *testing.T, v string) string {
		if strings.ContainsAny(v, "\t\n") || !isPrintable(v) {
			return v // single quotes cannot hold these; yaml switches style
		}
		n := &yaml.Node{Kind: yaml.ScalarNode, Style: yaml.SingleQuotedStyle, Value: "x: " + v}
		b, err := yaml.Marshal(n)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	},
	"yaml.v3 default style": func(t *testing.T, v string) string {
		b, err := yaml.Marshal(map[string]any{"data": map[string]string{"pw": v}})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	},
	"sigs.k8s.io/yaml (helm toYaml)": func(t *testing.T, v string) string {
		b, err := sigsyaml.Marshal(map[string]any{"a": map[string]string{"pw": v}})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	},
	"go %q (sprig quote)": func(_ *testing.T, v string) string { return "x=" + strconv.Quote(v) },
	"go %+q ascii":        func(_ *testing.T, v string) string { return "x=" + strconv.QuoteToASCII(v) },
	"html escaped":        func(_ *testing.T, v string) string { return "<p>" + html.EscapeString(v) + "</p>" },
	"base64 std":          func(_ *testing.T, v string) string { return base64.StdEncoding.EncodeToString([]byte(v)) },
	"base64 url":          func(_ *testing.T, v string) string { return base64.URLEncoding.EncodeToString([]byte(v)) },
	"base64 std unpadded": func(_ *testing.T, v string) string { return base64.RawStdEncoding.EncodeToString([]byte(v)) },
	"base64 url unpadded": func(_ *testing.T, v string) string { return base64.RawURLEncoding.EncodeToString([]byte(v)) },
	"base64 .env at offset 0": func(_ *testing.T, v string) string {
		return base64.StdEncoding.EncodeToString([]byte("PASSWORD=" + v + "\nUSER=me\n"))
	},
	"base64 .env at offset 1": func(_ *testing.T, v string) string {
		return base64.StdEncoding.EncodeToString([]byte("DB_PASSWORD=" + v + "\nX=1\n"))
	},
	"base64 .env at offset 2": func(_ *testing.T, v string) string {
		return base64.URLEncoding.EncodeToString([]byte("A_PASSWORD=" + v + "\nX=1\n"))
	},
	"base64 of a json file": func(_ *testing.T, v string) string {
		b, _ := json.Marshal(map[string]string{"password": v})
		return base64.StdEncoding.EncodeToString(b)
	},
	"docker config.json in a Secret's data": func(t *testing.T, v string) string {
		// kubernetes.io/dockerconfigjson: base64 of a JSON file whose
		// auth is base64("user:token").
		auth := base64.StdEncoding.EncodeToString([]byte("kiln-bot:" + v))
		b, err := json.Marshal(map[string]any{"auths": map[string]any{"ghcr.io": map[string]string{"auth": auth}}})
		if err != nil {
			t.Fatal(err)
		}
		return ".dockerconfigjson: " + base64.StdEncoding.EncodeToString(b)
	},
	// kustomize's secretGenerator (kyaml) writes lines of 70, MIME of 76
	// with CRLF: a value some 50 bytes into its file is cut by a line break.
	"base64 in lines (kustomize), block scalar": func(_ *testing.T, v string) string {
		return "pw: |\n    " + wrap(base64.StdEncoding.EncodeToString([]byte(strings.Repeat("#", 48)+v+"\n")), 70, "\n    ") + "\nx: y"
	},
	"base64 in lines (kustomize), quoted in a message": func(_ *testing.T, v string) string {
		return "Invalid value: " + strconv.Quote(wrap(base64.StdEncoding.EncodeToString([]byte(strings.Repeat("#", 49)+v)), 70, "\n")+"\n") + ": must be"
	},
	"base64 in lines (MIME) inside JSON": func(t *testing.T, v string) string {
		b, err := json.Marshal(map[string]string{"b": wrap(base64.StdEncoding.EncodeToString([]byte(strings.Repeat("#", 53)+v)), 76, "\r\n")})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	},
	// The value's lines after text glued to its first (a replacement's
	// delimiter "app-", an env file's "TOKEN=", an escape's letter): its
	// first line is longer than the others, and the value past two lines.
	"base64 in lines after a replacement's delimiter": func(_ *testing.T, v string) string {
		return "Invalid value: " + strconv.Quote("app-"+wrap(base64.StdEncoding.EncodeToString([]byte(strings.Repeat("#", 100)+v)), 70, "\n")+"\n") + ": must be"
	},
	"base64 in lines after TOKEN= in a block scalar": func(_ *testing.T, v string) string {
		return "env: |\n  TOKEN=" + wrap(base64.StdEncoding.EncodeToString([]byte(strings.Repeat("#", 100)+v+"\n")), 70, "\n  ") + "\nx: y"
	},
	"base64 in lines after an escaped line break": func(_ *testing.T, v string) string {
		return "Invalid value: " + strconv.Quote("key:\n"+wrap(base64.StdEncoding.EncodeToString([]byte(strings.Repeat("#", 100)+v)), 76, "\n")+"\n") + ": must be"
	},
	"base32 (sprig b32enc)": func(_ *testing.T, v string) string { return base32.StdEncoding.EncodeToString([]byte("k=" + v)) },
	"hex lower":             func(_ *testing.T, v string) string { return "0x" + hex.EncodeToString([]byte(v)) },
	"hex upper":             func(_ *testing.T, v string) string { return strings.ToUpper(hex.EncodeToString([]byte(v))) },
	"url query":             func(_ *testing.T, v string) string { return "https://x.example/?pw=" + url.QueryEscape(v) + "&a=b" },
	"url path":              func(_ *testing.T, v string) string { return "postgres://db.example/" + url.PathEscape(v) + "/x" },
	"sha256 (sprig sha256sum)": func(_ *testing.T, v string) string {
		s := sha256.Sum256([]byte(v))
		return "checksum/pw: " + hex.EncodeToString(s[:])
	},
	"re-indented lines (helm indent)": func(_ *testing.T, v string) string {
		return "key: |\n" + "      " + strings.ReplaceAll(v, "\n", "\n      ")
	},
	"jsonnet std.manifestJson":  jsonnetProducer(`std.manifestJson({pw: std.extVar("v")})`),
	"jsonnet std.base64":        jsonnetProducer(`std.base64(std.encodeUTF8(std.extVar("v")))`),
	"jsonnet base64 of a .env":  jsonnetProducer(`std.base64(std.encodeUTF8("K=" + std.extVar("v") + "\n"))`),
	"jsonnet escapeStringBash":  jsonnetProducer(`std.escapeStringBash(std.extVar("v"))`),
	"jsonnet escapeStringXML":   jsonnetProducer(`std.escapeStringXML(std.extVar("v"))`),
	"jsonnet manifestYamlDoc":   jsonnetProducer(`std.manifestYamlDoc({pw: std.extVar("v")})`),
	"jsonnet escapeStringDollr": jsonnetProducer(`std.escapeStringDollars(std.extVar("v"))`),
	"jsonnet std.md5":           jsonnetProducer(`std.md5(std.extVar("v"))`),
	"jsonnet std.sha512":        jsonnetProducer(`std.sha512(std.extVar("v"))`),
	// jsonnet's fifth digest, SHA3-512: as much a guessing oracle.
	"jsonnet std.sha3": jsonnetProducer(`std.sha3(std.extVar("v"))`),
}

// wrap breaks s into lines of n characters joined by sep.
func wrap(s string, n int, sep string) string {
	var lines []string
	for len(s) > n {
		lines = append(lines, s[:n])
		s = s[n:]
	}
	return strings.Join(append(lines, s), sep)
}

func jsonnetProducer(code string) func(t *testing.T, v string) string {
	return func(t *testing.T, v string) string {
		vm := gojsonnet.MakeVM()
		vm.ExtVar("v", v)
		out, err := vm.EvaluateAnonymousSnippet("t.jsonnet", code)
		if err != nil {
			t.Fatal(err)
		}
		// kiln parses jsonnet's JSON output: the string itself lands in
		// the object, not its JSON spelling.
		var s string
		if err := json.Unmarshal([]byte(out), &s); err != nil {
			t.Fatal(err)
		}
		return s
	}
}

func isPrintable(s string) bool {
	for _, r := range s {
		if !strconv.IsPrint(r) {
			return false
		}
	}
	return true
}

// TestFormsTable is the values × forms table: every value, put into text
// by every producer, is found and names its var, and once masked nothing of
// it is found any more.
func TestFormsTable(t *testing.T) {
	t.Parallel()
	r := New(testValues)
	for name, v := range testValues {
		for pname, produce := range producers {
			t.Run(name+"/"+pname, func(t *testing.T) {
				t.Parallel()
				text := produce(t, v)
				if got := r.Found(text); !contains(got, name) {
					t.Fatalf("Found(%q) = %v, want %s", text, got, name)
				}
				if got := r.FoundBytes([]byte(text)); !contains(got, name) {
					t.Fatalf("FoundBytes = %v, want %s", got, name)
				}
				masked := r.String(text)
				if got := r.Found(masked); len(got) > 0 {
					t.Errorf("after masking, still found %v in %q", got, masked)
				}
				if !strings.Contains(masked, Mask) {
					t.Errorf("nothing masked in %q", masked)
				}
				if b := string(r.Bytes([]byte(text))); b != masked {
					t.Errorf("Bytes and String differ: %q vs %q", b, masked)
				}
			})
		}
	}
}

// TestDecimalRunsLeaveNumbersAlone: ordinary numbers (ports, addresses,
// versions, dates) are not masked, and a run that spells no secret is
// left as it is; so are lines of base64 or words that spell none.
func TestDecimalRunsLeaveNumbersAlone(t *testing.T) {
	t.Parallel()
	r := New(map[string]string{"PW": "Hunter2Secret!x"})
	for _, s := range []string{
		"ports: [80, 443, 8080, 9090, 10250]",
		"10.0.0.1 10.0.0.2 192.168.1.1",
		"version 1.2.3, 2024-01-02, 1000 replicas",
		"[72, 117, 110, 116, 101, 114]", // the value's first bytes only
		// Lines of base64 that spell no secret, and words in lines.
		wrap(base64.StdEncoding.EncodeToString([]byte(strings.Repeat("no secret here ", 20))), 70, "\n"),
		"abcdefghijklmnopqrstuvwxyz\nabcdefghijklmnopqrstuvwxyz\nHunter2",
	} {
		if got := r.String(s); got != s {
			t.Errorf("String(%q) = %q", s, got)
		}
		if f := r.Found(s); len(f) > 0 {
			t.Errorf("Found(%q) = %v", s, f)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestRedactor(t *testing.T) {
	t.Parallel()
	r := New(map[string]string{"DB_PASSWORD": "hunter2hunter2", "SHORT": "on", "API": "hunter2", "EMPTY": ""})
	tests := []struct {
		name, in, want string
		found          []string
	}{
		{name: "overlapping values are masked whole", in: "pw=hunter2hunter2 api=hunter2", want: "pw=**redacted** api=**redacted**", found: []string{"API", "DB_PASSWORD"}},
		{name: "short values are left alone", in: "enabled: on", want: "enabled: on"},
		{name: "nothing to hide", in: "replicas: 3", want: "replicas: 3"},
		{name: "base64 alone is masked to its padding", in: "pw: " + base64.StdEncoding.EncodeToString([]byte("hunter2")) + " url: " + base64.URLEncoding.EncodeToString([]byte("hunter2hunter2")), want: "pw: **redacted** url: **redacted**", found: []string{"API", "DB_PASSWORD"}},
		{name: "base64 in a longer blob", in: "data: " + base64.StdEncoding.EncodeToString([]byte("x=hunter2\n")), want: "data: eD1**redacted**Cg==", found: []string{"API"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := r.String(tt.in); got != tt.want {
				t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if diff := cmp.Diff(tt.found, r.Found(tt.in)); diff != "" {
				t.Errorf("Found (-want +got):\n%s", diff)
			}
		})
	}
	if diff := cmp.Diff([]string{"SHORT"}, r.Short()); diff != "" {
		t.Errorf("Short (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"API", "DB_PASSWORD"}, r.Names()); diff != "" {
		t.Errorf("Names (-want +got):\n%s", diff)
	}
	var nilR *Redactor
	if nilR.String("x") != "x" || nilR.Found("x") != nil || !nilR.Empty() {
		t.Error("a nil Redactor must pass text through")
	}
}

// TestStringCut: a text cut short may end inside a form, whose start no
// search for whole forms finds; StringCut masks such an end too, once it
// is MinLength bytes or more, and everything String masks.
func TestStringCut(t *testing.T) {
	t.Parallel()
	r := New(map[string]string{"PW": `correct horse "battery" staple`})
	for _, tt := range []struct{ name, in, want string }{
		{name: "escaped form cut at a quote", in: `error: {"pw":"correct horse \"battery\"`, want: `error: {"pw":"**redacted**`},
		{name: "plain form cut at a blank", in: "pw: correct horse ", want: "pw: **redacted**"},
		{name: "whole form and a cut one", in: "a correct horse \"battery\" staple b correct", want: "a **redacted** b **redacted**"},
		{name: "too short a start is kept", in: "pw: cor", want: "pw: cor"},
		{name: "a form's start not at the end is kept", in: "correct horses", want: "correct horses"},
		{name: "nothing to hide", in: "replicas: 3", want: "replicas: 3"},
	} {
		if got := r.StringCut(tt.in); got != tt.want {
			t.Errorf("%s: StringCut(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
	var nilR *Redactor
	if nilR.StringCut("correct") != "correct" {
		t.Error("a nil Redactor must pass text through")
	}
}

// TestForms pins the derived forms of one value, so a change to them is
// reviewed.
func TestForms(t *testing.T) {
	t.Parallel()
	got := Forms("P@ss<w0rd>&1")
	for _, want := range []string{
		"P@ss<w0rd>&1",
		`P@ss\u003cw0rd\u003e\u00261`,
		"P@ss&lt;w0rd&gt;&amp;1",
		"UEBzczx3MHJkPiYx", // base64 at offset 0
		"504073733c773072643e2631",
		"P%40ss%3Cw0rd%3E%261",
	} {
		if !contains(got, want) {
			t.Errorf("Forms lacks %q", want)
		}
	}
	for _, f := range got {
		if len(f) < MinLength {
			t.Errorf("form %q is shorter than MinLength", f)
		}
	}
	if Forms("abc") != nil {
		t.Error("a value shorter than MinLength must have no forms")
	}
	pem := Forms(testValues["PEM"])
	if contains(pem, "-----BEGIN RSA PRIVATE KEY-----") {
		t.Error("PEM armour is public and must not be a form")
	}
	if !contains(pem, "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK") {
		t.Error("each line of a multi-line value must be a form")
	}
	// A yaml app inserts a variable without its line breaks, as Flux
	// does: lines too short to be forms of their own make one that is.
	if one := Forms("ab\ncd\nef\n"); !contains(one, "abcdef") || !contains(one, "YWJjZGVm") {
		t.Errorf("Forms of a value of short lines lack the value without its line breaks: %q", one)
	}
}

func TestValue(t *testing.T) {
	t.Parallel()
	r := New(map[string]string{"P": "correct horse battery staple"})
	in := map[string]any{"vars": map[string]any{"P": "correct horse battery staple", "N": 3, "L": []any{"a correct horse battery staple b"}}}
	want := map[string]any{"vars": map[string]any{"P": Mask, "N": 3, "L": []any{"a " + Mask + " b"}}}
	if diff := cmp.Diff(want, r.Value(in)); diff != "" {
		t.Errorf("Value (-want +got):\n%s", diff)
	}
}

func TestWriter(t *testing.T) {
	t.Parallel()
	var s Set
	var out bytes.Buffer
	w := s.Writer(&out)
	fmt.Fprint(w, "before any secret: hunter2hunter2\n")
	s.Add(New(map[string]string{"A": "hunter2hunter2"}))
	fmt.Fprint(w, "split hunter2")
	fmt.Fprint(w, "hunter2 across writes\nand a tail hunter2hunter2")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "before any secret: hunter2hunter2\nsplit **redacted** across writes\nand a tail **redacted**"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://x-access-token:ghp_secret@github.com/acme/x.git": "https://github.com/acme/x.git",
		"https://ghp_secret@github.com/acme/x.git":                "https://github.com/acme/x.git",
		"http://user:pw@example.com/r":                            "http://example.com/r",
		"ssh://git@github.com/acme/x.git":                         "ssh://github.com/acme/x.git",
		"https://github.com/acme/x.git":                           "https://github.com/acme/x.git",
		"https://tok@exa mple.com/%zz":                            "https://exa mple.com/%zz",
		"git@github.com:acme/x.git":                               "git@github.com:acme/x.git",
		"/srv/git/x":                                              "/srv/git/x",
		"https://x:ab/cd/ef@github.com/acme/x.git":                "https://github.com/acme/x.git",
		"https://x:12#34@github.com/acme/x.git":                   "https://github.com/acme/x.git",
		"https://github.com/acme/x.git#main@v1":                   "https://github.com/acme/x.git#main@v1",
		"https://github.com/acme/x@v1.2.git":                      "https://github.com/acme/x@v1.2.git",
		"https://tok/en@github.com/acme/x.git":                    "https://github.com/acme/x.git",
		"https://git.example.com:8443/acme/x@v1.2":                "https://git.example.com:8443/acme/x@v1.2",
	} {
		if got := URL(in); got != want {
			t.Errorf("URL(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestFormsOfSubstitutedValues: a yaml app substitutes a secret var into
// YAML text that is parsed afterwards, so the object holds the value as
// YAML reads it: trimmed by a plain scalar, its escapes resolved by a
// quoted one. Each such value must be found, in the decoded scalar and in
// the YAML kiln writes again. Before, the first three were not found, so
// the gate let them into a ConfigMap and kiln left a Secret holding them
// unencrypted.
func TestFormsOfSubstitutedValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, value, template string
	}{
		{name: "blank at the end, plain", value: "hunter2-secret \t", template: "pw: ${PW}\n"},
		{name: "blank at the start, plain", value: "  hunter2-secret", template: "pw: ${PW}\n"},
		{name: "escape in double quotes", value: `Zx\x419-secret`, template: `pw: "${PW}"` + "\n"},
		{name: "unicode escape in double quotes", value: `p\u00e4ss-secret`, template: `pw: "${PW}"` + "\n"},
		{name: "doubled quote in single quotes", value: "it''s-a-secret", template: "pw: '${PW}'\n"},
		{name: "trailing comment, plain", value: "hunter2-secret #x", template: "pw: ${PW}\n"},
		{name: "newline in a plain scalar", value: "hunter2\n-secret ", template: "pw: ${PW}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := New(map[string]string{"PW": tt.value})
			// As templates/plain substitutes: the value on one line.
			text := strings.ReplaceAll(tt.template, "${PW}", strings.ReplaceAll(tt.value, "\n", ""))
			var doc map[string]string
			if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
				t.Fatal(err)
			}
			if got := r.Found(doc["pw"]); !contains(got, "PW") {
				t.Errorf("the parsed value %q is not found", doc["pw"])
			}
			again, err := yaml.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Found(string(again)); !contains(got, "PW") {
				t.Errorf("the value is not found in the YAML written again:\n%s", again)
			}
			if masked := r.String(doc["pw"]); r.Found(masked) != nil {
				t.Errorf("after masking, still found in %q", masked)
			}
			b64 := base64.StdEncoding.EncodeToString([]byte(doc["pw"]))
			if got := r.Found(b64); !contains(got, "PW") {
				t.Errorf("the parsed value's base64 %q is not found", b64)
			}
		})
	}
}

func TestPublicURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://charts.example.com/stable":                     "https://charts.example.com/stable",
		"https://bot:pw@charts.example.com/stable?sig=abc&sv=1": "https://charts.example.com/stable",
		"https://charts.example.com/stable?":                    "https://charts.example.com/stable",
		"oci://user@registry.example.com/charts":                "oci://registry.example.com/charts",
		"https://bot:p%zz@charts.example.com/x?sig=abc":         "https://charts.example.com/x",
		"https://charts.example.com/x#frag":                     "https://charts.example.com/x#frag",
		// No scheme: url.Parse takes "bot" for one and keeps the rest.
		"bot:Sup3rS3cret@charts.example.com/stable": "charts.example.com/stable",
		"bot:a@b@charts.example.com":                "charts.example.com",
		"charts.example.com/@scope/x":               "charts.example.com/@scope/x",
		// A password with "#", "?" or "/" unescaped: a URL parser sees no
		// user and keeps the password as a fragment, port or path.
		"https://bot:12#34@charts.example.com/x":     "https://charts.example.com/x",
		"https://bot:pw#frag@charts.example.com":     "https://charts.example.com",
		"https://bot:12?34@charts.example.com/x":     "https://charts.example.com/x",
		"https://bot:12/34@charts.example.com/x":     "https://charts.example.com/x",
		"https://bot:1/2/3@charts.example.com/x":     "https://charts.example.com/x",
		"https://bot:a/b?c@localhost:8080/x":         "https://localhost:8080/x",
		"oci://registry.local:5000/c/x@sha256:0abc":  "oci://registry.local:5000/c/x@sha256:0abc",
		"oci://ghcr.io/acme/chart@sha256:0123abcd":   "oci://ghcr.io/acme/chart@sha256:0123abcd",
		"https://charts.example.com/x?email=a@b.com": "https://charts.example.com/x",
	} {
		if got := PublicURL(in); got != want {
			t.Errorf("PublicURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRemoteURL: a remote's URL loses its user part and query, and keeps
// the form git gives it otherwise, scp-like included: a lock names it.
func TestRemoteURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://github.com/acme/app.git":                                 "https://github.com/acme/app.git",
		"https://x-access-token:ghs_T0ken@github.com/acme/app.git":        "https://github.com/acme/app.git",
		"https://git.example.com/acme/app.git?private_token=glpat-S3cret": "https://git.example.com/acme/app.git",
		"https://bot:12?34@git.example.com/app.git":                       "https://git.example.com/app.git",
		"ssh://git@git.example.com:2222/acme/app.git":                     "ssh://git.example.com:2222/acme/app.git",
		"git@github.com:acme/app.git":                                     "git@github.com:acme/app.git",
		"/srv/git/app.git":                                                "/srv/git/app.git",
	} {
		if got := RemoteURL(in); got != want {
			t.Errorf("RemoteURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestWrappedRunMaskedAlone: a value's base64 in lines is masked from its
// first line, text glued before it included, to its last, and no word of
// the line after it is.
func TestWrappedRunMaskedAlone(t *testing.T) {
	t.Parallel()
	token := "Token-Sup3rS3cret-" + strings.Repeat("0123456789", 12)
	in := func(v string, width int, sep string) string {
		return wrap(base64.StdEncoding.EncodeToString([]byte(v)), width, sep)
	}
	for _, tc := range []struct{ name, value, text, want string }{
		{
			name:  "two lines, a key after them",
			value: token[:72],
			text:  "pw: |\n    " + in(token[:72], 70, "\n    ") + "\nx: y",
			want:  "pw: |\n    " + Mask + "\nx: y",
		},
		{
			name:  "three lines after a replacement's delimiter",
			value: token,
			text:  `Invalid value: "app-` + in(token, 70, `\n`) + `\n": must be`,
			want:  `Invalid value: "` + Mask + `\n": must be`,
		},
		{
			name:  "three lines after TOKEN= in a block scalar",
			value: token,
			text:  "env: |\n  TOKEN=" + in(token, 70, "\n  ") + "\n  USER=me\n",
			want:  "env: |\n  " + Mask + "\n  USER=me\n",
		},
	} {
		r := New(map[string]string{"TOKEN": tc.value})
		if got := r.String(tc.text); got != tc.want {
			t.Errorf("%s: String(%q)\n = %q\nwant %q", tc.name, tc.text, got, tc.want)
		}
	}
}

// TestWrappedRunTakesNoWordOfTheNextLine: a run whose last line is as
// long as the others (a value of 57 bytes times its lines at 76, 48 at
// 64), or a value's base64 on one line without padding, may go on with
// any line; the first word of a line that more text follows (a YAML key,
// a sentence) is not base64's last line, nor is a line with text after
// its padding ("USER=me"). A value's last line with text glued after it
// is still masked, and so is what a run needs of it.
func TestWrappedRunTakesNoWordOfTheNextLine(t *testing.T) {
	t.Parallel()
	v76 := strings.Repeat("Sup3rS3cret-76-", 12)[:171]
	v64 := strings.Repeat("Sup3rS3cret-64-", 10)[:144]
	v1 := "Sup3rS3cret-one-line-pw"[:21] // 28 characters, no padding
	b64 := func(v string) string { return base64.StdEncoding.EncodeToString([]byte(v)) }
	for _, tc := range []struct{ name, value, text, want string }{
		{
			name:  "76 wide, a key after it",
			value: v76,
			text:  "a: " + wrap(b64(v76), 76, "\n") + "\nb: c",
			want:  "a: " + Mask + "\nb: c",
		},
		{
			name:  "76 wide, CRLF",
			value: v76,
			text:  "a: " + wrap(b64(v76), 76, "\r\n") + "\r\nb: c\r\n",
			want:  "a: " + Mask + "\r\nb: c\r\n",
		},
		{
			name:  "64 wide in a block scalar, a sentence after it",
			value: v64,
			text:  "pem: |\n  " + wrap(b64(v64), 64, "\n  ") + "\nthe key above is masked",
			want:  "pem: |\n  " + Mask + "\nthe key above is masked",
		},
		{
			name:  "escaped line breaks in a message",
			value: v76,
			text:  `Invalid value: "` + wrap(b64(v76), 76, `\n`) + `\nb: c"`,
			want:  `Invalid value: "` + Mask + `\nb: c"`,
		},
		{
			name:  "one line without padding, a key after it",
			value: v1,
			text:  "data:\n  pw: " + b64(v1) + "\n  user: YWRtaW4=\n",
			want:  "data:\n  pw: " + Mask + "\n  user: YWRtaW4=\n",
		},
		{
			name:  "after TOKEN=, an env line after the last full line",
			value: v76,
			text:  "env: |\n  TOKEN=" + wrap(b64(v76), 76, "\n  ") + "\n  USER=me\n",
			want:  "env: |\n  " + Mask + "\n  USER=me\n",
		},
		{
			name:  "76 wide, a sentence with an apostrophe after it",
			value: v76,
			text:  "a: " + wrap(b64(v76), 76, "\n") + "\nit's shown",
			want:  "a: " + Mask + "\nit's shown",
		},
		{
			name:  "a word line before the run",
			value: v76,
			text:  "key\n" + wrap(b64(v76), 76, "\n") + "\nb: c",
			want:  "key\n" + Mask + "\nb: c",
		},
		{
			name:  "a value's last line with text glued after it",
			value: v76 + "x",
			text:  "host: " + wrap(b64(v76+"x"), 76, "\n") + ".example.com",
			want:  "host: " + Mask + ".example.com",
		},
	} {
		r := New(map[string]string{"PW": tc.value})
		if got := r.String(tc.text); got != tc.want {
			t.Errorf("%s: String(%q)\n = %q\nwant %q", tc.name, tc.text, got, tc.want)
		}
		if got := r.Found(tc.text); !contains(got, "PW") {
			t.Errorf("%s: Found = %v", tc.name, got)
		}
	}
}

// TestWrappedRunBelowAValue: a value's base64 on one line, or in lines
// whose last is full, holds a form without the shorter line under it. The
// wrapped lines of the same value, or of another, that follow it from
// that line are masked whole, at the widths encoders use and with every
// line break kiln reads.
func TestWrappedRunBelowAValue(t *testing.T) {
	t.Parallel()
	a := strings.Repeat("correct-horse-battery-staple/", 8)[:171] // 228 characters
	b := strings.Repeat("Tr0ub4dor&3-other-secret-", 8)[:150]     // 200 characters
	two := strings.Repeat("Sup3rS3cret-two-lines-", 5)[:100]      // 136 characters
	b64 := func(v string) string { return base64.StdEncoding.EncodeToString([]byte(v)) }
	r := New(map[string]string{"A": a, "B": b, "TWO": two})
	for _, tc := range []struct{ name, text, want string }{
		{
			name: "the same value, 76 wide",
			text: "key: value\n  " + b64(a) + "\n" + wrap(b64(a), 76, "\n") + "\n",
			want: "key: value\n  " + Mask + "\n",
		},
		{
			name: "the same value, 64 wide, escaped line breaks",
			text: `x: "` + b64(a) + `\n` + wrap(b64(a), 64, `\n`) + "\"\n",
			want: `x: "` + Mask + "\"\n",
		},
		{
			name: "the same value, 76 wide, escaped escapes",
			text: `x: "` + b64(a) + `\\n` + wrap(b64(a), 76, `\\n`) + "\"\n",
			want: `x: "` + Mask + "\"\n",
		},
		{
			name: "another value, 64 wide, CRLF",
			text: "a: " + b64(a) + "\r\n" + wrap(b64(b), 64, "\r\n") + "\r\nb: c\r\n",
			want: "a: " + Mask + "\r\nb: c\r\n",
		},
		{
			name: "another value, 76 wide, after TOKEN= in a block scalar",
			text: "env: |\n  TOKEN=" + b64(a) + "\n  " + wrap(b64(b), 76, "\n  ") + "\n  USER=me\n",
			want: "env: |\n  " + Mask + "\n  USER=me\n",
		},
		{
			name: "another value of two lines, 76 wide",
			text: "a: " + b64(a) + "\n" + wrap(b64(two), 76, "\n") + "\nb: c",
			want: "a: " + Mask + "\nb: c",
		},
		{
			name: "another value, 70 wide, under a value's 76 wide lines",
			text: "a: |\n  " + wrap(b64(a), 76, "\n  ") + "\n  " + wrap(b64(b), 70, "\n  ") + "\nb: c",
			want: "a: |\n  " + Mask + "\nb: c",
		},
		{
			name: "another value, 64 wide, under a value's 76 wide lines, escaped",
			text: `x: "app-` + wrap(b64(a), 76, `\n`) + `\n` + wrap(b64(b), 64, `\n`) + "\"\n",
			want: `x: "` + Mask + "\"\n",
		},
	} {
		if got := r.String(tc.text); got != tc.want {
			t.Errorf("%s: String(%q)\n = %q\nwant %q", tc.name, tc.text, got, tc.want)
		}
	}
	text := "a: " + b64(a) + "\n" + wrap(b64(b), 76, "\n") + "\n"
	if got := r.Found(text); !contains(got, "A") || !contains(got, "B") {
		t.Errorf("Found = %v, want A and B", got)
	}
}

// TestWithKept: a kept value is not masked as it is, but in its other
// forms, and a secret of r that equals it stays masked.
func TestWithKept(t *testing.T) {
	t.Parallel()
	keep := func(v string) bool { return v == "nginx" }
	r := New(nil).WithKept(map[string]string{"0": "nginx", "1": "Sup3r!S3cret"}, 0, keep)
	if got := r.String("web/nginx.yaml"); got != "web/nginx.yaml" {
		t.Errorf("the kept value is masked: %q", got)
	}
	for _, s := range []string{"bmdpbng=", "Sup3r!S3cret", "U3VwM3IhUzNjcmV0"} {
		if got := r.String("x/" + s); got != "x/"+Mask {
			t.Errorf("String(%q) = %q, want it masked", "x/"+s, got)
		}
	}
	if got := New(map[string]string{"PW": "nginx"}).WithKept(map[string]string{"0": "nginx"}, 0, keep).String("nginx"); got != Mask {
		t.Errorf("a secret var equal to a kept value: %q", got)
	}
	// A kept value with a line break (kube-libsonnet's tests hold
	// "secret\n") is kept trimmed too: as an object holds it parsed.
	r = New(nil).WithKept(map[string]string{"0": "secret\n"}, 0, func(v string) bool { return strings.TrimSpace(v) == "secret" })
	if got := r.String("sealed-secrets-controller.json"); got != "sealed-secrets-controller.json" {
		t.Errorf("the kept value's trimmed form is masked: %q", got)
	}
	if got := r.String("x/c2VjcmV0Cg=="); got != "x/"+Mask {
		t.Errorf("the kept value's base64 is not masked: %q", got)
	}
}

// TestTokensMaskTheWholeToken: a Redactor from Tokens masks the token a
// form stands in, up to a blank, a quote, a bracket, a comma or a
// semicolon, in String and in StringCut's cut end; the Redactor it came
// from still masks the form alone.
func TestTokensMaskTheWholeToken(t *testing.T) {
	t.Parallel()
	r := New(map[string]string{"U": "postgres"})
	tr := r.Tokens()
	for _, c := range []struct{ in, plain, tokens string }{
		{"(postgresql.cnpg.io/v1)", "(**redacted**ql.cnpg.io/v1)", "(**redacted**)"},
		{`value "postgres" here`, `value "**redacted**" here`, `value "**redacted**" here`},
		{"a postgres-x, b [xpostgres] c", "a **redacted**-x, b [x**redacted**] c", "a **redacted**, b [**redacted**] c"},
		{"café-postgres;next", "café-**redacted**;next", "**redacted**;next"},
		{"cG9zdGdyZXM=x y", "**redacted**x y", "**redacted** y"},
		{"nothing here", "nothing here", "nothing here"},
	} {
		if got := r.String(c.in); got != c.plain {
			t.Errorf("String(%q) = %q, want %q", c.in, got, c.plain)
		}
		if got := tr.String(c.in); got != c.tokens {
			t.Errorf("Tokens().String(%q) = %q, want %q", c.in, got, c.tokens)
		}
	}
	if got, want := tr.StringCut("see (xyz.postgr"), "see (**redacted**"; got != want {
		t.Errorf("Tokens().StringCut() = %q, want %q", got, want)
	}
	if got, want := r.StringCut("see (xyz.postgr"), "see (xyz.**redacted**"; got != want {
		t.Errorf("StringCut() = %q, want %q", got, want)
	}
	var nilR *Redactor
	if nilR.Tokens().String("postgres") != "postgres" {
		t.Error("a nil Redactor's Tokens masked something")
	}
}
