package builtinkinds

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite builtin.txt from k8s.io/api")

var (
	groupNameRE = regexp.MustCompile(`(?m)^const GroupName = "([^"]*)"`)
	typeRE      = regexp.MustCompile(`^type ([A-Z]\w*) struct`)
	verbsRE     = regexp.MustCompile(`^// \+genclient:((?:onlyVerbs|skipVerbs)=\S+|noVerbs)$`)
)

// TestBuiltinScopesMatchAPI reads the scope of every kind k8s.io/api
// defines a client for (+genclient, +genclient:nonNamespaced in the
// comments above the type), and the verbs its client is restricted to
// (+genclient:onlyVerbs, :skipVerbs, :noVerbs), from the sources of the
// version go.mod pins, and compares it with builtin.txt.
func TestBuiltinScopesMatchAPI(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}} {{.Version}}", "k8s.io/api").Output()
	if err != nil {
		t.Fatalf("go list -m k8s.io/api: %v", err)
	}
	dir, ver, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	registers, err := filepath.Glob(filepath.Join(dir, "*", "*", "register.go"))
	if err != nil || len(registers) < 20 {
		t.Fatalf("found %d register.go files in %s: %v", len(registers), dir, err)
	}
	scopes := map[string]string{}
	for _, reg := range registers {
		data, err := os.ReadFile(reg)
		if err != nil {
			t.Fatal(err)
		}
		m := groupNameRE.FindSubmatch(data)
		if m == nil {
			continue
		}
		group := string(m[1])
		types, err := os.ReadFile(filepath.Join(filepath.Dir(reg), "types.go"))
		if err != nil {
			continue
		}
		lines := strings.Split(string(types), "\n")
		for i, l := range lines {
			tm := typeRE.FindStringSubmatch(l)
			if tm == nil {
				continue
			}
			// The markers are in the comment lines above the type, which
			// blank lines may split.
			client, cluster, verbs := false, false, ""
			for j := i - 1; j >= 0; j-- {
				c := strings.TrimSpace(lines[j])
				if c != "" && !strings.HasPrefix(c, "//") {
					break
				}
				client = client || c == "// +genclient"
				cluster = cluster || c == "// +genclient:nonNamespaced"
				if m := verbsRE.FindStringSubmatch(c); m != nil {
					verbs = m[1]
				}
			}
			if !client {
				continue
			}
			scope := "namespaced"
			if cluster {
				scope = "cluster"
			}
			if verbs != "" {
				scope += " " + verbs
			}
			key := group + "/" + tm[1]
			if old, ok := scopes[key]; ok && old != scope {
				t.Errorf("%s is %q in one version and %q in another", key, old, scope)
			}
			scopes[key] = scope
		}
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# The scope of every kind k8s.io/api %s defines a client for, and its client's verb marker (internal/builtinkinds).\n", ver)
	keys := make([]string, 0, len(scopes))
	for k := range scopes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s %s\n", k, scopes[k])
	}
	if *update {
		if err := os.WriteFile("builtin.txt", b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if b.String() != builtinTable {
		t.Errorf("builtin.txt is not what k8s.io/api %s says: run go test ./internal/builtinkinds -run TestBuiltinScopesMatchAPI -update", ver)
	}
}

// TestClientOffers: the verbs of a kind's client, as its markers restrict
// them, and none for a kind without a client.
func TestClientOffers(t *testing.T) {
	for _, tc := range []struct {
		group, kind, verb string
		want              bool
	}{
		{"apps", "Deployment", "get", true},
		{"", "Namespace", "patch", true},             // skipVerbs=deleteCollection
		{"", "Namespace", "deleteCollection", false}, // the one skipped
		{"authorization.k8s.io", "SubjectAccessReview", "create", true},
		{"authorization.k8s.io", "SubjectAccessReview", "get", false},
		{"policy", "Eviction", "create", false}, // noVerbs
		{"autoscaling", "Scale", "get", false},  // no client
	} {
		if got := ClientOffers(tc.group, tc.kind, tc.verb); got != tc.want {
			t.Errorf("ClientOffers(%q, %q, %q) = %v, want %v", tc.group, tc.kind, tc.verb, got, tc.want)
		}
	}
}
