package jsonnet

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"maps"
	"slices"
	"strings"

	gojsonnet "github.com/google/go-jsonnet"

	"github.com/kiln-gitops/kiln/internal/deps"
	"github.com/kiln-gitops/kiln/internal/detach"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/internal/rootfs"
	"github.com/kiln-gitops/kiln/templates"
)

// Options configures an Engine. It has no fields yet; it exists so that
// adding one does not change New's signature.
type Options struct{}

// Engine renders Jsonnet apps. It is safe for concurrent use: each Render
// runs its own VM (a go-jsonnet VM is not safe for concurrent use); only
// file contents are shared between renders, read once per Engine.
type Engine struct {
	opts   Options
	cache  *fileCache
	bounds bounds
}

// bounds are the limits of the jsonnet output an Engine accepts: those of
// internal/limits for one engine output, which tests lower to exercise
// each bound in kilobytes, not gigabytes.
type bounds struct {
	output  int // limits.OutputSize: bytes of JSON
	nodes   int // limits.Nodes: values, keys included
	objects int // limits.Documents: objects after flattening
}

var _ templates.Engine = (*Engine)(nil)

// New returns an Engine with an empty file cache. Keep one Engine for a
// whole run, so that libraries shared by several apps or environments are
// read once; files are assumed not to change while it lives.
func New(opts Options) *Engine {
	return &Engine{opts: opts, cache: &fileCache{files: map[string]gojsonnet.Contents{}},
		bounds: bounds{output: limits.OutputSize, nodes: limits.Nodes, objects: limits.Documents}}
}

// The names of the ext vars, and of the top-level arguments kiln passes.
const (
	argEnv    = "env"
	argVars   = "vars"
	argImages = "images"
)

// Render evaluates req.Path, a .jsonnet file, with import search folders
// req.JPath, and flattens its output into Kubernetes objects (see
// flatten).
//
// The ext vars env (a string, req.Env), vars (an object, req.Vars) and
// images (an object, req.Images) are always set. When the file evaluates
// to a function, the same values are passed as top-level arguments
// instead, but only those the function declares: Render reads the
// parameter names from the file's syntax tree, through local bindings
// (`local x = …; function(env, vars) …`, `local f(env) = …; f`). When the
// tree does not tell (the file's value is an import, a call, a
// conditional…), all three are passed; the VM ignores them when the value
// is not a function, and a function must then declare all three.
//
// Result.Inputs are the files read (the main file, imports, importstr and
// importbin). Result.InputDigest covers their paths and contents, the main
// path, the jpath and the values passed, secret vars by name only
// (Request.DigestVars). Result.Params is {"env", "vars",
// "images"}, or {"tla": {…}} holding the top-level arguments actually
// passed when the file is a function; vars may hold secrets: the caller
// redacts.
//
// Result.Deps record every import candidate looked at along the jpath (see
// importer); the Result is Cacheable unless req has secret vars.
//
// go-jsonnet cannot be interrupted, so the evaluation runs in a goroutine
// of its own and Render returns ctx's error as soon as ctx ends (kiln's
// --timeout, a signal); the abandoned evaluation runs on until the process
// exits. The CLI exits right after a failed render, so that costs nothing.
func (e *Engine) Render(ctx context.Context, req *templates.Request) (*templates.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res, err := detach.Run(ctx, func() (*templates.Result, error) { return e.render(req) }, func(p any) error {
		return &diag.Error{App: req.App, File: req.Path, Msg: fmt.Sprintf("the jsonnet engine failed unexpectedly: %v", p),
			Hint: "this is a bug in kiln or go-jsonnet; please report it with the app's jsonnet files"}
	})
	switch {
	case err != nil && ctx.Err() != nil:
		return nil, &diag.Error{App: req.App, File: req.Path, Msg: "jsonnet evaluation stopped: " + ctx.Err().Error(), Err: ctx.Err(),
			Hint: "an endless or very long evaluation; raise --timeout if the jsonnet is just slow"}
	case err != nil:
		return nil, diag.ForApp(err, req.App)
	}
	return res, nil
}

