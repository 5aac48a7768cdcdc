package objects

import "testing"

// TestQuoteTimestamps: what YAML reads as a timestamp is quoted, keys
// included; what it reads otherwise (strings, numbers, quoted or tagged
// scalars) is left as written.
func TestQuoteTimestamps(t *testing.T) {
	in := `apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
  labels:
    released: 2024-01-01
data:
  day: 2024-01-01
  at: 2001-12-14 21:59:43.10
  iso: 2001-12-14t21:59:43.10-05:00
  quoted: "2024-01-01"
  single: '2024-01-01'
  tagged: !!str 2024-01-01
  version: 2024-01-01-rc1
  number: 20240101
  text: release 2024-01-01
  list: [2024-01-01, x]
  2024-01-02: key
`
	want := `apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
  labels:
    released: "2024-01-01"
data:
  day: "2024-01-01"
  at: "2001-12-14 21:59:43.10"
  iso: "2001-12-14t21:59:43.10-05:00"
  quoted: "2024-01-01"
  single: '2024-01-01'
  tagged: !!str 2024-01-01
  version: 2024-01-01-rc1
  number: 20240101
  text: release 2024-01-01
  list: ["2024-01-01", x]
  "2024-01-02": key
`
	objs, err := Parse([]byte(in), "cm.yaml", 0)
	if err != nil {
		t.Fatal(err)
	}
	if !QuoteTimestamps(objs[0].Node.YNode()) {
		t.Error("reported no change")
	}
	got, err := objs[0].Node.String()
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if QuoteTimestamps(objs[0].Node.YNode()) {
		t.Error("changed a tree already quoted")
	}
}
