package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestDiffOnTerminal: on a terminal, kiln diff colours its output unless
// NO_COLOR is set, and what kiln prints there (the diff on stdout, the
// summary on stderr) shows the control characters of the other side
// (whatever was pushed to the manifests branch) instead of sending them:
// a manifest line's in caret notation, an app folder's name quoted as a
// path is (\x1b). Whether a
// stream is a terminal is asked of the process's own, not of the masking
// writer kiln puts in front of it, which never is one.
func TestDiffOnTerminal(t *testing.T) {
	t.Parallel()
	f := newPromoteFixture(t)
	// An app folder only the branch has, named to set the title too: its
	// name reaches the summary on stderr.
	cfg, against := foreignAgainst(t, f, "title: \"\x1b]0;PWNED\x07\"\n", "\x1b]0;APP\x07")

	for _, noColor := range []bool{false, true} {
		out, code := onTerminal(t, f, noColor, "diff", "--config", cfg, "--env", "dev", "--against", against)
		if code != exitOK {
			t.Fatalf("diff: exit %d\n%s", code, out)
		}
		if colored := strings.Contains(out, "\x1b[31m"); colored == noColor {
			t.Errorf("NO_COLOR %v: coloured %v:\n%q", noColor, colored, out)
		}
		// The app's name quoted, as a path is: its ESC written \x1b.
		if strings.Contains(out, "\x1b]0;") || !strings.Contains(out, "^[]0;PWNED^G") || !strings.Contains(out, `"\x1b]0;APP\a" +0 ~0 -1 objects`) {
			t.Errorf("NO_COLOR %v: an escape sequence reached the terminal, not in caret notation:\n%q", noColor, out)
		}
	}
}

// TestDiffOnTerminalForeignColours: the colours kiln diff draws with are
// the only escape sequences that reach a terminal, and only kiln's own: the
// same colour sequences in a manifest line or a file name of the other side
// are shown in caret notation, with NO_COLOR too (where kiln draws none and
// any colour would be the other side's), and on stderr, where kiln never
// colours. They passed as they were, since caret.Writer let every colour
// sequence through.
func TestDiffOnTerminalForeignColours(t *testing.T) {
	t.Parallel()
	f := newPromoteFixture(t)
	// An app folder only the branch has: its name reaches the summary on
	// stderr and the file names on stdout.
	cfg, against := foreignAgainst(t, f, "title: \"\x1b[32mLINE\x1b[m\"\n", "\x1b[1mAPP")

	for _, noColor := range []bool{false, true} {
		out, code := onTerminal(t, f, noColor, "diff", "--config", cfg, "--env", "dev", "--against", against)
		if code != exitOK {
			t.Fatalf("diff: exit %d\n%s", code, out)
		}
		if strings.Contains(out, "\x1b[32mLINE") || strings.Contains(out, "\x1b[1mAPP") || !strings.Contains(out, "^[[32mLINE^[[m") || !strings.Contains(out, `"\x1b[1mAPP" +0 ~0 -1 objects`) {
			t.Errorf("NO_COLOR %v: the other side's colour sequences reached the terminal, not in caret notation:\n%q", noColor, out)
		}
		if noColor && strings.Contains(out, "\x1b") {
			t.Errorf("NO_COLOR: an escape sequence reached the terminal:\n%q", out)
		}
	}
}

