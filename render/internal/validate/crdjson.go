package validate

import (
	apiextensionsinternal "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	kjson "sigs.k8s.io/json"
)

// crdDoc is what compileCRD reads of a CRD's JSON: the v1 object, each
// version's schema in the API server's internal form.
type crdDoc struct {
	// v1 is the CRD as strict decoding gives it, but for each version's
	// schema: a version with a schema keeps an empty
	// CustomResourceValidation, its OpenAPIV3Schema is in schemas.
	v1 apiextensionsv1.CustomResourceDefinition
	// schemas holds, by index in v1.Spec.Versions, the converted
	// openAPIV3Schema; nil for a version without one.
	schemas []*apiextensionsinternal.JSONSchemaProps
	// convErrs holds, by version, why converting its schema failed.
	convErrs []error
	// clean: the strict decoding found no unknown or duplicate field and
	// no wrong type.
	clean bool
}

// decodeCRD reads a CRD's JSON encoding: readCRD when it can, otherwise
// decodeCRDStrict, whose result it is either way (TestReadCRDAsStrict,
// FuzzReadCRD).
func decodeCRD(data []byte) (*crdDoc, error) {
	if d, ok := readCRD(data); ok {
		return d, nil
	}
	return decodeCRDStrict(data)
}

// decodeCRDStrict decodes a CRD with sigs.k8s.io/json's strict decoding
// into the v1 type and converts each version's schema to the internal
// form, as the API server does. An error is the decoding's; a strict
// error (an unknown or duplicate field) only makes the result not clean.
func decodeCRDStrict(data []byte) (*crdDoc, error) {
	d := &crdDoc{}
	strict, err := kjson.UnmarshalStrict(data, &d.v1)
	if err != nil {
		return nil, err
	}
	d.clean = len(strict) == 0
	d.schemas = make([]*apiextensionsinternal.JSONSchemaProps, len(d.v1.Spec.Versions))
	d.convErrs = make([]error, len(d.v1.Spec.Versions))
	for i := range d.v1.Spec.Versions {
		v := &d.v1.Spec.Versions[i]
		if v.Schema == nil {
			continue
		}
		if v.Schema.OpenAPIV3Schema != nil {
			internal := &apiextensionsinternal.CustomResourceValidation{}
			if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(v.Schema, internal, nil); err != nil {
				d.convErrs[i] = err
			} else {
				d.schemas[i] = internal.OpenAPIV3Schema
			}
		}
		v.Schema = &apiextensionsv1.CustomResourceValidation{}
	}
	return d, nil
}

// readCRD reads a CRD's JSON encoding in one pass, the schemas straight
// into the internal form: what decodeCRDStrict gives, without its cost
// (sigs.k8s.io/json decodes a schema's items and additionalProperties
// through their own UnmarshalJSON, scanning each nested subtree again:
// for a CRD as deep as kube-prometheus-stack's, most of its compiling).
// ok is false for anything that decoding might read otherwise, or report:
// a key it does not know or knows in another case, a key twice, a null,
// a value of another type or number form, invalid JSON. The parts of a
// CRD that are small and shallow (metadata, names, subresources, printer
// columns, conversion, status) it hands to the strict decoding itself.
// A CRD it reads is clean.
func readCRD(data []byte) (d *crdDoc, ok bool) {
	r := &schemaReader{data: data, full: true}
	d = &crdDoc{clean: true}
	err := r.fields(func(key string) error {
		var err error
		switch key {
		case "apiVersion":
			d.v1.APIVersion, err = r.str()
		case "kind":
			d.v1.Kind, err = r.str()
		case "metadata":
			err = r.strict(&d.v1.ObjectMeta)
		case "spec":
			err = r.crdSpec(d)
		case "status":
			err = r.strict(&d.v1.Status)
		default:
			err = errNotPlain
		}
		return err
	})
	if err != nil {
		return nil, false
	}
	r.space()
	if r.i != len(r.data) {
		return nil, false
	}
	if d.schemas == nil {
		d.schemas = []*apiextensionsinternal.JSONSchemaProps{}
	}
	d.convErrs = make([]error, len(d.schemas))
	return d, true
}

// fields reads an object of a few keys, calling field for each, and
// refuses a key twice.
func (r *schemaReader) fields(field func(key string) error) error {
	var seen []string
	return r.object(func(key string) error {
		for _, k := range seen {
			if k == key {
				return errNotPlain
			}
		}
		seen = append(seen, key)
		return field(key)
	})
}

func (r *schemaReader) crdSpec(d *crdDoc) error {
	spec := &d.v1.Spec
	return r.fields(func(key string) error {
		var err error
		switch key {
		case "group":
			spec.Group, err = r.str()
		case "names":
			err = r.strict(&spec.Names)
		case "scope":
			var s string
			s, err = r.str()
			spec.Scope = apiextensionsv1.ResourceScope(s)
		case "versions":
			spec.Versions = []apiextensionsv1.CustomResourceDefinitionVersion{}
			d.schemas = nil
			err = r.array(func() error {
				spec.Versions = append(spec.Versions, apiextensionsv1.CustomResourceDefinitionVersion{})
				d.schemas = append(d.schemas, nil)
				return r.crdVersion(&spec.Versions[len(spec.Versions)-1], &d.schemas[len(d.schemas)-1])
			})
		case "conversion":
			spec.Conversion = &apiextensionsv1.CustomResourceConversion{}
			err = r.strict(spec.Conversion)
		case "preserveUnknownFields":
			spec.PreserveUnknownFields, err = r.boolean()
		default:
			err = errNotPlain
		}
		return err
	})
}

func (r *schemaReader) crdVersion(v *apiextensionsv1.CustomResourceDefinitionVersion, schema **apiextensionsinternal.JSONSchemaProps) error {
	return r.fields(func(key string) error {
		var err error
		switch key {
		case "name":
			v.Name, err = r.str()
		case "served":
			v.Served, err = r.boolean()
		case "storage":
			v.Storage, err = r.boolean()
		case "deprecated":
			v.Deprecated, err = r.boolean()
		case "deprecationWarning":
			var s string
			s, err = r.str()
			v.DeprecationWarning = &s
		case "schema":
			v.Schema = &apiextensionsv1.CustomResourceValidation{}
			err = r.fields(func(key string) error {
				if key != "openAPIV3Schema" || r.peek() != '{' {
					return errNotPlain
				}
				*schema = &apiextensionsinternal.JSONSchemaProps{}
				return r.schema(*schema, nil)
			})
		case "subresources":
			v.Subresources = &apiextensionsv1.CustomResourceSubresources{}
			err = r.strict(v.Subresources)
		case "additionalPrinterColumns":
			err = r.strict(&v.AdditionalPrinterColumns)
		case "selectableFields":
			err = r.strict(&v.SelectableFields)
		default:
			err = errNotPlain
		}
		return err
	})
}
