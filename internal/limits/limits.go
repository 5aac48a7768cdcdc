package limits

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"syscall"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// The limits. They are constants, not options: a bound a template could
// raise would not be a bound, and one set of numbers keeps docs/security.md
// true. Each is far above what real inputs need.
const (
	// FileSize bounds every file kiln reads from the repository or a flag:
	// manifests, values, jsonnet sources, env files, kiln.yaml, --images.
	// Helm's loader allows 5 MiB per chart file; CRD bundles reach a few MiB.
	FileSize = 32 << 20
	// OutputSize bounds what one engine produces for one app (Helm's
	// rendered templates, jsonnet's output) before kiln parses it.
	OutputSize = 64 << 20
	// BuildReads bounds the bytes one kustomize build reads, a file read
	// again counted again. FileSize bounds each read, but a generator may
	// name one file many times (files: [a=big.bin, b=big.bin, …]), and
	// krusty holds every copy, encoded, before kiln sees its output: six
	// reads of a 30 MB file took 2.7 GB. A build that reads more than its
	// output may hold would fail on OutputSize anyway.
	BuildReads = OutputSize
	// Nodes bounds the YAML nodes of one file or one engine output, with
	// every alias counted as the nodes it stands for: a "billion laughs"
	// of a few hundred bytes expands to billions of nodes.
	Nodes = 4_000_000
	// Depth bounds the nesting of one YAML document, aliases expanded.
	// yaml.v3's parser stops at 10,000; kiln's tree walkers recurse, and no
	// Kubernetes object (CRD schemas included) nests beyond a few dozen.
	Depth = 1000
	// Documents bounds the YAML documents of one file or engine output.
	Documents = 100_000
	// EnvObjects bounds the objects of one env, its apps together. Each
	// app's output is bounded (Documents, OutputSize), but not the number
	// of apps: 500 apps each just under the bounds would make one env
	// hold 50,000,000 objects in kiln's memory, validated and laid out
	// together. The largest real envs hold a few tens of thousands; Flux
	// applies each app's objects in one Kustomization.
	EnvObjects = 200_000
	// Download bounds one chart repository index, chart archive or OCI
	// layer fetched over the network.
	Download = 128 << 20
	// TagPages bounds the pages of one OCI registry's tag list, which
	// kiln reads to resolve a version constraint. Registries answer 100
	// to 1,000 tags a page (or all of them); a registry that always
	// names a next page would be listed for ever.
	TagPages = 1000
	// ChartFiles bounds the files of one Helm chart: archive entries
	// (folders included) and folder files, its subcharts and the archives
	// inside it counted together. Helm's loader bounds bytes, not entries:
	// a 1,000,000-entry archive of empty files fits its 100 MiB and costs
	// gigabytes. The largest public charts have a few thousand files.
	ChartFiles = 20_000
	// ChartSize bounds the unpacked bytes of one Helm chart, subcharts and
	// nested archives counted together (tar headers and entries Helm skips
	// included). Helm bounds each archive to 100 MiB but not the archives
	// nested in it, each of which may unpack to 100 MiB again.
	ChartSize = 256 << 20
	// TreeFile bounds one file of a rendered tree kiln reads back (an
	// earlier render for --app, promote --rendered, diff --against DIR):
	// an object file is one object of an app's output (OutputSize), and a
	// Helm app's high-level values.yaml, bounded by its strings and
	// entries, is somewhat larger than them once written.
	TreeFile = 2 * OutputSize
	// TreeSize and TreeFiles bound a rendered tree read back, its files
	// together: an env's output is bounded by its objects (EnvObjects),
	// not its bytes, and a sparse or highly compressible file checked out
	// of a manifests repository costs kiln its full size.
	TreeSize  = 2 << 30
	TreeFiles = 4 * EnvObjects
)

// ErrLimit is the cause of every error that reports a bound was reached;
// errors.Is(err, ErrLimit) tells them from other failures.
var ErrLimit = errors.New("input exceeds a limit")

