// Package yamlenc writes a YAML document exactly as kyaml's encoder does
// (go.yaml.in/yaml/v3, indent 2, compact sequences: what kyaml's
// RNode.String returns), in a fraction of its time. Writing objects was
// most of what laying out a CRD-heavy chart cost: yaml.v3 queues every
// event of a document (some 300 bytes each) in a slice it never trims, and
// analyses every scalar byte by byte.
//
// Encode cuts a document into pieces of a few hundred nodes: each large
// block collection is replaced in its parent by a stand-in, a one-entry
// mapping or sequence holding a unique token, and its own text is spliced
// in at the column the stand-in was written at. Block output does not
// depend on the column it starts at (the encoder's line width is
// unlimited), except where the tree is pinned (see build): comments, line
// breaks in flow collections, quoted scalars or keys, which stay with
// their parents. Each piece is written by a direct writer (fastEncode)
// when it holds only what that writer knows yaml.v3's output of, else by
// yaml.v3 itself. A document with anchors or aliases, or a piece that
// needs a document marker, is encoded whole by yaml.v3, as before.
//
// TestEncodeAsKyaml compares the two on every YAML document of the
// repository's testdata and of a real chart, cut as finely as possible;
// FuzzEncode on generated documents.
package yamlenc
