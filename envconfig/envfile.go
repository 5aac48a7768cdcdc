package envconfig

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/kiln-gitops/kiln/envconfig/internal/shape"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/internal/redact"
	"github.com/kiln-gitops/kiln/internal/words"
	"github.com/kiln-gitops/kiln/internal/yamlpos"
)

// EnvFile is one environment's configuration file (envs/<env>.yaml).
type EnvFile struct {
	// File is the file's repository-relative path, as errors name it.
	File string
	// Vars are ${VAR} values for yaml apps and jsonnet's `vars`.
	Vars map[string]string
	// SecretVars maps a variable name to the name of the process
	// environment variable its value is read from at render time.
	SecretVars map[string]string
	// AllowPlainSecrets lets secret values land in the output unencrypted.
	AllowPlainSecrets bool
	// SOPS holds the age recipients secrets are encrypted to; nil when absent.
	SOPS *SOPS
	// Apps are the per-app overrides, by app name.
	Apps map[string]Override
	// Lines is the line of each var and secret var, by name, for errors
	// found later (an unset environment variable).
	Lines map[string]int
	// Digest is "sha256:<hex>" of the file's bytes, "" when there is no
	// file (Pipeline.Digest says why).
	Digest string
}

// SOPS says how kiln encrypts Secrets that hold secret vars.
type SOPS struct {
	// Age lists the age recipients (age1…) the Secrets are encrypted to.
	Age []string
	// PGP lists the fingerprints of the PGP keys the Secrets are encrypted to.
	PGP []string
	// EncryptedRegex selects the keys whose values are encrypted, as sops's
	// --encrypted-regex does; default "^(data|stringData)$".
	EncryptedRegex string
	// Line is the first line of the sops mapping.
	Line int
}

// DefaultEncryptedRegex encrypts a Secret's data and stringData and leaves
// its metadata readable, as Flux's guides do.
const DefaultEncryptedRegex = "^(data|stringData)$"

// Override changes one app in one environment. Nil and empty fields keep
// what kiln.yaml says.
type Override struct {
	// Enabled false leaves the app out of the environment.
	Enabled *bool
	// Namespace replaces the app's namespace; NamespaceAt says where.
	Namespace   *string
	NamespaceAt At
	// Helm, Kustomize, Jsonnet and YAML switch or change the engine. A
	// Helm or Jsonnet override of an app with the same engine changes only
	// the keys it sets (a nil slice is unset, an empty one clears);
	// for another engine it replaces the app's engine.
	Helm      *Helm
	Kustomize *string
	Jsonnet   *Jsonnet
	YAML      *string
	// PathAt says where Kustomize or YAML is written.
	PathAt At
	// DependsOn replaces the app's dependsOn when DependsOnSet.
	DependsOn    []Dependency
	DependsOnSet bool
	// Flux changes the app's Flux settings, key by key.
	Flux *AppFlux
	// Values are Helm values for this environment, merged over the values files.
	Values map[string]any
	// Patches apply to the rendered objects.
	Patches []Patch
	// Line is the line of the app's key in the environment file.
	Line int
}

// Patch is a Kustomize-style patch of rendered objects: a strategic merge
// patch (a mapping) or a JSON6902 patch (a list of operations).
type Patch struct {
	// Target selects the objects to patch: optional for a strategic merge
	// patch (its own kind and name select), required for JSON6902.
	Target *Selector
	// Patch is the inline patch text; Path a repository-relative file
	// holding it. Exactly one is set.
	Patch string
	Path  string
	// File and Line locate the patch entry. They are left out of its JSON,
	// which render digests as the app's input: where a patch sits in the
	// file (a comment added above it) is not what it does.
	File string `json:"-"`
	Line int    `json:"-"`
	// TextLine is File's line at which an inline patch's text starts, when
	// it is written as a literal block (patch: |), whose lines are File's
	// lines; 0 otherwise.
	TextLine int `json:"-"`
}

// Selector is a Kustomize patch target.
type Selector struct{ Group, Version, Kind, Name, Namespace, LabelSelector, AnnotationSelector string }

var (
	envFileKeys  = shape.Keys[shape.EnvFile]()
	sopsKeys     = shape.Keys[shape.SOPS]()
	overrideKeys = shape.Keys[shape.Override]()
	patchKeys    = shape.Keys[shape.Patch]()
	selectorKeys = shape.Keys[shape.Selector]()
	jsonPatchOps = []string{"add", "remove", "replace", "move", "copy", "test"}
	ageRE        = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(shape.AgePattern) })
	// pgpRE is compiled on first use: its 40 repetitions make a large
	// program, which every kiln command would otherwise build at start.
	pgpRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(shape.PGPPattern) })
)

