package embedded

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// The formats the store had before Pebble, as files in the data directory.
const (
	// journalName is the store from before Pebble: one append-only journal
	// file, which Open converts.
	journalName = "cxloop.journal"
	// boltName is the store from before the journal: a bbolt file, which
	// this cxloop no longer reads.
	boltName = "cxloop.db"
	// convertingName is the Pebble store a conversion is writing; it is
	// renamed to storeName once complete.
	convertingName = storeName + ".converting"
	// convertBatch is about how many bytes a conversion commits at a time.
	convertBatch = 1 << 20
)

// convertOld brings a data directory in an earlier format to the current
// one, or refuses it saying what to do, and returns what it did ("" when
// there was nothing to do). The caller holds the directory's lock.
//
// A conversion writes a new store beside the journal, renames the journal
// aside and only then renames the new store into place, so whenever it
// stops, the next Open either starts it again (the journal is still
// there) or finishes it (the journal is aside, the new store complete).
func convertOld(dir string) (string, error) {
	journal, store, converting := filepath.Join(dir, journalName), filepath.Join(dir, storeName), filepath.Join(dir, convertingName)
	hasBolt, err := exists(filepath.Join(dir, boltName))
	if err != nil {
		return "", err
	}
	if hasBolt {
		return "", fmt.Errorf("%s holds %s, the store's format from before its journal (a bbolt file), which this cxloop no longer reads: "+
			"start cxloop dev on this directory once with a cxloop from before the Pebble store (it carries the file over to %s), then with this one (it converts that); "+
			"or move %s away to start empty", dir, boltName, journalName, boltName)
	}
	hasJournal, err := exists(journal)
	if err != nil {
		return "", err
	}
	hasStore, err := exists(store)
	if err != nil {
		return "", err
	}
	switch {
	case hasJournal && hasStore:
		return "", fmt.Errorf("%s holds both the store (%s) and a journal (%s), which an older cxloop writes and which was not converted into the store: "+
			"move %s away to keep the store, or move %s away to convert the journal instead", dir, storeName, journalName, journalName, storeName)
	case hasJournal:
		return convertJournal(dir)
	case hasStore:
		return "", nil
	}
	hasConverting, err := exists(converting)
	if err != nil || !hasConverting {
		return "", err
	}
	// Stopped after renaming the journal aside: the new store is complete.
	if err := os.Rename(converting, store); err != nil {
		return "", fmt.Errorf("finish converting the journal: %w", err)
	}
	if err := syncDir(vfs.Default, dir); err != nil {
		return "", fmt.Errorf("finish converting the journal: sync directory: %w", err)
	}
	return fmt.Sprintf("finished a conversion of %s that had stopped before its last step", journalName), nil
}

