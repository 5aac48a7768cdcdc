package render

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/render/internal/secretgate"
	"github.com/kiln-gitops/kiln/render/internal/validate"
	"github.com/kiln-gitops/kiln/templates"
)

// A jsonnet app is given every secret var, and a program can transform
// one past what the gate recognises (std.asciiUpper, a slice, a format of
// several): the redactor finds a value and its encodings, not
// computations. So such an app is rendered a second time with every
// secret var replaced by another value of the same shape, and what
// changes is what was computed from them: a field of the output (refused
// as the gate refuses a value, where the gate would let the value
// through), or the text of an error (withheld).

// maxComputedFields bounds the fields one object's error names.
const maxComputedFields = 5

// otherValue returns a value of s's shape that differs from it wherever s
// has a letter or a digit: letters rotated by 13, digits by 5, everything
// else kept, so that lengths, separators and character classes, which a
// program may test or split on, stay as they were.
func otherValue(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return 'a' + (r-'a'+13)%26
		case r >= 'A' && r <= 'Z':
			return 'A' + (r-'A'+13)%26
		case r >= '0' && r <= '9':
			return '0' + (r-'0'+5)%10
		case r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsNumber(r)):
			// A letter or digit of another script (a password in
			// Cyrillic, an accented letter) changes too, to its
			// neighbour of the same class and case: kept, a slice of
			// such letters was the same in both renders and passed.
			if o := r ^ 1; sameClass(r, o) {
				return o
			}
		}
		return r
	}, s)
}

// otherSecret is the other value of the secret var v: otherValue, or, of a
// JSON object or array (a service account's key, a docker config), the
// same JSON with otherValue of each string value, its keys, numbers and
// layout kept. Rotated whole, its keys changed too: a program reading a
// field of it (std.parseJson(vars.KEY).private_key) failed with the other
// value, and what it computed from the field went unchecked.
func otherSecret(v string) string {
	t := strings.TrimSpace(v)
	if t == "" || (t[0] != '{' && t[0] != '[') || !json.Valid([]byte(t)) {
		if o := otherValue(v); o != v {
			return o
		}
		// No letter or digit (a password of symbols only): its symbols
		// are all there is to change, and no program splits such a
		// value on one of them.
		return otherSymbols(v)
	}
	var b strings.Builder
	// inObject[i] is whether the i-th open container is an object, key
	// whether the next string of the innermost one is a key.
	var inObject []bool
	key := false
	for i := 0; i < len(v); {
		c := v[i]
		switch c {
		case '{', '[':
			inObject = append(inObject, c == '{')
			key = c == '{'
		case '}', ']':
			inObject = inObject[:len(inObject)-1]
			key = false
		case ',':
			key = len(inObject) > 0 && inObject[len(inObject)-1]
		case ':':
			key = false
		case '"':
			j := i + 1
			for v[j] != '"' {
				if v[j] == '\\' {
					j++
				}
				j++
			}
			if key {
				b.WriteString(v[i : j+1])
			} else {
				b.WriteString(otherJSONString(v[i : j+1]))
			}
			i = j + 1
			continue
		}
		b.WriteByte(c)
		i++
	}
	return b.String()
}

// punctuation is ASCII's 32 punctuation characters, which otherSymbols
// rotates by 16.
const punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

// otherSymbols is s with each ASCII punctuation character rotated among
// them, and each other non-space character changed to a neighbour of the
// same class (sameClass).
func otherSymbols(s string) string {
	return strings.Map(func(r rune) rune {
		if i := strings.IndexRune(punctuation, r); i >= 0 {
			return rune(punctuation[(i+16)%len(punctuation)])
		}
		if o := r ^ 1; r >= utf8.RuneSelf && !unicode.IsSpace(r) && sameClass(r, o) && unicode.IsPunct(r) == unicode.IsPunct(o) && unicode.IsSymbol(r) == unicode.IsSymbol(o) {
			return o
		}
		return r
	}, s)
}

// otherJSONString is otherValue of the JSON string literal q, its escapes
// kept as written (a rotated \n or \u00e9 would be no escape).
func otherJSONString(q string) string {
	var b strings.Builder
	for i := 0; i < len(q); {
		if q[i] != '\\' {
			j := strings.IndexByte(q[i:], '\\')
			if j < 0 {
				j = len(q) - i
			}
			b.WriteString(otherValue(q[i : i+j]))
			i += j
			continue
		}
		n := 2
		if i+1 < len(q) && q[i+1] == 'u' {
			n = 6
		}
		b.WriteString(q[i:min(i+n, len(q))])
		i += n
	}
	return b.String()
}

