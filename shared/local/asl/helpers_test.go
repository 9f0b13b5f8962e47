package asl

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// handler is a fake Lambda: it receives the decoded payload.
type handler func(payload any) (any, error)

// fakeInvoker routes by function name (ARN or plain name) and records calls.
type fakeInvoker struct {
	mu       sync.Mutex
	handlers map[string]handler
	calls    []string
	payloads []string
}

func (f *fakeInvoker) Invoke(_ context.Context, fn string, payload json.RawMessage) (json.RawMessage, error) {
	f.mu.Lock()
	f.calls = append(f.calls, FunctionName(fn))
	f.payloads = append(f.payloads, string(payload))
	h, ok := f.handlers[FunctionName(fn)]
	f.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("no handler for %s", fn)
	}
	v, err := decodeJSON(payload)
	if err != nil {
		return nil, err
	}
	out, err := h(v)
	if err != nil {
		return nil, err
	}
	return json.Marshal(out)
}

func (f *fakeInvoker) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

type harness struct {
	t     *testing.T
	eng   *Engine
	clock *ManualClock
	inv   *fakeInvoker
	store ExecutionStore
}

func newHarness(t *testing.T, def string, handlers map[string]handler) *harness {
	t.Helper()
	return newHarnessStore(t, def, handlers, &checkingStore{t: t, MemoryStore: NewMemoryStore()})
}

func newHarnessStore(t *testing.T, def string, handlers map[string]handler, store ExecutionStore) *harness {
	t.Helper()
	d, err := Parse([]byte(def))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	h := &harness{t: t, clock: NewManualClock(t0), inv: &fakeInvoker{handlers: handlers}, store: store}
	h.eng = NewEngine(Config{Store: store, Clock: h.clock, Invoker: h.inv})
	h.eng.Register("sm", d)
	return h
}

func (h *harness) start(name, input string) *Execution {
	h.t.Helper()
	x, err := h.eng.StartExecution(context.Background(), "sm", name, json.RawMessage(input))
	if err != nil {
		h.t.Fatalf("StartExecution: %v", err)
	}
	return x
}

func (h *harness) describe(name string) *Execution {
	h.t.Helper()
	x, err := h.eng.DescribeExecution(context.Background(), "sm", name)
	if err != nil {
		h.t.Fatalf("DescribeExecution: %v", err)
	}
	return x
}

// advance moves the virtual clock and ticks.
func (h *harness) advance(d time.Duration) {
	h.t.Helper()
	h.clock.Advance(d)
	if err := h.eng.Tick(context.Background()); err != nil {
		h.t.Fatalf("Tick: %v", err)
	}
}

// runToEnd jumps from deadline to deadline until nothing is scheduled.
func (h *harness) runToEnd() {
	h.t.Helper()
	for i := 0; i < 1000; i++ {
		next, ok := h.eng.NextWakeup()
		if !ok {
			return
		}
		h.clock.Set(next)
		if err := h.eng.Tick(context.Background()); err != nil {
			h.t.Fatalf("Tick: %v", err)
		}
	}
	h.t.Fatal("runToEnd: too many wakeups")
}

// runDef runs a definition to completion with a virtual clock.
func runDef(t *testing.T, def, input string, handlers map[string]handler) *Execution {
	t.Helper()
	h := newHarness(t, def, handlers)
	h.start("x", input)
	h.runToEnd()
	return h.describe("x")
}

// assertJSON compares JSON semantically.
func assertJSON(t *testing.T, got json.RawMessage, want string) {
	t.Helper()
	g, err := decodeJSON(got)
	if err != nil {
		t.Fatalf("got invalid JSON %q: %v", got, err)
	}
	w, err := decodeJSON([]byte(want))
	if err != nil {
		t.Fatalf("want invalid JSON %q: %v", want, err)
	}
	if !jsonEqual(g, w) {
		t.Errorf("output mismatch\n got: %s\nwant: %s", got, want)
	}
}

func mustSucceed(t *testing.T, x *Execution) {
	t.Helper()
	if x.Status != StatusSucceeded {
		t.Fatalf("status %s, error %q cause %q; states %v", x.Status, x.Error, x.Cause, x.StatesEntered())
	}
}

// single wraps one state into a definition.
func single(state string) string {
	return `{"StartAt":"S","States":{"S":` + state + `}}`
}
