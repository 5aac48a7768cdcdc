package validate

import (
	"context"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	fieldpath "k8s.io/apimachinery/pkg/util/validation/field"
	utilversion "k8s.io/apimachinery/pkg/util/version"
	"k8s.io/apimachinery/pkg/version"
	kjson "sigs.k8s.io/json"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/templates"
)

// checkCR validates a custom resource against its CRD, its CEL rules
// when rules is true (the API server of the env's kubeVersion keeps them),
// its formats as the API server of compatibility version compat checks
// them; ctx ending stops the rules.
func checkCR(ctx context.Context, app string, o templates.Object, c *crd, gvk schema.GroupVersionKind, enc encoded, rules bool, compat *utilversion.Version) []error {
	if errs := crNotServed(app, o, c, gvk); errs != nil {
		return errs
	}
	base := diag.Error{File: o.File, Line: o.Line, App: app, Object: objectOf(o.Node)}
	against := fmt.Sprintf("%s %s (%s)", gvk.GroupVersion(), gvk.Kind, c.where)
	v := c.versions[gvk.Version]
	if v.structural == nil {
		return nil
	}
	if enc.err != nil {
		return []error{encodeError(o, base, enc.err)}
	}
	var obj map[string]any
	strict, err := kjson.UnmarshalStrict(enc.data, &obj, kjson.DisallowDuplicateFields)
	if err != nil {
		d := base
		d.Msg, d.Err = "cannot read the object: "+err.Error(), err
		return []error{&d}
	}
	var errs []error
	var idx *encoder // where each field is: only needed to locate a problem
	for _, se := range strict {
		if idx == nil {
			idx = indexed(o)
		}
		errs = append(errs, strictError(o, base, idx, nil, against, se))
	}
	for _, fe := range v.validate(ctx, obj, rules, compat) {
		if idx == nil {
			idx = indexed(o)
		}
		errs = append(errs, fieldError(o, base, idx, v.structural, against, fe))
	}
	return errs
}

// crNotServed refuses a custom resource of a version its CRD does not
// serve; nil when it does.
func crNotServed(app string, o templates.Object, c *crd, gvk schema.GroupVersionKind) []error {
	v, ok := c.versions[gvk.Version]
	if ok && v.served {
		return nil
	}
	d := diag.Error{File: o.File, Line: o.LineOf(keyNode(o, "apiVersion")), App: app, Object: objectOf(o.Node), Err: ErrNotServed}
	d.Msg = fmt.Sprintf("apiVersion %s is not served for kind %s: %s serves %s", gvk.GroupVersion(), gvk.Kind, c.where, servedList(c))
	d.Hint = servedHint(c) + " and check the object against that version's fields"
	if len(c.served) == 0 {
		d.Hint = "move the object to a served version"
	}
	return []error{&d}
}

