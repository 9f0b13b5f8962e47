// Package storetest is the contract suite of the store.Table port. Every
// adapter runs it: the embedded table in its unit tests, the DynamoDB
// adapter against the dynalite emulator. It asserts what the port's doc
// comments promise, so an adapter that passes can stand in for any other,
// and spells out what they leave implicit:
//
//   - sort keys order byte-wise, like DynamoDB string sort keys;
//   - Data comes back byte for byte (store it as a Binary attribute, not a
//     map), and the table never aliases the caller's slice;
//   - From after To is an empty result, not an error;
//   - a cancelled context fails every call with an error that is
//     context.Canceled under errors.Is;
//   - index entries are visible as soon as the write returns. The port
//     allows eventual consistency there; the adapters tested (embedded,
//     dynalite) are immediately consistent, and each such assertion says so.
//
// All subtests share one table and run in parallel; each keeps to its own
// partition keys, made from a random run id and the subtest's name, so the
// suite may also run against a table that already holds data.
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/cxloop/cxloop/shared/core/store"
)

// Run runs the contract suite against the table open returns. open is
// called once; it should register the table's cleanup with t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) store.Table) {
	t.Helper()
	s := &suite{tbl: open(t), run: runID(t)}
	tests := []struct {
		name string
		fn   func(t *testing.T, s *suite)
	}{
		{"PutConditions", testPutConditions},
		{"GetMissing", testGetMissing},
		{"Delete", testDelete},
		{"PutReplacesWholeItem", testPutReplaces},
		{"DataRoundTrip", testData},
		{"ExpiresAtRoundTrip", testExpiresAt},
		{"Query", testQuery},
		{"QueryTies", testQueryTies},
		{"QueryEmpty", testQueryEmpty},
		{"QueryManyItems", testQueryMany},
		{"ConcurrentIncrement", testConcurrentIncrement},
		{"ConcurrentCreate", testConcurrentCreate},
		{"CancelledContext", testCancelled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, s)
		})
	}
}

type suite struct {
	tbl store.Table
	run string
}

// pk returns a partition key no other subtest, or other run, uses.
func (s *suite) pk(t *testing.T, parts ...string) string {
	return strings.Join(append([]string{"storetest", s.run, t.Name()}, parts...), "/")
}

func runID(t *testing.T) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("run id: %v", err)
	}
	return hex.EncodeToString(b)
}

// The indexes, with a way to read and set each one's key on an item.
var indexes = []struct {
	name string
	ix   store.Index
}{
	{"table", store.Primary},
	{"gsi1", store.Due},
	{"gsi2", store.Customer},
	{"gsi3", store.Listing},
}

func keyIn(item store.Item, ix store.Index) store.Key {
	switch ix {
	case store.Due:
		return item.GSI1
	case store.Customer:
		return item.GSI2
	case store.Listing:
		return item.GSI3
	}
	return item.Key
}

// withIndexKey returns item with its entry in the secondary index ix set to k.
func withIndexKey(item store.Item, ix store.Index, k store.Key) store.Item {
	switch ix {
	case store.Due:
		item.GSI1 = k
	case store.Customer:
		item.GSI2 = k
	case store.Listing:
		item.GSI3 = k
	}
	return item
}

// farFuture is an ExpiresAt (2100-01-01) no TTL sweeper acts on during a
// test: the port lets adapters delete expired items at any time after.
const farFuture int64 = 4102444800

func mustPut(t *testing.T, tbl store.Table, item store.Item, cond store.Cond) store.Item {
	t.Helper()
	got, err := tbl.Put(t.Context(), item, cond)
	if err != nil {
		t.Fatalf("Put(%s/%s): %v", item.PK, item.SK, err)
	}
	return got
}

func mustGet(t *testing.T, tbl store.Table, key store.Key) store.Item {
	t.Helper()
	got, err := tbl.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get(%s/%s): %v", key.PK, key.SK, err)
	}
	return got
}

func mustQuery(t *testing.T, tbl store.Table, q store.Query) []store.Item {
	t.Helper()
	got, err := tbl.Query(t.Context(), q)
	if err != nil {
		t.Fatalf("Query(%+v): %v", q, err)
	}
	return got
}

