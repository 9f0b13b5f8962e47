package embedded

import (
	"os"
	"syscall"
)

// syncData flushes f's data and the metadata needed to read it back (its
// size), not its timestamps: cheaper than fsync, as durable.
func syncData(f *os.File) error {
	return syscall.Fdatasync(int(f.Fd()))
}