// fieldError turns one of the API server's field errors into a
// diag.Error at the field's line (or its closest existing parent's: a
// required field that is missing has no line of its own).
func fieldError(o templates.Object, base diag.Error, idx *encoder, st *structuralschema.Structural, against string, fe *fieldpath.Error) error {
	d := base
	d.Err = fe
	field, detail, composite := compositePath(fe)
	if field == "<nil>" {
		// A rule on the schema's root (fieldpath's nil path): the object
		// as a whole, as an error of metadata's decoding is.
		field = ""
	}
	segs := splitPath(field)
	d.Line = o.LineOf(nil)
	var key *kyaml.Node // the field's own key, nil when it is not in the object
	for n := len(segs); n > 0; n-- {
		if f := idx.index[objects.JoinPath(segs[:n])]; f != nil {
			d.Line = o.LineOf(f.key)
			if n == len(segs) {
				key = f.key
			}
			break
		}
	}
	// An error about a whole map (labels, annotations) gives the bad key or
	// value: point at that entry.
	if bad, ok := fe.BadValue.(string); ok {
		prefix := objects.JoinPath(segs) + "."
		for _, f := range idx.values {
			if strings.HasPrefix(f.path, prefix) && len(f.segments) == len(segs)+1 &&
				(f.key.Value == bad || (f.value.Kind == kyaml.ScalarNode && f.value.Value == bad)) {
				d.Line = o.LineOf(f.key)
				break
			}
		}
	}
	path := objects.JoinPath(segs)
	// The field is shown as the API server writes it: a map's key in
	// brackets (data[.], resources.limits[cpu]), where joined by dots it
	// could not be told from the field's other parts (data.. for a
	// ConfigMap's key ".").
	d.Field = field
	if fe.Type == fieldpath.ErrorTypeNotFound && fe.Detail == "unknown field" {
		d.Field = path
		d.Msg = fmt.Sprintf("unknown field %q", path)
		d.Hint = fmt.Sprintf("check the spelling against %s, or remove the field", against)
		if c := closestProperty(st, segs); c != "" {
			d.Hint = fmt.Sprintf("did you mean %q? check the spelling against %s, or remove the field", c, against)
		}
		d.Hint += overlayNote(o, key)
		return &d
	}
	d.Msg = fmt.Sprintf("field %q: %s", field, fe.ErrorBody())
	switch {
	case composite:
		d.Msg = fmt.Sprintf("field %q: %s", field, detail)
	case path == "":
		d.Msg = fe.ErrorBody()
	}
	d.Hint = fmt.Sprintf("check the field against %s", against)
	if nullRefused(fe) {
		// YAML's "interval:" with nothing after it: an unset chart value
		// (interval: {{ .Values.interval }}) writes one.
		d.Hint = fmt.Sprintf("the key has no value, so it is null, which %s does not take here; Flux applies with server-side apply, which refuses it (a create would drop it): give the field a value, or leave the key out when it has none", against)
	}
	d.Hint += overlayNote(o, key)
	if bad, ok := fe.BadValue.(string); ok {
		if ph := placeholderRE.FindString(bad); ph != "" {
			// A Flux Kustomization's postBuild substitutes it in the
			// cluster (fluxcd/flux2-hub-spoke-example's Namespace
			// ${CLUSTER_NAME}); kiln's Kustomizations have none.
			d.Hint = fmt.Sprintf("%s} is a placeholder of Flux's postBuild substitution, which kiln applies in yaml apps only (its Kustomizations have no postBuild, docs/templates.md): "+
				"give the value in the app itself (a kustomize patch or replacement, Helm values) or in an env file's patches, or make the app a yaml app", ph)
		}
	}
	return &d
}

// placeholderRE is the start of a Flux postBuild placeholder, ${NAME.
var placeholderRE = regexp.MustCompile(`\$\{[A-Za-z_][A-Za-z0-9_]*`)

// compositePath returns the field a oneOf, anyOf, allOf or not failure,
// or a number out of its format's range, is about, and the rest of its
// detail. kube-openapi reports those without a field path (the API server
// prints "<nil>: Invalid value: \"\": ...") and names the field in the
// detail instead: at its start, "\"spec.addresses[0]\" must validate one
// and only one schema (oneOf)", or at its end, "Checked value must be of
// type integer with format int32 in spec.ports[0].port". Any other error
// is returned as it is, composite false.
func compositePath(fe *fieldpath.Error) (field, detail string, composite bool) {
	if fe.Field != "<nil>" && fe.Field != "" {
		return fe.Field, fe.Detail, false
	}
	if rest, ok := strings.CutPrefix(fe.Detail, rangePrefix); ok {
		i := strings.LastIndex(rest, " in ")
		if p := rest[i+len(" in "):]; i >= 0 && p != "" && !strings.ContainsAny(p, " \"") {
			return p, "value " + rest[:i], true
		}
	}
	rest, ok := strings.CutPrefix(fe.Detail, "\"")
	if !ok {
		return fe.Field, fe.Detail, false
	}
	p, rest, ok := strings.Cut(rest, "\" ")
	if !ok || p == "" || strings.ContainsAny(p, " \"") {
		return fe.Field, fe.Detail, false
	}
	return p, rest, true
}

// rangePrefix begins kube-openapi's detail about a number out of its
// format's range (IsValueValidAgainstRange).
const rangePrefix = "Checked value "

// overlayNote is what an error's hint adds when the field of key is in a
// kustomize build's object but not in the resource file the object came
// from: the line named is the object's, and the value was set by the
// kustomization the build started from or one it includes. "" otherwise.
// An env patch's fields have no line either: when one applies to the
// object, the note names both (notePatches says where the patches are).
func overlayNote(o templates.Object, key *kyaml.Node) string {
	if key == nil || key.Line > 0 || o.Overlay == "" {
		return ""
	}
	if len(o.Patches) > 0 {
		return fmt.Sprintf(overlayPrefix+"%s as written: an env patch, or %s or a kustomization it includes (a patch, a replacement or a transformer), sets it", o.File, o.Overlay)
	}
	return fmt.Sprintf(overlayPrefix+"%s as written: %s, or a kustomization it includes, sets it (a patch, a replacement or a transformer)", o.File, o.Overlay)
}

