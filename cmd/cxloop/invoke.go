package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cxloop/cxloop/shared/testkit/awsfake"
	"github.com/cxloop/cxloop/shared/testkit/runtimeapi"
)

const invokeUsage = `usage: cxloop invoke --fn NAME --event FILE [--env KEY=VALUE ...] [--binary PATH] [--timeout 30s]

Runs one Lambda function binary locally through the Lambda Runtime API, as
` + "`sam local invoke -e`" + ` does, without Docker: builds ./functions/NAME for this
machine (unless --binary is given), starts it with fake AWS around it
(dynalite for DynamoDB, awsfake for SES v2, SMS, Step Functions and SQS),
feeds it the event and prints the response JSON on stdout. The function's
logs, where AWS calls went and the init time go to stderr. A function error
is printed as {"errorType","errorMessage"} and exits non-zero.

  --env      extra environment for the function, repeatable; overrides the
             defaults (e.g. --env AWS_ENDPOINT_URL_DYNAMODB=http://localhost:4566
             to use LocalStack's DynamoDB instead of dynalite).
  --binary   a prebuilt function executable for this OS and architecture.
  --event    the event JSON file, or - for stdin.
`

// invokeEnvFlags collects repeated --env KEY=VALUE flags.
type invokeEnvFlags []string

func (e *invokeEnvFlags) String() string { return strings.Join(*e, " ") }

func (e *invokeEnvFlags) Set(v string) error {
	if k, _, ok := strings.Cut(v, "="); !ok || k == "" {
		return fmt.Errorf("want KEY=VALUE, got %q", v)
	}
	*e = append(*e, v)
	return nil
}

// runInvoke implements `cxloop invoke`.
func runInvoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	// The harness streams the function's logs to stderr from its own
	// goroutine.
	stderr = &invokeLockedWriter{w: stderr}
	fs := flag.NewFlagSet("cxloop invoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, invokeUsage) }
	fn := fs.String("fn", "", "function name (folder under functions/)")
	eventFile := fs.String("event", "", "event JSON file, or - for stdin")
	binary := fs.String("binary", "", "prebuilt function executable")
	timeout := fs.Duration("timeout", runtimeapi.DefaultTimeout, "function timeout")
	var extra invokeEnvFlags
	fs.Var(&extra, "env", "KEY=VALUE for the function, repeatable")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("invoke: %w", err)
	}
	if fs.NArg() > 0 {
		return usageError(fmt.Sprintf("invoke: unexpected argument %q", fs.Arg(0)))
	}
	if *fn == "" || *eventFile == "" {
		fs.Usage()
		return usageError("invoke: --fn and --event are required")
	}
	event, err := readInvokeEvent(*eventFile)
	if err != nil {
		return fmt.Errorf("invoke: %w", err)
	}

	bin := *binary
	if bin == "" {
		root, err := awsfake.ModuleRoot()
		if err != nil {
			return fmt.Errorf("invoke: run it inside the cxloop module, or give --binary: %w", err)
		}
		names, err := runtimeapi.FunctionNames(root)
		if err != nil {
			return fmt.Errorf("invoke: %w", err)
		}
		if !slices.Contains(names, *fn) {
			return usageError(fmt.Sprintf("invoke: no function %q (have %s)", *fn, strings.Join(names, ", ")))
		}
		dir, err := os.MkdirTemp("", "cxloop-invoke-")
		if err != nil {
			return fmt.Errorf("invoke: %w", err)
		}
		defer os.RemoveAll(dir)
		fmt.Fprintf(stderr, "building ./functions/%s ...\n", *fn)
		bins, err := runtimeapi.Build{ModuleRoot: root, Functions: []string{*fn}, OutDir: dir, Version: version}.Run(ctx)
		if err != nil {
			return fmt.Errorf("invoke: build: %w", err)
		}
		bin = bins[*fn]
	}

	env, cleanup, err := invokeEnv(ctx, extra, stderr)
	if err != nil {
		return fmt.Errorf("invoke: %w", err)
	}
	defer cleanup()

	h, err := runtimeapi.Start(ctx, runtimeapi.Config{
		Binary: bin, FunctionName: *fn, Env: env, Timeout: *timeout, LogOutput: stderr,
	})
	if err != nil {
		var ie *runtimeapi.InitError
		if errors.As(err, &ie) {
			// The log was already streamed to stderr.
			return fmt.Errorf("invoke: function %s failed to initialise: %s", ie.Function, ie.Reason)
		}
		return fmt.Errorf("invoke: %w", err)
	}
	defer h.Close()
	res, err := h.Invoke(ctx, event)
	if err != nil {
		return fmt.Errorf("invoke: %w", err)
	}
	fmt.Fprintf(stderr, "init %s, duration %s, request %s\n", invokeMS(h.InitDuration()), invokeMS(res.Duration), res.RequestID)
	if res.Error != nil {
		b, _ := json.Marshal(res.Error)
		fmt.Fprintf(stdout, "%s\n", b)
		return fmt.Errorf("invoke: function error %s", res.Error)
	}
	fmt.Fprintf(stdout, "%s\n", invokeIndentJSON(res.Payload))
	return nil
}

