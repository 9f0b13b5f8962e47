//go:build !linux

package embedded

import "os"

// syncData flushes f; a variable so tests can watch and fail syncs.
var syncData = func(f *os.File) error { return f.Sync() }
