package embedded

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// The journal is a sequence of records, one per item a commit changed:
//
//	uint32 LE  length of the payload
//	uint32 LE  CRC-32C of the payload
//	payload    op ('P' put, 'D' delete), uvarint key length, item key,
//	           and for a put the encoded item (codec.go)
//
// A commit appends its records with one write and one fdatasync. A crash
// can leave only the last commit half written, and that commit was never
// acknowledged, so on open a torn or garbled tail is cut off (and kept
// beside the file, for the curious). A record that is intact but does not
// parse is corruption, not a crash, and Open refuses the file.
const (
	opPut    = 'P'
	opDelete = 'D'
	// maxRecord bounds a record's claimed length so a garbled header is
	// not taken for a huge record.
	maxRecord = 1 + binary.MaxVarintLen64 + maxPKLen + 1 + maxSKLen + 2*maxItemLen
	// compactMin is the journal size below which it is never rewritten.
	compactMin = 64 << 20
	// lockTimeout is how long Open waits for the file lock held by another process.
	lockTimeout = time.Second
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// errLocked is what lockFile returns when another process holds the lock.
var errLocked = errors.New("locked")

type journal struct {
	path string
	f    *os.File
	size int64 // bytes of intact records; the next append goes here
	// failed, once set, refuses every append: after a failed sync the
	// kernel may have dropped the unsynced pages, so what the file holds
	// is known only by reading it again (a restart).
	failed error
	// nextCompact is the size the journal must reach before the next
	// compaction is tried: compactFloor, or more after a failed one.
	nextCompact, compactFloor int64
	compactErr                error  // the last failed compaction, until one succeeds
	torn                      string // what opening cut off, if anything
	buf                       []byte
}

// openJournal opens and locks the journal at path and passes every intact
// record to replay, in order.
func openJournal(path string, replay func(k string, v []byte)) (*journal, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, err := openLocked(path)
	if err != nil {
		return nil, err
	}
	j := &journal{path: path, f: f, nextCompact: compactMin, compactFloor: compactMin}
	if err := j.replay(replay); err != nil {
		_ = f.Close()
		return nil, err
	}
	// What was replayed is about to be read, but a process killed between
	// its write and its fdatasync leaves records that only the page cache
	// holds, and a journal it created may lack a durable directory entry.
	// Make both durable first, so no reader acts on a write a power cut
	// could still take away.
	if err := syncData(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("sync: %w", err)
	}
	if err := syncDir(dir); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("sync directory: %w", err)
	}
	return j, nil
}

