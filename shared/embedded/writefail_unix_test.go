//go:build unix

package embedded

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cxloop/cxloop/shared/store"
)

// TestFailedWriteLeavesNoHalfRecord makes a commit's write fail half way,
// for real: with the process's file size limit just past the journal, the
// kernel writes what fits and then refuses (EFBIG; Go ignores SIGXFSZ).
// The half record must not stay in front of later records, or replay would
// stop there and drop them.
//
// The limit is the process's, so this test must not be parallel.
func TestFailedWriteLeavesNoHalfRecord(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cxloop.journal")
	tbl := openT(t, path)
	ctx := context.Background()
	acked := putN(t, tbl, 3)
	size := tbl.journal.size

	small := testItem(6, `{}`)
	smallLen := recordSize(itemKey(small.Key), encodeItem(small))
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	limit := old
	limit.Cur = uint64(size + smallLen + 16)
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &limit); err != nil {
		t.Skipf("cannot limit the file size: %v", err)
	}
	restore := func() {
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
			t.Fatalf("restore the file size limit: %v", err)
		}
	}
	t.Cleanup(restore)

	big := testItem(5, `{"pad":"`+strings.Repeat("x", 1000)+`"}`)
	if _, err := tbl.Put(ctx, big, store.IfAbsent()); err == nil {
		t.Fatal("Put past the file size limit succeeded")
	}
	if st, err := os.Stat(path); err != nil {
		t.Fatal(err)
	} else if st.Size() != size {
		t.Errorf("journal after the failed write: %d bytes, want the %d before it", st.Size(), size)
	}
	// A write that fits goes where the failed one started.
	got, err := tbl.Put(ctx, small, store.IfAbsent())
	if err != nil {
		t.Fatalf("Put of a record under the limit: %v", err)
	}
	acked = append(acked, got)
	restore()
	got, err = tbl.Put(ctx, testItem(7, `{}`), store.IfAbsent())
	if err != nil {
		t.Fatalf("Put after lifting the limit: %v", err)
	}
	acked = append(acked, got)
	if _, err := tbl.Get(ctx, big.Key); err == nil {
		t.Error("the failed write is visible")
	}
	if err := tbl.Close(); err != nil {
		t.Fatal(err)
	}

	tbl = openT(t, path)
	checkItems(t, tbl, acked)
	if _, err := tbl.Get(ctx, big.Key); err == nil {
		t.Error("the failed write is there after reopening")
	}
	if torn, _ := filepath.Glob(path + ".torn-*"); len(torn) > 0 {
		t.Errorf("reopening found a torn tail (%v): the half record was left in the journal", torn)
	}
}
