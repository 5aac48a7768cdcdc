package validate

import (
	"fmt"
	"sort"

	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	fieldpath "k8s.io/apimachinery/pkg/util/validation/field"
)

// statusApplyErrors reports what of a custom resource's status makes
// Flux's server-side apply fail although the API server then drops the
// status (the status subresource is on): the apply first types the whole
// object against the CRD's schema (structured-merge-diff), and a field
// the schema does not declare (".status.foo: field not declared in
// schema") or a value of another kind than its field's (".status.
// observedGeneration: expected numeric (int or float), got string") fails
// it. Only that typing: enums, patterns, bounds and rules of the status
// are never checked, as the status never reaches validation. A real
// kube-apiserver 1.37 refuses both; kiln dropped the status unread.
func statusApplyErrors(root *structuralschema.Structural, status any) fieldpath.ErrorList {
	var errs fieldpath.ErrorList
	var s *structuralschema.Structural
	if root != nil {
		if p, ok := root.Properties["status"]; ok {
			s = &p
		} else if root.XPreserveUnknownFields {
			return nil
		}
	}
	path := fieldpath.NewPath("status")
	if s == nil {
		// Undeclared, even a null status is a field the schema has not.
		return append(errs, &fieldpath.Error{Type: fieldpath.ErrorTypeNotFound, Field: path.String(), Detail: "unknown field"})
	}
	applyTyped(s, status, path, &errs)
	return errs
}

// applyTyped checks v against s as structured-merge-diff types it: the
// kind of each value (a null is any kind's) and the fields each object
// declares.
func applyTyped(s *structuralschema.Structural, v any, p *fieldpath.Path, errs *fieldpath.ErrorList) {
	if v == nil || s.XEmbeddedResource || s.XIntOrString && isScalarKind(v, "string", "number") {
		return
	}
	if s.XPreserveUnknownFields && s.Type == "" {
		return
	}
	switch s.Type {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			*errs = append(*errs, fieldpath.Invalid(p, jsonType(v), "expected map, got "+jsonType(v)))
			return
		}
		if isFieldless(s) {
			return // a map of anything to the apply (fieldless.go)
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if prop, ok := s.Properties[k]; ok {
				applyTyped(&prop, m[k], p.Child(k), errs)
				continue
			}
			if ap := s.AdditionalProperties; ap != nil && ap.Structural != nil {
				applyTyped(ap.Structural, m[k], p.Key(k), errs)
				continue
			}
			if s.XPreserveUnknownFields || (s.AdditionalProperties != nil && s.AdditionalProperties.Bool) {
				continue
			}
			*errs = append(*errs, &fieldpath.Error{Type: fieldpath.ErrorTypeNotFound, Field: p.Child(k).String(), Detail: "unknown field"})
		}
	case "array":
		l, ok := v.([]any)
		if !ok {
			*errs = append(*errs, fieldpath.Invalid(p, jsonType(v), "expected list, got "+jsonType(v)))
			return
		}
		if s.Items != nil {
			for i, item := range l {
				applyTyped(s.Items, item, p.Index(i), errs)
			}
		}
	case "string", "boolean":
		if !isScalarKind(v, s.Type) {
			*errs = append(*errs, fieldpath.Invalid(p, jsonType(v), "expected "+s.Type+", got "+jsonType(v)))
		}
	case "integer", "number":
		if !isScalarKind(v, "number") {
			*errs = append(*errs, fieldpath.Invalid(p, jsonType(v), "expected numeric (int or float), got "+jsonType(v)))
		}
	}
}

// isScalarKind reports whether v, decoded JSON, is of one of kinds
// ("string", "boolean", "number").
func isScalarKind(v any, kinds ...string) bool {
	for _, k := range kinds {
		switch v.(type) {
		case string:
			if k == "string" {
				return true
			}
		case bool:
			if k == "boolean" {
				return true
			}
		case float64, int64, int:
			if k == "number" {
				return true
			}
		}
	}
	return false
}

// jsonType names the kind of v, decoded JSON, as structured-merge-diff
// does in its errors.
func jsonType(v any) string {
	switch v.(type) {
	case map[string]any:
		return "map"
	case []any:
		return "list"
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64, int64, int:
		return "number"
	}
	return fmt.Sprintf("%T", v)
}
