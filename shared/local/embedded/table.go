// Package embedded is the local store.Table used by `cxloop dev` and tests
// in place of DynamoDB: every item is kept durably in a Pebble store
// (github.com/cockroachdb/pebble/v2, the engine under CockroachDB) and
// served from memory.
//
// Pebble does what a durable store needs and this package no longer does
// itself: a write-ahead log whose syncs are group-committed (writes from
// concurrent goroutines that wait for a sync share it), recovery after a
// crash (the log is replayed, and what it held is flushed and synced before
// Open returns), and compaction. On top of it this package keeps:
//
//	items            PK 0x00 SK                          -> encoded item (codec.go)
//	keys             PK 0x00 SK                          ordered, for table queries
//	gsi1, gsi2, gsi3 indexPK 0x00 indexSK 0x00 PK 0x00 SK ordered
//
// in memory, loaded from Pebble on open, where Pebble holds only the items
// (key PK 0x00 SK, value the encoded item). Keys must not contain 0x00, so
// byte-wise order of the composite keys is the order of (indexPK, indexSK,
// PK, SK): ranges over a sort key and items sharing an index key (ties)
// both come out right. The indexes are built from the items on open, so a
// crash cannot leave them disagreeing with the items.
//
// Durability and visibility: a write returns only after Pebble has synced
// the log record holding it, and readers see it only from then on (Pebble
// itself shows a write to its readers before the sync), so nothing a reader
// acted on can vanish in a crash. Conditions (store.Cond) are checked and
// written under a lock of the item's key, held until the write is durable
// and shown: writes to one key take turns, writes to different keys share
// Pebble's syncs.
//
// A failed write or sync of Pebble's log ends the process (Pebble's rule:
// after a failed sync the file's pages cannot be trusted, so only recovery
// can tell what is durable); nothing acknowledged is lost, and the next
// Open recovers.
//
// The store used to be an append-only journal file; Open converts a data
// directory that holds one (convert.go).
package embedded

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/cockroachdb/pebble/v2"
	"github.com/google/btree"

	"github.com/cxloop/cxloop/shared/core/store"
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

// Table is a store.Table kept in a Pebble store and served from memory. It
// is safe for concurrent use; only one Table (in any process) may have a
// data directory open at a time.
type Table struct {
	dir       string
	db        *pebble.DB
	lock      *os.File // the data directory's lock (lock_unix.go)
	converted string   // what Open converted, if anything

	locks keyLocks // serialises the check-and-write of each item key

	// stateMu guards closed; every write holds it shared until it is
	// durable and shown, so Close (holding it exclusively) waits for them.
	stateMu sync.RWMutex
	closed  bool

	// mu guards the read model: the durable items and their index entries.
	mu    sync.RWMutex
	gone  bool // closed: reads fail too
	items map[string][]byte
	keys  *btree.BTreeG[string]
	index [3]*btree.BTreeG[string]
}

func newTree() *btree.BTreeG[string] {
	return btree.NewG(32, func(a, b string) bool { return a < b })
}

// Converted describes the old journal Open converted into the store (and
// where it kept the old file), or is empty.
func (t *Table) Converted() string { return t.converted }

// Close waits for pending writes, then closes the store. Calls after the
// first return nil.
func (t *Table) Close() error {
	t.stateMu.Lock()
	if t.closed {
		t.stateMu.Unlock()
		return nil
	}
	t.closed = true
	t.stateMu.Unlock()
	t.mu.Lock()
	t.gone, t.items, t.keys, t.index = true, nil, nil, [3]*btree.BTreeG[string]{}
	t.mu.Unlock()
	err := t.db.Close()
	if lerr := t.lock.Close(); err == nil {
		err = lerr
	}
	if err != nil {
		return fmt.Errorf("embedded: close %s: %w", t.dir, err)
	}
	return nil
}

// Get reads one item. Reads see every acknowledged write (strongly consistent).
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

// Put writes the whole item when cond holds (checked and written under the
// key's lock) and returns it with its new Version.
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
	err := t.write(ctx, itemKey(item.Key), func(old []byte) ([]byte, bool, error) {
		var prev int64
		if old != nil {
			h, _, err := decodeHead(old)
			if err != nil {
				return nil, false, err
			}
			prev = h.version
			if cond.Absent() || prev != cond.Version() {
				return nil, false, store.ErrConflict
			}
		} else if !cond.Absent() {
			return nil, false, store.ErrConflict
		}
		item.Version = prev + 1
		return encodeItem(item), true, nil
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
	return t.write(ctx, itemKey(key), func(old []byte) ([]byte, bool, error) {
		return nil, old != nil, nil
	})
}

// write changes the item at k. Under k's lock, next is given the item as it
// stands (nil: absent) and returns the value to store (nil: delete it) and
// whether to write at all, or an error that fails the write. write returns
// once the change is durable and shown to readers. A write whose ctx is
// done before it gets the lock is not made; once it is sent to Pebble it is
// waited for, so the caller always learns whether it happened.
func (t *Table) write(ctx context.Context, k string, next func(old []byte) (v []byte, change bool, err error)) error {
	t.stateMu.RLock()
	defer t.stateMu.RUnlock()
	if t.closed {
		return errClosed
	}
	defer t.locks.lock(k)()
	if err := ctx.Err(); err != nil {
		return err
	}
	// Only writes holding k's lock change items[k], so it cannot change
	// between this read and the write below.
	t.mu.RLock()
	old := t.items[k]
	t.mu.RUnlock()
	v, change, err := next(old)
	if err != nil || !change {
		return err
	}
	if v == nil {
		err = t.db.Delete([]byte(k), pebble.Sync)
	} else {
		err = t.db.Set([]byte(k), v, pebble.Sync)
	}
	if err != nil {
		return fmt.Errorf("store write: %w", err)
	}
	t.mu.Lock()
	t.apply(k, v)
	t.mu.Unlock()
	return nil
}

// keyLocks hands out one mutex per item key while anyone holds or waits
// for it, so writes to one key take turns and writes to others do not wait.
type keyLocks struct {
	mu   sync.Mutex
	held map[string]*keyLock
}

type keyLock struct {
	sync.Mutex
	refs int // holders and waiters; guarded by keyLocks.mu
}

// lock takes k's lock and returns the function that lets it go.
func (l *keyLocks) lock(k string) (unlock func()) {
	l.mu.Lock()
	if l.held == nil {
		l.held = map[string]*keyLock{}
	}
	kl := l.held[k]
	if kl == nil {
		kl = &keyLock{}
		l.held[k] = kl
	}
	kl.refs++
	l.mu.Unlock()
	kl.Lock()
	return func() {
		kl.Unlock()
		l.mu.Lock()
		if kl.refs--; kl.refs == 0 {
			delete(l.held, k)
		}
		l.mu.Unlock()
	}
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
