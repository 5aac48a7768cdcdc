// Package apiservercheck starts a real kube-apiserver (with an embedded etcd) and
// judges every object of a folder of YAML files with a server-side apply,
// dry-run=All, force, fieldManager "kustomize-controller", as Flux does.
package apiservercheck

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/apiserver/pkg/storage/storagebackend"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/restmapper"
	kubeapiservertesting "k8s.io/kubernetes/cmd/kube-apiserver/app/testing"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// Verdict is one object's answer; kiln's side writes the same shape.
type Verdict struct {
	File     string `json:"file"`
	Index    int    `json:"index"`
	Kind     string `json:"kind"`
	Name     string `json:"name"`
	Accepted bool   `json:"accepted"`
	Message  string `json:"message,omitempty"`
}

type doc struct {
	file  string
	index int
	json  []byte
	obj   *unstructured.Unstructured
	err   error
}

// readDocs reads every document of the YAML files under root, in name
// order, with its file and index; a List's items are documents of their
// own, as kustomize, Flux and kiln read them.
func readDocs(t *testing.T, root string) []doc {
	var docs []doc
	var files []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	for _, f := range files {
		rel, _ := filepath.Rel(root, f)
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r := utilyaml.NewYAMLReader(bufioReader(b))
		i := 0
		for {
			chunk, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				docs = append(docs, doc{file: rel, index: i, err: err})
				break
			}
			if len(bytes.TrimSpace(stripComments(chunk))) == 0 {
				continue
			}
			d := doc{file: rel, index: i}
			i++
			// kustomize's YAML 1.2 reading, as kiln and kustomize-controller
			// read the files: "yes" and "y" are strings, not booleans.
			j, err := yamlToJSON(chunk)
			if err != nil {
				d.err = err
			} else {
				d.json = j
				var m map[string]any
				if err := json.Unmarshal(j, &m); err != nil {
					d.err = err
				} else if m == nil {
					i--
					continue
				} else if items, ok := m["items"].([]any); ok && strings.HasSuffix(fmt.Sprint(m["kind"]), "List") {
					// A List is its items to kustomize, Flux and kiln.
					for k, it := range items {
						im, _ := it.(map[string]any)
						ij, _ := json.Marshal(it)
						docs = append(docs, doc{file: rel, index: i - 1 + k, json: ij, obj: &unstructured.Unstructured{Object: im}})
					}
					i += len(items) - 1
					continue
				} else {
					d.obj = &unstructured.Unstructured{Object: m}
				}
			}
			docs = append(docs, d)
		}
	}
	return docs
}

// stripComments drops comment lines, to tell an empty document.
func stripComments(b []byte) []byte {
	var out [][]byte
	for _, l := range bytes.Split(b, []byte("\n")) {
		if t := bytes.TrimSpace(l); len(t) > 0 && t[0] == '#' {
			continue
		}
		out = append(out, l)
	}
	return bytes.Join(out, []byte("\n"))
}

// startEtcd starts an embedded etcd on free loopback ports, its data in a
// temporary folder, and returns the API server's storage configuration.
func startEtcd(t *testing.T) *storagebackend.Config {
	dir := t.TempDir()
	cfg := embed.NewConfig()
	cfg.Dir = dir
	cfg.LogLevel = "error"
	cu, _ := url.Parse("http://127.0.0.1:0")
	pu, _ := url.Parse("http://127.0.0.1:0")
	cfg.ListenClientUrls = []url.URL{*cu}
	cfg.AdvertiseClientUrls = []url.URL{*cu}
	cfg.ListenPeerUrls = []url.URL{*pu}
	cfg.AdvertisePeerUrls = []url.URL{*pu}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(60 * time.Second):
		t.Fatal("etcd not ready")
	}
	addr := e.Clients[0].Addr().String()
	sc := storagebackend.NewDefaultConfig("/oracle", nil)
	sc.Transport.ServerList = []string{"http://" + addr}
	return sc
}

