// Package lockfile is kiln.lock.json, the file beside each env's tree that
// says what the tree was rendered from: kiln's version, the code commit,
// CI's images and each app's digests. render writes it; promote reads it
// for the pull request body, the gate and verify. It is a package of its
// own so that what only reads a lock links none of render's engines.
package lockfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
	"k8s.io/apimachinery/pkg/util/validation"
)

// File is the lock's name at the root of an env's tree. A folder holding
// it is a tree kiln wrote.
const File = "kiln.lock.json"

// ShardFile is the file a shard's tree holds besides a full render's
// (package render, ShardMarker).
const ShardFile = "kiln.shard.json"

// Lock is kiln.lock.json. It has no timestamps, so an unchanged render
// leaves it unchanged.
type Lock struct {
	KilnVersion string `json:"kilnVersion"`
	Env         string `json:"env"`
	Source      Source `json:"source"`
	// Images are the image references CI gave, by normalised repository.
	Images map[string]string `json:"images"`
	// Apps by name.
	Apps map[string]App `json:"apps"`
}

// App is one app's entry in kiln.lock.json.
type App struct {
	Engine       string `json:"engine"`
	InputDigest  string `json:"inputDigest"`
	OutputDigest string `json:"outputDigest"`
	Objects      int    `json:"objects"`
	// SecretFiles are the app's object files (names in apps/<app>/) that
	// hold a secret var's value, and PlainDigest is a digest of the other
	// object files as they are, the secret files by name only; both absent
	// when no object file holds one. OutputDigest masks the secret values,
	// so a job that cannot read them cannot check it: it checks
	// PlainDigest (or, with no SecretFiles, OutputDigest, which masks
	// nothing then), and only the secret files' bytes go unchecked.
	SecretFiles []string `json:"secretFiles,omitempty"`
	PlainDigest string   `json:"plainDigest,omitempty"`
	// HighLevelDigest is a digest of the app's high-level/<app>/ files as
	// they are (kiln masks every secret value in them, so a job without
	// the values checks it too); absent from a lock older kiln wrote.
	HighLevelDigest string `json:"highLevelDigest,omitempty"`
	// Images are the container images in the app's output, sorted.
	Images []string `json:"images,omitempty"`
	// Source is the code the app's files were rendered from when that is
	// not the lock's own Source: an app kiln render --app kept from an
	// earlier render made at another commit (or from uncommitted
	// changes). nil, and absent from the file, for an app rendered with
	// the rest of the tree, so a whole render's lock has none, and a lock
	// older kiln wrote reads as one whose apps all come from its Source.
	Source *Source `json:"source,omitempty"`
}

// Older reports whether a was written by a kiln before entries named their
// secret-holding files and digested their high-level files (or was kept
// from such a render): every kiln since writes HighLevelDigest for each app
// it renders. Its OutputDigest masks the secret values without saying
// which file holds one, so only a job that has them can check it.
func (a App) Older() bool {
	return a.SecretFiles == nil && a.PlainDigest == "" && a.HighLevelDigest == ""
}

// Source is the code a render came from.
type Source struct {
	// Repo is the code repository's URL (credentials removed), or "".
	Repo string `json:"repo,omitempty"`
	// Commit is the checked-out commit, or "".
	Commit string `json:"commit,omitempty"`
	// Dirty is true when the working tree had changes that Commit does not
	// hold (tracked files changed, or files git does not ignore added):
	// then no commit renders this tree, and kiln promote refuses it unless
	// told otherwise.
	Dirty bool `json:"dirty,omitempty"`
}

// SameCode reports whether s and o name the same code: the same commit,
// both with or both without uncommitted changes. The repository's URL is
// left out: a commit hash names the code on its own, and two clones of one
// repository name it differently (CI's https:// URL, a laptop's ssh one),
// so an app kept from a render in another clone at the same commit is no
// app of another source.
func (s Source) SameCode(o Source) bool {
	return s.Commit == o.Commit && s.Dirty == o.Dirty
}

// KeptApps returns the apps of l whose files another source than l's
// rendered (App.Source: kiln render --app kept them from an earlier
// render), sorted.
func (l *Lock) KeptApps() []string {
	var apps []string
	for name, a := range l.Apps {
		if a.Source != nil && !a.Source.SameCode(l.Source) {
			apps = append(apps, name)
		}
	}
	slices.Sort(apps)
	return apps
}

// Parse reads a kiln.lock.json.
//
// A lock is read from the manifests repository, where anyone who may push
// can edit it, and its names and URLs go into pull request bodies, commit
// messages and errors: Parse refuses one whose env or app name is not a
// name kiln.yaml allows, or whose kiln version, source, images or
// engines are longer than any kiln writes (MaxText), rather than let a
// hand-edited 1 MB name fill a pull request body. Such a lock reads as one that does not parse.
func Parse(data []byte) (*Lock, error) {
	var l Lock
	if err := json.Unmarshal(data, &l); err != nil {
		return nil, fmt.Errorf("parsing kiln.lock.json: %w", err)
	}
	if err := l.check(); err != nil {
		return nil, fmt.Errorf("parsing kiln.lock.json: %w", err)
	}
	return &l, nil
}

