// Package softmem gives the kiln process a soft memory limit that follows
// its live heap: a floor while the heap is small, and half as much again
// as the live heap once that is larger.
//
// With the collector's default pacing (GOGC=100) the heap grows to twice
// what survived the last collection before the next one starts. A render
// of 1000 apps × 3 envs holds about 55 MiB live at the end of an env
// (every app's objects, validated and laid out together, as the checks
// across apps need), so the heap reached 120 MiB and the process 190 MiB.
// Under the floor the collector starts earlier in those peaks only; a
// small fleet never reaches it and runs as before.
//
// A fixed limit would make the collector run without pause once the live
// heap nears it (a larger fleet), up to half of the CPU. Here the limit is
// raised after every cycle to 1.5 × the live heap, so the collector always
// has that headroom: at worst it runs as often as with GOGC=50.
//
// GOMEMLIMIT, when set, wins: Start then does nothing. Sandbox workers set
// their own hard cap (internal/sandbox) and never call Start.
package softmem