// ErrIrregular is the cause of the error for a FIFO, device, socket or
// directory where kiln expects a file: reading a FIFO would block forever
// and a device may never end.
var ErrIrregular = errors.New("not a regular file")

// Error reports that Input reached a bound.
type Error struct {
	// Input names what was being read: a path, a URL, "helm output".
	Input string
	// What is the bound, in words: "file size", "YAML aliases".
	What string
	// Limit is the bound's value, with its unit.
	Limit string
}

func (e *Error) Error() string {
	if e.Input == "" {
		return e.Describe()
	}
	return e.Input + ": " + e.Describe()
}

// Describe is the message without the input, for errors that name the
// input elsewhere (a diag.Error's File).
func (e *Error) Describe() string {
	return fmt.Sprintf("%s exceeds kiln's limit of %s", e.What, e.Limit)
}

// Hint says what to do about a limit, for diag.Error hints.
const Hint = "kiln bounds every input so that a few hostile bytes cannot exhaust memory or time; see \"Threat model and limits\" in docs/security.md"

// Reason is ": " and why a read failed, for messages that name the file
// themselves and would otherwise hide their cause: Describe(err) for a
// limit or irregular-file error, "it does not exist", or the system's
// reason of an *fs.PathError ("permission denied", "is a directory")
// without its path, which is absolute and the runner's; "" for anything
// else, whose text may carry what kiln does not print.
func Reason(err error) string {
	var pe *fs.PathError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrLimit) || errors.Is(err, ErrIrregular):
		return ": " + Describe(err)
	case errors.Is(err, fs.ErrNotExist):
		return ": it does not exist"
	case errors.As(err, &pe) && pe.Err != nil:
		return ": " + pe.Err.Error()
	}
	return ""
}

// Describe returns err's message without its input when err is an *Error,
// else err.Error().
func Describe(err error) string {
	var le *Error
	if errors.As(err, &le) {
		return le.Describe()
	}
	var ie *IrregularError
	if errors.As(err, &ie) {
		return "it is " + ie.What()
	}
	return err.Error()
}

// Unwrap lets errors.Is(err, ErrLimit) match.
func (e *Error) Unwrap() error { return ErrLimit }

// Bytes formats n bytes for messages: "64 MiB".
func Bytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// IrregularError reports a path that is not a regular file.
type IrregularError struct {
	Path string
	Mode fs.FileMode
}

func (e *IrregularError) Error() string { return e.Path + " is " + e.What() }

// What says what the file is instead: "a named pipe (FIFO), not a regular file".
func (e *IrregularError) What() string {
	what := "not a regular file"
	switch t := e.Mode.Type(); {
	case t&fs.ModeDir != 0:
		what = "a directory, not a file"
	case t&fs.ModeNamedPipe != 0:
		what = "a named pipe (FIFO), not a regular file"
	case t&fs.ModeSocket != 0:
		what = "a socket, not a regular file"
	case t&fs.ModeDevice != 0:
		what = "a device, not a regular file"
	}
	return what
}

// Unwrap lets errors.Is(err, ErrIrregular) match.
func (e *IrregularError) Unwrap() error { return ErrIrregular }

// Open opens path for reading if, once open, it is a regular file. It
// opens with O_NONBLOCK, so that a FIFO without a writer does not block the
// open itself, then checks the mode of the file it opened (not of the path,
// which could be swapped between a stat and an open).
func Open(path string) (*os.File, error) {
	f, info, err := OpenFileOrDir(path)
	if err != nil {
		return nil, err
	}
	if info.IsDir() {
		f.Close()
		return nil, &IrregularError{Path: path, Mode: info.Mode()}
	}
	return f, nil
}

// OpenFileOrDir is Open that also accepts a directory, for file systems
// that open folders to list them.
func OpenFileOrDir(path string) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !info.Mode().IsRegular() && !info.IsDir() {
		f.Close()
		return nil, nil, &IrregularError{Path: path, Mode: info.Mode()}
	}
	return f, info, nil
}

