package plain

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf16"

	"gopkg.in/yaml.v3"
	"sigs.k8s.io/kustomize/api/konfig"

	"github.com/kiln-gitops/kiln/internal/deps"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/internal/rootfs"
	"github.com/kiln-gitops/kiln/internal/words"
	"github.com/kiln-gitops/kiln/internal/yamlpos"
	"github.com/kiln-gitops/kiln/templates"
	"github.com/kiln-gitops/kiln/templates/internal/envsubst"
)

// Options configures an Engine. It has no fields yet; it exists so that
// adding one does not change New's signature.
type Options struct{}

// Engine renders folders of plain YAML. It holds no state between renders
// and is safe for concurrent use.
type Engine struct {
	opts Options
	// maxAdded bounds the bytes substitution adds to one app's files:
	// limits.OutputSize; tests lower it.
	maxAdded int
	// maxOutput bounds the size of the app's files together, substituted:
	// limits.OutputSize; tests lower it.
	maxOutput int
	// maxEntries bounds the folder entries one render walks: maxEntries;
	// tests lower it.
	maxEntries int
}

var _ templates.Engine = (*Engine)(nil)

// New returns an Engine.
func New(opts Options) *Engine {
	return &Engine{opts: opts, maxAdded: limits.OutputSize, maxOutput: limits.OutputSize, maxEntries: maxEntries}
}

// skipped are file names Render does not render. A kustomization in the
// folder is an instruction to kustomize, not a Kubernetes object, and
// kiln writes its own kustomization.yaml next to the rendered objects;
// see checkKustomizations for when one is allowed.
var skipped = konfig.RecognizedKustomizationFileNames()

// Render reads every *.yaml and *.yml file below req.Path (recursively,
// in sorted slash-path order, following symlinks that stay inside
// req.Root), replaces ${VAR} from req.Vars (see envsubst.SubstituteYAML) and
// returns the objects. A SOPS-encrypted document is left as it is, and a
// placeholder in one is an error; an object annotated or labelled
// kustomize.toolkit.fluxcd.io/substitute: disabled is left as it is (see
// substitute). Files named kustomization.yaml, kustomization.yml
// or Kustomization are not rendered (kiln writes its own
// kustomization.yaml), and are an error unless they list exactly the
// files rendered (see checkKustomizations); files with other extensions
// are ignored. Placeholders in YAML comments are left as written, as Flux
// never sees comments (envsubst.SubstituteYAML).
//
// Result.Inputs lists the files read. Result.InputDigest is a sha256 over
// their paths and contents and the names and values of the variables
// used, secret vars by name only (Request.DigestVars): the digest is
// published, and a hash of a guessable secret would let anyone check
// guesses offline. Result.Params is {"vars": {NAME: value}} for the
// variables used, secret or not: the caller redacts.
//
// Result.Deps record every folder listed, symlink followed and file read
// (see list), so that kiln's render cache notices a file added to a walked
// folder as well as a file changed. The Result is Cacheable unless the
// render used a secret var: its value is in the output, and the cache
// keeps no secret.
func (e *Engine) Render(ctx context.Context, req *templates.Request) (res *templates.Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			res, err = nil, &diag.Error{App: req.App, File: req.Path, Msg: fmt.Sprintf("the yaml engine failed unexpectedly: %v", p),
				Hint: "this is a bug in kiln; please report it with the app's files"}
		}
	}()
	res, err = e.render(ctx, req)
	if err != nil {
		return nil, diag.ForApp(err, req.App)
	}
	return res, nil
}

