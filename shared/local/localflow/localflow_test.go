package localflow

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/aws/looptask"
	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/local/asl"
	"github.com/cxloop/cxloop/shared/local/embedded"
)

const waitDef = `{"StartAt":"Wait","States":{"Wait":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
"Parameters":{"FunctionName":"arn:aws:lambda:local:000000000000:function:notify","Payload":{"token.$":"$$.Task.Token"}},"End":true}}}`

func newFlow(t *testing.T, st asl.ExecutionStore, tokens chan<- string) (*Workflow, *asl.Engine) {
	t.Helper()
	def, err := asl.Parse([]byte(waitDef))
	if err != nil {
		t.Fatal(err)
	}
	inv := Invoker(map[string]looptask.Handler{"notify": func(_ context.Context, p json.RawMessage) (json.RawMessage, error) {
		var in struct{ Token string }
		_ = json.Unmarshal(p, &in)
		tokens <- in.Token
		return json.RawMessage(`{}`), nil
	}})
	eng := asl.NewEngine(asl.Config{Store: st, Clock: asl.NewManualClock(time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)), Invoker: inv})
	eng.Register("m", def)
	return New(eng, "m"), eng
}

func TestWorkflowStartIsIdempotentAndTokensGoAway(t *testing.T) {
	t.Parallel()
	tokens := make(chan string, 4)
	w, _ := newFlow(t, asl.NewMemoryStore(), tokens)
	ctx := context.Background()
	if err := w.Start(ctx, "loop-1", []byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	// The same name again (even with other input) is success, as in AWS.
	if err := w.Start(ctx, "loop-1", []byte(`{"a":2}`)); err != nil {
		t.Fatalf("second start: %v", err)
	}
	tok := <-tokens
	if len(tokens) != 0 {
		t.Fatal("a second start ran the task again")
	}
	if err := w.SendTaskSuccess(ctx, tok, []byte(`{"action":"complete"}`)); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		w.SendTaskSuccess(ctx, tok, []byte(`{}`)),
		w.SendTaskFailure(ctx, tok, "X", "y"),
		w.SendTaskHeartbeat(ctx, "garbage"),
	} {
		if !errors.Is(err, app.ErrTaskGone) {
			t.Errorf("used or bad token: err = %v, want app.ErrTaskGone", err)
		}
	}
}

func TestTableStoreSurvivesReopen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "db")
	tbl, err := embedded.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	tokens := make(chan string, 4)
	w, _ := newFlow(t, NewTableStore(tbl), tokens)
	if err := w.Start(context.Background(), "loop-2", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	tok := <-tokens
	if err := tbl.Close(); err != nil {
		t.Fatal(err)
	}
	tbl, err = embedded.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tbl.Close() })
	w, eng := newFlow(t, NewTableStore(tbl), tokens)
	if err := eng.Resume(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := w.SendTaskSuccess(context.Background(), tok, []byte(`{"ok":true}`)); err != nil {
		t.Fatalf("token after reopen: %v", err)
	}
	x, err := eng.DescribeExecution(context.Background(), "m", "loop-2")
	if err != nil || x.Status != asl.StatusSucceeded {
		t.Fatalf("execution = %+v, %v; want succeeded", x, err)
	}
}
