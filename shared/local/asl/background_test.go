package asl

import (
	"context"
	"encoding/json"
	"testing"
	"time"
)

// backgroundHarness is a harness whose engine runs executions in the
// background, with a "work" task that blocks until released.
func backgroundHarness(t *testing.T, store ExecutionStore, release chan struct{}, tokens *tokenCatcher) *harness {
	t.Helper()
	def := `{"StartAt":"Work","States":{
		"Work":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:000000000000:function:work","Next":"Wait"},
		"Wait":{` + tokenTask + `,"End":true}}}`
	h := newHarnessStore(t, def, map[string]handler{
		"work":   func(p any) (any, error) { <-release; return p, nil },
		"notify": tokens.handler,
	}, store)
	h.eng = NewEngine(Config{Store: store, Clock: h.clock, Invoker: h.inv, Background: true})
	d, _ := Parse([]byte(def))
	h.eng.Register("sm", d)
	return h
}

// StartExecution returns once the new execution is saved, before its first
// task has finished; the run goes on by itself, and SendTaskSuccess likewise.
func TestBackgroundRuns(t *testing.T) {
	t.Parallel()
	store := NewMemoryStore()
	release := make(chan struct{})
	tokens := &tokenCatcher{}
	h := backgroundHarness(t, store, release, tokens)

	x := h.start("bg-1", `{"who":"ana"}`)
	if x.Status != StatusRunning {
		t.Fatalf("status at return = %s, want RUNNING", x.Status)
	}
	if _, err := store.Get(context.Background(), x.ExecutionARN); err != nil {
		t.Fatalf("the execution is not saved when StartExecution returns: %v", err)
	}
	if h.eng.Busy() != 1 {
		t.Errorf("Busy() = %d while the first task runs, want 1", h.eng.Busy())
	}
	close(release)
	h.eng.Wait()
	if h.eng.Busy() != 0 {
		t.Errorf("Busy() = %d after Wait, want 0", h.eng.Busy())
	}
	if err := h.eng.SendTaskSuccess(context.Background(), tokens.last(t), json.RawMessage(`{"done":true}`)); err != nil {
		t.Fatal(err)
	}
	h.eng.Wait()
	if got := h.describe("bg-1"); got.Status != StatusSucceeded {
		t.Fatalf("status after the token = %s, want SUCCEEDED", got.Status)
	}
}

// A process that ends right after StartExecution returned leaves a saved
// execution that the next process's Resume runs to its end.
func TestBackgroundStartSurvivesRestart(t *testing.T) {
	t.Parallel()
	store := NewMemoryStore()
	dying := &failingStore{MemoryStore: store}
	never := make(chan struct{}) // the first process never gets past its task
	h := backgroundHarness(t, dying, never, &tokenCatcher{})
	h.start("bg-2", `{"who":"ana"}`)
	// The first process dies while its first task runs: it saved the
	// execution before calling the task, and writes nothing more.
	for deadline := time.Now().Add(5 * time.Second); h.inv.callCount() == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the first task was never called")
		}
		time.Sleep(time.Millisecond)
	}
	dying.mu.Lock()
	dying.fail = true
	dying.mu.Unlock()

	// The next process, on the same store.
	release := make(chan struct{})
	close(release)
	tokens := &tokenCatcher{}
	h2 := backgroundHarness(t, store, release, tokens)
	if err := h2.eng.Resume(context.Background()); err != nil {
		t.Fatal(err)
	}
	h2.eng.Wait()
	if err := h2.eng.SendTaskSuccess(context.Background(), tokens.last(t), json.RawMessage(`{}`)); err != nil {
		t.Fatal(err)
	}
	h2.eng.Wait()
	if got := h2.describe("bg-2"); got.Status != StatusSucceeded {
		t.Fatalf("status = %s, want SUCCEEDED", got.Status)
	}
	close(never) // let the first process's stranded run end
	h.eng.Wait()
}

// A failed first save fails StartExecution: nothing was started, nothing
// runs, and starting again works.
func TestBackgroundFirstSaveFails(t *testing.T) {
	t.Parallel()
	store := &failingStore{MemoryStore: NewMemoryStore(), fail: true}
	release := make(chan struct{})
	close(release)
	tokens := &tokenCatcher{}
	h := backgroundHarness(t, store, release, tokens)
	if _, err := h.eng.StartExecution(context.Background(), "sm", "bg-3", json.RawMessage(`{"who":"ana"}`)); err == nil {
		t.Fatal("StartExecution succeeded with a failing store")
	}
	if h.eng.Busy() != 0 || h.inv.callCount() != 0 {
		t.Fatalf("busy %d, calls %d after a failed start; want nothing running", h.eng.Busy(), h.inv.callCount())
	}
	store.mu.Lock()
	store.fail = false
	store.mu.Unlock()
	h.start("bg-3", `{"who":"ana"}`)
	h.eng.Wait()
	if got := h.describe("bg-3"); got.Status != StatusRunning || len(tokens.tokens) != 1 {
		t.Fatalf("status %s with %d tokens, want RUNNING waiting on one", got.Status, len(tokens.tokens))
	}
}
