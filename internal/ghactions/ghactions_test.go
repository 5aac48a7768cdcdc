package ghactions

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/golden"
	"github.com/kiln-gitops/kiln/internal/redact"
)

var update = flag.Bool("update", false, "rewrite golden files")

// fakeEnv is a GitHub Actions environment in t.TempDir().
type fakeEnv struct {
	vars    map[string]string
	output  string
	summary string
}

func newFakeEnv(t *testing.T) *fakeEnv {
	t.Helper()
	dir := t.TempDir()
	f := &fakeEnv{
		output:  filepath.Join(dir, "output"),
		summary: filepath.Join(dir, "summary"),
	}
	for _, p := range []string{f.output, f.summary} {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f.vars = map[string]string{
		"GITHUB_ACTIONS":      "true",
		"GITHUB_OUTPUT":       f.output,
		"GITHUB_STEP_SUMMARY": f.summary,
		"GITHUB_WORKSPACE":    "/home/runner/work/app/app",
	}
	return f
}

func (f *fakeEnv) lookup(k string) (string, bool) {
	v, ok := f.vars[k]
	return v, ok
}

func read(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestFromEnv(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		value string
		set   bool
		want  bool
	}{
		{name: "true", value: "true", set: true, want: true},
		{name: "unset", want: false},
		{name: "empty", value: "", set: true, want: false},
		{name: "other", value: "1", set: true, want: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			lookup := func(k string) (string, bool) {
				if k == "GITHUB_ACTIONS" {
					return tc.value, tc.set
				}
				return "", false
			}
			got := FromEnv(lookup, &bytes.Buffer{}).Enabled()
			if got != tc.want {
				t.Errorf("Enabled() = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestNilRunner checks that a nil Runner, kiln outside GitHub Actions,
// writes nothing anywhere.
func TestNilRunner(t *testing.T) {
	t.Parallel()
	var r *Runner
	r = r.WithRoot("/x").ForEnv("dev")
	r.Mask(redact.New(map[string]string{"A": "hunter22"}))
	r.Error(&diag.Error{File: "a.yaml", Line: 1, Msg: "bad"})
	r.Warning(diag.Warning{Msg: "meh"})
	if err := r.SetOutput("changed", "true"); err != nil {
		t.Errorf("SetOutput: %v", err)
	}
	if err := r.Summary("# hi"); err != nil {
		t.Errorf("Summary: %v", err)
	}
	if r.Enabled() {
		t.Error("nil Runner is enabled")
	}
}

func TestEscape(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       string
		data     string
		property string
	}{
		{name: "plain", in: "apps/db/x.yaml", data: "apps/db/x.yaml", property: "apps/db/x.yaml"},
		{name: "percent first", in: "100%0A", data: "100%250A", property: "100%250A"},
		{name: "line breaks", in: "a\r\nb", data: "a%0D%0Ab", property: "a%0D%0Ab"},
		{name: "separators", in: "a:b,c::d", data: "a:b,c::d", property: "a%3Ab%2Cc%3A%3Ad"},
		{name: "command injection", in: "x\n::error::owned", data: "x%0A::error::owned", property: "x%0A%3A%3Aerror%3A%3Aowned"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.data, EscapeData(tc.in)); diff != "" {
				t.Errorf("EscapeData (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.property, EscapeProperty(tc.in)); diff != "" {
				t.Errorf("EscapeProperty (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCommands is the golden text of every kind of command kiln writes.
func TestCommands(t *testing.T) {
	t.Parallel()
	f := newFakeEnv(t)
	var out bytes.Buffer
	r := FromEnv(f.lookup, &out)
	root := r.WithRoot("/home/runner/work/app/app/deploy")

	fmt.Fprintln(&out, "# masks: every form of every value, sorted, de-duplicated, multi-line values line by line, blank lines skipped")
	r.Mask(redact.New(map[string]string{"A": "s3cr3t-pa55", "B": "s3cr3t-pa55", "PEM": "-----BEGIN KEY-----\r\nMIIabc%0A\n\n-----END KEY-----\n", "BLANK": "    "}))

	fmt.Fprintln(&out, "# an error holding a secret value, raw and in base64: masked")
	r.Error(&diag.Error{File: "apps/x.yaml", Line: 1, Msg: "bad value s3cr3t-pa55 (czNjcjN0LXBhNTU=)"})

	fmt.Fprintln(&out, "# an error with file and line, app, object and hint, under a kiln.yaml in deploy/")
	root.ForEnv("staging").Error(&diag.Error{
		File: "apps/worker/deployment.yaml", Line: 8, App: "worker",
		Object: diag.Object{Kind: "Deployment", Namespace: "instavote", Name: "worker"},
		Msg:    `unknown field "spec.hoge"`, Hint: "check the spelling against apps/v1 Deployment, or remove the field",
	})

	fmt.Fprintln(&out, "# several errors joined, one without a line, one not a diag.Error, one wrapped")
	root.Error(errors.Join(
		&diag.Error{File: "kiln.yaml", App: "vote", Msg: `dependsOn "cache": no such app (did you mean "redis"?)`},
		errors.New("plain failure: 50% done,\nthen: stopped"),
		fmt.Errorf("rendering: %w", &diag.Error{File: "envs/dev.yaml", Line: 3, Msg: "bad"}),
		&diag.Error{App: "db", Err: errors.New("cause only")},
	))

	fmt.Fprintln(&out, "# kiln.yaml at the workspace root; a file name with separators")
	r.WithRoot("/home/runner/work/app/app").Error(&diag.Error{File: "apps/a,b:c.yaml", Line: 2, Msg: "x"})

	fmt.Fprintln(&out, "# kiln.yaml outside the workspace: absolute paths")
	r.WithRoot("/elsewhere/repo").Error(&diag.Error{File: "kiln.yaml", Line: 1, Msg: "x"})

	fmt.Fprintln(&out, "# an absolute file inside the workspace")
	root.Error(&diag.Error{File: "/home/runner/work/app/app/images.json", Msg: "cannot read the images file"})

	fmt.Fprintln(&out, "# warnings")
	root.ForEnv("dev").Warning(diag.Warning{Msg: "image ghcr.io/acme/x is used by no app in env dev", Hint: "check the repository name"})
	root.Warning(diag.Warning{File: "apps/db/ns.yaml", Line: 4, App: "db", Object: diag.Object{Kind: "Namespace", Name: "db"}, Msg: "namespace made by another app"})

	fmt.Fprintln(&out, "# text kiln does not control, with control characters: one command line, in caret notation")
	root.Error(&diag.Error{File: "apps/a\u202Eb\n::warning::c.yaml", Line: 1, App: "web",
		Msg: "chart says \x1b]0;PWNED\x07\x1b[2Jgone\rover\x00 \u202Eevil\r\n::warning file=x::forged ##[set-output name=a;]b"})
	r.Flush() // the tenth error, held for the last slot

	golden.File(t, filepath.Join("testdata", "commands.golden"), out.Bytes(), *update)
}

func TestSetOutput(t *testing.T) {
	t.Parallel()
	f := newFakeEnv(t)
	r := FromEnv(f.lookup, &bytes.Buffer{})
	for _, kv := range [][2]string{
		{"changed", "false"},
		{"out-dir", "/home/runner/work/app/app/rendered"},
		{"empty", ""},
		{"multi", "line one\nline two\n"},
		{"forged", "x\nghadelimiter_kiln\nevil=1"},
	} {
		if err := r.SetOutput(kv[0], kv[1]); err != nil {
			t.Fatalf("SetOutput(%q): %v", kv[0], err)
		}
	}
	for _, bad := range []string{"", "a=b", "a\nb", "a<<b"} {
		if err := r.SetOutput(bad, "v"); err == nil {
			t.Errorf("SetOutput(%q) succeeded, want an error", bad)
		}
	}
	golden.File(t, filepath.Join("testdata", "output.golden"), []byte(read(t, f.output)), *update)

	// The file parses back to the values, as the runner reads it.
	got := parseOutputFile(t, read(t, f.output))
	want := map[string]string{
		"changed": "false", "out-dir": "/home/runner/work/app/app/rendered", "empty": "",
		"multi": "line one\nline two\n", "forged": "x\nghadelimiter_kiln\nevil=1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parsed outputs (-want +got):\n%s", diff)
	}
}

// parseOutputFile reads $GITHUB_OUTPUT like the runner's file command
// handler: name=value lines, or name<<DELIM ... DELIM blocks.
func parseOutputFile(t *testing.T, s string) map[string]string {
	t.Helper()
	out := map[string]string{}
	lines := strings.Split(s, "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if l == "" {
			continue
		}
		eq, hd := strings.Index(l, "="), strings.Index(l, "<<")
		if eq >= 0 && (hd < 0 || eq < hd) {
			out[l[:eq]] = l[eq+1:]
			continue
		}
		if hd < 0 {
			t.Fatalf("line %d: %q is neither name=value nor name<<delimiter", i+1, l)
		}
		name, delim := l[:hd], l[hd+2:]
		var val []string
		for i++; ; i++ {
			if i >= len(lines) {
				t.Fatalf("output %s: delimiter %s never closes", name, delim)
			}
			if lines[i] == delim {
				break
			}
			val = append(val, lines[i])
		}
		out[name] = strings.Join(val, "\n")
	}
	return out
}

func TestSummaryAppends(t *testing.T) {
	t.Parallel()
	f := newFakeEnv(t)
	if err := os.WriteFile(f.summary, []byte("earlier step\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := FromEnv(f.lookup, &bytes.Buffer{})
	for _, md := range []string{"## one", "## two\n", ""} {
		if err := r.Summary(md); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff("earlier step\n## one\n## two\n", read(t, f.summary)); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
}

func TestUnsetFiles(t *testing.T) {
	t.Parallel()
	r := FromEnv(func(k string) (string, bool) {
		return map[string]string{"GITHUB_ACTIONS": "true"}[k], k == "GITHUB_ACTIONS"
	}, &bytes.Buffer{})
	if err := r.SetOutput("changed", "true"); err != nil {
		t.Errorf("SetOutput without GITHUB_OUTPUT: %v", err)
	}
	if err := r.Summary("x"); err != nil {
		t.Errorf("Summary without GITHUB_STEP_SUMMARY: %v", err)
	}
}

func TestSummaryMarkdown(t *testing.T) {
	t.Parallel()
	envs := []EnvSummary{
		{
			Env: "dev", Out: "/home/runner/work/app/app/rendered/dev", Files: 31,
			Apps: []AppRow{
				{Name: "platform", Engine: "yaml", Objects: 2, Files: 2},
				{Name: "redis", Engine: "helm", Objects: 6, Files: 6},
			},
			Warnings: []diag.Warning{{Msg: "image ghcr.io/acme/x is used by no app in env dev", Hint: "check the repository name"}},
		},
		{
			Env: "staging",
			Err: errors.Join(
				&diag.Error{File: "apps/worker/deployment.yaml", Line: 8, App: "worker",
					Object: diag.Object{Kind: "Deployment", Namespace: "instavote", Name: "worker"},
					Msg:    `unknown field "spec.hoge"`, Hint: "check the spelling against apps/v1 Deployment, or remove the field"},
				errors.New("a | pipe, <b>html</b> and *stars*\nsecond line"),
				errors.New("control characters: \x1b[2J\rover\x00, \u202Eevil, `code`\r\nnext"),
			),
		},
		{Env: "prod", Apps: []AppRow{{Name: "my_app", Engine: "jsonnet", Objects: 1, Files: 1}}, Files: 5},
	}
	golden.File(t, filepath.Join("testdata", "summary.golden.md"), []byte((*Runner)(nil).SummaryMarkdown("render", envs)), *update)
}

func TestSummaryLimit(t *testing.T) {
	t.Parallel()
	f := newFakeEnv(t)
	r := FromEnv(f.lookup, &bytes.Buffer{})
	line := strings.Repeat("x", 99) + "\n"
	if err := r.Summary(strings.Repeat(line, SummaryLimit/100+10)); err != nil {
		t.Fatal(err)
	}
	got := read(t, f.summary)
	if len(got) > SummaryLimit {
		t.Errorf("summary is %d bytes, over the limit %d", len(got), SummaryLimit)
	}
	if !strings.HasSuffix(got, summaryCut) {
		t.Errorf("cut summary does not end with the note: %q", got[len(got)-200:])
	}
	// Whole lines of 100 bytes, the last one without its line break.
	if body := strings.TrimSuffix(got, summaryCut); len(body)%100 != 99 {
		t.Errorf("summary not cut at a line break: ends %q", body[len(body)-120:])
	}
}

// TestSummaryCutClosesBlocks: a summary cut inside a diff's code fence,
// inside a <details> block, ends both before the note, so that the note
// (and what the next step appends) is neither code nor folded away.
func TestSummaryCutClosesBlocks(t *testing.T) {
	t.Parallel()
	f := newFakeEnv(t)
	r := FromEnv(f.lookup, &bytes.Buffer{})
	var b strings.Builder
	b.WriteString("# kiln diff\n\n<details><summary>done</summary>\n\n" + CodeBlock("diff", "-a\n+b\n") + "</details>\n\n")
	b.WriteString("<details><summary>app web</summary>\n\n````diff\n")
	for b.Len() < SummaryLimit+1000 {
		b.WriteString("+  ``` a line of a diff that holds a fence of its own\n")
	}
	b.WriteString("````\n</details>\n")
	if err := r.Summary(b.String()); err != nil {
		t.Fatal(err)
	}
	got := read(t, f.summary)
	if len(got) > SummaryLimit {
		t.Errorf("summary is %d bytes, over the limit %d", len(got), SummaryLimit)
	}
	if want := "its own\n````\n</details>" + summaryCut; !strings.HasSuffix(got, want) {
		t.Errorf("cut summary ends %q, want %q", got[len(got)-200:], want)
	}
}

func TestCodeBlock(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		lang string
		text string
		want string
	}{
		{name: "plain", lang: "diff", text: "-a\n+b\n", want: "```diff\n-a\n+b\n```\n"},
		{name: "no final newline", lang: "", text: "x", want: "```\nx\n```\n"},
		{name: "backticks inside", lang: "yaml", text: "a: ```\nb: ````\n", want: "`````yaml\na: ```\nb: ````\n`````\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, CodeBlock(tc.lang, tc.text)); diff != "" {
				t.Errorf("CodeBlock (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSecretsMasked: after Mask, no form of a value reaches an annotation,
// the job summary or a step output.
func TestSecretsMasked(t *testing.T) {
	t.Parallel()
	f := newFakeEnv(t)
	var out bytes.Buffer
	r := FromEnv(f.lookup, &out)
	value := "P@ss<w0rd>&1"
	rd := redact.New(map[string]string{"PW": value})
	r.Mask(rd)
	masks := out.String()
	out.Reset()
	leak := "raw " + value + " json " + `P@ss\u003cw0rd\u003e\u00261` + " b64 UEBzczx3MHJkPiYx"
	r.Error(errors.New(leak))
	r.Warning(diag.Warning{File: leak, Msg: leak, Hint: leak})
	if err := r.Summary(leak); err != nil {
		t.Fatal(err)
	}
	if err := r.SetOutput("x", leak); err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]string{"commands": out.String(), "summary": read(t, f.summary), "output": read(t, f.output)} {
		if found := rd.Found(got); found != nil {
			t.Errorf("%s holds secret %v:\n%s", name, found, got)
		}
	}
	for _, form := range rd.Forms() {
		if !strings.Contains(masks, "::add-mask::"+EscapeData(form)+"\n") {
			t.Errorf("form %q is not masked", form)
		}
	}
}

// TestSummaryMasksBeforeEscaping: the job summary escapes markdown
// punctuation with a backslash, which would change a value holding such a
// character ("hunter_2!") into a text its masks no longer match; each piece
// of the summary is masked before it is escaped, wherever it sits (an
// env, an app, an error's object, message and hint, a warning).
func TestSummaryMasksBeforeEscaping(t *testing.T) {
	t.Parallel()
	f := newFakeEnv(t)
	var out bytes.Buffer
	r := FromEnv(f.lookup, &out)
	value := "Sup3r_S3cret*Value!#1"
	rd := redact.New(map[string]string{"PW": value})
	r.Mask(rd)
	obj := diag.Object{Kind: "Foo", Namespace: "ns", Name: value}
	envs := []EnvSummary{
		{Env: "dev", Apps: []AppRow{{Name: value, Engine: "yaml"}},
			Warnings: []diag.Warning{{File: "x.yaml", Line: 1, App: "a", Object: obj, Msg: "kind " + value, Hint: value}}},
		{Env: "staging", Err: errors.Join(
			&diag.Error{File: "x.yaml", Line: 3, App: "a", Object: obj, Msg: "bad " + value, Hint: "fix " + value},
			errors.New("plain "+value))},
	}
	if err := r.Summary(r.SummaryMarkdown("validate", envs)); err != nil {
		t.Fatal(err)
	}
	got := read(t, f.summary)
	if strings.Contains(got, "S3cret") || rd.Found(got) != nil {
		t.Errorf("summary holds the value:\n%s", got)
	}
	if !strings.Contains(got, "Foo/ns/\\*\\*redacted\\*\\*") {
		t.Errorf("summary does not name the object with its name masked:\n%s", got)
	}
}

// TestSummaryQuotesDiff: kiln diff's summary quotes the diff, where a CR
// before a line feed is the line's own: folded away, a change of line
// endings alone read as pairs of lines that look the same. A zero-width
// space is shown too, and a secret value holding one is masked first.
func TestSummaryQuotesDiff(t *testing.T) {
	t.Parallel()
	f := newFakeEnv(t)
	var out bytes.Buffer
	r := FromEnv(f.lookup, &out)
	value := "s3cr\u200Bet"
	r.Mask(redact.New(map[string]string{"PW": value}))
	diff := "-a: b\r\n+a: b\n+c: d\u200B\n+pw: " + value + "\n"
	if err := r.Summary("# kiln diff\n\n" + CodeBlock("diff", diff)); err != nil {
		t.Fatal(err)
	}
	got := read(t, f.summary)
	if want := "```diff\n-a: b^M\n+a: b\n+c: d\\u200B\n+pw: **redacted**\n```\n"; !strings.Contains(got, want) {
		t.Errorf("summary %q does not hold %q", got, want)
	}
}

// TestSummaryCutLongFence: a diff holding a run of backticks longer than
// what a cut keeps for closers gets a fence longer still (CodeBlock); cut
// inside it, the summary with its closing fence stays within the limit.
func TestSummaryCutLongFence(t *testing.T) {
	t.Parallel()
	f := newFakeEnv(t)
	r := FromEnv(f.lookup, &bytes.Buffer{})
	var diff strings.Builder
	diff.WriteString("+" + strings.Repeat("`", 2*closersRoom) + "\n")
	for diff.Len() < SummaryLimit+1000 {
		diff.WriteString("+  a line of a diff\n")
	}
	if err := r.Summary("# kiln diff\n\n" + CodeBlock("diff", diff.String())); err != nil {
		t.Fatal(err)
	}
	got := read(t, f.summary)
	if len(got) > SummaryLimit {
		t.Errorf("summary is %d bytes, over the limit %d", len(got), SummaryLimit)
	}
	if want := "a line of a diff\n" + strings.Repeat("`", 2*closersRoom+1) + summaryCut; !strings.HasSuffix(got, want) {
		t.Errorf("cut summary ends %q, want the closing fence and the note", got[max(0, len(got)-200):])
	}
}

// TestMaskSkipsShortLines: a multi-line value is registered line by line,
// and the runner masks whatever it is given, however short. A service
// account's JSON key in a secret var has the lines "{" and "}": masked,
// every brace in the rest of the job's log read "***". Lines shorter than
// redact.MinLength are what kiln does not redact either (docs: values
// shorter than 4 characters are not masked); the value's longer lines
// still are.
func TestMaskSkipsShortLines(t *testing.T) {
	t.Parallel()
	f := newFakeEnv(t)
	var out bytes.Buffer
	r := FromEnv(f.lookup, &out)
	r.Mask(redact.New(map[string]string{"KEY": "{\n  \"type\": \"service_account\",\n  \"private_key\": \"s3cret-value\"\n}\n"}))
	for _, l := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		mask, ok := strings.CutPrefix(l, "::add-mask::")
		if !ok {
			t.Errorf("not a mask: %q", l)
			continue
		}
		if len(strings.TrimSpace(mask)) < redact.MinLength {
			t.Errorf("masks %q, which is in every log line", mask)
		}
	}
	if !strings.Contains(out.String(), "::add-mask::  \"private_key\": \"s3cret-value\"\n") {
		t.Errorf("the value's line is not masked:\n%s", out.String())
	}
}

// TestSummaryLimitCountsEarlierText: GitHub's 1 MiB is the limit of the
// step's summary file, and over it GitHub shows none of it. A step that
// runs kiln twice (kiln diff for two envs in one run: step), or a script
// that wrote its own summary first, left a file over the limit when each
// text fitted on its own. What the file holds already counts.
func TestSummaryLimitCountsEarlierText(t *testing.T) {
	t.Parallel()
	line := strings.Repeat("x", 99) + "\n"
	for _, earlier := range []int{SummaryLimit / 2, SummaryLimit - 100, SummaryLimit} {
		f := newFakeEnv(t)
		if err := os.WriteFile(f.summary, []byte(strings.Repeat("e", earlier)), 0o644); err != nil {
			t.Fatal(err)
		}
		r := FromEnv(f.lookup, &bytes.Buffer{})
		if err := r.Summary(strings.Repeat(line, SummaryLimit/100)); err != nil {
			t.Fatal(err)
		}
		got := read(t, f.summary)
		if len(got) > SummaryLimit {
			t.Errorf("%d bytes before: summary is %d bytes, over the limit %d", earlier, len(got), SummaryLimit)
		}
		if earlier == SummaryLimit/2 && !strings.HasSuffix(got, summaryCut) {
			t.Errorf("%d bytes before: the cut summary does not end with the note: %q", earlier, got[len(got)-200:])
		}
	}
}

// TestAnnotationsPerKind: GitHub shows 10 annotations of a kind for a
// step and drops the rest without a word. kiln writes nine, and for the
// last slot the tenth or, when there are more, one saying how many more
// the log holds; each kind is counted on its own, across the runner's
// copies (one per env).
func TestAnnotationsPerKind(t *testing.T) {
	t.Parallel()
	count := func(out, kind string) int { return strings.Count(out, "::"+kind+" ") }
	for _, tt := range []struct {
		errors, warnings int
		more             string
	}{
		{errors: 3, warnings: 2},
		{errors: 10, warnings: 10},
		{errors: 11, warnings: 1, more: "::error title=kiln::2 more errors are in this step's log"},
		{errors: 40, warnings: 25, more: "::warning title=kiln::16 more warnings are in this step's log"},
	} {
		var out bytes.Buffer
		r := FromEnv(newFakeEnv(t).lookup, &out)
		for i := range tt.errors {
			r.ForEnv(fmt.Sprint("env", i%3)).Error(&diag.Error{File: "kiln.yaml", Line: i + 1, Msg: "bad"})
		}
		for i := range tt.warnings {
			r.Warning(diag.Warning{File: "kiln.yaml", Line: i + 1, Msg: "odd"})
		}
		r.Flush()
		got := out.String()
		if e, w := count(got, "error"), count(got, "warning"); e != min(tt.errors, AnnotationsPerKind) || w != min(tt.warnings, AnnotationsPerKind) {
			t.Errorf("%d errors, %d warnings: wrote %d and %d annotations\n%s", tt.errors, tt.warnings, e, w, got)
		}
		if tt.more != "" && !strings.Contains(got, tt.more) {
			t.Errorf("%d errors, %d warnings: no %q\n%s", tt.errors, tt.warnings, tt.more, got)
		}
		if tt.errors == 10 && !strings.Contains(got, "line=10,") {
			t.Errorf("the tenth error is not written in the last slot\n%s", got)
		}
	}
}

// TestArchiveAnnotation: a file inside a chart archive is none GitHub can
// show; the annotation is the archive's, with the entry and its line
// leading the message.
func TestArchiveAnnotation(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	r := FromEnv(newFakeEnv(t).lookup, &out).WithRoot("/home/runner/work/app/app/deploy")
	r.Error(&diag.Error{File: "charts/app/charts/redis-17.0.0.tgz: redis/templates/cm.yaml", Line: 12, App: "web", Msg: "chart refused to render: x is required"})
	r.Warning(diag.Warning{File: "charts/app-0.1.0.tgz: app/charts/db-1.0.0.tgz: db/templates/hook.yaml", App: "web", Msg: "left out"})
	r.Flush()
	for _, want := range []string{
		"::error file=deploy/charts/app/charts/redis-17.0.0.tgz,title=kiln::redis/templates/cm.yaml:12: app web: chart refused to render: x is required\n",
		"::warning file=deploy/charts/app-0.1.0.tgz,title=kiln::app/charts/db-1.0.0.tgz: db/templates/hook.yaml: app web: left out\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in\n%s", want, out.String())
		}
	}
}

// TestSummaryCutKeepsCharactersWhole: a summary with no line break near
// the limit (one long line of a value in a diff) is cut inside the line,
// and never inside a character: the file stays valid UTF-8.
func TestSummaryCutKeepsCharactersWhole(t *testing.T) {
	t.Parallel()
	for pad := range 4 {
		f := newFakeEnv(t)
		r := FromEnv(f.lookup, &bytes.Buffer{})
		// "€" is three bytes, "😀" four: some pad puts the cut in each.
		md := strings.Repeat("x", pad) + strings.Repeat("€😀", SummaryLimit/7+10)
		if err := r.Summary(md); err != nil {
			t.Fatal(err)
		}
		got := read(t, f.summary)
		if len(got) > SummaryLimit || !strings.HasSuffix(got, summaryCut) {
			t.Fatalf("pad %d: summary of %d bytes, cut note %v", pad, len(got), strings.HasSuffix(got, summaryCut))
		}
		if !utf8.ValidString(got) {
			t.Errorf("pad %d: the cut summary is not valid UTF-8: ends %q", pad, strings.TrimSuffix(got, summaryCut)[len(got)-len(summaryCut)-8:])
		}
	}
}