func (e *Engine) render(req *templates.Request) (*templates.Result, error) {
	rec := deps.New(req.Root)
	im := newImporter(req.Root, req.JPath, e.cache, rec)
	vm := gojsonnet.MakeVM()
	vm.Importer(im)
	// std.trace writes its message to the VM's trace writer, os.Stderr by
	// default: straight to the terminal of a program that renders in
	// process (render.Options.InProcess), past every redactor, and the
	// message may hold a secret var (std.trace(vars.PW, x)). kiln shows no
	// trace output.
	vm.SetTraceOut(io.Discard)

	env, vars, images := jsonString(req.Env), jsonObject(req.Vars), jsonObject(req.Images)
	vm.ExtVar(argEnv, req.Env)
	vm.ExtCode(argVars, vars)
	vm.ExtCode(argImages, images)
	extVars, err := userArgs(req.ExtVars, "extVars")
	if err != nil {
		return nil, err
	}
	userTLAs, err := userArgs(req.TLAs, "tlas")
	if err != nil {
		return nil, err
	}
	for _, a := range extVars {
		if a.str {
			vm.ExtVar(a.name, a.value)
		} else {
			vm.ExtCode(a.name, a.value)
		}
	}

	node, _, err := vm.ImportAST("", req.Path)
	if err != nil {
		return nil, mainFileError(req, im, err)
	}

	params := map[string]any{
		argEnv:    req.Env,
		argVars:   anyMap(req.Vars),
		argImages: anyMap(req.Images),
	}
	var tlas []string
	shape, declared := topLevel(node, nil, 0)
	switch shape {
	case shapeFunction:
		// The declared parameters kiln or the user gives a value; the
		// others keep their defaults.
		passed := map[string]any{}
		for _, name := range declared {
			if v, ok := params[name]; ok {
				passed[name] = v
			} else if v, ok := req.TLAs[name]; ok {
				passed[name] = v
			} else {
				continue
			}
			tlas = append(tlas, name)
		}
		for _, a := range userTLAs {
			if !slices.Contains(declared, a.name) {
				return nil, &diag.Error{File: req.Path, Msg: fmt.Sprintf("jsonnet.tlas.%s: the file's function has no parameter %s", a.name, a.name),
					Hint: "add the parameter to the function, or remove the argument from jsonnet.tlas (in kiln.yaml, or in the env file that sets it)"}
			}
		}
		params = map[string]any{"tla": passed}
	case shapeUnknown:
		if len(userTLAs) > 0 && !evaluatesToFunction(vm, req.Path) {
			// The VM would drop the user's TLAs without a word.
			return nil, notFunctionError(req)
		}
		tlas = []string{argEnv, argVars, argImages}
		for _, a := range userTLAs {
			tlas = append(tlas, a.name)
		}
		if len(userTLAs) > 0 {
			// The value is a function (or an error): record every argument
			// passed, the user's too, as for a function literal.
			passed := params
			for _, a := range userTLAs {
				passed[a.name] = req.TLAs[a.name]
			}
			params = map[string]any{"tla": passed}
		}
	default:
		if len(userTLAs) > 0 {
			return nil, notFunctionError(req)
		}
	}
	if len(extVars) > 0 {
		params["extVars"] = req.ExtVars
	}
	for _, name := range tlas {
		switch name {
		case argEnv:
			vm.TLAVar(argEnv, req.Env)
		case argVars:
			vm.TLACode(argVars, vars)
		case argImages:
			vm.TLACode(argImages, images)
		default:
			for _, a := range userTLAs {
				if a.name != name {
					continue
				}
				if a.str {
					vm.TLAVar(a.name, a.value)
				} else {
					vm.TLACode(a.name, a.value)
				}
			}
		}
	}

	out, err := vm.Evaluate(node)
	if err != nil {
		err = convertError(req, im, node, err)
		var de *diag.Error
		if shape == shapeUnknown && errors.As(err, &de) && de.Hint == topLevelHint {
			// kiln passed all three because the tree did not tell; the
			// usual hint would say it passed only what is declared.
			if strings.HasPrefix(de.Msg, "jsonnet error: function has no parameter ") {
				// go-jsonnet checks the arguments in map order, so the
				// name it gives changes from run to run; name them all.
				de.Msg = "jsonnet error: the file's function does not declare every top-level argument kiln passes (" + strings.Join(tlas, ", ") + ")"
			}
			de.Hint = "kiln cannot tell from the main file's syntax whether its value is a function, or which of env, vars and images it declares " +
				"(the value comes from an import, a field or a call), so it passes all three: declare all three (function(env, vars, images)), " +
				"or make the main file's value a function literal"
		}
		return nil, err
	}
	// The evaluation is over (bounded by the sandbox worker's memory);
	// what kiln does with its output from here on, in the worker and in
	// kiln's own process, is bounded like every engine's output.
	if len(out) > e.bounds.output {
		le := &limits.Error{What: "the size of the jsonnet output", Limit: limits.Bytes(int64(e.bounds.output))}
		return nil, &diag.Error{File: req.Path, Msg: le.Describe(), Err: le, Hint: limits.Hint}
	}
	objs, err := flatten([]byte(out), req.Path, node, e.bounds)
	if err != nil {
		return nil, outputErrors(req, err)
	}

	inputs := im.inputs()
	h := sha256.New()
	writeField(h, "path", req.Path)
	for _, jp := range req.JPath {
		writeField(h, "jpath", jp)
	}
	for _, in := range inputs {
		writeField(h, "file", in)
		writeField(h, "contents", im.contents[in].String())
	}
	writeField(h, "env", env)
	writeField(h, "vars", jsonObject(req.DigestVars())) // secret values never: see Request.SecretVars
	writeField(h, "images", images)
	for _, name := range tlas {
		writeField(h, "tla", name)
	}
	for _, a := range extVars {
		writeField(h, "extVar", a.name)
		writeField(h, fmt.Sprint(a.str), a.value)
	}
	for _, a := range userTLAs {
		writeField(h, "userTLA", a.name)
		writeField(h, fmt.Sprint(a.str), a.value)
	}
	res := &templates.Result{
		Objects:     objs,
		Inputs:      inputs,
		InputDigest: "sha256:" + hex.EncodeToString(h.Sum(nil)),
		Params:      params,
	}
	var ok bool
	res.Deps, ok = rec.Deps()
	// The file sees the whole vars object, as an ext var or a top-level
	// argument, so any secret var may reach the output; the cache keeps no
	// secret. Nothing else reaches the VM: kiln registers no native
	// function, and Jsonnet reads no clock, environment or network.
	res.Cacheable = ok && len(req.SecretVars) == 0
	return res, nil
}

