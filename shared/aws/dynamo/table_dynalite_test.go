package dynamo_test

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/cxloop/cxloop/shared/aws/dynamo"
	"github.com/cxloop/cxloop/shared/core/store"
	"github.com/cxloop/cxloop/shared/testkit/awswire"
)

// These tests run the adapter against dynalite, a DynamoDB emulator, so the
// requests the wire tests check are also proven to work on a real
// DynamoDB-compatible server with the table CreateTableInput builds.

func TestDynaliteItemLifecycle(t *testing.T) {
	t.Parallel()
	tbl := newDynaliteTable(t)
	ctx := awswire.Context(t)
	key := store.Key{PK: "SURVEY#sv_1", SK: "SURVEY"}
	item := store.Item{
		Key:       key,
		GSI1:      store.Key{PK: "DUE", SK: "2025-03-04T09:00:00Z#survey#sv_1"},
		GSI3:      store.Key{PK: "SURVEYS#2025-03", SK: "2025-03-04T09:00:00Z"},
		ExpiresAt: 1767225600,
		Data:      []byte(`{"id":"sv_1","status":"scheduled"}`),
	}

	if _, err := tbl.Get(ctx, key); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get before Put: %v, want ErrNotFound", err)
	}
	v1, err := tbl.Put(ctx, item, store.IfAbsent())
	if err != nil || v1.Version != 1 {
		t.Fatalf("Put IfAbsent = version %d, %v; want 1", v1.Version, err)
	}
	if _, err := tbl.Put(ctx, item, store.IfAbsent()); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second Put IfAbsent: %v, want ErrConflict", err)
	} else if errors.Is(err, dynamo.ErrInvalid) {
		t.Errorf("conflict %v also marked invalid", err)
	}
	got, err := tbl.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	item.Version = 1
	if !equalItems(got, item) {
		t.Errorf("Get =\n%+v\nwant\n%+v", got, item)
	}

	// Updating drops the gsi1 entry (sparse) and the TTL.
	item.GSI1 = store.Key{}
	item.ExpiresAt = 0
	item.Data = []byte(`{"id":"sv_1","status":"sent"}`)
	if _, err := tbl.Put(ctx, item, store.IfVersion(7)); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("Put IfVersion(7): %v, want ErrConflict", err)
	}
	v2, err := tbl.Put(ctx, item, store.IfVersion(1))
	if err != nil || v2.Version != 2 {
		t.Fatalf("Put IfVersion(1) = version %d, %v; want 2", v2.Version, err)
	}
	got, err = tbl.Get(ctx, key)
	item.Version = 2
	if err != nil || !equalItems(got, item) {
		t.Errorf("Get after update = %+v, %v; want %+v", got, err, item)
	}
	due, err := tbl.Query(ctx, store.Query{Index: store.Due, PK: "DUE"})
	if err != nil || len(due) != 0 {
		t.Errorf("Due query after the gsi1 key was cleared = %d items, %v; want none", len(due), err)
	}
	listed, err := tbl.Query(ctx, store.Query{Index: store.Listing, PK: "SURVEYS#2025-03"})
	if err != nil || len(listed) != 1 || !equalItems(listed[0], item) {
		t.Errorf("Listing query = %+v, %v; want the item", listed, err)
	}

	if _, err := tbl.Put(ctx, store.Item{Key: store.Key{PK: "NEW", SK: "X"}}, store.IfVersion(0)); !errors.Is(err, store.ErrConflict) {
		t.Errorf("Put IfVersion(0) of a missing item: %v, want ErrConflict", err)
	}

	if err := tbl.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if err := tbl.Delete(ctx, key); err != nil {
		t.Errorf("Delete of a missing item: %v", err)
	}
	if _, err := tbl.Get(ctx, key); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get after Delete: %v, want ErrNotFound", err)
	}
}