// ReadFile reads the regular file at path, up to FileSize bytes.
func ReadFile(path string) ([]byte, error) { return ReadFileAs(path, path) }

// ReadFileAs is ReadFile naming the file name in errors (a path relative
// to the repository, where path is absolute).
func ReadFileAs(path, name string) ([]byte, error) { return ReadFileMax(path, name, FileSize) }

// ReadFileMax is ReadFileAs with max bytes in place of FileSize: a file of
// a known size (a key, a file to compare with bytes at hand) or of a
// rendered tree (TreeFile).
func ReadFileMax(path, name string, max int64) ([]byte, error) {
	f, err := Open(path)
	if err != nil {
		var ie *IrregularError
		if errors.As(err, &ie) {
			ie.Path = name
		}
		return nil, err
	}
	defer f.Close()
	return ReadAll(f, name, max)
}

// TreeBudget bounds a rendered tree read back, file by file: each file by
// File, all of them together by Size and Files (TreeFile, TreeSize and
// TreeFiles, which tests lower). Input names the tree in errors.
type TreeBudget struct {
	Input             string
	File, Size, Files int64
	size, files       int64
}

// NewTreeBudget is the TreeBudget of a tree named input.
func NewTreeBudget(input string) *TreeBudget {
	return &TreeBudget{Input: input, File: TreeFile, Size: TreeSize, Files: TreeFiles}
}

// Take counts a file of the tree, named name in errors, of size bytes: the
// size is known before a byte is read (a stat, git's listing), so that a
// sparse or highly compressible file is refused at no cost.
func (b *TreeBudget) Take(name string, size int64) error {
	switch {
	case b.files >= b.Files:
		return &Error{Input: b.Input, What: "number of files", Limit: strconv.FormatInt(b.Files, 10)}
	case size > b.File:
		return &Error{Input: name, What: "size", Limit: Bytes(b.File)}
	case b.size+size > b.Size:
		return &Error{Input: b.Input, What: "size of its files together", Limit: Bytes(b.Size)}
	}
	b.files++
	b.size += size
	return nil
}

// ReadAll reads r to its end, refusing more than max bytes with an *Error
// naming input.
//
// An *os.File that is a regular file says how much is left to read: more
// than max is refused before a byte is read (a 4 GiB file costs a stat,
// not 32 MiB read and thrown away), and the buffer is made at its size at
// once. The size is only a hint otherwise: the file may grow while it is
// read, and a FIFO or device has none, so the read stays bounded.
func ReadAll(r io.Reader, input string, max int64) ([]byte, error) {
	tooBig := &Error{Input: input, What: "size", Limit: Bytes(max)}
	initial := int64(512)
	if left, ok := leftInFile(r); ok {
		if left > max {
			return nil, tooBig
		}
		initial = left + 1 // +1: the read that finds the end needs room
	}
	lr := io.LimitReader(r, max+1)
	data := make([]byte, 0, initial)
	for {
		n, err := lr.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)] // let append pick the growth
		}
	}
	if int64(len(data)) > max {
		return nil, tooBig
	}
	return data, nil
}

// leftInFile is how many bytes r, a regular *os.File, holds after its
// offset.
func leftInFile(r io.Reader) (int64, bool) {
	f, ok := r.(*os.File)
	if !ok {
		return 0, false
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return 0, false
	}
	off, err := f.Seek(0, io.SeekCurrent)
	if err != nil || off > fi.Size() {
		return 0, false
	}
	return fi.Size() - off, true
}

// Counter bounds the YAML read from one input across its documents.
type Counter struct {
	// Input names what is being read, for errors.
	Input string
	// MaxNodes replaces Nodes when positive, for tests that exercise the
	// bound with kilobytes instead of the gigabytes Nodes takes.
	MaxNodes int
	docs     int
	nodes    int
	// aliased: the last document counted holds an alias.
	aliased bool
	// merges: the last document counted holds a merge key (<<).
	merges bool
}

