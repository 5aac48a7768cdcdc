package enginetest

import (
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/internal/deps"
	"github.com/kiln-gitops/kiln/templates"
)

// DepsCase is an engine and a real fixture for CheckDeps: the contract
// between an engine and kiln's render cache. The cache reuses a Result
// while the Request is equal and every recorded Dep observes as it did,
// so an observation an engine forgets to record is a stale render served
// from the cache.
type DepsCase struct {
	// New makes a fresh engine. Engines keep files between renders (a
	// chart shared by environments is read once), so a render after a
	// mutation needs one that reads the disk again.
	New func() templates.Engine
	// Repo is the fixture folder, copied (symlinks kept) to a fresh root
	// for each render.
	Repo string
	// Setup, if set, prepares each copy before anything renders: what a
	// fixture in git cannot hold, such as symlinks.
	Setup func(t testing.TB, root string)
	// Request is what is rendered; Root is set to the copy.
	Request templates.Request
	// Mutations are applied one at a time, each to a fresh copy.
	Mutations []Mutation
}

// Mutation is one change to the repository.
type Mutation struct {
	Name  string
	Apply func(t testing.TB, root string)
	// Want is what the change must do.
	Want Effect
}

// Effect is what a Mutation does to a render.
type Effect int

const (
	// Changes: the output (or the error) differs, so some Dep must
	// observe differently. The test checks that the output does differ,
	// so that the mutation tests what it says.
	Changes Effect = iota
	// Hit: the output stays and every Dep observes as it did, so the
	// cache still hits: the engine does not record what it never looked at.
	Hit
	// Either: the output may or may not change; only the contract is
	// checked.
	Either
)

// CheckDeps checks c's engine against the cache's contract:
//
//   - a render is Cacheable, its Deps are sorted and unique, and each
//     observes today as recorded;
//   - rendering again, by a fresh engine or by the same one (whose file
//     caches are warm), gives the same Deps and the same output;
//   - after each mutation, if every Dep still observes as recorded, the
//     render gives byte for byte the same Result (what the cache would
//     serve); and a mutation that changes the output changes some Dep.
func CheckDeps(t *testing.T, c DepsCase) {
	t.Helper()
	root := c.copy(t)
	eng := c.New()
	base, err := c.render(eng, root)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	if !base.Cacheable {
		t.Fatal("the render is not Cacheable")
	}
	if len(base.Deps) == 0 {
		t.Fatal("the render recorded no Deps")
	}
	for i, d := range base.Deps {
		if i > 0 && !less(base.Deps[i-1], d) {
			t.Errorf("Deps not sorted and unique: %v before %v", base.Deps[i-1], d)
		}
		if now := deps.Observe(root, d); now != d.Sum {
			t.Errorf("%s %s observes %s today, recorded %s", d.Kind, d.Path, now, d.Sum)
		}
	}
	want := Encode(t, base)
	for name, e := range map[string]templates.Engine{"a fresh engine": c.New(), "the same engine": eng} {
		again, err := c.render(e, root)
		if err != nil {
			t.Fatalf("render again with %s: %v", name, err)
		}
		if !again.Cacheable {
			t.Errorf("render again with %s: not Cacheable", name)
		}
		if diff := cmp.Diff(base.Deps, again.Deps); diff != "" {
			t.Errorf("render again with %s: other Deps (-first +again):\n%s", name, diff)
		}
		if got := Encode(t, again); got != want {
			t.Errorf("render again with %s: other output", name)
		}
	}

	for _, m := range c.Mutations {
		t.Run(m.Name, func(t *testing.T) {
			root := c.copy(t)
			m.Apply(t, root)
			var changed []string
			for _, d := range base.Deps {
				if now := deps.Observe(root, d); now != d.Sum {
					changed = append(changed, d.Kind+" "+d.Path)
				}
			}
			res, err := c.render(c.New(), root)
			got := ""
			if err != nil {
				got = "error: " + err.Error()
			} else {
				got = Encode(t, res)
			}
			same := got == want
			switch {
			case len(changed) == 0 && !same:
				t.Errorf("every Dep observes as recorded, yet the render differs: the cache would serve a stale render\n%s", firstDiff(want, got))
			case m.Want == Changes && same:
				t.Errorf("the mutation does not change the output; the test does not test what it says")
			case m.Want == Hit && len(changed) > 0:
				t.Errorf("the mutation changes no output but changes Deps %v: the cache would miss", changed)
			case m.Want == Hit && !same:
				t.Errorf("the mutation changes the output\n%s", firstDiff(want, got))
			}
		})
	}
}

func less(a, b templates.Dep) bool {
	if a.Kind != b.Kind {
		return a.Kind < b.Kind
	}
	return a.Path < b.Path
}

func (c DepsCase) render(e templates.Engine, root string) (*templates.Result, error) {
	req := c.Request
	req.Root = root
	return e.Render(context.Background(), &req)
}

// copy copies c.Repo to a fresh root, <tmp>/repo, next to which
// Outside's folder lies.
func (c DepsCase) copy(t testing.TB) string {
	t.Helper()
	root := filepath.Join(TempDir(t), "repo")
	CopyTree(t, c.Repo, root)
	if c.Setup != nil {
		c.Setup(t, root)
	}
	return root
}

// Encode is everything of a Result the cache serves, for comparison:
// inputs, digest, params, warnings and each object's place and bytes.
func Encode(t testing.TB, res *templates.Result) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("inputs: " + strings.Join(res.Inputs, ", ") + "\n")
	b.WriteString("digest: " + res.InputDigest + "\n")
	params, err := json.Marshal(res.Params)
	if err != nil {
		t.Fatal(err)
	}
	b.WriteString("params: " + string(params) + "\n")
	for _, w := range res.Warnings {
		b.WriteString("warning: " + w.File + ": " + w.Msg + " (" + w.Hint + ")\n")
	}
	for _, o := range res.Objects {
		b.WriteString("--- # " + o.File + ":" + strconv.Itoa(o.Line) + " " + o.Path + "\n")
		if o.Raw != nil {
			b.Write(o.Raw)
			continue
		}
		s, err := o.Node.String()
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(s)
	}
	return b.String()
}

// firstDiff shows where two encodings part.
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return "line " + strconv.Itoa(i+1) + ":\n- " + x + "\n+ " + y
		}
	}
	return ""
}

// CopyTree copies the folder src to dst, keeping symlinks as symlinks.
func CopyTree(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(to, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, to)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Outside is a folder next to root, outside it, created on first use.
func Outside(t testing.TB, root string) string {
	t.Helper()
	dir := filepath.Join(filepath.Dir(root), "outside")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Write writes content to the slash path rel below root, making folders.
func Write(t testing.TB, root, rel, content string) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Read returns the content of the slash path rel below root.
func Read(t testing.TB, root, rel string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// Replace replaces old, which must occur, by new in the file rel.
func Replace(t testing.TB, root, rel, old, new string) {
	t.Helper()
	s := Read(t, root, rel)
	if !strings.Contains(s, old) {
		t.Fatalf("%s does not contain %q", rel, old)
	}
	Write(t, root, rel, strings.Replace(s, old, new, 1))
}

// Remove removes the file or folder rel below root.
func Remove(t testing.TB, root, rel string) {
	t.Helper()
	if err := os.RemoveAll(filepath.Join(root, filepath.FromSlash(rel))); err != nil {
		t.Fatal(err)
	}
}

// Symlink makes rel below root a symlink to target (replacing what was
// there), target as written in the link.
func Symlink(t testing.TB, root, rel, target string) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.RemoveAll(p); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.FromSlash(target), p); err != nil {
		t.Fatal(err)
	}
}
