// Package embedded is the local store.Table used by `cxloop dev` and tests
// in place of DynamoDB: every item in memory, every write in an append-only
// journal file that is read back on open. Pure Go, no cgo.
//
// In memory:
//
//	items            PK 0x00 SK                          -> encoded item (codec.go)
//	keys             PK 0x00 SK                          ordered, for table queries
//	gsi1, gsi2, gsi3 indexPK 0x00 indexSK 0x00 PK 0x00 SK ordered
//
// Keys must not contain 0x00, so byte-wise order of the composite keys is
// the order of (indexPK, indexSK, PK, SK): ranges over a sort key and items
// sharing an index key (ties) both come out right.
//
// Durability: a write returns only after the journal record holding it has
// been written and fdatasynced (journal.go), and readers see a write only
// from then on, so nothing a reader acted on can vanish in a crash. To keep
// thousands of writes per second possible despite one sync per commit,
// writes go through a group commit: one writer goroutine takes every write
// waiting at that moment and commits them together, so concurrent writers
// share a sync without any added delay for a lone writer (commit.go).
//
// The store used to be a bbolt file; ImportBolt carries such a file over.
package embedded

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/google/btree"

	"github.com/cxloop/cxloop/shared/store"
)

var _ store.Table = (*Table)(nil)

// Limits mirrored from DynamoDB so a record AWS would reject fails locally
// too. The item limit is approximate: DynamoDB also counts attribute names.
const (
	maxPKLen   = 2048
	maxSKLen   = 1024
	maxItemLen = 400 * 1024
)

// indexNames name gsi1..gsi3 in errors.
var indexNames = [3]string{"gsi1", "gsi2", "gsi3"}

// errClosed is returned by reads and writes after Close.
var errClosed = errors.New("table is closed")

// Table is a store.Table kept in memory and in one journal file. It is safe
// for concurrent use; only one process may have the file open at a time.
type Table struct {
	path    string
	journal *journal // used by the writer goroutine only, once Open returns

	// mu guards the data; the writer goroutine is the only one that
	// changes it, so it may read without the lock.
	mu    sync.RWMutex
	gone  bool // closed: reads fail too
	items map[string][]byte
	keys  *btree.BTreeG[string]
	index [3]*btree.BTreeG[string]
	live  int64 // bytes the live items take in the journal

	stateMu sync.RWMutex // guards closed and sending on writes
	closed  bool
	writes  chan *write
	done    chan struct{} // closed when the writer goroutine has exited
}

// Open opens the table kept in the journal file at path, creating the file
// and its directory when missing. It fails after about a second when
// another process holds the file.
func Open(path string) (*Table, error) {
	t := &Table{
		path:   path,
		items:  map[string][]byte{},
		keys:   newTree(),
		writes: make(chan *write, maxBatch),
		done:   make(chan struct{}),
	}
	for i := range t.index {
		t.index[i] = newTree()
	}
	j, err := openJournal(path, t.apply)
	if err != nil {
		return nil, fmt.Errorf("embedded: open %s: %w", path, err)
	}
	t.journal = j
	t.compactIfWasteful()
	go t.run()
	return t, nil
}

// Recovered describes the torn tail Open cut off the journal (the last
// commit of a process that died while writing it, never acknowledged), or
// is empty. Garbage in the middle of the file would be cut off the same
// way, which is why it is worth telling.
func (t *Table) Recovered() string { return t.journal.torn }

func newTree() *btree.BTreeG[string] {
	return btree.NewG(32, func(a, b string) bool { return a < b })
}

// Close waits for pending writes, then closes the file. Calls after the
// first return nil.
func (t *Table) Close() error {
	t.stateMu.Lock()
	if t.closed {
		t.stateMu.Unlock()
		return nil
	}
	t.closed = true
	close(t.writes)
	t.stateMu.Unlock()
	<-t.done
	t.mu.Lock()
	t.gone, t.items, t.keys, t.index = true, nil, nil, [3]*btree.BTreeG[string]{}
	t.mu.Unlock()
	if err := t.journal.close(); err != nil {
		return fmt.Errorf("embedded: close %s: %w", t.path, err)
	}
	return nil
}

// Get reads one item. Reads see every committed write (strongly consistent).
func (t *Table) Get(ctx context.Context, key store.Key) (store.Item, error) {
	item, err := t.get(ctx, key)
	if err != nil {
		return store.Item{}, fmt.Errorf("embedded: get %s/%s: %w", key.PK, key.SK, err)
	}
	return item, nil
}

