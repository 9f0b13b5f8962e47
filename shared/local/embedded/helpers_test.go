package embedded

import (
	"context"
	"fmt"
	"testing"

	"github.com/cxloop/cxloop/shared/core/store"
)

func openT(t *testing.T, dir string) *Table {
	t.Helper()
	tbl, err := Open(dir)
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
