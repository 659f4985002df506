// Package reliability holds drsorch's survival tests: fault soaks of the
// engine against the emulator, crash campaigns of the built binary,
// hostile requests against the real HTTP handler, concurrency and load.
// Each is a test; the short versions run in CI, and -long runs the full
// campaigns whose figures RELIABILITY.md records.
package reliability
