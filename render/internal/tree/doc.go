// Package tree names hydrated objects' files and writes environments'
// output trees atomically and exclusively.
//
// Names are stable, readable, bounded (MaxFileName) and collision-free even
// on case-insensitive file systems (FileNames). Out holds an output root's
// lock and recovers what a killed run left. It compares the earlier tree
// first (compare.go): an env whose tree would not change is not written
// at all, and for a changed one only the entries that differ are staged in
// a recognisable temporary sibling (.<env>.kiln-new) and put in place by a
// journal that the next run completes if this one is killed (journal.go).
// A new tree is built whole there and swapped in with one atomic exchange
// where the system has one (renameat2 on Linux). It refuses to replace a
// folder kiln did not write and keeps Flux's bootstrap files
// (KeepBootstrap). It does not decide what goes into a tree: package
// render does.
package tree
