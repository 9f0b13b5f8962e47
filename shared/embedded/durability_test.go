package embedded

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cxloop/cxloop/shared/store"
)

// syncWatch records the syncs made while it is installed, and may fail them.
type syncWatch struct {
	mu     sync.Mutex
	events []string // "data <file>" or "dir <directory>", in order
	stop   func()
}

func (w *syncWatch) saw(event string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Contains(w.events, event)
}

// watchSyncs routes syncData and syncDir through a recorder until stop is
// called or the test ends: fail (when not nil) is asked first and its error,
// if any, is returned instead of syncing. A sync is the one thing a test
// cannot otherwise observe short of cutting the power.
//
// It changes package state, so tests using it must not be parallel: a
// top-level test that is not parallel runs while the parallel ones wait.
func watchSyncs(t *testing.T, fail func(event string) error) *syncWatch {
	t.Helper()
	realData, realDir := syncData, syncDir
	w := &syncWatch{}
	record := func(event string) error {
		w.mu.Lock()
		w.events = append(w.events, event)
		w.mu.Unlock()
		if fail != nil {
			return fail(event)
		}
		return nil
	}
	syncData = func(f *os.File) error {
		if err := record("data " + f.Name()); err != nil {
			return err
		}
		return realData(f)
	}
	syncDir = func(dir string) error {
		if err := record("dir " + dir); err != nil {
			return err
		}
		return realDir(dir)
	}
	var once sync.Once
	w.stop = func() { once.Do(func() { syncData, syncDir = realData, realDir }) }
	t.Cleanup(w.stop)
	return w
}

var errInjected = errors.New("injected failure")

// A process killed after writing a commit and before its fdatasync leaves
// the records in the page cache only: intact for the next Open to replay,
// gone if the power fails a moment later. Open must make them durable
// before anyone reads them, or a reader acts on a write that then vanishes.
func TestOpenSyncsWhatItReplays(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cxloop.journal")
	it := testItem(1, `{"n":1}`)
	it.Version = 1
	if err := os.WriteFile(path, appendRecord(nil, itemKey(it.Key), encodeItem(it)), 0o600); err != nil {
		t.Fatal(err)
	}
	w := watchSyncs(t, nil)
	tbl := openT(t, path)
	w.stop()
	if !w.saw("data " + path) {
		t.Errorf("Open replayed a journal without syncing it (syncs: %q)", w.events)
	}
	if _, err := tbl.Get(context.Background(), it.Key); err != nil {
		t.Errorf("Get of the replayed item: %v", err)
	}
}

// A journal's directory entry is durable only once its directory is
// synced: without that, a power cut can take a newly created journal, and
// every write acknowledged into it, away.
func TestOpenSyncsTheJournalsDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	w := watchSyncs(t, nil)
	tbl := openT(t, filepath.Join(dir, "cxloop.journal"))
	w.stop()
	if !w.saw("dir " + dir) {
		t.Errorf("Open created a journal without syncing its directory (syncs: %q)", w.events)
	}
	if _, err := tbl.Put(context.Background(), testItem(1, "{}"), store.IfAbsent()); err != nil {
		t.Fatal(err)
	}
}

// After compaction renames the rewritten journal into place, appends go to
// the new file, and they survive a crash only if the rename does. When the
// directory sync that makes the rename durable fails, no later write may be
// acknowledged.
func TestNoWriteAckedWhenCompactionRenameIsNotDurable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cxloop.journal")
	tbl := openT(t, path)
	// Read by the writer goroutine only after the next Put is sent.
	tbl.journal.nextCompact, tbl.journal.compactFloor = 8<<10, 8<<10
	var dirFailed atomic.Bool
	w := watchSyncs(t, func(event string) error {
		if strings.HasPrefix(event, "dir ") {
			dirFailed.Store(true)
			return errInjected
		}
		return nil
	})
	ctx := context.Background()
	items := putN(t, tbl, 5)
	for n := 0; ; n++ {
		if n == 1000 {
			t.Fatal("no compaction after 1,000 overwrites")
		}
		i := n % len(items)
		failedBefore := dirFailed.Load()
		got, err := tbl.Put(ctx, testItem(i, fmt.Sprintf(`{"n":%d,"pad":%q}`, n, strings.Repeat("x", 200))), store.IfVersion(items[i].Version))
		if failedBefore {
			if err == nil {
				t.Fatalf("Put acknowledged after the compacted journal's rename failed to sync")
			}
			break
		}
		if err != nil {
			t.Fatalf("Put %d: %v", n, err)
		}
		items[i] = got
	}
	w.stop()
	if err := tbl.Close(); err != nil {
		t.Logf("Close: %v", err)
	}
	checkItems(t, openT(t, path), items)
}

// A failed fdatasync fails its commit, which readers never see, and every
// later write until a restart: the kernel may have dropped the pages it
// could not write, so only reading the file again tells what it holds.
func TestFailedSyncStopsWritesUntilReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cxloop.journal")
	tbl := openT(t, path)
	ctx := context.Background()
	acked := putN(t, tbl, 3)
	w := watchSyncs(t, func(event string) error {
		if event == "data "+path {
			return errInjected
		}
		return nil
	})
	failed := testItem(5, `{"n":5}`)
	if _, err := tbl.Put(ctx, failed, store.IfAbsent()); !errors.Is(err, errInjected) {
		t.Fatalf("Put with a failing sync = %v, want the sync's error", err)
	}
	w.stop()
	if _, err := tbl.Get(ctx, failed.Key); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get of the write whose sync failed = %v, want ErrNotFound", err)
	}
	if _, err := tbl.Put(ctx, testItem(6, `{}`), store.IfAbsent()); err == nil || !strings.Contains(err.Error(), "restart") {
		t.Errorf("Put after a failed sync = %v, want an error saying to restart", err)
	}
	if err := tbl.Close(); err != nil {
		t.Fatal(err)
	}
	// The failed write may be in the file or not; what was acknowledged is.
	tbl = openT(t, path)
	for _, want := range acked {
		if got, err := tbl.Get(ctx, want.Key); err != nil || got.Version != want.Version {
			t.Errorf("Get %v after reopening = %+v, %v", want.Key, got, err)
		}
	}
	if _, err := tbl.Put(ctx, testItem(6, `{}`), store.IfAbsent()); err != nil {
		t.Errorf("Put after reopening: %v", err)
	}
}