func (t *Table) get(ctx context.Context, key store.Key) (store.Item, error) {
	if err := ctx.Err(); err != nil {
		return store.Item{}, err
	}
	if err := checkKey("key", key); err != nil {
		return store.Item{}, err
	}
	t.mu.RLock()
	v, gone := t.items[itemKey(key)], t.gone
	t.mu.RUnlock()
	if gone {
		return store.Item{}, errClosed
	}
	if v == nil {
		return store.Item{}, store.ErrNotFound
	}
	return decodeItem(key, v)
}

// Put writes the whole item when cond holds (checked and written in one
// commit) and returns it with its new Version.
func (t *Table) Put(ctx context.Context, item store.Item, cond store.Cond) (store.Item, error) {
	out, err := t.put(ctx, item, cond)
	if err != nil {
		return store.Item{}, fmt.Errorf("embedded: put %s/%s: %w", item.PK, item.SK, err)
	}
	return out, nil
}

func (t *Table) put(ctx context.Context, item store.Item, cond store.Cond) (store.Item, error) {
	if err := ctx.Err(); err != nil {
		return store.Item{}, err
	}
	if err := checkItem(item); err != nil {
		return store.Item{}, err
	}
	err := t.write(ctx, func(b *batch) error {
		k := itemKey(item.Key)
		var prev int64
		if old := b.current(k); old != nil {
			h, _, err := decodeHead(old)
			if err != nil {
				return err
			}
			prev = h.version
			if cond.Absent() || prev != cond.Version() {
				return store.ErrConflict
			}
		} else if !cond.Absent() {
			return store.ErrConflict
		}
		item.Version = prev + 1
		b.set(k, encodeItem(item))
		return nil
	})
	if err != nil {
		return store.Item{}, err
	}
	return item, nil
}

// Delete removes the item and its index entries; a missing item is fine.
func (t *Table) Delete(ctx context.Context, key store.Key) error {
	if err := t.delete(ctx, key); err != nil {
		return fmt.Errorf("embedded: delete %s/%s: %w", key.PK, key.SK, err)
	}
	return nil
}

func (t *Table) delete(ctx context.Context, key store.Key) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkKey("key", key); err != nil {
		return err
	}
	return t.write(ctx, func(b *batch) error {
		if k := itemKey(key); b.current(k) != nil {
			b.set(k, nil)
		}
		return nil
	})
}

// Query returns the matching items of one partition in sort key order
// (byte-wise, like DynamoDB string sort keys); items with equal index keys
// come out in primary key order. Index queries are strongly consistent here.
func (t *Table) Query(ctx context.Context, q store.Query) ([]store.Item, error) {
	items, err := t.query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("embedded: query %s %s: %w", indexName(q.Index), q.PK, err)
	}
	return items, nil
}

