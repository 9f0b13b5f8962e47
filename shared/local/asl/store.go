package asl

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// ExecutionStore persists executions. The Engine writes an execution's
// whole state, as one JSON document keyed by its ARN, before every side
// effect and whenever it blocks; a new Engine over the same store resumes
// from it. The document names the execution's definition by hash; each
// distinct definition is written once, before the first document naming
// it, under a key starting with DefinitionKeyPrefix. The Engine never
// modifies a document it passed to Put, except with MemoryStore and
// DirStore, which are done with it when Put returns. Implementations must
// make Put atomic: after a crash Get returns either the previous or the
// new document, never a torn one.
type ExecutionStore interface {
	Put(ctx context.Context, key string, doc []byte) error
	// Get returns the document or an error wrapping ErrNotFound.
	Get(ctx context.Context, key string) ([]byte, error)
	// Keys lists every stored key, definitions' included.
	Keys(ctx context.Context) ([]string, error)
}

// docCopier marks the stores whose Put is done with doc when it returns
// (MemoryStore copies it, DirStore writes it to a file), so the Engine
// encodes every save into one reusable buffer instead of a new one. A type
// embedding one of them inherits the mark, so its Put must not keep doc
// either.
type docCopier interface{ copiesDoc() }

// MemoryStore keeps executions in memory; for tests and throwaway runs.
type MemoryStore struct {
	mu   sync.Mutex
	docs map[string][]byte
	// spare holds the buffers of overwritten documents, which nothing else
	// refers to (Get hands out copies), for later Puts to reuse: saving an
	// execution again and again then allocates about one buffer, not one
	// per save.
	spare [][]byte
}

// maxSpare bounds MemoryStore.spare; a few buffers serve an execution
// stepping from save to save.
const maxSpare = 16

var (
	_ ExecutionStore = (*MemoryStore)(nil)
	_ docCopier      = (*MemoryStore)(nil)
)

// NewMemoryStore returns an empty in-memory store.
func NewMemoryStore() *MemoryStore { return &MemoryStore{docs: map[string][]byte{}} }

func (*MemoryStore) copiesDoc() {}

// Put stores a copy of doc.
func (s *MemoryStore) Put(_ context.Context, key string, doc []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, overwrite := s.docs[key]
	s.docs[key] = append(s.takeSpare(len(doc)), doc...)
	if overwrite && len(s.spare) < maxSpare {
		s.spare = append(s.spare, old[:0])
	}
	return nil
}

// takeSpare returns the smallest spare buffer that holds n bytes without
// wasting more than as much again, emptied, or else a new one.
func (s *MemoryStore) takeSpare(n int) []byte {
	best := -1
	for i, b := range s.spare {
		if c := cap(b); c >= n && c <= 2*n && (best < 0 || c < cap(s.spare[best])) {
			best = i
		}
	}
	if best < 0 {
		return make([]byte, 0, n)
	}
	b := s.spare[best]
	last := len(s.spare) - 1
	s.spare[best], s.spare[last] = s.spare[last], nil
	s.spare = s.spare[:last]
	return b
}

// Get returns a copy of the stored document.
func (s *MemoryStore) Get(_ context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.docs[key]
	if !ok {
		return nil, &notFoundError{key}
	}
	return append([]byte(nil), d...), nil
}

// Keys lists the stored keys in order.
func (s *MemoryStore) Keys(context.Context) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.docs))
	for k := range s.docs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys, nil
}

// notFoundError is MemoryStore's "execution KEY: not found", without the
// cost of fmt.Errorf: every StartExecution looks its name up first.
type notFoundError struct{ key string }

func (e *notFoundError) Error() string { return "execution " + e.key + ": " + ErrNotFound.Error() }
func (e *notFoundError) Unwrap() error { return ErrNotFound }

// DirStore keeps one JSON file per execution in a directory. Writes go to a
// temporary file that is fsynced and renamed over the old one, and the
// directory is fsynced, so a kill -9 at any point leaves either the old or
// the new document.
type DirStore struct {
	dir string
}

var (
	_ ExecutionStore = (*DirStore)(nil)
	_ docCopier      = (*DirStore)(nil)
)

func (*DirStore) copiesDoc() {}

// NewDirStore returns a store in dir, creating it if needed.
func NewDirStore(dir string) (*DirStore, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create execution store %s: %w", dir, err)
	}
	return &DirStore{dir: dir}, nil
}

const dirStoreExt = ".json"

// fileName escapes a key (an ARN full of colons) into a portable file name.
func fileName(key string) string {
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String() + dirStoreExt
}

func keyFromFileName(name string) (string, bool) {
	if !strings.HasSuffix(name, dirStoreExt) {
		return "", false
	}
	name = strings.TrimSuffix(name, dirStoreExt)
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		if name[i] == '%' && i+2 < len(name) {
			var c byte
			if _, err := fmt.Sscanf(name[i+1:i+3], "%02X", &c); err != nil {
				return "", false
			}
			b.WriteByte(c)
			i += 2
			continue
		}
		b.WriteByte(name[i])
	}
	return b.String(), true
}

// Put atomically replaces the document for key.
func (s *DirStore) Put(_ context.Context, key string, doc []byte) error {
	final := filepath.Join(s.dir, fileName(key))
	tmp, err := os.CreateTemp(s.dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("store execution %s: %w", key, err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(doc); err != nil {
		tmp.Close()
		return fmt.Errorf("store execution %s: write: %w", key, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("store execution %s: fsync: %w", key, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("store execution %s: close: %w", key, err)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return fmt.Errorf("store execution %s: rename: %w", key, err)
	}
	if d, err := os.Open(s.dir); err == nil {
		// Persist the rename itself; best effort where directories can't sync.
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// Get reads the document for key.
func (s *DirStore) Get(_ context.Context, key string) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(s.dir, fileName(key)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("execution %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read execution %s: %w", key, err)
	}
	return b, nil
}

// Keys lists the keys of every stored execution.
func (s *DirStore) Keys(context.Context) ([]string, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("list executions in %s: %w", s.dir, err)
	}
	var keys []string
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if k, ok := keyFromFileName(e.Name()); ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys, nil
}

// Keys of stored definitions. An execution's document names its definition
// by hash and each distinct definition is stored once, under
// DefinitionKeyPrefix followed by the hex SHA-256 of its compact JSON.
// Execution keys are ARNs, so the prefix tells the two apart in Keys.
const DefinitionKeyPrefix = "definition/"

func definitionKey(hash string) string { return DefinitionKeyPrefix + hash }

// IsDefinitionKey reports whether a key from ExecutionStore.Keys names a
// stored definition rather than an execution.
func IsDefinitionKey(key string) bool { return strings.HasPrefix(key, DefinitionKeyPrefix) }

func definitionHash(raw []byte) string {
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}
