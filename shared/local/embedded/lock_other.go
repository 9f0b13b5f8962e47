//go:build !unix

package embedded

import (
	"errors"
	"os"
)

// lockFile refuses: without a lock two processes could both open the data
// directory, and the embedded store is only built for Unix systems.
func lockFile(*os.File) error {
	return errors.New("the embedded store needs a Unix system (Linux, macOS, BSD) to lock its data directory")
}
