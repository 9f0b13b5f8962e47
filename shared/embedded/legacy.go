package embedded

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// importChunk is how many items ImportBolt commits at a time.
const importChunk = 1000

// ImportBolt copies every item of the bbolt file at path, the store's
// layout before the journal (items bucket: PK 0x00 SK -> the same item
// encoding as now), into t with its version, skipping keys t already
// holds, and then renames the file to path + ".imported". An import cut
// short runs again whole on the next call. It returns how many items it
// copied.
func (t *Table) ImportBolt(ctx context.Context, path string) (int, error) {
	n, err := t.importBolt(ctx, path)
	if err != nil {
		return n, fmt.Errorf("embedded: import %s: %w", path, err)
	}
	return n, nil
}

func (t *Table) importBolt(ctx context.Context, path string) (int, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: lockTimeout})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return 0, fmt.Errorf("the file is locked by another process (is an older cxloop dev running with the same --data?): %w", err)
	}
	if err != nil {
		return 0, err
	}
	copied := 0
	var keys []string
	var values [][]byte
	flush := func() error {
		ks, vs := keys, values
		keys, values = nil, nil
		return t.write(ctx, func(b *batch) error {
			for i, k := range ks {
				if b.current(k) == nil {
					b.set(k, vs[i])
					copied++
				}
			}
			return nil
		})
	}
	err = db.View(func(tx *bolt.Tx) error {
		items := tx.Bucket([]byte("items"))
		if items == nil {
			return nil
		}
		return items.ForEach(func(k, v []byte) error {
			if _, ok := splitItemKey(string(k)); !ok {
				return fmt.Errorf("bad item key %q", k)
			}
			if _, _, err := decodeHead(v); err != nil {
				return fmt.Errorf("item %q: %w", k, err)
			}
			keys = append(keys, string(k))
			values = append(values, append([]byte(nil), v...))
			if len(keys) == importChunk {
				return flush()
			}
			return nil
		})
	})
	if err == nil && len(keys) > 0 {
		err = flush()
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return copied, err
	}
	if err := os.Rename(path, path+".imported"); err != nil {
		return copied, err
	}
	// Unless the rename is durable, a power cut could bring the old file
	// back and the next start would import items deleted since.
	return copied, syncDir(filepath.Dir(path))
}
