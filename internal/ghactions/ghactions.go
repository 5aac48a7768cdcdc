package ghactions

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/kiln-gitops/kiln/internal/caret"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/redact"
)

// Runner writes workflow commands for one kiln run inside GitHub Actions.
// The zero value is not useful; get one from FromEnv. A nil *Runner is a
// valid Runner outside GitHub Actions: all its methods do nothing.
//
// Commands go to the writer given to FromEnv. kiln passes its stderr:
// stdout carries data (YAML, JSON, diffs), and the runner parses workflow
// commands on both streams — its ScriptHandler gives stdout and stderr each
// their own OutputManager, and OutputManager.OnDataReceived hands every line
// containing "::" to the ActionCommandManager (actions/runner,
// src/Runner.Worker/Handlers/ScriptHandler.cs and OutputManager.cs).
type Runner struct {
	w         io.Writer
	output    string // $GITHUB_OUTPUT, "" when unset
	summary   string // $GITHUB_STEP_SUMMARY, "" when unset
	workspace string // $GITHUB_WORKSPACE, "" when unset
	prefix    string // the kiln.yaml folder relative to workspace, slash-separated; "" for the workspace itself
	title     string // the annotations' title
	// secrets masks every command but ::add-mask::, the job summary and
	// the step outputs: GitHub's own masking covers only what it was told
	// before, and the summary file is not masked by GitHub at all.
	secrets *redact.Set
	// guard, when set, keeps the runner from reading commands in kiln's
	// other output; r's commands pass through it.
	guard *Guard
	// shown counts the annotations of each kind, shared by r's copies
	// (ForEnv, WithRoot): GitHub shows only AnnotationsPerKind of a kind
	// for a step.
	shown *annotationCount
}

// AnnotationsPerKind is how many annotations of one kind (error, warning)
// GitHub shows for a step; it drops the rest without a word
// (actions/toolkit, docs/problem-matchers.md: 10 of each kind a step, 50
// a job). The last one shown is kept for Flush to say how many more there
// are, which the log has.
const AnnotationsPerKind = 10

// annotationCount holds what annotate counted and held back.
type annotationCount struct {
	mu    sync.Mutex
	n     map[string]int // annotations of a kind written
	held  map[string]int // annotations of a kind past the last slot
	first map[string]heldAnnotation
}

type heldAnnotation struct {
	props [][2]string
	msg   string
}

// admit reports whether an annotation of kind may be written now: all
// but the last of the kind's slots may; the rest are held for Flush.
func (c *annotationCount) admit(kind string, props [][2]string, msg string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n[kind] < AnnotationsPerKind-1 {
		c.n[kind]++
		return true
	}
	if c.held[kind] == 0 {
		c.first[kind] = heldAnnotation{props, msg}
	}
	c.held[kind]++
	return false
}

// Flush writes what annotate held back for the last slot of each kind:
// the one annotation when it is the only one, else one saying how many
// more the step's log holds, which GitHub would otherwise leave unsaid.
func (r *Runner) Flush() {
	if r == nil || r.shown == nil {
		return
	}
	r.shown.mu.Lock()
	held, first := r.shown.held, r.shown.first
	r.shown.held, r.shown.first = map[string]int{}, map[string]heldAnnotation{}
	r.shown.mu.Unlock()
	for _, kind := range []string{"error", "warning"} {
		switch n := held[kind]; {
		case n == 1:
			r.command(kind, first[kind].props, first[kind].msg)
		case n > 1:
			r.command(kind, [][2]string{{"title", r.title}}, fmt.Sprintf("%d more %ss are in this step's log: GitHub shows %d annotations of a kind for a step",
				n, kind, AnnotationsPerKind))
		}
	}
}

// FromEnv returns a Runner when lookup("GITHUB_ACTIONS") is "true", as
// GitHub sets it on every runner, else nil. Workflow commands are written to
// w, one a line; w must not mask secrets itself, or ::add-mask:: would
// register the mask instead of the value (the Runner masks the rest).
func FromEnv(lookup func(string) (string, bool), w io.Writer) *Runner {
	if v, _ := lookup("GITHUB_ACTIONS"); v != "true" {
		return nil
	}
	get := func(k string) string { v, _ := lookup(k); return v }
	return &Runner{
		w:         w,
		output:    get("GITHUB_OUTPUT"),
		summary:   get("GITHUB_STEP_SUMMARY"),
		workspace: get("GITHUB_WORKSPACE"),
		title:     "kiln",
		secrets:   &redact.Set{},
		shown:     &annotationCount{n: map[string]int{}, held: map[string]int{}, first: map[string]heldAnnotation{}},
	}
}

