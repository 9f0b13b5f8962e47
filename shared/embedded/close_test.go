package embedded

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/store"
)

// TestCloseDuringWrites closes the table while writers are busy: each
// write either returns nil and is there after reopening, or fails saying
// the table is closed; none hangs.
func TestCloseDuringWrites(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "cxloop.journal")
	tbl, err := Open(path)
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
	time.Sleep(20 * time.Millisecond)
	if err := tbl.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	tbl = openT(t, path)
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

// TestLockOfReplacedJournalIsRefused holds the journal open as a waiting
// Open does, across a compaction by the Table that has it: the old file's
// lock is free once compaction closes it, but taking it must not count as
// having the journal.
func TestLockOfReplacedJournalIsRefused(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "cxloop.journal")
	tbl := openT(t, path)
	putN(t, tbl, 3)
	old, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if ok, err := lockJournal(old, path); ok || !errors.Is(err, errLocked) {
		t.Fatalf("lock of the journal in use = %v, %v; want errLocked", ok, err)
	}
	err = tbl.write(context.Background(), func(*batch) error {
		return tbl.compact() // in the writer goroutine, where compaction runs
	})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := lockJournal(old, path); ok || err != nil {
		t.Errorf("lock of the replaced journal = %v, %v; want false: it is no longer the journal", ok, err)
	}
	cur, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer cur.Close()
	if ok, err := lockJournal(cur, path); ok || !errors.Is(err, errLocked) {
		t.Errorf("lock of the compacted journal = %v, %v; want errLocked: the Table has it", ok, err)
	}
}

// TestOpenWaitingThroughCompaction opens a journal while another Table has
// it, and that one compacts it (renames a new file over it) and then
// closes. The waiting Open must not take the replaced file, whose lock is
// free as soon as compaction closes it, but wait for the new one and read
// everything from it.
func TestOpenWaitingThroughCompaction(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "cxloop.journal")
	first := openT(t, path)
	first.journal.nextCompact, first.journal.compactFloor = 8<<10, 8<<10
	ctx := context.Background()
	items := putN(t, first, 5)

	opened := make(chan *Table, 1)
	go func() {
		for { // Open gives up after a second; a slow machine may need longer
			tbl, err := Open(path)
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
	// Overwrite until the journal has been compacted twice.
	for n, compactions := 0, 0; compactions < 2; n++ {
		if n == 1000 {
			t.Fatal("no compaction after 1,000 overwrites")
		}
		i, size := n%len(items), first.journal.size
		it, err := first.Put(ctx, testItem(i, fmt.Sprintf(`{"n":%d,"pad":%q}`, n, strings.Repeat("x", 200))), store.IfVersion(items[i].Version))
		if err != nil {
			t.Fatal(err)
		}
		items[i] = it
		if first.journal.size < size {
			compactions++
		}
	}
	select {
	case tbl := <-opened:
		if tbl != nil {
			tbl.Close()
		}
		t.Fatal("Open succeeded while another Table had the journal open")
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
