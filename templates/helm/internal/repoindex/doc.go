// Package repoindex reads a Helm chart repository's index.yaml and picks a
// chart version from it, with the rules of helm's pkg/repo
// (LoadIndexFile, IndexFile.Get, ResolveReferenceURL in helm v3.22.0).
//
// It exists so that kiln need not link pkg/repo: that package's chart
// downloader links helm's CLI settings, and through them helm's cluster
// client, kubectl and cli-runtime, whose package initialization every kiln
// process and sandbox worker would pay at start-up although kiln never
// talks to a cluster. Its test checks it against pkg/repo itself. Start
// with Load.
package repoindex
