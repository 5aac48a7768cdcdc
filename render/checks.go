package render

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/kustomize/api/konfig"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/deps"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/internal/redact"
	"github.com/kiln-gitops/kiln/internal/sopsyaml"
	"github.com/kiln-gitops/kiln/render/internal/cache"
	"github.com/kiln-gitops/kiln/render/internal/flux"
	"github.com/kiln-gitops/kiln/render/internal/graph"
	"github.com/kiln-gitops/kiln/render/internal/scope"
	"github.com/kiln-gitops/kiln/render/internal/secretgate"
	"github.com/kiln-gitops/kiln/render/internal/tree"
	"github.com/kiln-gitops/kiln/render/internal/validate"
	"github.com/kiln-gitops/kiln/render/internal/validate/apirules"
	"github.com/kiln-gitops/kiln/templates"
)

func validateObjects(ctx context.Context, env *validate.Env, app string, objs []templates.Object) error {
	// A SOPS document cannot be decoded strictly as it is: its sops key
	// is no field of the kind, and its encrypted values (ENC[…]) are not
	// of the field's type. Its skeleton is checked instead (sopsChecks),
	// unless Flux applies it as it is.
	plain := make([]templates.Object, 0, len(objs))
	var errs []error
	for _, o := range objs {
		if err := fluxLeavesOut(app, o); err != nil {
			errs = append(errs, err)
		}
		if o.Raw == nil {
			// Ciphertext kustomize-controller leaves in place is a mistake
			// unless the object says it decrypts none of it: then another
			// controller is meant to, in the cluster.
			if !objects.DecryptDisabled(o.Node.YNode()) {
				var found []error
				if err := sopsDotenvKeys(app, o); err != nil {
					found = append(found, err)
				} else if err := sopsValueOutsideSOPS(app, o); err != nil {
					// Not both: a .env file's keys are ENC[…] values too.
					found = append(found, err)
				}
				if err := sopsFileUndecrypted(app, o); err != nil {
					found = append(found, err)
				}
				// These name a data key in their field.
				errs = append(errs, validate.HideSecretKeys(o, found)...)
			}
			plain = append(plain, o)
			continue
		}
		// A Secret's key that is no valid key may be a password: the
		// checks name keys in their messages and fields.
		errs = append(errs, validate.HideSecretKeys(o, sopsChecks(ctx, env, app, o))...)
	}
	if err := env.ObjectsContext(ctx, app, plain); err != nil {
		errs = append(errs, forApp(app, err))
	}
	return diag.Join(errs...)
}

// localConfigAnnotation marks configuration for local tools (kpt,
// kustomize functions): kustomize leaves such an object out of its build
// unless the annotation says "false" (resource.Factory.DropLocalNodes).
const localConfigAnnotation = "config.kubernetes.io/local-config"

// kustomizeBuildState are the annotations in which kustomize keeps its
// state during a build (api/internal/utils: needsHashSuffix,
// previousNames, …) and strips from its output. Read from an input file,
// they act all the same: an object marked needsHashSuffix gets a hash
// suffix, and references to one of its previousNames are rewritten to
// its name. kustomize-controller builds each app's folder, so such an
// object would not reach the cluster as kiln checked it.
var kustomizeBuildState = []string{
	needsHashSuffix,
	"internal.config.kubernetes.io/previousNames",
	"internal.config.kubernetes.io/previousKinds",
	"internal.config.kubernetes.io/previousNamespaces",
	"internal.config.kubernetes.io/prefixes",
	"internal.config.kubernetes.io/suffixes",
}

// needsHashSuffix makes kustomize add a content hash to the object's name
// when its value is "enabled" (resource.NeedHashSuffix).
const needsHashSuffix = "internal.config.kubernetes.io/needsHashSuffix"

// fluxLeavesOut refuses an object that Flux would never apply, or would
// apply under another name or with other references, while kiln's tree,
// lock, counts and health checks would say it is deployed as checked.
// kustomize-controller builds each app's folder with kustomize, which
// drops an object annotated local-config (a kustomize app never yields
// one: krusty drops it already, as kustomize build does); and from that
// build it drops every Kustomization of the kustomize.config.k8s.io group
// (ssa.ReadObjects, IsKustomization), which kustomize passes through.
func fluxLeavesOut(app string, o templates.Object) error {
	if o.Node == nil {
		return nil
	}
	if key, value := objects.Annotation(o.Node.YNode(), localConfigAnnotation); value != nil && value.Value != "false" {
		return &diag.Error{File: o.File, Line: o.LineOf(key), App: app, Object: objRef(o),
			Msg:  "annotation " + localConfigAnnotation + " makes kustomize, and so Flux, leave this object out: it would never reach the cluster",
			Hint: `remove the annotation (or set it to "false") to deploy the object; configuration for a local tool (kpt, kustomize functions) belongs outside the app's output`}
	}
	for _, a := range kustomizeBuildState {
		key, value := objects.Annotation(o.Node.YNode(), a)
		if value == nil || a == needsHashSuffix && value.Value != "enabled" {
			continue
		}
		return &diag.Error{File: o.File, Line: o.LineOf(key), App: app, Object: objRef(o),
			Msg:  "annotation " + a + " is kustomize's own record of a build: Flux's kustomize build acts on it (renaming the object, or pointing other objects' references at it) and then removes it, so the cluster would not get what kiln checked",
			Hint: "remove the annotation: kustomize writes it only while it builds, and no app's output should carry it"}
	}
	if !objects.IsKustomization(o.Node.GetApiVersion(), o.Node.GetKind()) {
		return nil
	}
	return &diag.Error{File: o.File, Line: o.Line, App: app, Object: objRef(o),
		Msg: objects.KustomizationMsg(o.Node.GetApiVersion()), Hint: objects.KustomizationHint}
}

// sopsDotenvKeys refuses a Secret or ConfigMap made of a .env file the
// sops program encrypted (a kustomize secretGenerator or configMapGenerator
// with envs: [secrets.enc.env]): kustomize makes each line a key, so the
// object holds sops_mac, the other sops_* metadata and every value as
// ENC[…]. kustomize-controller decrypts a generator's .env file before its
// own build, but the hydrated folder has no generator left, and it
// decrypts no key of a built object one by one: the cluster would get the
// ciphertext as the values and the app would read it as its settings.
func sopsDotenvKeys(app string, o templates.Object) error {
	if !isV1(o, "Secret", "ConfigMap") {
		return nil
	}
	kind := o.Node.GetKind()
	for _, field := range []string{"data", "stringData"} {
		c := dataEntries(o, field)
		i := 0
		for i < len(c)-1 && c[i].Value != "sops_mac" {
			i += 2
		}
		if i >= len(c)-1 {
			continue
		}
		v := c[i+1].Value
		if field == "data" && kind == "Secret" {
			b, err := base64.StdEncoding.DecodeString(v)
			if err != nil {
				continue
			}
			v = string(b)
		}
		if !strings.HasPrefix(strings.TrimSpace(v), "ENC[") {
			continue
		}
		return &diag.Error{File: o.File, Line: o.LineOf(c[i]), App: app, Object: objRef(o), Field: field + ".sops_mac",
			Msg: "holds the keys of a .env file the sops program encrypted (sops_mac and its values, still ENC[…]): " +
				"kustomize-controller decrypts a generator's .env file only while it builds the generator, and the hydrated folder holds the built object, " +
				"so the cluster would get the ciphertext as its values",
			Hint: "encrypt the object instead: a Secret encrypted with sops --encrypt --encrypted-regex '^(data|stringData)$' listed as a resource, " +
				"or the values as secretVars in an env with sops: (kiln encrypts the Secret)"}
	}
	return nil
}

// isV1 reports whether o is a v1 object of one of kinds.
func isV1(o templates.Object, kinds ...string) bool {
	return o.Node != nil && o.Node.GetApiVersion() == "v1" && slices.Contains(kinds, o.Node.GetKind())
}

// dataEntries returns the keys and values of o's map field (data,
// stringData, binaryData), key then value; nil when it has none.
func dataEntries(o templates.Object, field string) []*kyaml.Node {
	m := o.Node.Field(field)
	if m == nil || m.Value.YNode().Kind != kyaml.MappingNode {
		return nil
	}
	return m.Value.YNode().Content
}

// sopsFileUndecrypted refuses a file the sops program encrypted where
// kustomize-controller does not decrypt it: it decrypts such a file only
// as the base64 of a Secret's data value (a secretGenerator's files: make
// that), never under a Secret's stringData nor in a ConfigMap, where the
// cluster would get the ciphertext as the content.
func sopsFileUndecrypted(app string, o templates.Object) error {
	fields, hint := []string{"stringData"}, "put it in a Secret's data, base64-encoded (a kustomize secretGenerator's files: does that), or encrypt the whole Secret with sops"
	switch {
	case isV1(o, "ConfigMap"):
		fields, hint = []string{"data", "binaryData"}, "make it a Secret: a kustomize secretGenerator's files: puts the encrypted file in its data, which kustomize-controller decrypts"
	case !isV1(o, "Secret"):
		return nil
	}
	for _, field := range fields {
		c := dataEntries(o, field)
		for i := 0; i+1 < len(c); i += 2 {
			v := []byte(c[i+1].Value)
			if field == "binaryData" {
				b, err := base64.StdEncoding.DecodeString(c[i+1].Value)
				if err != nil {
					continue
				}
				v = b
			}
			if !objects.IsSOPSFile(v) {
				continue
			}
			return &diag.Error{File: o.File, Line: o.LineOf(c[i]), App: app, Object: objRef(o), Field: field + "." + c[i].Value,
				Msg: "holds a file the sops program encrypted, which kustomize-controller decrypts only as the base64 of a Secret's data value: " +
					"the cluster would get the ciphertext as its content",
				Hint: hint}
		}
	}
	return nil
}

// holdsSOPSValue reports whether v holds a value the sops program
// encrypted, outside a whole file it encrypted: kustomize-controller
// decrypts such a file as the base64 of a Secret's data value, and
// sopsFileUndecrypted refuses it everywhere else.
func holdsSOPSValue(v []byte) bool {
	return sopsyaml.HoldsValue(v) && !objects.IsSOPSFile(v)
}

// base64Field reports whether path (as sopsValueOutsideSOPS builds it)
// is a field whose values the API server stores base64-decoded: a
// Secret's data, a ConfigMap's binaryData.
func base64Field(kind string, segs []string) bool {
	return len(segs) == 2 && (kind == "Secret" && segs[0] == "data" || kind == "ConfigMap" && segs[0] == "binaryData")
}

