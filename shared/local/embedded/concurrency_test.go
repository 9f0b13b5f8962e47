package embedded

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cxloop/cxloop/shared/core/store"
)

// TestConditionalWritesAreAtomic races writers on a few keys: of the
// creates of one key exactly one wins, and version-checked increments lose
// no update, each one acknowledged as the version it made, with the index
// entry of the last; a reopen agrees.
func TestConditionalWritesAreAtomic(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tbl := openT(t, dir)
	ctx := context.Background()
	const keys, writers, increments = 3, 16, 20
	key := func(k int) store.Key { return store.Key{PK: "counter", SK: fmt.Sprint(k)} }
	item := func(k, n int) store.Item {
		return store.Item{Key: key(k), GSI1: store.Key{PK: "due", SK: fmt.Sprintf("%s#%06d", key(k).SK, n)}, Data: fmt.Appendf(nil, `{"n":%d}`, n)}
	}

	var created [keys]atomic.Int32
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for k := range keys {
				if _, err := tbl.Put(ctx, item(k, 0), store.IfAbsent()); err == nil {
					created[k].Add(1)
				} else if !errors.Is(err, store.ErrConflict) {
					t.Errorf("writer %d: create %d: %v", w, k, err)
				}
			}
		})
	}
	wg.Wait()
	for k := range keys {
		if n := created[k].Load(); n != 1 {
			t.Fatalf("key %d: %d creates succeeded, want exactly one", k, n)
		}
	}

	// Each writer adds increments to every key: read, add one, write if
	// the version is still the one read, else read again.
	var versions sync.Map // "key version" -> writer: each version acknowledged once
	for w := range writers {
		wg.Go(func() {
			for k := range keys {
				for range increments {
					for {
						cur, err := tbl.Get(ctx, key(k))
						if err != nil {
							t.Error(err)
							return
						}
						var n int
						fmt.Sscanf(string(cur.Data), `{"n":%d}`, &n)
						got, err := tbl.Put(ctx, item(k, n+1), store.IfVersion(cur.Version))
						if errors.Is(err, store.ErrConflict) {
							continue
						}
						if err != nil {
							t.Error(err)
							return
						}
						if got.Version != cur.Version+1 {
							t.Errorf("Put over version %d returned version %d", cur.Version, got.Version)
						}
						if other, dup := versions.LoadOrStore(fmt.Sprintf("%d %d", k, got.Version), w); dup {
							t.Errorf("key %d version %d acknowledged to writers %v and %d", k, got.Version, other, w)
						}
						break
					}
				}
			}
		})
	}
	wg.Wait()

	check := func(when string, tbl *Table) {
		t.Helper()
		due, err := tbl.Query(ctx, store.Query{Index: store.Due, PK: "due"})
		if err != nil || len(due) != keys {
			t.Fatalf("%s: Due index = %v, %v; want one entry a key", when, keysOf(due), err)
		}
		for k := range keys {
			got, err := tbl.Get(ctx, key(k))
			want := item(k, writers*increments)
			if err != nil || got.Version != 1+writers*increments || string(got.Data) != string(want.Data) || got.GSI1 != want.GSI1 {
				t.Errorf("%s: key %d = %+v, %v; want %d increments at version %d", when, k, got, err, writers*increments, 1+writers*increments)
			}
		}
	}
	check("after the race", tbl)
	closeTable(t, tbl)
	check("after reopening", openT(t, dir))
}

// Pebble compacts: overwriting a few items many times over does not grow
// the store with every version written, and the latest survive a reopen.
func TestOverwritesDoNotGrowTheStore(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tbl := openT(t, dir)
	ctx := context.Background()
	items := putN(t, tbl, 10)
	pad := strings.Repeat("x", 8<<10)
	var wg sync.WaitGroup
	for i := range items { // one writer a key, so they share syncs
		wg.Go(func() {
			for round := range 600 {
				it, err := tbl.Put(ctx, testItem(i, fmt.Sprintf(`{"n":1,"round":%d,"pad":%q}`, round, pad)), store.IfVersion(items[i].Version))
				if err != nil {
					t.Error(err)
					return
				}
				items[i] = it
			}
		})
	}
	wg.Wait()
	closeTable(t, tbl)
	// 6,000 overwrites of 8 KB are 48 MB written; the live items are 80 KB.
	var size int64
	err := filepath.Walk(filepath.Join(dir, storeName), func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			size += info.Size()
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("store after 48 MB of overwrites: %d bytes", size)
	if size > 24<<20 {
		t.Errorf("store is %d bytes after 48 MB of overwrites of 80 KB of items, want it compacted", size)
	}
	checkItems(t, openT(t, dir), items)
}
