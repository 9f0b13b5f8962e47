package asl

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestStoreContract runs the same checks against every ExecutionStore.
func TestStoreContract(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	stores := map[string]func(t *testing.T) ExecutionStore{
		"memory": func(*testing.T) ExecutionStore { return NewMemoryStore() },
		"dir": func(t *testing.T) ExecutionStore {
			s, err := NewDirStore(filepath.Join(t.TempDir(), "execs"))
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	}
	for name, mk := range stores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := mk(t)
			key := "arn:aws:states:local:0:execution:sm:a/b c%"
			if _, err := s.Get(ctx, key); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Get missing: %v", err)
			}
			for _, doc := range []string{`{"v":1}`, `{"v":2}`} {
				if err := s.Put(ctx, key, []byte(doc)); err != nil {
					t.Fatal(err)
				}
			}
			got, err := s.Get(ctx, key)
			if err != nil || string(got) != `{"v":2}` {
				t.Fatalf("Get: %s %v", got, err)
			}
			keys, err := s.Keys(ctx)
			if err != nil || len(keys) != 1 || keys[0] != key {
				t.Fatalf("Keys: %q %v", keys, err)
			}
		})
	}
}

// TestDurability stops an engine mid-wait, mid-token and mid-invoke and
// finishes every execution with a new engine over the same DirStore.
func TestDurability(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	def := `{"StartAt":"Ask","States":{
	  "Ask":{` + tokenTask + `,"ResultPath":"$.ack","HeartbeatSeconds":3600,"Next":"Pause"},
	  "Pause":{"Type":"Wait","Seconds":600,"Next":"Work"},
	  "Work":{"Type":"Task","Resource":"` + fnARN + `work","ResultPath":"$.work","End":true}}}`

	// First process: start, get a token, acknowledge, reach the Wait.
	store1, _ := NewDirStore(dir)
	tc := &tokenCatcher{}
	h1 := newHarnessStore(t, def, map[string]handler{"notify": tc.handler, "work": func(any) (any, error) { return "w1", nil }}, store1)
	h1.start("waiting", `{"who":"a"}`)
	h1.start("tokened", `{"who":"b"}`)
	tokB := tc.last(t)
	tc.mu.Lock()
	tokA := tc.tokens[0]
	tc.mu.Unlock()
	if err := h1.eng.SendTaskSuccess(ctx, tokA, json.RawMessage(`{"ok":true}`)); err != nil {
		t.Fatal(err)
	}
	h1.advance(100 * time.Second)
	// h1 is now abandoned, as if killed.

	// A document a crash left mid-invoke: craft it by rewinding "waiting"'s
	// record to the Work task in phaseInvoke.
	doc, err := store1.Get(ctx, h1.eng.ExecutionARN("sm", "waiting"))
	if err != nil {
		t.Fatal(err)
	}
	var rec record
	if err := json.Unmarshal(doc, &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Root.State != "Pause" || rec.Root.Phase != phaseWait {
		t.Fatalf("expected to be waiting, got %s/%s", rec.Root.State, rec.Root.Phase)
	}
	rec.ARN = h1.eng.ExecutionARN("sm", "midinvoke")
	rec.Name = "midinvoke"
	rec.Root.State, rec.Root.Phase, rec.Root.Until = "Work", phaseInvoke, nil
	rec.Root.Effective = map[string]any{"who": "c"}
	b, _ := json.Marshal(&rec)
	if err := store1.Put(ctx, rec.ARN, b); err != nil {
		t.Fatal(err)
	}

	// Second process over the same directory.
	store2, _ := NewDirStore(dir)
	h2 := newHarnessStore(t, def, map[string]handler{"notify": tc.handler, "work": func(any) (any, error) { return "w2", nil }}, store2)
	h2.clock.Set(h1.clock.Now())
	if err := h2.eng.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	if x := h2.describe("midinvoke"); x.Status != StatusSucceeded {
		t.Errorf("mid-invoke task not re-invoked: %s", x.Status)
	}
	if x := h2.describe("waiting"); x.Status != StatusRunning {
		t.Fatalf("waiting: %s", x.Status)
	}
	h2.advance(499 * time.Second)
	if x := h2.describe("waiting"); x.Status != StatusRunning {
		t.Fatal("wait ended early after resume")
	}
	h2.advance(time.Second)
	x := h2.describe("waiting")
	mustSucceed(t, x)
	assertJSON(t, x.Output, `{"who":"a","ack":{"ok":true},"work":"w2"}`)

	// The token issued by the first process still works.
	if err := h2.eng.SendTaskSuccess(ctx, tokB, json.RawMessage(`{"ok":"b"}`)); err != nil {
		t.Fatalf("old token: %v", err)
	}
	h2.advance(600 * time.Second)
	mustSucceed(t, h2.describe("tokened"))

	// No temp files are left behind.
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if filepath.Ext(e.Name()) != ".json" {
			t.Errorf("stray file %s", e.Name())
		}
	}
}

// TestResumeKeepsDeadlines checks a heartbeat deadline survives a restart.
func TestResumeKeepsDeadlines(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	def := single(`{` + tokenTask + `,"HeartbeatSeconds":60,"End":true}`)
	s1, _ := NewDirStore(dir)
	tc := &tokenCatcher{}
	h1 := newHarnessStore(t, def, map[string]handler{"notify": tc.handler}, s1)
	h1.start("x", `{"who":"a"}`)
	s2, _ := NewDirStore(dir)
	h2 := newHarnessStore(t, def, map[string]handler{"notify": tc.handler}, s2)
	if err := h2.eng.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	if tc.callCountTokens() != 1 {
		t.Errorf("waiting task was re-invoked on resume")
	}
	h2.advance(60 * time.Second)
	if x := h2.describe("x"); x.Error != ErrNameHeartbeatTimeout {
		t.Errorf("got %s %s", x.Status, x.Error)
	}
}

func (c *tokenCatcher) callCountTokens() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.tokens)
}
