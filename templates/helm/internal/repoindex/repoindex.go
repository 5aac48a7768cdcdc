package repoindex

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/kiln-gitops/kiln/internal/redact"
	"helm.sh/helm/v3/pkg/chart"
	"sigs.k8s.io/yaml"
)

// The errors of helm's pkg/repo, with its words.
var (
	ErrNoAPIVersion   = errors.New("no API version specified")
	ErrNoChartVersion = errors.New("no chart version found")
	ErrNoChartName    = errors.New("no chart name found")
	ErrEmptyIndexYaml = errors.New("empty index.yaml file")
)

// Index is a chart repository's index: repo.IndexFile's fields, so that
// the strict YAML parse accepts and refuses the same files.
type Index struct {
	ServerInfo  map[string]any      `json:"serverInfo,omitempty"`
	APIVersion  string              `json:"apiVersion"`
	Generated   time.Time           `json:"generated"`
	Entries     map[string]Versions `json:"entries"`
	PublicKeys  []string            `json:"publicKeys,omitempty"`
	Annotations map[string]string   `json:"annotations,omitempty"`
}

// Versions are one chart's entries, newest first once loaded.
type Versions []*Version

// Version is one entry of the index: repo.ChartVersion's fields, the
// deprecated ones included because the strict parse must accept them.
type Version struct {
	*chart.Metadata
	URLs    []string  `json:"urls"`
	Created time.Time `json:"created,omitempty"`
	Removed bool      `json:"removed,omitempty"`
	Digest  string    `json:"digest,omitempty"`

	ChecksumDeprecated      string `json:"checksum,omitempty"`
	EngineDeprecated        string `json:"engine,omitempty"`
	TillerVersionDeprecated string `json:"tillerVersion,omitempty"`
	URLDeprecated           string `json:"url,omitempty"`
}

// Load parses an index file's data, read from source (named in errors),
// as repo.LoadIndexFile does: JSON if it is valid JSON, else strict YAML;
// invalid entries are dropped; each chart's versions are sorted newest
// first.
func Load(data []byte, source string) (*Index, error) {
	idx, err := load(data)
	if err != nil {
		return nil, fmt.Errorf("error loading %s: %w", source, err)
	}
	return idx, nil
}

func load(data []byte) (*Index, error) {
	idx := &Index{}
	if len(data) == 0 {
		return nil, ErrEmptyIndexYaml
	}
	var err error
	if json.Valid(data) {
		err = json.Unmarshal(data, idx)
	} else {
		err = yaml.UnmarshalStrict(data, idx)
	}
	if err != nil {
		return nil, err
	}
	for name, vs := range idx.Entries {
		kept := vs[:0]
		for _, v := range vs {
			if v == nil {
				continue
			}
			if v.Metadata == nil {
				v.Metadata = &chart.Metadata{}
			}
			if v.APIVersion == "" {
				v.APIVersion = chart.APIVersionV1
			}
			if err := v.Validate(); err != nil && !skippable(err) {
				continue
			}
			kept = append(kept, v)
		}
		// Newest first; versions that are not semver go last. The same
		// (unstable) sort as IndexFile.SortEntries, for the same order.
		sort.Sort(sort.Reverse(bySemver(kept)))
		idx.Entries[name] = kept
	}
	if idx.APIVersion == "" {
		return nil, ErrNoAPIVersion
	}
	return idx, nil
}

// skippable is the validation error helm ignores in an index: repositories
// such as JFrog's strip dependency aliases (helm issue 12748).
func skippable(err error) bool {
	verr, ok := err.(chart.ValidationError)
	return ok && strings.HasPrefix(verr.Error(), "validation: more than one dependency with name or alias")
}

// bySemver orders versions as repo.ChartVersions does.
type bySemver Versions

func (c bySemver) Len() int      { return len(c) }
func (c bySemver) Swap(i, j int) { c[i], c[j] = c[j], c[i] }
func (c bySemver) Less(a, b int) bool {
	i, err := semver.NewVersion(c[a].Version)
	if err != nil {
		return true
	}
	j, err := semver.NewVersion(c[b].Version)
	if err != nil {
		return false
	}
	return i.LessThan(j)
}

// Get returns the newest version of chart name that matches constraint
// ("" for any), as repo.IndexFile.Get does: a version equal to the
// constraint's text wins over a newer one that matches it.
func (idx *Index) Get(name, constraint string) (*Version, error) {
	vs, ok := idx.Entries[name]
	if !ok {
		return nil, ErrNoChartName
	}
	if len(vs) == 0 {
		return nil, ErrNoChartVersion
	}
	expr := constraint
	if expr == "" {
		expr = "*"
	}
	c, err := semver.NewConstraint(expr)
	if err != nil {
		return nil, err
	}
	if constraint != "" {
		for _, v := range vs {
			if v.Version == constraint {
				return v, nil
			}
		}
	}
	for _, v := range vs {
		if sv, err := semver.NewVersion(v.Version); err == nil && c.Check(sv) {
			return v, nil
		}
	}
	return nil, fmt.Errorf("no chart version found for %s-%s", name, constraint)
}

// ResolveReferenceURL resolves a chart's URL in the index against the
// repository's URL as repo.ResolveReferenceURL does: the repository URL is
// a folder, and its query is kept, but only on the repository's host.
// helm keeps it for a reference with a host of its own
// ("//cdn.example.com/a.tgz"), so an index names where a signed URL's
// query, its credential, is sent.
func ResolveReferenceURL(baseURL, refURL string) (string, error) {
	ref, err := url.Parse(refURL)
	if err != nil {
		return "", fmt.Errorf("failed to parse %s as URL: %s", redact.PublicURL(refURL), redact.URLProblem(err))
	}
	if ref.IsAbs() {
		return refURL, nil
	}
	base, err := url.Parse(baseURL)
	if err != nil {
		return "", fmt.Errorf("failed to parse %s as URL: %s", redact.PublicURL(baseURL), redact.URLProblem(err))
	}
	base.RawPath = strings.TrimSuffix(base.RawPath, "/") + "/"
	base.Path = strings.TrimSuffix(base.Path, "/") + "/"
	u := base.ResolveReference(ref)
	if strings.EqualFold(u.Host, base.Host) {
		u.RawQuery = base.RawQuery
	}
	return u.String(), nil
}
