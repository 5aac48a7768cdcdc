// Package tree names hydrated objects' files and writes an environment's
// output tree atomically.
//
// Names are stable, readable and collision-free even on case-insensitive
// file systems (FileNames). Write builds the new tree in a temporary sibling
// folder and swaps it in with renames, so a failed render never leaves half
// a tree and files of removed apps or objects disappear. It does not decide
// what goes into the tree: package render does.
package tree
