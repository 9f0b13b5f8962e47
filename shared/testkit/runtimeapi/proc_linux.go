package runtimeapi

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel kill the function if the harness dies
// before it can (a panic, a test timeout).
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