func checkItem(t *testing.T, what string, got, want store.Item) {
	t.Helper()
	if d := diffItem(got, want); d != "" {
		t.Errorf("%s: %s", what, d)
	}
}

// diffItem describes how got differs from want; nil and empty Data are equal.
func diffItem(got, want store.Item) string {
	var d []string
	for _, f := range []struct {
		name      string
		got, want store.Key
	}{
		{"Key", got.Key, want.Key},
		{"GSI1", got.GSI1, want.GSI1},
		{"GSI2", got.GSI2, want.GSI2},
		{"GSI3", got.GSI3, want.GSI3},
	} {
		if f.got != f.want {
			d = append(d, fmt.Sprintf("%s = %q, want %q", f.name, f.got, f.want))
		}
	}
	if got.Version != want.Version {
		d = append(d, fmt.Sprintf("Version = %d, want %d", got.Version, want.Version))
	}
	if got.ExpiresAt != want.ExpiresAt {
		d = append(d, fmt.Sprintf("ExpiresAt = %d, want %d", got.ExpiresAt, want.ExpiresAt))
	}
	if !bytes.Equal(got.Data, want.Data) {
		d = append(d, fmt.Sprintf("Data = %s, want %s", short(got.Data), short(want.Data)))
	}
	return strings.Join(d, "; ")
}

func short(b []byte) string {
	if len(b) > 64 {
		return fmt.Sprintf("%q… (%d bytes)", b[:64], len(b))
	}
	return fmt.Sprintf("%q", b)
}

func testPutConditions(t *testing.T, s *suite) {
	tests := []struct {
		name        string
		prior       int // writes before the one under test: 0 = no item, n = item at version n
		cond        store.Cond
		wantVersion int64 // 0 when the put must conflict
	}{
		{"absent on new key", 0, store.IfAbsent(), 1},
		{"absent on existing key", 1, store.IfAbsent(), 0},
		{"version matches v1", 1, store.IfVersion(1), 2},
		{"version matches v3", 3, store.IfVersion(3), 4},
		{"version stale", 3, store.IfVersion(2), 0},
		{"version ahead", 1, store.IfVersion(2), 0},
		{"version on missing key", 0, store.IfVersion(1), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pk := s.pk(t)
			key := store.Key{PK: pk, SK: "item"}
			var prev store.Item // zero when no item
			for i := 1; i <= tc.prior; i++ {
				cond := store.IfVersion(int64(i - 1))
				if i == 1 {
					cond = store.IfAbsent()
				}
				prev = mustPut(t, s.tbl, store.Item{
					Key:  key,
					GSI1: store.Key{PK: pk + "/due", SK: fmt.Sprintf("prior-%d", i)},
					Data: fmt.Appendf(nil, `{"write":%d}`, i),
				}, cond)
				if prev.Version != int64(i) {
					t.Fatalf("write %d: Version = %d, want %d", i, prev.Version, i)
				}
			}

			item := store.Item{
				Key:  key,
				GSI1: store.Key{PK: pk + "/due", SK: "attempt"},
				// The table maintains Version: what the caller passes is ignored.
				Version:   42,
				ExpiresAt: farFuture,
				Data:      []byte(`{"write":"attempt"}`),
			}
			got, err := s.tbl.Put(t.Context(), item, tc.cond)

			if tc.wantVersion == 0 {
				if !errors.Is(err, store.ErrConflict) {
					t.Fatalf("Put = %v, want ErrConflict", err)
				}
				// The stored item, and its index entry, are unchanged.
				if tc.prior == 0 {
					if _, err := s.tbl.Get(t.Context(), key); !errors.Is(err, store.ErrNotFound) {
						t.Errorf("Get after failed put = %v, want ErrNotFound", err)
					}
				} else {
					checkItem(t, "Get after failed put", mustGet(t, s.tbl, key), prev)
				}
				due := mustQuery(t, s.tbl, store.Query{Index: store.Due, PK: pk + "/due"})
				if want := min(tc.prior, 1); len(due) != want || (want == 1 && due[0].GSI1 != prev.GSI1) {
					t.Errorf("Due index after failed put = %v, want only the prior entry %v", due, prev.GSI1)
				}
				return
			}

			if err != nil {
				t.Fatalf("Put: %v", err)
			}
			want := item
			want.Version = tc.wantVersion
			checkItem(t, "Put result", got, want)
			checkItem(t, "Get", mustGet(t, s.tbl, key), want)
		})
	}
}

