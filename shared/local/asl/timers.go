package asl

import (
	"context"
	"errors"
	"time"
)

// Tick runs everything due at Clock.Now(): ended Waits, elapsed retry
// back-offs, task and heartbeat timeouts, execution timeouts, and task
// invocations left over by a cancelled call. Executions are visited one at
// a time in ARN order, without the global lock, so other calls (on other
// executions or, between steps, on the same one) proceed meanwhile.
func (e *Engine) Tick(ctx context.Context) error {
	return errors.Join(e.driveAll(ctx, e.loaded())...)
}

// NextWakeup returns the earliest deadline among running executions, so a
// virtual-clock driver can jump straight to it; ok is false when nothing is
// scheduled.
func (e *Engine) NextWakeup() (t time.Time, ok bool) {
	consider := func(p *time.Time) {
		if p != nil && (!ok || p.Before(t)) {
			t, ok = *p, true
		}
	}
	for _, rec := range e.loaded() {
		rec.mu.Lock()
		if !rec.gone && rec.Status == StatusRunning {
			consider(rec.Deadline)
			rec.Root.walk(func(f *frame) {
				if f.terminal() {
					return
				}
				consider(f.Until)
				consider(f.TimeoutAt)
				if f.Phase == phaseToken {
					consider(f.HeartbeatAt)
				}
			})
		}
		rec.mu.Unlock()
	}
	return t, ok
}

// Run calls Tick every interval of wall-clock time until ctx is done; for
// dev mode with a real or a fast-forwarding clock.
func (e *Engine) Run(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			if err := e.Tick(ctx); err != nil {
				e.log.Warn("asl: tick", "err", err)
			}
		}
	}
}
