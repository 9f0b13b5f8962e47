package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildCLI builds this command into the test's temporary folder.
func buildCLI(ctx context.Context, t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "cxloop")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startDevProcess starts cmd, a `cxloop dev` on a loopback address, with
// its log in logPath, and returns the URL it says it serves; the process
// is stopped (SIGTERM, then SIGKILL) when the test ends.
func startDevProcess(ctx context.Context, t *testing.T, cmd *exec.Cmd, logPath string) string {
	t.Helper()
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = logFile
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			t.Error("cxloop dev did not stop within 15s of SIGTERM")
		}
		_ = logFile.Close()
	})
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "cxloop dev is serving "); ok {
				urls <- u
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case u := <-urls:
		return u
	case err := <-exited:
		t.Fatalf("cxloop dev exited before serving: %v (log: %s)", err, logPath)
	case <-time.After(60 * time.Second):
		t.Fatalf("cxloop dev did not say where it serves within 60s (log: %s)", logPath)
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}
	return ""
}