// openLocked opens path and takes its exclusive lock, waiting up to
// lockTimeout for another process to let go.
func openLocked(path string) (*os.File, error) {
	deadline := time.Now().Add(lockTimeout)
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, err
		}
		locked, err := lockJournal(f, path)
		if locked {
			return f, nil
		}
		_ = f.Close()
		if err == nil {
			continue // replaced meanwhile: try the new file
		}
		if !errors.Is(err, errLocked) {
			return nil, fmt.Errorf("lock: %w", err)
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("the file is locked by another process (is another cxloop dev running with the same --data?): %w", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// lockJournal takes the exclusive lock of f, opened at path, and reports
// whether f is still the journal: a compaction in another process may have
// replaced the file while this one waited for the old one's lock, which is
// free as soon as that process closes it.
func lockJournal(f *os.File, path string) (bool, error) {
	if err := lockFile(f); err != nil {
		return false, err
	}
	return sameFile(f, path)
}

func sameFile(f *os.File, path string) (bool, error) {
	a, err := f.Stat()
	if err != nil {
		return false, err
	}
	b, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return os.SameFile(a, b), nil
}

// replay reads every record, then cuts off a torn tail.
func (j *journal) replay(fn func(k string, v []byte)) error {
	r := bufio.NewReaderSize(j.f, 1<<20)
	var hdr [8]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err == io.EOF {
			return nil
		} else if err != nil {
			return j.cutTail(err)
		}
		n := binary.LittleEndian.Uint32(hdr[:4])
		if n == 0 || n > maxRecord {
			return j.cutTail(fmt.Errorf("record length %d", n))
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(r, payload); err != nil {
			return j.cutTail(err)
		}
		if crc32.Checksum(payload, crcTable) != binary.LittleEndian.Uint32(hdr[4:]) {
			return j.cutTail(errors.New("checksum mismatch"))
		}
		k, v, err := parseRecord(payload)
		if err != nil {
			return fmt.Errorf("journal corrupt at byte %d: %w", j.size, err)
		}
		fn(k, v)
		j.size += int64(len(hdr)) + int64(n)
	}
}

// cutTail keeps the bytes from j.size on in a file beside the journal and
// truncates the journal there (openJournal then syncs it).
func (j *journal) cutTail(why error) error {
	end, err := j.f.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	tail := make([]byte, end-j.size)
	if _, err := j.f.ReadAt(tail, j.size); err != nil {
		return fmt.Errorf("read torn tail: %w", err)
	}
	kept := fmt.Sprintf("%s.torn-%d", j.path, j.size)
	if err := os.WriteFile(kept, tail, 0o600); err != nil {
		return fmt.Errorf("keep torn tail (%v): %w", why, err)
	}
	j.torn = fmt.Sprintf("%d bytes after byte %d (%v), kept in %s", len(tail), j.size, why, kept)
	if err := j.f.Truncate(j.size); err != nil {
		return fmt.Errorf("cut torn tail (%v): %w", why, err)
	}
	return nil
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

// appendRecord appends the record setting k to v (nil: deleting it).
func appendRecord(b []byte, k string, v []byte) []byte {
	start := len(b)
	b = append(b, 0, 0, 0, 0, 0, 0, 0, 0)
	op := byte(opPut)
	if v == nil {
		op = opDelete
	}
	b = append(b, op)
	b = binary.AppendUvarint(b, uint64(len(k)))
	b = append(b, k...)
	b = append(b, v...)
	payload := b[start+8:]
	binary.LittleEndian.PutUint32(b[start:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(b[start+4:], crc32.Checksum(payload, crcTable))
	return b
}

// recordSize is the size of the record setting k to v.
func recordSize(k string, v []byte) int64 {
	return int64(8 + 1 + uvarintLen(uint64(len(k))) + len(k) + len(v))
}

func uvarintLen(x uint64) int {
	var b [binary.MaxVarintLen64]byte
	return binary.PutUvarint(b[:], x)
}

// append makes the batch durable: one write, one sync.
func (j *journal) append(b *batch) error {
	if j.failed != nil {
		return j.failed
	}
	buf := j.buf[:0]
	for _, k := range b.order {
		buf = appendRecord(buf, k, b.next[k])
	}
	// Keep the buffer for the next commit, unless it is huge: a capacity
	// cut with buf[:0:n] would still hold the whole array.
	j.buf = nil
	if cap(buf) <= 1<<20 {
		j.buf = buf[:0]
	}
	if _, err := j.f.WriteAt(buf, j.size); err != nil {
		// A half-written record would hide every later one from replay:
		// cut it off before anything else is appended.
		if terr := j.f.Truncate(j.size); terr != nil {
			j.failed = fmt.Errorf("journal unusable after a failed write (%v): %w", err, terr)
		}
		return fmt.Errorf("journal write: %w", err)
	}
	if err := syncData(j.f); err != nil {
		j.failed = fmt.Errorf("journal unusable after a failed sync; restart to recover: %w", err)
		return fmt.Errorf("journal sync: %w", err)
	}
	j.size += int64(len(buf))
	return nil
}

func (j *journal) close() error {
	err := j.f.Close()
	if j.compactErr != nil {
		err = errors.Join(err, fmt.Errorf("the journal could not be compacted: %w", j.compactErr))
	}
	return err
}

// compactIfWasteful rewrites the journal with only the live items once
// overwritten and deleted ones take most of it. A failed compaction leaves
// the journal intact, only longer: it is tried again once the journal has
// grown some more, and Close reports it if none succeeded since.
func (t *Table) compactIfWasteful() {
	j := t.journal
	if j.size < j.nextCompact || j.size < 4*t.live {
		return
	}
	if err := t.compact(); err != nil {
		j.compactErr = err
		j.nextCompact = j.size + j.compactFloor
		return
	}
	j.compactErr, j.nextCompact = nil, j.compactFloor
}

// compact writes every live item to a new file, syncs it and renames it
// over the journal. The new file is locked before the rename, so another
// process never finds the path unlocked. The caller is the writer
// goroutine (or Open), so the data does not change meanwhile.
func (t *Table) compact() error {
	j := t.journal
	tmp := j.path + ".compact"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	fail := func(err error) error {
		_ = f.Close()
		_ = os.Remove(tmp)
		return fmt.Errorf("compact %s: %w", j.path, err)
	}
	if err := lockFile(f); err != nil {
		return fail(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var size int64
	var werr error
	var rec []byte
	t.keys.Ascend(func(k string) bool {
		rec = appendRecord(rec[:0], k, t.items[k])
		_, werr = w.Write(rec)
		size += int64(len(rec))
		return werr == nil
	})
	if werr != nil {
		return fail(werr)
	}
	if err := w.Flush(); err != nil {
		return fail(err)
	}
	if err := syncData(f); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, j.path); err != nil {
		return fail(err)
	}
	_ = j.f.Close()
	j.f, j.size = f, size
	// Should the rename not survive a crash, the old file holds every live
	// item too, but not what is appended from now on: that is durable only
	// once the rename is. A failed directory sync cannot be retried (the
	// kernel may have dropped what it could not write), so it stops appends
	// as a failed fdatasync does.
	if err := syncDir(filepath.Dir(j.path)); err != nil {
		j.failed = fmt.Errorf("journal unusable after its compacted copy could not be made durable; restart to recover: %w", err)
	}
	return nil
}

// syncDir makes the entries of dir durable (a file created or renamed in
// it). A file system that cannot sync a directory (some network and FUSE
// ones say EINVAL or ENOTSUP) offers nothing better, so that is no error.
// A variable so tests can watch and fail syncs.
var syncDir = func(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, errors.ErrUnsupported) {
		return err
	}
	return nil
}