// invokeEnv is the function's environment: the local defaults, the fake
// AWS stack's endpoints, then the --env flags. The stack is started only
// for the services the flags do not point elsewhere.
func invokeEnv(ctx context.Context, extra []string, stderr io.Writer) ([]string, func(), error) {
	set := func(k string) bool {
		return slices.ContainsFunc(extra, func(kv string) bool { return strings.HasPrefix(kv, k+"=") })
	}
	env := slices.Clone(awsfake.FunctionEnv)
	var closers []func()
	cleanup := func() {
		for _, c := range slices.Backward(closers) {
			c()
		}
	}
	fake, err := awsfake.Start()
	if err != nil {
		return nil, nil, err
	}
	closers = append(closers, fake.Close)
	env = append(env, fake.Env()...)
	var where []string
	if set(awsfake.DynamoDBEndpointVar) {
		where = append(where, "DynamoDB → "+invokeEnvValue(extra, awsfake.DynamoDBEndpointVar))
		env = append(env, "TABLE_NAME=cxloop-local")
	} else {
		table := "cxloop-local"
		if set("TABLE_NAME") {
			table = invokeEnvValue(extra, "TABLE_NAME")
		}
		d, err := awsfake.RunDynalite(ctx)
		switch {
		case errors.Is(err, awsfake.ErrNotInstalled):
			fmt.Fprintf(stderr, "warning: no dynalite (%v; run `make tools`): DynamoDB calls will fail unless --env %s=... points at one\n", err, awsfake.DynamoDBEndpointVar)
			where = append(where, "DynamoDB → nowhere")
		case err != nil:
			cleanup()
			return nil, nil, err
		default:
			closers = append(closers, d.Close)
			if err := awsfake.CreateTable(ctx, d.Endpoint, table); err != nil {
				cleanup()
				return nil, nil, err
			}
			env = append(env, "TABLE_NAME="+table, awsfake.DynamoDBEndpointVar+"="+d.Endpoint)
			where = append(where, fmt.Sprintf("DynamoDB → dynalite %s (table %s, empty)", d.Endpoint, table))
		}
	}
	for _, svc := range []string{awsfake.SESv2, awsfake.SMS, awsfake.SFN, awsfake.SQS} {
		if v := awsfake.EndpointVars[svc]; set(v) {
			where = append(where, svc+" → "+invokeEnvValue(extra, v))
		} else {
			where = append(where, svc+" → awsfake "+fake.URL)
		}
	}
	fmt.Fprintf(stderr, "AWS calls: %s\n", strings.Join(where, "; "))
	closers = append(closers, func() { reportInvokeCalls(fake, stderr) })
	return append(env, extra...), cleanup, nil
}

type invokeLockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *invokeLockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// reportInvokeCalls lists the calls awsfake answered.
func reportInvokeCalls(fake *awsfake.Server, w io.Writer) {
	for _, c := range fake.Calls() {
		fmt.Fprintf(w, "awsfake: %s %s → %d %s\n", c.Service, c.Operation, c.Status, invokeTruncate(string(c.Body), 200))
	}
}

func invokeEnvValue(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if k, val, _ := strings.Cut(kv, "="); k == key {
			v = val
		}
	}
	return v
}

func readInvokeEvent(name string) ([]byte, error) {
	var b []byte
	var err error
	if name == "-" {
		b, err = io.ReadAll(os.Stdin)
	} else {
		b, err = os.ReadFile(filepath.Clean(name))
	}
	if err != nil {
		return nil, fmt.Errorf("read event: %w", err)
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("event %s is not valid JSON", name)
	}
	return b, nil
}

func invokeIndentJSON(b []byte) []byte {
	var out bytes.Buffer
	if json.Indent(&out, b, "", "  ") != nil {
		return b
	}
	return out.Bytes()
}

func invokeMS(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
}

func invokeTruncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
