// Command compare compares kiln's verdicts with a real API server's, per
// object, and prints the agreements and each disagreement.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

type verdict struct {
	File     string `json:"file"`
	Index    int    `json:"index"`
	Kind     string `json:"kind"`
	Name     string `json:"name"`
	Accepted bool   `json:"accepted"`
	Message  string `json:"message,omitempty"`
}

type key struct {
	file  string
	index int
}

func read(path string) (map[key]verdict, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var vs []verdict
	if err := json.Unmarshal(data, &vs); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m := make(map[key]verdict, len(vs))
	for _, v := range vs {
		m[key{v.File, v.Index}] = v
	}
	return m, nil
}

// outOfScope says why an API server refusal is no verdict on an object
// kiln takes: its kind has no CRD in the corpus (kiln warns that it
// guessed its scope), its Service IP or IP family is outside the test
// server's service range or families (the cluster's configuration), or
// its CRD converts through a webhook the test cluster does not run.
func outOfScope(o verdict) string {
	switch {
	case strings.HasPrefix(o.Message, "client: no matches for kind"):
		return "kind no CRD of the corpus serves"
	case strings.Contains(o.Message, "is not in the valid range. The range of valid IPs is"):
		return "service IP outside the cluster's range"
	case strings.Contains(o.Message, "this cluster is not configured for dual-stack services"),
		strings.Contains(o.Message, `Invalid value: "IPv6": not configured on this cluster`):
		return "IP family the test cluster is not configured for"
	case strings.HasPrefix(o.Message, "conversion webhook for "):
		return "conversion webhook of a CRD, a service the cluster runs"
	}
	return ""
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: compare ORACLE.json KILN.json")
		os.Exit(2)
	}
	oracle, err := read(os.Args[1])
	if err == nil {
		var kiln map[key]verdict
		if kiln, err = read(os.Args[2]); err == nil {
			compare(oracle, kiln)
			return
		}
	}
	fmt.Fprintln(os.Stderr, "compare:", err)
	os.Exit(1)
}

func compare(oracle, kiln map[key]verdict) {
	// kiln refuses a file it cannot parse (a List with a broken item) as
	// a whole, as kustomize build fails on it and Flux's apply with it:
	// one verdict, refused when the API server refuses any of its items.
	for k, v := range kiln {
		if !strings.HasPrefix(v.Message, "parse: ") {
			continue
		}
		merged := verdict{File: k.file, Accepted: true}
		for ok, ov := range oracle {
			if ok.file != k.file {
				continue
			}
			if merged.Accepted {
				merged = ov
			}
			delete(oracle, ok)
		}
		merged.Index = 0
		oracle[key{k.file, 0}] = merged
	}
	counts := map[string]int{}
	rows := map[string][]string{}
	var keys []key
	for k := range oracle {
		keys = append(keys, k)
	}
	for k := range kiln {
		if _, ok := oracle[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].file != keys[j].file {
			return keys[i].file < keys[j].file
		}
		return keys[i].index < keys[j].index
	})
	for _, k := range keys {
		o, inO := oracle[k]
		kv, inK := kiln[k]
		var class string
		switch {
		case !inO || !inK:
			class = "unpaired"
		case outOfScope(o) != "" && kv.Accepted:
			counts["ignored: "+outOfScope(o)]++
			continue
		case o.Accepted == kv.Accepted && o.Accepted:
			counts["agree: accepted"]++
			continue
		case o.Accepted == kv.Accepted:
			counts["agree: refused"]++
			continue
		case o.Accepted:
			class = "false positive: kiln refuses, the API server accepts"
		default:
			class = "false negative: kiln accepts, the API server refuses"
		}
		counts[class]++
		rows[class] = append(rows[class], fmt.Sprintf("-- %s#%d\n   apiserver: %s\n   kiln:      %s", k.file, k.index, short(o), short(kv)))
	}
	var classes []string
	for c := range counts {
		classes = append(classes, c)
	}
	sort.Strings(classes)
	total := 0
	for _, c := range classes {
		fmt.Printf("%7d  %s\n", counts[c], c)
		total += counts[c]
	}
	fmt.Printf("%7d  objects\n", total)
	for _, c := range classes {
		if len(rows[c]) == 0 {
			continue
		}
		fmt.Printf("\n== %s\n%s\n", c, strings.Join(rows[c], "\n"))
	}
}

func short(v verdict) string {
	if v.File == "" {
		return "(none)"
	}
	if v.Accepted {
		return "accepted"
	}
	m := strings.ReplaceAll(v.Message, "\n", " | ")
	if len(m) > 400 {
		m = m[:400] + "…"
	}
	return m
}
