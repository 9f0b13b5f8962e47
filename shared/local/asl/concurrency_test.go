package asl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// probeStore wraps an ExecutionStore to check the Engine's write
// discipline. It records the most Puts in flight at once, and reports an
// error for two concurrent Puts of one key or for a Put whose document is
// older (lower Seq, shorter history) than the key's previous one: the
// saves of one execution must be strictly ordered.
//
// With barrier > 1, the first Puts wait until barrier of them are in
// flight together, so concurrency is observed deterministically instead of
// by luck. An engine that serialises writes never gets there; the wait
// then gives up after barrierTimeout so the test fails instead of hanging.
type probeStore struct {
	ExecutionStore
	t       testing.TB
	delay   time.Duration // each Put sleeps this long, as an fsync would
	barrier int

	mu          sync.Mutex
	inflight    int
	maxInflight int
	puts        int
	busy        map[string]bool
	last        map[string]docVersion
	released    chan struct{}
	releaseOnce sync.Once
}

const barrierTimeout = 5 * time.Second

type docVersion struct {
	seq     int64
	history int
}

func newProbeStore(t testing.TB, delay time.Duration, barrier int) *probeStore {
	return &probeStore{
		ExecutionStore: NewMemoryStore(), t: t, delay: delay, barrier: barrier,
		busy: map[string]bool{}, last: map[string]docVersion{}, released: make(chan struct{}),
	}
}

func (s *probeStore) release() { s.releaseOnce.Do(func() { close(s.released) }) }

