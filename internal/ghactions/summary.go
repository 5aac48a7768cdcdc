package ghactions

import (
	"errors"
	"fmt"
	"strings"

	"github.com/kiln-gitops/kiln/internal/caret"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/words"
)

// EnvSummary is what one environment's render or validation produced, for
// the job summary.
type EnvSummary struct {
	// Env is the environment's name.
	Env string
	// Out is the folder the env's tree was written to; "" when nothing was
	// written (validate, or a failed render).
	Out string
	// Apps are the rendered apps in kiln.yaml order.
	Apps []AppRow
	// Files counts the files of the env's tree (apps, flux, high-level,
	// kiln.lock.json).
	Files int
	// Warnings did not stop the env.
	Warnings []diag.Warning
	// Err holds the env's errors; nil on success.
	Err error
}

// AppRow is one app in the summary table.
type AppRow struct {
	Name    string
	Engine  string
	Objects int
	Files   int
}

// SummaryMarkdown returns the job summary of one kiln command (render,
// validate): an overview table with a line per env, then per env its apps,
// warnings and errors. Every piece of user text is escaped, so a message
// cannot break the table or inject HTML.
//
// Each piece is masked with r's secrets before it is escaped: escaping
// puts a backslash before markdown punctuation, so a value holding such a
// character ("hunter_2!") would come out as a text its masks no longer
// match, and Summary's own masking of the whole would come too late. A
// nil r masks nothing.
func (r *Runner) SummaryMarkdown(command string, envs []EnvSummary) string {
	cell := func(s string) string { return escapeCell(r.mask(s)) }
	var b strings.Builder
	fmt.Fprintf(&b, "## kiln %s\n\n", command)
	if len(envs) == 0 {
		b.WriteString("No environment was processed.\n")
		return b.String()
	}
	b.WriteString("| env | result | apps | objects | files |\n|---|---|--:|--:|--:|\n")
	for _, e := range envs {
		objects := 0
		for _, a := range e.Apps {
			objects += a.Objects
		}
		if e.Err != nil {
			n := len(diag.Flatten(e.Err))
			fmt.Fprintf(&b, "| %s | ❌ %d %s | | | |\n", cell(e.Env), n, words.Noun(n, "error"))
			continue
		}
		result := "✅ ok"
		if e.Out != "" {
			result = "✅ " + cell(e.Out)
		}
		if n := len(e.Warnings); n > 0 {
			result += fmt.Sprintf(", ⚠️ %d %s", n, words.Noun(n, "warning"))
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %d |\n", cell(e.Env), result, len(e.Apps), objects, e.Files)
	}
	for _, e := range envs {
		fmt.Fprintf(&b, "\n### env %s\n\n", cell(e.Env))
		if e.Err != nil {
			errs := diag.Flatten(e.Err)
			fmt.Fprintf(&b, "%d %s:\n\n", len(errs), words.Noun(len(errs), "error"))
			for _, err := range errs {
				b.WriteString("- " + r.errorItem(err, cell) + "\n")
			}
		} else {
			b.WriteString("| app | engine | objects | files |\n|---|---|--:|--:|\n")
			for _, a := range e.Apps {
				fmt.Fprintf(&b, "| %s | %s | %d | %d |\n", cell(a.Name), cell(a.Engine), a.Objects, a.Files)
			}
		}
		if n := len(e.Warnings); n > 0 {
			fmt.Fprintf(&b, "\n<details><summary>%d %s</summary>\n\n", n, words.Noun(n, "warning"))
			for _, w := range e.Warnings {
				b.WriteString("- " + r.errorItem(w.AsError(), cell) + "\n")
			}
			b.WriteString("\n</details>\n")
		}
	}
	return b.String()
}

// errorItem is one error as a list item: the location in bold, the message,
// the hint on a line of its own, each bounded (Runner.bounded); cell masks
// and escapes each piece.
func (r *Runner) errorItem(err error, cell func(string) string) string {
	var de *diag.Error
	if !errors.As(err, &de) {
		return cell(diag.Bound(r.mask(err.Error())))
	}
	de = r.bounded(de)
	var b strings.Builder
	if loc := strings.TrimSuffix(de.Location(), ": "); loc != "" {
		b.WriteString("**" + cell(loc) + "**: ")
	}
	b.WriteString(cell(message(de, false)))
	if de.Hint != "" {
		b.WriteString("<br>hint: " + cell(de.Hint))
	}
	return b.String()
}

// escapeCell escapes text for a GitHub-flavoured markdown table cell or
// list item: markdown punctuation is backslash-escaped, so "|" cannot end a
// cell and "<" cannot open an HTML tag, and line breaks become <br>. Mask
// secrets before, never after (SummaryMarkdown).
func escapeCell(s string) string {
	var b strings.Builder
	// Other control characters in caret notation (a lone CR too, which
	// would break the line), whose backslashes the loop escapes in turn.
	for _, r := range caret.Lines(s) {
		switch r {
		case '\\', '`', '*', '_', '[', ']', '<', '>', '|', '~', '&', '#', '!':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString("<br>")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// CodeBlock returns text as a fenced code block in language lang (such as
// "diff"), with a fence longer than any run of backticks inside text, so
// that no content can close it early.
func CodeBlock(lang, text string) string {
	longest, run := 0, 0
	for _, r := range text {
		if r == '`' {
			run++
			longest = max(longest, run)
			continue
		}
		run = 0
	}
	fence := strings.Repeat("`", max(3, longest+1))
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	return fence + lang + "\n" + text + fence + "\n"
}
