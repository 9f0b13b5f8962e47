// Command cxloop is cxloop's local CLI: `cxloop dev` runs the whole system
// in one process, `cxloop sfn run` runs any state machine definition with
// the local ASL interpreter.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `cxloop – post-interaction surveys with a closed loop

Usage:
  cxloop dev [--addr 127.0.0.1:8080] [--data .cxloop] [--demo]
  cxloop invoke --fn NAME --event FILE [--env KEY=VALUE ...] [--binary PATH] [--timeout 30s]
  cxloop loadtest [-url http://127.0.0.1:8080] [-n 2000] [-c 32] [-max-duration 2m]
  cxloop sfn run FILE [--input JSON | --input-file F] [--tasks RESULTS.json] [--history]
  cxloop version
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintln(os.Stderr, "cxloop:", err)
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "cxloop:", err)
		os.Exit(1)
	}
}

type usageError string

func (e usageError) Error() string { return string(e) }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError("a command is required")
	}
	switch args[0] {
	case "dev":
		return runDev(ctx, args[1:], stdout, stderr)
	case "sfn":
		return runSFN(ctx, args[1:], stdout, stderr)
	case "invoke":
		return runInvoke(ctx, args[1:], stdout, stderr)
	case "loadtest":
		return runLoadtest(ctx, args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return usageError(fmt.Sprintf("unknown command %q", args[0]))
}

func jsonLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo})).With("service", "cxloop-dev")
}
