package awsfake

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel kill the child if this process dies
// before it can stop it (a panic, a test timeout).
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