// LoadEnvFile reads the configuration file of environment env. A missing
// file at the default path (envs/<env>.yaml) is an empty EnvFile: an
// environment needs no file when it overrides nothing. A file named by the
// environment's config key must exist. The file must resolve, symlinks
// followed, to a place inside the repository root.
func (p *Pipeline) LoadEnvFile(env string) (*EnvFile, error) {
	e, err := p.Env(env)
	if err != nil {
		return nil, err
	}
	full := filepath.Join(p.Root, filepath.FromSlash(e.Config))
	real, err := filepath.EvalSymlinks(full)
	if err == nil {
		if rel, rerr := filepath.Rel(p.Root, real); rerr != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
			return nil, &diag.Error{File: displayName(p.File), Line: e.Line,
				Msg:  fmt.Sprintf("environment %s: config %q is outside the repository", e.Name, e.Config),
				Hint: "keep environment files inside the folder of kiln.yaml"}
		}
	}
	var data []byte
	if err == nil {
		data, err = limits.ReadFileAs(real, e.Config)
	}
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && e.Config == "envs/"+e.Name+".yaml" {
			if derr := p.missingEnvFile(e, full); derr != nil {
				return nil, derr
			}
			return &EnvFile{File: e.Config, Vars: map[string]string{}, SecretVars: map[string]string{},
				Apps: map[string]Override{}, Lines: map[string]int{}}, nil
		}
		hint := "create the file, or fix the environment's config: path"
		if errors.Is(err, limits.ErrLimit) {
			hint = "an environment file holds settings, not data: make it smaller, such as by moving Helm values into a values file of the app"
		}
		return nil, &diag.Error{File: displayName(p.File), Line: e.Line,
			Msg:  fmt.Sprintf("environment %s: cannot read config %q%s", e.Name, e.Config, limits.Reason(err)),
			Hint: hint, Err: err}
	}
	return ParseEnvFile(data, e.Config)
}

// missingEnvFile explains why the default env file, which does not exist,
// is not read as empty: a symbolic link whose target is gone, or the file
// written as envs/<env>.yml, which kiln would otherwise silently skip,
// rendering the env without its vars and overrides. It returns nil when
// nothing is there.
func (p *Pipeline) missingEnvFile(e *Environment, full string) error {
	if fi, err := os.Lstat(full); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return &diag.Error{File: displayName(p.File), Line: e.Line,
			Msg:  fmt.Sprintf("environment %s: config %q is a symbolic link to a file that does not exist", e.Name, e.Config),
			Hint: "point the link at the environment's file, or remove it if the environment overrides nothing"}
	}
	yml := strings.TrimSuffix(e.Config, ".yaml") + ".yml"
	if _, err := os.Stat(filepath.Join(p.Root, filepath.FromSlash(yml))); err == nil {
		return &diag.Error{File: displayName(p.File), Line: e.Line,
			Msg:  fmt.Sprintf("environment %s: kiln reads %q, which does not exist, but %q does", e.Name, e.Config, yml),
			Hint: fmt.Sprintf("rename the file to %s, or name it in the environment's entry: config: %s", e.Config, yml)}
	}
	return nil
}