func TestDynaliteQuery(t *testing.T) {
	t.Parallel()
	tbl := newDynaliteTable(t)
	ctx := awswire.Context(t)
	// 30 items in one partition, sort keys a00..a14 and b00..b14, each
	// also in gsi2 under another partition with the same sort key. Big
	// enough data to force several pages when Limit is small.
	big := bytes.Repeat([]byte("x"), 50_000)
	var all []string
	for _, p := range []string{"a", "b"} {
		for i := 0; i < 15; i++ {
			sk := fmt.Sprintf("%s%02d", p, i)
			all = append(all, sk)
			it := store.Item{Key: store.Key{PK: "P", SK: sk}, GSI2: store.Key{PK: "CUST#1", SK: sk}, Data: big}
			if _, err := tbl.Put(ctx, it, store.IfAbsent()); err != nil {
				t.Fatal(err)
			}
		}
	}
	reversed := func(s []string) []string {
		out := make([]string, len(s))
		for i, v := range s {
			out[len(s)-1-i] = v
		}
		return out
	}
	tests := []struct {
		name string
		q    store.Query
		want []string
	}{
		{"all, ascending, across pages", store.Query{PK: "P"}, all},
		{"all, descending", store.Query{PK: "P", Desc: true}, reversed(all)},
		{"between", store.Query{PK: "P", From: "a13", To: "b01"}, []string{"a13", "a14", "b00", "b01"}},
		{"from", store.Query{PK: "P", From: "b13"}, []string{"b13", "b14"}},
		{"to", store.Query{PK: "P", To: "a01"}, []string{"a00", "a01"}},
		{"prefix", store.Query{PK: "P", Prefix: "b1"}, []string{"b10", "b11", "b12", "b13", "b14"}},
		{"prefix and from", store.Query{PK: "P", Prefix: "a1", From: "a13"}, []string{"a13", "a14"}},
		{"prefix and to, descending", store.Query{PK: "P", Prefix: "a", To: "b05", Desc: true, Limit: 2}, []string{"a14", "a13"}},
		{"bounds out of order", store.Query{PK: "P", From: "b", To: "a"}, nil},
		{"limit over pages", store.Query{PK: "P", Limit: 25}, all[:25]},
		{"limit, descending", store.Query{PK: "P", Limit: 3, Desc: true}, []string{"b14", "b13", "b12"}},
		{"index", store.Query{Index: store.Customer, PK: "CUST#1", From: "b12"}, []string{"b12", "b13", "b14"}},
		{"index, prefix, descending", store.Query{Index: store.Customer, PK: "CUST#1", Prefix: "a0", Desc: true, Limit: 2}, []string{"a09", "a08"}},
		{"empty partition", store.Query{PK: "NOPE"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			items, err := tbl.Query(ctx, tt.q)
			if err != nil {
				t.Fatalf("Query: %v", err)
			}
			if items == nil {
				t.Error("Query returned nil, want an empty slice")
			}
			var got []string
			for _, it := range items {
				got = append(got, it.SK)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("Query = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDynaliteValidationIsNotConflict(t *testing.T) {
	t.Parallel()
	tbl := newDynaliteTable(t)
	ctx := awswire.Context(t)
	// Over DynamoDB's 400 KB item limit: dynalite refuses it like DynamoDB.
	huge := store.Item{Key: store.Key{PK: "P", SK: "huge"}, Data: bytes.Repeat([]byte("x"), 410*1024)}
	_, err := tbl.Put(ctx, huge, store.IfAbsent())
	if !errors.Is(err, dynamo.ErrInvalid) || errors.Is(err, store.ErrConflict) {
		t.Errorf("Put of a 410 KB item: %v, want ErrInvalid and not ErrConflict", err)
	}
}

func equalItems(a, b store.Item) bool {
	return a.Key == b.Key && a.GSI1 == b.GSI1 && a.GSI2 == b.GSI2 && a.GSI3 == b.GSI3 &&
		a.Version == b.Version && a.ExpiresAt == b.ExpiresAt && bytes.Equal(a.Data, b.Data)
}