func (t *Table) query(ctx context.Context, q store.Query) ([]store.Item, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	slot, err := checkQuery(q)
	if err != nil {
		return nil, err
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.gone {
		return nil, errClosed
	}
	out := []store.Item{}
	if q.From != "" && q.To != "" && q.From > q.To {
		return out, nil
	}
	tree := t.keys
	if slot >= 0 {
		tree = t.index[slot]
	}
	err = scan(ctx, tree, q, func(sk, rest string) (bool, error) {
		var key store.Key
		if slot < 0 { // primary: the key is PK 0x00 SK
			key = store.Key{PK: q.PK, SK: sk}
		} else { // index: rest is PK 0x00 SK of the item
			pk, sk, ok := strings.Cut(rest, "\x00")
			if !ok {
				return false, fmt.Errorf("corrupt %s entry %q", indexName(q.Index), rest)
			}
			key = store.Key{PK: pk, SK: sk}
		}
		v := t.items[itemKey(key)]
		if v == nil {
			return false, fmt.Errorf("corrupt %s entry: item %s/%s missing", indexName(q.Index), key.PK, key.SK)
		}
		item, err := decodeItem(key, v)
		if err != nil {
			return false, err
		}
		out = append(out, item)
		return q.Limit > 0 && len(out) >= q.Limit, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// scan walks the entries of partition q.PK within q's bounds, in q's order,
// calling emit with the sort key and the rest of the entry after it (index
// entries), until emit says stop.
func scan(ctx context.Context, tree *btree.BTreeG[string], q store.Query, emit func(sk, rest string) (bool, error)) error {
	part := q.PK + "\x00"
	var err error
	n := 0
	// visit reports whether to go on; it stops at the first entry past q.
	visit := func(k string) bool {
		if !strings.HasPrefix(k, part) {
			return false
		}
		if n++; n%256 == 0 {
			if err = ctx.Err(); err != nil {
				return false
			}
		}
		sk, rest, _ := strings.Cut(k[len(part):], "\x00")
		if q.Prefix != "" && !strings.HasPrefix(sk, q.Prefix) {
			return false
		}
		if (!q.Desc && q.To != "" && sk > q.To) || (q.Desc && q.From != "" && sk < q.From) {
			return false
		}
		var stop bool
		stop, err = emit(sk, rest)
		return err == nil && !stop
	}
	if !q.Desc {
		tree.AscendGreaterOrEqual(part+max(q.From, q.Prefix), visit)
		return err
	}
	// Start just below the first key past every sort key that can match.
	upper := q.PK + "\x01" // the first key after the partition
	if q.To != "" {
		// Entries with sort key To are To 0x00 ... (index) or To (primary);
		// anything from To 0x01 on sorts after them.
		upper = part + q.To + "\x01"
	}
	if q.Prefix != "" {
		if s, ok := successor(q.Prefix); ok && part+s < upper {
			upper = part + s
		}
	}
	tree.DescendLessOrEqual(upper, func(k string) bool {
		return k == upper || visit(k)
	})
	return err
}

// successor returns the smallest string greater than every string that
// begins with p, or false when there is none (p is all 0xff).
func successor(p string) (string, bool) {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}

// itemKey is the key of k in items and keys.
func itemKey(k store.Key) string {
	return k.PK + "\x00" + k.SK
}

// indexKey is the entry of index key ik for the item with key k.
func indexKey(ik, k store.Key) string {
	return ik.PK + "\x00" + ik.SK + "\x00" + k.PK + "\x00" + k.SK
}

// splitItemKey is the inverse of itemKey.
func splitItemKey(k string) (store.Key, bool) {
	pk, sk, ok := strings.Cut(k, "\x00")
	return store.Key{PK: pk, SK: sk}, ok && pk != "" && sk != ""
}

func indexKeys(item store.Item) [3]store.Key {
	return [3]store.Key{item.GSI1, item.GSI2, item.GSI3}
}

func indexName(ix store.Index) string {
	if ix == store.Primary {
		return "table"
	}
	return string(ix)
}

// checkItem rejects items DynamoDB would reject, and keys the layout
// cannot hold (0x00 is the separator).
func checkItem(item store.Item) error {
	if err := checkKey("key", item.Key); err != nil {
		return err
	}
	for i, ik := range indexKeys(item) {
		if ik.IsZero() {
			continue
		}
		if err := checkKey(indexNames[i]+" key", ik); err != nil {
			return err
		}
	}
	if n := itemSize(item); n > maxItemLen {
		return fmt.Errorf("item is %d bytes, more than DynamoDB's %d", n, maxItemLen)
	}
	return nil
}

func checkKey(what string, k store.Key) error {
	switch {
	case k.PK == "" || k.SK == "":
		return fmt.Errorf("invalid %s %q/%q: partition and sort key must both be set", what, k.PK, k.SK)
	case strings.IndexByte(k.PK, 0) >= 0 || strings.IndexByte(k.SK, 0) >= 0:
		return fmt.Errorf("invalid %s %q/%q: contains a 0x00 byte", what, k.PK, k.SK)
	case !utf8.ValidString(k.PK) || !utf8.ValidString(k.SK):
		return fmt.Errorf("invalid %s %q/%q: not valid UTF-8", what, k.PK, k.SK)
	case len(k.PK) > maxPKLen || len(k.SK) > maxSKLen:
		return fmt.Errorf("invalid %s: partition key %d bytes (max %d), sort key %d bytes (max %d)", what, len(k.PK), maxPKLen, len(k.SK), maxSKLen)
	}
	return nil
}

// checkQuery validates q and returns the index slot (0..2), or -1 for the table.
func checkQuery(q store.Query) (int, error) {
	slot := -1
	switch q.Index {
	case store.Primary:
	case store.Due:
		slot = 0
	case store.Customer:
		slot = 1
	case store.Listing:
		slot = 2
	default:
		return 0, fmt.Errorf("unknown index %q", string(q.Index))
	}
	switch {
	case q.PK == "":
		return 0, errors.New("invalid query: partition key is empty")
	case q.Limit < 0:
		return 0, fmt.Errorf("invalid query: limit %d", q.Limit)
	}
	for _, s := range []string{q.PK, q.From, q.To, q.Prefix} {
		if strings.IndexByte(s, 0) >= 0 {
			return 0, fmt.Errorf("invalid query: %q contains a 0x00 byte", s)
		}
	}
	return slot, nil
}
