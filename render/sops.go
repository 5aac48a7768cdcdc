package render

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/internal/redact"
	"github.com/kiln-gitops/kiln/internal/sopsyaml"
	"github.com/kiln-gitops/kiln/internal/words"
	"github.com/kiln-gitops/kiln/render/internal/secretgate"
	"github.com/kiln-gitops/kiln/render/internal/yamlenc"
	"github.com/kiln-gitops/kiln/templates"

	"github.com/kiln-gitops/kiln/internal/carry"
)

// SOPS-encrypted documents pass through kiln byte for byte: their MAC
// covers every value, encrypted or not, so any change kiln made (a
// namespace, a patch, an image tag) would make Flux's decryption fail with
// a MAC mismatch. The steps below find the changes kiln would have to make
// and refuse them instead.

const hintBeforeEncrypting = "make the change in the document before encrypting it with sops (sops --encrypt), or keep the change away from this object"

// markSOPS gives every SOPS document an engine produced without its bytes
// (jsonnet builds objects, not text) the engine's serialisation as Raw.
func markSOPS(objs []templates.Object) {
	for i, o := range objs {
		if o.Raw == nil && objects.IsSOPS(o.Node) {
			objs[i].Raw = []byte(o.Node.MustString())
		}
	}
}

// sopsSnapshot remembers the serialisation of each SOPS object, by Raw's
// identity, so a later step can tell whether it changed one.
type sopsSnapshot map[*byte]string

func snapshotSOPS(objs []templates.Object) sopsSnapshot {
	s := sopsSnapshot{}
	for _, o := range objs {
		if len(o.Raw) > 0 {
			s[&o.Raw[0]] = o.Node.MustString()
		}
	}
	return s
}

// changed returns the SOPS objects of objs that differ from the snapshot
// or are missing from objs (deleted by a patch).
func (s sopsSnapshot) changed(before, after []templates.Object) []templates.Object {
	var out []templates.Object
	seen := map[*byte]bool{}
	for _, o := range after {
		if len(o.Raw) == 0 {
			continue
		}
		seen[&o.Raw[0]] = true
		if prev, ok := s[&o.Raw[0]]; ok && prev != o.Node.MustString() {
			out = append(out, o)
		}
	}
	for _, o := range before {
		if len(o.Raw) > 0 && !seen[&o.Raw[0]] {
			out = append(out, o)
		}
	}
	return out
}

// patchedSOPSErrors names each SOPS object an env patch changed.
func patchedSOPSErrors(app envconfig.ResolvedApp, objs []templates.Object) error {
	var errs []error
	where := "an env patch"
	if len(app.Patches) > 0 {
		p := app.Patches[0]
		where = fmt.Sprintf("an env patch (%s:%d)", p.File, p.Line)
		if len(app.Patches) > 1 {
			where = fmt.Sprintf("an env patch (from %s:%d on)", p.File, p.Line)
		}
	}
	for _, o := range objs {
		errs = append(errs, &diag.Error{File: o.File, Line: o.Line, App: app.Name, Object: objRef(o),
			Msg:  fmt.Sprintf("is SOPS-encrypted, and %s would change it: a change after encryption breaks its MAC", where),
			Hint: hintBeforeEncrypting})
	}
	return diag.Join(errs...)
}

// imagedSOPSErrors names each SOPS object whose image CI's tags would change.
func imagedSOPSErrors(app string, objs []templates.Object) error {
	var errs []error
	for _, o := range objs {
		errs = append(errs, &diag.Error{File: o.File, Line: o.Line, App: app, Object: objRef(o),
			Msg:  "is SOPS-encrypted, and the image tags CI gave (--image, --images, KILN_IMAGES) would change it: a change after encryption breaks its MAC",
			Hint: "set the image tag in the document before encrypting it with sops, or leave this image out of CI's image list"})
	}
	return diag.Join(errs...)
}

// namespacedSOPSErrors names each SOPS object that setting the app's
// default namespace changed.
func namespacedSOPSErrors(app, namespace string, objs []templates.Object) error {
	var errs []error
	for _, o := range objs {
		ref := objRef(o)
		ref.Namespace = "" // the one kiln set, not the document's
		errs = append(errs, &diag.Error{File: o.File, Line: o.Line, App: app, Object: ref,
			Msg: fmt.Sprintf("is SOPS-encrypted and has no metadata.namespace: kiln would set the app's namespace %s, "+
				"and a change after encryption breaks its MAC", namespace),
			Hint: fmt.Sprintf("add namespace: %s to its metadata before encrypting it with sops", namespace)})
	}
	return diag.Join(errs...)
}

