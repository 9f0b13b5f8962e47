package embedded

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/store"
)

// inOneBatch runs ops, in order, as a single group commit, the way the
// writer goroutine batches writes under load: it parks the writer goroutine
// in a write that waits, queues ops one by one (each sent before the next
// starts, as the channel length shows), then lets the writer go on. It
// returns each op's error.
func inOneBatch(t *testing.T, tbl *Table, ops ...func() error) []error {
	t.Helper()
	parked, release := make(chan struct{}), make(chan struct{})
	go func() {
		_ = tbl.write(context.Background(), func(*batch) error {
			close(parked)
			<-release
			return nil
		})
	}()
	<-parked
	errs := make([]error, len(ops))
	done := make(chan int, len(ops))
	for i, op := range ops {
		go func() {
			errs[i] = op()
			done <- i
		}()
		for deadline := time.Now().Add(5 * time.Second); len(tbl.writes) <= i; {
			if time.Now().After(deadline) {
				t.Fatalf("op %d was not queued", i)
			}
			time.Sleep(time.Millisecond)
		}
	}
	close(release)
	for range ops {
		<-done
	}
	return errs
}

// TestBatchSeesEarlierWrites commits a run of writes to one key as one
// group commit: each write's condition and version must see the writes
// before it in the batch, the index entries must be those of the last one,
// and replay must agree.
func TestBatchSeesEarlierWrites(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "cxloop.journal")
	tbl := openT(t, path)
	ctx := context.Background()
	key := store.Key{PK: "p", SK: "k"}
	other := store.Key{PK: "p", SK: "other"}
	at := func(sk string) store.Key { return store.Key{PK: "due", SK: sk} }
	if _, err := tbl.Put(ctx, store.Item{Key: other, GSI1: at("0"), Data: []byte("0")}, store.IfAbsent()); err != nil {
		t.Fatal(err)
	}

	var got [8]store.Item
	put := func(i int, gsi string, cond store.Cond) func() error {
		return func() (err error) {
			got[i], err = tbl.Put(ctx, store.Item{Key: key, GSI1: at(gsi), Data: []byte(gsi)}, cond)
			return err
		}
	}
	del := func(k store.Key) func() error { return func() error { return tbl.Delete(ctx, k) } }
	steps := []struct {
		name    string
		op      func() error
		version int64 // the version a put must return
		err     error // the error the write must fail with
	}{
		{"create", put(0, "1", store.IfAbsent()), 1, nil},
		{"overwrite the create", put(1, "2", store.IfVersion(1)), 2, nil},
		{"create again", put(2, "x", store.IfAbsent()), 0, store.ErrConflict},
		{"stale version", put(3, "x", store.IfVersion(1)), 0, store.ErrConflict},
		{"delete", del(key), 0, nil},
		{"overwrite the deleted", put(5, "x", store.IfVersion(2)), 0, store.ErrConflict},
		{"create after delete", put(6, "3", store.IfAbsent()), 1, nil},
		{"delete an item from before the batch", del(other), 0, nil},
	}
	ops := make([]func() error, len(steps))
	for i, s := range steps {
		ops[i] = s.op
	}
	before := tbl.journal.size
	errs := inOneBatch(t, tbl, ops...)
	for i, s := range steps {
		if (s.err == nil && errs[i] != nil) || !errors.Is(errs[i], s.err) {
			t.Errorf("%s: error %v, want %v", s.name, errs[i], s.err)
		}
		if s.version != 0 && got[i].Version != s.version {
			t.Errorf("%s: version %d, want %d", s.name, got[i].Version, s.version)
		}
	}

	// One commit journals the final state of each key it changed, once.
	final := encodeItem(store.Item{Key: key, GSI1: at("3"), Version: 1, Data: []byte("3")})
	if grew, want := tbl.journal.size-before, recordSize(itemKey(key), final)+recordSize(itemKey(other), nil); grew != want {
		t.Errorf("the journal grew by %d bytes, want %d: one record per key, so one commit", grew, want)
	}

	check := func(when string, tbl *Table) {
		t.Helper()
		it, err := tbl.Get(ctx, key)
		if err != nil || it.Version != 1 || string(it.Data) != "3" || it.GSI1 != at("3") {
			t.Errorf("%s: Get = %+v, %v; want the create after the delete", when, it, err)
		}
		if _, err := tbl.Get(ctx, other); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: Get of the deleted item = %v, want ErrNotFound", when, err)
		}
		due, err := tbl.Query(ctx, store.Query{Index: store.Due, PK: "due"})
		if err != nil || len(due) != 1 || due[0].Key != key || due[0].GSI1 != at("3") {
			t.Errorf("%s: Due index = %v, %v; want only %v at %v", when, keysOf(due), err, key, at("3"))
		}
	}
	check("after the commit", tbl)
	if err := tbl.Close(); err != nil {
		t.Fatal(err)
	}
	check("after reopening", openT(t, path))
}