// sopsValueOutsideSOPS refuses an object with no sops metadata that holds
// a value the sops program encrypted, in any field: a SOPS document whose
// sops key a merge dropped, or a value a kustomize replacement, a chart or
// a jsonnet program copied out of one. kustomize-controller decrypts a
// document only through its sops metadata (a SOPS List's items and a sops
// .env generator's keys are the other ways to lose it, refused elsewhere),
// so the cluster would get the ciphertext as the value. The value counts
// inside a longer one (a connection string a chart built around it) and
// base64-encoded in a Secret's data or a ConfigMap's binaryData (what a
// chart's b64enc makes of it), which the cluster decodes.
func sopsValueOutsideSOPS(app string, o templates.Object) error {
	if o.Node == nil {
		return nil
	}
	kind := o.Node.GetKind()
	var segs []string
	var found *kyaml.Node
	var path string
	var walk func(n *kyaml.Node) bool
	walk = func(n *kyaml.Node) bool {
		switch n.Kind {
		case kyaml.ScalarNode:
			hit := holdsSOPSValue([]byte(n.Value))
			if !hit && base64Field(kind, segs) {
				dec, err := base64.StdEncoding.DecodeString(strings.TrimSpace(n.Value))
				hit = err == nil && holdsSOPSValue(dec)
			}
			if hit {
				found, path = n, strings.Join(segs, "")
				return true
			}
		case kyaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				seg := n.Content[i].Value
				if len(segs) > 0 {
					seg = "." + seg
				}
				segs = append(segs, seg)
				if walk(n.Content[i+1]) {
					return true
				}
				segs = segs[:len(segs)-1]
			}
		case kyaml.SequenceNode:
			for i, c := range n.Content {
				segs = append(segs, "["+strconv.Itoa(i)+"]")
				if walk(c) {
					return true
				}
				segs = segs[:len(segs)-1]
			}
		case kyaml.DocumentNode:
			for _, c := range n.Content {
				if walk(c) {
					return true
				}
			}
		}
		return false
	}
	if !walk(o.Node.YNode()) {
		return nil
	}
	return &diag.Error{File: o.File, Line: o.LineOf(found), App: app, Object: objRef(o), Field: path,
		Msg: "the value of " + path + " holds a value the sops program encrypted (ENC[…], as it is or base64-encoded), but this object has no sops metadata: " +
			"kustomize-controller decrypts only documents with their sops metadata, so the cluster would get the ciphertext",
		Hint: "keep the encrypted object whole (its sops: key included, as sops --encrypt wrote it) and use it as it is; " +
			"do not copy its values into other objects (a kustomize replacement, a chart or a jsonnet program): put the secret in an encrypted Secret of its own, or in secretVars with sops: in the env"}
}

// sopsChecks refuses what kustomize-controller refuses once it decrypts a
// SOPS document, as far as that is decidable without the key. A sops
// document keeps every key readable and records each encrypted value's
// type, so:
//
//   - a key written twice anywhere in the document is an error:
//     DecryptResource first turns the resource into JSON through kyaml's
//     MarshalJSON, whose yaml.v3 decoding refuses duplicate keys, and the
//     object never reaches the cluster;
//   - a sops key that sops refuses before decrypting anything (a
//     lastmodified that is no time, two encryption rules) is an error;
//   - a value the document's rules say is encrypted but that sops did not
//     encrypt (written in the clear by hand, or cut short) is an error:
//     sops's decryption stops at it;
//   - the decrypted object, with each encrypted value replaced by the zero
//     value of its recorded type (sopsyaml.Skeleton), is checked like any
//     other object, and its errors are kept where they do not depend on
//     what the encrypted values hold: a wrong type (a stringData value
//     sops recorded as an int decrypts to a number), an unknown or
//     duplicate field, a kind its apiVersion does not serve, and any error
//     about a field that neither is, holds nor lies within an encrypted
//     value. What the placeholder zero values would make of a pattern, an
//     enum or a rule over several fields says nothing about the real ones,
//     so those errors go.
//
// No message quotes an encrypted value: the skeleton holds none, and the
// checks name fields, not values.
//
// A document whose decryption is disabled (objects.DecryptDisabled) is
// one kustomize-controller applies encrypted, for another controller to
// decrypt in the cluster: sops's own refusals still hold for that one, and
// the document is checked as it is written (sopsAsWritten) instead of as
// it would decrypt.
func sopsChecks(ctx context.Context, env *validate.Env, app string, o templates.Object) []error {
	disabled := objects.DecryptDisabled(o.Node.YNode())
	decrypter, unread := "kustomize-controller", "kustomize-controller cannot read it to decrypt it"
	if disabled {
		decrypter, unread = "the controller that decrypts it in the cluster", "kustomize build, which Flux runs on the app's folder, refuses it"
	}
	if dups := objects.DuplicateKeys(o.Node.YNode()); len(dups) > 0 {
		errs := make([]error, 0, len(dups))
		for _, d := range dups {
			errs = append(errs, &diag.Error{File: o.File, Line: o.LineOf(d.Key), App: app, Object: objRef(o), Field: d.Path,
				Msg:  fmt.Sprintf("key %q is written twice in this SOPS document; %s", d.Path, unread),
				Hint: "remove one of the two in the plaintext and encrypt it again (sops --decrypt, then sops --encrypt)"})
		}
		return errs
	}
	bad, err := sopsyaml.Undecryptable(o.Node.YNode())
	if err != nil {
		return []error{&diag.Error{File: o.File, Line: o.Line, App: app, Object: objRef(o), Msg: "sops, and so " + decrypter + ", refuses the document's sops metadata before decrypting: " + redact.YAML(strings.TrimPrefix(err.Error(), "sops: ")), Err: err,
			Hint: "the sops key must be what the sops program writes; encrypt the plaintext again"}}
	}
	if len(bad) > 0 {
		errs := make([]error, 0, len(bad))
		for _, v := range bad {
			errs = append(errs, &diag.Error{File: o.File, Line: o.LineOf(v.Node), App: app, Object: objRef(o), Field: v.Path,
				Msg: fmt.Sprintf("the value of %q is not encrypted although the document's sops rules say it is (added in the clear, or cut short); "+
					"sops, and so %s, cannot decrypt the document", v.Path, decrypter),
				Hint: "add or change values with sops edit or sops set, never by hand; a value written in the clear is in git: rotate it"})
		}
		return errs
	}
	if err := readableLastApplied(app, o); err != nil {
		return []error{err}
	}
	if !disabled {
		if err := sopsSecretTooLarge(app, o); err != nil {
			return []error{err}
		}
	}
	skel, encrypted := sopsyaml.Skeleton(o.Node.YNode())
	if errs := encryptedIdentity(app, o, encrypted, disabled); len(errs) > 0 {
		return errs
	}
	if disabled {
		return sopsAsWritten(ctx, env, app, o)
	}
	err = env.ObjectsContext(ctx, app, []templates.Object{{Node: kyaml.NewRNode(skel), File: o.File, Line: o.Line}})
	var errs []error
	for _, e := range diag.Flatten(err) {
		var de *diag.Error
		if errors.As(e, &de) && !decidable(de, encrypted) {
			continue
		}
		errs = append(errs, forApp(app, e))
	}
	return errs
}

// sopsSecretTooLarge refuses an encrypted v1 Secret whose decrypted data
// and stringData exceed 1 MiB. The skeleton's placeholders would pass any
// size, but the size is known without the key: sops's AES-GCM ciphertext
// is exactly as long as the plaintext. A data value's plaintext is base64,
// counted as the bytes it decodes to (at least); the API server refuses the
// decrypted Secret, and the Kustomization fails, after the pull request.
func sopsSecretTooLarge(app string, o templates.Object) error {
	if !isV1(o, "Secret") {
		return nil
	}
	size := 0
	for _, field := range []string{"data", "stringData"} {
		c := dataEntries(o, field)
		for i := 1; i < len(c); i += 2 {
			l, ok := sopsyaml.PlainLen(c[i].Value)
			if !ok {
				l = len(c[i].Value)
			}
			if field == "data" {
				l = max(0, l/4*3-2) // base64's decoded length, padding aside
			}
			size += l
		}
	}
	if size <= apirules.MaxDataSize {
		return nil
	}
	return &diag.Error{File: o.File, Line: o.Line, App: app, Object: objRef(o), Field: "data",
		Msg: fmt.Sprintf("is SOPS-encrypted and decrypts to more than 1 MiB of data (%d bytes at least, known from the ciphertext's length): "+
			"the API server refuses such a Secret once kustomize-controller decrypts it", size),
		Hint: "a Secret holds at most 1 MiB: split it into several Secrets, or mount the data another way"}
}

// readableLastApplied refuses an encrypted Secret (a SOPS document, or one
// kiln encrypted) that carries kubectl's last-applied-configuration
// annotation with data or stringData in it: the annotation is a copy of
// the whole Secret as it was applied, and sops encrypts only the values
// its rule names (data and stringData), never metadata. A Secret exported
// with kubectl get -o yaml and then encrypted keeps every value readable
// there. nil when o is no such Secret (an encrypted annotation is no JSON).
// Every such annotation counts, one written twice included: a JSON
// decoder takes the last, a reader of the file sees both.
func readableLastApplied(app string, o templates.Object) error {
	if !secretgate.IsSecret(o.Node) {
		return nil
	}
	for _, v := range objects.LastAppliedValues(o.Node.YNode()) {
		var applied struct {
			Data       map[string]any `json:"data"`
			StringData map[string]any `json:"stringData"`
		}
		if v.Kind != kyaml.ScalarNode || json.Unmarshal([]byte(v.Value), &applied) != nil || len(applied.Data)+len(applied.StringData) == 0 {
			continue
		}
		return &diag.Error{File: o.File, Line: o.LineOf(v), App: app, Object: objRef(o), Field: "metadata.annotations[" + objects.LastApplied + "]",
			Msg: "this encrypted Secret's " + objects.LastApplied + " annotation holds its data in the clear: " +
				"sops encrypts data and stringData, never metadata, and the annotation is kubectl's copy of the whole Secret",
			Hint: "remove the annotation (kubectl apply and kubectl get -o yaml add it) and encrypt the Secret again; its values have been readable wherever the file was: rotate them"}
	}
	return nil
}

// fluxReadsEncrypted are the fields kustomize-controller reads from a
// resource before it decrypts it: kustomize loads it by apiVersion and
// kind, and the decrypted resource replaces the built one by its kind,
// name and namespace (ResMap.Replace), which an encrypted name or
// namespace no longer matches. envconfig refuses an encryptedRegex that
// would make kiln encrypt them.
var fluxReadsEncrypted = []string{"apiVersion", "kind", "metadata.name", "metadata.namespace"}

