package apirules

import (
	"fmt"
	"math/rand"
	"reflect"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/version"
	"k8s.io/client-go/kubernetes/scheme"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	"sigs.k8s.io/randfill"
)

// The rules read typed objects whose every optional field may be missing:
// a nil pointer that one rule forgot would stop kiln on a user's manifest.
// These tests fill every built-in kind at random (nil or set, each field,
// at every depth) and require Check to return, whatever it finds.

// randomKinds are the kinds Check may see: every kind of client-go's
// scheme, and APIService.
func randomKinds(t testing.TB) []schema.GroupVersionKind {
	t.Helper()
	var out []schema.GroupVersionKind
	for gvk := range scheme.Scheme.AllKnownTypes() {
		if gvk.Version == runtime.APIVersionInternal || strings.HasSuffix(gvk.Kind, "List") ||
			strings.HasSuffix(gvk.Kind, "Options") || gvk.Group == "" && gvk.Version != "v1" {
			continue
		}
		out = append(out, gvk)
	}
	out = append(out, apiregistrationv1.SchemeGroupVersion.WithKind("APIService"))
	slices.SortFunc(out, func(a, b schema.GroupVersionKind) int { return strings.Compare(a.String(), b.String()) })
	return out
}

func newKind(t testing.TB, gvk schema.GroupVersionKind) runtime.Object {
	t.Helper()
	if gvk.Kind == "APIService" && gvk.Group == apiregistrationv1.GroupName {
		return &apiregistrationv1.APIService{}
	}
	obj, err := scheme.Scheme.New(gvk)
	if err != nil {
		t.Fatal(err)
	}
	return obj
}

// words are strings the rules compare with: enum values, names, paths,
// addresses, quantities, expressions. A random string would rarely take
// a rule past its first test.
var randomWords = []string{
	"", "a", "A", "-", "/", "..", "a/b", "../x", "/abs", "Bad_Name", "web", "kubernetes.io/x", "example.com/x",
	"Always", "Never", "OnFailure", "IfNotPresent", "None", "Recreate", "RollingUpdate", "OnDelete",
	"ClusterIP", "NodePort", "LoadBalancer", "ExternalName", "Local", "Cluster", "ClientIP", "SingleStack",
	"PreferDualStack", "RequireDualStack", "IPv4", "IPv6", "TCP", "UDP", "SCTP", "http", "https",
	"Exists", "In", "NotIn", "DoesNotExist", "Equal", "NoSchedule", "NoExecute", "Gt", "Lt",
	"Prefix", "Exact", "ImplementationSpecific", "Ingress", "Egress", "ReadWriteOnce", "ReadWriteOncePod",
	"Filesystem", "Block", "Retain", "Delete", "Recycle", "Immediate", "WaitForFirstConsumer",
	"Fail", "Ignore", "Equivalent", "Exact", "Deny", "Warn", "Audit", "Allow", "CREATE", "DELETE", "*",
	"Pods", "Resource", "Object", "External", "ContainerResource", "Utilization", "AverageValue", "Value",
	"cpu", "memory", "storage", "ephemeral-storage", "hugepages-2Mi", "nvidia.com/gpu", "pods", "count/x",
	"Container", "Pod", "PersistentVolumeClaim", "Terminating", "BestEffort", "NotBestEffort",
	"Unconfined", "RuntimeDefault", "Localhost", "profiles/x.json", "Bidirectional", "HostToContainer",
	"Enabled", "IfPossible", "Disabled", "NotRequired", "RestartContainer", "ExactCount", "All",
	"FailIndex", "Count", "Ignore", "FailJob", "Forbid", "Replace", "Allow", "Parallel", "OrderedReady",
	"metadata.name", "metadata.labels['a']", "status.podIP", "limits.cpu", "requests.memory",
	"10.0.0.1", "::1", "0.0.0.0", "010.0.0.1", "10.0.0.0/8", "10.0.0.1/8", "2001:db8::/64", "fe80::1",
	"0", "1", "-1", "100m", "1Gi", "1e3", "*/5 * * * *", "@hourly", "TZ=UTC 0 * * * *", "Etc/UTC",
	"true", "object.spec.replicas > 1", "device.driver == 'x'", "request.name", "params.x", "x y",
	"kubernetes.io/service-account-token", "kubernetes.io/tls", "kubernetes.io/dockerconfigjson",
	"{}", "[]", `{"a":1}`, "apps/v1", "v1", "Deployment", "system-node-critical", "exempt", "catch-all",
}