// sameClass reports whether o can stand for r in otherValue: a letter (of
// the same case) or a digit as r is, of as many bytes in UTF-8.
func sameClass(r, o rune) bool {
	return utf8.ValidRune(o) && utf8.RuneLen(r) == utf8.RuneLen(o) &&
		unicode.IsLetter(r) == unicode.IsLetter(o) && unicode.IsNumber(r) == unicode.IsNumber(o) &&
		unicode.IsUpper(r) == unicode.IsUpper(o) && unicode.IsLower(r) == unicode.IsLower(o)
}

// computedRef is how the error about o names it: by kind, namespace and
// name, except those of them computed from a secret var (found), which
// would show the computed value; such a part is named by what it is.
func computedRef(o templates.Object, found []secretgate.Finding) diag.Object {
	ref := objRef(o)
	for _, f := range found {
		switch {
		case f.Field == "" || strings.HasPrefix(f.Field, "[("):
			// The object differs in shape or by a top-level key: any
			// part of its name may be among what differs.
			return diag.Object{Kind: "(kind computed from a secret var)", Name: "(name computed from a secret var)"}
		case f.Field == "kind":
			ref.Kind = "(kind computed from a secret var)"
		case f.Field == "metadata.namespace":
			ref.Namespace = "(namespace computed from a secret var)"
		case f.Field == "metadata.name":
			ref.Name = "(name computed from a secret var)"
		case f.Field == "metadata" || strings.HasPrefix(f.Field, "metadata[("):
			// The metadata differs in shape or by a key: the name or
			// namespace may be among what differs.
			ref.Namespace, ref.Name = "", "(name computed from a secret var)"
		}
	}
	return ref
}

// counterparts returns, for each object of objs, the object of others
// the same program gave with the other values: the one at its index when
// both have as many objects, else the one of the same apiVersion, kind,
// namespace and name, if one object of others and of objs has it (a zero
// Object where none does). Matched by index only, a program that gave one
// object more or fewer with the other values (an object it renders only
// when a secret var starts with a letter) had none of its objects checked.
func counterparts(objs, others []templates.Object) []templates.Object {
	out := make([]templates.Object, len(objs))
	if len(objs) == len(others) {
		copy(out, others)
		return out
	}
	id := func(o templates.Object) string {
		if o.Raw != nil || o.Node == nil {
			return ""
		}
		return strings.Join([]string{o.Node.GetApiVersion(), o.Node.GetKind(), o.Node.GetNamespace(), o.Node.GetName()}, "\x00")
	}
	count := map[string]int{}
	byID := map[string]templates.Object{}
	for _, o := range objs {
		count[id(o)]++
	}
	for _, o := range others {
		count[id(o)] += 1 << 16
		byID[id(o)] = o
	}
	for i, o := range objs {
		if k := id(o); k != "" && count[k] == 1+1<<16 {
			out[i] = byID[k]
		}
	}
	return out
}

// withholdPaths clears the output Path of each of objs that others, their
// counterparts in the render with other secret values, do not show at the
// same place, or that has no counterpart (others nil: the other render
// failed). A program may key its output by a value computed from a
// secret var, and the Path names such a key in error messages, where no
// redactor recognises the computed form; the file and line remain.
func withholdPaths(objs, others []templates.Object) {
	for i := range objs {
		if others == nil || others[i].Node == nil || others[i].Path != objs[i].Path {
			objs[i].Path = ""
		}
	}
}