// encryptedIdentity refuses a SOPS document whose apiVersion, kind, name
// or namespace is among its encrypted values (a document encrypted with an
// encrypted_regex matching metadata, say): Flux cannot apply it, nor, when
// the document's decryption is disabled, can the API server, which gets
// the ciphertext. The errors name the file, field and line, not the
// object: its name or namespace is ciphertext, which no message shows.
func encryptedIdentity(app string, o templates.Object, encrypted []string, disabled bool) []error {
	var errs []error
	for _, f := range fluxReadsEncrypted {
		if !slices.Contains(encrypted, f) {
			continue
		}
		what := "SOPS document"
		if !slices.Contains(encrypted, "kind") {
			what = "SOPS-encrypted " + o.Node.GetKind()
		}
		line := o.Line
		if v, err := o.Node.Pipe(kyaml.Lookup(strings.Split(f, ".")...)); err == nil && v != nil {
			line = o.LineOf(v.YNode())
		}
		why := "kustomize-controller reads a resource's apiVersion, kind, name and namespace before it decrypts it, and cannot apply the document"
		if disabled {
			why = fmt.Sprintf("kustomize-controller applies the document encrypted (its annotation %s is disabled), and the API server would get ciphertext as its %s",
				objects.DecryptAnnotation, f)
		}
		errs = append(errs, &diag.Error{File: o.File, Line: line, App: app, Field: f,
			Msg:  fmt.Sprintf("the %s of this %s is encrypted: %s", f, what, why),
			Hint: "encrypt only the values, as sops --encrypt --encrypted-regex '^(data|stringData)$' does: decrypt the file and encrypt it again"})
	}
	return errs
}

// ciphertext is what sops writes in place of a value (ENC[…], cut short
// too) and an armored data key of its metadata: what a message about a
// document checked as written (sopsAsWritten) could quote.
var ciphertext = regexp.MustCompile(`ENC\[AES256_GCM,[A-Za-z0-9+/=:,_]*\]?|-----BEGIN [A-Z ]+-----[\s\S]*?(?:-----END [A-Z ]+-----|$)`)

// maskCiphertext is s with each ciphertext in it masked as reviews mask
// an encrypted value.
func maskCiphertext(s string) string {
	return ciphertext.ReplaceAllLiteralString(s, "**encrypted**")
}

// sopsAsWritten checks a SOPS document whose decryption is disabled as
// kustomize-controller applies it: as it is written, its sops key and
// ENC[…] values included, against its kind's schema. Server-side apply
// refuses a field its schema does not have (a v1 Secret's sops: "field not
// declared in schema"), and a v1 Secret's data value must be base64; a
// custom resource made to be applied encrypted (sops-secrets-operator's
// SopsSecret) has a sops field and string values. A message that would
// quote ciphertext shows a mask instead, and its cause, which quotes it,
// is dropped.
func sopsAsWritten(ctx context.Context, env *validate.Env, app string, o templates.Object) []error {
	var errs []error
	for _, e := range diag.Flatten(env.ObjectsContext(ctx, app, []templates.Object{o})) {
		var de *diag.Error
		if !errors.As(e, &de) {
			de = &diag.Error{App: app, Msg: e.Error(), Err: e}
		}
		m := de.Map(maskCiphertext)
		if m.Err != nil && maskCiphertext(m.Err.Error()) != m.Err.Error() {
			m.Err = nil
		}
		if m.Field == "sops" && strings.HasPrefix(m.Msg, "unknown field") {
			m.Msg = fmt.Sprintf("unknown field %q: kustomize-controller applies this document as it is written, sops metadata included, since its annotation %s is disabled, "+
				"and the API server refuses a field that %s %s does not have", "sops", objects.DecryptAnnotation, o.Node.GetApiVersion(), o.Node.GetKind())
			m.Hint = "remove the annotation for Flux to decrypt the document, or encrypt, for the controller that decrypts it, " +
				"a kind whose schema has a sops field (such as sops-secrets-operator's SopsSecret)"
		}
		errs = append(errs, forApp(app, m))
	}
	return errs
}

// decidable says whether an error of a SOPS document's skeleton holds
// whatever its encrypted values are (see sopsChecks).
func decidable(de *diag.Error, encrypted []string) bool {
	for _, prefix := range []string{"wrong type for ", "unknown field", "duplicate field"} {
		if strings.HasPrefix(de.Msg, prefix) {
			return true
		}
	}
	if errors.Is(de, validate.ErrNotServed) {
		return true // apiVersion and kind are readable
	}
	if de.Field == "" {
		return len(encrypted) == 0
	}
	// The error's field is written as the API server writes it, a map's
	// key in brackets; the encrypted paths join every key with a dot.
	field := validate.DottedPath(de.Field)
	for _, p := range encrypted {
		if related(field, p) {
			return false
		}
	}
	return true
}

// related reports whether field path a is b, or one lies within the other.
func related(a, b string) bool {
	within := func(long, short string) bool {
		return strings.HasPrefix(long, short) && (len(long) == len(short) || long[len(short)] == '.' || long[len(short)] == '[')
	}
	return within(a, b) || within(b, a)
}

// quoteTimestamps quotes the plain scalars of objs that YAML reads as
// timestamps, so that kustomize in Flux applies the string kiln checked
// (objects.QuoteTimestamps). A SOPS document is written as it was
// encrypted: its values are the ciphertext's, and its MAC covers them.
func quoteTimestamps(objs []templates.Object) {
	for _, o := range objs {
		if o.Raw == nil && o.Node != nil {
			objects.QuoteTimestamps(o.Node.YNode())
		}
	}
}

// keepScalars restyles the scalars of objs that kiln's YAML writer would
// write as another value, or as a file kustomize cannot read: block
// scalars (objects.KeepBlockScalars) and the empty nulls of flow
// collections, which it would write quoted and Flux apply as ""
// (objects.KeepFlowNulls); so that Flux applies the value the engine gave
// and kiln checked. A SOPS document is written as it was encrypted.
func keepScalars(objs []templates.Object) {
	for _, o := range objs {
		if o.Raw == nil && o.Node != nil {
			objects.KeepScalars(o.Node.YNode())
		}
	}
}

// deprecatedAPIs warns, once per apiVersion and kind of the run, about
// objects whose version draws the API server's deprecation warning (its
// CRD deprecates it, or Kubernetes did by kubeVersion): kubectl shows it,
// Flux does not, and a later release stops serving the version.
func deprecatedAPIs(venv *validate.Env, run *appRun) []diag.Warning {
	if venv == nil {
		return nil
	}
	return kindWarnings(run, venv.Deprecated)
}

// offByDefaultAPIs warns, once per apiVersion and kind of the run, about
// built-in alpha and new beta APIs, which a cluster serves only when it
// enables them (validate.Env.OffByDefault).
func offByDefaultAPIs(venv *validate.Env, run *appRun) []diag.Warning {
	if venv == nil {
		return nil
	}
	return kindWarnings(run, venv.OffByDefault)
}

// kindWarnings warns once per apiVersion and kind of the run's objects
// about what lookup says of them, at the first such object, counting the
// rest.
func kindWarnings(run *appRun, lookup func(apiVersion, kind string) (msg, hint string)) []diag.Warning {
	var w diag.OnceEach
	for _, o := range run.objs {
		if o.Node == nil || o.Raw != nil {
			continue
		}
		apiVersion, kind := o.Node.GetApiVersion(), o.Node.GetKind()
		key := apiVersion + " " + kind
		if w.Seen(key) {
			continue
		}
		var warn *diag.Warning
		if msg, hint := lookup(apiVersion, kind); msg != "" {
			warn = &diag.Warning{File: o.File, Line: o.Line, App: run.app.Name, Object: objRef(o), Msg: msg, Hint: hint}
		}
		w.Add(key, warn)
	}
	return w.Warnings("object")
}

// droppedFields warns, once per feature gate of the run, about fields the
// API server of the env's kubeVersion drops before creating the object
// (validate.Env.Dropped): Flux applies the object without them and says
// nothing, so a pod asked to run in its own user namespace runs in the
// host's.
func droppedFields(venv *validate.Env, run *appRun) []diag.Warning {
	if venv == nil {
		return nil
	}
	var w diag.OnceEach
	for _, o := range run.objs {
		for _, d := range venv.Dropped(o) {
			// Once per gate; a field of a fieldless object has none, and
			// each such field is a mistake of its own.
			key := d.Gate
			if key == "" {
				key = "fieldless " + d.Path
			}
			if !w.Seen(key) {
				w.Add(key, &diag.Warning{File: o.File, Line: d.Line, App: run.app.Name, Object: objRef(o), Msg: d.Msg, Hint: d.Hint})
			}
		}
	}
	return w.Warnings("field")
}

// engineWarnings are the warnings the run's engine gave (helm template's
// values warnings), as kiln's.
func engineWarnings(run *appRun) []diag.Warning {
	if run.res == nil {
		return nil
	}
	out := make([]diag.Warning, 0, len(run.res.Warnings))
	for _, w := range run.res.Warnings {
		out = append(out, diag.Warning{File: w.File, Line: w.Line, App: run.app.Name, Msg: w.Msg, Hint: w.Hint})
	}
	return out
}