// ParseEnvFile parses an environment file; file is its repository-relative
// path, as errors name it. Whether the apps it overrides exist is checked
// by Pipeline.Resolve.
func ParseEnvFile(data []byte, file string) (*EnvFile, error) {
	ef := &EnvFile{File: file, Vars: map[string]string{}, SecretVars: map[string]string{},
		Apps: map[string]Override{}, Lines: map[string]int{}, Digest: digestOf(data)}
	d := &decoder{file: file}
	root, err := parseDoc(data, file)
	if err != nil {
		return nil, err
	}
	if root == nil {
		return ef, nil
	}
	d.index(root)
	f, ok := d.fields(root, "", envFileKeys)
	if !ok {
		return nil, d.err()
	}
	for _, p := range d.entries(f["vars"], "vars") {
		name := p.key.Value
		if !d.varName(p.key, "vars", name) {
			continue
		}
		v := deref(p.val)
		if v == nil || v.Kind != yaml.ScalarNode || v.ShortTag() == "!!null" {
			d.errAt(p.val, fmt.Sprintf("vars.%s: expected a string, got %s", name, describe(p.val)),
				fmt.Sprintf("give %s one value; write %s: \"\" for an empty one", name, name))
			continue
		}
		if v.ShortTag() == "!!binary" {
			// Its text is base64, which ${VAR} would have been replaced with.
			d.errAt(p.val, fmt.Sprintf("vars.%s: a !!binary value", name), "write the text itself, without the !!binary tag")
			continue
		}
		ef.Vars[name] = v.Value
		ef.Lines[name] = p.key.Line
	}
	if n := deref(f["secretVars"]); n != nil && n.Kind == yaml.ScalarNode && !isNull(n) {
		// Not quoted, as a value in the mapping is not: text written
		// here is most often the secret itself.
		d.errAt(f["secretVars"], "secretVars: expected a mapping, got a single value",
			"map each secret var to the environment variable that holds it, such as secretVars: {DB_PASSWORD: DEV_DB_PASSWORD}, never the secret itself: the env file is committed")
		delete(f, "secretVars")
	}
	for _, p := range d.entries(f["secretVars"], "secretVars") {
		name := p.key.Value
		if !d.varName(p.key, "secretVars", name) {
			continue
		}
		if _, dup := ef.Vars[name]; dup {
			d.errAt(p.key, fmt.Sprintf("secretVars.%s: %s is also in vars (line %d)", name, name, ef.Lines[name]),
				"a variable is either plain or secret: remove it from one of vars and secretVars")
			continue
		}
		s, ok := d.str(p.val, "secretVars."+name)
		if !ok {
			continue
		}
		if !varNameRE.MatchString(s) {
			// Not quoted: what is written here instead of a name is
			// most often the secret itself.
			d.errAt(p.val, fmt.Sprintf("secretVars.%s: the value is not an environment variable name", name),
				"give the name of the environment variable that holds the secret, such as "+name+": DEV_"+strings.ToUpper(name)+", never the secret itself: the env file is committed")
			continue
		}
		ef.SecretVars[name] = s
		ef.Lines[name] = p.key.Line
	}
	if v, present := f["allowPlainSecrets"]; present {
		ef.AllowPlainSecrets, _ = d.boolean(v, "allowPlainSecrets")
	}
	if v, present := f["sops"]; present && !isNull(v) {
		ef.SOPS = d.sops(v)
	}
	for _, p := range d.entries(f["apps"], "apps") {
		d.appName = p.key.Value
		o := d.override(p.val)
		o.Line = p.key.Line
		for i := range o.Patches {
			o.Patches[i].File = file
		}
		ef.Apps[p.key.Value] = o
		d.appName = ""
	}
	if err := d.err(); err != nil {
		return nil, err
	}
	return ef, nil
}

// varName checks a variable name against Flux's substitution syntax.
func (d *decoder) varName(n *yaml.Node, key, name string) bool {
	if varNameRE.MatchString(name) {
		return true
	}
	d.errAt(n, fmt.Sprintf("%s: %q is not a variable name", key, name),
		"use letters, digits and _, not starting with a digit, as in ${LOG_LEVEL}")
	return false
}

func (d *decoder) sops(n *yaml.Node) *SOPS {
	s := &SOPS{EncryptedRegex: DefaultEncryptedRegex, Line: line(deref(n))}
	f, ok := d.fields(n, "sops", sopsKeys)
	if !ok {
		return s
	}
	bad := false
	if v, present := f["age"]; present {
		recips, nodes := d.strList(v, "sops.age")
		for i, r := range recips {
			if !ageRE().MatchString(r) {
				bad = true
				d.errAt(nodes[i], fmt.Sprintf("sops.age: %q is not an age recipient", r), "give public keys as age-keygen prints them, starting with age1")
				continue
			}
			s.Age = append(s.Age, r)
		}
	}
	if v, present := f["pgp"]; present {
		fps, nodes := d.strList(v, "sops.pgp")
		for i, fp := range fps {
			if !pgpRE().MatchString(fp) {
				bad = true
				d.errAt(nodes[i], fmt.Sprintf("sops.pgp: %q is not a PGP key fingerprint", fps[i]), "give the 40 hex digits gpg --list-keys prints")
				continue
			}
			s.PGP = append(s.PGP, strings.ToUpper(strings.ReplaceAll(fp, " ", "")))
		}
	}
	if len(s.Age) == 0 && len(s.PGP) == 0 && !bad {
		d.errAt(n, "sops: no recipients", "list the age public keys (sops.age) or PGP fingerprints (sops.pgp) Secrets are encrypted to")
	}
	if v, present := f["encryptedRegex"]; present {
		if r, ok := d.str(v, "sops.encryptedRegex"); ok {
			re, err := regexp.Compile(r)
			switch {
			case err != nil || r == "":
				d.errAt(v, fmt.Sprintf("sops.encryptedRegex %q is not a regular expression", r), "give a Go regular expression over key names, such as ^(data|stringData)$")
			case readableKey(re) != "":
				d.errAt(v, fmt.Sprintf("sops.encryptedRegex %q matches the key %s, which Flux must read before it decrypts: kustomize-controller builds the folder "+
					"with the Secret encrypted and then replaces it by its kind, name and namespace, so the Secret would never be applied", r, readableKey(re)),
					"match only the keys whose values to encrypt, such as ^(data|stringData)$")
			default:
				s.EncryptedRegex = r
			}
		}
	}
	return s
}