// Aliased reports whether the last document Document counted holds an
// alias, so that a caller checks what its aliases point at only then.
func (c *Counter) Aliased() bool { return c.aliased }

// Merges reports whether the last document Document counted holds a
// merge key (<<), with or without an alias: kustomize (so Flux) and Helm
// expand those when they read it, and so must the caller.
func (c *Counter) Merges() bool { return c.merges }

func (c *Counter) maxNodes() int {
	if c.MaxNodes > 0 {
		return c.MaxNodes
	}
	return Nodes
}

// Document counts one YAML document and checks it against Documents,
// Nodes and Depth, aliases expanded. It never expands an alias itself: it
// counts each anchored node once and multiplies, so a hostile document
// costs time linear in its size.
func (c *Counter) Document(doc *kyaml.Node) error {
	c.docs++
	if c.docs > Documents {
		return &Error{Input: c.Input, What: "the number of YAML documents", Limit: fmt.Sprint(Documents)}
	}
	w := walker{sizes: map[*kyaml.Node]nodeSize{}, open: map[*kyaml.Node]bool{}, max: c.maxNodes()}
	s := w.size(doc, 0)
	c.aliased, c.merges = w.aliased, w.merges
	if w.err != nil {
		w.err.Input = c.Input
		return w.err
	}
	c.nodes += s.nodes
	if c.nodes > w.max {
		return &Error{Input: c.Input, What: "the number of YAML nodes (aliases expanded)", Limit: fmt.Sprint(w.max)}
	}
	return nil
}

// Add counts into c what o counted, as if o's documents had been counted
// by c, and refuses (changing nothing) what would pass a bound.
func (c *Counter) Add(o *Counter) error {
	if c.docs+o.docs > Documents {
		return &Error{Input: c.Input, What: "the number of YAML documents", Limit: fmt.Sprint(Documents)}
	}
	if c.nodes+o.nodes > c.maxNodes() {
		return &Error{Input: c.Input, What: "the number of YAML nodes (aliases expanded)", Limit: fmt.Sprint(c.maxNodes())}
	}
	c.docs += o.docs
	c.nodes += o.nodes
	return nil
}

// CheckYAMLBytes parses data as a YAML stream and checks it with a
// Counter. It reports only limit errors: data that is not YAML is left to
// the caller's parser, whose messages are better. A stream that no parse
// could take past a bound (withinBoundsUnparsed) is not parsed.
func CheckYAMLBytes(data []byte, input string) error {
	if withinBoundsUnparsed(data) {
		return nil
	}
	return checkYAMLParsed(data, input)
}

// checkYAMLParsed is CheckYAMLBytes, always parsing.
func checkYAMLParsed(data []byte, input string) error {
	c := Counter{Input: input}
	dec := kyaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc kyaml.Node
		if err := dec.Decode(&doc); err != nil {
			return nil // io.EOF, or a syntax error for the caller
		}
		if err := c.Document(&doc); err != nil {
			return err
		}
	}
}

