package embedded

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/core/store"
)

// TestCloseDuringWrites closes the table while writers are busy: each
// write either returns nil and is there after reopening, or fails saying
// the table is closed; none hangs.
func TestCloseDuringWrites(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tbl, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		acked []store.Item
	)
	for w := range 16 {
		wg.Go(func() {
			for i := 0; ; i++ {
				it, err := tbl.Put(ctx, testItem(w*1000+i, `{}`), store.IfAbsent())
				if err != nil {
					if !errors.Is(err, errClosed) {
						t.Errorf("Put during Close: %v, want the table to be closed", err)
					}
					return
				}
				mu.Lock()
				acked = append(acked, it)
				mu.Unlock()
			}
		})
	}
	// Close once some writes are through, while the rest are under way.
	for deadline := time.Now().Add(10 * time.Second); ; {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 50 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d writes in 10 s", n)
		}
		time.Sleep(time.Millisecond)
	}
	if err := tbl.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	tbl = openT(t, dir)
	for _, want := range acked {
		if got, err := tbl.Get(ctx, want.Key); err != nil || got.Version != want.Version {
			t.Errorf("Get %v = %+v, %v; want the acknowledged write", want.Key, got, err)
		}
	}
	got, err := tbl.Query(ctx, store.Query{Index: store.Due, PK: "due"})
	if err != nil || len(got) != len(acked) {
		t.Errorf("Due index holds %d items (%v), want the %d acknowledged", len(got), err, len(acked))
	}
}

// TestOpenWaitsForTheOtherTable opens a data directory while another Table
// has it: Open must keep failing (locked) until that one closes, and then
// succeed and read everything it wrote.
func TestOpenWaitsForTheOtherTable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := openT(t, dir)
	items := putN(t, first, 5)

	opened := make(chan *Table, 1)
	go func() {
		for { // Open gives up after a second; a slow machine may need longer
			tbl, err := Open(dir)
			if errors.Is(err, errLocked) {
				continue
			}
			if err != nil {
				t.Errorf("waiting Open: %v", err)
			}
			opened <- tbl
			return
		}
	}()
	ctx := context.Background()
	for i := range items { // the first goes on writing meanwhile
		it, err := first.Put(ctx, testItem(i, `{"n":2}`), store.IfVersion(items[i].Version))
		if err != nil {
			t.Fatal(err)
		}
		items[i] = it
	}
	select {
	case tbl := <-opened:
		if tbl != nil {
			tbl.Close()
		}
		t.Fatal("Open succeeded while another Table had the directory open")
	case <-time.After(100 * time.Millisecond):
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	second := <-opened
	if second == nil {
		t.FailNow()
	}
	t.Cleanup(func() { second.Close() })
	checkItems(t, second, items)
}
