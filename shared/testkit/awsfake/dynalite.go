package awsfake

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/cxloop/cxloop/shared/aws/dynamo"
	"github.com/cxloop/cxloop/shared/testkit/awswire"
)

// RequireDynaliteEnv makes a missing dynalite fail StartDynalite instead
// of skipping the test; CI sets it so the suites cannot silently stop
// running there.
const RequireDynaliteEnv = "CXLOOP_REQUIRE_DYNALITE"

// DynaliteEnv overrides where the dynalite executable is.
const DynaliteEnv = "DYNALITE"

// ErrNotInstalled is wrapped by RunDynalite's error when node or dynalite
// is missing (install with `make tools`).
var ErrNotInstalled = errors.New("not installed")

// Dynalite is a running in-memory dynalite process.
type Dynalite struct {
	// Endpoint is its URL, http://127.0.0.1:PORT.
	Endpoint string

	cmd    *exec.Cmd
	exited chan struct{}
	output *lockedBuffer
	once   sync.Once
}

// RunDynalite starts dynalite on a random port of 127.0.0.1 and waits
// until it answers. Its error wraps ErrNotInstalled when node or dynalite
// cannot be found. Close stops it.
func RunDynalite(ctx context.Context) (*Dynalite, error) {
	bin, err := FindDynalite()
	if err != nil {
		return nil, err
	}
	// The port is picked by binding :0 and releasing it; if another process
	// takes it in between, dynalite exits and we try another.
	var last error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		d := &Dynalite{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), exited: make(chan struct{}), output: &lockedBuffer{}}
		// No --path: everything stays in memory. Tables are ACTIVE at once
		// instead of after dynalite's default 500 ms.
		d.cmd = exec.Command(bin, "--host", "127.0.0.1", "--port", fmt.Sprint(port),
			"--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0")
		d.cmd.Stdout, d.cmd.Stderr = d.output, d.output
		dieWithParent(d.cmd)
		if err := d.cmd.Start(); err != nil {
			return nil, fmt.Errorf("start %s: %w", bin, err)
		}
		go func() { _ = d.cmd.Wait(); close(d.exited) }()
		if err := d.waitReady(ctx); err != nil {
			d.Close()
			last = fmt.Errorf("%w; dynalite output:\n%s", err, d.output.String())
			if ctx.Err() != nil {
				return nil, last
			}
			continue
		}
		return d, nil
	}
	return nil, last
}

// Close stops dynalite and waits for it to exit.
func (d *Dynalite) Close() {
	d.once.Do(func() {
		_ = d.cmd.Process.Kill()
		<-d.exited
	})
}

// waitReady polls ListTables until dynalite answers, it exits, or 15 s pass.
func (d *Dynalite) waitReady(ctx context.Context) error {
	client := Client(d.Endpoint)
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	for {
		callCtx, callCancel := context.WithTimeout(ctx, time.Second)
		_, err := client.ListTables(callCtx, &dynamodb.ListTablesInput{})
		callCancel()
		if err == nil {
			return nil
		}
		select {
		case <-d.exited:
			return fmt.Errorf("dynalite exited before answering: %v", d.cmd.ProcessState)
		case <-ctx.Done():
			return fmt.Errorf("dynalite did not answer on %s: %w", d.Endpoint, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// StartDynalite runs dynalite for the test and returns its endpoint; it
// is stopped when the test ends. When node or dynalite is missing the test
// is skipped with the reason, or fails if CXLOOP_REQUIRE_DYNALITE is set.
func StartDynalite(tb TB) string {
	tb.Helper()
	d, err := RunDynalite(tb.Context())
	if errors.Is(err, ErrNotInstalled) {
		skipOrFail(tb, err)
	}
	if err != nil {
		tb.Fatalf("dynalite: %v", err)
	}
	tb.Cleanup(d.Close)
	return d.Endpoint
}

func skipOrFail(tb TB, err error) {
	tb.Helper()
	if os.Getenv(RequireDynaliteEnv) != "" {
		tb.Fatalf("%s is set but %v", RequireDynaliteEnv, err)
	}
	tb.Skipf("skipping: %v (install with `make tools`)", err)
}

// Client is a DynamoDB client for an emulator endpoint, with static
// credentials and region us-east-1.
func Client(endpoint string) *dynamodb.Client {
	return dynamodb.NewFromConfig(awswire.Config(endpoint))
}

// CreateTable creates cxloop's table (dynamo.CreateTableInput) at the
// endpoint and waits until it is active.
func CreateTable(ctx context.Context, endpoint, name string) error {
	client := Client(endpoint)
	if _, err := client.CreateTable(ctx, dynamo.CreateTableInput(name)); err != nil {
		return fmt.Errorf("create table %s: %w", name, err)
	}
	waiter := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 100*time.Millisecond
	})
	if err := waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: &name}, 10*time.Second); err != nil {
		return fmt.Errorf("table %s never became active: %w", name, err)
	}
	return nil
}

// FindDynalite locates the dynalite script: $DYNALITE, or
// infra/tools/node_modules/.bin/dynalite in the module. Its error wraps
// ErrNotInstalled.
func FindDynalite() (string, error) {
	if _, err := exec.LookPath("node"); err != nil {
		return "", fmt.Errorf("node is not on PATH: %w", ErrNotInstalled)
	}
	if bin := os.Getenv(DynaliteEnv); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			return "", fmt.Errorf("%s=%s: %v: %w", DynaliteEnv, bin, err, ErrNotInstalled)
		}
		return bin, nil
	}
	root, err := ModuleRoot()
	if err != nil {
		return "", fmt.Errorf("dynalite: %v: %w", err, ErrNotInstalled)
	}
	bin := filepath.Join(root, "infra", "tools", "node_modules", ".bin", "dynalite")
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("dynalite is not at %s: %w", bin, ErrNotInstalled)
	}
	return bin, nil
}

// ModuleRoot is the nearest directory at or above the working directory
// that holds a go.mod.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod at or above the working directory")
		}
		dir = parent
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