func (e *Engine) render(ctx context.Context, req *templates.Request) (*templates.Result, error) {
	rec := deps.New(req.Root)
	l, err := list(ctx, rec, req.Root, req.Path, e.maxEntries)
	if err != nil {
		return nil, err
	}
	files, kusts := l.files, l.kusts
	if err := checkKustomizations(rec, req.Path, kusts, files); err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, &diag.Error{File: req.Path, Msg: "no *.yaml or *.yml files in the folder",
			Hint: "add the app's Kubernetes objects as .yaml files below " + req.Path + ", or fix the app's yaml: path (in kiln.yaml, or in the env file that sets it)"}
	}

	// kustomize-controller removes every line break from a variable's
	// value before it substitutes (fluxcd/pkg/kustomize: LoadVariables
	// and the Kustomization's postBuild.substitute alike), so a value
	// written as a block scalar in the env file goes in as one line.
	subVars := oneLine(req.Vars)
	// The parsed text holds a secret var's value only as substituted.
	secrets := oneLine(req.SecretVarValues())
	h := sha256.New()
	used := map[string]bool{}
	added := 0 // bytes substitution added to the files so far
	// The app's files are one engine output: their documents and nodes
	// are counted together, and their size, as Helm's templates are (each
	// file alone was bounded, the app not: 4 files of 60,000 ConfigMaps,
	// 15 MB, made 240,000 objects and 2 GB in kiln's process).
	counter := &limits.Counter{Input: req.Path}
	size := 0
	var objs []templates.Object
	var errs []error
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		data, err := limits.ReadFileAs(f.abs, f.rel)
		if err != nil {
			errs = append(errs, &diag.Error{File: f.rel, Msg: "cannot read the file" + limits.Reason(err), Err: err})
			continue
		}
		rec.File(f.abs, data)
		// Length-prefixed, so that no two different file sets hash alike.
		fmt.Fprintf(h, "file %d:%s\n%d:", len(f.rel), f.rel, len(data))
		h.Write(data)
		text, err := utf8Text(data, f.rel)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out, names, err := substitute(text, f.rel, subVars, req.SecretVars)
		if err != nil {
			errs = append(errs, withKeepHint(err))
			continue
		}
		// Each file's substitution is bounded (envsubst); so is what they
		// add together, since the objects of every file are kept.
		if added += max(len(out)-len(text), 0); added > e.maxAdded {
			le := &limits.Error{Input: f.rel, What: "the text that substituting placeholders adds to the app's files", Limit: limits.Bytes(int64(e.maxAdded))}
			errs = append(errs, &diag.Error{File: f.rel, Msg: le.Describe() + " (reached at this file)", Err: le,
				Hint: "the values substituted are far longer than manifests need; " + limits.Hint})
			break
		}
		for _, n := range names {
			used[n] = true
		}
		if size += len(out); size > e.maxOutput {
			le := &limits.Error{Input: f.rel, What: "the size of the app's YAML files together", Limit: limits.Bytes(int64(e.maxOutput))}
			errs = append(errs, &diag.Error{File: f.rel, Msg: le.Describe() + " (reached at this file)", Err: le,
				Hint: "split the app into several apps; " + limits.Hint})
			break
		}
		got, err := objects.ParseCounted(out, f.rel, 0, counter)
		if errors.Is(err, limits.ErrLimit) {
			errs = append(errs, err)
			break
		}
		if err != nil {
			// The parser quotes the text it choked on, which may be a
			// substituted value.
			errs = append(errs, redact(err, secrets))
			continue
		}
		objs = append(objs, got...)
	}
	if len(errs) > 0 {
		return nil, diag.Join(errs...)
	}
	if len(objs) == 0 {
		return nil, &diag.Error{File: req.Path, Msg: "the folder's YAML files hold no Kubernetes objects",
			Hint: "add objects with apiVersion, kind and metadata.name to the .yaml files below " + req.Path}
	}

	names := make([]string, 0, len(used))
	secret := false
	for n := range used {
		names = append(names, n)
		secret = secret || req.SecretVars[n]
	}
	sort.Strings(names)
	vars := make(map[string]any, len(names))
	digestVars := req.DigestVars() // secret values never: see Request.SecretVars
	for _, n := range names {
		v := req.Vars[n]
		dv := digestVars[n]
		fmt.Fprintf(h, "var %d:%s=%d:%s\n", len(n), n, len(dv), dv)
		vars[n] = v
	}
	inputs := make([]string, len(files))
	for i, f := range files {
		inputs[i] = f.rel
	}
	res := &templates.Result{
		Objects:     objs,
		Inputs:      inputs,
		InputDigest: "sha256:" + hex.EncodeToString(h.Sum(nil)),
		Params:      map[string]any{"vars": vars},
		Warnings:    unread(rec, l.others),
	}
	var ok bool
	res.Deps, ok = rec.Deps()
	// A secret var's value is in the output; the cache keeps no secret.
	res.Cacheable = ok && !secret
	return res, nil
}

