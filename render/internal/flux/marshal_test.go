package flux

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

// marshalRoundTrips is how Marshal first serialised objects, and so what
// the golden trees hold: sigs.k8s.io/yaml there, back into a map, and out
// again. Marshal must give the same bytes for any object.
func marshalRoundTrips(obj any) ([]byte, error) {
	raw, err := yaml.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := yaml.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	delete(m, "status")
	if md, ok := m["metadata"].(map[string]any); ok {
		delete(md, "creationTimestamp")
	}
	return yaml.Marshal(m)
}

// valuesSeeds are HelmRelease values whose YAML form is easy to get wrong:
// numbers of every size, strings YAML would read as something else, text
// that needs quoting or a block.
var valuesSeeds = []string{
	`{}`,
	`{"replicas": 3, "ratio": 0.5, "big": 1000000, "huge": 1e21, "tiny": 1e-7, "neg": -12, "zero": 0, "negzero": -0}`,
	`{"i53": 9007199254740993, "u64": 12345678901234567890, "over": 123456789012345678901234, "f": 1.0, "e": 2.5e10}`,
	`{"yes": "yes", "no": "no", "on": "on", "null": "null", "tilde": "~", "empty": "", "num": "3", "hex": "0x1F", "oct": "0o17", "float": "1e3", "date": "2024-01-02", "bool": "true"}`,
	`{"multi": "line one\nline two\n", "trail": "trailing space ", "lead": " lead", "tab": "a\tb", "cr": "a\r\nb", "colon": "a: b", "hash": "a #b", "dash": "- x", "html": "<a href=\"x\">&amp;</a>", "unicode": "héllo ☃ \u2028 \u0007"}`,
	`{"list": [1, "two", 3.5, null, true, [], {}, [{"a": [1, 2]}]], "nested": {"a": {"b": {"c": null}}}, "keys": {"true": true, "": "empty key", "a b": 1, "z": 1, "a10": 1, "a9": 1}}`,
}

func helmReleaseWith(t testing.TB, values map[string]any) []any {
	hr, src, err := BuildHelmRelease(HelmRelease{
		Name: "redis", Namespace: "instavote", App: "redis", Env: "dev", Interval: "10m", Timeout: "5m",
		Chart: "redis", Repo: "oci://ghcr.io/acme/charts", Version: "~17.3",
		GitSource: Ref{Kind: "GitRepository", Name: "flux-system", Namespace: "flux-system"},
		DependsOn: []Ref{{Name: "platform", Namespace: "instavote"}},
		Values:    values,
	})
	if err != nil {
		t.Fatal(err)
	}
	return []any{hr, src}
}

func sameBytes(t *testing.T, obj any) {
	t.Helper()
	want, wantErr := marshalRoundTrips(obj)
	got, err := Marshal(obj)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("Marshal error %v, round trips' error %v", err, wantErr)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("Marshal differs from the round trips (-want +got):\n%s", diff)
	}
}

func TestMarshalSameBytesAsRoundTrips(t *testing.T) {
	t.Parallel()
	k, err := Build(Kustomization{
		Name: "worker", Namespace: "flux-system", App: "worker", Env: "dev", Path: "./apps/worker",
		SourceRef: Ref{Kind: "GitRepository", Name: "flux-system"}, Interval: "10m", Timeout: "5m", Prune: true,
		DependsOn: []Ref{{Name: "db", Namespace: "flux-system"}},
		Objects: []Ref{
			{APIVersion: "apps/v1", Kind: "Deployment", Name: "worker", Namespace: "instavote"},
			{APIVersion: "example.com/v1", Kind: "Thing", Name: "t", Namespace: "instavote"},
		},
		HealthCheckExprs: []Expr{{APIVersion: "example.com/v1", Kind: "Thing", Current: "status.ready == true"}},
		DecryptionSecret: "sops-age",
	})
	if err != nil {
		t.Fatal(err)
	}
	sameBytes(t, k)
	for _, o := range BuildNotifications(Notifications{
		Env: "dev", Namespace: "flux-system", SecretRef: "github-token",
		CommitStatus: "acme/manifests", Dispatch: "acme/instavote", NameTemplate: "{app}-{env}", Apps: []string{"vote", "db"},
	}) {
		sameBytes(t, o)
	}
	for _, seed := range valuesSeeds {
		var values map[string]any
		if err := json.Unmarshal([]byte(seed), &values); err != nil {
			t.Fatal(err)
		}
		for _, o := range helmReleaseWith(t, values) {
			sameBytes(t, o)
		}
	}
}

// noDigitKeys replaces the digits of map keys with letters. yaml.v2 orders
// keys "naturally", numbers within them by value, and that order is not
// total ("01", "0100", "0117", "271" can come out in either order
// depending on Go's map iteration), so both ways of marshalling such keys
// vary from run to run and cannot be compared byte for byte.
func noDigitKeys(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[strings.Map(func(r rune) rune {
				if unicode.IsDigit(r) {
					return 'a' + r%26
				}
				return r
			}, k)] = noDigitKeys(e)
		}
		return out
	case []any:
		for i, e := range v {
			v[i] = noDigitKeys(e)
		}
	}
	return v
}

// FuzzMarshalSameBytes checks Marshal against the round trips on
// HelmRelease values, the one part of a Flux object the user chooses.
func FuzzMarshalSameBytes(f *testing.F) {
	for _, s := range valuesSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var values map[string]any
		if json.Unmarshal([]byte(s), &values) != nil {
			return
		}
		hr := helmReleaseWith(t, noDigitKeys(values).(map[string]any))[0]
		want, wantErr := marshalRoundTrips(hr)
		got, err := Marshal(hr)
		if wantErr != nil {
			return // the old way failed: no bytes to keep
		}
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		if string(want) != string(got) {
			t.Errorf("Marshal differs from the round trips:\nwant:\n%s\ngot:\n%s", want, got)
		}
	})
}

// BenchmarkMarshal serialises one app's Flux objects, as layout does for
// every app of every env: its Kustomization, HelmRelease and chart source.
func BenchmarkMarshal(b *testing.B) {
	k, err := Build(Kustomization{
		Name: "worker", Namespace: "flux-system", App: "worker", Env: "dev", Path: "./apps/worker",
		SourceRef: Ref{Kind: "GitRepository", Name: "flux-system"}, Interval: "10m", Timeout: "5m", Prune: true,
		DependsOn: []Ref{{Name: "db", Namespace: "flux-system"}},
		Objects:   []Ref{{APIVersion: "apps/v1", Kind: "Deployment", Name: "worker", Namespace: "instavote"}},
	})
	if err != nil {
		b.Fatal(err)
	}
	objs := append([]any{k}, helmReleaseWith(b, map[string]any{"replicas": 3, "image": map[string]any{"tag": "1.0.0"}})...)
	b.ReportAllocs()
	for b.Loop() {
		for _, o := range objs {
			if _, err := Marshal(o); err != nil {
				b.Fatal(err)
			}
		}
	}
}
