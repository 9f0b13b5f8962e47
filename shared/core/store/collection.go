package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// ErrNoChange, returned by an update function, leaves the record as it is
// and makes the update return it without error.
var ErrNoChange = errors.New("store: no change")

// Optimistic-concurrency retries of one update: up to maxAttempts, each
// after a random pause of up to retryBase·2ⁿ (at most retryCap), so that
// writers who collided do not collide again in lockstep.
const (
	maxAttempts = 64
	retryBase   = time.Millisecond
	retryCap    = 50 * time.Millisecond
)

// Collection is a typed view of one kind of record in the table.
type Collection[T any] struct {
	table Table
	kind  string
	// item addresses a value: primary key, index entries and expiry.
	item func(*T) Item
	key  func(id string) Key
}

// Get returns the record with id, or ErrNotFound.
func (c Collection[T]) Get(ctx context.Context, id string) (T, error) {
	v, _, err := c.get(ctx, id)
	return v, err
}

func (c Collection[T]) get(ctx context.Context, id string) (T, int64, error) {
	var v T
	it, err := c.table.Get(ctx, c.key(id))
	if err != nil {
		return v, 0, fmt.Errorf("get %s %s: %w", c.kind, id, err)
	}
	v, err = c.decode(it)
	return v, it.Version, err
}

func (c Collection[T]) decode(it Item) (T, error) {
	var v T
	if err := json.Unmarshal(it.Data, &v); err != nil {
		return v, fmt.Errorf("decode %s %s/%s: %w", c.kind, it.PK, it.SK, err)
	}
	return v, nil
}

func (c Collection[T]) put(ctx context.Context, v *T, cond Cond) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", c.kind, err)
	}
	return c.putData(ctx, v, data, cond)
}

func (c Collection[T]) putData(ctx context.Context, v *T, data []byte, cond Cond) error {
	it := c.item(v)
	it.Data = data
	if _, err := c.table.Put(ctx, it, cond); err != nil {
		return fmt.Errorf("put %s %s: %w", c.kind, it.PK, err)
	}
	return nil
}

// Create writes v when no record has its id; ErrConflict otherwise.
func (c Collection[T]) Create(ctx context.Context, v T) error {
	return c.put(ctx, &v, IfAbsent())
}

// Update reads the record, applies fn and writes it back if nobody wrote
// in between, retrying fn on a concurrent write. fn may return ErrNoChange.
func (c Collection[T]) Update(ctx context.Context, id string, fn func(*T) error) (T, error) {
	return c.Upsert(ctx, id, func(v *T, exists bool) error {
		if !exists {
			return fmt.Errorf("update %s %s: %w", c.kind, id, ErrNotFound)
		}
		return fn(v)
	})
}

// Upsert is Update that also creates: fn sees exists=false and a zero value.
// An fn that leaves the record as it was writes nothing, so readers that
// only check a record never contend with its writers.
func (c Collection[T]) Upsert(ctx context.Context, id string, fn func(v *T, exists bool) error) (T, error) {
	for attempt := range maxAttempts {
		var v T
		it, err := c.table.Get(ctx, c.key(id))
		exists := err == nil
		switch {
		case exists:
			if v, err = c.decode(it); err != nil {
				return v, err
			}
		case !errors.Is(err, ErrNotFound):
			return v, fmt.Errorf("get %s %s: %w", c.kind, id, err)
		}
		if err := fn(&v, exists); err != nil {
			if errors.Is(err, ErrNoChange) {
				return v, nil
			}
			return v, err
		}
		data, err := json.Marshal(&v)
		if err != nil {
			return v, fmt.Errorf("encode %s: %w", c.kind, err)
		}
		cond := IfAbsent()
		if exists {
			if bytes.Equal(data, it.Data) {
				return v, nil
			}
			cond = IfVersion(it.Version)
		}
		err = c.putData(ctx, &v, data, cond)
		if !errors.Is(err, ErrConflict) {
			return v, err
		}
		if err := pause(ctx, attempt); err != nil {
			return v, fmt.Errorf("update %s %s: %w", c.kind, id, err)
		}
	}
	return *new(T), fmt.Errorf("update %s %s: %d concurrent writers in a row: %w", c.kind, id, maxAttempts, ErrConflict)
}

// pause waits before retry attempt+1 of a write that lost a race.
func pause(ctx context.Context, attempt int) error {
	limit := min(retryCap, retryBase<<min(attempt, 16))
	t := time.NewTimer(rand.N(limit) + 1)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Delete removes the record with id.
func (c Collection[T]) Delete(ctx context.Context, id string) error {
	if err := c.table.Delete(ctx, c.key(id)); err != nil {
		return fmt.Errorf("delete %s %s: %w", c.kind, id, err)
	}
	return nil
}

// Query returns the records of this kind that q selects.
func (c Collection[T]) Query(ctx context.Context, q Query) ([]T, error) {
	items, err := c.table.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("query %s %s: %w", c.kind, q.PK, err)
	}
	out := make([]T, 0, len(items))
	for _, it := range items {
		v, err := c.decode(it)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Page returns up to limit records that q selects and keep accepts (nil
// keeps all), in q's order, starting after the sort key after ("" for
// the first page), and the sort key to pass as after for the next page
// ("" when there is none). q's own Limit is ignored.
func (c Collection[T]) Page(ctx context.Context, q Query, after string, limit int, keep func(T) bool) ([]T, string, error) {
	if limit < 1 {
		return nil, "", fmt.Errorf("page of %s: limit %d", c.kind, limit)
	}
	var out []T
	for {
		cur := q
		if after != "" {
			// Bounds are inclusive: start at after itself and skip it.
			if cur.Desc {
				cur.To = after
			} else {
				cur.From = after
			}
		}
		cur.Limit = limit + 2
		items, err := c.table.Query(ctx, cur)
		if err != nil {
			return nil, "", fmt.Errorf("page of %s %s: %w", c.kind, q.PK, err)
		}
		if len(items) > 0 && after != "" && sortKey(q.Index, items[0]) == after {
			items = items[1:]
		}
		for i, it := range items {
			v, err := c.decode(it)
			if err != nil {
				return nil, "", err
			}
			if keep == nil || keep(v) {
				out = append(out, v)
			}
			after = sortKey(q.Index, it)
			if len(out) == limit {
				if i == len(items)-1 && len(items) < limit+1 {
					return out, "", nil // the partition ended with this page
				}
				return out, after, nil
			}
		}
		if len(items) < limit+1 {
			return out, "", nil
		}
	}
}

// sortKey is an item's sort key in index ix.
func sortKey(ix Index, it Item) string {
	switch ix {
	case Due:
		return it.GSI1.SK
	case Customer:
		return it.GSI2.SK
	case Listing:
		return it.GSI3.SK
	}
	return it.SK
}