// MaxText bounds each text of a lock that is not a name: the kiln version,
// the source repository's URL, the commit, an image reference, an engine,
// a digest.
// kiln writes none longer (a digest is 71 bytes, an image reference at most
// a few hundred, a git remote's URL rarely more than 200).
const MaxText = 1024

// maxName is kiln.yaml's limit on an env's or app's name (an RFC 1123
// label, envconfig's dnsLabel).
const maxName = validation.DNS1123LabelMaxLength

// ValidName reports whether s is a name kiln.yaml allows for an env or an
// app: an RFC 1123 label (lowercase letters, digits and "-", starting and
// ending with a letter or digit, at most 63 characters), the rule
// envconfig checks kiln.yaml by.
func ValidName(s string) bool {
	return len(validation.IsDNS1123Label(s)) == 0
}

// check refuses a lock kiln could not have written: see Parse. Its errors
// quote at most the start of what they refuse.
func (l *Lock) check() error {
	if l.Env != "" && !ValidName(l.Env) {
		return fmt.Errorf("its env %s is not a name kiln.yaml allows (lowercase letters, digits and \"-\", at most %d characters): a hand edit", Excerpt(l.Env), maxName)
	}
	if len(l.KilnVersion) > MaxText {
		// Quoted by kiln verify and by the errors about a tree another
		// kiln wrote (the gate of kiln promote --from, a merge).
		return fmt.Errorf("its kilnVersion is %d bytes long, longer than any kiln writes (%d): a hand edit", len(l.KilnVersion), MaxText)
	}
	if err := checkSource(l.Source, "its source"); err != nil {
		return err
	}
	for repo, ref := range l.Images {
		if len(repo) > MaxText || len(ref) > MaxText {
			return fmt.Errorf("its images hold a reference of %d bytes, longer than any kiln writes (%d): a hand edit", max(len(repo), len(ref)), MaxText)
		}
	}
	for name, a := range l.Apps {
		if !ValidName(name) {
			return fmt.Errorf("its apps hold %s, which is not an app name kiln.yaml allows (lowercase letters, digits and \"-\", at most %d characters): a hand edit", Excerpt(name), maxName)
		}
		for _, t := range slices.Concat([]string{a.Engine, a.InputDigest, a.OutputDigest, a.PlainDigest, a.HighLevelDigest}, a.Images, a.SecretFiles) {
			if len(t) > MaxText {
				return fmt.Errorf("its app %s has a text of %d bytes, longer than any kiln writes (%d): a hand edit", name, len(t), MaxText)
			}
		}
		if a.Source != nil {
			if err := checkSource(*a.Source, "its app "+name+"'s source"); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkSource refuses a source whose repository or commit is longer than
// any kiln writes.
func checkSource(s Source, what string) error {
	if len(s.Repo) > MaxText || len(s.Commit) > MaxText {
		return fmt.Errorf("%s has a repository or commit of %d bytes, longer than any kiln writes (%d): a hand edit", what, max(len(s.Repo), len(s.Commit)), MaxText)
	}
	return nil
}

// Excerpt quotes s for a message, at most its first 40 bytes (whole UTF-8
// characters), then how long it is: a hand-edited lock may hold a name of
// a megabyte.
func Excerpt(s string) string {
	const most = 40
	if len(s) <= most {
		return strconv.Quote(s)
	}
	cut := most
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes)", strconv.Quote(s[:cut]), len(s))
}

// UnknownAppFields returns, by app, the fields of data's app entries that
// App has none for ("note", "source.branch"), sorted: written by another
// kiln version, or by hand. Parse drops them, so whatever copies an
// entry through a Lock would lose them. Apps without one are left out;
// nil when data is no lock.
func UnknownAppFields(data []byte) map[string][]string {
	var raw struct {
		Apps map[string]json.RawMessage `json:"apps"`
	}
	if json.Unmarshal(data, &raw) != nil {
		return nil
	}
	var out map[string][]string
	for name, entry := range raw.Apps {
		if fields := unknownFields(entry, reflect.TypeFor[App](), ""); len(fields) > 0 {
			if out == nil {
				out = map[string][]string{}
			}
			slices.Sort(fields)
			out[name] = fields
		}
	}
	return out
}

// unknownFields lists the keys of the JSON object data that the struct
// type t has no field for, after prefix, and so on down its struct
// fields.
func unknownFields(data []byte, t reflect.Type, prefix string) []string {
	var obj map[string]json.RawMessage
	if json.Unmarshal(data, &obj) != nil {
		return nil
	}
	var out []string
	for key, val := range obj {
		ft, ok := jsonField(t, key)
		if !ok {
			out = append(out, prefix+key)
			continue
		}
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct {
			out = append(out, unknownFields(val, ft, prefix+key+".")...)
		}
	}
	return out
}

// jsonField is the type of t's field that encoding/json decodes key into:
// the one its tag names, in any case, as Unmarshal matches them.
func jsonField(t reflect.Type, key string) (reflect.Type, bool) {
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = f.Name
		}
		if f.IsExported() && name != "-" && strings.EqualFold(name, key) {
			return f.Type, true
		}
	}
	return nil, false
}

