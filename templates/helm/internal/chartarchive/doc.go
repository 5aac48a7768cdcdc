// Package chartarchive measures a Helm chart's files as they are read: the
// number of files and the unpacked bytes of the chart, its subcharts and
// every archive nested in it, against one budget. A chart archive is
// measured on the pass that unpacks it (Budget.Unpack), so that it is
// gunzipped once; a limit error is reported before any of the loader's.
//
// Helm's loader bounds each archive's file data (100 MiB, 5 MiB per file)
// but neither the number of entries (a million empty files fit in 100 MiB
// and cost gigabytes of headers, structs and names) nor the archives inside
// an archive (charts/*.tgz, each allowed 100 MiB again, and so on down).
// The package reads gzip and tar only, so that its fuzz target is cheap;
// templates/helm wires it in. Start with Budget.
package chartarchive
