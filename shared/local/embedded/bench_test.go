package embedded

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cxloop/cxloop/shared/core/store"
)

func openBench(b *testing.B) *Table {
	b.Helper()
	tbl, err := Open(b.TempDir())
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

// BenchmarkPut measures durable new-item Puts (IfAbsent) with 1, 16 and 64
// writers, who share Pebble's log syncs (b.SetParallelism(writers/GOMAXPROCS)).
func BenchmarkPut(b *testing.B) {
	for _, writers := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			tbl := openBench(b)
			var n atomic.Int64
			put := func() error {
				_, err := tbl.Put(context.Background(), benchItem(n.Add(1)), store.IfAbsent())
				return err
			}
			b.ReportAllocs()
			if writers == 1 {
				for b.Loop() {
					if err := put(); err != nil {
						b.Fatal(err)
					}
				}
				return
			}
			b.SetParallelism(max(1, writers/runtime.GOMAXPROCS(0)))
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := put(); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
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
