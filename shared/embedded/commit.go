package embedded

import (
	"context"
	"runtime"

	bolt "go.etcd.io/bbolt"
)

// maxBatch caps the writes committed in one transaction.
const maxBatch = 1000

// write is one Put or Delete waiting for the writer goroutine.
type write struct {
	ctx context.Context
	// apply performs the write in tx. reqErr fails this write alone and
	// must be returned before apply changes anything (a failed condition);
	// txErr spoils the transaction. apply may run more than once (when its
	// batch is retried), so it must only set results, never accumulate.
	apply func(tx *bolt.Tx) (reqErr, txErr error)
	err   error
	done  chan struct{} // closed when err is final
}

// write hands apply to the writer goroutine and waits until the transaction
// holding it has been committed and synced, or has failed. It waits even
// when ctx is cancelled meanwhile, so the caller always learns whether the
// write happened; a write whose ctx is cancelled before the writer reaches
// it is skipped and returns ctx.Err().
func (t *Table) write(ctx context.Context, apply func(*bolt.Tx) (error, error)) error {
	w := &write{ctx: ctx, apply: apply, done: make(chan struct{})}
	t.mu.RLock()
	if t.closed {
		t.mu.RUnlock()
		return errClosed
	}
	t.writes <- w
	t.mu.RUnlock()
	<-w.done
	return w.err
}

// run is the writer goroutine: a group commit. It takes every write queued
// at the moment and commits them in one transaction, hence one fsync. A
// lone writer pays no extra delay (unlike bolt.DB.Batch, which waits up to
// MaxBatchDelay, 10ms by default, for company, and rolls the whole batch
// back when one call fails); under load the batch grows by itself while the
// previous fsync runs.
func (t *Table) run() {
	defer close(t.done)
	batch := make([]*write, 0, maxBatch)
	for w := range t.writes {
		batch = append(batch[:0], w)
		// Let writers that were just woken by the last commit queue their
		// next write before the batch is closed: on 2 cores this about
		// doubles the batch size under load, and costs a lone writer
		// next to nothing.
		runtime.Gosched()
	fill:
		for len(batch) < maxBatch {
			select {
			case w, ok := <-t.writes:
				if !ok {
					break fill
				}
				batch = append(batch, w)
			default:
				break fill
			}
		}
		t.commit(batch)
		clear(batch) // drop references for the garbage collector
	}
}

// commit runs batch in one transaction and completes each write. Writes in
// a batch are applied in order, each seeing the ones before it, exactly as
// if they had been committed one by one.
func (t *Table) commit(batch []*write) {
	errs := make([]error, len(batch))
	err := t.db.Update(func(tx *bolt.Tx) error {
		for i, w := range batch {
			if err := w.ctx.Err(); err != nil {
				errs[i] = err
				continue
			}
			reqErr, txErr := w.apply(tx)
			if txErr != nil {
				return txErr
			}
			errs[i] = reqErr
		}
		return nil
	})
	if err != nil && len(batch) > 1 {
		// One write spoilt the transaction, or the commit failed: nothing
		// was written. Retry each alone so only the culprit gets its error.
		for _, w := range batch {
			t.commit([]*write{w})
		}
		return
	}
	for i, w := range batch {
		w.err = errs[i]
		if err != nil {
			w.err = err
		}
		close(w.done)
	}
}
