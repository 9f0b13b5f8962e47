package asl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// checkingStore is a MemoryStore that checks every execution document the
// engine writes reads back with encoding/json to the same record, i.e. that
// the document put together from cached parts (see encode.go) is the one
// json.Marshal writes for the record that decodeRecord reads.
type checkingStore struct {
	t testing.TB
	*MemoryStore
}

func (s *checkingStore) Put(ctx context.Context, key string, doc []byte) error {
	if !IsDefinitionKey(key) {
		checkDocument(s.t, doc)
	}
	return s.MemoryStore.Put(ctx, key, doc)
}

func decodeGeneric(tb testing.TB, doc []byte) any {
	tb.Helper()
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		tb.Errorf("document %s: %v", doc, err)
	}
	return v
}

func checkDocument(tb testing.TB, doc []byte) {
	tb.Helper()
	if !json.Valid(doc) {
		tb.Errorf("invalid document %s", doc)
		return
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	var r record
	if err := dec.Decode(&r); err != nil {
		tb.Errorf("decode %s: %v", doc, err)
		return
	}
	again, err := json.Marshal(&r)
	if err != nil {
		tb.Errorf("marshal: %v", err)
		return
	}
	if a, b := decodeGeneric(tb, doc), decodeGeneric(tb, again); !reflect.DeepEqual(a, b) {
		tb.Errorf("document does not round-trip\n  wrote:     %s\n  json.Marshal: %s", doc, again)
	}
	if enc, err := r.encode(); err != nil || !bytes.Equal(enc, doc) && !reflect.DeepEqual(decodeGeneric(tb, enc), decodeGeneric(tb, doc)) {
		tb.Errorf("re-encoding differs (%v)\n  %s\n  %s", err, doc, enc)
	}
}

// TestEncodeJSON checks values are written as Step Functions prints them:
// compact, object keys sorted, numbers as their text, no HTML escaping;
// and that what is not JSON is refused.
func TestEncodeJSON(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		v    any
		want string
	}{
		{nil, `null`},
		{map[string]any{}, `{}`},
		{[]any{}, `[]`},
		{json.Number("-1.5e10"), `-1.5e10`},
		{json.Number("12345678901234567890123"), `12345678901234567890123`},
		{map[string]any{"b": []any{json.Number("1"), "x", nil, true}, "a": map[string]any{"z": json.Number("1")}, "<": "&"},
			`{"<":"&","a":{"z":1},"b":[1,"x",null,true]}`},
		{"q\"uo\te\n\u2028<html>&amp; ünï日本", `"q\"uo\te\n\u2028<html>&amp; ünï日本"`},
	} {
		got, err := encodeJSON(tt.v)
		if err != nil || string(got) != tt.want {
			t.Errorf("encodeJSON(%#v) = %s, %v; want %s", tt.v, got, err, tt.want)
		}
	}
	for _, v := range []any{math.NaN(), []any{"x", map[string]any{"a": math.Inf(1)}}, json.Number("1.")} {
		if _, err := encodeJSON(v); err == nil {
			t.Errorf("encodeJSON(%v) succeeded", v)
		}
	}
}

