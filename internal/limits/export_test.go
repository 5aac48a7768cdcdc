package limits

// For the external tests: the two ways CheckYAMLBytes decides, and the
// bound on nodes per byte that one of them rests on.
var (
	WithinBoundsUnparsed = withinBoundsUnparsed
	CheckYAMLParsed      = checkYAMLParsed
)

const NodesPerByte = nodesPerByte