// fluxReads are the keys of a Secret that kustomize-controller reads while
// the Secret is still encrypted: kustomize needs apiVersion and kind to
// load it, and the decrypted object replaces the encrypted one by its
// kind, name and namespace. sops encrypts a key matching encrypted_regex at
// any depth, with everything below it, so metadata counts too.
var fluxReads = []string{"apiVersion", "kind", "metadata", "name", "namespace"}

// readableKey returns the first key of fluxReads that re matches, or "".
func readableKey(re *regexp.Regexp) string {
	for _, k := range fluxReads {
		if re.MatchString(k) {
			return k
		}
	}
	return ""
}

func (d *decoder) override(n *yaml.Node) Override {
	var o Override
	f, ok := d.fields(n, "an app override", overrideKeys)
	if !ok {
		return o
	}
	if v, present := f["enabled"]; present {
		if b, ok := d.boolean(v, "enabled"); ok {
			o.Enabled = &b
		}
	}
	if v, present := f["namespace"]; present {
		if s, ok := d.str(v, "namespace"); ok && d.dnsLabel(v, "namespace", s) {
			o.Namespace, o.NamespaceAt = &s, d.at(v)
		}
	}
	var present []string
	for _, e := range engines {
		if _, ok := f[e]; ok {
			present = append(present, e)
		}
	}
	if len(present) > 1 {
		d.errAt(f[present[1]], fmt.Sprintf("more than one engine (%s)", strings.Join(present, " and ")),
			"an override may switch the app to one engine: remove all but one")
	} else if len(present) == 1 {
		switch e := present[0]; e {
		case EngineHelm:
			o.Helm = d.helm(f[e], false)
		case EngineKustomize:
			if s, ok := d.folder(f[e], e); ok {
				o.Kustomize, o.PathAt = &s, d.at(f[e])
			}
		case EngineJsonnet:
			o.Jsonnet = d.jsonnet(f[e], false)
		case EngineYAML:
			if s, ok := d.folder(f[e], e); ok {
				o.YAML, o.PathAt = &s, d.at(f[e])
			}
		}
	}
	if v, present := f["dependsOn"]; present {
		o.DependsOn = d.dependsOn(v)
		o.DependsOnSet = true
	}
	if v, present := f["flux"]; present {
		af := d.appFlux(v)
		o.Flux = &af
	}
	if v, present := f["values"]; present && !isNull(v) {
		o.Values = d.values(v)
	}
	if v, present := f["patches"]; present {
		items, _ := d.list(v, "patches")
		for i, it := range items {
			if p, ok := d.patch(it, fmt.Sprintf("patches[%d]", i)); ok {
				o.Patches = append(o.Patches, p)
			}
		}
	}
	return o
}

