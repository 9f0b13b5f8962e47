package embedded

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/cxloop/cxloop/shared/core/store"
)

// newDisk returns a file system in memory that can forget what was not
// synced (vfs.MemFS.CrashClone), holding the directory dir, durably.
func newDisk(t *testing.T, dir string) *vfs.MemFS {
	t.Helper()
	disk := vfs.NewCrashableMem()
	if err := disk.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if err := syncDir(disk, d); err != nil {
			t.Fatal(err)
		}
		if d == filepath.Dir(d) {
			return disk
		}
	}
}

// unsyncedFS is a file system whose files' syncs do nothing, as if the
// process were killed after each write and before its sync.
type unsyncedFS struct{ vfs.FS }

type unsyncedFile struct{ vfs.File }

func (f unsyncedFile) Sync() error                { return nil }
func (f unsyncedFile) SyncData() error            { return nil }
func (f unsyncedFile) SyncTo(int64) (bool, error) { return true, nil }
func (fs unsyncedFS) Create(name string, c vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.Create(name, c)
	return unsyncedFile{f}, err
}

func (fs unsyncedFS) ReuseForWrite(old, name string, c vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.ReuseForWrite(old, name, c)
	return unsyncedFile{f}, err
}

// A process killed after writing to Pebble's log and before its sync
// leaves the record in the page cache only: there for the next Open to
// recover, gone if the power fails a moment later. Open must make what it
// recovers durable before anyone reads it, or a reader acts on a write
// that then vanishes.
func TestOpenSyncsWhatItRecovers(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	disk := newDisk(t, dir)
	tbl, err := open(dir, unsyncedFS{disk})
	if err != nil {
		t.Fatal(err)
	}
	it, err := tbl.Put(context.Background(), testItem(1, `{"n":1}`), store.IfAbsent())
	if err != nil {
		t.Fatal(err)
	}
	killed := disk.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 100, RNG: rand.New(rand.NewPCG(1, 1))}) // the page cache survives a kill
	closeTable(t, tbl)

	tbl, err = open(dir, killed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tbl.Get(context.Background(), it.Key); err != nil {
		t.Fatalf("Get of the recovered item: %v", err)
	}
	cut := killed.CrashClone(vfs.CrashCloneCfg{}) // then the power fails: only what was synced is left
	closeTable(t, tbl)
	tbl, err = open(dir, cut)
	if err != nil {
		t.Fatal(err)
	}
	defer closeTable(t, tbl)
	checkItems(t, tbl, []store.Item{it})
}

// A new store's directory entry is durable only once the data directory is
// synced: without that, a power cut can take the store, and every write
// acknowledged into it, away.
func TestOpenSyncsTheStoresDirectory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	disk := newDisk(t, dir)
	tbl, err := open(dir, disk)
	if err != nil {
		t.Fatal(err)
	}
	want, err := tbl.Put(context.Background(), testItem(1, "{}"), store.IfAbsent())
	if err != nil {
		t.Fatal(err)
	}
	cut := disk.CrashClone(vfs.CrashCloneCfg{})
	closeTable(t, tbl)
	tbl, err = open(dir, cut)
	if err != nil {
		t.Fatal(err)
	}
	defer closeTable(t, tbl)
	checkItems(t, tbl, []store.Item{want})
}