// guessedScope warns, once per apiVersion and kind of the run (at its
// first object, counting the rest: a chart's hundreds of PrometheusRules
// without their CRD make one warning, not hundreds), about objects about
// to get the app's namespace although kiln does not know whether their
// kind is namespaced: a cluster-scoped custom resource whose CRD is installed by
// other means (cert-manager's ClusterIssuer, Gateway API's GatewayClass)
// would be applied with a namespace. --strict makes it an error.
//
// assumed are the kinds ("group/Kind") shards gave a namespace without
// knowing their scope (ShardMarker.AssumedNamespaced): Merge warns about
// their objects, which have the namespace by now, when no CRD of the
// whole env defines the kind; a shard leaves the warning to Merge (nil).
func guessedScope(scopes *scope.Scopes, venv *validate.Env, run *appRun, assumed map[string]bool) []diag.Warning {
	if run.app.Namespace == "" {
		return nil
	}
	var w diag.OnceEach
	for _, o := range run.objs {
		n := o.Node
		if n == nil || scopes.Known(n.GetApiVersion(), n.GetKind()) || (venv != nil && (venv.Defines(n.GetApiVersion(), n.GetKind()) || venv.NotServed(n.GetApiVersion(), n.GetKind()))) {
			continue
		}
		if n.GetNamespace() != "" && !assumed[group(n.GetApiVersion())+"/"+n.GetKind()] {
			continue
		}
		key := n.GetApiVersion() + " " + n.GetKind()
		if w.Seen(key) {
			continue
		}
		hint := "list the file of its CustomResourceDefinition under validation.crds in kiln.yaml, so kiln knows its scope and checks its fields; " +
			"if it is cluster-scoped, the namespace would be wrong"
		if venv != nil {
			// The env's CRDs of the group: a misspelt kind of an operator
			// whose other kinds are here.
			gv, _ := schema.ParseGroupVersion(n.GetApiVersion())
			if c := diag.Closest(n.GetKind(), venv.Kinds(gv.Group)); c != "" {
				hint = fmt.Sprintf("did you mean %q? a CustomResourceDefinition of the env defines it; otherwise ", c) + hint
			} else if objects.ComponentConfig(n.GetApiVersion()) != "" {
				hint = objects.ComponentConfigMsg(n.GetApiVersion(), n.GetKind()) + "; " + objects.ComponentConfigHint(n.GetApiVersion())
			} else if gv.Group != "" && !strings.Contains(gv.Group, ".") {
				// Not one of Kubernetes' groups (validation refuses an
				// unknown kind of those), and no CRD can define it: the
				// API server wants a dot in spec.group. Listing a CRD is
				// no way out; a tool's own configuration (skaffold.yaml)
				// in a YAML folder is the usual cause, and Flux fails
				// the app on it with "no matches for kind".
				hint = fmt.Sprintf("no CustomResourceDefinition can define group %s (a CRD's group has a dot), so unless an aggregated API of the cluster serves it, "+
					"Flux fails the app with no matches for kind %s: if the file is some tool's configuration, not a Kubernetes object, leave it out of the app", gv.Group, n.GetKind())
			}
		}
		w.Add(key, &diag.Warning{File: o.File, Line: o.Line, App: run.app.Name, Object: objRef(o),
			Msg:  fmt.Sprintf("kind %s (%s) is unknown to kiln, so it was given namespace %q as if it were namespaced", n.GetKind(), n.GetApiVersion(), run.app.Namespace),
			Hint: hint})
	}
	return w.Warnings("object")
}

// listedCRDs reads the files kiln.yaml (pl) lists under validation.crds
// ({env} replaced, a folder's files: listedFiles) through reads:
// CustomResourceDefinitions only. What it could read is returned beside
// the errors.
func listedCRDs(pl *envconfig.Pipeline, env string, reads *deps.Recorder) ([]templates.Object, error) {
	var out []templates.Object
	files, errs := listedFiles(pl, env, reads)
	// The cluster holds one CRD of a name: of two listed copies, which
	// one checks the env's objects must not depend on the order of files
	// (a stale copy left in a folder beside the new release's).
	first := map[string]templates.Object{}
	// A copy of a file read already (vendored twice, a bundle beside its
	// parts) holds the same objects: it is not parsed again, nor its
	// CRDs compared, each a few MiB; unless read through a folder, which
	// passes over other objects, and named now, which refuses them.
	read := map[[sha256.Size]byte]bool{} // sum -> read as a named file
	for _, f := range files {
		data, err := reads.ReadFile(pl.Root, f.path)
		if err != nil {
			errs = append(errs, pathError(pl.Root, f.named(pl), err))
			continue
		}
		sum := sha256.Sum256(data)
		if named, ok := read[sum]; ok && (named || f.inFolder) {
			continue
		}
		read[sum] = !f.inFolder
		objs, err := objects.Parse(data, f.path, 0)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, o := range objs {
			if o.Node.GetKind() != "CustomResourceDefinition" || o.Node.GetApiVersion() != "apiextensions.k8s.io/v1" {
				// Projects ship other objects among their CRDs (kube-
				// prometheus' setup/ its Namespace, gateway-api's
				// config/crd/standard a ValidatingAdmissionPolicy), which
				// are installed with them by other means as well: a
				// folder is taken as shipped. A file named on its own
				// must hold what the key says.
				if f.inFolder {
					continue
				}
				errs = append(errs, &diag.Error{File: o.File, Line: o.Line, Object: objRef(o),
					Msg:  "validation.crds lists a file with an object that is not an apiextensions.k8s.io/v1 CustomResourceDefinition",
					Hint: "keep only CRDs in the files under validation.crds; objects to apply belong to an app"})
				continue
			}
			name := o.Node.GetName()
			if f, ok := first[name]; ok {
				if !sameObject(f, o) {
					errs = append(errs, &diag.Error{File: o.File, Line: o.Line, Object: objRef(o),
						Msg:  fmt.Sprintf("validation.crds lists CustomResourceDefinition %s twice, and the two differ (also at %s:%d): the cluster holds only one of them", name, f.File, f.Line),
						Hint: "remove the copy the cluster does not have; a folder of validation.crds stands for every .yaml, .yml and .json file in it, a stale one too"})
				}
				continue
			}
			first[name] = o
			out = append(out, o)
		}
	}
	return out, diag.Join(errs...)
}

// listedAndRendered warns, once per app at its first such CRD, of a CRD
// that validation.crds lists as installed by other means and that an app
// renders as well: Flux then applies the app's copy over the other
// installer's (a chart's crds/ beside the CRDs a cloud add-on or an
// operator's own install put there), and the two take turns at which
// version the cluster serves. The app's copy is what kiln checks the env
// against, so nothing else says so.
func listedAndRendered(listed []templates.Object, runs []*appRun) []diag.Warning {
	if len(listed) == 0 {
		return nil
	}
	names := map[string]bool{}
	for _, o := range listed {
		names[o.Node.GetName()] = true
	}
	var out []diag.Warning
	for _, run := range runs {
		var w diag.OnceEach
		for _, o := range run.objs {
			if o.Node == nil || o.Node.GetKind() != "CustomResourceDefinition" || !names[o.Node.GetName()] {
				continue
			}
			if w.Seen("") {
				continue
			}
			hint := "leave the CRD to one installer: drop it from validation.crds if Flux is to install it, or from the app"
			if run.app.Helm != nil {
				hint = "leave the CRD to one installer: set helm.skipCRDs on the app if its chart's crds/ holds it, or drop it from validation.crds if Flux is to install it"
			}
			w.Add("", &diag.Warning{File: o.File, Line: o.Line, App: run.app.Name, Object: objRef(o),
				Msg:  "validation.crds lists this CustomResourceDefinition as installed by other means, and the app renders it too: Flux applies the app's copy over the other installer's",
				Hint: hint})
		}
		out = append(out, w.Warnings("CRD")...)
	}
	return out
}

// sameObject reports whether a and b hold the same object, however
// written (YAML or JSON, comments, key order): a CRD reached twice, by a
// symlink or through a file and its folder, is one CRD.
func sameObject(a, b templates.Object) bool {
	if a.Node.MustString() == b.Node.MustString() {
		return true
	}
	am, aerr := a.Node.Map()
	bm, berr := b.Node.Map()
	return aerr == nil && berr == nil && reflect.DeepEqual(am, bm)
}

// listedFile is a file of validation.crds: one it names, or one of a
// folder it names.
type listedFile struct {
	path string
	// ref is the validation.crds entry it comes from.
	ref      envconfig.FileRef
	inFolder bool
}

// named is f's entry as path errors name it.
func (f listedFile) named(pl *envconfig.Pipeline) namedPath {
	return namedPath{key: "validation.crds", path: f.path, at: envconfig.At{File: configFileOf(pl), Line: f.ref.Line}, must: aFile}
}

// listedFiles are the files validation.crds of pl names for env ({env}
// replaced): a file as it is, a folder as the .yaml, .yml and .json files
// directly in it, by name. A folder of CRDs is how projects ship them
// (a chart's crds/, prometheus-operator's and tetragon's CRD folders), and
// its kustomization file, which lists them for kubectl, is left out: it
// is no object. Subfolders are not read (a symlink to a folder is one),
// although Helm reads those of a chart's crds/: a folder such as
// gateway-api's config/crd holds one channel's CRDs in each, which the
// cluster has only one of.
// The listing goes through reads, so that a file added to the folder
// makes a cached env render again. What cannot be looked at is an error
// at the entry; the file is then left out.
func listedFiles(pl *envconfig.Pipeline, env string, reads *deps.Recorder) ([]listedFile, []error) {
	var out []listedFile
	var errs []error
	// A file reached again (a symlink in a folder to another of its
	// files, a file listed beside its folder) is read once: a hundred
	// symlinks to one CRD file of a few MiB took minutes to parse. Named
	// on its own once, it is held to CRDs only, however else reached.
	seen := map[string]int{} // real path -> index in out
	once := func(real string, f listedFile) {
		if i, ok := seen[real]; ok {
			out[i].inFolder = out[i].inFolder && f.inFolder
			return
		}
		seen[real] = len(out)
		out = append(out, f)
	}
	for _, ref := range pl.Validation.CRDs {
		p := strings.ReplaceAll(ref.Path, "{env}", env)
		f := listedFile{path: p, ref: ref}
		real, err := reads.Resolve(pl.Root, p)
		var fi fs.FileInfo
		if err == nil {
			fi, err = reads.StatResolved(real)
		}
		if err != nil || !fi.IsDir() {
			// A file, or what ReadFile will fail on in the file's terms.
			if err != nil {
				out = append(out, f)
			} else {
				once(real, f)
			}
			continue
		}
		entries, err := os.ReadDir(real)
		if err != nil {
			errs = append(errs, pathError(pl.Root, namedPath{key: "validation.crds", path: p, at: envconfig.At{File: configFileOf(pl), Line: ref.Line}, must: aFolder}, err))
			continue
		}
		reads.Dir(p, entries)
		found := false
		for _, e := range entries {
			name := e.Name()
			ext := strings.ToLower(path.Ext(name))
			if e.IsDir() || (ext != ".yaml" && ext != ".yml" && ext != ".json") || slices.Contains(konfig.RecognizedKustomizationFileNames(), name) {
				continue
			}
			fp := path.Join(p, name)
			real, err := reads.Resolve(pl.Root, fp)
			if err == nil && e.Type()&fs.ModeSymlink != 0 {
				// A symlink to a folder is a subfolder like the others.
				// Recorded, so that the render cache sees it lead to a
				// file later.
				fi, err := reads.StatResolved(real)
				reads.Stat(fp, fi, err)
				if err == nil && fi.IsDir() {
					continue
				}
			}
			found = true
			lf := listedFile{path: fp, ref: ref, inFolder: true}
			if err != nil {
				out = append(out, lf)
			} else {
				once(real, lf)
			}
		}
		if !found {
			errs = append(errs, &diag.Error{File: configFileOf(pl), Line: ref.Line,
				Msg:  fmt.Sprintf("validation.crds: folder %s holds no .yaml, .yml or .json file", p),
				Hint: "name the folder that holds the CRD files, or the files themselves"})
		}
	}
	return out, errs
}