func testGetMissing(t *testing.T, s *suite) {
	pk := s.pk(t)
	mustPut(t, s.tbl, store.Item{Key: store.Key{PK: pk, SK: "a"}, Data: []byte(`{}`)}, store.IfAbsent())
	tests := []struct {
		name string
		key  store.Key
	}{
		{"never written partition", store.Key{PK: s.pk(t, "other"), SK: "a"}},
		{"sort key extends existing", store.Key{PK: pk, SK: "ab"}},
		{"sort key after existing", store.Key{PK: pk, SK: "b"}},
		{"partition extends existing", store.Key{PK: pk + "x", SK: "a"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := s.tbl.Get(t.Context(), tc.key); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Get(%v) = %v, want ErrNotFound", tc.key, err)
			}
		})
	}
}

func testDelete(t *testing.T, s *suite) {
	t.Run("existing item", func(t *testing.T) {
		t.Parallel()
		pk := s.pk(t)
		key := store.Key{PK: pk, SK: "item"}
		item := store.Item{
			Key:  key,
			GSI1: store.Key{PK: pk + "/gsi1", SK: "x"},
			GSI2: store.Key{PK: pk + "/gsi2", SK: "x"},
			GSI3: store.Key{PK: pk + "/gsi3", SK: "x"},
			Data: []byte(`{"v":1}`),
		}
		mustPut(t, s.tbl, item, store.IfAbsent())
		if err := s.tbl.Delete(t.Context(), key); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if _, err := s.tbl.Get(t.Context(), key); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get after Delete = %v, want ErrNotFound", err)
		}
		// The index entries go with the item. (Index queries may be eventually
		// consistent; every adapter tested so far is immediately consistent.)
		for _, ix := range indexes {
			if got := mustQuery(t, s.tbl, store.Query{Index: ix.ix, PK: keyIn(item, ix.ix).PK}); len(got) != 0 {
				t.Errorf("Query %s after Delete = %d items, want 0", ix.name, len(got))
			}
		}
		if err := s.tbl.Delete(t.Context(), key); err != nil {
			t.Errorf("second Delete: %v", err)
		}
		// The key is free again, and the new item starts over at version 1.
		if got := mustPut(t, s.tbl, item, store.IfAbsent()); got.Version != 1 {
			t.Errorf("Put after Delete: Version = %d, want 1", got.Version)
		}
	})
	t.Run("missing item", func(t *testing.T) {
		t.Parallel()
		if err := s.tbl.Delete(t.Context(), store.Key{PK: s.pk(t), SK: "never"}); err != nil {
			t.Errorf("Delete of a missing item = %v, want nil", err)
		}
	})
}

func testPutReplaces(t *testing.T, s *suite) {
	pk := s.pk(t)
	key := store.Key{PK: pk, SK: "item"}
	first := mustPut(t, s.tbl, store.Item{
		Key:       key,
		GSI1:      store.Key{PK: pk + "/gsi1", SK: "old"},
		GSI2:      store.Key{PK: pk + "/gsi2", SK: "kept-out"},
		GSI3:      store.Key{PK: pk + "/gsi3", SK: "same"},
		ExpiresAt: farFuture,
		Data:      []byte(`{"a":1,"b":2}`),
	}, store.IfAbsent())

	// The second put moves gsi1, leaves gsi2 (a zero key: out of that
	// sparse index), keeps gsi3, clears ExpiresAt and drops field b.
	second := store.Item{
		Key:  key,
		GSI1: store.Key{PK: pk + "/gsi1", SK: "new"},
		GSI3: first.GSI3,
		Data: []byte(`{"a":1}`),
	}
	got := mustPut(t, s.tbl, second, store.IfVersion(first.Version))
	want := second
	want.Version = 2
	checkItem(t, "Put result", got, want)
	checkItem(t, "Get", mustGet(t, s.tbl, key), want)

	// Index queries may be eventually consistent; see testDelete.
	tests := []struct {
		name string
		q    store.Query
		want int
	}{
		{"gsi1 old entry gone", store.Query{Index: store.Due, PK: pk + "/gsi1", From: "old", To: "old"}, 0},
		{"gsi1 new entry", store.Query{Index: store.Due, PK: pk + "/gsi1"}, 1},
		{"gsi2 entry gone", store.Query{Index: store.Customer, PK: pk + "/gsi2"}, 0},
		{"gsi3 entry once", store.Query{Index: store.Listing, PK: pk + "/gsi3"}, 1},
	}
	for _, tc := range tests {
		items := mustQuery(t, s.tbl, tc.q)
		if len(items) != tc.want {
			t.Errorf("%s: %d items, want %d", tc.name, len(items), tc.want)
			continue
		}
		for _, item := range items {
			checkItem(t, tc.name, item, want)
		}
	}
}