// values decodes Helm values. Keys that are not strings (1: x) become
// their text, as Helm's own YAML-to-JSON reading does.
func (d *decoder) values(n *yaml.Node) map[string]any {
	if m := deref(n); m == nil || m.Kind != yaml.MappingNode {
		d.wrongType(n, "values", "a mapping")
		return nil
	}
	var v any
	c := yaml11(n, map[*yaml.Node]*yaml.Node{})
	yaml11Merges(c, map[*yaml.Node]bool{}, map[*yaml.Node]map[string]bool{})
	if err := decodeLinear(c, &v); err != nil {
		d.decodeError(n, c, err, "values", "fix the values mapping")
		return nil
	}
	if k := nullKey(n); k != nil {
		// sigs.k8s.io/yaml, which reads Helm's values files, refuses a
		// null key ("unsupported map key"); normalize would make it the
		// key "<nil>", a value no chart reads.
		d.errs = append(d.errs, &diag.Error{File: d.file, Line: k.Line, App: d.appName, Field: d.fieldOf(n),
			Msg: "values: a key is null (~, null or nothing), which Helm refuses in a values file", Hint: "quote the key to make it a string, or remove it"})
		return nil
	}
	if f := nonFinite(c); f != nil {
		// Helm refuses it in a values file ("json: unsupported value:
		// +Inf"), and so did the helm engine, with no file or line.
		d.errs = append(d.errs, &diag.Error{File: d.file, Line: f.Line, App: d.appName, Field: d.fieldOf(n),
			Msg: "values: an infinite or NaN number (.inf, .nan), which has no JSON form: Helm refuses it in a values file", Hint: "quote it to make it a string, or give a finite number"})
		return nil
	}
	m, _ := normalize(v).(map[string]any)
	return m
}

// definedAtRE is the end of yaml.v3's duplicate key error that names the
// earlier copy, which differs for each of them.
var definedAtRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(` already defined at line \d+$`) })

// maxDecodeErrors is how many of one decoding's errors decodeError
// records on their own lines.
const maxDecodeErrors = 10

// decodeError records err, the error of decoding n (c the copy decoded),
// as what's, at the line of what it refuses: yaml.v3 puts the lines in
// its words ("unmarshal errors:\n  line 9: mapping key "a" already
// defined at line 8"), or gives none (a !!binary that is not base64), and
// the error stood at n's line, leaving the user to search the whole
// mapping. Values are masked (redact.YAML): an app's values hold
// passwords.
func (d *decoder) decodeError(n, c *yaml.Node, err error, what, hint string) {
	at := func(l int, msg string) {
		d.errs = append(d.errs, &diag.Error{File: d.file, Line: l, App: d.appName, Field: d.fieldOf(n),
			Msg: what + ": " + redact.YAML(msg), Hint: hint, Err: err})
	}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		// yaml.v3 names a key written n times n-1 times, once for each
		// earlier one: one error a key written again (two on one line
		// of flow style are two), and not thousands of them.
		seen := map[string]bool{}
		shown, more := 0, 0
		for _, e := range te.Errors {
			l, msg := line(n), e
			if m := yamlLineRE().FindStringSubmatch(e); m != nil {
				key := m[1] + " " + definedAtRE().ReplaceAllString(m[2], "")
				if seen[key] {
					continue
				}
				seen[key] = true
				if v, err := strconv.Atoi(m[1]); err == nil {
					l, msg = v, m[2]
				}
			}
			if shown == maxDecodeErrors {
				more++
				continue
			}
			shown++
			at(l, msg)
		}
		if more > 0 {
			at(line(n), fmt.Sprintf("%s in it besides the %d shown", words.Count(more, "more error"), shown))
		}
		return
	}
	l := line(n)
	if b := yamlpos.BadBinary(c); b != nil {
		l = b.Line
	}
	at(l, strings.TrimPrefix(err.Error(), "yaml: "))
}

// nonFinite returns the first scalar at or below n that YAML reads as an
// infinite or NaN float (.inf, -.Inf, .nan), or nil: JSON, through which
// Helm values and Jsonnet arguments pass, has no such number.
func nonFinite(n *yaml.Node) *yaml.Node {
	return yamlpos.Find(n, func(c *yaml.Node, _ bool) bool {
		var f float64
		return c.Kind == yaml.ScalarNode && c.ShortTag() == "!!float" && c.Decode(&f) == nil && (math.IsInf(f, 0) || math.IsNaN(f))
	})
}

// nullKey returns the first key below n that YAML reads as null, or nil.
func nullKey(n *yaml.Node) *yaml.Node {
	return yamlpos.Find(n, func(c *yaml.Node, key bool) bool {
		return key && c.Kind == yaml.ScalarNode && c.ShortTag() == "!!null"
	})
}

// yaml11Bools are the plain scalars YAML 1.1 reads as bools and YAML 1.2
// (yaml.v3) as strings; true and false in their cases are bools in both.
var yaml11Bools = map[string]bool{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true, "on": true, "On": true, "ON": true,
	"n": false, "N": false, "no": false, "No": false, "NO": false, "off": false, "Off": false, "OFF": false,
}