// TestOracle judges every object of the YAML files under $ORACLE_IN with a
// real kube-apiserver, after creating the CRDs under $ORACLE_CRDS (waiting
// until each is Established) and the namespaces the objects name, and
// writes the verdicts to $ORACLE_OUT as JSON. make apiservercheck runs it.
func TestOracle(t *testing.T) {
	in, out := os.Getenv("ORACLE_IN"), os.Getenv("ORACLE_OUT")
	crdDir := os.Getenv("ORACLE_CRDS")
	if in == "" || out == "" {
		t.Skip("ORACLE_IN and ORACLE_OUT not set (make apiservercheck sets them)")
	}
	sc := startEtcd(t)
	opts := kubeapiservertesting.NewDefaultTestServerOptions()
	opts.DisableInvariantChecks = true
	srv, err := kubeapiservertesting.StartTestServer(t, opts, []string{
		// Clusters Flux runs on allow privileged containers (kubeadm,
		// kind and the managed offerings set it); the flag's default
		// refuses every privileged pod template, CNI and CSI DaemonSets
		// first, which no manifest can fix.
		"--allow-privileged=true",
		// Admission that needs cluster state beyond Namespaces is out of kiln's scope.
		"--disable-admission-plugins=ServiceAccount,ResourceQuota,LimitRanger,DefaultStorageClass,DefaultTolerationSeconds,DefaultIngressClass,PersistentVolumeClaimResize,Priority,StorageObjectInUseProtection,RuntimeClass,CertificateApproval,CertificateSigning,ClusterTrustBundleAttest,CertificateSubjectRestriction,TaintNodesByCondition,PodSecurity,MutatingAdmissionWebhook,ValidatingAdmissionWebhook,ValidatingAdmissionPolicy,MutatingAdmissionPolicy",
	}, sc)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.TearDownFn()
	ctx := context.Background()
	cfg := srv.ClientConfig
	kc := kubernetes.NewForConfigOrDie(cfg)
	ac := apiextclient.NewForConfigOrDie(cfg)
	dc := dynamic.NewForConfigOrDie(cfg)

	// CRDs for real, then wait until Established.
	var crdNames []string
	if crdDir != "" {
		for _, d := range readDocs(t, crdDir) {
			if d.obj == nil || d.obj.GetKind() != "CustomResourceDefinition" {
				continue
			}
			var crd apiextensionsv1.CustomResourceDefinition
			if err := json.Unmarshal(d.json, &crd); err != nil {
				t.Logf("crd %s#%d: %v", d.file, d.index, err)
				continue
			}
			crd.ResourceVersion = ""
			crd.Status = apiextensionsv1.CustomResourceDefinitionStatus{}
			if _, err := ac.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, &crd, metav1.CreateOptions{}); err != nil {
				if !apierrors.IsAlreadyExists(err) {
					t.Logf("crd %s (%s#%d): %v", crd.Name, d.file, d.index, err)
				}
				continue
			}
			crdNames = append(crdNames, crd.Name)
		}
	}
	for _, n := range crdNames {
		err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
			c, err := ac.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, n, metav1.GetOptions{})
			if err != nil {
				return false, nil
			}
			for _, cond := range c.Status.Conditions {
				if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil {
			t.Logf("crd %s not established: %v", n, err)
		}
	}
	t.Logf("%d CRDs established", len(crdNames))
	// Discovery lags behind Established a little.
	time.Sleep(2 * time.Second)
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(discovery.NewDiscoveryClientForConfigOrDie(cfg)))

	docs := readDocs(t, in)
	verdicts := make([]Verdict, len(docs))
	judgeAt := func(i int) {
		d := docs[i]
		v := Verdict{File: d.file, Index: d.index}
		if d.obj != nil {
			v.Kind, v.Name = d.obj.GetKind(), d.obj.GetName()
		}
		v.Accepted, v.Message = judge(ctx, dc, mapper, d)
		verdicts[i] = v
	}
	// Namespaces first, while none exists but default and the system
	// ones: applied to an existing one, the apply is an update, which
	// keeps the old spec.finalizers whatever the document says.
	isNamespace := func(d doc) bool {
		return d.obj != nil && d.obj.GetKind() == "Namespace" && d.obj.GetAPIVersion() == "v1"
	}
	for i, d := range docs {
		if isNamespace(d) {
			judgeAt(i)
		}
	}
	// Namespaces for real, those the objects name and those the corpus declares.
	nss := map[string]bool{}
	for _, d := range docs {
		if d.obj == nil {
			continue
		}
		if ns := d.obj.GetNamespace(); ns != "" {
			nss[ns] = true
		}
		if d.obj.GetKind() == "Namespace" && d.obj.GetAPIVersion() == "v1" && d.obj.GetName() != "" {
			nss[d.obj.GetName()] = true
		}
	}
	for ns := range nss {
		_, err := kc.CoreV1().Namespaces().Create(ctx, newNamespace(ns), metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Logf("namespace %q: %v", ns, err)
		}
	}

	for i, d := range docs {
		if !isNamespace(d) {
			judgeAt(i)
		}
	}
	b, _ := json.MarshalIndent(verdicts, "", "  ")
	if err := os.WriteFile(out, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d verdicts written to %s", len(verdicts), out)
}

// judge applies d as kustomize-controller does, as a dry run: a namespaced
// object without a namespace goes to default.
func judge(ctx context.Context, dc dynamic.Interface, mapper meta.RESTMapper, d doc) (bool, string) {
	if d.err != nil {
		return false, "decode: " + d.err.Error()
	}
	gvk := d.obj.GroupVersionKind()
	if gvk.Kind == "" || gvk.Version == "" {
		return false, "client: object has no apiVersion or kind"
	}
	m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return false, "client: " + err.Error()
	}
	name := d.obj.GetName()
	if name == "" {
		return false, "client: object has no metadata.name"
	}
	var ri dynamic.ResourceInterface = dc.Resource(m.Resource)
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		ns := d.obj.GetNamespace()
		if ns == "" {
			ns = "default"
		}
		ri = dc.Resource(m.Resource).Namespace(ns)
	}
	opts := metav1.PatchOptions{
		FieldManager: "kustomize-controller",
		Force:        ptr(true),
		DryRun:       []string{metav1.DryRunAll},
	}
	// ORACLE_REAL=1 applies for real: a dry run stops short of the
	// storage layer, whose own checks (resourceVersion on create) it
	// cannot see. Only for a folder whose objects do not share names.
	if os.Getenv("ORACLE_REAL") == "1" {
		opts.DryRun = nil
	}
	_, err = ri.Patch(ctx, name, types.ApplyPatchType, d.json, opts)
	if err != nil {
		return false, err.Error()
	}
	return true, ""
}

func ptr[T any](v T) *T { return &v }

// yamlToJSON reads a document as kustomize does (YAML 1.2: "yes" and "y"
// are strings), which is how Flux and kiln read it too.
func yamlToJSON(b []byte) ([]byte, error) {
	n, err := kyaml.Parse(string(b))
	if err != nil {
		return nil, err
	}
	return n.MarshalJSON()
}
