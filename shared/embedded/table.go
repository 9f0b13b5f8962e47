// Package embedded is the local store.Table: one bbolt file, pure Go (no
// cgo), used by `cxloop dev` and tests in place of DynamoDB.
//
// Layout (one bbolt file):
//
//	items            PK 0x00 SK                        -> encoded item (codec.go)
//	gsi1, gsi2, gsi3 indexPK 0x00 indexSK 0x00 PK 0x00 SK -> empty
//	meta             "format"                          -> layout version
//
// Keys must not contain 0x00, so byte-wise order of the composite bucket keys
// is the order of (indexPK, indexSK, PK, SK): ranges over a sort key and
// items sharing an index key (ties) both come out right. An item and its
// index entries are always written in the same bbolt transaction.
//
// Durability: bbolt fsyncs the file on every commit (its default; NoSync is
// never set), and Put and Delete return only after the commit holding their
// write has been synced. To keep thousands of writes per second possible
// despite one fsync per commit, writes go through a group commit: one writer
// goroutine takes every write waiting at that moment and commits them
// together, so concurrent writers share an fsync without any added delay for
// a lone writer (see commit.go).
package embedded

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/cxloop/cxloop/shared/store"
)

var _ store.Table = (*Table)(nil)

var (
	bucketMeta  = []byte("meta")
	bucketItems = []byte("items")
	// bucketIndex[i] holds the entries of index i+1 (gsi1..gsi3).
	bucketIndex = [3][]byte{[]byte("gsi1"), []byte("gsi2"), []byte("gsi3")}

	metaFormat = []byte("format")
)

// format is the layout version written to the meta bucket; bump it when the
// bucket layout or the item encoding changes incompatibly.
const format = "1"

// Limits mirrored from DynamoDB so a record AWS would reject fails locally
// too. The item limit is approximate: DynamoDB also counts attribute names.
const (
	maxPKLen   = 2048
	maxSKLen   = 1024
	maxItemLen = 400 * 1024
)

// lockTimeout is how long Open waits for the file lock held by another process.
const lockTimeout = time.Second

// errClosed is returned by writes after Close.
var errClosed = errors.New("table is closed")

// Table is a store.Table kept in one bbolt file. It is safe for concurrent
// use; only one process may have the file open at a time.
type Table struct {
	db   *bolt.DB
	path string

	mu     sync.RWMutex // guards closed and sending on writes
	closed bool
	writes chan *write
	done   chan struct{} // closed when the writer goroutine has exited
}

// Open opens the table in the bbolt file at path, creating the file and its
// directory when missing. It fails after about a second when another process
// holds the file.
func Open(path string) (*Table, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("embedded: open %s: %w", path, err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("embedded: open %s: the file is locked by another process (is another cxloop dev running with the same --data?): %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("embedded: open %s: %w", path, err)
	}
	if err := db.Update(initBuckets); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("embedded: open %s: %w", path, err)
	}
	t := &Table{
		db:     db,
		path:   path,
		writes: make(chan *write, maxBatch),
		done:   make(chan struct{}),
	}
	go t.run()
	return t, nil
}

func initBuckets(tx *bolt.Tx) error {
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return err
	}
	switch got := meta.Get(metaFormat); {
	case got == nil:
		if err := meta.Put(metaFormat, []byte(format)); err != nil {
			return err
		}
	case string(got) != format:
		return fmt.Errorf("data file has layout %q, this build reads %q (delete the file or use another --data)", got, format)
	}
	for _, name := range append([][]byte{bucketItems}, bucketIndex[:]...) {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	return nil
}

// Close waits for pending writes, then closes the file. Calls after the
// first return nil.
func (t *Table) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	close(t.writes)
	t.mu.Unlock()
	<-t.done
	if err := t.db.Close(); err != nil {
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
	var item store.Item
	err := t.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketItems).Get(itemKey(nil, key))
		if v == nil {
			return store.ErrNotFound
		}
		var err error
		item, err = decodeItem(key, v)
		return err
	})
	return item, err
}

// Put writes the whole item when cond holds (checked and written in one
// transaction) and returns it with its new Version.
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
	var version int64
	err := t.write(ctx, func(tx *bolt.Tx) (error, error) {
		// Called again if the batch it was in had to be retried: it only
		// sets version, never accumulates.
		var reqErr, txErr error
		version, reqErr, txErr = putTx(tx, item, cond)
		return reqErr, txErr
	})
	if err != nil {
		return store.Item{}, err
	}
	item.Version = version
	return item, nil
}

// putTx checks cond and writes item with its index entries. A failed
// condition is reported as reqErr before anything is written, so the rest
// of the transaction may go on; txErr means the transaction is spoilt.
func putTx(tx *bolt.Tx, item store.Item, cond store.Cond) (version int64, reqErr, txErr error) {
	items := tx.Bucket(bucketItems)
	k := itemKey(nil, item.Key)
	var prev head
	old := items.Get(k)
	if old != nil {
		var err error
		if prev, _, err = decodeHead(old); err != nil {
			return 0, nil, err
		}
	}
	switch {
	case cond.Absent() && old != nil:
		return 0, store.ErrConflict, nil
	case !cond.Absent() && (old == nil || prev.version != cond.Version()):
		return 0, store.ErrConflict, nil
	}
	item.Version = prev.version + 1
	for i, next := range indexKeys(item) {
		if next == prev.index[i] {
			continue
		}
		b := tx.Bucket(bucketIndex[i])
		if !prev.index[i].IsZero() {
			if err := b.Delete(indexKey(nil, prev.index[i], item.Key)); err != nil {
				return 0, nil, err
			}
		}
		if !next.IsZero() {
			if err := b.Put(indexKey(nil, next, item.Key), nil); err != nil {
				return 0, nil, err
			}
		}
	}
	if err := items.Put(k, encodeItem(item)); err != nil {
		return 0, nil, err
	}
	return item.Version, nil, nil
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
	return t.write(ctx, func(tx *bolt.Tx) (error, error) {
		return nil, deleteTx(tx, key)
	})
}

