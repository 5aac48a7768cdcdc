package objects

import "testing"

// TestResolveYAML11Bools: a plain scalar YAML 1.1 reads as a boolean is
// written as that boolean, a key as its text, as sigs.k8s.io/yaml (so
// helm install) reads them; what both YAML versions read alike, and
// quoted or tagged scalars, are left as written.
func TestResolveYAML11Bools(t *testing.T) {
	in := `apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
spec:
  a: yes
  b: On
  c: n
  d: OFF
  e: Y
  f: "yes"
  g: 'on'
  h: !!str no
  i: true
  j: yess
  k: 012
  l: |
    yes
  list: [y, no, "n", x]
  on: 1
  No: 2
  "y": 3
`
	want := `apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
spec:
  a: true
  b: true
  c: false
  d: false
  e: true
  f: "yes"
  g: 'on'
  h: !!str no
  i: true
  j: yess
  k: 012
  l: |
    yes
  list: [true, false, "n", x]
  "true": 1
  "false": 2
  "y": 3
`
	objs, err := Parse([]byte(in), "w.yaml", 0)
	if err != nil {
		t.Fatal(err)
	}
	if !ResolveYAML11Bools(objs[0].Node.YNode()) {
		t.Error("changed nothing")
	}
	if got := objs[0].Node.MustString(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	objs, err = Parse([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: \"yes\"\n"), "c.yaml", 0)
	if err != nil {
		t.Fatal(err)
	}
	if ResolveYAML11Bools(objs[0].Node.YNode()) {
		t.Error("changed a quoted scalar")
	}
}