func testData(t *testing.T, s *suite) {
	// A ~300 KB JSON document: under DynamoDB's 400 KB item limit, over
	// anything a naive buffer or a string attribute's escaping would keep.
	var big bytes.Buffer
	big.WriteString(`{"rows":[`)
	for i := 0; big.Len() < 300<<10; i++ {
		if i > 0 {
			big.WriteByte(',')
		}
		fmt.Fprintf(&big, `{"i":%d,"s":"row \u00e9\u4e16 %d \"q\" \\ \u0000 \ud83d\ude00"}`, i, i*7919)
	}
	big.WriteString(`]}`)

	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"compact JSON", []byte(`{"a":1,"b":[true,null,"x"]}`)},
		// Data is opaque: no adapter may re-encode it (key order,
		// whitespace, escapes and number spelling all survive).
		{"JSON kept verbatim", []byte("{ \"z\": 1.50,\n\t\"a\" : 1e3, \"a\": 2 ,\"esc\":\"\\u0000\\u00e9\\n\\\"\\/\" }\n")},
		{"raw UTF-8 and escapes", []byte(`{"name":"Zoë 世界 😀","nul":"\u0000","ctl":"\u001f\t"}`)},
		{"about 300 KB", big.Bytes()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pk := s.pk(t)
			in := store.Item{
				Key:  store.Key{PK: pk, SK: "item"},
				GSI3: store.Key{PK: pk + "/gsi3", SK: "item"},
				Data: bytes.Clone(tc.data),
			}
			want := in
			want.Version = 1
			want.Data = tc.data
			got := mustPut(t, s.tbl, in, store.IfAbsent())
			checkItem(t, "Put result", got, want)
			// The table keeps its own copy: changing the caller's slice
			// afterwards changes nothing stored.
			if len(in.Data) > 0 {
				in.Data[0] ^= 0xff
			}
			fromGet := mustGet(t, s.tbl, in.Key)
			checkItem(t, "Get", fromGet, want)
			if len(fromGet.Data) > 0 {
				fromGet.Data[0] ^= 0xff
			}
			checkItem(t, "second Get", mustGet(t, s.tbl, in.Key), want)
			for _, q := range []store.Query{{PK: pk}, {Index: store.Listing, PK: pk + "/gsi3"}} {
				items := mustQuery(t, s.tbl, q)
				if len(items) != 1 {
					t.Fatalf("Query %q: %d items, want 1", q.Index, len(items))
				}
				checkItem(t, fmt.Sprintf("Query %q", q.Index), items[0], want)
			}
		})
	}
}

func testExpiresAt(t *testing.T, s *suite) {
	pk := s.pk(t)
	key := store.Key{PK: pk, SK: "item"}
	var version int64
	for _, expires := range []int64{farFuture, 0, farFuture + 1} {
		cond := store.IfVersion(version)
		if version == 0 {
			cond = store.IfAbsent()
		}
		got := mustPut(t, s.tbl, store.Item{Key: key, ExpiresAt: expires, Data: []byte(`{}`)}, cond)
		version = got.Version
		if got.ExpiresAt != expires {
			t.Errorf("Put result ExpiresAt = %d, want %d", got.ExpiresAt, expires)
		}
		if got := mustGet(t, s.tbl, key).ExpiresAt; got != expires {
			t.Errorf("Get ExpiresAt = %d, want %d", got, expires)
		}
		items := mustQuery(t, s.tbl, store.Query{PK: pk})
		if len(items) != 1 || items[0].ExpiresAt != expires {
			t.Errorf("Query = %v, want one item with ExpiresAt %d", items, expires)
		}
	}
}

