//go:build unix

package embedded

import (
	"errors"
	"os"
	"syscall"
)

// lockFile takes the exclusive lock of f without waiting. flock locks
// belong to the open file, so a second Open in the same process conflicts
// as well as one in another process; the lock goes when the file is closed
// or the process dies.
func lockFile(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return errLocked
	}
	return err
}
