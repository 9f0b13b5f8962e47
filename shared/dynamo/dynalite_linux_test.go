package dynamo_test

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel kill dynalite if the test binary dies
// before TestMain can stop it (a panic, a timeout).
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
