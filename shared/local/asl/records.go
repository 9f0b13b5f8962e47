package asl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
)

// acquire returns the execution arn with its lock held: the in-memory
// record if it is loaded, else the stored one, else (if mk is not nil) a
// new one from mk, which the caller must save; created reports the latter.
// A running execution loaded from the store or created stays in memory.
// Errors wrap ErrExecutionDoesNotExist when there is no such execution.
// No lock may be held by the caller.
func (e *Engine) acquire(ctx context.Context, arn string, mk func() *record) (rec *record, created bool, err error) {
	for {
		e.mu.Lock()
		if r, ok := e.execs[arn]; ok {
			e.mu.Unlock()
			r.mu.Lock()
			if r.dead {
				r.mu.Unlock()
				continue
			}
			return r, false, nil
		}
		if ch, ok := e.loading[arn]; ok {
			e.mu.Unlock()
			<-ch
			continue
		}
		ch := make(chan struct{})
		e.loading[arn] = ch
		e.mu.Unlock()
		return e.load(ctx, arn, mk, ch)
	}
}

// load is acquire's slow path, run while holding arn's loading slot ch.
func (e *Engine) load(ctx context.Context, arn string, mk func() *record, ch chan struct{}) (rec *record, created bool, err error) {
	defer func() {
		if rec != nil {
			rec.mu.Lock() // uncontended: rec is not shared yet
		}
		e.mu.Lock()
		if rec != nil && rec.Status == StatusRunning {
			e.execs[arn] = rec
		}
		delete(e.loading, arn)
		e.mu.Unlock()
		close(ch)
	}()
	doc, err := e.store.Get(ctx, arn)
	switch {
	case errors.Is(err, ErrNotFound) && mk != nil:
		return mk(), true, nil
	case errors.Is(err, ErrNotFound):
		return nil, false, fmt.Errorf("execution %s: %w", arn, ErrExecutionDoesNotExist)
	case err != nil:
		return nil, false, err
	}
	if rec, err = e.decodeRecord(ctx, doc); err != nil {
		return nil, false, fmt.Errorf("load execution %s: %w", arn, err)
	}
	return rec, false, nil
}

func (e *Engine) decodeRecord(ctx context.Context, doc []byte) (*record, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	r := &record{}
	if err := dec.Decode(r); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if r.Root == nil {
		return nil, fmt.Errorf("decode: no root frame")
	}
	def, err := e.definition(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("definition: %w", err)
	}
	r.def = def
	return r, nil
}

// forget drops a finished (or dead) record from memory; r.mu must be held,
// and a finished record's final state must be saved. The record is never
// saved again (drivers stop at gone, acquire skips dead records, and every
// other saving path needs a running one), so its cached encodings go back
// for other records to reuse.
func (e *Engine) forget(r *record) {
	e.mu.Lock()
	if e.execs[r.ARN] == r {
		delete(e.execs, r.ARN)
	}
	e.mu.Unlock()
	r.gone = true
	r.releaseEncoding()
}

// save persists r; r.mu must be held (and Engine.mu must not be), which
// orders the saves of one execution. A record created by StartExecution
// whose first save fails never existed: it is dropped, and whoever found it
// in execs meanwhile retries.
func (e *Engine) save(ctx context.Context, r *record) error {
	if err := e.put(context.WithoutCancel(ctx), r); err != nil {
		r.unsaved = true
		if r.fresh {
			r.dead = true
			e.forget(r)
		}
		return fmt.Errorf("persist execution %s: %w", r.ARN, err)
	}
	r.unsaved, r.fresh = false, false
	return nil
}

// put writes r (and, the first time, its definition) to the store.
func (e *Engine) put(ctx context.Context, r *record) error {
	if !r.defStored {
		if err := e.storeDefinition(ctx, r.def); err != nil {
			return err
		}
		r.defStored = true
	}
	if _, ok := e.store.(docCopier); ok {
		bp := scratchBufs.Get().(*[]byte)
		defer scratchBufs.Put(bp)
		doc, err := r.appendDoc((*bp)[:0])
		*bp = doc
		if err != nil {
			return err
		}
		return e.store.Put(ctx, r.ARN, doc)
	}
	doc, err := r.encode()
	if err != nil {
		return err
	}
	return e.store.Put(ctx, r.ARN, doc)
}

// loaded lists the executions in memory, by ARN (which never changes, so
// it may be read without the execution lock).
func (e *Engine) loaded() []*record {
	e.mu.Lock()
	recs := make([]*record, 0, len(e.execs))
	for _, r := range e.execs {
		recs = append(recs, r)
	}
	e.mu.Unlock()
	sort.Slice(recs, func(i, j int) bool { return recs[i].ARN < recs[j].ARN })
	return recs
}
