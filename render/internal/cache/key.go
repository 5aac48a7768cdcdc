package cache

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/kiln-gitops/kiln/templates"
)

// keyVersion changes whenever Key's encoding does, so that no two encodings
// can share a key.
const keyVersion = "kiln-render-cache-key-v2"

// Key is the cache key of one engine request: a hex sha256 over build, the
// engine's name and every field of req, values with their Go types (1 and
// 1.0 and "1" render differently in a template, so they must not share a
// key). Secret vars enter by name only (templates.Request.DigestVars): a
// key is a file name in a folder that may be shared, and an unsalted hash
// of a short secret can be guessed. A value of a type Key does not know is
// an error: such a request is not cached.
func Key(build, engine string, req *templates.Request) (string, error) {
	k := &keyHash{h: sha256.New()}
	k.str(keyVersion)
	k.str(build)
	k.str(engine)
	for _, s := range []string{req.Root, req.App, req.Namespace, req.Env, req.KubeVersion, req.Path, req.ChartRepo, req.ChartVersion} {
		k.str(s)
	}
	k.strs(req.ValuesFiles)
	k.strs(req.APIVersions)
	k.strs(req.JPath)
	if err := k.value(req.SkipCRDs); err != nil {
		return "", err
	}
	k.strMap(req.DigestVars())
	k.strs(slices.Sorted(maps.Keys(req.SecretVars)))
	k.strMap(req.Images)
	for _, m := range []map[string]any{req.Values, req.ExtVars, req.TLAs} {
		if m == nil {
			k.tag('0')
			continue
		}
		if err := k.value(m); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(k.h.Sum(nil)), nil
}

// keyHash writes typed, length-prefixed fields, so that no two different
// requests write the same bytes.
type keyHash struct{ h hash.Hash }

func (k *keyHash) tag(t byte) { k.h.Write([]byte{t}) }

func (k *keyHash) uint(n uint64) {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	k.h.Write(b[:])
}

func (k *keyHash) str(s string) {
	k.tag('s')
	k.uint(uint64(len(s)))
	k.h.Write([]byte(s))
}

func (k *keyHash) strs(ss []string) {
	if ss == nil {
		k.tag('0')
		return
	}
	k.tag('l')
	k.uint(uint64(len(ss)))
	for _, s := range ss {
		k.str(s)
	}
}

func (k *keyHash) strMap(m map[string]string) {
	if m == nil {
		k.tag('0')
		return
	}
	k.tag('m')
	k.uint(uint64(len(m)))
	for _, key := range slices.Sorted(maps.Keys(m)) {
		k.str(key)
		k.str(m[key])
	}
}

// value writes the types the YAML and JSON decoders and Helm's value
// merging produce, as internal/sandbox carries them.
func (k *keyHash) value(v any) error {
	switch t := v.(type) {
	case nil:
		k.tag('n')
	case bool:
		k.tag('b')
		if t {
			k.uint(1)
		} else {
			k.uint(0)
		}
	case string:
		k.str(t)
	case int:
		k.signed('i', int64(t))
	case int8:
		k.signed('1', int64(t))
	case int16:
		k.signed('2', int64(t))
	case int32:
		k.signed('4', int64(t))
	case int64:
		k.signed('8', t)
	case uint:
		k.unsigned('u', uint64(t))
	case uint8:
		k.unsigned('!', uint64(t))
	case uint16:
		k.unsigned('@', uint64(t))
	case uint32:
		k.unsigned('$', uint64(t))
	case uint64:
		k.unsigned('*', t)
	case float32:
		k.tag('f')
		k.uint(uint64(math.Float32bits(t)))
	case float64:
		k.tag('F')
		k.uint(math.Float64bits(t))
	case time.Time:
		b, err := t.MarshalBinary()
		if err != nil {
			return err
		}
		k.tag('t')
		k.str(string(b))
	case []byte:
		if t == nil {
			k.tag('0')
		}
		k.tag('B')
		k.str(string(t))
	case []string:
		k.tag('S')
		k.strs(t)
	case []any:
		if t == nil {
			k.tag('0')
		}
		k.tag('L')
		k.uint(uint64(len(t)))
		for _, x := range t {
			if err := k.value(x); err != nil {
				return err
			}
		}
	case map[string]string:
		k.tag('D')
		k.strMap(t)
	case map[string]any:
		if t == nil {
			k.tag('0')
		}
		k.tag('M')
		k.uint(uint64(len(t)))
		for _, key := range slices.Sorted(maps.Keys(t)) {
			k.str(key)
			if err := k.value(t[key]); err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
		}
	default:
		return fmt.Errorf("a value of type %T", v)
	}
	return nil
}

func (k *keyHash) signed(t byte, n int64) {
	k.tag(t)
	k.uint(uint64(n))
}

func (k *keyHash) unsigned(t byte, n uint64) {
	k.tag(t)
	k.uint(n)
}
