package embedded

import (
	"context"
	"runtime"

	"github.com/cxloop/cxloop/shared/store"
)

// maxBatch caps the writes committed together.
const maxBatch = 1000

// write is one Put or Delete waiting for the writer goroutine.
type write struct {
	ctx context.Context
	// apply stages the write in b. An error fails this write alone and
	// must be returned before apply stages anything (a failed condition).
	apply func(b *batch) error
	err   error
	done  chan struct{} // closed when err is final
}

// write hands apply to the writer goroutine and waits until the commit
// holding it is durable, or has failed. It waits even when ctx is cancelled
// meanwhile, so the caller always learns whether the write happened; a
// write whose ctx is cancelled before the writer reaches it is skipped and
// returns ctx.Err().
func (t *Table) write(ctx context.Context, apply func(*batch) error) error {
	w := &write{ctx: ctx, apply: apply, done: make(chan struct{})}
	t.stateMu.RLock()
	if t.closed {
		t.stateMu.RUnlock()
		return errClosed
	}
	t.writes <- w
	t.stateMu.RUnlock()
	<-w.done
	return w.err
}

// run is the writer goroutine: a group commit. It takes every write queued
// at the moment and commits them with one journal append, hence one sync.
// A lone writer pays no extra delay; under load the batch grows by itself
// while the previous sync runs.
func (t *Table) run() {
	defer close(t.done)
	queue := make([]*write, 0, maxBatch)
	for w := range t.writes {
		queue = append(queue[:0], w)
		// Let writers that were just woken by the last commit queue their
		// next write before the batch is closed: on 2 cores this about
		// doubles the batch size under load, and costs a lone writer
		// next to nothing.
		runtime.Gosched()
	fill:
		for len(queue) < maxBatch {
			select {
			case w, ok := <-t.writes:
				if !ok {
					break fill
				}
				queue = append(queue, w)
			default:
				break fill
			}
		}
		t.commit(queue)
		clear(queue) // drop references for the garbage collector
	}
}

// batch is the writes of one commit, staged until they are durable. Writes
// in a batch are applied in order, each seeing the ones before it, exactly
// as if they had been committed one by one.
type batch struct {
	t     *Table
	next  map[string][]byte // item key → encoded item; nil: deleted
	order []string          // the keys of next, in the order first written
}

// current is the item at k as the batch so far leaves it; nil when absent.
func (b *batch) current(k string) []byte {
	if v, ok := b.next[k]; ok {
		return v
	}
	return b.t.items[k] // only the writer goroutine changes items
}

// set stages the item at k; nil deletes it.
func (b *batch) set(k string, v []byte) {
	if _, ok := b.next[k]; !ok {
		b.order = append(b.order, k)
	}
	b.next[k] = v
}

// commit stages each write of queue, makes the result durable, and only
// then shows it to readers and completes the writes.
func (t *Table) commit(queue []*write) {
	b := &batch{t: t, next: make(map[string][]byte, len(queue))}
	for _, w := range queue {
		if w.err = w.ctx.Err(); w.err == nil {
			w.err = w.apply(b)
		}
	}
	if len(b.order) > 0 {
		if err := t.journal.append(b); err != nil {
			for _, w := range queue {
				if w.err == nil {
					w.err = err
				}
			}
		} else {
			t.publish(b)
			t.compactIfWasteful()
		}
	}
	for _, w := range queue {
		close(w.done)
	}
}

// publish applies a durable batch to the data readers see.
func (t *Table) publish(b *batch) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range b.order {
		t.apply(k, b.next[k])
	}
}

// apply sets the item at k (nil: deletes it) with its index entries. The
// caller holds mu, or is Open before anyone else can see the table.
func (t *Table) apply(k string, v []byte) {
	key, _ := splitItemKey(k)
	var was, now [3]store.Key
	if old, ok := t.items[k]; ok {
		h, _, _ := decodeHead(old) // stored values were decoded when staged or replayed
		was = h.index
		t.live -= recordSize(k, old)
	}
	if v != nil {
		h, _, _ := decodeHead(v)
		now = h.index
		t.items[k] = v
		t.keys.ReplaceOrInsert(k)
		t.live += recordSize(k, v)
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