// WithSecrets returns a copy of r that masks the secrets of set (shared
// with the caller's other sinks, such as its stdout and stderr writers)
// and adds those given to Mask to it.
func (r *Runner) WithSecrets(set *redact.Set) *Runner {
	if r == nil || set == nil {
		return r
	}
	c := *r
	c.secrets = set
	return &c
}

// WithGuard returns a copy of r whose commands pass through g (see Guard),
// which must write to the same stream as r.
func (r *Runner) WithGuard(g *Guard) *Runner {
	if r == nil {
		return nil
	}
	c := *r
	c.guard = g
	return &c
}

// Enabled reports whether r writes anything, that is whether kiln runs
// inside GitHub Actions.
func (r *Runner) Enabled() bool { return r != nil }

// WithRoot returns a copy of r whose annotations name files relative to the
// repository root ($GITHUB_WORKSPACE), as GitHub needs to attach them to the
// file. kiln reports files relative to the kiln.yaml folder, configDir; the
// copy prefixes configDir's path inside the workspace. configDir should be
// absolute; a relative one is taken as relative to the workspace, where
// steps run by default. A configDir outside the workspace (or an unknown
// workspace) gives absolute paths, which GitHub shows without a file link.
func (r *Runner) WithRoot(configDir string) *Runner {
	if r == nil {
		return nil
	}
	c := *r
	c.prefix = ""
	if r.workspace == "" {
		if filepath.IsAbs(configDir) {
			c.prefix = filepath.ToSlash(filepath.Clean(configDir))
		}
		return &c
	}
	if !filepath.IsAbs(configDir) {
		configDir = filepath.Join(r.workspace, configDir)
	}
	rel, err := filepath.Rel(r.workspace, configDir)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		// Retry without symlinks: macOS's /var is /private/var, and a
		// workspace may be reached through a link.
		ws, err1 := filepath.EvalSymlinks(r.workspace)
		dir, err2 := filepath.EvalSymlinks(configDir)
		if err1 == nil && err2 == nil {
			rel, err = filepath.Rel(ws, dir)
		}
	}
	switch {
	case err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)):
		c.prefix = filepath.ToSlash(filepath.Clean(configDir))
	case rel == ".":
		c.prefix = ""
	default:
		c.prefix = filepath.ToSlash(rel)
	}
	return &c
}

// ForEnv returns a copy of r whose annotation titles name env ("kiln: env
// dev"), so that the same broken file rendered for several environments
// reads as several problems.
func (r *Runner) ForEnv(env string) *Runner {
	if r == nil {
		return nil
	}
	c := *r
	c.title = "kiln: env " + env
	return &c
}

// Mask registers every form of every secret value rd knows (see
// redact.Forms: escaped, base64, hex, each line of a multi-line value) with
// ::add-mask::, so that GitHub replaces it with *** in every later log line
// of the job, and masks them in everything r writes from now on. A form of
// several lines is registered line by line: the runner matches log lines
// one at a time, so the whole value would never match. Blank lines and
// lines shorter than redact.MinLength are skipped: the runner masks any
// text it is given, so a JSON key's "{" line would turn every brace of
// the job's log into ***, and kiln does not redact such pieces either.
// Call Mask before anything else is printed: GitHub cannot mask what
// it has already shown.
func (r *Runner) Mask(rd *redact.Redactor) {
	if r == nil || rd.Empty() {
		return
	}
	r.secrets.Add(rd)
	seen := map[string]bool{}
	var lines []string
	for _, v := range rd.Forms() {
		for _, l := range strings.Split(strings.ReplaceAll(v, "\r\n", "\n"), "\n") {
			l = strings.TrimSuffix(l, "\r")
			if redact.TooShort(l) || seen[l] {
				continue
			}
			seen[l] = true
			lines = append(lines, l)
		}
	}
	sort.Strings(lines)
	for _, l := range lines {
		r.command("add-mask", nil, l)
	}
}

// Error annotates every error inside e (errors.Join trees are flattened).
// A *diag.Error becomes ::error file=…,line=…,title=…::message, where the
// message names the app and object and carries the hint on its own line;
// any other error becomes ::error title=…::message.
func (r *Runner) Error(e error) {
	if r == nil || e == nil {
		return
	}
	for _, leaf := range diag.Flatten(e) {
		var de *diag.Error
		if errors.As(leaf, &de) {
			r.annotate("error", de.File, de.Line, message(r.bounded(de), true))
			continue
		}
		r.annotate("error", "", 0, diag.Bound(r.mask(leaf.Error())))
	}
}