// listedAPIVersions is what the CRDs of validation.crds add, for env, to
// Helm's .Capabilities.APIVersions: those CRDs are installed in the
// cluster by other means, and a chart that renders a ServiceMonitor only
// where the cluster serves monitoring.coreos.com/v1 (a common guard)
// would leave it out, silently, where helm-controller, reading the
// cluster's discovery, renders it. Sorted; nil when nothing is listed. A
// file that cannot be read adds nothing: finishEnv reports it. The entries
// enter each Helm app's cache key (Request.APIVersions), which every run
// computes, a re-render with nothing changed included; so the list is kept
// in the render cache under a digest of the files' bytes and this build,
// and the files (often megabytes of schema) are parsed only when they
// change. Envs whose paths resolve to the same files share one list.
func (r *Renderer) listedAPIVersions(env string) []string {
	if len(r.p.Validation.CRDs) == 0 {
		return nil
	}
	list, _ := r.crdFiles.LoadOrStore(env, sync.OnceValue(func() []string {
		files, _ := listedFiles(r.p, env, nil)
		paths := make([]string, len(files))
		for i, f := range files {
			paths[i] = f.path
		}
		return paths
	}))
	paths := list.(func() []string)()
	get, _ := r.crdAPIVersions.LoadOrStore(strings.Join(paths, "\x00"), sync.OnceValue(func() []string { return r.loadAPIVersions(paths) }))
	return get.(func() []string)()
}

// loadAPIVersions is listedAPIVersions of the CRD files paths: read from
// the render cache under a digest of the files' bytes and this build, or
// parsed and kept there.
func (r *Renderer) loadAPIVersions(paths []string) []string {
	reads := deps.New(r.p.Root)
	h := sha256.New()
	io.WriteString(h, crdVersionsKeyVersion)
	datas := make([][]byte, len(paths))
	for i, p := range paths {
		data, err := reads.ReadFile(r.p.Root, p)
		if err != nil {
			return nil
		}
		datas[i] = data
		fmt.Fprintf(h, "%d:%s%d:", len(p), p, len(data))
		h.Write(data)
	}
	var key string
	if r.cache != nil {
		io.WriteString(h, r.cache.build)
		key = hex.EncodeToString(h.Sum(nil))
		if ent, err := r.cache.store.Get(key); err == nil && ent != nil {
			if len(ent.Result) == 0 {
				return nil
			}
			return strings.Split(string(ent.Result), "\n")
		}
	}
	var crds []templates.Object
	parsed := map[[sha256.Size]byte]bool{}
	for i, data := range datas {
		sum := sha256.Sum256(data)
		if parsed[sum] {
			continue
		}
		parsed[sum] = true
		objs, err := objects.Parse(data, paths[i], 0)
		if err != nil {
			return nil
		}
		crds = append(crds, objs...)
	}
	versions := crdAPIVersions(crds)
	if r.cache != nil {
		_ = r.cache.store.Put(key, &cache.Entry{Result: []byte(strings.Join(versions, "\n"))})
	}
	return versions
}

// crdVersionsKeyVersion changes whenever listedAPIVersions' digest does.
const crdVersionsKeyVersion = "kiln-crd-apiversions-v1\x00"

// crdAPIVersions lists, for each served version of each CRD, the
// "group/version" and "group/version/Kind" a cluster's discovery lists
// once the CRD is installed, sorted, each once.
func crdAPIVersions(crds []templates.Object) []string {
	seen := map[string]bool{}
	for _, o := range crds {
		spec := o.Node.Field("spec")
		if spec == nil {
			continue
		}
		group, _ := spec.Value.GetString("group")
		kind, _ := spec.Value.GetString("names.kind")
		versions, err := spec.Value.Pipe(kyaml.Lookup("versions"))
		if group == "" || kind == "" || err != nil || versions == nil {
			continue
		}
		items, _ := versions.Elements()
		for _, v := range items {
			name, _ := v.GetString("name")
			served, err := v.Pipe(kyaml.Lookup("served"))
			if name == "" || err != nil || served == nil || served.YNode().Value != "true" {
				continue
			}
			seen[group+"/"+name] = true
			seen[group+"/"+name+"/"+kind] = true
		}
	}
	if len(seen) == 0 {
		return nil
	}
	return slices.Sorted(maps.Keys(seen))
}

// objectKey identifies an object among an env's: group/kind/namespace/name.
func objectKey(group, kind, namespace, name string) string {
	if g, ok := cohabiting[[2]string{group, kind}]; ok {
		group = g
	}
	return group + "/" + kind + "/" + namespace + "/" + name
}

// cohabiting are the kinds the API server serves in two groups and keeps
// as one resource (kube-apiserver's storage factory,
// AddCohabitatingResources), by the group objectKey names them by: an
// events.k8s.io Event and a core Event of one name are one object, as
// are an Ingress of networking.k8s.io and of extensions (up to 1.21).
var cohabiting = map[[2]string]string{
	{"events.k8s.io", "Event"}:          "",
	{"extensions", "Deployment"}:        "apps",
	{"extensions", "DaemonSet"}:         "apps",
	{"extensions", "ReplicaSet"}:        "apps",
	{"extensions", "NetworkPolicy"}:     "networking.k8s.io",
	{"extensions", "Ingress"}:           "networking.k8s.io",
	{"extensions", "PodSecurityPolicy"}: "policy",
}

// appliedNamespace is the namespace the API server puts n in: none for a
// kind it knows to be cluster-scoped, whose metadata.namespace it drops
// (Helm charts often template one onto a ClusterRole or ClusterRoleBinding),
// so that such an object needs no app to create that namespace first. A
// kind of unknown scope keeps its namespace.
func appliedNamespace(scopes *scope.Scopes, n *kyaml.RNode) string {
	ns := n.GetNamespace()
	if apiVersion, kind := n.GetApiVersion(), n.GetKind(); ns != "" && scopes.Known(apiVersion, kind) && !scopes.Namespaced(apiVersion, kind) {
		return ""
	}
	return ns
}

// group returns the API group of an apiVersion ("" for the core group).
func group(apiVersion string) string {
	return schema.FromAPIVersionAndKind(apiVersion, "").Group
}

func objRef(o templates.Object) diag.Object {
	return diag.Object{Kind: o.Node.GetKind(), Namespace: o.Node.GetNamespace(), Name: o.Node.GetName()}
}

// configFile is how messages name kiln.yaml: relative to the repository
// root, which is its folder, like the errors of package envconfig.
func (r *Renderer) configFile() string { return configFileOf(r.p) }

// configFileOf is configFile of pl.
func configFileOf(pl *envconfig.Pipeline) string { return path.Base(filepath.ToSlash(pl.File)) }

// buildGraph checks the env's dependsOn graph. Apps the env disables are
// not in it; naming one is an error that says so.
func (r *Renderer) buildGraph(res *envconfig.Resolved) (*graph.Graph, error) {
	// A "namespace/name" entry naming a Kustomization kiln writes for an
	// app of this env (or would, were the app enabled) is that app to
	// Flux: it waits on it like on a plain name. Left out of the graph, a
	// self-dependency, a cycle or a disabled app spelled that way would
	// reach the cluster, where Flux waits forever.
	own, off := r.kilnKustomizations(res) // Kustomization name in flux.namespace → app
	maps.Copy(own, off)
	nodes := make([]graph.App, 0, len(res.Apps))
	for _, a := range res.Apps {
		n := graph.App{Name: a.Name, Line: a.Line}
		for _, d := range a.DependsOn {
			switch app, ok := own[d.Name]; {
			case !d.External:
				n.Deps = append(n.Deps, graph.Dep{Name: d.Name, File: d.File, Line: d.Line})
			case ok && d.Namespace == r.p.Flux.Namespace:
				n.Deps = append(n.Deps, graph.Dep{Name: app, File: d.File, Line: d.Line, As: d.Namespace + "/" + d.Name})
			}
		}
		nodes = append(nodes, n)
	}
	return graph.New(nodes, res.Disabled, res.Env.Name, r.configFile())
}

// owner is the app whose output first holds an object, and the object.
type owner struct {
	app string
	obj templates.Object
}

// at names where an object came from, " at file:line", or "" when unknown;
// a jsonnet object's place in the output too, which may be all that
// tells two objects of one function call apart.
func at(o templates.Object) string {
	var s string
	switch {
	case o.File == "":
		return ""
	case o.Line == 0:
		s = " at " + o.File
	default:
		s = fmt.Sprintf(" at %s:%d", o.File, o.Line)
	}
	return s + outputAt(o)
}

// outputAt names a jsonnet object's place in the output, " (jsonnet output
// at web.config)", or "" for objects of other engines.
func outputAt(o templates.Object) string {
	if o.Path == "" {
		return ""
	}
	return " (jsonnet output at " + o.Path + ")"
}

// thisOne names the erring object's place in a jsonnet output, for a
// message that names another object's place first.
func thisOne(o templates.Object) string {
	if o.Path == "" {
		return ""
	}
	return "; this one is the jsonnet output at " + o.Path
}

// twoOwnersHint is the hint for an object two apps produce. A CRD a chart
// ships in its crds/ folder while another app renders it too (karpenter's
// chart and its karpenter-crd, or any CRDs kept in an app of their own)
// is left out of the chart's app with helm.skipCRDs.
func twoOwnersHint(runs []*appRun, owners ...owner) string {
	const hint = "two Kustomizations must not own one object: Flux would apply both and prune it when either drops it; keep it in one app"
	for _, w := range owners {
		if w.obj.Node.GetKind() != "CustomResourceDefinition" {
			continue
		}
		for _, run := range runs {
			if run.app.Name == w.app && run.app.Helm != nil && inChartCRDs(run.app.Helm, w.obj.File) {
				return hint + fmt.Sprintf(": helm.skipCRDs: true on app %s leaves out its chart's crds/ copy, as helm install --skip-crds does", w.app)
			}
		}
	}
	return hint
}