// shadowRequest is req with each secret var replaced by otherValue, and
// the names of the secret vars that changed; nil when none did.
func shadowRequest(req *templates.Request) (*templates.Request, []string) {
	vars := maps.Clone(req.Vars)
	var names []string
	for name := range req.SecretVars {
		v, ok := vars[name]
		if !ok {
			continue
		}
		if o := otherSecret(v); o != v {
			vars[name] = o
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil, nil
	}
	sort.Strings(names)
	shadow := *req
	shadow.Vars = vars
	return &shadow, names
}

// secretComputed renders a jsonnet app given secret vars again with other
// values of them (shadowRequest) and returns the error to report instead
// of res and err, the engine's result of req: nil when nothing of them
// was computed from a secret var, or when that cannot be told (the other
// values make the program fail; of objects only one render gave, see
// counterparts). An error whose
// text changes with the values is withheld; fields of res whose values
// change are refused unless permit allows them.
func (r *Renderer) secretComputed(ctx context.Context, eng templates.Engine, env *envconfig.Resolved, app string, req *templates.Request, res *templates.Result, err error) error {
	if req.SecretVars == nil || ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	shadow, names := shadowRequest(req)
	if shadow == nil {
		return nil
	}
	sres, serr := eng.Render(renderAfresh(ctx), shadow)
	vars := strings.Join(names, ", ")
	if cerr := ctx.Err(); cerr != nil {
		// Said here, not left to whatever step next finds ctx ended: a
		// program that runs long only with the other values (it loops
		// on a number it parses from the secret) was reported as
		// stopped while validating, with no word of this render.
		return &diag.Error{File: req.Path, App: app, Err: cerr,
			Msg:  fmt.Sprintf("jsonnet evaluation stopped: %v, in the second render of the app, with other values of secret var %s (kiln's check for values computed from secret vars)", cerr, vars),
			Hint: "the program ran long with the other values only, or the first render left too little of --timeout: raise --timeout, or keep the program's running time apart from the secret values (docs/security.md)"}
	}
	if err != nil {
		if serr != nil && serr.Error() == err.Error() {
			return nil
		}
		de := &diag.Error{File: req.Path, App: app}
		var at *diag.Error
		if errors.As(err, &at) {
			de.File, de.Line = at.File, at.Line
		}
		de.Msg = fmt.Sprintf("the jsonnet program failed with a message that changes with the value of secret var %s; kiln does not show it", vars)
		de.Hint = "the message is computed from a secret value: run the program with made-up values of the secret vars to read it, and keep secret values out of error messages"
		return de
	}
	if serr != nil || sres == nil {
		withholdPaths(res.Objects, nil)
		return nil
	}
	others := counterparts(res.Objects, sres.Objects)
	withholdPaths(res.Objects, others)
	permit := r.permit(env)
	var only func(field, key string) bool
	if env.SOPS != nil && !env.AllowPlainSecrets {
		// SOPS encrypts the values of the keys encryptedRegex matches,
		// and everything below them: a value it leaves readable is as
		// readable as a ConfigMap's.
		re, rerr := regexp.Compile(env.SOPS.EncryptedRegex)
		if rerr != nil {
			permit = nil
		} else {
			only = func(field, key string) bool { return re.MatchString(field) || re.MatchString(key) }
		}
	}
	rd := secretsOf(ctx)
	var errs []error
	for i, o := range res.Objects {
		s := others[i]
		if o.Raw != nil || o.Node == nil || s.Node == nil {
			continue
		}
		found := secretgate.Computed(rd, o.Node, s.Node, permit, only)
		if len(found) == 0 {
			continue
		}
		var fields []string
		for j, f := range found {
			if j == maxComputedFields {
				fields = append(fields, fmt.Sprintf("%d more", len(found)-j))
				break
			}
			fields = append(fields, f.Field)
		}
		hint := "keep values computed from secret vars out of the hydrated tree, or put them into the data or stringData of a v1 Secret, with sops: (or allowPlainSecrets: true) in the " + env.Env.Name + " env file"
		switch {
		case only != nil:
			hint = "only the values of a v1 Secret's data and stringData that sops.encryptedRegex (" + env.SOPS.EncryptedRegex + ") encrypts may hold secret values; move the value there, widen sops.encryptedRegex in the " + env.Env.Name + " env file, or keep the value out of the hydrated tree"
		case permit != nil:
			hint = "only the data and stringData of v1 Secrets may hold secret values; move the value there, or out of the hydrated tree"
		}
		e := &diag.Error{File: o.File, Line: o.LineOf(found[0].Node), App: app, Object: computedRef(o, found),
			Msg:  fmt.Sprintf("holds a value computed from secret var %s in %s: it changes when the secret value does, and may give it away", vars, strings.Join(fields, ", ")),
			Hint: hint}
		errs = append(errs, validate.HideSecretKeys(o, []error{e})...)
	}
	return diag.Join(errs...)
}
