package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/cxloop/cxloop/shared/aws/dynamo"
	"github.com/cxloop/cxloop/shared/testkit/awsfake"
	"github.com/cxloop/cxloop/shared/testkit/awswire"
)

// dynalite is one in-memory dynalite process shared by the package's
// tests, started on first use and stopped by TestMain.
var dynalite struct {
	once sync.Once
	proc *awsfake.Dynalite
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if dynalite.proc != nil {
		dynalite.proc.Close()
	}
	os.Exit(code)
}

// dynaliteClient returns a DynamoDB client talking to the shared dynalite,
// skipping the test (or failing it when CXLOOP_REQUIRE_DYNALITE is set)
// when node or dynalite is not installed.
func dynaliteClient(t *testing.T) *dynamodb.Client {
	t.Helper()
	dynalite.once.Do(func() { dynalite.proc, dynalite.err = awsfake.RunDynalite(context.Background()) })
	if errors.Is(dynalite.err, awsfake.ErrNotInstalled) {
		if os.Getenv(awsfake.RequireDynaliteEnv) != "" {
			t.Fatalf("%s is set but %v", awsfake.RequireDynaliteEnv, dynalite.err)
		}
		t.Skipf("skipping DynamoDB tests against dynalite: %v (install with `make tools`)", dynalite.err)
	}
	if dynalite.err != nil {
		t.Fatalf("dynalite: %v", dynalite.err)
	}
	return dynamodb.NewFromConfig(awswire.Config(dynalite.proc.Endpoint))
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