// maxRune is the largest code point: its UTF-8 encoding (f4 8f bf bf)
// sorts after every ASCII byte.
const maxRune = "\U0010FFFF"

// querySortKeys are the sort keys of the Query fixture, in byte-wise order
// (the order DynamoDB gives string sort keys): upper case before lower
// case, "#" before letters, a multi-byte rune after ASCII, "10" before "9".
var querySortKeys = []string{"10", "9", "B", "a", "a#1", "a#2", "ab", "a" + maxRune, "b", "b#1", "c", "é"}

func testQuery(t *testing.T, s *suite) {
	pk := s.pk(t)
	// One partition key, reused in the table and in every index: each query
	// must see its own index's entries only. In the secondary indexes the
	// items' primary sort keys run the other way, so only the index's own
	// sort key can explain the order.
	for ixn, ix := range indexes {
		for i, sk := range querySortKeys {
			item := store.Item{Key: store.Key{PK: pk, SK: sk}}
			if ix.ix != store.Primary {
				item.Key = store.Key{PK: fmt.Sprintf("%s/items-%d", pk, ixn), SK: fmt.Sprintf("%03d", len(querySortKeys)-i)}
				item = withIndexKey(item, ix.ix, store.Key{PK: pk, SK: sk})
			}
			item.Data = queryData(ix.name, i)
			mustPut(t, s.tbl, item, store.IfAbsent())
		}
	}

	all := querySortKeys
	tests := []struct {
		name string
		q    store.Query
		want []string
	}{
		{"all", store.Query{}, all},
		{"all desc", store.Query{Desc: true}, reversed(all)},
		{"from existing key", store.Query{From: "a#1"}, all[4:]},
		{"from between keys", store.Query{From: "a#"}, all[4:]},
		{"to existing key", store.Query{To: "ab"}, all[:7]},
		{"to between keys", store.Query{To: "a#3"}, all[:6]},
		{"from to inclusive", store.Query{From: "a#1", To: "b"}, all[4:9]},
		{"from to same key", store.Query{From: "b", To: "b"}, []string{"b"}},
		{"from to no keys", store.Query{From: "bb", To: "bz"}, nil},
		{"from after to", store.Query{From: "c", To: "a"}, nil},
		{"from to desc", store.Query{From: "a#1", To: "b", Desc: true}, reversed(all[4:9])},
		{"prefix", store.Query{Prefix: "a"}, all[3:8]},
		{"prefix desc", store.Query{Prefix: "a", Desc: true}, reversed(all[3:8])},
		{"prefix longer", store.Query{Prefix: "a#"}, []string{"a#1", "a#2"}},
		{"prefix whole key", store.Query{Prefix: "b"}, []string{"b", "b#1"}},
		{"prefix multi-byte", store.Query{Prefix: "é"}, []string{"é"}},
		{"prefix no keys", store.Query{Prefix: "zz"}, nil},
		{"prefix no keys desc", store.Query{Prefix: "zz", Desc: true}, nil},
		{"prefix before all keys desc", store.Query{Prefix: "0", Desc: true}, nil},
		{"limit", store.Query{Limit: 3}, all[:3]},
		{"limit desc", store.Query{Limit: 3, Desc: true}, []string{"é", "c", "b#1"}},
		{"limit above count", store.Query{Limit: 100}, all},
		{"limit one", store.Query{Limit: 1}, all[:1]},
		{"prefix limit", store.Query{Prefix: "a", Limit: 2}, []string{"a", "a#1"}},
		{"prefix limit desc", store.Query{Prefix: "a", Limit: 2, Desc: true}, []string{"a" + maxRune, "ab"}},
		{"prefix from", store.Query{Prefix: "a", From: "a#2"}, []string{"a#2", "ab", "a" + maxRune}},
		{"prefix to", store.Query{Prefix: "a", To: "a#1"}, []string{"a", "a#1"}},
		{"prefix from before prefix", store.Query{Prefix: "b", From: "a"}, []string{"b", "b#1"}},
		{"prefix to after prefix desc", store.Query{Prefix: "a#", To: "c", Desc: true}, []string{"a#2", "a#1"}},
		{"prefix from to desc", store.Query{Prefix: "a#", From: "a#1", To: "ab", Desc: true}, []string{"a#2", "a#1"}},
		{"prefix outside from to", store.Query{Prefix: "c", From: "a", To: "b"}, nil},
		{"from to limit desc", store.Query{From: "b", To: "é", Limit: 2, Desc: true}, []string{"é", "c"}},
		{"to limit desc", store.Query{To: "a#2", Limit: 2, Desc: true}, []string{"a#2", "a#1"}},
	}
	for _, ix := range indexes {
		t.Run(ix.name, func(t *testing.T) {
			t.Parallel()
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					q := tc.q
					q.Index, q.PK = ix.ix, pk
					// Index queries may be eventually consistent; the
					// adapters tested (embedded, dynalite) are immediately so.
					items := mustQuery(t, s.tbl, q)
					var got []string
					for _, item := range items {
						k := keyIn(item, ix.ix)
						if k.PK != pk {
							t.Errorf("item %v: %s partition %q, want %q", item.Key, ix.name, k.PK, pk)
						}
						if want := queryData(ix.name, slices.Index(querySortKeys, k.SK)); !bytes.Equal(item.Data, want) {
							t.Errorf("item %v: Data %s, want %s", item.Key, item.Data, want)
						}
						if item.Version != 1 {
							t.Errorf("item %v: Version %d, want 1", item.Key, item.Version)
						}
						got = append(got, k.SK)
					}
					if !slices.Equal(got, tc.want) {
						t.Errorf("Query(%+v) sort keys = %q, want %q", q, got, tc.want)
					}
				})
			}
		})
	}
}