// Warning annotates w like Error annotates a *diag.Error.
func (r *Runner) Warning(w diag.Warning) {
	if r == nil {
		return
	}
	r.annotate("warning", w.File, w.Line, message(r.bounded(w.AsError()), true))
}

// SetOutput sets the step output name to value by appending to the file
// $GITHUB_OUTPUT names, in the multi-line form
//
//	name<<DELIMITER
//	value
//	DELIMITER
//
// with a delimiter that does not occur in value. It does nothing when
// $GITHUB_OUTPUT is unset.
func (r *Runner) SetOutput(name, value string) error {
	if r == nil || r.output == "" {
		return nil
	}
	if name == "" || strings.ContainsAny(name, "=\r\n") || strings.Contains(name, "<<") {
		return fmt.Errorf("invalid step output name %q", name)
	}
	value = r.secrets.String(value)
	return appendFile(r.output, name+"<<"+delimiter(value)+"\n"+value+"\n"+delimiter(value)+"\n")
}

// SummaryLimit is the most a step's job summary may hold; GitHub rejects a
// bigger one and shows none of it.
const SummaryLimit = 1 << 20

// summaryCut ends a summary that Summary had to cut.
const summaryCut = "\n\n_kiln cut this summary here: a step's job summary is limited to 1 MiB._\n"

// mask masks s with r's secrets; a nil r masks nothing.
func (r *Runner) mask(s string) string {
	if r == nil || r.secrets == nil {
		return s
	}
	return r.secrets.String(s)
}

// Summary appends markdown to the job summary, $GITHUB_STEP_SUMMARY. A
// text that would take the file over SummaryLimit is cut at a line break
// with a note saying so. It
// does nothing when $GITHUB_STEP_SUMMARY is unset.
func (r *Runner) Summary(markdown string) error {
	if r == nil || r.summary == "" || markdown == "" {
		return nil
	}
	// Masked, then in caret notation: GitHub renders the summary as
	// markdown in a browser, where a bidi control in a name reorders what
	// the reader sees; kiln's own markdown holds no control character.
	// Quoted, not Lines: kiln diff's summary quotes the diff, where a CR
	// before a line feed is the line's own (a change of line endings).
	markdown = caret.Quoted(r.secrets.String(markdown))
	if !strings.HasSuffix(markdown, "\n") {
		markdown += "\n"
	}
	// The limit is the step's file's, whatever wrote to it before (another
	// kiln command in the same run: step, the script itself): over it,
	// GitHub shows none of the file.
	limit := SummaryLimit
	if st, err := os.Stat(r.summary); err == nil {
		limit -= int(min(st.Size(), SummaryLimit))
	}
	if len(markdown) > limit {
		room := limit - len(summaryCut)
		if room < 2*closersRoom {
			// Too little room for any of it: the note alone, if it fits.
			if room < 0 {
				return nil
			}
			return appendFile(r.summary, summaryCut)
		}
		cut := caret.Prefix(markdown, room-closersRoom)
		end := ""
		for {
			if i := strings.LastIndexByte(cut, '\n'); i >= 0 {
				cut = cut[:i]
			}
			// A fence is as long as the longest run of backticks in its
			// text (CodeBlock): its closer may be longer than
			// closersRoom, and the cut moves back until both fit.
			if end = closers(cut); len(cut)+len(end) <= room {
				break
			}
			cut = caret.Prefix(cut, max(0, room-len(end)))
		}
		markdown = cut + end + summaryCut
	}
	return appendFile(r.summary, markdown)
}

// closersRoom is what a cut summary keeps free for closers' text.
const closersRoom = 4 << 10

// closers returns what ends the blocks that md, a summary cut short,
// leaves open: a code fence (kiln diff's diffs are in fences, and the
// note after an open fence would read as code, as would everything
// after the summary), then each <details> not closed, so that the note
// is not folded away inside one. At most closersRoom bytes.
func closers(md string) string {
	fence := ""
	details := 0
	for line := range strings.Lines(md) {
		l := strings.TrimRight(line, "\r\n")
		t := strings.TrimLeft(l, " ")
		if len(l)-len(t) <= 3 && (strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~")) {
			run := len(t) - len(strings.TrimLeft(t, t[:1]))
			switch {
			case fence == "":
				fence = t[:run]
			case t[:1] == fence[:1] && run >= len(fence) && strings.TrimSpace(t[run:]) == "":
				fence = ""
			}
			continue
		}
		if fence != "" {
			continue
		}
		details += strings.Count(l, "<details") - strings.Count(l, "</details>")
	}
	var b strings.Builder
	if fence != "" {
		b.WriteString("\n" + fence)
	}
	for ; details > 0 && b.Len()+len("\n</details>") < closersRoom; details-- {
		b.WriteString("\n</details>")
	}
	return b.String()
}