// A YAML stream without an alias expands to nothing: its nodes, documents
// and nesting are what its bytes spell, so a short one cannot pass Nodes or
// Documents, and one with few indicators cannot pass Depth.
// withinBoundsUnparsed tells such a stream from its bytes alone, so that
// the files securefs reads for kustomize (a few hundred bytes each,
// mostly) are not parsed twice. Its three claims, each checked on every
// input of FuzzCheckYAMLBytes against what the parser builds:
//
//   - without '*' there is no alias node (an alias is '*' and a name);
//   - every node but a document's is a scalar with bytes of its own, an
//     empty scalar that an indicator byte implies (a key without a value,
//     an empty entry: at most two per indicator), or a collection opened by
//     an indicator, so there are at most nodesPerByte nodes per byte, plus
//     the documents; and every document after the first starts with
//     "---", or follows "...", three bytes at least;
//   - every collection on the way from a document to its deepest node is
//     opened by an indicator of its own ('[' or '{' for a flow collection,
//     the '-' of its first entry for a block sequence, the ':' or '?' of
//     its first key for a block mapping), so the nesting is at most the
//     count of those bytes plus the document and the leaf.
//
// Comments, quoted scalars and "---" count their '-' and ':' too, which
// only sends more streams to the parser.
func withinBoundsUnparsed(data []byte) bool {
	if len(data) > unparsedMax || bytes.IndexByte(data, '*') >= 0 {
		return false
	}
	indicators := 0
	for _, b := range data {
		switch b {
		case '[', '{', '-', ':', '?':
			indicators++
		}
	}
	return indicators+2 <= Depth
}

const (
	// nodesPerByte is withinBoundsUnparsed's bound on the nodes per byte
	// of a stream without aliases (an indicator byte makes at most three:
	// its collection and two empty scalars).
	nodesPerByte = 3
	// unparsedMax is the largest stream withinBoundsUnparsed passes: with
	// nodesPerByte nodes per byte and one document per three bytes it is
	// below Nodes and Documents by a factor of four.
	unparsedMax = 64 << 10
)

// CheckYAML checks one parsed document of input; see Counter.Document.
func CheckYAML(doc *kyaml.Node, input string) error {
	c := Counter{Input: input}
	return c.Document(doc)
}

type nodeSize struct {
	nodes int // nodes, aliases expanded, capped at max+1
	depth int // height of the subtree, aliases expanded
}

type walker struct {
	sizes map[*kyaml.Node]nodeSize
	// open holds nodes being measured, to refuse an alias to an ancestor
	// (yaml.v3 refuses those already; this is belt and braces).
	open map[*kyaml.Node]bool
	err  *Error
	max  int // the node bound
	// aliased: an alias was met.
	aliased bool
	// merges: a merge key was met.
	merges bool
}

// size measures n, found at depth d.
func (w *walker) size(n *kyaml.Node, d int) nodeSize {
	if n == nil || w.err != nil {
		return nodeSize{}
	}
	if d > Depth {
		w.err = &Error{What: "YAML nesting depth (aliases expanded)", Limit: fmt.Sprint(Depth)}
		return nodeSize{}
	}
	if n.Kind == kyaml.AliasNode {
		w.aliased = true
		n = n.Alias
		if n == nil {
			return nodeSize{nodes: 1, depth: 1}
		}
	}
	if s, ok := w.sizes[n]; ok {
		if d+s.depth > Depth {
			w.err = &Error{What: "YAML nesting depth (aliases expanded)", Limit: fmt.Sprint(Depth)}
		}
		return s
	}
	// Only anchored nodes can be reached twice; the others need no memo.
	anchored := n.Anchor != ""
	if anchored {
		if w.open[n] {
			w.err = &Error{What: "YAML alias nesting (an alias inside its own anchor)", Limit: "none"}
			return nodeSize{}
		}
		w.open[n] = true
	}
	s := nodeSize{nodes: 1}
	if n.Kind == kyaml.MappingNode && !w.merges {
		for i := 0; i < len(n.Content); i += 2 {
			if k := n.Content[i]; k.Kind == kyaml.ScalarNode && k.Tag == kyaml.MergeTag {
				w.merges = true
			}
		}
	}
	for _, c := range n.Content {
		cs := w.size(c, d+1)
		if w.err != nil {
			return nodeSize{}
		}
		s.nodes += cs.nodes
		if s.nodes > w.max {
			w.err = &Error{What: "the number of YAML nodes (aliases expanded)", Limit: fmt.Sprint(w.max)}
			return nodeSize{}
		}
		s.depth = max(s.depth, cs.depth+1)
	}
	if anchored {
		delete(w.open, n)
		w.sizes[n] = s
	}
	return s
}
