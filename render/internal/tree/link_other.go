//go:build !unix

package tree

// newLinker links through the output root's os.Root.
func (o *Out) newLinker(name string) linker { return rootLinker{o, name} }