// inChartCRDs reports whether file, the source of an object of chart h, is
// in the crds/ folder of the chart or of one of its subcharts (Helm's
// CRDObjects), not in templates/. A local chart's files are named below
// its folder, a remote chart's below its name, an archive's entries after
// the archive ("charts/sub-1.0.0.tgz: sub/crds/x.yaml").
func inChartCRDs(h *envconfig.Helm, file string) bool {
	rel := file
	switch dir := path.Clean(h.Chart); {
	case strings.Contains(file, ": "):
		_, rel, _ = strings.Cut(file[strings.LastIndex(file, ": ")+2:], "/")
	case h.Repo != "":
		_, rel, _ = strings.Cut(file, "/")
	case dir != ".":
		var ok bool
		if rel, ok = strings.CutPrefix(file, dir+"/"); !ok {
			return false
		}
	}
	for {
		if strings.HasPrefix(rel, "crds/") {
			return true
		}
		sub, ok := strings.CutPrefix(rel, "charts/")
		if !ok {
			return false
		}
		if _, rel, ok = strings.Cut(sub, "/"); !ok {
			return false
		}
	}
}

// ignoredNamespace explains why two objects in different namespaces are
// one: they are cluster-scoped.
func ignoredNamespace(a, b templates.Object) string {
	if a.Node.GetNamespace() == b.Node.GetNamespace() {
		return ""
	}
	return fmt.Sprintf(" (%s is cluster-scoped: the API server ignores metadata.namespace, so both name one object)", b.Node.GetKind())
}

// checkEnv runs the checks that look across apps: the dependency graph, one
// owner per object, CRDs and namespaces created by an app its users depend
// on, and secret values in the output. scopes knows the env's kinds,
// the CRDs of its apps and of validation.crds included.
func (r *Renderer) checkEnv(res *envconfig.Resolved, rd *redact.Redactor, scopes *scope.Scopes, runs []*appRun, warns *[]diag.Warning) []error {
	var errs []error
	g, err := r.buildGraph(res)
	if err != nil {
		errs = append(errs, err)
	}
	for _, a := range res.Apps {
		// kustomize-controller puts the Kustomization's name in the
		// kustomize.toolkit.fluxcd.io/name label of every object it
		// applies: a name longer than a label value makes every apply fail.
		if name := r.p.FluxName(a.Name, res.Env.Name); len(name) > validation.LabelValueMaxLength {
			errs = append(errs, &diag.Error{File: r.configFile(), Line: a.Line, App: a.Name,
				Msg: fmt.Sprintf("the app's Flux Kustomization name %q has %d characters; kustomize-controller labels every object it applies with it, and a label value has at most %d",
					name, len(name), validation.LabelValueMaxLength),
				Hint: "shorten the app name or flux.name in kiln.yaml"})
		}
	}
	for _, a := range res.Apps {
		// source-controller leaves every file named cloudbuild.yaml out of
		// the artifact it serves, unless the source has ignore rules of
		// its own (fluxcd/pkg sourceignore ExcludeCI): the bootstrap would
		// never see flux/cloudbuild.yaml, nor apply the app.
		if a.Name == "cloudbuild" {
			errs = append(errs, &diag.Error{File: r.configFile(), Line: a.Line, App: a.Name,
				Msg: "its Flux Kustomization would be flux/cloudbuild.yaml, a name Flux's source-controller leaves out of the artifact by default " +
					"(it ignores every cloudbuild.yaml of the repository), so Flux would never apply the app",
				Hint: "rename the app"})
		}
		// A kustomization.yaml in flux/ is what kustomize-controller
		// builds the bootstrap's folder from, instead of generating one
		// over every file there (fluxcd/pkg kustomize Generator): a Flux
		// Kustomization in its place fails that build ("unknown field
		// spec"), and Flux would apply no change to the env again.
		if slices.Contains(konfig.RecognizedKustomizationFileNames(), path.Base(tree.FluxFile(a.Name))) {
			errs = append(errs, &diag.Error{File: r.configFile(), Line: a.Line, App: a.Name,
				Msg: "its Flux Kustomization would be " + tree.FluxFile(a.Name) + ", the file kustomize-controller builds the bootstrap's flux/ folder from " +
					"instead of every file in it: the build would fail and Flux would apply nothing of the env",
				Hint: "rename the app"})
		}
		// flux bootstrap names its own Kustomization after its namespace
		// (flux/flux-system/gotk-sync.yaml): the bootstrap's build of
		// flux/ would hold that id twice and fail, and Flux would apply no
		// change to the env again, its own included.
		if name := r.p.FluxName(a.Name, res.Env.Name); name == r.p.Flux.Namespace {
			errs = append(errs, &diag.Error{File: r.configFile(), Line: a.Line, App: a.Name,
				Msg: fmt.Sprintf("its Flux Kustomization %s/%s is the one flux bootstrap writes for itself (named after its namespace, in flux/%s/gotk-sync.yaml); "+
					"the bootstrap's build of flux/ would fail on the duplicate and Flux would apply nothing of the env", r.p.Flux.Namespace, name, name),
				Hint: "rename the app, or set flux.name so that no app's Kustomization is named " + name})
		} else if ns, bs, ok := r.p.BootstrapKustomization(res.Env.Name); ok && ns == r.p.Flux.Namespace && name == bs {
			// The same object twice again, and the app's Kustomization
			// would depend on itself.
			errs = append(errs, &diag.Error{File: r.configFile(), Line: a.Line, App: a.Name,
				Msg: fmt.Sprintf("its Flux Kustomization %s/%s is the one flux.bootstrap (line %d) names, which applies the env's flux/ folder and on which every app's Kustomization depends: "+
					"flux/%s.yaml would replace that Kustomization's spec, and the app would wait for itself", ns, name, r.p.Flux.Bootstrap.Line, a.Name),
				Hint: "rename the app, set flux.name so that no app's Kustomization is named " + name + ", or make flux.bootstrap name the Kustomization that applies the env's flux/ folder (flux get kustomizations -A lists it)"})
		}
	}
	if r.p.Notifications != nil {
		for _, a := range res.Apps {
			if a.Name == "notifications" {
				errs = append(errs, &diag.Error{File: r.configFile(), Line: a.Line, App: a.Name,
					Msg:  "app name notifications collides with flux/notifications.yaml, which notifications: writes",
					Hint: "rename the app"})
			}
		}
	}

	owners := map[string]owner{}       // group/kind/namespace/name → first app
	crds := map[string]string{}        // group/kind → app defining the CRD
	nsOwner := map[string]string{}     // namespace → app creating it
	nsUnapplied := map[string]string{} // namespace → app holding it, not applied
	crdAt := map[string]owner{}        // the same, with the defining object
	nsAt := map[string]owner{}
	// The API server drops metadata.namespace from a cluster-scoped
	// object, so ClusterRole/x in namespace a and in namespace b are one
	// object: two apps writing them would fight over it, and either one's
	// prune would delete the other's. Kinds of unknown scope keep their
	// namespace (an error would be a guess).
	for _, run := range runs {
		for _, o := range run.objs {
			n := o.Node
			ns := appliedNamespace(scopes, n)
			key := objectKey(group(n.GetApiVersion()), n.GetKind(), ns, n.GetName())
			if prev, ok := owners[key]; ok && prev.app != run.app.Name {
				errs = append(errs, &diag.Error{File: o.File, Line: o.Line, App: run.app.Name, Object: objRef(o),
					Msg:  fmt.Sprintf("also produced by app %s%s%s%s", prev.app, at(prev.obj), ignoredNamespace(prev.obj, o), thisOne(o)),
					Hint: twoOwnersHint(runs, owner{run.app.Name, o}, prev)})
			} else if ok {
				// One app, one object twice: the tree has one file per
				// object, so all but one would be dropped silently while
				// the counts and the lock still said two.
				errs = append(errs, &diag.Error{File: o.File, Line: o.Line, App: run.app.Name, Object: objRef(o),
					Msg:  "produced twice by this app" + outputAt(o) + ", also" + at(prev.obj) + ignoredNamespace(prev.obj, o),
					Hint: "an app's output must hold each kind/namespace/name once; remove or rename one of them"})
			} else {
				owners[key] = owner{run.app.Name, o}
			}
			switch {
			case n.GetKind() == "CustomResourceDefinition" && group(n.GetApiVersion()) == "apiextensions.k8s.io":
				grp, _ := n.GetString("spec.group")
				kind, _ := n.GetString("spec.names.kind")
				if grp != "" && kind != "" {
					crds[grp+"/"+kind] = run.app.Name
					crdAt[grp+"/"+kind] = owner{run.app.Name, o}
				}
			case n.GetKind() == "Namespace" && n.GetApiVersion() == "v1" && flux.NotApplied(n):
				// kustomize-controller never creates a Namespace it does not
				// apply: depending on its app orders nothing, and the
				// namespace is as missing on a new cluster as one no app
				// holds.
				nsUnapplied[n.GetName()] = run.app.Name
			case n.GetKind() == "Namespace" && n.GetApiVersion() == "v1":
				nsOwner[n.GetName()] = run.app.Name
				nsAt[n.GetName()] = owner{run.app.Name, o}
			}
		}
	}
	// One owner per object holds across kiln's own writers too: flux/,
	// the bootstrap, and whatever made kiln's source.
	held := r.heldOutsideApps(res)
	for _, key := range tree.SortedKeys(held) {
		h := held[key]
		if o, ok := owners[key]; ok && !(h.applied && flux.NotApplied(o.obj.Node)) &&
			!(h.pruned && (!r.p.Flux.Prune || flux.PruneDisabled(o.obj.Node))) {
			errs = append(errs, &diag.Error{File: o.obj.File, Line: o.obj.Line, App: o.app, Object: objRef(o.obj), Msg: held[key].msg, Hint: held[key].hint})
		}
	}
	errs = append(errs, r.fluxPathsInTree(res, runs)...)
	errs = append(errs, clusterOnce(runs)...)
	*warns = append(*warns, autoscaledReplicas(runs)...)
	*warns = append(*warns, suspendedFlux(runs)...)
	for _, run := range runs {
		*warns = append(*warns, outlastHealthCheck(r.appTimeout(&run.app), run)...)
	}
	*warns = append(*warns, r.unboundClaims(runs, scopes, g)...)
	if g != nil {
		errs = append(errs, r.fluxDependsOn(res, runs, g)...)
		errs = append(errs, r.healthCheckCycles(res, scopes, owners, g)...)
		*warns = append(*warns, r.uncreatedNamespaces(scopes, runs, g, nsOwner, nsUnapplied)...)
		cycleErrs, cycleWarns, onCycle := r.impliedCycles(res, r.impliedEdges(res, runs, scopes, owners, crdAt, nsAt), g)
		errs = append(errs, cycleErrs...)
		*warns = append(*warns, cycleWarns...)
		// One graph walk per app that defines a CRD or creates a
		// namespace, however many apps and objects use it: the checks
		// stay linear in objects.
		dependents := map[string]map[string]bool{}
		for _, run := range runs {
			missingCRD := map[string]bool{}
			missingNS := map[string]bool{}
			dependsOn := func(def string) bool {
				d, ok := dependents[def]
				if !ok {
					d = g.Dependents(def)
					dependents[def] = d
				}
				return d[run.app.Name]
			}
			for _, o := range run.objs {
				n := o.Node
				gk := group(n.GetApiVersion()) + "/" + n.GetKind()
				// An order on a cycle that objects imply is reported with
				// the cycle: the dependsOn asked for here would close it.
				if def, ok := crds[gk]; ok && def != run.app.Name && !missingCRD[gk] && !onCycle[appEdge{run.app.Name, def}] && !dependsOn(def) {
					missingCRD[gk] = true
					errs = append(errs, &diag.Error{File: r.configFile(), Line: run.app.Line, App: run.app.Name, Object: objRef(o),
						Msg:  fmt.Sprintf("uses kind %s whose CustomResourceDefinition app %s defines, but does not depend on %s", n.GetKind(), def, def),
						Hint: fmt.Sprintf("add %s to dependsOn of %s, so Flux applies the CRD first", def, run.app.Name)})
				}
				ns := appliedNamespace(scopes, n)
				if def, ok := nsOwner[ns]; ok && ns != "" && !r.alwaysThere(ns) && def != run.app.Name && !missingNS[ns] && !onCycle[appEdge{run.app.Name, def}] && !dependsOn(def) {
					missingNS[ns] = true
					*warns = append(*warns, diag.Warning{File: r.configFile(), Line: run.app.Line, App: run.app.Name, Object: objRef(o),
						Msg:  fmt.Sprintf("puts objects into namespace %s, which app %s creates, but does not depend on %s", ns, def, def),
						Hint: fmt.Sprintf("add %s to dependsOn of %s", def, run.app.Name)})
				}
				// helm-controller installs a HelmRelease's chart into its
				// target namespace and keeps the release in its storage
				// namespace: applied before the app creating them, the
				// install fails until a retry finds them.
				target, storage := helmReleaseNamespaces(n)
				for _, u := range []struct {
					ns  string
					use namespaceUse
				}{{target, helmTarget}, {storage, helmStorage}} {
					if def, ok := nsOwner[u.ns]; ok && u.ns != "" && !r.alwaysThere(u.ns) && def != run.app.Name && !missingNS[u.ns] && !dependsOn(def) {
						missingNS[u.ns] = true
						*warns = append(*warns, diag.Warning{File: r.configFile(), Line: run.app.Line, App: run.app.Name, Object: objRef(o),
							Msg:  fmt.Sprintf("%s namespace %s, which app %s creates, but does not depend on %s: helm-controller's install fails until a retry finds it", u.use.puts(), u.ns, def, def),
							Hint: fmt.Sprintf("add %s to dependsOn of %s", def, run.app.Name)})
					}
				}
			}
		}
	}

	// The plain-secret gate. With no secret to look for (the usual case)
	// there is nothing to find.
	if !rd.Empty() {
		permit := r.permit(res)
		for _, run := range runs {
			for _, o := range run.objs {
				found, err := secretgate.Object(rd, o.Node, permit)
				if err != nil {
					errs = append(errs, forApp(run.app.Name, err))
					continue
				}
				if len(found) == 0 {
					continue
				}
				// The field's path may pass through a Secret's key that
				// is no valid key, which may be a password.
				errs = append(errs, validate.HideSecretKeys(o, []error{plainSecretError(res, run.app.Name, o, found, permit != nil)})...)
			}
		}
	}
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return errs
}