var quantities = []string{"0", "1", "-1", "100m", "1Gi", "1e3", "2Mi", "0.5", "1Ei"}

// filler configures f to fill objects: fields nil or set half the time, strings
// mostly words, and the types whose zero or random value no decoder
// would make (quantities, int-or-strings, raw JSON, times) made as the
// decoder makes them.
func filler(f *randfill.Filler) *randfill.Filler {
	return f.NilChance(0.5).NumElements(0, 3).MaxDepth(12).Funcs(
		func(s *string, c randfill.Continue) {
			if c.Intn(8) == 0 {
				*s = c.String(12)
				return
			}
			*s = randomWords[c.Intn(len(randomWords))]
		},
		func(q *resource.Quantity, c randfill.Continue) {
			*q = resource.MustParse(quantities[c.Intn(len(quantities))])
		},
		func(v *intstr.IntOrString, c randfill.Continue) {
			if c.Bool() {
				*v = intstr.FromInt32(int32(c.Intn(70000)) - 10)
				return
			}
			*v = intstr.FromString(randomWords[c.Intn(len(randomWords))])
		},
		func(r *runtime.RawExtension, c randfill.Continue) {
			r.Raw = []byte([]string{`{}`, `{"a":1}`, `[]`, `null`, `"x"`}[c.Intn(5)])
		},
		func(m *metav1.ObjectMeta, c randfill.Continue) {
			c.FillNoCustom(m)
			// The decoder never sets these; the rules never read them.
			m.ManagedFields, m.OwnerReferences = nil, nil
			m.CreationTimestamp, m.DeletionTimestamp = metav1.Time{}, nil
		},
		func(tm *metav1.Time, c randfill.Continue) { *tm = metav1.Time{} },
		func(tm *metav1.MicroTime, c randfill.Continue) { *tm = metav1.MicroTime{} },
		func(tm *metav1.Duration, c randfill.Continue) { tm.Duration = 0 },
		func(tm *metav1.TypeMeta, c randfill.Continue) {},
	)
}

// checkNoPanic runs Check on obj at kube and turns a panic into a test
// failure that shows the object.
func checkNoPanic(t testing.TB, gvk schema.GroupVersionKind, obj runtime.Object, kube *version.Version) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("%s at %v: Check panicked: %v\nobject: %#v", gvk, kube, r, obj)
		}
	}()
	Check(obj, Options{KubeVersion: kube})
}

// TestCheckRandomObjects fills each kind many times: Check returns on all.
func TestCheckRandomObjects(t *testing.T) {
	t.Parallel()
	n := 40
	if testing.Short() {
		n = 5
	}
	for _, gvk := range randomKinds(t) {
		t.Run(gvk.String(), func(t *testing.T) {
			t.Parallel()
			r := rand.New(rand.NewSource(int64(len(gvk.String()))))
			for i := range n {
				obj := newKind(t, gvk)
				filler(randfill.NewWithSeed(int64(i))).Fill(obj)
				kube := version.MajorMinor(1, uint(24+r.Intn(14)))
				if i%5 == 0 {
					kube = nil
				}
				checkNoPanic(t, gvk, obj, kube)
			}
		})
	}
}

// FuzzCheck: the fuzzer picks the kind, the release and the filler's
// choices.
func FuzzCheck(f *testing.F) {
	kinds := randomKinds(f)
	for i := range 16 {
		f.Add(uint16(i*37), uint8(i), []byte(fmt.Sprint(i)))
	}
	f.Fuzz(func(t *testing.T, kind uint16, minor uint8, data []byte) {
		gvk := kinds[int(kind)%len(kinds)]
		obj := newKind(t, gvk)
		filler(randfill.NewFromGoFuzz(data)).Fill(obj)
		var kube *version.Version
		if minor%15 != 14 {
			kube = version.MajorMinor(1, uint(24+minor%15))
		}
		checkNoPanic(t, gvk, obj, kube)
	})
}

// The filler must reach the fields the rules read: a pod template's
// containers, at least sometimes.
func TestFillerReachesPodTemplates(t *testing.T) {
	t.Parallel()
	seen := 0
	for i := range 40 {
		obj := newKind(t, schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"})
		filler(randfill.NewWithSeed(int64(i))).Fill(obj)
		v := reflect.ValueOf(obj).Elem().FieldByName("Spec").FieldByName("Template").FieldByName("Spec").FieldByName("Containers")
		if v.Len() > 0 {
			seen++
		}
	}
	if seen < 10 {
		t.Errorf("only %d of 40 Deployments have containers", seen)
	}
}