// delimiter returns a heredoc delimiter that is not inside value. It is
// derived from value, not random, so that output stays reproducible; being
// checked against value, it cannot be forged by it.
func delimiter(value string) string {
	d := "ghadelimiter_kiln"
	for i := 1; strings.Contains(value, d); i++ {
		d = "ghadelimiter_kiln_" + strconv.Itoa(i)
	}
	return d
}

func appendFile(name, text string) error {
	f, err := os.OpenFile(name, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("opening %s: %w", name, err)
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}

// bounded is de as an annotation or the job summary shows it: each part
// masked with r's secrets, whole, and then bounded (diag.Error.Bounded),
// since a bound may cut a value in two and leave a start that r's masking
// of the text would not find.
func (r *Runner) bounded(de *diag.Error) *diag.Error { return de.Map(r.mask).Bounded() }

// message is the text of an annotation of de, which Runner.bounded made:
// "app A: Kind/ns/name: msg" and, with hint, the hint on a second line.
// The location goes into the file and line properties.
func message(de *diag.Error, hint bool) string {
	var b strings.Builder
	if de.App != "" {
		b.WriteString("app " + de.App + ": ")
	}
	if s := de.Object.String(); s != "" {
		b.WriteString(s + ": ")
	}
	b.WriteString(de.Msg)
	if hint && de.Hint != "" {
		b.WriteString("\nhint: " + de.Hint)
	}
	return b.String()
}

// annotate writes ::kind file=…,line=…,title=…::msg. A file inside an
// archive (diag.ArchiveEntry) is no file of the repository that GitHub
// could show: the annotation is the archive's, and msg starts with the
// entry and line.
func (r *Runner) annotate(kind, file string, line int, msg string) {
	if archive, entry, ok := diag.ArchiveEntry(file); ok {
		at := entry
		if line > 0 {
			at += ":" + strconv.Itoa(line)
		}
		file, line, msg = archive, 0, at+": "+msg
	}
	var props [][2]string
	if file != "" {
		props = append(props, [2]string{"file", r.repoPath(file)})
		if line > 0 {
			props = append(props, [2]string{"line", strconv.Itoa(line)})
		}
	}
	props = append(props, [2]string{"title", r.title})
	if r.shown != nil && !r.shown.admit(kind, props, msg) {
		return
	}
	r.command(kind, props, msg)
}

// repoPath turns a path relative to the kiln.yaml folder into one relative
// to the workspace.
func (r *Runner) repoPath(file string) string {
	if filepath.IsAbs(file) {
		if r.workspace != "" {
			if rel, err := filepath.Rel(r.workspace, file); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				return filepath.ToSlash(rel)
			}
		}
		return filepath.ToSlash(file)
	}
	file = filepath.ToSlash(file)
	if r.prefix == "" {
		return path.Clean(file)
	}
	return path.Join(r.prefix, file)
}

// command writes one workflow command. Properties and data are escaped the
// way the runner unescapes them (actions/runner, ActionCommand.cs:
// _escapePropertyMappings and _escapeDataMappings), so that no value can end
// the command early or start another. But for ::add-mask::, whose value
// must be the secret's own bytes, they are masked first and then shown in
// caret notation (caret.Lines; a property on one line): the runner
// unescapes %0A and friends, and GitHub's log viewer and annotation panel
// would otherwise obey an escape sequence or a bidi control in a chart's
// fail message, an object's or a file's name.
func (r *Runner) command(name string, props [][2]string, data string) {
	if name != "add-mask" {
		data = caret.Lines(r.secrets.String(data))
		for i := range props {
			props[i][1] = caret.String(r.secrets.String(props[i][1]))
		}
	}
	var b strings.Builder
	b.WriteString("::" + name)
	for i, p := range props {
		if i == 0 {
			b.WriteByte(' ')
		} else {
			b.WriteByte(',')
		}
		b.WriteString(p[0] + "=" + EscapeProperty(p[1]))
	}
	b.WriteString("::" + EscapeData(data) + "\n")
	// A failed write to stderr has nowhere better to be reported.
	r.guard.command(r.w, b.String())
}

// EscapeData escapes a workflow command's message: % first, then CR and LF.
func EscapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// EscapeProperty escapes a workflow command's property value: like
// EscapeData, plus the separators ':' and ','.
func EscapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