// permit is what the plain-secret gate lets through in env res: Secret
// data when the env sets allowPlainSecrets: true, or when it has sops:
// (encryptSecrets then encrypts those Secrets and checks that no value
// stays readable); nothing otherwise.
func (r *Renderer) permit(res *envconfig.Resolved) secretgate.Permit {
	if res.AllowPlainSecrets || res.SOPS != nil {
		return secretgate.PlainSecrets
	}
	return nil
}

// plainSecretError names the secret vars found in o and where, never
// their values.
func plainSecretError(res *envconfig.Resolved, app string, o templates.Object, found []secretgate.Finding, allowed bool) error {
	names := make([]string, len(found))
	var fields []string
	line := o.Line
	for i, f := range found {
		names[i] = f.Name
		if f.Field != "" {
			if len(fields) == 0 {
				// At the first field's key: the object's first
				// line may be screens above it.
				line = o.LineOf(f.Node)
			}
			fields = append(fields, f.Field)
		}
	}
	msg := fmt.Sprintf("contains the value of secret var %s (raw or encoded)", strings.Join(names, ", "))
	if len(fields) > 0 {
		msg += " in " + strings.Join(fields, ", ")
	}
	hint := fmt.Sprintf("keep secret values out of the hydrated tree (reference a Secret managed elsewhere), "+
		"or put them into the data or stringData of a v1 Secret and set allowPlainSecrets: true in the %s env file", res.Env.Name)
	if allowed {
		hint = "allowPlainSecrets lets secret values into the data and stringData of v1 Secrets only; move the value there, or out of the hydrated tree"
	}
	return &diag.Error{File: o.File, Line: line, App: app, Object: objRef(o), Msg: msg, Hint: hint}
}

// checkFiles is the gate's last look, at every file of the tree that is not
// a hydrated object (those were checked field by field): kiln.lock.json,
// the Flux Kustomizations, kustomization.yaml and the high-level files,
// whose parameters are masked before they are written. A value found there
// is a bug in kiln; refusing the tree keeps it out of the manifests
// repository all the same.
func checkFiles(rd *redact.Redactor, files tree.Files, objects map[string]string) []error {
	if rd.Empty() {
		return nil
	}
	var errs []error
	for _, p := range tree.SortedKeys(files) {
		if _, ok := objects[p]; ok {
			continue
		}
		if names := rd.FoundBytes(files[p]); len(names) > 0 {
			errs = append(errs, &diag.Error{
				Msg:  fmt.Sprintf("output file %s would hold the value of secret var %s", p, strings.Join(names, ", ")),
				Hint: "this is a bug in kiln: the file should have been masked; please report it (without the value)"})
		}
	}
	return errs
}

// servedHealthChecks refuses each of app's flux.healthChecks whose
// group and kind the env's Kubernetes does not serve in any version
// (extensions/v1beta1 Deployment, a kind its group does not have):
// kustomize-controller cannot look such an object up, so the check fails
// every reconcile until the Kustomization times out, and the gate never
// opens. A check written with a version no longer served (apps/v1beta1
// Deployment) of a group and kind still served is a warning: Flux looks
// the object up by group and kind alone, in the version the cluster
// prefers, so the check works, but the entry names an API the cluster
// does not have. A check without apiVersion takes its object's.
func servedHealthChecks(venv *validate.Env, app envconfig.ResolvedApp) ([]error, []diag.Warning) {
	var errs []error
	var warns []diag.Warning
	for i, hc := range app.Flux.HealthChecks {
		if hc.APIVersion == "" {
			continue
		}
		msg, hint := venv.ServedError(hc.APIVersion, hc.Kind)
		if msg == "" {
			continue
		}
		file := hc.File
		if file == "" {
			file = "kiln.yaml"
		}
		if venv.KindServed(group(hc.APIVersion), hc.Kind) {
			warns = append(warns, diag.Warning{File: file, Line: hc.Line, App: app.Name,
				Msg:  fmt.Sprintf("flux.healthChecks[%d] (%s %s): %s; Flux looks the object up by group and kind alone, so the check works, in the version the cluster serves", i, hc.Kind, hc.Name, msg),
				Hint: hint})
			continue
		}
		errs = append(errs, &diag.Error{File: file, Line: hc.Line, App: app.Name,
			Msg:  fmt.Sprintf("flux.healthChecks[%d] (%s %s): %s, so the check could never pass", i, hc.Kind, hc.Name, msg),
			Hint: hint})
	}
	return errs, warns
}

// keptWithoutNamespace refuses the objects of a kept app (--app, or a
// rendered tree checked again) that have no namespace although their kind
// is namespaced in the env now: the render that wrote them left them
// without one because a CRD of that time made the kind cluster-scoped, and
// a CRD of the env now (a rendered app's, or validation.crds) makes it
// namespaced. A render now gives them the app's namespace; kept as they
// are, the tree would hold a namespaced object without a namespace, which
// no render writes and Flux cannot apply as the app means it.
func keptWithoutNamespace(scopes *scope.Scopes, run *appRun, recheck bool) []error {
	if scopes == nil || run.app.Namespace == "" {
		return nil
	}
	hint := fmt.Sprintf("render it too (--app %s), or the whole env", run.app.Name)
	if recheck {
		hint = "render the env again: a CRD of the env now makes the kind namespaced"
	}
	var errs []error
	for _, o := range run.objs {
		n := o.Node
		if n == nil || o.Raw != nil || n.GetNamespace() != "" || !scopes.Namespaced(n.GetApiVersion(), n.GetKind()) {
			continue
		}
		errs = append(errs, &diag.Error{File: o.File, Line: o.Line, App: run.app.Name, Object: objRef(o),
			Msg: fmt.Sprintf("kept from an earlier render without a namespace, but kind %s (%s) is namespaced in the env now: a render gives it namespace %s",
				n.GetKind(), n.GetApiVersion(), run.app.Namespace),
			Hint: hint})
	}
	return errs
}

// appChecks is what checkApp found in one app.
type appChecks struct {
	errs    []error
	warns   []diag.Warning
	guessed []string // kinds a shard gave a namespace without their CRD
	// ratcheted are those of warns that ratcheted made.
	ratcheted []diag.Warning
}