// rawOf returns what kiln writes for o: Raw for a SOPS document, else the
// serialised node, as kyaml's RNode.String writes it (yamlenc: the same
// bytes, in a fraction of the time for a large CRD).
func rawOf(o templates.Object) ([]byte, error) {
	if o.Raw != nil {
		return o.Raw, nil
	}
	if o.Node == nil || o.Node.Document() == nil {
		return []byte{}, nil
	}
	b, err := yamlenc.Encode(o.Node.Document())
	// Rare enough to look for in the text rather than walk every node of
	// every object first.
	if err == nil && bytes.Contains(b, []byte("!!merge")) && objects.PlainMergeValues(o.Node.Document()) {
		return yamlenc.Encode(o.Node.Document())
	}
	return b, err
}

// raw is rawOf's result for one object.
type raw struct {
	data []byte
	err  error
}

// rawsOf serialises objs in parallel (up to GOMAXPROCS at once): encoding
// YAML is most of what laying out a large chart costs.
func rawsOf(objs []templates.Object) []raw {
	out := make([]raw, len(objs))
	carry.Each(len(objs), func(i int) { out[i].data, out[i].err = rawOf(objs[i]) })
	return out
}

// sameSOPS reports whether raw still parses to the object kiln holds; a
// guard for the writer, should a step change a SOPS object unnoticed.
func sameSOPS(o templates.Object) bool {
	objs, err := objects.Parse(o.Raw, o.File, 0)
	if err != nil || len(objs) != 1 {
		return false
	}
	return objs[0].Node.MustString() == o.Node.MustString()
}