// utf8Text returns data, a YAML file, as UTF-8. YAML may be written in
// UTF-16 with a byte order mark (Windows PowerShell's `>` writes such
// files), which YAML readers and so kustomize and Flux decode; substitution
// works on UTF-8 text, on which Flux substitutes too (the object as
// kustomize writes it out). Read as bytes, a UTF-16 file's placeholders
// were not found and its NUL bytes cut the lines Flux's envsubst reads.
func utf8Text(data []byte, file string) ([]byte, error) {
	var order binary.ByteOrder
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		order = binary.LittleEndian
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		order = binary.BigEndian
	default:
		return data, nil
	}
	if len(data)%2 != 0 {
		return nil, &diag.Error{File: file, Msg: "the file starts with a UTF-16 byte order mark but has an odd number of bytes",
			Hint: "save the file as UTF-8"}
	}
	units := make([]uint16, 0, len(data)/2-1)
	for i := 2; i < len(data); i += 2 {
		units = append(units, order.Uint16(data[i:]))
	}
	return []byte(string(utf16.Decode(units))), nil
}

// oneLine returns vars with every "\n" removed from their values, as
// kustomize-controller loads them; vars itself when none has one.
func oneLine(vars map[string]string) map[string]string {
	var out map[string]string
	for k, v := range vars {
		if !strings.Contains(v, "\n") {
			continue
		}
		if out == nil {
			out = maps.Clone(vars)
		}
		out[k] = strings.ReplaceAll(v, "\n", "")
	}
	if out == nil {
		return vars
	}
	return out
}

// substitute is envsubst.SubstituteYAML for a file of YAML documents, except
// that SOPS-encrypted documents (a top-level sops key holding a mac) are
// left byte for byte as they are. Their MAC covers every value, the
// readable ones too, so replacing a ${VAR} in one would make Flux's (and
// sops's) decryption fail. A placeholder (or a $${...} escape) that kiln
// would have replaced in such a document is an error naming the file and
// line: kiln cannot honour it, and leaving ${VAR} in place would deploy
// the literal text. Flux substitutes after decrypting, but only when the
// Kustomization has postBuild, which kiln never emits.
//
// A document whose object has the annotation or label
// kustomize.toolkit.fluxcd.io/substitute: disabled is left as it is too,
// as kustomize-controller leaves it (its placeholders are for someone
// else: a script, another templating step).
//
// A secret var (secret names them) may only be substituted whole
// (envsubst.SubstituteYAMLSecret).
func substitute(data []byte, file string, vars map[string]string, secret map[string]bool) ([]byte, []string, error) {
	if !bytes.Contains(data, []byte("sops:")) && !bytes.Contains(data, []byte(substituteKey)) {
		return envsubst.SubstituteYAMLSecret(data, file, vars, secret)
	}
	docs, err := splitDocuments(data, file)
	if err != nil {
		return nil, nil, err
	}
	// The whole file with its SOPS documents blanked (their lines kept as
	// empty lines) gives the errors of the other documents at the file's
	// own line numbers, and the names of the variables used.
	blanked := make([][]byte, len(docs))
	var errs []error
	for i, d := range docs {
		blanked[i] = d.text
		if d.disabled {
			blanked[i] = bytes.Repeat([]byte("\n"), bytes.Count(d.text, []byte("\n")))
			continue
		}
		if !d.sops {
			continue
		}
		blanked[i] = bytes.Repeat([]byte("\n"), bytes.Count(d.text, []byte("\n")))
		if out, _, err := envsubst.SubstituteYAML(d.text, file, vars); err != nil || !bytes.Equal(out, d.text) {
			errs = append(errs, &diag.Error{File: file, Line: d.line + placeholderLine(d.text) + 1,
				Msg: fmt.Sprintf("a SOPS-encrypted document holds %s: kiln replaces no variable inside one, "+
					"since a change after encryption breaks its MAC", placeholders(d.text)),
				Hint: "put the value into the document before encrypting it with sops (sops --encrypt), or move the placeholder to an object that is not encrypted"})
		}
	}
	_, names, err := envsubst.SubstituteYAMLSecret(bytes.Join(blanked, nil), file, vars, secret)
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, nil, diag.Join(errs...)
	}
	var out []byte
	for _, d := range docs {
		if d.sops || d.disabled {
			out = append(out, d.text...)
			continue
		}
		// Cannot fail: the blanked file held this text and substituted.
		s, _, err := envsubst.SubstituteYAMLSecret(d.text, file, vars, secret)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, s...)
	}
	return out, names, nil
}