func queryData(index string, i int) []byte {
	return fmt.Appendf(nil, `{"index":%q,"n":%d}`, index, i)
}

func reversed(s []string) []string {
	r := make([]string, len(s))
	for i, v := range s {
		r[len(s)-1-i] = v
	}
	return r
}

// testQueryTies checks that items sharing an index key are all returned.
// Their relative order is not part of the port.
func testQueryTies(t *testing.T, s *suite) {
	for _, ix := range indexes[1:] {
		t.Run(ix.name, func(t *testing.T) {
			t.Parallel()
			pk := s.pk(t)
			ipk := pk + "/index"
			entries := []struct{ sk, isk string }{
				{"1", "s"}, {"2", "t"}, {"3", "t"}, {"4", "t"}, {"5", "u"},
			}
			for _, e := range entries {
				item := withIndexKey(store.Item{Key: store.Key{PK: pk, SK: e.sk}, Data: []byte(`{}`)}, ix.ix, store.Key{PK: ipk, SK: e.isk})
				mustPut(t, s.tbl, item, store.IfAbsent())
			}
			tests := []struct {
				name      string
				q         store.Query
				wantIndex []string // index sort keys in order
				wantTied  int      // how many of the ties, if any, in the middle
			}{
				{"exact", store.Query{From: "t", To: "t"}, []string{"t", "t", "t"}, 3},
				{"prefix", store.Query{Prefix: "t"}, []string{"t", "t", "t"}, 3},
				{"all", store.Query{}, []string{"s", "t", "t", "t", "u"}, 3},
				{"all desc", store.Query{Desc: true}, []string{"u", "t", "t", "t", "s"}, 3},
				{"limit inside ties", store.Query{Limit: 3}, []string{"s", "t", "t"}, 2},
				{"limit inside ties desc", store.Query{Limit: 2, Desc: true}, []string{"u", "t"}, 1},
			}
			for _, tc := range tests {
				q := tc.q
				q.Index, q.PK = ix.ix, ipk
				items := mustQuery(t, s.tbl, q)
				var got []string
				tied := map[string]bool{}
				for _, item := range items {
					isk := keyIn(item, ix.ix).SK
					got = append(got, isk)
					if isk == "t" {
						if tied[item.SK] {
							t.Errorf("%s: item %s returned twice", tc.name, item.SK)
						}
						tied[item.SK] = true
						if item.SK < "2" || item.SK > "4" {
							t.Errorf("%s: item %s has index key t, want one of 2, 3, 4", tc.name, item.SK)
						}
					}
				}
				if !slices.Equal(got, tc.wantIndex) || len(tied) != tc.wantTied {
					t.Errorf("%s: index sort keys %q (%d distinct ties), want %q (%d)", tc.name, got, len(tied), tc.wantIndex, tc.wantTied)
				}
			}
		})
	}
}