// encryptSecrets encrypts, with SOPS, every Secret of the env that holds
// a secret var's value, to the env file's recipients: any form the
// redactor finds, or a whole value equal to a secret too short for it;
// and every Secret of a jsonnet app, which is given every secret var.
// With the age key (Options.SOPSIdentities), a Secret whose plaintext the
// earlier tree already holds keeps its bytes; a changed one is encrypted
// anew (encryptOne says why). Without the key every such Secret is
// encrypted anew; one warning says why its files change.
func (r *Renderer) encryptSecrets(res *envconfig.Resolved, rd *redact.Redactor, runs []*appRun, warns *[]diag.Warning, sealed *[]string) []error {
	short := shortValues(res.Secrets)
	if rd.Empty() && len(short) == 0 {
		return nil
	}
	earlier := r.earlierSOPS(res.Env.Name)
	opts := sopsyaml.Options{Age: res.SOPS.Age, PGP: res.SOPS.PGP, EncryptedRegex: res.SOPS.EncryptedRegex, Now: time.Unix(0, 0)}
	if r.opts.Now != nil {
		opts.Now = r.opts.Now()
	}
	var errs []error
	churned := 0
	for _, run := range runs {
		if run.kept != nil {
			continue
		}
		// A jsonnet app is given every secret var and can make of them what
		// no redactor recognises (std.asciiUpper, a slice, a format of
		// several): each Secret it renders is encrypted, found or not. A
		// yaml app inserts a value whole, as the redactor's forms know it.
		derived := run.app.Engine == envconfig.EngineJsonnet
		for i, o := range run.objs {
			if o.Raw != nil || !secretgate.IsSecret(o.Node) {
				continue
			}
			found, err := secretgate.Object(rd, o.Node, nil)
			if err != nil || len(found) == 0 && !derived && !holdsShort(o.Node, short) {
				continue
			}
			if objects.DecryptDisabled(o.Node.YNode()) {
				errs = append(errs, decryptDisabledError(run.app.Name, o, found, derived))
				continue
			}
			if err := readableLastApplied(run.app.Name, o); err != nil {
				errs = append(errs, err)
				continue
			}
			// Read before the node is encrypted: EnvResult.Sealed.
			values := objects.SecretValues(o.Node)
			id := run.app.Name + "/" + o.Node.GetNamespace() + "/" + o.Node.GetName()
			raw, kept, err := r.encryptOne(o, earlier[id], opts)
			if err != nil {
				errs = append(errs, &diag.Error{File: o.File, Line: o.Line, App: run.app.Name, Object: objRef(o),
					Msg: "cannot encrypt with SOPS: " + rd.String(err.Error()), Hint: "check sops: in the env file"})
				continue
			}
			if !kept && earlier[id] != nil && len(r.ids) == 0 {
				churned++
			}
			enc, err := objects.Parse(raw, o.File, 0)
			found = nil
			if err == nil && len(enc) == 1 {
				// Field by field, as the gate reads objects, and not in
				// the text alone: the emitter may write a value in no
				// form the redactor knows (U+2028 makes a single-quoted
				// scalar over two lines, the second indented).
				found, err = secretgate.Object(rd, enc[0].Node, nil)
			}
			if err != nil || len(enc) != 1 {
				// The parser's text may quote the ciphertext: kept as the
				// cause, never printed.
				errs = append(errs, &diag.Error{File: o.File, Line: o.Line, App: run.app.Name, Object: objRef(o),
					Msg: fmt.Sprintf("cannot read back the Secret kiln encrypted (%s)", words.Count(len(enc), "document")), Err: err,
					Hint: "this is a bug in kiln: please report it with kiln version and the env file's sops: settings"})
				continue
			}
			names := rd.FoundBytes(raw)
			for _, f := range found {
				names = append(names, f.Name)
			}
			slices.Sort(names)
			if names = slices.Compact(names); len(names) > 0 {
				errs = append(errs, &diag.Error{File: o.File, Line: o.Line, App: run.app.Name, Object: objRef(o),
					Msg:  fmt.Sprintf("holds the value of secret var %s in a field sops.encryptedRegex (%s) leaves readable", strings.Join(names, ", "), res.SOPS.EncryptedRegex),
					Hint: "put secret values only under data or stringData, or widen sops.encryptedRegex in the env file"})
				continue
			}
			run.objs[i].Node, run.objs[i].Raw = enc[0].Node, raw
			*sealed = append(*sealed, values...)
		}
	}
	if churned > 0 {
		*warns = append(*warns, diag.Warning{
			Msg: fmt.Sprintf("env %s: %d SOPS-encrypted Secret(s) were encrypted anew and their files change although their values may not: "+
				"kiln has no age key to compare them with the earlier ones", res.Env.Name, churned),
			Hint: "give kiln the age private key in SOPS_AGE_KEY or SOPS_AGE_KEY_FILE (as sops reads them) to keep unchanged Secrets byte for byte"})
	}
	return errs
}

// decryptDisabledError refuses to encrypt a Secret that tells
// kustomize-controller not to decrypt it: kiln encrypts for Flux to
// decrypt, and applied encrypted the Secret would hold the ciphertext,
// which the API server refuses (its sops field, a data value that is no
// base64). found are the secret vars it holds; derived, that it is a
// jsonnet app's, all of whose Secrets kiln encrypts.
func decryptDisabledError(app string, o templates.Object, found []secretgate.Finding, derived bool) error {
	why := "it holds a value equal to a secret var too short to search for"
	switch {
	case len(found) > 0:
		names := make([]string, len(found))
		for i, f := range found {
			names[i] = f.Name
		}
		why = "it holds the value of secret var " + strings.Join(names, ", ")
	case derived:
		why = "kiln encrypts every Secret of a jsonnet app in an env with sops: and secret vars"
	}
	key, _ := objects.Annotation(o.Node.YNode(), objects.DecryptAnnotation)
	return &diag.Error{File: o.File, Line: o.LineOf(key), App: app, Object: objRef(o),
		Msg: fmt.Sprintf("kiln would encrypt this Secret with SOPS (%s), but its annotation %s: disabled tells kustomize-controller not to decrypt it: "+
			"the cluster would get the ciphertext, which the API server refuses in a v1 Secret", why, objects.DecryptAnnotation),
		Hint: "remove the annotation: kiln encrypts a Secret for Flux to decrypt; or keep secret values out of this Secret"}
}

// shortValues are the values of secrets too short for the redactor to
// search for (redact.TooShort), trimmed, the empty one left out.
func shortValues(secrets map[string]string) map[string]bool {
	out := map[string]bool{}
	for _, v := range secrets {
		if t := strings.TrimSpace(v); t != "" && redact.TooShort(v) {
			out[t] = true
		}
	}
	return out
}