func deleteTx(tx *bolt.Tx, key store.Key) error {
	items := tx.Bucket(bucketItems)
	k := itemKey(nil, key)
	old := items.Get(k)
	if old == nil {
		return nil
	}
	prev, _, err := decodeHead(old)
	if err != nil {
		return err
	}
	for i, ik := range prev.index {
		if ik.IsZero() {
			continue
		}
		if err := tx.Bucket(bucketIndex[i]).Delete(indexKey(nil, ik, key)); err != nil {
			return err
		}
	}
	return items.Delete(k)
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
	out := []store.Item{}
	if q.From != "" && q.To != "" && q.From > q.To {
		return out, nil
	}
	err = t.db.View(func(tx *bolt.Tx) error {
		items := tx.Bucket(bucketItems)
		b := items
		if slot >= 0 {
			b = tx.Bucket(bucketIndex[slot])
		}
		return scan(ctx, b.Cursor(), q, func(sk, rest, v []byte) (bool, error) {
			var key store.Key
			if slot < 0 { // primary: the bucket key is PK 0x00 SK
				key = store.Key{PK: q.PK, SK: string(sk)}
			} else { // index: rest is PK 0x00 SK of the item
				pk, sk, ok := bytes.Cut(rest, []byte{0})
				if !ok {
					return false, fmt.Errorf("corrupt %s entry %q", indexName(q.Index), rest)
				}
				key = store.Key{PK: string(pk), SK: string(sk)}
				if v = items.Get(itemKey(nil, key)); v == nil {
					return false, fmt.Errorf("corrupt %s entry: item %s/%s missing", indexName(q.Index), key.PK, key.SK)
				}
			}
			item, err := decodeItem(key, v)
			if err != nil {
				return false, err
			}
			out = append(out, item)
			return q.Limit > 0 && len(out) >= q.Limit, nil
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// scan walks the entries of partition q.PK within q's bounds, in q's order,
// calling emit with the sort key, the rest of the bucket key after it (index
// buckets) and the value, until emit says stop.
func scan(ctx context.Context, c *bolt.Cursor, q store.Query, emit func(sk, rest, v []byte) (bool, error)) error {
	part := append([]byte(q.PK), 0)

	var k, v []byte
	if !q.Desc {
		lower := max(q.From, q.Prefix)
		k, v = c.Seek(append(part[:len(part):len(part)], lower...))
	} else {
		// Position just past the last sort key that can match, then step back.
		var upper []byte // exclusive bound of the sort key, nil when none
		if q.To != "" {
			// Entries with sort key To are To 0x00 ... (index) or To (primary);
			// anything from To 0x01 on sorts after them.
			upper = append([]byte(q.To), 1)
		}
		if q.Prefix != "" {
			if s, ok := successor(q.Prefix); ok && (upper == nil || bytes.Compare(s, upper) < 0) {
				upper = s
			}
		}
		var seek []byte
		if upper != nil {
			seek = append(part[:len(part):len(part)], upper...)
		} else {
			seek = append([]byte(q.PK), 1) // first key after the partition
		}
		if k, _ = c.Seek(seek); k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
	}

	for n := 0; k != nil && bytes.HasPrefix(k, part); n++ {
		if n%256 == 255 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		sk, rest, _ := bytes.Cut(k[len(part):], []byte{0})
		if !q.Desc {
			if q.To != "" && string(sk) > q.To {
				return nil
			}
			if q.Prefix != "" && !bytes.HasPrefix(sk, []byte(q.Prefix)) {
				return nil
			}
		} else {
			if q.From != "" && string(sk) < q.From {
				return nil
			}
			if q.Prefix != "" && !bytes.HasPrefix(sk, []byte(q.Prefix)) {
				if string(sk) < q.Prefix {
					return nil
				}
				k, v = c.Prev() // beyond the prefix range: cannot happen, but never emit it
				continue
			}
		}
		stop, err := emit(sk, rest, v)
		if err != nil || stop {
			return err
		}
		if q.Desc {
			k, v = c.Prev()
		} else {
			k, v = c.Next()
		}
	}
	return nil
}

// successor returns the smallest byte string greater than every string
// that begins with p, or false when there is none (p is all 0xff).
func successor(p string) ([]byte, bool) {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return b[:i+1], true
		}
	}
	return nil, false
}

// itemKey appends the items bucket key of k to dst.
func itemKey(dst []byte, k store.Key) []byte {
	dst = append(dst, k.PK...)
	dst = append(dst, 0)
	return append(dst, k.SK...)
}

// indexKey appends the index bucket key of the entry ik for item k to dst.
func indexKey(dst []byte, ik, k store.Key) []byte {
	dst = append(dst, ik.PK...)
	dst = append(dst, 0)
	dst = append(dst, ik.SK...)
	dst = append(dst, 0)
	return itemKey(dst, k)
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
		if err := checkKey(string(bucketIndex[i])+" key", ik); err != nil {
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
