package embedded

import (
	"os"
	"syscall"
)

// syncData flushes f's data and the metadata needed to read it back (its
// size), not its timestamps: cheaper than fsync, as durable. A variable so
// tests can watch and fail syncs, which nothing short of a power cut shows.
var syncData = func(f *os.File) error {
	return syscall.Fdatasync(int(f.Fd()))
}