// holdsShort reports whether a value of the Secret n's data (decoded) or
// stringData is, trimmed, one of short. The redactor cannot search for a
// value that short (it would match everywhere), but a whole Secret value
// equal to it is most likely the secret var, and writing it readable in an
// env that encrypts would put it in git: encrypting a Secret that did not
// need it costs nothing.
func holdsShort(n *kyaml.RNode, short map[string]bool) bool {
	if len(short) == 0 {
		return false
	}
	c := n.YNode().Content
	for i := 0; i+1 < len(c); i += 2 {
		field, m := c[i].Value, c[i+1]
		if field != "data" && field != "stringData" || m.Kind != kyaml.MappingNode {
			continue
		}
		for j := 1; j < len(m.Content); j += 2 {
			v := m.Content[j].Value
			if field == "data" {
				b, err := base64.StdEncoding.DecodeString(v)
				if err != nil {
					continue
				}
				v = string(b)
			}
			if short[strings.TrimSpace(v)] {
				return true
			}
		}
	}
	return false
}

// encryptOne returns o encrypted, or one of before (its earlier
// encryptions, most preferred first) when the age key shows that one's
// plaintext unchanged (kept).
//
// A changed Secret is encrypted with a new data key, never with the
// earlier file's (sopsyaml.Options.Reuse): before comes from branches
// anyone who can push to the manifests repository writes, and the data key
// of a file there may be one they chose and wrapped to the env's public
// recipients; reusing it would let them decrypt the new values. Keeping
// an unchanged file whole gives them nothing: its values are the ones its
// author encrypted. Reviews still show which values changed: with the key
// they compare plaintext (promote/internal/sopsreview).
func (r *Renderer) encryptOne(o templates.Object, before [][]byte, opts sopsyaml.Options) (raw []byte, kept bool, err error) {
	if len(r.ids) > 0 {
		for _, b := range before {
			p, err := sopsyaml.Decrypt(b, r.ids)
			if err != nil {
				continue
			}
			if p.Same(o.Node.YNode(), opts) {
				return b, true, nil
			}
		}
	}
	raw, err = sopsyaml.Encrypt(o.Node.YNode(), opts)
	return raw, false, err
}

// earlierSOPS returns the SOPS documents of the env's pending tree
// (Options.Pending) and earlier tree (Options.Earlier), in that order, by
// app/namespace/name; none when there are no such trees.
func (r *Renderer) earlierSOPS(env string) map[string][][]byte {
	out := map[string][][]byte{}
	for _, tree := range []func(string) (map[string][]byte, error){r.opts.Pending, r.opts.Earlier} {
		if tree == nil {
			continue
		}
		files, err := tree(env)
		if err != nil {
			continue // no such tree: nothing to keep from it
		}
		for p, data := range files {
			parts := strings.Split(p, "/")
			if len(parts) != 3 || parts[0] != "apps" || !bytes.Contains(data, []byte("\nsops:")) {
				continue
			}
			objs, err := objects.Parse(data, p, 0)
			if err != nil || len(objs) != 1 || objs[0].Raw == nil {
				continue
			}
			n := objs[0].Node
			id := parts[1] + "/" + n.GetNamespace() + "/" + n.GetName()
			out[id] = append(out[id], objs[0].Raw)
		}
	}
	return out
}

var encValue = regexp.MustCompile(`ENC\[AES256_GCM,[^\]]*\]`)

// sameEncrypted reports whether two renders of one SOPS-encrypted object
// hold the same thing. SOPS encryption is randomised, so their bytes differ
// whenever kiln encrypted anew. With the age key the plaintexts are
// compared; without it, everything but the ciphertexts and the sops
// metadata is.
func (r *Renderer) sameEncrypted(a, b []byte) bool {
	if !bytes.Contains(a, []byte("\nsops:")) || !bytes.Contains(b, []byte("\nsops:")) {
		return false
	}
	if len(r.ids) > 0 {
		pa, errA := sopsyaml.Decrypt(a, r.ids)
		pb, errB := sopsyaml.Decrypt(b, r.ids)
		if errA == nil && errB == nil {
			return pa.Equal(pb)
		}
	}
	strip := func(doc []byte) string {
		objs, err := objects.Parse(doc, "", 0)
		if err != nil || len(objs) != 1 || objs[0].Raw == nil {
			return "\x00invalid"
		}
		n := objs[0].Node.Copy()
		_ = n.PipeE(kyaml.Clear("sops"))
		return encValue.ReplaceAllString(n.MustString(), "ENC[…]")
	}
	return strip(a) == strip(b)
}

