package localflow

import (
	"context"
	"errors"
	"fmt"

	"github.com/cxloop/cxloop/shared/core/store"
	"github.com/cxloop/cxloop/shared/local/asl"
)

// TableStore keeps the interpreter's executions in the same store table as
// everything else, so a loop's state and the records it changed share one
// file, one backup and the table's group commit.
type TableStore struct{ t store.Table }

var _ asl.ExecutionStore = (*TableStore)(nil)

// NewTableStore returns an execution store over t.
func NewTableStore(t store.Table) *TableStore { return &TableStore{t: t} }

const execPartition = "EXECUTIONS"

func execKey(key string) store.Key { return store.Key{PK: "EXECUTION#" + key, SK: "#"} }

// Put replaces the execution's document atomically. Definitions (keys
// with asl.DefinitionKeyPrefix) are content-addressed and never change, so
// their first write stands.
func (s *TableStore) Put(ctx context.Context, key string, doc []byte) error {
	if asl.IsDefinitionKey(key) {
		it := store.Item{Key: execKey(key), GSI3: store.Key{PK: execPartition, SK: key}, Data: doc}
		if _, err := s.t.Put(ctx, it, store.IfAbsent()); err != nil && !errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("save definition %s: %w", key, err)
		}
		return nil
	}
	for range 10 {
		cond := store.IfAbsent()
		cur, err := s.t.Get(ctx, execKey(key))
		switch {
		case err == nil:
			cond = store.IfVersion(cur.Version)
		case !errors.Is(err, store.ErrNotFound):
			return fmt.Errorf("save execution %s: %w", key, err)
		}
		it := store.Item{Key: execKey(key), GSI3: store.Key{PK: execPartition, SK: key}, Data: doc}
		_, err = s.t.Put(ctx, it, cond)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return fmt.Errorf("save execution %s: %w", key, err)
		}
		return nil
	}
	return fmt.Errorf("save execution %s: %w", key, store.ErrConflict)
}

// Get returns the execution's document, or an error wrapping asl.ErrNotFound.
func (s *TableStore) Get(ctx context.Context, key string) ([]byte, error) {
	it, err := s.t.Get(ctx, execKey(key))
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("execution %s: %w", key, asl.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load execution %s: %w", key, err)
	}
	return it.Data, nil
}

// Keys lists every stored execution and definition.
func (s *TableStore) Keys(ctx context.Context) ([]string, error) {
	items, err := s.t.Query(ctx, store.Query{Index: store.Listing, PK: execPartition})
	if err != nil {
		return nil, fmt.Errorf("list executions: %w", err)
	}
	keys := make([]string, 0, len(items))
	for _, it := range items {
		keys = append(keys, it.GSI3.SK)
	}
	return keys, nil
}
