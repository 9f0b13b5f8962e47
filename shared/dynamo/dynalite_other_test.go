//go:build !linux

package dynamo_test

import "os/exec"

// dieWithParent is Linux-only; elsewhere TestMain's cleanup must do.
func dieWithParent(*exec.Cmd) {}
