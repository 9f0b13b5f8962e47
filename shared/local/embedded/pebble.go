package embedded

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/cxloop/cxloop/shared/core/store"
)

// The files the table keeps in its data directory, beside whatever else
// the directory holds (cxloop dev keeps its keys and clock there too).
const (
	storeName = "cxloop.pebble" // the Pebble store, a directory
	lockName  = "cxloop.lock"   // locked while a Table has the directory open
	// lockTimeout is how long Open waits for a lock held by another process.
	lockTimeout = time.Second
)

// errLocked is what lockFile returns when another process holds the lock.
var errLocked = errors.New("locked")

// Open opens the table kept in the data directory dir, creating both when
// missing. A directory holding the store's earlier format is converted
// first (convert.go). It fails after about a second when another process
// (or another Table) has the directory open.
func Open(dir string) (*Table, error) {
	t, err := open(dir, vfs.Default)
	if err != nil {
		return nil, fmt.Errorf("embedded: open %s: %w", dir, err)
	}
	return t, nil
}

// open is Open on the file system fs, which tests wrap to watch or fail
// what Pebble does; the lock and the conversion use the real one.
func open(dir string, fs vfs.FS) (*Table, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	lock, err := lockDir(filepath.Join(dir, lockName))
	if err != nil {
		return nil, err
	}
	t := &Table{dir: dir, lock: lock, items: map[string][]byte{}, keys: newTree()}
	for i := range t.index {
		t.index[i] = newTree()
	}
	fail := func(err error) (*Table, error) {
		_ = lock.Close()
		return nil, err
	}
	if t.converted, err = convertOld(dir); err != nil {
		return fail(err)
	}
	// Pebble creates its directory and syncs the new entry in dir, so a
	// power cut cannot take a new store, and the writes acknowledged into
	// it, away.
	if t.db, err = openPebble(filepath.Join(dir, storeName), fs); err != nil {
		return fail(err)
	}
	if err := t.load(); err != nil {
		_ = t.db.Close()
		return fail(err)
	}
	return t, nil
}

// openPebble opens (or creates) the Pebble store at path.
func openPebble(path string, fs vfs.FS) (*pebble.DB, error) {
	db, err := pebble.Open(path, &pebble.Options{
		FS:                 fs,
		FormatMajorVersion: pebble.FormatNewest,
		Logger:             pebbleLogger{path: path},
	})
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return db, nil
}

// load reads every item into memory. A key or value this package would not
// have written is corruption, and Open refuses the store.
func (t *Table) load() error {
	// Item keys begin with a non-empty PK, so never with 0x00: the store's
	// own records (convert.go) sort below them.
	it, err := t.db.NewIter(&pebble.IterOptions{LowerBound: []byte{1}})
	if err != nil {
		return err
	}
	for it.First(); it.Valid(); it.Next() {
		k := string(it.Key())
		v, err := it.ValueAndErr()
		if err != nil {
			_ = it.Close()
			return fmt.Errorf("read %q: %w", k, err)
		}
		if _, ok := splitItemKey(k); !ok {
			_ = it.Close()
			return fmt.Errorf("store corrupt: bad item key %q", k)
		}
		if _, _, err := decodeHead(v); err != nil {
			_ = it.Close()
			return fmt.Errorf("store corrupt: item %q: %w", k, err)
		}
		t.apply(k, slices.Clone(v)) // v is Pebble's until the next step
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("read the store: %w", err)
	}
	return nil
}

// apply sets the item at k (nil: deletes it) with its index entries in the
// read model. The caller holds mu, or is Open before anyone else can see
// the table.
func (t *Table) apply(k string, v []byte) {
	key, _ := splitItemKey(k)
	var was, now [3]store.Key
	if old, ok := t.items[k]; ok {
		h, _, _ := decodeHead(old) // stored values were decoded when written or loaded
		was = h.index
	}
	if v != nil {
		h, _, _ := decodeHead(v)
		now = h.index
		t.items[k] = v
		t.keys.ReplaceOrInsert(k)
	} else {
		delete(t.items, k)
		t.keys.Delete(k)
	}
	for i := range t.index {
		if was[i] == now[i] {
			continue
		}
		if !was[i].IsZero() {
			t.index[i].Delete(indexKey(was[i], key))
		}
		if !now[i].IsZero() {
			t.index[i].ReplaceOrInsert(indexKey(now[i], key))
		}
	}
}

// lockDir creates and locks the lock file at path, waiting up to
// lockTimeout for another process to let go. The lock goes with the
// returned file, or with the process.
func lockDir(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := waitLock(f); err != nil {
		_ = f.Close()
		if errors.Is(err, errLocked) {
			return nil, fmt.Errorf("the data directory is locked by another process (is another cxloop dev running with the same --data?): %w", err)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return f, nil
}

// waitLock takes the exclusive lock of f, waiting up to lockTimeout while
// another holds it.
func waitLock(f *os.File) error {
	deadline := time.Now().Add(lockTimeout)
	for {
		err := lockFile(f)
		if !errors.Is(err, errLocked) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// syncDir makes the entries of dir durable (a file created or renamed in
// it). A file system that cannot sync a directory (some network and FUSE
// ones say EINVAL or ENOTSUP) offers nothing better, so that is no error.
func syncDir(fs vfs.FS, dir string) error {
	d, err := fs.OpenDir(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, errors.ErrUnsupported) {
		return nil
	}
	return err
}

// pebbleLogger sends what Pebble reports to the default slog logger. Its
// informational lines are dropped (it writes them on every open and flush);
// a fatal one ends the process, as Pebble requires: it calls Fatalf only
// when it cannot go on, such as after a failed write or sync of its log.
type pebbleLogger struct{ path string }

func (pebbleLogger) Infof(string, ...any) {}

func (l pebbleLogger) Errorf(format string, args ...any) {
	slog.Error("embedded store: "+fmt.Sprintf(format, args...), "store", l.path)
}

func (l pebbleLogger) Fatalf(format string, args ...any) {
	slog.Error("embedded store failed; stopping (nothing acknowledged is lost: restart to recover): "+fmt.Sprintf(format, args...), "store", l.path)
	os.Exit(1)
}