// convertJournal writes the items of the journal in dir to a new store and
// puts the store in the journal's place.
func convertJournal(dir string) (string, error) {
	path := filepath.Join(dir, journalName)
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	// A cxloop from before Pebble locks its journal while it runs.
	if err := waitLock(f); errors.Is(err, errLocked) {
		return "", fmt.Errorf("%s is locked by another process (is an older cxloop dev running with the same --data?): %w", path, err)
	} else if err != nil {
		return "", fmt.Errorf("lock %s: %w", path, err)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	items, intact, err := readJournal(data)
	if err != nil {
		return "", fmt.Errorf("%s cannot be converted, %w; move it away to start empty", path, err)
	}

	converting := filepath.Join(dir, convertingName)
	if err := os.RemoveAll(converting); err != nil { // from a conversion that stopped
		return "", err
	}
	if err := writeStore(converting, items); err != nil {
		return "", fmt.Errorf("convert %s: %w", path, err)
	}
	aside, err := freeName(path + ".converted")
	if err != nil {
		return "", err
	}
	if err := os.Rename(path, aside); err != nil {
		return "", fmt.Errorf("convert %s: %w", path, err)
	}
	// The journal must be aside for good before the store is in its place,
	// or a power cut could leave both, which the next Open refuses.
	if err := syncDir(vfs.Default, dir); err != nil {
		return "", fmt.Errorf("convert %s: sync directory: %w", path, err)
	}
	if err := os.Rename(converting, filepath.Join(dir, storeName)); err != nil {
		return "", fmt.Errorf("convert %s: %w", path, err)
	}
	if err := syncDir(vfs.Default, dir); err != nil {
		return "", fmt.Errorf("convert %s: sync directory: %w", path, err)
	}
	done := fmt.Sprintf("converted %d items from %s into %s; the journal is kept as %s", len(items), journalName, storeName, filepath.Base(aside))
	if torn := len(data) - intact; torn > 0 {
		// The journal's own Open would have cut these bytes off too.
		done += fmt.Sprintf(" (its last %d bytes, a half-written commit that was never acknowledged, were left out)", torn)
	}
	return done, nil
}

// writeStore writes items (item key → encoded item) to a new Pebble store
// at path, durably.
func writeStore(path string, items map[string][]byte) error {
	db, err := openPebble(path, vfs.Default)
	if err != nil {
		return err
	}
	b := db.NewBatch()
	for _, k := range slices.Sorted(maps.Keys(items)) {
		if err = b.Set([]byte(k), items[k], nil); err != nil {
			break
		}
		if b.Len() >= convertBatch {
			if err = b.Commit(pebble.NoSync); err != nil {
				break
			}
			b.Reset()
		}
	}
	// One sync for all: the log is written in order, and whatever was
	// flushed from it to tables is synced already.
	if err == nil {
		err = b.Commit(pebble.Sync)
	}
	err = errors.Join(err, b.Close(), db.Close())
	if err != nil {
		return err
	}
	return syncDir(vfs.Default, filepath.Dir(path))
}

// The journal is a sequence of records, one per item a commit changed:
//
//	uint32 LE  length of the payload
//	uint32 LE  CRC-32C of the payload
//	payload    op ('P' put, 'D' delete), uvarint key length, item key,
//	           and for a put the encoded item (codec.go)
//
// A commit appended its records with one write and one fdatasync, so a
// crash could leave only the last commit half written, and that commit was
// never acknowledged: a torn or garbled tail is left out. A record that is
// intact but does not parse is corruption, not a crash.
const (
	opPut    = 'P'
	opDelete = 'D'
	// maxRecord bounds a record's claimed length so a garbled header is
	// not taken for a huge record.
	maxRecord = 1 + binary.MaxVarintLen64 + maxPKLen + 1 + maxSKLen + 2*maxItemLen
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// readJournal replays the journal data and returns the items it leaves
// (item key → encoded item) and how many bytes of it are intact records.
func readJournal(data []byte) (map[string][]byte, int, error) {
	items := map[string][]byte{}
	off := 0
	for len(data)-off >= 8 {
		n := int(binary.LittleEndian.Uint32(data[off:]))
		if n == 0 || n > maxRecord || n > len(data)-off-8 {
			break
		}
		payload := data[off+8 : off+8+n]
		if crc32.Checksum(payload, crcTable) != binary.LittleEndian.Uint32(data[off+4:]) {
			break
		}
		k, v, err := parseRecord(payload)
		if err != nil {
			return nil, 0, fmt.Errorf("journal corrupt at byte %d: %w", off, err)
		}
		if v == nil {
			delete(items, k)
		} else {
			items[k] = v
		}
		off += 8 + n
	}
	return items, off, nil
}

func parseRecord(p []byte) (string, []byte, error) {
	l, n := binary.Uvarint(p[1:])
	if n <= 0 || l > uint64(len(p)-1-n) {
		return "", nil, errors.New("bad key length")
	}
	k := string(p[1+n : 1+n+int(l)])
	if _, ok := splitItemKey(k); !ok {
		return "", nil, fmt.Errorf("bad item key %q", k)
	}
	v := p[1+n+int(l):]
	switch p[0] {
	case opDelete:
		if len(v) != 0 {
			return "", nil, fmt.Errorf("delete of %q carries a value", k)
		}
		return k, nil, nil
	case opPut:
		if _, _, err := decodeHead(v); err != nil {
			return "", nil, fmt.Errorf("put of %q: %w", k, err)
		}
		return k, v, nil
	}
	return "", nil, fmt.Errorf("unknown op %q", p[0])
}

// freeName returns path, or path with the first free ".N" after it.
func freeName(path string) (string, error) {
	name := path
	for i := 1; ; i++ {
		taken, err := exists(name)
		if err != nil || !taken {
			return name, err
		}
		name = fmt.Sprintf("%s.%d", path, i)
	}
}

func exists(path string) (bool, error) {
	_, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}