func testQueryEmpty(t *testing.T, s *suite) {
	pk := s.pk(t)
	// pk has an item in the table but no index entries: every index
	// partition pk is empty, and so is the table partition pk+"/none".
	mustPut(t, s.tbl, store.Item{Key: store.Key{PK: pk, SK: "only"}, Data: []byte(`{}`)}, store.IfAbsent())
	for _, ix := range indexes {
		for _, q := range []store.Query{
			{Index: ix.ix, PK: pk + "/none"},
			{Index: ix.ix, PK: pk + "/none", Desc: true, Limit: 5},
			{Index: ix.ix, PK: pk, Prefix: "zz"},
		} {
			if ix.ix != store.Primary && q.PK == pk+"/none" {
				q.PK = pk
			}
			got, err := s.tbl.Query(t.Context(), q)
			if err != nil {
				t.Errorf("Query(%+v): %v", q, err)
				continue
			}
			if len(got) != 0 {
				t.Errorf("Query(%+v) = %d items, want none", q, len(got))
			}
		}
	}
}

// testQueryMany puts 2,500 items of ~1 KB in one partition, 2.5 MB in all,
// more than DynamoDB returns in one 1 MB page: the adapter must follow pages.
func testQueryMany(t *testing.T, s *suite) {
	const n = 2500
	pk := s.pk(t)
	ipk := pk + "/gsi3"
	pad := strings.Repeat("x", 1000)
	sk := func(i int) string { return fmt.Sprintf("sk%05d", i) }

	var wg sync.WaitGroup
	next := make(chan int)
	for range 16 {
		wg.Go(func() {
			for i := range next {
				item := store.Item{
					Key:  store.Key{PK: pk, SK: sk(i)},
					GSI3: store.Key{PK: ipk, SK: sk(i)},
					Data: fmt.Appendf(nil, `{"i":%d,"pad":%q}`, i, pad),
				}
				if _, err := s.tbl.Put(t.Context(), item, store.IfAbsent()); err != nil {
					t.Errorf("Put %d: %v", i, err)
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	tests := []struct {
		name  string
		q     store.Query
		first int // number of the first item expected
		count int
		desc  bool
	}{
		{"table all", store.Query{PK: pk}, 0, n, false},
		{"table all desc", store.Query{PK: pk, Desc: true}, n - 1, n, true},
		{"table limit", store.Query{PK: pk, Limit: 1500}, 0, 1500, false},
		{"table range", store.Query{PK: pk, From: sk(100), To: sk(2399)}, 100, 2300, false},
		{"index all", store.Query{Index: store.Listing, PK: ipk}, 0, n, false},
		{"index desc limit", store.Query{Index: store.Listing, PK: ipk, Desc: true, Limit: 1200}, n - 1, 1200, true},
		{"index prefix", store.Query{Index: store.Listing, PK: ipk, Prefix: "sk01"}, 1000, 1000, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			items := mustQuery(t, s.tbl, tc.q)
			if len(items) != tc.count {
				t.Fatalf("%d items, want %d", len(items), tc.count)
			}
			for j, item := range items {
				i := tc.first + j
				if tc.desc {
					i = tc.first - j
				}
				if item.SK != sk(i) || len(item.Data) < len(pad) {
					t.Fatalf("item %d is %s with %d bytes of data, want %s with more than %d", j, item.SK, len(item.Data), sk(i), len(pad))
				}
			}
		})
	}
}

// testConcurrentIncrement runs 20 read-modify-write loops on one counter:
// IfVersion must let exactly one writer win each version, so no increment
// is lost.
func testConcurrentIncrement(t *testing.T, s *suite) {
	const writers = 20
	key := store.Key{PK: s.pk(t), SK: "counter"}
	mustPut(t, s.tbl, store.Item{Key: key, Data: []byte("0")}, store.IfAbsent())

	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins = map[int64]int{} // version written -> winners
	)
	for w := range writers {
		wg.Go(func() {
			for attempt := 0; ; attempt++ {
				if attempt == 1000 {
					t.Errorf("writer %d: no success after %d attempts", w, attempt)
					return
				}
				cur, err := s.tbl.Get(t.Context(), key)
				if err != nil {
					t.Errorf("writer %d: Get: %v", w, err)
					return
				}
				var n int
				if _, err := fmt.Sscan(string(cur.Data), &n); err != nil {
					t.Errorf("writer %d: counter %q: %v", w, cur.Data, err)
					return
				}
				cur.Data = fmt.Append(nil, n+1)
				got, err := s.tbl.Put(t.Context(), cur, store.IfVersion(cur.Version))
				if errors.Is(err, store.ErrConflict) {
					continue
				}
				if err != nil {
					t.Errorf("writer %d: Put: %v", w, err)
					return
				}
				mu.Lock()
				wins[got.Version]++
				mu.Unlock()
				return
			}
		})
	}
	wg.Wait()

	final := mustGet(t, s.tbl, key)
	if string(final.Data) != fmt.Sprint(writers) || final.Version != writers+1 {
		t.Errorf("counter = %s at version %d, want %d at version %d", final.Data, final.Version, writers, writers+1)
	}
	for v := int64(2); v <= writers+1; v++ {
		if wins[v] != 1 {
			t.Errorf("version %d written by %d writers, want 1", v, wins[v])
		}
	}
}

// testConcurrentCreate races 20 IfAbsent puts on one new key: one wins.
func testConcurrentCreate(t *testing.T, s *suite) {
	const writers = 20
	key := store.Key{PK: s.pk(t), SK: "item"}
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			_, errs[w] = s.tbl.Put(t.Context(), store.Item{Key: key, Data: fmt.Append(nil, w)}, store.IfAbsent())
		})
	}
	wg.Wait()
	winner := -1
	for w, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("writers %d and %d both created the item", winner, w)
		case err == nil:
			winner = w
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("writer %d: %v, want nil or ErrConflict", w, err)
		}
	}
	if winner < 0 {
		t.Fatal("no writer created the item")
	}
	checkItem(t, "Get", mustGet(t, s.tbl, key), store.Item{Key: key, Version: 1, Data: fmt.Append(nil, winner)})
}