// writeField writes one length-prefixed name/value pair, so that no two
// different inputs hash alike.
func writeField(h hash.Hash, name, value string) {
	fmt.Fprintf(h, "%s %d:%s\n", name, len(value), value)
}

// notFunctionError is the error for jsonnet.tlas given to a file whose
// value is not a function: the VM passes top-level arguments only to a
// function, and drops them silently otherwise.
func notFunctionError(req *templates.Request) error {
	return &diag.Error{File: req.Path, Msg: "jsonnet.tlas is given, but the file does not evaluate to a function, so it would take no top-level argument",
		Hint: "make the file a function of its arguments (function(name) …), or pass the values as jsonnet.extVars"}
}

// evaluatesToFunction reports whether the main file at path evaluates to a
// function, for a file whose syntax tree does not tell (its value is an
// import, a call, a conditional). Only the value itself is evaluated, not
// its fields or elements, which stay lazy. An error counts as a function:
// the full evaluation that follows reports it where it is.
func evaluatesToFunction(vm *gojsonnet.VM, path string) bool {
	// A snippet named "" imports as the main file does (see importer).
	out, err := vm.EvaluateAnonymousSnippet("", "std.isFunction(import "+jsonString(path)+")")
	return err != nil || strings.TrimSpace(out) != "false"
}

// mainFileError explains why the main file could not be loaded or parsed.
func mainFileError(req *templates.Request, im *importer, err error) error {
	var ie *importError
	if errors.As(err, &ie) {
		if errors.Is(ie.Err, rootfs.ErrOutside) {
			return &diag.Error{File: req.Path, Msg: "path leads outside the repository", Err: err,
				Hint: "kiln reads only files inside the repository; fix the app's jsonnet: path (in kiln.yaml, or in the env file that sets it)"}
		}
		if ie.Err == nil {
			return &diag.Error{File: req.Path, Msg: "the jsonnet file does not exist", Err: err,
				Hint: "fix the app's jsonnet: path, relative to the repository root (in kiln.yaml, or in the env file that sets it)"}
		}
		var de *diag.Error
		if errors.As(ie.Err, &de) {
			return de // a bound checkSource refused, at its file and line
		}
		return &diag.Error{File: req.Path, Msg: "cannot read the jsonnet file" + limits.Reason(ie.Err), Err: err}
	}
	return convertError(req, im, nil, err)
}

// userArg is one of the user's external variables or top-level
// arguments, ready for the VM: a string (str) or JSON code.
type userArg struct {
	name, value string
	str         bool
}

// userArgs encodes m (jsonnet.extVars or jsonnet.tlas, named by key),
// sorted by name.
func userArgs(m map[string]any, key string) ([]userArg, error) {
	out := make([]userArg, 0, len(m))
	for _, name := range slices.Sorted(maps.Keys(m)) {
		if s, ok := m[name].(string); ok {
			out = append(out, userArg{name: name, value: s, str: true})
			continue
		}
		b, err := json.Marshal(m[name])
		if err != nil {
			return nil, &diag.Error{Msg: fmt.Sprintf("jsonnet.%s.%s: the value has no JSON form: %v", key, name, err), Err: err,
				Hint: "give a string, number, boolean, list or mapping"}
		}
		out = append(out, userArg{name: name, value: string(b)})
	}
	return out, nil
}

// jsonString encodes s as a JSON string.
func jsonString(s string) string {
	b, _ := json.Marshal(s) // a string always encodes
	return string(b)
}

// jsonObject encodes m as a JSON object with sorted keys, {} when nil.
// JSON is Jsonnet, so the result is ext or TLA code.
func jsonObject(m map[string]string) string {
	if m == nil {
		return "{}"
	}
	b, _ := json.Marshal(m) // a map of strings always encodes
	return string(b)
}

// anyMap copies m for Params, whose consumers walk map[string]any.
func anyMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
