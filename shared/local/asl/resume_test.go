package asl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"
)

// recordingStore keeps a copy of every document written for one key.
type recordingStore struct {
	*MemoryStore
	key string

	mu   sync.Mutex
	docs [][]byte
}

func (s *recordingStore) Put(ctx context.Context, key string, doc []byte) error {
	if key == s.key {
		s.mu.Lock()
		s.docs = append(s.docs, bytes.Clone(doc))
		s.mu.Unlock()
	}
	return s.MemoryStore.Put(ctx, key, doc)
}

// TestResumeFromEverySave restarts an execution from each document it
// saved, in a new engine over a store holding just that document, and
// checks that it ends exactly as the uninterrupted run did: same status,
// output and history, timestamps included. Retries, waits, Map iterations
// and Parallel branches are all saved mid-way.
func TestResumeFromEverySave(t *testing.T) {
	t.Parallel()
	def := `{"StartAt":"Flaky","States":{
	  "Flaky":{"Type":"Task","Resource":"` + fnARN + `flaky","Parameters":{"try.$":"$$.State.RetryCount","who.$":"$.who"},
	    "Retry":[{"ErrorEquals":["Flaky"],"IntervalSeconds":2}],"ResultPath":"$.flaky","Next":"Pause"},
	  "Pause":{"Type":"Wait","Seconds":30,"Next":"Pick"},
	  "Pick":{"Type":"Choice","Choices":[{"Variable":"$.flaky.ok","BooleanEquals":true,"Next":"Each"}],"Default":"Broken"},
	  "Each":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":2,"ResultPath":"$.each","Next":"Both",
	    "ItemProcessor":{"StartAt":"Double","States":{
	      "Double":{"Type":"Task","Resource":"` + fnARN + `double","Next":"Rest"},
	      "Rest":{"Type":"Wait","Seconds":5,"End":true}}}},
	  "Both":{"Type":"Parallel","ResultPath":"$.both","Next":"Done","Branches":[
	    {"StartAt":"Left","States":{"Left":{"Type":"Task","Resource":"` + fnARN + `double","InputPath":"$.items[0]","End":true}}},
	    {"StartAt":"Right","States":{"Right":{"Type":"Pass","Result":"r","End":true}}}]},
	  "Done":{"Type":"Succeed"},
	  "Broken":{"Type":"Fail","Error":"Broken"}}}`
	handlers := map[string]handler{
		"flaky": func(p any) (any, error) {
			if p.(map[string]any)["try"].(json.Number) == "0" {
				return nil, &TaskError{Type: "Flaky", Cause: "first try"}
			}
			return map[string]any{"ok": true}, nil
		},
		"double": func(p any) (any, error) {
			n, _ := toInt(p)
			return intNumber(2 * n), nil
		},
	}
	ctx := context.Background()
	const input = `{"who":"a\u00e9\"b","items":[1,2,3]}`

	orig := &recordingStore{MemoryStore: NewMemoryStore()}
	h := newHarnessStore(t, def, handlers, orig)
	orig.key = h.eng.ExecutionARN("sm", "x")
	h.start("x", input)
	h.runToEnd()
	want := h.describe("x")
	mustSucceed(t, want)
	if len(orig.docs) < 10 {
		t.Fatalf("only %d saves", len(orig.docs))
	}
	defKeys, err := orig.Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}

	for i, doc := range orig.docs {
		store := NewMemoryStore()
		for _, k := range defKeys {
			if IsDefinitionKey(k) {
				raw, _ := orig.Get(ctx, k)
				_ = store.Put(ctx, k, raw)
			}
		}
		_ = store.Put(ctx, orig.key, doc)
		h2 := newHarnessStore(t, def, handlers, &checkingStore{t: t, MemoryStore: store})
		h2.clock.Set(lastEventTime(t, doc))
		if err := h2.eng.Resume(ctx); err != nil {
			t.Fatalf("save %d: Resume: %v", i, err)
		}
		h2.runToEnd()
		got := h2.describe("x")
		if got.Status != want.Status || !bytes.Equal(got.Output, want.Output) || !reflect.DeepEqual(got.History, want.History) {
			t.Errorf("resumed from save %d of %d:\n got %s %s %v\nwant %s %s %v", i+1, len(orig.docs),
				got.Status, got.Output, got.History, want.Status, want.Output, want.History)
		}
	}
}

// lastEventTime returns the time of a document's last history event, the
// time it was saved at.
func lastEventTime(t *testing.T, doc []byte) time.Time {
	t.Helper()
	var r record
	if err := json.Unmarshal(doc, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.History) == 0 {
		t.Fatal(errors.New("document without history"))
	}
	return r.History[len(r.History)-1].Timestamp
}
