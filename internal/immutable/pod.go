package immutable

import (
	"reflect"
	"strconv"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// podSpecChanges returns the fields of a Pod's spec that an update
// changes in a way kube-apiserver's ValidatePodUpdate refuses. Like the
// API server, it checks the fields that may change one way (a deadline
// lowered, tolerations added, scheduling gates removed) and then compares
// the rest of the spec with those fields taken from the old Pod.
func podSpecChanges(old, new *kyaml.RNode) []string {
	o, n := lookup(old, "spec"), lookup(new, "spec")
	if o == nil || n == nil {
		if same(o, n) {
			return nil
		}
		return []string{"spec"}
	}
	var out []string
	m := n.Copy()
	for _, list := range []string{"containers", "initContainers"} {
		oc, mc := elements(lookup(o, list)), elements(lookup(m, list))
		if len(oc) != len(mc) {
			continue // the spec then differs: containers cannot be added or removed
		}
		for i := range mc {
			setAs(mc[i], lookup(oc[i], "image"), "image")
		}
	}
	od, nd := lookup(o, "activeDeadlineSeconds"), lookup(n, "activeDeadlineSeconds")
	if od != nil && (nd == nil || number(nd) > number(od)) {
		out = append(out, "spec.activeDeadlineSeconds")
	}
	setAs(m, od, "activeDeadlineSeconds")
	if !tolerationsKept(elements(lookup(o, "tolerations")), elements(lookup(n, "tolerations"))) {
		out = append(out, "spec.tolerations")
	}
	setAs(m, lookup(o, "tolerations"), "tolerations")
	if !gatesOnlyRemoved(elements(lookup(o, "schedulingGates")), elements(lookup(n, "schedulingGates"))) {
		out = append(out, "spec.schedulingGates")
	}
	setAs(m, lookup(o, "schedulingGates"), "schedulingGates")
	if og := lookup(o, "terminationGracePeriodSeconds"); og != nil && number(og) < 0 {
		if ng := lookup(m, "terminationGracePeriodSeconds"); ng != nil && number(ng) == 1 {
			setAs(m, og, "terminationGracePeriodSeconds")
		}
	}
	if len(elements(lookup(o, "schedulingGates"))) > 0 {
		// A gated Pod may gain node selector entries and node affinity
		// terms (validateNodeSelectorMutation, validateNodeAffinityMutation);
		// kiln leaves both to the API server rather than warn about an
		// update it accepts.
		setAs(m, lookup(o, "nodeSelector"), "nodeSelector")
		if a := lookup(m, "affinity"); a != nil {
			setAs(a, lookup(o, "affinity", "nodeAffinity"), "nodeAffinity")
			if len(a.YNode().Content) == 0 && lookup(o, "affinity") == nil {
				_ = m.PipeE(kyaml.Clear("affinity"))
			}
		}
	}
	if !same(o, m) {
		out = append(out, "spec")
	}
	return out
}

// elements returns the entries of a list, none for anything else.
func elements(rn *kyaml.RNode) []*kyaml.RNode {
	if rn == nil || rn.YNode().Kind != kyaml.SequenceNode {
		return nil
	}
	out := make([]*kyaml.RNode, len(rn.YNode().Content))
	for i, c := range rn.YNode().Content {
		out[i] = kyaml.NewRNode(c)
	}
	return out
}

// setAs sets field of mapping rn to a copy of v, or clears it when v is nil.
func setAs(rn, v *kyaml.RNode, field string) {
	if rn == nil || rn.YNode().Kind != kyaml.MappingNode {
		return
	}
	if v == nil {
		_ = rn.PipeE(kyaml.Clear(field))
		return
	}
	_ = rn.PipeE(kyaml.SetField(field, v.Copy()))
}

// number is a scalar's integer value; anything else counts as 0, which
// the API server's create validation refuses on its own.
func number(rn *kyaml.RNode) int64 {
	v, _ := strconv.ParseInt(rn.YNode().Value, 10, 64)
	return v
}

// tolerationsKept reports whether every old toleration is among the new
// ones, tolerationSeconds aside (validateOnlyAddedTolerations).
func tolerationsKept(old, new []*kyaml.RNode) bool {
	for _, o := range old {
		want := asJSON(without(o, []string{"tolerationSeconds"}))
		found := false
		for _, n := range new {
			if reflect.DeepEqual(want, asJSON(without(n, []string{"tolerationSeconds"}))) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// gatesOnlyRemoved reports whether every new scheduling gate was there
// before (validateOnlyDeletedSchedulingGates).
func gatesOnlyRemoved(old, new []*kyaml.RNode) bool {
	had := map[string]bool{}
	for _, g := range old {
		if name := lookup(g, "name"); name != nil {
			had[name.YNode().Value] = true
		}
	}
	for _, g := range new {
		if name := lookup(g, "name"); name == nil || !had[name.YNode().Value] {
			return false
		}
	}
	return true
}
