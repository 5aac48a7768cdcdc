//go:build race

package render_test

// raceDetector: under the race detector (make test runs every benchmark
// once so that none breaks unnoticed) a benchmark's figures mean nothing,
// and the largest fleets are made smaller to keep make test short.
const raceDetector = true
