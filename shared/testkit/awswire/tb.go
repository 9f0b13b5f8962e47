package awswire

import "context"

// TB is what the fakes need of a test: testing.TB has it. It takes this
// rather than testing.TB so that `cxloop invoke`, which runs the real
// functions against the fakes, does not link the testing package into a
// binary people run.
type TB interface {
	Helper()
	Cleanup(func())
	Context() context.Context
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
}