// document is one document of a YAML stream, with the separator line
// (---) that starts it, if any.
type document struct {
	text     []byte
	line     int  // the 0-based line of the file its text starts on
	sops     bool // SOPS-encrypted
	disabled bool // kustomize.toolkit.fluxcd.io/substitute: disabled
}

// substituteKey is the annotation (or label) with which Flux skips
// substitution in an object.
const substituteKey = "kustomize.toolkit.fluxcd.io/substitute"

// splitDocuments cuts data at its document separators: a line starting
// with --- or ... and then nothing or white space always starts a new
// document (inside a document such a line would have to be indented).
func splitDocuments(data []byte, file string) ([]document, error) {
	var docs []document
	for _, d := range yamlpos.New(data).Documents() {
		if d.End > d.Start {
			docs = append(docs, document{text: data[d.Start:d.End:d.End], line: d.Line})
		}
	}
	var out []document
	for _, d := range docs {
		if bytes.Contains(d.text, []byte(substituteKey)) {
			// Flux reads the annotation from the object kustomize built,
			// before substituting: a document that only parses once
			// substituted cannot carry it.
			if objs, err := objects.Parse(d.text, "", 0); err == nil && len(objs) > 0 {
				parts, err := disabledParts(d, objs, file)
				if err != nil {
					return nil, err
				}
				out = append(out, parts...)
				continue
			}
		}
		out = append(out, d)
	}
	docs = out
	for i := range docs {
		d := &docs[i]
		if !bytes.Contains(d.text, []byte("\nsops:")) && !bytes.HasPrefix(d.text, []byte("sops:")) {
			continue
		}
		// A placeholder can make a document unparseable before it is
		// substituted; such a document is no SOPS document (the sops
		// program writes valid YAML).
		if objs, err := objects.Parse(d.text, "", 0); err == nil && len(objs) == 1 && objs[0].Raw != nil {
			d.sops = true
		}
	}
	return docs, nil
}

// disabledParts is d, whose objects are objs, as Flux substitutes it:
// kustomize-controller substitutes each object of a List on its own, so a
// List whose items are marked kustomize.toolkit.fluxcd.io/substitute:
// disabled in part is cut into the lines of each item (the List's own
// lines go with the part before them: kustomize drops the List itself).
// Items written on one line (a flow sequence) cannot be cut so: a List
// that marks only some of those is refused.
func disabledParts(d document, objs []templates.Object, file string) ([]document, error) {
	marked := 0
	for _, o := range objs {
		if substituteDisabled(o) {
			marked++
		}
	}
	switch marked {
	case 0:
		return []document{d}, nil
	case len(objs):
		d.disabled = true
		return []document{d}, nil
	}
	lines := bytes.SplitAfter(d.text, []byte("\n"))
	var parts []document
	refuse := &diag.Error{File: file, Line: d.line + objs[0].Line,
		Msg:  "a List marks only some of its items kustomize.toolkit.fluxcd.io/substitute: disabled, and kiln cannot cut it into its items' lines to leave only the marked ones as written",
		Hint: "write the List's items one below the other (a block sequence), or each object as a document of its own"}
	start, prev, disabled := 0, -1, false
	for _, o := range objs {
		at := o.Line - 1
		if at <= prev || at >= len(lines) {
			return nil, refuse // two items share a line
		}
		prev = at
		if at > start {
			parts = append(parts, document{text: bytes.Join(lines[start:at], nil), line: d.line + start, disabled: disabled})
		}
		start, disabled = at, substituteDisabled(o)
	}
	// The List's keys after its items (kubectl writes kind and metadata
	// there) are no part of the last item.
	end := len(lines)
	if after := afterItems(d.text); after > start && after < end {
		end = after
	}
	parts = append(parts, document{text: bytes.Join(lines[start:end], nil), line: d.line + start, disabled: disabled})
	if end < len(lines) {
		parts = append(parts, document{text: bytes.Join(lines[end:], nil), line: d.line + end})
	}
	// Each part is substituted on its own, which reads its quoted scalars
	// as YAML: a part that is no YAML alone (the items of a flow
	// sequence, one a line) would be substituted otherwise than whole.
	for _, p := range parts {
		var n yaml.Node
		if yaml.Unmarshal(p.text, &n) != nil {
			return nil, refuse
		}
	}
	return parts, nil
}