// checkApp runs the per-app steps of finishEnv on run once every app's
// engine is done: the scope warnings, the YAML restyling, the namespaces,
// the warnings about versions, fields and Jobs, and validation.
// recheck and assumed are finishEnv's (envMode); sharding says the render
// is a shard's, whose scope guesses Merge judges.
//
// It changes only run's objects and reads the env's scopes and schemas,
// both safe for concurrent use, so that finishEnv checks apps side by
// side. Once ctx ends, validation stops (validate.ErrStopped).
func (r *Renderer) checkApp(ctx context.Context, venv *validate.Env, applied *appliedTree, scopes *scope.Scopes, res *envconfig.Resolved, run *appRun, recheck, sharding bool, assumed map[string]bool) appChecks {
	var c appChecks
	if err := ctx.Err(); err != nil {
		// Stopped before the app's turn: its error names it all the same.
		c.errs = append(c.errs, validate.Stopped(run.app.Name, err))
		return c
	}
	if run.kept != nil {
		// Before SetDefault below (recheck) could give them one.
		c.errs = append(c.errs, keptWithoutNamespace(scopes, run, recheck)...)
	}
	if run.kept != nil && !recheck {
		// As the earlier render wrote it (namespaces given), but the CRDs
		// it was checked against may have changed with a rendered app or
		// validation.crds: it is checked against those of the tree that is
		// written, as a full render would. Objects already found clean
		// cost a lookup.
		warns, err := ratcheted(ctx, venv, applied, run.app.Name, run.objs, validateObjects(ctx, venv, run.app.Name, run.objs))
		if err != nil {
			c.errs = append(c.errs, err)
		}
		c.warns, c.ratcheted = append(c.warns, warns...), warns
		return c
	}
	if sharding {
		// Another shard may hold the kind's CRD: Merge warns about the
		// kinds no CRD of the env defines.
		c.guessed = assumedNamespaced(scopes, run.objs)
	} else {
		c.warns = append(c.warns, guessedScope(scopes, venv, run, assumed)...)
	}
	snap := snapshotSOPS(run.objs)
	quoteTimestamps(run.objs)
	keepScalars(run.objs)
	run.namespaced = scopes.SetDefault(run.objs, run.app.Namespace)
	// After SetDefault, so that they name each object with the namespace
	// it is written with, as validation's errors do: none of them reads
	// the namespace.
	c.warns = append(c.warns, deprecatedAPIs(venv, run)...)
	c.warns = append(c.warns, droppedFields(venv, run)...)
	c.warns = append(c.warns, offByDefaultAPIs(venv, run)...)
	if res != nil {
		c.warns = append(c.warns, unsubstituted(res.Vars, run)...)
	}
	c.warns = append(c.warns, engineWarnings(run)...)
	c.warns = append(c.warns, rerunJobs(r.appInterval(&run.app), run)...)
	c.warns = append(c.warns, longStatefulSetNames(run)...)
	if r.appWaits(&run.app) {
		c.errs = append(c.errs, neverReadyUnderWait(run)...)
	}
	if ch := snap.changed(run.objs, run.objs); len(ch) > 0 {
		c.errs = append(c.errs, namespacedSOPSErrors(run.app.Name, run.app.Namespace, ch))
		return c
	}
	// Ratcheting judges the errors where validation put them; those
	// left are then placed in a chart's defines or a Jsonnet library.
	warns, err := ratcheted(ctx, venv, applied, run.app.Name, run.objs, validateObjects(ctx, venv, run.app.Name, run.objs))
	if err != nil {
		c.errs = append(c.errs, inLibraries(r.p.Root, run, inDefines(r.p.Root, run, err)))
	}
	c.warns, c.ratcheted = append(c.warns, warns...), warns
	return c
}

// heldObject is a Flux object that something besides the apps'
// Kustomizations applies: the bootstrap Kustomization, or whatever made
// kiln's source. In an app's output as well, it would have two owners,
// each applying its own copy in turn, and either one's prune delete it.
type heldObject struct {
	msg, hint string
	// applied: only a copy kustomize-controller applies counts
	// (flux.NotApplied).
	applied bool
	// pruned: only a copy the app's Kustomization would garbage-collect
	// counts (flux.prune on, and no kustomize.toolkit.fluxcd.io/prune:
	// disabled on the copy).
	pruned bool
}

// heldOutsideApps returns the objects no app's output may hold in env
// res, by objectKey: the Flux objects kiln writes into flux/, kiln's
// source (flux.sourceRef) and the bootstrap Kustomization.
func (r *Renderer) heldOutsideApps(res *envconfig.Resolved) map[string]heldObject {
	fluxNS := r.p.Flux.Namespace
	held := map[string]heldObject{}
	kilnWrites := func(file string) heldObject {
		return heldObject{msg: fmt.Sprintf("is also %s, which kiln writes and the bootstrap Kustomization applies", file),
			hint: "two Kustomizations must not own one object: drop it from the app's output, or rename it (kiln's own are named by flux.name, and kiln-<env>-commit-status and kiln-<env>-dispatch, in flux.namespace)"}
	}
	for _, a := range res.Apps {
		held[objectKey(kustomizeGroup, "Kustomization", fluxNS, r.p.FluxName(a.Name, res.Env.Name))] = kilnWrites(tree.FluxFile(a.Name))
	}
	if nt := r.p.Notifications; nt != nil {
		var names []string
		if nt.CommitStatus {
			names = append(names, flux.CommitStatusName(res.Env.Name))
		}
		if nt.Dispatch != "" {
			names = append(names, flux.DispatchName(res.Env.Name))
		}
		for _, name := range names {
			for _, kind := range []string{"Provider", "Alert"} {
				held[objectKey("notification.toolkit.fluxcd.io", kind, fluxNS, name)] = kilnWrites(notificationsFile)
			}
		}
	}
	// Every Kustomization kiln writes lives in flux.namespace and is of
	// Flux's Kustomization kind, so both existed before any app applied
	// anything (flux bootstrap writes them in flux/<ns>/gotk-components.yaml).
	// An app's copy makes its Kustomization an owner too; when that one
	// drops it (the app removed, disabled, renamed, or the object left
	// out), its prune deletes it: the namespace takes every Kustomization
	// kiln writes with it, the CRD every Kustomization of the cluster,
	// and each of their finalizers prunes its app's objects.
	ownedBy := func(owner string) string {
		return "remove it from the app's output: " + owner + " owns it, and the app's objects need no copy of it " +
			"(or, to keep it, annotate it kustomize.toolkit.fluxcd.io/prune: disabled, which Flux's garbage collection leaves alone)"
	}
	foundation := heldObject{applied: true, pruned: true,
		hint: ownedBy(fmt.Sprintf("Flux's installation (flux bootstrap's flux/%s/gotk-components.yaml)", fluxNS))}
	nsHeld := foundation
	nsHeld.msg = "is flux.namespace, the namespace every Kustomization kiln writes lives in, which existed before the app applied anything: " +
		"the app and Flux's installation would both apply it, and when the app's Kustomization drops it (the app removed, disabled or renamed, or the Namespace left out) " +
		"its prune deletes the namespace, every Kustomization kiln writes with it, and with each of them, through its finalizer, its app's objects"
	held[objectKey("", "Namespace", "", fluxNS)] = nsHeld
	crdHeld := foundation
	crdHeld.msg = "is the CustomResourceDefinition of Flux's Kustomization, the kind of every Kustomization kiln writes, which existed before the app applied anything: " +
		"the app and Flux's installation would both apply it, and when the app's Kustomization drops it (the app removed, disabled or renamed, or the CRD left out) " +
		"its prune deletes the CRD, every Kustomization of the cluster with it, and with each of them, through its finalizer, its objects"
	held[objectKey("apiextensions.k8s.io", "CustomResourceDefinition", "", "kustomizations."+kustomizeGroup)] = crdHeld
	// Every Kustomization kiln writes reads the env from its source, the
	// app's own included: so the source existed before the app's
	// Kustomization applied anything, made by flux bootstrap or by hand.
	// An app's copy could point every app at another repository or
	// branch, and removing the app would prune the source of them all.
	src := r.sourceRef()
	named := "kiln's default flux.sourceRef"
	if r.p.Flux.SourceRefLine != 0 {
		named = fmt.Sprintf("flux.sourceRef (%s:%d)", r.configFile(), r.p.Flux.SourceRefLine)
	}
	held[objectKey(sourceGroup, src.Kind, src.Namespace, src.Name)] = heldObject{applied: true,
		msg: fmt.Sprintf("is the source %s names, from which every Kustomization kiln writes reads the env, the app's own included: it existed before the app applied anything, "+
			"so the app and whatever made it would both apply it, the app's copy could point every app at another repository or branch, and removing the app would prune the source of them all", named),
		hint: "remove it from the app's output: kiln's Kustomizations read it, and flux bootstrap (or whoever made it) owns it"}
	if src.Namespace != fluxNS {
		// The source's namespace, when it is not flux.namespace (held
		// above), existed before the source did: an app's copy pruned
		// takes the source with it, and every app's Kustomization stops
		// applying (Flux's controllers too, in flux bootstrap's own).
		srcNS := foundation
		srcNS.msg = fmt.Sprintf("is the namespace of the source %s names, from which every Kustomization kiln writes reads the env, which existed before the app applied anything: "+
			"the app and whoever made it would both apply it, and when the app's Kustomization drops it (the app removed, disabled or renamed, or the Namespace left out) "+
			"its prune deletes the namespace and the source with it, and no app's Kustomization applies anything after", named)
		srcNS.hint = ownedBy("flux bootstrap (or whoever made the source)")
		held[objectKey("", "Namespace", "", src.Namespace)] = srcNS
	}
	// The bootstrap Kustomization: every app's Kustomization depends on
	// the one flux.bootstrap names; without it, the one flux bootstrap
	// makes for itself applies flux/ all the same, named after its
	// namespace (flux/<namespace>/gotk-sync.yaml), as the app-name rule
	// of checkEnv assumes.
	if ns, name, ok := r.p.BootstrapKustomization(res.Env.Name); ok {
		held[objectKey(kustomizeGroup, "Kustomization", ns, name)] = heldObject{applied: true,
			msg: fmt.Sprintf("is the Kustomization flux.bootstrap (%s:%d) names, which every app's Kustomization depends on: the app's waits for it before it applies anything, "+
				"so the app never creates it, and where it exists already the app and the bootstrap would both apply it, and either one's prune delete it", r.configFile(), r.p.Flux.Bootstrap.Line),
			hint: "drop it from the app's output (flux bootstrap makes and applies its own Kustomization), or make flux.bootstrap name the Kustomization that applies the env's flux/ folder (flux get kustomizations -A lists it)"}
	} else {
		held[objectKey(kustomizeGroup, "Kustomization", fluxNS, fluxNS)] = heldObject{applied: true,
			msg: fmt.Sprintf("is the Kustomization flux bootstrap makes for itself (named after its namespace, in flux/%s/gotk-sync.yaml), which applies the env's flux/ folder: "+
				"the app's copy would replace its spec, so that it stops applying flux/ and prunes kiln's Kustomizations, and the app and the bootstrap would both apply it, and either one's prune delete it", fluxNS),
			hint: "remove it from the app's output: flux bootstrap owns it; if another Kustomization applies the env's flux/ folder, name that one in flux.bootstrap"}
	}
	return held
}
