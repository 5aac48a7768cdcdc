//go:build race

package main

// raceDetector: the race detector makes each kiln run several times
// slower, so the kill tests take fewer shots under it (make test).
const raceDetector = true