// afterItems is the 0-based line of text, a List, where the key after its
// items begins; 0 when none follows them.
func afterItems(text []byte) int {
	var doc yaml.Node
	if yaml.Unmarshal(text, &doc) != nil || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return 0
	}
	m := doc.Content[0].Content
	for i := 0; i+2 < len(m); i += 2 {
		if m[i].Value == "items" {
			return m[i+2].Line - 1
		}
	}
	return 0
}

// substituteDisabled reports whether Flux leaves o's placeholders as
// written.
func substituteDisabled(o templates.Object) bool {
	return o.Node != nil && (o.Node.GetAnnotations()[substituteKey] == "disabled" || o.Node.GetLabels()[substituteKey] == "disabled")
}

var placeholderRE = regexp.MustCompile(`\$?\$\{[^}\n]*\}?`)

// placeholderLine is the 0-based line of text's first placeholder.
func placeholderLine(text []byte) int {
	i := bytes.Index(text, []byte("${"))
	if i < 0 {
		return 0
	}
	return bytes.Count(text[:i], []byte("\n"))
}

// placeholders lists text's placeholders as they are written (names and
// defaults, never values), for the error.
func placeholders(text []byte) string {
	seen := map[string]bool{}
	var out []string
	for _, m := range placeholderRE.FindAll(text, -1) {
		if s := string(m); !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	if len(out) > 3 {
		out = append(out[:3], fmt.Sprintf("and %d more", len(out)-3))
	}
	return strings.Join(out, ", ")
}

// file is one YAML file to read.
type file struct {
	rel string // repo-relative, slash-separated, as reached from the folder
	abs string // resolved, inside the root
}

// listing is what list finds below an app's folder.
type listing struct {
	files []file // the YAML files rendered
	kusts []file // the kustomization files
	// others are files that may hold objects but are not rendered, as
	// Flux would not apply them (unread).
	others []file
}

// list returns the YAML files below dir (repo-relative), sorted by their
// slash paths, and the others it notices. Symlinks are followed when they
// stay inside root; a link that leads outside is an error, so is a link
// cycle. rec records where dir leads, each folder's listing (a file added
// or renamed changes the output) and where each symlink leads and what it
// finds there.
func list(ctx context.Context, rec *deps.Recorder, root, dir string, max int) (*listing, error) {
	real, err := rec.Resolve(root, dir)
	if err != nil {
		return nil, containment(dir, err)
	}
	fi, err := os.Stat(real)
	rec.Stat(real, fi, err)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, &diag.Error{File: dir, Msg: "the folder does not exist", Err: err,
			Hint: "fix the app's yaml: path, relative to the repository root (in kiln.yaml, or in the env file that sets it)"}
	case err != nil:
		return nil, &diag.Error{File: dir, Msg: "cannot read the folder: " + rootfs.Why(err), Err: err}
	case !fi.IsDir():
		return nil, &diag.Error{File: dir, Msg: "not a folder",
			Hint: "a yaml app names a folder of .yaml files; for a single file, put it in a folder of its own"}
	}
	w := &walker{ctx: ctx, rec: rec, root: root, seen: map[string]bool{}, left: max}
	var errs []error
	w.walk(path.Clean(dir), real, &errs)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if w.left < 0 {
		le := &limits.Error{What: "the entries below the folder, each counted every time a symlink leads to it", Limit: fmt.Sprint(max)}
		return nil, &diag.Error{File: dir, Msg: le.Describe(), Err: le,
			Hint: "a symlink to a folder the walk reaches anyway makes it walk that folder again, and each such link doubles the walk; remove such links, or split the app"}
	}
	if len(errs) > 0 {
		return nil, diag.Join(errs...)
	}
	// Sort by the whole slash path: "a.yaml" comes before "a/b.yaml",
	// whatever order the directory listing had.
	for _, fs := range [][]file{w.files, w.others} {
		sort.Slice(fs, func(i, j int) bool { return fs[i].rel < fs[j].rel })
	}
	return &listing{files: w.files, kusts: w.kusts, others: w.others}, nil
}

