package embedded

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/cxloop/cxloop/shared/store"
)

func openBench(b *testing.B) *Table {
	b.Helper()
	tbl, err := Open(filepath.Join(b.TempDir(), "cxloop.db"))
	if err != nil {
		b.Fatalf("Open: %v", err)
	}
	b.Cleanup(func() { _ = tbl.Close() })
	return tbl
}

// benchItem is a typical record: ~300 bytes of JSON, two index entries.
func benchItem(n int64) store.Item {
	id := fmt.Sprintf("response#%012d", n)
	return store.Item{
		Key:  store.Key{PK: "survey#bench", SK: id},
		GSI1: store.Key{PK: "due#2030-01-01", SK: "2030-01-01T10:00:00Z#" + id},
		GSI3: store.Key{PK: "responses#survey#bench", SK: "2030-01-01T09:00:00Z#" + id},
		Data: []byte(`{"score":9,"comment":"` + strings.Repeat("great service ", 18) + `","channel":"email"}`),
	}
}

// putVia is Put with another commit strategy than the group commit, to
// compare in BenchmarkPut.
func (t *Table) putVia(commit func(func(*bolt.Tx) error) error, item store.Item, cond store.Cond) error {
	var reqErr error
	err := commit(func(tx *bolt.Tx) error {
		// A failed condition returns nil so that bolt.DB.Batch does not
		// roll back and re-run the others in the batch.
		var txErr error
		_, reqErr, txErr = putTx(tx, item, cond)
		return txErr
	})
	if err != nil {
		return err
	}
	return reqErr
}

// BenchmarkPut measures new-item Puts (IfAbsent, durable unless nosync):
//
//	group        Table.Put: the writer goroutine's group commit (shipped)
//	update       one bolt Update, hence one fsync, per Put
//	bolt-batch   bolt.DB.Batch (default MaxBatchDelay 10ms, MaxBatchSize 1000)
//	group-nosync group commit with bbolt's NoSync: not durable, for comparison
//
// each with 1, 16 and 64 writers (b.SetParallelism(writers/GOMAXPROCS)).
func BenchmarkPut(b *testing.B) {
	strategies := []struct {
		name   string
		noSync bool
		put    func(t *Table, item store.Item) error
	}{
		{"group", false, func(t *Table, item store.Item) error {
			_, err := t.Put(context.Background(), item, store.IfAbsent())
			return err
		}},
		{"update", false, func(t *Table, item store.Item) error {
			return t.putVia(t.db.Update, item, store.IfAbsent())
		}},
		{"bolt-batch", false, func(t *Table, item store.Item) error {
			return t.putVia(t.db.Batch, item, store.IfAbsent())
		}},
		{"group-nosync", true, func(t *Table, item store.Item) error {
			_, err := t.Put(context.Background(), item, store.IfAbsent())
			return err
		}},
	}
	for _, s := range strategies {
		for _, writers := range []int{1, 16, 64} {
			b.Run(fmt.Sprintf("%s/writers=%d", s.name, writers), func(b *testing.B) {
				tbl := openBench(b)
				tbl.db.NoSync = s.noSync
				var n atomic.Int64
				b.ReportAllocs()
				if writers == 1 {
					for b.Loop() {
						if err := s.put(tbl, benchItem(n.Add(1))); err != nil {
							b.Fatal(err)
						}
					}
					return
				}
				b.SetParallelism(max(1, writers/runtime.GOMAXPROCS(0)))
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := s.put(tbl, benchItem(n.Add(1))); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		}
	}
}

// BenchmarkQuery reads a page of 20 and a full partition of 1,000 items,
// from the table and from an index.
func BenchmarkQuery(b *testing.B) {
	tbl := openBench(b)
	ctx := context.Background()
	const items = 1000
	errs := make(chan error, items)
	for i := range items {
		go func() {
			_, err := tbl.Put(ctx, benchItem(int64(i)), store.IfAbsent())
			errs <- err
		}()
	}
	for range items {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
	tests := []struct {
		name string
		q    store.Query
		want int
	}{
		{"table/limit=20", store.Query{PK: "survey#bench", Limit: 20}, 20},
		{"table/desc/limit=20", store.Query{PK: "survey#bench", Limit: 20, Desc: true}, 20},
		{"table/prefix/all", store.Query{PK: "survey#bench", Prefix: "response#"}, items},
		{"gsi3/limit=20", store.Query{Index: store.Listing, PK: "responses#survey#bench", Limit: 20}, 20},
		{"gsi3/all", store.Query{Index: store.Listing, PK: "responses#survey#bench"}, items},
	}
	for _, tc := range tests {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				got, err := tbl.Query(ctx, tc.q)
				if err != nil || len(got) != tc.want {
					b.Fatalf("Query = %d items, %v; want %d", len(got), err, tc.want)
				}
			}
		})
	}
	b.Run("get", func(b *testing.B) {
		b.ReportAllocs()
		key := benchItem(7).Key
		for b.Loop() {
			if _, err := tbl.Get(ctx, key); err != nil {
				b.Fatal(err)
			}
		}
	})
}
