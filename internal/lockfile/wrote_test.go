package lockfile

import (
	"fmt"
	"strings"
	"testing"
)

// TestWrote: which paths of an env's tree are kiln's, the rule render and
// promote both keep to before deleting or changing a file.
func TestWrote(t *testing.T) {
	t.Parallel()
	lock := &Lock{Apps: map[string]App{"web": {}}}
	for _, tc := range []struct {
		rel     string
		hasLock bool
		lock    *Lock
		want    bool
	}{
		{rel: File, hasLock: true, lock: lock, want: true},
		{rel: ShardFile, hasLock: true, lock: lock, want: true},
		{rel: "apps/web/deployment_web.yaml", hasLock: true, lock: lock, want: true},
		{rel: "apps/web/sub/below.txt", hasLock: true, lock: lock, want: true},
		// A folder of no app of the lock: the user's (the path of their
		// own Kustomization), not kiln's to delete; nor a file beside the
		// apps' folders.
		{rel: "apps/extra/cm.yaml", hasLock: true, lock: lock},
		{rel: "high-level/extra/values.yaml", hasLock: true, lock: lock},
		{rel: "apps/README.md", hasLock: true, lock: lock},
		{rel: "apps//x.yaml", hasLock: true, lock: lock},
		// A lock that does not parse names no app: nothing but the lock
		// can be told for kiln's.
		{rel: "apps/extra/cm.yaml", hasLock: true},
		{rel: File, hasLock: true, want: true},
		// A lock without an apps list (not one kiln writes: a hand edit,
		// a merge) names no app either.
		{rel: "apps/extra/cm.yaml", hasLock: true, lock: &Lock{}},
		{rel: "high-level/extra/values.yaml", hasLock: true, lock: &Lock{}},
		{rel: "flux/extra.yaml", hasLock: true, lock: &Lock{}},
		{rel: File, hasLock: true, lock: &Lock{}, want: true},
		{rel: "high-level/web/values.yaml", hasLock: true, lock: lock, want: true},
		// Told by its content (Notifications).
		{rel: "flux/notifications.yaml", hasLock: true, lock: lock},
		{rel: "flux/web.yaml", hasLock: true, lock: lock, want: true},
		// The user's own Kustomization, applied by the bootstrap.
		{rel: "flux/infra.yaml", hasLock: true, lock: lock},
		{rel: "flux/web/x.yaml", hasLock: true, lock: lock},
		{rel: "flux/web.yml", hasLock: true, lock: lock},
		{rel: "README.md", hasLock: true, lock: lock},
		{rel: "apps", hasLock: true, lock: lock},
		{rel: "flux/infra.yaml", hasLock: true},
		// No lock: nothing is kiln's.
		{rel: "apps/web/deployment_web.yaml"},
		{rel: File},
	} {
		if got := Wrote(tc.rel, tc.hasLock, tc.lock); got != tc.want {
			t.Errorf("Wrote(%q, hasLock %v, lock %v) = %v, want %v", tc.rel, tc.hasLock, tc.lock != nil, got, tc.want)
		}
	}
}

func TestPlaceholder(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		rel   string
		empty bool
		want  bool
	}{
		{".gitkeep", true, true},
		{"apps/.keep", true, true},
		{".gitkeep", false, false},
		{"README.md", true, false},
		{"x.gitkeep", true, false},
	} {
		if got := Placeholder(tc.rel, tc.empty); got != tc.want {
			t.Errorf("Placeholder(%q, %v) = %v, want %v", tc.rel, tc.empty, got, tc.want)
		}
	}
}

// TestNotifications: flux/notifications.yaml is kiln's when every object
// in it carries kiln's label, as kiln writes it; not when it is empty,
// does not parse, or holds an object of the user's.
func TestNotifications(t *testing.T) {
	t.Parallel()
	const kiln = "apiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Provider\nmetadata:\n  labels: {app.kubernetes.io/managed-by: kiln}\n  name: a\n"
	const user = "apiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Provider\nmetadata: {name: slack}\n"
	for _, tc := range []struct {
		data string
		want bool
	}{
		{kiln, true},
		{kiln + "---\n" + kiln, true},
		{user, false},
		{kiln + "---\n" + user, false},
		{"", false},
		{"# nothing\n", false},
		{"{", false},
		{"metadata:\n  labels: {app.kubernetes.io/managed-by: kiln, app.kubernetes.io/managed-by: kiln}\n", false},
		{"metadata:\n  labels: {app.kubernetes.io/managed-by: 1}\n", false},
		{"x: &m {labels: {app.kubernetes.io/managed-by: kiln}}\nmetadata: *m\n", true},
		{"metadata:\n  labels: {app.kubernetes.io/managed-by: [kiln]}\n", false},
		{manyLabels(50000) + "    app.kubernetes.io/managed-by: kiln\n", true},
	} {
		if got := Notifications([]byte(tc.data)); got != tc.want {
			t.Errorf("Notifications(%q) = %v, want %v", tc.data, got, tc.want)
		}
	}
}

// manyLabels is an object whose labels hold n keys: yaml.v3 took 6 s to
// decode 50,000 into a map (each key compared with every later one), and
// Notifications reads such a file of the tree.
func manyLabels(n int) string {
	var b strings.Builder
	b.WriteString("metadata:\n  labels:\n")
	for i := range n {
		fmt.Fprintf(&b, "    l%d: v\n", i)
	}
	return b.String()
}

// TestUnknownAppFields: the fields of an app entry that App has none
// for, also inside its source, are found; a field in another case is
// App's, as encoding/json decodes it so.
func TestUnknownAppFields(t *testing.T) {
	t.Parallel()
	data := []byte(`{"kilnVersion": "v9", "apps": {
  "web": {"engine": "helm", "note": "by hand", "source": {"commit": "abc", "branch": "main"}},
  "db": {"Engine": "yaml", "objects": 2, "source": null},
  "vote": {"engine": "yaml", "images": ["nginx:1"], "verifiedBy": {"who": "x"}}
}}`)
	got := UnknownAppFields(data)
	want := map[string][]string{"web": {"note", "source.branch"}, "vote": {"verifiedBy"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("UnknownAppFields = %v, want %v", got, want)
	}
	if got := UnknownAppFields([]byte("<<<<<<< HEAD")); got != nil {
		t.Errorf("UnknownAppFields of no lock = %v, want nil", got)
	}
}