// maxEntries bounds the folder entries one render walks. A folder reached
// through several symlinks is walked again each time, so a few links
// (d0/a and d0/b to d1, d1/a and d1/b to d2, …) make the walk exponential:
// 22 levels took minutes and ignored --timeout.
const maxEntries = 100_000

type walker struct {
	ctx    context.Context
	left   int // entries the walk may still visit; below 0 when it stopped
	rec    *deps.Recorder
	root   string
	seen   map[string]bool // resolved folders on the current path, against link cycles
	files  []file
	kusts  []file // the kustomization files found
	others []file // listing.others
}

func (w *walker) walk(rel, real string, errs *[]error) {
	if w.left < 0 || w.ctx.Err() != nil {
		return
	}
	if w.seen[real] {
		*errs = append(*errs, &diag.Error{File: rel, Msg: "symlink cycle: the folder contains itself",
			Hint: "remove the symlink that points back up the tree"})
		return
	}
	w.seen[real] = true
	defer delete(w.seen, real)
	entries, err := os.ReadDir(real)
	if err != nil {
		*errs = append(*errs, &diag.Error{File: rel, Msg: "cannot read the folder: " + rootfs.Why(err), Err: err})
		return
	}
	w.rec.Dir(real, entries)
	if w.left -= len(entries); w.left < 0 {
		return
	}
	for _, ent := range entries {
		name := ent.Name()
		childRel := path.Join(rel, name)
		childAbs := filepath.Join(real, name)
		isDir := ent.IsDir()
		if ent.Type()&fs.ModeSymlink != 0 {
			target, err := w.rec.Resolve(w.root, childAbs)
			if err != nil {
				*errs = append(*errs, containment(childRel, err))
				continue
			}
			fi, err := os.Stat(target)
			w.rec.Stat(target, fi, err)
			if err != nil {
				*errs = append(*errs, &diag.Error{File: childRel, Msg: "broken symlink", Err: err,
					Hint: "fix or remove the symlink"})
				continue
			}
			childAbs, isDir = target, fi.IsDir()
		}
		switch {
		case isDir:
			w.walk(childRel, childAbs, errs)
		case slices.Contains(skipped, name):
			w.kusts = append(w.kusts, file{rel: childRel, abs: childAbs})
		case strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml"):
			w.files = append(w.files, file{rel: childRel, abs: childAbs})
		case mayHoldObjects(name):
			w.others = append(w.others, file{rel: childRel, abs: childAbs})
		}
	}
}

// keepHint ends the hint of a file's first placeholder kiln cannot
// substitute: an object full of another program's (a Grafana dashboard's
// ${datasource}, hundreds in kube-prometheus's manifests) is better left
// whole to the annotation Flux and kiln honour than escaped one by one.
const keepHint = "; to leave a whole object's text as written, annotate it " + substituteKey + ": disabled"

