package embedded

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/cxloop/cxloop/shared/store"
)

func openT(t *testing.T, path string) *Table {
	t.Helper()
	tbl, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = tbl.Close() })
	return tbl
}

func testItem(i int, data string) store.Item {
	id := fmt.Sprintf("survey#%03d", i)
	return store.Item{
		Key:  store.Key{PK: id, SK: "meta"},
		GSI1: store.Key{PK: "due", SK: fmt.Sprintf("2030-01-01T00:00:%02dZ#%s", i%60, id)},
		Data: []byte(data),
	}
}

// putN writes items 0..n-1 and returns them as stored.
func putN(t *testing.T, tbl *Table, n int) []store.Item {
	t.Helper()
	out := make([]store.Item, n)
	for i := range n {
		it, err := tbl.Put(context.Background(), testItem(i, `{"n":1}`), store.IfAbsent())
		if err != nil {
			t.Fatalf("Put %d: %v", i, err)
		}
		out[i] = it
	}
	return out
}

// checkItems fails unless tbl holds exactly want (by key, version, data),
// through Get and through the Due index.
func checkItems(t *testing.T, tbl *Table, want []store.Item) {
	t.Helper()
	ctx := context.Background()
	for _, w := range want {
		got, err := tbl.Get(ctx, w.Key)
		if err != nil || got.Version != w.Version || string(got.Data) != string(w.Data) || got.GSI1 != w.GSI1 {
			t.Errorf("Get %v = %+v, %v; want %+v", w.Key, got, err, w)
		}
	}
	due, err := tbl.Query(ctx, store.Query{Index: store.Due, PK: "due"})
	if err != nil || len(due) != len(want) {
		t.Errorf("Query due = %d items, %v; want %d", len(due), err, len(want))
	}
}

func TestTornTailIsCutAndKept(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "cxloop.journal")
	tbl := openT(t, path)
	want := putN(t, tbl, 5)
	if err := tbl.Close(); err != nil {
		t.Fatal(err)
	}
	intact, _ := os.Stat(path)

	// A crash in the middle of the next commit's write.
	rec := appendRecord(nil, itemKey(testItem(9, "").Key), encodeItem(testItem(9, `{"n":9}`)))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(rec[:len(rec)-3]); err != nil {
		t.Fatal(err)
	}
	f.Close()

	tbl = openT(t, path)
	checkItems(t, tbl, want)
	if after, _ := os.Stat(path); after.Size() != intact.Size() {
		t.Errorf("journal is %d bytes after reopening, want the intact %d", after.Size(), intact.Size())
	}
	kept, err := os.ReadFile(fmt.Sprintf("%s.torn-%d", path, intact.Size()))
	if err != nil || string(kept) != string(rec[:len(rec)-3]) {
		t.Errorf("torn tail kept as %q, %v; want the half record", kept, err)
	}
	if got := tbl.Recovered(); !strings.Contains(got, fmt.Sprintf("%d bytes after byte %d", len(rec)-3, intact.Size())) {
		t.Errorf("Recovered() = %q, want the cut described", got)
	}
	// Appends after the cut are read back.
	more, err := tbl.Put(context.Background(), testItem(7, `{"n":7}`), store.IfAbsent())
	if err != nil {
		t.Fatal(err)
	}
	if err := tbl.Close(); err != nil {
		t.Fatal(err)
	}
	checkItems(t, openT(t, path), append(want, more))
}

func TestCorruptRecordRefusesToOpen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "cxloop.journal")
	tbl := openT(t, path)
	putN(t, tbl, 2)
	if err := tbl.Close(); err != nil {
		t.Fatal(err)
	}
	// Intact framing, checksum right, but nothing cxloop writes.
	bad := appendRecord(nil, "no-separator", encodeItem(testItem(1, "{}")))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.Write(bad)
	f.Close()
	if tbl, err := Open(path); err == nil {
		tbl.Close()
		t.Fatal("Open of a journal with a corrupt record succeeded")
	} else if !strings.Contains(err.Error(), "journal corrupt at byte") {
		t.Errorf("error %q does not say where the journal is corrupt", err)
	}
}

func TestCompactionKeepsLatestState(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "cxloop.journal")
	tbl := openT(t, path)
	// Read by the writer goroutine only after the first Put is sent.
	tbl.journal.nextCompact, tbl.journal.compactFloor = 16<<10, 16<<10
	ctx := context.Background()
	items := putN(t, tbl, 10)
	for round := range 200 {
		for i := range items {
			it := testItem(i, fmt.Sprintf(`{"n":1,"round":%d,"pad":"%s"}`, round, strings.Repeat("x", 100)))
			got, err := tbl.Put(ctx, it, store.IfVersion(items[i].Version))
			if err != nil {
				t.Fatalf("round %d Put %d: %v", round, i, err)
			}
			items[i] = got
		}
	}
	if err := tbl.Delete(ctx, items[9].Key); err != nil {
		t.Fatal(err)
	}
	items = items[:9]
	st, _ := os.Stat(path)
	// 2,000 overwrites of ~200-byte records would be ~400 KB uncompacted.
	if st.Size() > 64<<10 {
		t.Errorf("journal is %d bytes after 2,000 overwrites of 10 items, want it compacted", st.Size())
	}
	checkItems(t, tbl, items)
	if err := tbl.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + ".compact"); !os.IsNotExist(err) {
		t.Errorf("compaction left its temporary file: %v", err)
	}
	checkItems(t, openT(t, path), items)
}

func TestImportBolt(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	legacy := filepath.Join(dir, "cxloop.db")
	db, err := bolt.Open(legacy, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	var want []store.Item
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("items"))
		if err != nil {
			return err
		}
		for i := range 3 {
			it := testItem(i, fmt.Sprintf(`{"n":%d}`, i))
			it.Version = int64(i + 4)
			want = append(want, it)
			if err := b.Put([]byte(itemKey(it.Key)), encodeItem(it)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || db.Close() != nil {
		t.Fatalf("write legacy file: %v", err)
	}

	tbl := openT(t, filepath.Join(dir, "cxloop.journal"))
	// An item written since (an import cut short, then new work) is kept.
	newer, err := tbl.Put(context.Background(), testItem(0, `{"newer":true}`), store.IfAbsent())
	if err != nil {
		t.Fatal(err)
	}
	n, err := tbl.ImportBolt(context.Background(), legacy)
	if err != nil || n != 2 {
		t.Fatalf("ImportBolt = %d, %v; want 2 items copied", n, err)
	}
	want[0] = newer
	checkItems(t, tbl, want)
	if _, err := os.Stat(legacy); !os.IsNotExist(err) {
		t.Errorf("the legacy file is still there: %v", err)
	}
	if _, err := os.Stat(legacy + ".imported"); err != nil {
		t.Errorf("the legacy file was not kept as .imported: %v", err)
	}
}