func testCancelled(t *testing.T, s *suite) {
	pk := s.pk(t)
	key := store.Key{PK: pk, SK: "item"}
	mustPut(t, s.tbl, store.Item{Key: key, GSI1: store.Key{PK: pk, SK: "x"}, Data: []byte(`{}`)}, store.IfAbsent())

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	tests := []struct {
		name string
		op   func() error
	}{
		{"Get", func() error { _, err := s.tbl.Get(ctx, key); return err }},
		{"Put IfAbsent", func() error {
			_, err := s.tbl.Put(ctx, store.Item{Key: store.Key{PK: pk, SK: "new"}}, store.IfAbsent())
			return err
		}},
		{"Put IfVersion", func() error {
			_, err := s.tbl.Put(ctx, store.Item{Key: key}, store.IfVersion(1))
			return err
		}},
		{"Delete", func() error { return s.tbl.Delete(ctx, key) }},
		{"Query table", func() error { _, err := s.tbl.Query(ctx, store.Query{PK: pk}); return err }},
		{"Query index", func() error { _, err := s.tbl.Query(ctx, store.Query{Index: store.Due, PK: pk}); return err }},
	}
	for _, tc := range tests {
		if err := tc.op(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context = %v, want context.Canceled", tc.name, err)
		}
	}
}