// withKeepHint returns err, a file's substitution errors, with keepHint
// added to the first hint about a placeholder (once a file, not after each
// of its hundreds of errors).
func withKeepHint(err error) error {
	leaves := diag.Flatten(err)
	for i, e := range leaves {
		var de *diag.Error
		if errors.As(e, &de) && placeholderHint(de.Hint) {
			c := *de
			c.Hint += keepHint
			leaves[i] = &c
			return errors.Join(leaves...)
		}
	}
	return err
}

// placeholderHint reports whether hint is envsubst's for a placeholder it
// cannot substitute: unset, no name, malformed.
func placeholderHint(hint string) bool {
	return strings.HasPrefix(hint, "set ") || strings.HasPrefix(hint, "write ${") || strings.HasPrefix(hint, "write $${")
}

// mayHoldObjects reports whether a file named name, not rendered, may hold
// Kubernetes objects its author meant to deploy: JSON (which kubectl
// apply -f takes from a folder), or YAML whose extension is in another
// case (deploy.YAML). Flux, building a folder without a kustomization,
// takes *.yaml and *.yml alone, case and all, as kiln does.
func mayHoldObjects(name string) bool {
	lower := strings.ToLower(name)
	return strings.HasSuffix(lower, ".json") || strings.HasSuffix(lower, ".yaml") || strings.HasSuffix(lower, ".yml")
}

// unread returns a warning for each of others, files not rendered, that
// holds Kubernetes objects: left out silently, they would never reach the
// cluster. rec records what each read found, so the render cache notices
// a file edited into or out of holding objects.
func unread(rec *deps.Recorder, others []file) []templates.Warning {
	var ws []templates.Warning
	for _, f := range others {
		data, err := limits.ReadFileAs(f.abs, f.rel)
		if err != nil {
			// Not the app's file: whatever keeps it from being read is
			// not this render's to report. Recorded as unreadable, so
			// that a file over the size bound that shrinks into holding
			// objects is read again, not served without its warning.
			rec.Record(deps.File, f.abs, deps.StateError)
			continue
		}
		rec.File(f.abs, data)
		text, err := utf8Text(data, f.rel)
		if err != nil {
			continue
		}
		objs, err := objects.ParseCounted(text, f.rel, 0, &limits.Counter{Input: f.rel})
		if err != nil || len(objs) == 0 {
			continue
		}
		n := objs[0].Node
		what := n.GetKind() + "/" + n.GetName()
		if len(objs) > 1 {
			what += " and " + words.Count(len(objs)-1, "more object")
		}
		hint := "rename it to .yaml (JSON is YAML) to deploy it, or move it out of the app's folder"
		if !strings.HasSuffix(strings.ToLower(f.rel), ".json") {
			hint = "rename it with the extension in lower case (.yaml) to deploy it, or move it out of the app's folder"
		}
		ws = append(ws, templates.Warning{File: f.rel,
			Msg:  "not rendered, though it holds " + what + ": a yaml app takes only *.yaml and *.yml files, as Flux does in a folder without a kustomization",
			Hint: hint})
	}
	return ws
}

// containment turns a rootfs error into a user error naming the path.
func containment(p string, err error) error {
	var oe *rootfs.OutsideError
	if errors.As(err, &oe) {
		return &diag.Error{File: p, Msg: "path leads outside the repository", Err: err,
			Hint: "kiln reads only files inside the repository: name a folder inside it, and replace symlinks that lead out by copies"}
	}
	return &diag.Error{File: p, Msg: "cannot resolve the path: " + rootfs.Why(err), Err: err}
}

// redact scrubs secret var values from the messages of the errors in err.
func redact(err error, vars map[string]string) error {
	var out []error
	for _, e := range diag.Flatten(err) {
		var de *diag.Error
		if errors.As(e, &de) {
			c := *de
			c.Msg = envsubst.Redact(c.Msg, vars)
			c.Hint = envsubst.Redact(c.Hint, vars)
			if c.Err != nil {
				if s := c.Err.Error(); envsubst.Redact(s, vars) != s {
					// Keep the error chain's shape readable without the value.
					c.Err = errors.New(envsubst.Redact(s, vars))
				}
			}
			e = &c
		} else if s := e.Error(); envsubst.Redact(s, vars) != s {
			e = errors.New(envsubst.Redact(s, vars))
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}
