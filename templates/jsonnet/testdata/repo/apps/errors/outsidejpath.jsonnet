// The file is not where the import says: from the jpath folders the same
// path leads outside the repository.
local lib = import '../../nope/missing.libsonnet';
lib