// yaml11 returns a copy of n that yaml.v3 decodes as Helm reads a values
// file (YAML 1.1, through sigs.k8s.io/yaml): an unquoted yes, on, off, y, n
// is a bool, and a timestamp stays the string written, where yaml.v3 would
// make it a time.Time that JSON writes as RFC 3339 ("2024-01-01" becoming
// "2024-01-01T00:00:00Z"). The env's values must reach the chart as one
// more -f file would. Anchors and aliases are copied as such, so yaml.v3
// still checks and bounds them; copies holds the copy of each node seen,
// and n is left alone (an alias may point outside the values).
func yaml11(n *yaml.Node, copies map[*yaml.Node]*yaml.Node) *yaml.Node {
	return copyScalars(n, copies, func(c *yaml.Node) {
		quoted := c.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0
		switch {
		case c.Tag == "!!timestamp":
			c.Tag = "!!str"
		case quoted:
		case c.Tag == "!!bool" || c.Tag == "!!str" && c.Style&yaml.TaggedStyle == 0:
			// An explicit !!str yes stays a string, as in YAML 1.1.
			if b, ok := yaml11Bools[c.Value]; ok {
				c.Tag, c.Value = "!!bool", strconv.FormatBool(b)
			}
		}
	})
}

// copyScalars returns a copy of n, anchors and aliases copied as such
// (copies holds the copy of each node seen), in which scalar changes each
// copied scalar. n is left alone: an alias may point outside it.
func copyScalars(n *yaml.Node, copies map[*yaml.Node]*yaml.Node, scalar func(*yaml.Node)) *yaml.Node {
	if n == nil {
		return nil
	}
	if c, ok := copies[n]; ok {
		return c
	}
	c := *n
	copies[n] = &c
	c.Alias = copyScalars(n.Alias, copies, scalar)
	if n.Content != nil {
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, x := range n.Content {
			c.Content[i] = copyScalars(x, copies, scalar)
		}
	}
	if c.Kind == yaml.ScalarNode {
		scalar(&c)
	}
	return &c
}

// yaml11Merges rewrites the merge keys (<<) of the mappings below n, a
// copy made by yaml11, so that yaml.v3 reads them as sigs.k8s.io/yaml
// (yaml.v2) reads a values file: there each merge key sets the keys of
// what it merges as if written at its place, so it overrides the keys
// written before it (a: 1 then <<: {a: 2} gives 2; yaml.v3, after the
// YAML spec, keeps 1), and a second merge key overrides the first (yaml.v3
// refuses it). Within a list of merged mappings the first wins in both.
// So a key written before a merge key that sets it is dropped, and the
// merge keys become one, listing what they merge from the last to the
// first; what is merged stays an alias, so yaml.v3 still bounds the
// expansion of aliases. done marks the nodes rewritten and keys memoizes
// the keys each mapping sets.
func yaml11Merges(n *yaml.Node, done map[*yaml.Node]bool, keys map[*yaml.Node]map[string]bool) {
	if n == nil || done[n] {
		return
	}
	done[n] = true
	yaml11Merges(n.Alias, done, keys)
	for _, x := range n.Content {
		yaml11Merges(x, done, keys)
	}
	// Most mappings have no merge key: no work for them (a plain << value
	// makes one do the walk below for nothing).
	if n.Kind != yaml.MappingNode || !slices.ContainsFunc(n.Content, isMergeKey) {
		return
	}
	var merged []*yaml.Node // what each merge key merges, from the last key to the first
	var mergeKey *yaml.Node
	later := map[string]bool{} // keys set by the merge keys after the pair at hand
	var kept []*yaml.Node
	for i := len(n.Content) - 2; i >= 0; i -= 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !isMergeKey(k) {
			if !later[keyID(k)] {
				kept = append(kept, v, k)
			}
			continue
		}
		mergeKey = k
		for _, src := range mergeSources(v) {
			merged = append(merged, src)
			for id := range mergedKeys(deref(src), keys) {
				later[id] = true
			}
		}
	}
	if mergeKey == nil {
		// A plain << as a value, not a key.
		return
	}
	slices.Reverse(kept)
	n.Content = append([]*yaml.Node{mergeKey, {Kind: yaml.SequenceNode, Tag: "!!seq", Content: merged}}, kept...)
}

// isMergeKey reports whether k is a merge key: a plain <<, not a quoted one.
func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge"
}

// keyID identifies a scalar key by its tag and text; other keys (a
// mapping as key, which Helm refuses) are never equal.
func keyID(k *yaml.Node) string {
	if k.Kind != yaml.ScalarNode {
		return ""
	}
	return k.ShortTag() + "\x00" + k.Value
}