// TestDiffOnTerminalInvisible: on a terminal, a line of the other side
// that differs by a zero-width space, a no-break space or a bidi override
// alone read as the line kiln renders, and a file whose line endings
// alone changed (CR LF on the branch) as pairs of lines that look the
// same. They are shown escaped and as ^M, with colour or without, while
// visible text of any script is drawn as it is. Piped, the diff keeps
// every byte.
func TestDiffOnTerminalInvisible(t *testing.T) {
	t.Parallel()
	f := newPromoteFixture(t)
	cfg, against := foreignAgainst(t, f, "# host: d\u200Bb, owner: \u202Enimda, no\u00A0break, café 日本 🙂\n", "x")
	files, err := filepath.Glob(filepath.Join(against, "dev", "apps", "web", "service*.yaml"))
	if err != nil || len(files) != 1 {
		t.Fatalf("the rendered Service: %v %v", files, err)
	}
	lf, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(files[0], bytes.ReplaceAll(lf, []byte("\n"), []byte("\r\n")), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, noColor := range []bool{false, true} {
		out, code := onTerminal(t, f, noColor, "diff", "--config", cfg, "--env", "dev", "--against", against)
		if code != exitOK {
			t.Fatalf("diff: exit %d\n%s", code, out)
		}
		for _, want := range []string{`# host: d\u200Bb, owner: \u202Enimda, no\u00A0break, café 日本 🙂^M`, "-apiVersion: v1^M", "+apiVersion: v1"} {
			if !strings.Contains(out, want) {
				t.Errorf("NO_COLOR %v: no %q on the terminal:\n%q", noColor, want, out)
			}
		}
		if strings.ContainsAny(out, "\u200B\u202E\u00A0") {
			t.Errorf("NO_COLOR %v: an invisible character reached the terminal:\n%q", noColor, out)
		}
	}

	stdout, stderr, code := f.kiln(t, false, "diff", "--config", cfg, "--env", "dev", "--against", against)
	if code != exitOK {
		t.Fatalf("piped diff: exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"-# host: d\u200Bb, owner: \u202Enimda, no\u00A0break, café 日本 🙂\r\n", "\n-apiVersion: v1\r\n", "\n+apiVersion: v1\n"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the piped diff does not hold %q as it is:\n%q", want, stdout)
		}
	}
}

// TestTerminalMasksBeforeEscaping: what kiln prints to a terminal is
// masked, then escaped. A secret value holding a zero-width space,
// escaped first, would no longer be the text its mask is looked for by:
// here in a template's error message on stderr, and in a diff of the
// Secret that holds it.
func TestTerminalMasksBeforeEscaping(t *testing.T) {
	t.Parallel()
	const value, previous = "hunter\u200B2\u00A0pw", "0ld\u200Bvalue"
	repo := t.TempDir()
	env := func(mode string) string {
		return "vars:\n  MODE: " + mode + "\nsecretVars:\n  PW: TEST_PW\nallowPlainSecrets: true\n"
	}
	writeFiles(t, repo, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\n  - name: fail\n" +
			"apps:\n  - name: js\n    namespace: x\n    jsonnet: main.jsonnet\n",
		"envs/dev.yaml":  env("ok"),
		"envs/fail.yaml": env("fail"),
		"main.jsonnet": `function(vars)
  if vars.MODE == 'fail' then error 'cannot use ' + vars.PW
  else [{apiVersion: 'v1', kind: 'Secret', metadata: {name: 'creds'}, stringData: {pw: vars.PW}}]
`,
	})
	config := filepath.Join(repo, "kiln.yaml")
	prev := t.TempDir()
	renderWithPW(t, config, previous, prev)
	f := &promoteFixture{vars: map[string]string{"TEST_PW": value, "KILN_CACHE_DIR": t.TempDir()}}
	for _, args := range [][]string{
		{"validate", "--config", config, "--env", "fail"},
		{"diff", "--config", config, "--env", "dev", "--against", prev},
	} {
		for _, noColor := range []bool{false, true} {
			out, _ := onTerminal(t, f, noColor, args...)
			if !strings.Contains(out, "redacted") {
				t.Errorf("%s, NO_COLOR %v: nothing masked:\n%q", args[0], noColor, out)
			}
			for _, piece := range []string{"hunter", "0ld"} {
				if strings.Contains(out, piece) {
					t.Errorf("%s, NO_COLOR %v: the terminal shows a piece of a value, %q:\n%q", args[0], noColor, piece, out)
				}
			}
		}
	}
}

// onTerminal runs kiln with stdout and stderr on one terminal and
// returns what the terminal got, and the exit code.
func onTerminal(t *testing.T, f *promoteFixture, noColor bool, args ...string) (string, int) {
	t.Helper()
	reader, term := openPTY(t)
	var got bytes.Buffer
	read := make(chan error)
	go func() {
		_, err := io.Copy(&got, reader)
		read <- err
	}()
	lookup := func(k string) (string, bool) {
		if k == "NO_COLOR" && noColor {
			return "1", true
		}
		v, ok := f.vars[k]
		return v, ok
	}
	app := newApp(term, term, lookup, "test")
	err := runApp(context.Background(), app, append([]string{"kiln"}, args...))
	s := sinksOf(app)
	code := report(s.stderr, err)
	s.flush()
	term.Close() // the reader sees EIO once every byte is read
	if err := <-read; err != nil && !errors.Is(err, syscall.EIO) {
		t.Fatal(err)
	}
	return got.String(), code
}

// foreignAgainst renders env dev of f into a folder to diff against, as
// the manifests branch would hold it after someone else's push: line
// appended to app web's Service and an app folder named app that kiln
// did not write. It returns the config and that folder.
func foreignAgainst(t *testing.T, f *promoteFixture, line, app string) (cfg, against string) {
	t.Helper()
	cfg = filepath.Join(f.code, "kiln.yaml")
	against = t.TempDir()
	if _, stderr, code := f.kiln(t, false, "render", "--config", cfg, "--env", "dev", "--out", against); code != exitOK {
		t.Fatalf("render: exit %d\n%s", code, stderr)
	}
	files, err := filepath.Glob(filepath.Join(against, "dev", "apps", "web", "service*.yaml"))
	if err != nil || len(files) != 1 {
		t.Fatalf("the rendered Service: %v %v", files, err)
	}
	old, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(files[0], append(old, line...), 0o644); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, filepath.Join(against, "dev", "apps", app), map[string]string{"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"})
	return cfg, against
}