// KeepCiphertext returns files, an env's tree rendered elsewhere (kiln
// promote --rendered), with each SOPS-encrypted object file replaced by the
// same file of the first of earlier (most preferred first) that the age
// identities decrypt to the same plaintext, recipients and rule, and the
// lock's digests of the apps concerned computed again (over the files
// with rd's secret values masked, as a render computes them). It is what
// the render would have written had it been given those trees as
// Options.Pending and Earlier: an unchanged Secret keeps its ciphertext.
// Without identities, or when nothing is kept, files come back as they
// are. kept counts the files replaced.
//
// rd is nil when the env's secret vars cannot all be read (a promoting job
// without them). An app none of whose object files holds a secret var's
// value (no SecretFiles) then gets digests all the same, masking nothing;
// an app with one keeps its new ciphertexts, since an output digest
// computed without masking its secret values would publish a hash of them.
func KeepCiphertext(files map[string][]byte, identities string, rd *redact.Redactor, earlier ...map[string][]byte) (out map[string][]byte, kept int, err error) {
	if strings.TrimSpace(identities) == "" {
		return files, 0, nil
	}
	ids, err := parseIdentities(identities)
	if err != nil {
		return nil, 0, err
	}
	lock, err := ParseLock(files[LockFile])
	if err != nil {
		return nil, 0, err
	}
	out = make(map[string][]byte, len(files))
	apps := map[string]bool{}
	for p, data := range files {
		out[p] = data
		parts := strings.Split(p, "/")
		if len(parts) != 3 || parts[0] != "apps" || parts[2] == "kustomization.yaml" || !bytes.Contains(data, []byte("\nsops:")) {
			continue
		}
		if la, ok := lock.Apps[parts[1]]; !ok || (rd == nil && len(la.SecretFiles) > 0) {
			continue
		}
		pn, err := sopsyaml.Decrypt(data, ids)
		if err != nil {
			continue
		}
		for _, tree := range earlier {
			before, ok := tree[p]
			if !ok {
				continue
			}
			if bytes.Equal(before, data) {
				break // the same bytes already
			}
			// Only the encrypted object, as the render keeps one
			// (earlierSOPS): sops reads a file's first document, so a
			// file of these branches with an object appended after it
			// decrypts the same, and kept whole it would put that object
			// into the tree after the tree was checked.
			objs, err := objects.Parse(before, p, 0)
			if err != nil || len(objs) != 1 || objs[0].Raw == nil {
				continue
			}
			before = objs[0].Raw
			if pb, err := sopsyaml.Decrypt(before, ids); err == nil && pb.Equal(pn) {
				out[p] = before
				apps[parts[1]] = true
				kept++
				break
			}
		}
	}
	if kept == 0 {
		return files, 0, nil
	}
	for app := range apps {
		la := lock.Apps[app]
		dir := "apps/" + app + "/"
		appFiles := map[string][]byte{}
		for p, data := range out {
			if rest, ok := strings.CutPrefix(p, dir); ok && rest != "kustomization.yaml" && !strings.Contains(rest, "/") {
				appFiles[rest] = data
			}
		}
		setOutputDigests(&la, appFiles, rd)
		lock.Apps[app] = la
	}
	lj, err := lockFile(lock)
	if err != nil {
		return nil, 0, err
	}
	out[LockFile] = lj
	return out, kept, nil
}

// parseIdentities reads the age identities of SOPS_AGE_KEY(_FILE).
func parseIdentities(identities string) (sopsyaml.Identities, error) {
	ids, err := sopsyaml.ParseIdentities(identities)
	if err != nil {
		// ParseIdentities's error quotes nothing of the key.
		return nil, &diag.Error{Msg: "the SOPS age key (SOPS_AGE_KEY or SOPS_AGE_KEY_FILE) cannot be read: " + err.Error(),
			Hint: "give the age identities as age-keygen writes them: AGE-SECRET-KEY-1… lines, # comments"}
	}
	return ids, nil
}