// TestDefinitionStoredOnce checks an execution's document names its
// definition by hash, the definition is stored once, and executions resume
// with the definition they started with after it is re-registered, also
// from a record written before definitions were stored apart.
func TestDefinitionStoredOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v1 := `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":10,"Next":"P"},"P":{"Type":"Pass","Result":"v1","End":true}}}`
	v2 := `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":10,"Next":"P"},"P":{"Type":"Pass","Result":"v2","End":true}}}`
	store := &checkingStore{t: t, MemoryStore: NewMemoryStore()}
	h1 := newHarnessStore(t, v1, nil, store)
	h1.start("a", `{}`)
	h1.start("b", `{}`)
	keys, _ := store.Keys(ctx)
	var defs []string
	for _, k := range keys {
		if IsDefinitionKey(k) {
			defs = append(defs, k)
			continue
		}
		doc, _ := store.Get(ctx, k)
		if bytes.Contains(doc, []byte(`"States"`)) {
			t.Errorf("document carries the definition: %s", doc)
		}
	}
	if len(defs) != 1 {
		t.Fatalf("definitions stored: %q", defs)
	}

	// A record in the old format, with the definition inline.
	doc, _ := store.Get(ctx, h1.eng.ExecutionARN("sm", "b"))
	var old map[string]any
	if err := json.Unmarshal(doc, &old); err != nil {
		t.Fatal(err)
	}
	delete(old, "definitionHash")
	old["definition"] = json.RawMessage(v1)
	old["arn"] = h1.eng.ExecutionARN("sm", "legacy")
	old["name"] = "legacy"
	legacy, _ := json.Marshal(old)
	if err := store.MemoryStore.Put(ctx, h1.eng.ExecutionARN("sm", "legacy"), legacy); err != nil {
		t.Fatal(err)
	}

	// A new process registers v2 and resumes.
	h2 := newHarnessStore(t, v2, nil, store)
	h2.clock.Set(h1.clock.Now())
	if err := h2.eng.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	h2.start("c", `{}`)
	h2.advance(10 * time.Second)
	for name, want := range map[string]string{"a": `"v1"`, "b": `"v1"`, "legacy": `"v1"`, "c": `"v2"`} {
		x := h2.describe(name)
		mustSucceed(t, x)
		assertJSON(t, x.Output, want)
	}
	doc, _ = store.Get(ctx, h1.eng.ExecutionARN("sm", "legacy"))
	if strings.Contains(string(doc), `"definition":`) {
		t.Errorf("legacy record not migrated: %s", doc)
	}
	keys, _ = store.Keys(ctx)
	defs = defs[:0]
	for _, k := range keys {
		if IsDefinitionKey(k) {
			defs = append(defs, k)
		}
	}
	if len(defs) != 2 {
		t.Errorf("definitions stored: %q", defs)
	}
	xs, err := h2.eng.ListExecutions(ctx, "sm", "")
	if err != nil || len(xs) != 4 {
		t.Errorf("ListExecutions: %d %v", len(xs), err)
	}
}

// failingStore fails execution Puts while fail is set.
type failingStore struct {
	*MemoryStore
	mu   sync.Mutex
	fail bool
}

func (s *failingStore) Put(ctx context.Context, key string, doc []byte) error {
	s.mu.Lock()
	fail := s.fail
	s.mu.Unlock()
	if fail && !IsDefinitionKey(key) {
		return errors.New("disk full")
	}
	return s.MemoryStore.Put(ctx, key, doc)
}

// TestFirstSaveFails checks an execution whose first save fails never
// existed and ran no task, and that starting it again works.
func TestFirstSaveFails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := &failingStore{MemoryStore: NewMemoryStore(), fail: true}
	def := `{"StartAt":"A","States":{
	  "A":{"Type":"Pass","Result":1,"ResultPath":"$.a","Next":"T"},
	  "T":{"Type":"Task","Resource":"` + fnARN + `f","ResultPath":"$.t","End":true}}}`
	h := newHarnessStore(t, def, map[string]handler{"f": func(any) (any, error) { return "ok", nil }}, store)
	if _, err := h.eng.StartExecution(ctx, "sm", "x", json.RawMessage(`{}`)); err == nil {
		t.Fatal("StartExecution succeeded over a failing store")
	}
	if n := h.inv.callCount(); n != 0 {
		t.Errorf("task invoked %d times before the execution was saved", n)
	}
	if _, err := h.eng.DescribeExecution(ctx, "sm", "x"); !errors.Is(err, ErrExecutionDoesNotExist) {
		t.Errorf("describe after failed start: %v", err)
	}
	store.mu.Lock()
	store.fail = false
	store.mu.Unlock()
	x, err := h.eng.StartExecution(ctx, "sm", "x", json.RawMessage(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	mustSucceed(t, x)
	assertJSON(t, x.Output, `{"a":1,"t":"ok"}`)
}
