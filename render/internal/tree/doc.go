// Package tree names hydrated objects' files and writes environments'
// output trees atomically and exclusively.
//
// Names are stable, readable, bounded (MaxFileName) and collision-free even
// on case-insensitive file systems (FileNames). Out holds an output root's
// lock, stages each new tree in a recognisable temporary sibling
// (.<env>.kiln-new), swaps it in with one atomic exchange where the system
// has one (renameat2 on Linux) and recovers what a killed run left. It
// compares the earlier tree first: an env whose tree would not change is
// not written at all, and a changed tree links the earlier tree's
// unchanged files instead of writing them again (compare.go). It
// refuses to replace a folder kiln did not write and keeps Flux's
// bootstrap files (KeepBootstrap). It does not decide what goes into a
// tree: package render does.
package tree