func (s *probeStore) Put(ctx context.Context, key string, doc []byte) error {
	var d struct {
		Seq     int64             `json:"seq"`
		History []json.RawMessage `json:"history"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		s.t.Errorf("Put %s: undecodable document: %v", key, err)
	}
	v := docVersion{seq: d.Seq, history: len(d.History)}

	s.mu.Lock()
	s.puts++
	s.inflight++
	s.maxInflight = max(s.maxInflight, s.inflight)
	if s.busy[key] {
		s.t.Errorf("Put %s: concurrent Puts of one execution", key)
	}
	s.busy[key] = true
	if prev, ok := s.last[key]; ok && (v.seq < prev.seq || v.history < prev.history) {
		s.t.Errorf("Put %s: older state (seq %d, %d events) overwrites newer (seq %d, %d events)",
			key, v.seq, v.history, prev.seq, prev.history)
	}
	s.last[key] = v
	if s.barrier > 1 && s.inflight >= s.barrier {
		s.release()
	}
	s.mu.Unlock()

	if s.barrier > 1 {
		select {
		case <-s.released:
		case <-time.After(barrierTimeout):
			s.release() // writes are serialised: stop waiting, let the test fail
		}
	}
	if s.delay > 0 {
		time.Sleep(s.delay)
	}
	err := s.ExecutionStore.Put(ctx, key, doc)

	s.mu.Lock()
	s.inflight--
	s.busy[key] = false
	s.mu.Unlock()
	return err
}

func (s *probeStore) stats() (maxInflight, puts int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxInflight, s.puts
}

// TestConcurrentStoreWrites starts executions from many goroutines over a
// store whose first Puts only return once two are in flight together: an
// engine that held a global lock across store writes would never get
// there.
func TestConcurrentStoreWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := newProbeStore(t, time.Millisecond, 2)
	def := `{"StartAt":"A","States":{
	  "A":{"Type":"Pass","Result":1,"ResultPath":"$.a","Next":"T"},
	  "T":{"Type":"Task","Resource":"` + fnARN + `f","ResultPath":"$.t","Next":"W"},
	  "W":{"Type":"Wait","Seconds":5,"End":true}}}`
	h := newHarnessStore(t, def, map[string]handler{"f": func(any) (any, error) { return "ok", nil }}, store)
	const n = 20
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			x, err := h.eng.StartExecution(ctx, "sm", fmt.Sprintf("e%d", i), json.RawMessage(`{}`))
			if err != nil {
				t.Error(err)
				return
			}
			if x.Status != StatusRunning || fmt.Sprint(x.StatesEntered()) != "[A T W]" {
				t.Errorf("e%d: not quiescent in the Wait on return: %s %v", i, x.Status, x.StatesEntered())
			}
		})
	}
	wg.Wait()
	h.runToEnd()
	for i := range n {
		mustSucceed(t, h.describe(fmt.Sprintf("e%d", i)))
	}
	maxInflight, puts := store.stats()
	t.Logf("%d Puts, at most %d in flight", puts, maxInflight)
	if maxInflight < 2 {
		t.Errorf("store writes of different executions never overlapped (max %d in flight)", maxInflight)
	}
}

// TestConcurrentStartSameName races starts of one name over a slow store:
// exactly one execution runs, and every caller gets it.
func TestConcurrentStartSameName(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := newProbeStore(t, 2*time.Millisecond, 0)
	var calls atomic.Int32
	h := newHarnessStore(t, single(`{"Type":"Task","Resource":"`+fnARN+`f","End":true}`),
		map[string]handler{"f": func(any) (any, error) { calls.Add(1); return "ok", nil }}, store)
	const n = 20
	arns := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			x, err := h.eng.StartExecution(ctx, "sm", "same", json.RawMessage(`{"k":1}`))
			if err != nil {
				t.Error(err)
				return
			}
			arns[i] = x.ExecutionARN
		})
	}
	wg.Wait()
	for _, a := range arns {
		if a != h.eng.ExecutionARN("sm", "same") {
			t.Errorf("got ARN %q", a)
		}
	}
	x := h.describe("same")
	mustSucceed(t, x)
	if c := calls.Load(); c != 1 {
		t.Errorf("handler called %d times, want 1", c)
	}
	if got := countEvents(x, "ExecutionStarted"); got != 1 {
		t.Errorf("%d ExecutionStarted events", got)
	}
}

// TestRaceSendTaskSuccessAndTick completes tokens while Ticks run the same
// executions' other branch, whose Wait just ended: each execution must end
// with one consistent history, and the stored document must be the final
// state.
func TestRaceSendTaskSuccessAndTick(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	def := `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[
	   {"StartAt":"Ask","States":{"Ask":{` + tokenTask + `,"HeartbeatSeconds":3600,"End":true}}},
	   {"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":10,"Next":"Work"},
	     "Work":{"Type":"Task","Resource":"` + fnARN + `work","End":true}}}
	 ],"Next":"Done"},"Done":{"Type":"Pass","End":true}}}`
	store := newProbeStore(t, 0, 0)
	var work sync.Map // execution ARN -> *atomic.Int32 calls
	tc := &tokenCatcher{}
	h := newHarnessStore(t, def, map[string]handler{
		"notify": tc.handler,
		"work": func(any) (any, error) {
			runtime.Gosched()
			return "worked", nil
		},
	}, store)
	h.eng.invoker = InvokerFunc(func(ctx context.Context, fn string, p json.RawMessage) (json.RawMessage, error) {
		if ti, ok := TaskInfoFromContext(ctx); ok && ti.StateName == "Work" {
			c, _ := work.LoadOrStore(ti.ExecutionARN, new(atomic.Int32))
			c.(*atomic.Int32).Add(1)
		}
		return h.inv.Invoke(ctx, fn, p)
	})

	const n = 30
	for i := range n {
		if x := h.start(fmt.Sprintf("e%02d", i), `{"who":"x"}`); x.Status != StatusRunning {
			t.Fatalf("e%02d: %s", i, x.Status)
		}
	}
	tc.mu.Lock()
	tokens := append([]string(nil), tc.tokens...)
	tc.mu.Unlock()
	if len(tokens) != n {
		t.Fatalf("%d tokens", len(tokens))
	}
	h.clock.Advance(10 * time.Second) // every Wait is due; nothing ticked yet

	var wg sync.WaitGroup
	for i, tok := range tokens {
		wg.Go(func() {
			if err := h.eng.SendTaskSuccess(ctx, tok, json.RawMessage(fmt.Sprintf(`{"i":%d}`, i))); err != nil {
				t.Errorf("SendTaskSuccess: %v", err)
			}
		})
		wg.Go(func() {
			if err := h.eng.Tick(ctx); err != nil {
				t.Errorf("Tick: %v", err)
			}
		})
		wg.Go(func() { h.eng.NextWakeup() })
	}
	wg.Wait()
	if err := h.eng.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if next, ok := h.eng.NextWakeup(); ok {
		t.Errorf("still scheduled: %v", next)
	}

	for i := range n {
		name := fmt.Sprintf("e%02d", i)
		x := h.describe(name)
		mustSucceed(t, x)
		if len(x.Output) == 0 || !strings.Contains(string(x.Output), `"worked"`) {
			t.Errorf("%s: output %s", name, x.Output)
		}
		for j, ev := range x.History {
			if ev.ID != j+1 {
				t.Fatalf("%s: event %d has ID %d", name, j, ev.ID)
			}
		}
		for typ, want := range map[string]int{
			"ExecutionStarted": 1, "ExecutionSucceeded": 1, "ParallelStateEntered": 1, "ParallelStateExited": 1,
			"TaskStateEntered": 2, "TaskSucceeded": 2, "TaskStateExited": 2, "WaitStateExited": 1, "PassStateEntered": 1,
		} {
			if got := countEvents(x, typ); got != want {
				t.Errorf("%s: %d %s events, want %d", name, got, typ, want)
			}
		}
		if last := x.History[len(x.History)-1].Type; last != "ExecutionSucceeded" {
			t.Errorf("%s: history ends with %s", name, last)
		}
		if c, ok := work.Load(x.ExecutionARN); !ok || c.(*atomic.Int32).Load() != 1 {
			t.Errorf("%s: Work invoked %v times, want once", name, c)
		}
		// The stored document is the final state, not an earlier save.
		doc, err := store.ExecutionStore.Get(ctx, x.ExecutionARN)
		if err != nil {
			t.Fatal(err)
		}
		var rec record
		if err := json.Unmarshal(doc, &rec); err != nil {
			t.Fatal(err)
		}
		if rec.Status != StatusSucceeded || len(rec.History) != len(x.History) {
			t.Errorf("%s: stored %s with %d events, memory %s with %d", name, rec.Status, len(rec.History), x.Status, len(x.History))
		}
	}
	// Completed tokens are refused.
	if err := h.eng.SendTaskSuccess(ctx, tokens[0], json.RawMessage(`{}`)); !errors.Is(err, ErrTaskTimedOut) {
		t.Errorf("token reused: %v", err)
	}
}

func countEvents(x *Execution, typ string) int {
	n := 0
	for _, ev := range x.History {
		if ev.Type == typ {
			n++
		}
	}
	return n
}

// BenchmarkConcurrentExecutions runs the closed loop the HTTP API drives
// under load: many clients each start an execution that blocks on a task
// token, then complete the token, over a store whose Put takes ~2ms like a
// durable write. Reports executions/s; with writes serialised behind a
// global lock it cannot exceed 1/(saves per execution × 2ms).
func BenchmarkConcurrentExecutions(b *testing.B) {
	def := `{"StartAt":"Ask","States":{
	  "Ask":{` + tokenTask + `,"ResultPath":"$.answer","Next":"Record"},
	  "Record":{"Type":"Task","Resource":"` + fnARN + `record","ResultPath":"$.recorded","End":true}}}`
	d, err := Parse([]byte(def))
	if err != nil {
		b.Fatal(err)
	}
	store := &slowStore{ExecutionStore: NewMemoryStore(), delay: 2 * time.Millisecond}
	var tokens sync.Map // execution ARN -> token
	inv := InvokerFunc(func(ctx context.Context, fn string, _ json.RawMessage) (json.RawMessage, error) {
		ti, _ := TaskInfoFromContext(ctx)
		if fn == "notify" {
			tokens.Store(ti.ExecutionARN, ti.Token)
		}
		return json.RawMessage(`{"ok":true}`), nil
	})
	eng := NewEngine(Config{Store: store, Clock: NewManualClock(t0), Invoker: inv})
	eng.Register("sm", d)
	ctx := context.Background()
	var seq atomic.Int64
	// About 32 concurrent clients, as in the load test.
	b.SetParallelism(max(1, 32/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			x, err := eng.StartExecution(ctx, "sm", fmt.Sprintf("e%d", seq.Add(1)), json.RawMessage(`{"who":"x"}`))
			if err != nil {
				b.Error(err)
				return
			}
			tok, _ := tokens.LoadAndDelete(x.ExecutionARN)
			if err := eng.SendTaskSuccess(ctx, tok.(string), json.RawMessage(`{"score":9}`)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "executions/s")
	b.ReportMetric(float64(store.puts.Load())/float64(b.N), "saves/execution")
}

// slowStore is a store whose Put takes delay, like a durable write.
type slowStore struct {
	ExecutionStore
	delay time.Duration
	puts  atomic.Int64
}

func (s *slowStore) Put(ctx context.Context, key string, doc []byte) error {
	s.puts.Add(1)
	time.Sleep(s.delay)
	return s.ExecutionStore.Put(ctx, key, doc)
}
