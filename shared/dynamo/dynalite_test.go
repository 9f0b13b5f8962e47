package dynamo_test

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
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/cxloop/cxloop/shared/awswire"
	"github.com/cxloop/cxloop/shared/dynamo"
)

// requireEnv makes a missing dynalite a failure instead of a skip; CI sets
// it so the contract suite cannot silently stop running there.
const requireEnv = "CXLOOP_REQUIRE_DYNALITE"

// dynaliteEnv overrides where the dynalite executable is.
const dynaliteEnv = "DYNALITE"

// dynalite is one in-memory dynalite process shared by the package's
// tests, started on first use and stopped by TestMain.
var dynalite struct {
	once     sync.Once
	cmd      *exec.Cmd
	output   bytes.Buffer
	endpoint string
	skip     string // why there is no dynalite, when it is not installed
	err      error  // why it did not start, when it is installed
}

func TestMain(m *testing.M) {
	code := m.Run()
	stopDynalite()
	os.Exit(code)
}

// dynaliteClient returns a DynamoDB client talking to the shared dynalite,
// skipping the test (or failing it when CXLOOP_REQUIRE_DYNALITE is set)
// when node or dynalite is not installed.
func dynaliteClient(t *testing.T) *dynamodb.Client {
	t.Helper()
	dynalite.once.Do(startDynalite)
	if dynalite.skip != "" {
		if os.Getenv(requireEnv) != "" {
			t.Fatalf("%s is set but %s", requireEnv, dynalite.skip)
		}
		t.Skipf("skipping DynamoDB tests against dynalite: %s (install with `npm ci` in infra/tools)", dynalite.skip)
	}
	if dynalite.err != nil {
		t.Fatalf("dynalite: %v", dynalite.err)
	}
	return dynamodb.NewFromConfig(awswire.Config(dynalite.endpoint))
}

var tableSeq atomic.Int64

// newDynaliteTable creates a fresh table shaped by CreateTableInput, so
// tests never see each other's items, and returns the adapter on it.
func newDynaliteTable(t *testing.T) *dynamo.Table {
	t.Helper()
	client := dynaliteClient(t)
	name := fmt.Sprintf("cxloop-test-%d", tableSeq.Add(1))
	ctx := awswire.Context(t)
	if _, err := client.CreateTable(ctx, dynamo.CreateTableInput(name)); err != nil {
		t.Fatalf("create table %s: %v", name, err)
	}
	waiter := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 100*time.Millisecond
	})
	if err := waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: &name}, 10*time.Second); err != nil {
		t.Fatalf("table %s never became active: %v", name, err)
	}
	return dynamo.New(client, name)
}

func startDynalite() {
	bin, why := findDynalite()
	if why != "" {
		dynalite.skip = why
		return
	}
	// The port is picked by binding :0 and releasing it; if another process
	// takes it in between, dynalite exits and we try another.
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			dynalite.err = err
			return
		}
		dynalite.output.Reset()
		// No --path: dynalite keeps everything in memory. Tables are ACTIVE
		// at once instead of after dynalite's default 500 ms.
		cmd := exec.Command(bin, "--host", "127.0.0.1", "--port", fmt.Sprint(port),
			"--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0")
		cmd.Stdout = &dynalite.output
		cmd.Stderr = &dynalite.output
		dieWithParent(cmd)
		if err := cmd.Start(); err != nil {
			dynalite.err = fmt.Errorf("start %s: %w", bin, err)
			return
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		endpoint := fmt.Sprintf("http://127.0.0.1:%d", port)
		if err := waitReady(endpoint, exited); err != nil {
			_ = cmd.Process.Kill()
			<-exited
			dynalite.err = fmt.Errorf("%w; output:\n%s", err, dynalite.output.String())
			continue
		}
		dynalite.cmd, dynalite.endpoint, dynalite.err = cmd, endpoint, nil
		go func() { <-exited }() // reap when stopped
		return
	}
}

// waitReady polls ListTables until dynalite answers, it exits, or 15 s pass.
func waitReady(endpoint string, exited <-chan error) error {
	client := dynamodb.NewFromConfig(awswire.Config(endpoint))
	deadline := time.Now().Add(15 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := client.ListTables(ctx, &dynamodb.ListTablesInput{})
		cancel()
		if err == nil {
			return nil
		}
		select {
		case werr := <-exited:
			return fmt.Errorf("dynalite exited before answering: %v", werr)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("dynalite did not answer on %s within 15s: %w", endpoint, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func stopDynalite() {
	if dynalite.cmd != nil && dynalite.cmd.Process != nil {
		_ = dynalite.cmd.Process.Kill()
	}
}

// findDynalite locates node and the dynalite script installed under
// infra/tools, or says why it cannot.
func findDynalite() (bin, why string) {
	if _, err := exec.LookPath("node"); err != nil {
		return "", "node is not on PATH"
	}
	if bin = os.Getenv(dynaliteEnv); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			return "", fmt.Sprintf("%s=%s: %v", dynaliteEnv, bin, err)
		}
		return bin, ""
	}
	root, err := moduleRoot()
	if err != nil {
		return "", err.Error()
	}
	bin = filepath.Join(root, "infra", "tools", "node_modules", ".bin", "dynalite")
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Sprintf("dynalite is not installed at %s", bin)
	}
	return bin, ""
}

func moduleRoot() (string, error) {
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
			return "", errors.New("no go.mod above the test's directory")
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
