package asl

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The executions in testdata/records-v1 were saved by the interpreter's
// former hand-written encoder, at every stage a `cxloop dev` data folder
// may hold them (see testdata/records-v1.md). The helpers here carry them
// on to their end the same way the run that wrote
// testdata/records-v1.want.json did, so a test can check today's code
// continues them exactly as that code would have.

// compatInvoker answers every Task of the fixtures' state machines. Its
// answers depend only on the payload and the attempt, so a run resumed
// from the fixtures invokes exactly what the original run did.
func compatInvoker() Invoker {
	return InvokerFunc(func(ctx context.Context, fn string, payload json.RawMessage) (json.RawMessage, error) {
		info, _ := TaskInfoFromContext(ctx)
		p, err := decodeJSON(payload)
		if err != nil {
			return nil, err
		}
		args, _ := p.(map[string]any)
		taskID, _ := args["task_id"].(string)
		var out any
		switch FunctionName(fn) {
		case "flaky":
			if info.RetryCount == 0 {
				return nil, &TaskError{Type: "Flaky", Cause: "first try <fails> & says \"so\""}
			}
			out = map[string]any{"ok": true, "echo": args["all"]}
		case "double":
			n, _ := toInt(p)
			out = intNumber(2 * n)
		case "ask", "NotifyOwner", "NotifyCustomer", "AskRecovery", "RecordFailure":
			out = map[string]any{}
		case "AssignOwner":
			if strings.HasPrefix(taskID, "tk_flaky") && info.RetryCount == 0 {
				return nil, &TaskError{Type: "Lambda.ServiceException", Cause: "try again"}
			}
			wait := int64(172800)
			if strings.HasPrefix(taskID, "tk_fast") {
				wait = 3600
			}
			out = map[string]any{"task_id": taskID, "wait_seconds": intNumber(wait), "final": false}
		case "Escalate":
			out = map[string]any{"task_id": taskID, "wait_seconds": intNumber(86400), "final": true}
		case "Reassigned":
			out = map[string]any{"task_id": taskID, "wait_seconds": intNumber(172800), "final": false}
		case "RecordOutcome":
			recovery := !strings.HasPrefix(taskID, "tk_norecovery")
			out = map[string]any{"note": true, "recovery": recovery, "recovery_wait_seconds": intNumber(259200)}
		default:
			return nil, &TaskError{Type: ErrNameTaskFailed, Cause: "no handler for " + fn}
		}
		return mustEncode(out), nil
	})
}

// compatAnswer is what the owner of a waiting task sends, by state.
func compatAnswer(state string) json.RawMessage {
	if state == "Ask" {
		return json.RawMessage(`{"answer":"oui \u00e9t\u00e9","n":7}`)
	}
	return json.RawMessage(`{"action":"complete"}`)
}

// waitingToken is a task waiting for SendTask*.
type waitingToken struct {
	arn, state, token string
}

// waitingTokens lists the tasks of the executions in memory that wait for
// a token, by execution ARN and then frame.
func waitingTokens(e *Engine) []waitingToken {
	var out []waitingToken
	for _, rec := range e.loaded() {
		rec.mu.Lock()
		if !rec.gone && rec.Status == StatusRunning {
			rec.Root.walk(func(f *frame) {
				if f.Phase == phaseToken {
					out = append(out, waitingToken{arn: rec.ARN, state: f.State, token: f.Token})
				}
			})
		}
		rec.mu.Unlock()
	}
	return out
}

// finishAll runs every execution in memory to its end: each waiting task
// gets compatAnswer at once, and the clock jumps from deadline to
// deadline.
func finishAll(tb testing.TB, e *Engine, clock *ManualClock) {
	tb.Helper()
	ctx := context.Background()
	for range 1000 {
		toks := waitingTokens(e)
		for _, w := range toks {
			if err := e.SendTaskSuccess(ctx, w.token, compatAnswer(w.state)); err != nil {
				tb.Fatalf("SendTaskSuccess %s %s: %v", w.arn, w.state, err)
			}
		}
		next, ok := e.NextWakeup()
		if !ok {
			if len(toks) == 0 {
				return
			}
			continue
		}
		clock.Set(next)
		if err := e.Tick(ctx); err != nil {
			tb.Fatalf("Tick at %s: %v", next, err)
		}
	}
	tb.Fatal("finishAll: executions did not end")
}

// compatWant is testdata/records-v1.want.json: when the fixtures were
// saved, and every execution as it ended.
type compatWant struct {
	SavedAt    time.Time    `json:"savedAt"`
	Executions []*Execution `json:"executions"`
}

// describeAll describes every execution in the store, by ARN.
func describeAll(tb testing.TB, e *Engine, store ExecutionStore) []*Execution {
	tb.Helper()
	ctx := context.Background()
	keys, err := store.Keys(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	var out []*Execution
	for _, k := range keys {
		if IsDefinitionKey(k) {
			continue
		}
		x, err := e.DescribeExecutionARN(ctx, k)
		if err != nil {
			tb.Fatalf("describe %s: %v", k, err)
		}
		out = append(out, x)
	}
	slices.SortFunc(out, func(a, b *Execution) int { return strings.Compare(a.ExecutionARN, b.ExecutionARN) })
	return out
}

// sameExecutions reports how got differs from want, as JSON.
func sameExecutions(got, want []*Execution) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d executions, want %d", len(got), len(want))
	}
	for i := range got {
		g, err := json.Marshal(got[i])
		if err != nil {
			return err
		}
		w, err := json.Marshal(want[i])
		if err != nil {
			return err
		}
		gv, _ := decodeJSON(g)
		wv, _ := decodeJSON(w)
		if !jsonEqual(gv, wv) {
			return fmt.Errorf("execution %s:\n got %s\nwant %s", want[i].ExecutionARN, g, w)
		}
	}
	return nil
}

// TestRecordsV1 loads the executions and definitions saved by the
// interpreter's former hand-written encoder: today's encoder writes each
// document back byte for byte, each definition keeps its hash, and a new
// engine resumes the running executions and ends every one exactly as the
// former code did.
func TestRecordsV1(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	raw, err := os.ReadFile(filepath.Join("testdata", "records-v1.want.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want compatWant
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("testdata", "records-v1"))); err != nil {
		t.Fatal(err)
	}
	store, err := NewDirStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	clock := NewManualClock(want.SavedAt)
	eng := NewEngine(Config{Store: store, Clock: clock, Invoker: compatInvoker()})

	keys, err := store.Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	running := 0
	for _, k := range keys {
		doc, err := store.Get(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		if IsDefinitionKey(k) {
			d, err := Parse(doc)
			if err != nil {
				t.Fatalf("%s: %v", k, err)
			}
			if definitionKey(d.hash) != k || !bytes.Equal(d.raw, doc) {
				t.Errorf("%s parses to %s:\n%s", k, d.hash, d.raw)
			}
			continue
		}
		rec, err := eng.decodeRecord(ctx, doc)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if rec.Status == StatusRunning {
			running++
		}
		if got, err := rec.encode(); err != nil || !bytes.Equal(got, doc) {
			t.Errorf("%s is written back differently (%v):\n got %s\nwant %s", k, err, got, doc)
		}
	}
	if running < 10 || len(keys)-running < 6 {
		t.Fatalf("fixtures hold %d running executions of %d keys", running, len(keys))
	}

	if err := eng.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	finishAll(t, eng, clock)
	if err := sameExecutions(describeAll(t, eng, store), want.Executions); err != nil {
		t.Error(err)
	}
}