// Wrote reports whether rel, a slash path in an env's tree, is one kiln
// writes there: the lock and the shard marker, and for each app the tree's
// lock names its Kustomization flux/<app>.yaml and everything below
// apps/<app>/ and high-level/<app>/. lock is the tree's parsed lock, nil
// when it does not parse; hasLock says whether the tree holds one. Nothing
// is kiln's in a tree without a lock, and nothing but the lock in one
// whose lock does not parse (a merge conflict, a hand edit): it names no
// app, so kiln cannot tell its files from the user's. A file of flux/ that
// is no app's is not kiln's: the bootstrap Kustomization applies all of
// flux/, so it is someone's Flux object; flux/notifications.yaml is kiln's
// only when its objects say so (Notifications). Nor is a folder of apps/
// that is no app's (the path of a Kustomization of the user's own, say),
// or a file directly in apps/ or high-level/. Render and promote both
// refuse to delete or change a file of an env's tree for which Wrote is
// false.
func Wrote(rel string, hasLock bool, lock *Lock) bool {
	if !hasLock {
		return false
	}
	switch rel {
	case File, ShardFile:
		return true
	}
	app, ok := AppOf(rel)
	if !ok || lock == nil {
		return false
	}
	// A lock without an apps list (kiln always writes one, {} for no
	// app: this one lost it in a hand edit or a merge) names no app, so
	// none of the folders is kiln's, as in a lock that does not parse.
	_, ok = lock.Apps[app]
	return ok
}

// NamesNoApp says why a tree's lock (nil when it does not parse) names no
// app, so that nothing but the lock is kiln's (Wrote), for the error that
// refuses to touch the tree's other files; "" when it names its apps.
func NamesNoApp(lock *Lock) string {
	switch {
	case lock == nil:
		return "does not parse"
	case lock.Apps == nil:
		return "has no apps list, which kiln always writes"
	}
	return ""
}

// NotificationsFile is where kiln writes an env's notification Providers
// and Alerts (kiln.yaml's notifications:).
const NotificationsFile = "flux/notifications.yaml"

// Notifications reports whether data, the tree's NotificationsFile, is
// kiln's: it holds objects and each carries kiln's label
// app.kubernetes.io/managed-by: kiln, as kiln writes them. A user's own
// Provider and Alert under that name, which the bootstrap applies as any
// file of flux/, are not kiln's to delete or overwrite.
func Notifications(data []byte) bool {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	n := 0
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return n > 0
		}
		if err != nil || len(doc.Content) == 0 || managedBy(doc.Content[0]) != "kiln" {
			return false
		}
		n++
	}
}

// managedBy returns the app.kubernetes.io/managed-by label of obj, read
// off its nodes: decoding the labels into a map had yaml.v3 compare each
// label key with every later one: 6 s for a file of the tree with 50,000
// labels, growing with their square.
func managedBy(obj *yaml.Node) string {
	v := field(field(field(obj, "metadata"), "labels"), "app.kubernetes.io/managed-by")
	if v == nil || v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" {
		return ""
	}
	return v.Value
}

// field returns the value of key in mapping m, aliases followed; nil
// when m is no mapping or has key other than once (twice, yaml.v3 refuses
// the document).
func field(m *yaml.Node, key string) *yaml.Node {
	if m != nil && m.Kind == yaml.AliasNode {
		m = m.Alias
	}
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	var found *yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; k.Kind == yaml.ScalarNode && k.Value == key {
			if found != nil {
				return nil
			}
			found = m.Content[i+1]
		}
	}
	if found != nil && found.Kind == yaml.AliasNode {
		found = found.Alias
	}
	return found
}

// AppOf is the app whose file rel, a slash path of an env's tree, is:
// the app of apps/<app>/…, high-level/<app>/… or flux/<app>.yaml. false
// for any other path, a file directly in apps/ or high-level/ included.
func AppOf(rel string) (string, bool) {
	app, ok := "", false
	if rest, found := strings.CutPrefix(rel, "flux/"); found {
		app, ok = strings.CutSuffix(rest, ".yaml")
		ok = ok && !strings.Contains(app, "/")
	} else if rest, found := strings.CutPrefix(rel, "apps/"); found {
		app, _, ok = strings.Cut(rest, "/")
	} else if rest, found := strings.CutPrefix(rel, "high-level/"); found {
		app, _, ok = strings.Cut(rest, "/")
	}
	if !ok || app == "" {
		return "", false
	}
	return app, true
}

// Placeholder reports whether the file rel, empty or not, is a placeholder
// that kept its folder in git (an empty .gitkeep or .keep): its job is done
// once the folder holds files, so render and promote may delete it
// although kiln did not write it.
func Placeholder(rel string, empty bool) bool {
	base := rel[strings.LastIndexByte(rel, '/')+1:]
	return empty && (base == ".gitkeep" || base == ".keep")
}