// mergeSources lists what a merge key's value merges: a mapping or an
// alias, or each item of a list written there. An alias of a list is left
// as it is: Helm refuses it, and yaml.v3 refuses it as an item of a list.
func mergeSources(v *yaml.Node) []*yaml.Node {
	if v.Kind == yaml.SequenceNode {
		return v.Content
	}
	return []*yaml.Node{v}
}

// mergedKeys is the set of keys mapping m sets, its merged ones included.
// An alias cycle, which yaml.v3 refuses when decoding, ends the walk.
func mergedKeys(m *yaml.Node, keys map[*yaml.Node]map[string]bool) map[string]bool {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	if s, ok := keys[m]; ok {
		return s
	}
	s := map[string]bool{}
	keys[m] = s
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; !isMergeKey(k) {
			if id := keyID(k); id != "" {
				s[id] = true
			}
			continue
		}
		for _, src := range mergeSources(m.Content[i+1]) {
			for id := range mergedKeys(deref(src), keys) {
				s[id] = true
			}
		}
	}
	return s
}

// normalize turns yaml.v3's map[any]any (a mapping with a non-string key)
// into map[string]any, recursively.
func normalize(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = normalize(x)
		}
		return t
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[keyText(k)] = normalize(x)
		}
		return m
	case []any:
		for i, x := range t {
			t[i] = normalize(x)
		}
		return t
	}
	return v
}

// keyText is the text sigs.k8s.io/yaml, which reads Helm's values files,
// makes of a key that is not a string: a float key is written with
// float32 precision there (1.23456789: becomes "1.2345679").
func keyText(k any) string {
	f, ok := k.(float64)
	if !ok {
		return fmt.Sprint(k)
	}
	switch s := strconv.FormatFloat(f, 'g', -1, 32); s {
	case "+Inf":
		return ".inf"
	case "-Inf":
		return "-.inf"
	case "NaN":
		return ".nan"
	default:
		return s
	}
}

func (d *decoder) patch(n *yaml.Node, key string) (Patch, bool) {
	p := Patch{File: d.file, Line: line(deref(n))}
	f, ok := d.fields(n, key, patchKeys)
	if !ok {
		return p, false
	}
	nerr := len(d.errs)
	if v, present := f["target"]; present {
		p.Target = d.selector(v, key+".target")
	}
	pv, hasPatch := f["patch"]
	pathv, hasPath := f["path"]
	switch {
	case hasPatch && hasPath:
		d.errAt(pathv, key+": both patch and path", "give the patch inline (patch: |-) or in a file (path:), not both")
	case !hasPatch && !hasPath:
		d.errAt(n, key+": missing patch", "give the patch inline (patch: |-) or a repository file holding it (path: envs/patches/x.yaml)")
	case hasPath:
		if s, ok := d.str(pathv, key+".path"); ok && d.relPath(pathv, key+".path", s) {
			p.Path = s
		}
	default:
		if s, ok := d.str(pv, key+".patch"); ok {
			p.Patch = s
			if pv.Kind == yaml.ScalarNode && pv.Style&yaml.LiteralStyle != 0 {
				// A literal block's text starts on the line after its "|".
				p.TextLine = pv.Line + 1
			}
			d.patchText(pv, key, s, p.Target != nil)
		}
	}
	return p, len(d.errs) == nerr
}

