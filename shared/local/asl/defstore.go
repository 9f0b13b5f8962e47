package asl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
)

// definition returns the parsed definition of a decoded record, from the
// cache or else from the store (or, in a record written before definitions
// were stored apart, from the record itself, which the next save migrates).
// No lock may be held.
func (e *Engine) definition(ctx context.Context, r *record) (*Definition, error) {
	if r.DefinitionHash == "" {
		if len(r.Definition) == 0 {
			return nil, errors.New("record names no definition")
		}
		def, err := Parse(r.Definition)
		if err != nil {
			return nil, err
		}
		r.Definition, r.DefinitionHash = nil, def.hash
		e.mu.Lock()
		if d, ok := e.defs[def.hash]; ok {
			def = d
		} else {
			e.defs[def.hash] = def
		}
		e.mu.Unlock()
		return def, nil
	}
	r.Definition = nil
	e.mu.Lock()
	def, ok := e.defs[r.DefinitionHash]
	e.mu.Unlock()
	if ok {
		return def, nil
	}
	raw, err := e.store.Get(ctx, definitionKey(r.DefinitionHash))
	if err != nil {
		return nil, err
	}
	if h := definitionHash(raw); h != r.DefinitionHash {
		return nil, fmt.Errorf("stored definition %s has hash %s", r.DefinitionHash, h)
	}
	if def, err = Parse(raw); err != nil {
		return nil, err
	}
	e.mu.Lock()
	if d, ok := e.defs[def.hash]; ok {
		def = d
	} else {
		e.defs[def.hash] = def
	}
	e.stored[def.hash] = true
	e.mu.Unlock()
	return def, nil
}

// storeDefinition makes sure def is in the store, before the first save of
// a record that names it; an execution lock may be held, Engine.mu must
// not be. One goroutine at a time writes a given definition, holding its
// slot in Engine.storing (and no execution lock but its own); the others
// wait for it, like for a leaf lock.
func (e *Engine) storeDefinition(ctx context.Context, def *Definition) error {
	for {
		e.mu.Lock()
		if e.stored[def.hash] {
			e.mu.Unlock()
			return nil
		}
		if ch, ok := e.storing[def.hash]; ok {
			e.mu.Unlock()
			<-ch
			continue
		}
		ch := make(chan struct{})
		e.storing[def.hash] = ch
		e.mu.Unlock()

		err := e.putDefinition(ctx, def)
		e.mu.Lock()
		if err == nil {
			e.defs[def.hash] = def
			e.stored[def.hash] = true
		}
		delete(e.storing, def.hash)
		e.mu.Unlock()
		close(ch)
		return err
	}
}

func (e *Engine) putDefinition(ctx context.Context, def *Definition) error {
	key := definitionKey(def.hash)
	cur, err := e.store.Get(ctx, key)
	if err == nil && bytes.Equal(cur, def.raw) {
		return nil
	}
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("persist definition %s: %w", def.hash, err)
	}
	if err := e.store.Put(ctx, key, bytes.Clone(def.raw)); err != nil {
		return fmt.Errorf("persist definition %s: %w", def.hash, err)
	}
	return nil
}
