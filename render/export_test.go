package render

// ValidationChecks is how many objects the Renderer's validation checked,
// not counting those it remembered clean, in the run or from the render
// cache.
func (r *Renderer) ValidationChecks() int64 { return r.schemas.Checks() }

// KeepValidation turns the kept validation results on or off, for the
// benchmarks; it returns the previous setting.
func KeepValidation(on bool) bool {
	was := keepValidation
	keepValidation = on
	return was
}
