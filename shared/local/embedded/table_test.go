package embedded_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/core/store"
	"github.com/cxloop/cxloop/shared/local/embedded"
	"github.com/cxloop/cxloop/shared/testkit/storetest"
)

// mustOpen opens a table at path and closes it when the test ends.
func mustOpen(tb testing.TB, path string) *embedded.Table {
	tb.Helper()
	tbl, err := embedded.Open(path)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := tbl.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return tbl
}

func TestContract(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Table {
		return mustOpen(t, t.TempDir())
	})
}

func TestReopen(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "data") // the directory is created
	tbl, err := embedded.Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	want, err := tbl.Put(ctx, store.Item{
		Key:       store.Key{PK: "survey#1", SK: "meta"},
		GSI1:      store.Key{PK: "due", SK: "2030-01-01T00:00:00Z#survey#1"},
		GSI2:      store.Key{PK: "customer#7", SK: "survey#1"},
		ExpiresAt: 4102444800,
		Data:      []byte(`{"name":"NPS"}`),
	}, store.IfAbsent())
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	if err := tbl.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := tbl.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := tbl.Put(ctx, want, store.IfVersion(1)); err == nil {
		t.Errorf("Put after Close succeeded")
	}
	if _, err := tbl.Get(ctx, want.Key); err == nil {
		t.Errorf("Get after Close succeeded")
	}
	if _, err := tbl.Query(ctx, store.Query{Index: store.Customer, PK: "customer#7"}); err == nil {
		t.Errorf("Query after Close succeeded")
	}
	if _, err := tbl.Query(ctx, store.Query{PK: "survey#1", From: "z", To: "a"}); err == nil {
		t.Errorf("Query (From after To) after Close succeeded")
	}

	tbl = mustOpen(t, path)
	got, err := tbl.Get(ctx, want.Key)
	if err != nil {
		t.Fatalf("Get after reopen: %v", err)
	}
	if got.GSI1 != want.GSI1 || got.GSI2 != want.GSI2 || got.Version != 1 || got.ExpiresAt != want.ExpiresAt || string(got.Data) != string(want.Data) {
		t.Errorf("Get after reopen = %+v, want %+v", got, want)
	}
	items, err := tbl.Query(ctx, store.Query{Index: store.Customer, PK: "customer#7"})
	if err != nil || len(items) != 1 || items[0].Key != want.Key {
		t.Errorf("Query gsi2 after reopen = %v, %v; want the item", items, err)
	}
	if _, err := tbl.Put(ctx, want, store.IfVersion(1)); err != nil {
		t.Errorf("Put after reopen: %v", err)
	}
}

func TestOpenLocked(t *testing.T) {
	t.Parallel()
	path := t.TempDir()
	mustOpen(t, path)
	start := time.Now()
	tbl, err := embedded.Open(path) // flock is per open file, so this conflicts even in-process
	if err == nil {
		tbl.Close()
		t.Fatal("second Open of a locked file succeeded")
	}
	if !strings.Contains(err.Error(), "another cxloop dev running with the same --data") {
		t.Errorf("error %q does not say why", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("second Open took %v, want about a second", d)
	}
}

func TestInvalid(t *testing.T) {
	t.Parallel()
	tbl := mustOpen(t, t.TempDir())
	ok := store.Key{PK: "p", SK: "s"}
	tests := []struct {
		name string
		op   func(ctx context.Context) error
		want string
	}{
		{"put empty PK", put(tbl, store.Item{Key: store.Key{SK: "s"}}), "must both be set"},
		{"put empty SK", put(tbl, store.Item{Key: store.Key{PK: "p"}}), "must both be set"},
		{"put NUL in PK", put(tbl, store.Item{Key: store.Key{PK: "p\x00", SK: "s"}}), "0x00"},
		{"put NUL in SK", put(tbl, store.Item{Key: store.Key{PK: "p", SK: "\x00s"}}), "0x00"},
		{"put invalid UTF-8", put(tbl, store.Item{Key: store.Key{PK: "p", SK: "\xff"}}), "UTF-8"},
		{"put long SK", put(tbl, store.Item{Key: store.Key{PK: "p", SK: strings.Repeat("s", 1025)}}), "max 1024"},
		{"put half gsi1 key", put(tbl, store.Item{Key: ok, GSI1: store.Key{PK: "p"}}), "gsi1 key"},
		{"put NUL in gsi3 key", put(tbl, store.Item{Key: ok, GSI3: store.Key{PK: "p", SK: "a\x00"}}), "gsi3 key"},
		{"put over 400 KB", put(tbl, store.Item{Key: ok, Data: make([]byte, 400<<10)}), "DynamoDB's"},
		{"get empty SK", func(ctx context.Context) error { _, err := tbl.Get(ctx, store.Key{PK: "p"}); return err }, "must both be set"},
		{"delete NUL", func(ctx context.Context) error { return tbl.Delete(ctx, store.Key{PK: "p", SK: "\x00"}) }, "0x00"},
		{"query empty PK", query(tbl, store.Query{}), "partition key is empty"},
		{"query unknown index", query(tbl, store.Query{Index: "gsi9", PK: "p"}), "unknown index"},
		{"query negative limit", query(tbl, store.Query{PK: "p", Limit: -1}), "limit"},
		{"query NUL in prefix", query(tbl, store.Query{PK: "p", Prefix: "\x00"}), "0x00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.op(t.Context())
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "embedded: ") {
				t.Errorf("error = %v, want an embedded error mentioning %q", err, tc.want)
			}
			if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
				t.Errorf("error = %v, must not look like a condition failure or a miss", err)
			}
		})
	}
}

func put(tbl store.Table, item store.Item) func(context.Context) error {
	return func(ctx context.Context) error { _, err := tbl.Put(ctx, item, store.IfAbsent()); return err }
}

func query(tbl store.Table, q store.Query) func(context.Context) error {
	return func(ctx context.Context) error { _, err := tbl.Query(ctx, q); return err }
}

// TestOpaqueData goes beyond the port (which promises JSON): this adapter
// keeps any bytes.
func TestOpaqueData(t *testing.T) {
	t.Parallel()
	tbl := mustOpen(t, t.TempDir())
	data := make([]byte, 512)
	for i := range data {
		data[i] = byte(i)
	}
	key := store.Key{PK: "p", SK: "s"}
	if _, err := tbl.Put(t.Context(), store.Item{Key: key, Data: data}, store.IfAbsent()); err != nil {
		t.Fatalf("Put: %v", err)
	}
	got, err := tbl.Get(t.Context(), key)
	if err != nil || string(got.Data) != string(data) {
		t.Errorf("Get = %q, %v; want the bytes put", got.Data, err)
	}
}

func TestErrorsWrapped(t *testing.T) {
	t.Parallel()
	tbl := mustOpen(t, t.TempDir())
	_, err := tbl.Get(t.Context(), store.Key{PK: "survey#1", SK: "meta"})
	if want := "embedded: get survey#1/meta: store: not found"; err == nil || err.Error() != want {
		t.Errorf("Get error = %v, want %q", err, want)
	}
	_, err = tbl.Put(t.Context(), store.Item{Key: store.Key{PK: "survey#1", SK: "meta"}}, store.IfVersion(3))
	if want := "embedded: put survey#1/meta: store: condition failed"; err == nil || err.Error() != want {
		t.Errorf("Put error = %v, want %q", err, want)
	}
}
