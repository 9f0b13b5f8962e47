package embedded

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/cxloop/cxloop/shared/store"
)

// TestBigCommitBufferIsNotKept commits ~12 MB at once, deletes it all, and
// checks the heap shrinks back: the journal keeps its write buffer for the
// next commit, but not one that size.
//
// It measures the heap, so it must not be parallel.
func TestBigCommitBufferIsNotKept(t *testing.T) {
	tbl := openT(t, filepath.Join(t.TempDir(), "cxloop.journal"))
	ctx := context.Background()
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()

	const n, size = 40, 300 << 10
	keys := make([]string, n)
	for i := range keys {
		keys[i] = itemKey(store.Key{PK: "big", SK: fmt.Sprint(i)})
	}
	pad := strings.Repeat("x", size)
	err := tbl.write(ctx, func(b *batch) error { // one write, so one commit
		for _, k := range keys {
			key, _ := splitItemKey(k)
			b.set(k, encodeItem(store.Item{Key: key, Version: 1, Data: []byte(pad)}))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = tbl.write(ctx, func(b *batch) error {
		for _, k := range keys {
			b.set(k, nil)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	pad = ""
	if after := heap(); after > before+4<<20 {
		t.Errorf("heap grew from %d to %d bytes after writing and deleting %d MB", before, after, n*size>>20)
	}
	runtime.KeepAlive(tbl)
}