// overlayPrefix starts overlayNote's note.
const overlayPrefix = "; the field is not in "

// DottedPath is field path p with each map key joined by a dot, as
// written brackets and all by the API server ("stringData[.x]" is
// "stringData..x"): the form of paths built by joining a document's keys
// (sopsyaml.Skeleton's), to compare them with an error's field.
func DottedPath(p string) string {
	return objects.JoinPath(splitPath(p))
}

// splitPath splits a field path as the API server prints it
// ("spec.ports[0].name", "metadata.labels[app]") into the encoder's
// segments: keys, and "[i]" for list indexes.
func splitPath(p string) []string {
	var segs []string
	for p != "" {
		switch {
		case p[0] == '.':
			p = p[1:]
		case p[0] == '[':
			end := strings.IndexByte(p, ']')
			if end < 0 {
				return append(segs, p)
			}
			in := p[1:end]
			if _, err := strconv.Atoi(in); err == nil {
				segs = append(segs, "["+in+"]")
			} else {
				segs = append(segs, in)
			}
			p = p[end+1:]
		default:
			end := strings.IndexAny(p, ".[")
			if end < 0 {
				end = len(p)
			}
			segs = append(segs, p[:end])
			p = p[end:]
		}
	}
	return segs
}

// closestProperty suggests the property of the schema around an unknown
// field whose name is closest to it.
func closestProperty(st *structuralschema.Structural, segs []string) string {
	if len(segs) == 0 {
		return ""
	}
	if st = schemaAt(st, segs[:len(segs)-1]); st == nil {
		return ""
	}
	var names []string
	for n := range st.Properties {
		names = append(names, n)
	}
	// A CRD's schema leaves metadata to ObjectMeta (metadata.label is
	// labels misspelled).
	if len(names) == 0 && len(segs) > 1 && segs[len(segs)-2] == "metadata" {
		for n := range jsonFields(reflect.TypeFor[metav1.ObjectMeta]()) {
			names = append(names, n)
		}
	}
	return diag.Closest(segs[len(segs)-1], names)
}

// schemaAt returns the node of st at the path segs (keys, and "[i]" for
// list items), nil when st has none there.
func schemaAt(st *structuralschema.Structural, segs []string) *structuralschema.Structural {
	for _, s := range segs {
		if st == nil {
			return nil
		}
		switch {
		case strings.HasPrefix(s, "["):
			st = st.Items
		case st.AdditionalProperties != nil && st.AdditionalProperties.Structural != nil:
			st = st.AdditionalProperties.Structural
		default:
			p, ok := st.Properties[s]
			if !ok {
				return nil
			}
			st = &p
		}
	}
	return st
}

// keyNode returns the node of a top-level key of the object, nil if absent.
func keyNode(o templates.Object, key string) *kyaml.Node {
	m := o.Node.YNode()
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i]
		}
	}
	return nil
}

// servedList names the versions c serves, "no version" when none.
func servedList(c *crd) string {
	if len(c.served) == 0 {
		return "no version"
	}
	return strings.Join(c.served, ", ")
}

// servedHint says which apiVersion to use: the served version the API
// server prefers (v1 over v1beta1 over v1alpha1, as kube-aware ordering
// ranks them; sorted as text, v1beta1 came after v1).
func servedHint(c *crd) string {
	if len(c.served) == 0 {
		return "the CRD serves no version: serve one in the CRD"
	}
	best := c.served[0]
	for _, v := range c.served[1:] {
		if version.CompareKubeAwareVersionStrings(v, best) > 0 {
			best = v
		}
	}
	return fmt.Sprintf("use apiVersion %s/%s", c.group, best)
}

// nullRefused reports whether fe is the schema's refusal of a null
// (`in body must be of type string: "null"`).
func nullRefused(fe *fieldpath.Error) bool {
	return (fe.Type == fieldpath.ErrorTypeTypeInvalid || fe.Type == fieldpath.ErrorTypeInvalid) && strings.Contains(fe.Detail, "must be of type") && strings.HasSuffix(fe.Detail, `: "null"`)
}
