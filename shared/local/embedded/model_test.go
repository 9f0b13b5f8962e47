package embedded

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/core/store"
)

// TestQueryMatchesModel runs random writes (creates, overwrites that move,
// add and drop index entries, deletes) and random queries on the table and
// every index against a brute-force model, reopening the table now and then,
// so that scan bounds, index maintenance and replay are checked on shapes
// the contract suite does not spell out (0xff and multi-byte sort keys,
// bounds between keys, prefixes that end in 0xff).
func TestQueryMatchesModel(t *testing.T) {
	t.Parallel()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed>>1))
	path := t.TempDir()
	tbl := openT(t, path)
	ctx := context.Background()

	// Sort keys from a small alphabet with neighbours in byte order, a
	// multi-byte rune and the largest one, so ranges and prefixes hit edges.
	alphabet := []string{"#", "0", "a", "b", "ab", "é", "\U0010FFFF"}
	word := func() string {
		var b strings.Builder
		for range 1 + rng.IntN(3) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	// A bound or prefix may be any bytes but 0x00, valid UTF-8 or not.
	bound := func() string {
		switch rng.IntN(6) {
		case 0:
			return ""
		case 1:
			return word() + "\xff"
		default:
			return word()
		}
	}
	parts := []string{"p", "p\x01", "q"} // "p\x01" sorts right after every "p" entry
	indexKey := func() store.Key {
		if rng.IntN(4) == 0 {
			return store.Key{} // not in this index
		}
		return store.Key{PK: parts[rng.IntN(len(parts))], SK: word()}
	}

	model := map[store.Key]store.Item{}
	for step := range 500 {
		if step%200 == 199 {
			if err := tbl.Close(); err != nil {
				t.Fatal(err)
			}
			tbl = openT(t, path)
		}
		key := store.Key{PK: parts[rng.IntN(len(parts))], SK: word()}
		old, exists := model[key]
		if exists && rng.IntN(5) == 0 {
			if err := tbl.Delete(ctx, key); err != nil {
				t.Fatalf("Delete %v: %v", key, err)
			}
			delete(model, key)
		} else {
			item := store.Item{Key: key, GSI1: indexKey(), GSI2: indexKey(), GSI3: indexKey(), Data: fmt.Appendf(nil, "%d", step)}
			cond := store.IfAbsent()
			if exists {
				cond = store.IfVersion(old.Version)
			}
			got, err := tbl.Put(ctx, item, cond)
			if err != nil {
				t.Fatalf("Put %v: %v", key, err)
			}
			model[key] = got
		}

		for range 20 { // queries are cheap, writes wait for a sync
			q := store.Query{
				Index: []store.Index{store.Primary, store.Due, store.Customer, store.Listing}[rng.IntN(4)],
				PK:    parts[rng.IntN(len(parts))],
				From:  bound(), To: bound(), Desc: rng.IntN(2) == 0,
			}
			if rng.IntN(3) == 0 {
				q.Prefix = bound()
			}
			if rng.IntN(3) == 0 {
				q.Limit = 1 + rng.IntN(4)
			}
			got, err := tbl.Query(ctx, q)
			if err != nil {
				t.Fatalf("Query %+v: %v", q, err)
			}
			if want := modelQuery(model, q); !slices.EqualFunc(got, want, sameItem) {
				t.Fatalf("step %d (seed %d): Query %+v\n got  %v\n want %v", step, seed, q, keysOf(got), keysOf(want))
			}
		}
	}
}

// modelQuery answers q over model by brute force, with the semantics the
// contract suite documents: byte-wise order, inclusive bounds, From after
// To is empty, ties in primary key order.
func modelQuery(model map[store.Key]store.Item, q store.Query) []store.Item {
	sortKey := func(it store.Item) store.Key {
		switch q.Index {
		case store.Due:
			return it.GSI1
		case store.Customer:
			return it.GSI2
		case store.Listing:
			return it.GSI3
		}
		return it.Key
	}
	var out []store.Item
	for _, it := range model {
		k := sortKey(it)
		if k.PK != q.PK ||
			(q.From != "" && k.SK < q.From) || (q.To != "" && k.SK > q.To) ||
			!strings.HasPrefix(k.SK, q.Prefix) {
			continue
		}
		out = append(out, it)
	}
	slices.SortFunc(out, func(a, b store.Item) int {
		if c := strings.Compare(sortKey(a).SK, sortKey(b).SK); c != 0 {
			return c
		}
		return strings.Compare(itemKey(a.Key), itemKey(b.Key))
	})
	if q.Desc {
		slices.Reverse(out)
	}
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out
}

func sameItem(a, b store.Item) bool {
	return a.Key == b.Key && a.GSI1 == b.GSI1 && a.GSI2 == b.GSI2 && a.GSI3 == b.GSI3 &&
		a.Version == b.Version && a.ExpiresAt == b.ExpiresAt && bytes.Equal(a.Data, b.Data)
}

func keysOf(items []store.Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = fmt.Sprintf("%q/%q v%d", it.PK, it.SK, it.Version)
	}
	return out
}
