package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeQuickStart keeps the README's quick start true: the command
// it shows is the one `make demo` runs, and running it prints every line
// the README shows, in that order ("..." stands for lines left out).
func TestReadmeQuickStart(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile("(?s)`make demo` prints[^\n]*\n\n```\n(.*?)```").FindSubmatch(readme)
	if block == nil {
		t.Fatal("README.md: no output block after \"`make demo` prints\"")
	}
	lines := strings.Split(strings.TrimSuffix(string(block[1]), "\n"), "\n")
	if len(lines) < 3 || lines[0] != "$ make demo" {
		t.Fatalf("README.md: the block should start with \"$ make demo\" and the command it echoes:\n%s", block[1])
	}
	command, shown := lines[1], lines[2:]

	makefile, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	echo := regexp.MustCompile(`(?m)^demo:.*\n(?:\t.*\n)*?\t@echo "(kiln render [^"]*)"`).FindSubmatch(makefile)
	if echo == nil {
		t.Fatal("Makefile: the demo target echoes no kiln render command")
	}
	// $(EXAMPLE) is the Makefile's variable for the example's folder.
	want := strings.ReplaceAll(string(echo[1]), "$(EXAMPLE)", "examples/instavote")
	if command != want {
		t.Fatalf("README.md shows %q, make demo runs %q", command, want)
	}

	// Run it from the repository root, with --out in a temporary folder
	// that the output then names "rendered" again.
	args := strings.Fields(command)
	out := filepath.Join(t.TempDir(), "rendered")
	for i := range args {
		switch {
		case i > 0 && args[i-1] == "--config":
			args[i] = filepath.Join("..", "..", args[i])
		case i > 0 && args[i-1] == "--out":
			args[i] = out
		}
	}
	// A fresh render cache: README shows a first run (a second marks
	// every app "cached").
	args = append(args, "--cache-dir", t.TempDir())
	var stdout, stderr bytes.Buffer
	lookup := func(string) (string, bool) { return "", false }
	app := newApp(&stdout, &stderr, lookup, "test")
	if code := report(&stderr, runApp(context.Background(), app, args)); code != exitOK {
		t.Fatalf("%s: exit %d\n%s", command, code, stderr.String())
	}
	got := strings.Split(strings.ReplaceAll(stderr.String(), out, "rendered"), "\n")
	next := 0
	for _, l := range shown {
		if strings.TrimSpace(l) == "..." {
			continue
		}
		for next < len(got) && got[next] != l {
			next++
		}
		if next == len(got) {
			t.Fatalf("README.md shows %q, which %s does not print (in that order):\n%s", l, command, strings.Join(got, "\n"))
		}
		next++
	}
}