// patchText checks inline patch text the way Kustomize will read it: a
// list is a JSON6902 patch, which needs a target; a mapping is a
// strategic merge patch, which without a target names its object itself.
func (d *decoder) patchText(n *yaml.Node, key, text string, hasTarget bool) {
	// Lines inside a block scalar (patch: |-) start on the line after the key.
	base := n.Line - 1
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		base = n.Line
	}
	// A problem inside the text is in the field of the patch text.
	at := func(l int) *yaml.Node {
		a := &yaml.Node{Line: base + max(l, 1)}
		d.paths[a] = d.fieldOf(n)
		return a
	}
	dec := yaml.NewDecoder(strings.NewReader(text))
	var docs []*yaml.Node
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			e := syntaxErrorIn(err, d.file, []byte(text))
			e.Line = base + max(e.Line, 1)
			e.App = d.appName
			e.Field = d.fieldOf(n)
			e.Msg = key + ".patch: " + e.Msg
			d.errs = append(d.errs, e)
			return
		}
		if len(doc.Content) > 0 {
			docs = append(docs, doc.Content[0])
		}
	}
	if len(docs) == 0 {
		d.errAt(n, key+".patch is empty", "write a strategic merge patch (a mapping) or a JSON6902 patch (a list of operations)")
		return
	}
	first := deref(docs[0])
	switch {
	case first != nil && first.Kind == yaml.SequenceNode:
		if !hasTarget {
			d.errAt(n, key+": a JSON6902 patch (a list of operations) needs a target",
				"add target: {kind: Deployment, name: vote} naming the objects to patch")
		}
		if len(docs) > 1 {
			d.errAt(at(docs[1].Line), key+".patch: a JSON6902 patch must be one document", "remove the \"---\"")
		}
		for i, op := range first.Content {
			d.jsonPatchOp(op, fmt.Sprintf("%s.patch[%d]", key, i), at)
		}
	case first != nil && first.Kind == yaml.MappingNode:
		if hasTarget {
			return
		}
		for _, doc := range docs {
			if !smpNamesObject(doc) {
				d.errAt(at(doc.Line), key+": a strategic merge patch without target must give kind and metadata.name",
					"add kind: and metadata: {name: …} to the patch, or a target: selecting the objects")
			}
		}
	default:
		d.errAt(n, key+".patch is neither a mapping nor a list",
			"write a strategic merge patch (a mapping) or a JSON6902 patch (a list of operations)")
	}
}

// smpNamesObject reports whether a strategic merge patch has kind and
// metadata.name, which Kustomize uses to find its target.
func smpNamesObject(doc *yaml.Node) bool {
	doc = deref(doc)
	get := func(m *yaml.Node, k string) *yaml.Node {
		if m == nil || m.Kind != yaml.MappingNode {
			return nil
		}
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == k {
				return deref(m.Content[i+1])
			}
		}
		return nil
	}
	kind, name := get(doc, "kind"), get(get(doc, "metadata"), "name")
	return kind != nil && kind.Kind == yaml.ScalarNode && kind.Value != "" && name != nil && name.Kind == yaml.ScalarNode && name.Value != ""
}

// jsonPatchOp checks one JSON6902 operation: op, path and what the op needs.
func (d *decoder) jsonPatchOp(n *yaml.Node, key string, at func(int) *yaml.Node) {
	m := deref(n)
	if m == nil || m.Kind != yaml.MappingNode {
		d.errAt(at(line(m)), fmt.Sprintf("%s: expected an operation {op, path, …}, got %s", key, describe(m)),
			"write operations such as {op: replace, path: /spec/replicas, value: 3}")
		return
	}
	f := map[string]*yaml.Node{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		f[m.Content[i].Value] = deref(m.Content[i+1])
	}
	op := f["op"]
	if op == nil || op.Kind != yaml.ScalarNode || !slices.Contains(jsonPatchOps, op.Value) {
		msg := key + ": missing op"
		if op != nil {
			msg = fmt.Sprintf("%s: %q is not a JSON6902 op", key, op.Value)
			if c := diag.Closest(op.Value, jsonPatchOps); c != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", c)
			}
		}
		d.errAt(at(m.Line), msg, "op is one of "+strings.Join(jsonPatchOps, ", "))
		return
	}
	if path := f["path"]; path == nil || path.Kind != yaml.ScalarNode || (path.Value != "" && !strings.HasPrefix(path.Value, "/")) {
		d.errAt(at(m.Line), key+": path must be a JSON pointer", "write path: /spec/replicas")
	}
	switch op.Value {
	case "add", "replace", "test":
		if _, ok := f["value"]; !ok {
			d.errAt(at(m.Line), fmt.Sprintf("%s: op %s needs a value", key, op.Value), "add value: …")
		}
	case "move", "copy":
		if from := f["from"]; from == nil || from.Kind != yaml.ScalarNode {
			d.errAt(at(m.Line), fmt.Sprintf("%s: op %s needs from", key, op.Value), "add from: /the/source/path")
		}
	}
}

func (d *decoder) selector(n *yaml.Node, key string) *Selector {
	f, ok := d.fields(n, key, selectorKeys)
	if !ok {
		return nil
	}
	s := &Selector{
		Group:              d.optStr(f, "group", key),
		Version:            d.optStr(f, "version", key),
		Kind:               d.optStr(f, "kind", key),
		Name:               d.optStr(f, "name", key),
		Namespace:          d.optStr(f, "namespace", key),
		LabelSelector:      d.optStr(f, "labelSelector", key),
		AnnotationSelector: d.optStr(f, "annotationSelector", key),
	}
	return s
}
