package asl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
)

// invocation is a task call the driver performs without the lock.
type invocation struct {
	key      attempt
	function string
	payload  json.RawMessage
	kind     resourceKind
	info     TaskInfo
}

// drive runs an execution until it is quiescent: it settles the frame
// tree, saves it, performs one pending task invocation with the execution
// lock released, applies its result, and repeats. rec.mu must be held on
// entry; it is held again on return. dirty asks for a save even if
// settling changes nothing (the caller changed the record).
func (e *Engine) drive(ctx context.Context, rec *record, dirty bool) error {
	for {
		if rec.gone {
			return nil
		}
		st := &stepper{e: e, rec: rec, now: e.clock.Now()}
		changed := st.settle()
		var job *invocation
		if rec.Status == StatusRunning && ctx.Err() == nil {
			job = e.nextInvocation(st)
		}
		if changed || dirty || rec.unsaved || job != nil {
			if err := e.save(ctx, rec); err != nil {
				if job != nil {
					delete(rec.inflight, job.key)
				}
				return err
			}
			dirty = false
		}
		if rec.Status != StatusRunning {
			if e.log.Enabled(context.Background(), slog.LevelInfo) {
				e.log.Info("asl: execution finished", "execution", rec.Name, "status", rec.Status, "error", rec.Error)
			}
			e.forget(rec)
			return nil
		}
		if job == nil {
			return nil
		}
		rec.mu.Unlock()
		out, err := e.invoke(ctx, job)
		rec.mu.Lock()
		delete(rec.inflight, job.key)
		if ctx.Err() != nil {
			// Abandoned, not failed: the frame stays in phaseInvoke and the
			// next Tick or Resume invokes it again (at least once).
			return ctx.Err()
		}
		if !rec.gone && rec.Status == StatusRunning {
			st := &stepper{e: e, rec: rec, now: e.clock.Now()}
			st.applyInvocation(job, out, err)
			dirty = true
		}
	}
}

// nextInvocation claims the first frame waiting for a handler call;
// s.rec.mu must be held.
func (e *Engine) nextInvocation(s *stepper) *invocation {
	var job *invocation
	s.rec.Root.walk(func(f *frame) {
		if job != nil || f.Phase != phaseInvoke {
			return
		}
		key := attempt{frameID: f.ID, run: f.Run}
		if s.rec.inflight[key] {
			return
		}
		st := s.stateOf(f)
		j := &invocation{key: key, kind: st.resourceKind,
			info: TaskInfo{ExecutionARN: s.rec.ARN, StateName: st.Name, Token: f.Token, RetryCount: f.RetryCount}}
		switch st.resourceKind {
		case resLambdaARN:
			j.function = st.resource
			j.payload = mustEncode(f.Effective)
		default:
			params, _ := f.Effective.(map[string]any)
			fn, _ := params["FunctionName"].(string)
			j.function = fn
			if p, ok := params["Payload"]; ok {
				j.payload = mustEncode(p)
			} else {
				j.payload = json.RawMessage("{}")
			}
		}
		if s.rec.inflight == nil {
			s.rec.inflight = map[attempt]bool{}
		}
		s.rec.inflight[key] = true
		job = j
	})
	return job
}

func (e *Engine) invoke(ctx context.Context, job *invocation) (out json.RawMessage, err error) {
	if e.invoker == nil {
		return nil, &TaskError{Type: ErrNameTaskFailed, Cause: "no Invoker configured for Task states"}
	}
	if job.function == "" {
		return nil, &TaskError{Type: ErrNameTaskFailed, Cause: "FunctionName must be a non-empty string"}
	}
	defer func() {
		// A panicking handler fails its task instead of the process, like a
		// crashed Lambda.
		if p := recover(); p != nil {
			out, err = nil, &TaskError{Type: "Runtime.Panic", Cause: fmt.Sprint(p)}
		}
	}()
	// A pointer, which fits in the interface without a copy on the heap.
	ctx = context.WithValue(ctx, taskInfoKey{}, &job.info)
	return e.invoker.Invoke(ctx, job.function, job.payload)
}

// TaskInfo describes the Task state behind an Invoke call, for handlers
// and invokers that route or log by state (the CLI binds results by state
// name this way).
type TaskInfo struct {
	ExecutionARN string
	StateName    string
	// Token is the task token of a .waitForTaskToken task, "" otherwise.
	Token      string
	RetryCount int
}

type taskInfoKey struct{}

// TaskInfoFromContext returns the TaskInfo of the Invoke call ctx belongs to.
func TaskInfoFromContext(ctx context.Context) (TaskInfo, bool) {
	ti, ok := ctx.Value(taskInfoKey{}).(*TaskInfo)
	if !ok {
		return TaskInfo{}, false
	}
	return *ti, true
}

// applyInvocation records a handler's answer if the frame still waits for it.
func (s *stepper) applyInvocation(job *invocation, out json.RawMessage, err error) {
	f := s.rec.Root.find(job.key.frameID)
	if f == nil || f.Run != job.key.run || f.Phase != phaseInvoke {
		return // superseded: timed out, aborted, or completed by SendTaskSuccess
	}
	st := s.stateOf(f)
	if err != nil {
		name, cause := taskErrorName(err)
		s.fail(f, st, &stateError{Name: name, Cause: cause})
		return
	}
	if job.kind == resLambdaInvokeWait {
		f.Phase = phaseToken
		return
	}
	if f.TimeoutAt != nil && !s.now.Before(*f.TimeoutAt) {
		s.event("TaskTimedOut", st.Name, ErrNameTimeout, "")
		s.fail(f, st, &stateError{Name: ErrNameTimeout, Cause: "Task timed out."})
		return
	}
	var result any
	if len(bytes.TrimSpace(out)) > 0 {
		v, derr := decodeJSON(out)
		if derr != nil {
			s.fail(f, st, &stateError{Name: ErrNameTaskFailed, Cause: "handler returned invalid JSON: " + derr.Error()})
			return
		}
		result = v
	}
	if job.kind == resLambdaInvoke {
		result = map[string]any{
			"ExecutedVersion":     "$LATEST",
			"Payload":             result,
			"SdkHttpMetadata":     emptyObject,
			"SdkResponseMetadata": emptyObject,
			"StatusCode":          json.Number("200"),
		}
	}
	s.event("TaskSucceeded", st.Name, "", "")
	s.complete(f, st, result)
}

// emptyObject is shared by every lambda:invoke result: values are
// immutable (see value.go), so one empty object serves them all.
var emptyObject = map[string]any{}

// run runs rec, which the caller changed, until it blocks: right here, or
// with Config.Background, once the change is saved, in a goroutine of its
// own. rec.mu must be held; it is held on return.
func (e *Engine) run(ctx context.Context, rec *record) error {
	if !e.background {
		return e.drive(ctx, rec, true)
	}
	if err := e.save(ctx, rec); err != nil {
		return err
	}
	e.bgMu.Lock()
	if e.stopped {
		e.bgMu.Unlock()
		return e.drive(ctx, rec, false)
	}
	e.running.Add(1)
	e.busy.Add(1)
	e.bgMu.Unlock()
	ctx = context.WithoutCancel(ctx) // the caller's request is over; the run is not
	go func() {
		defer e.running.Done()
		defer e.busy.Add(-1)
		rec.mu.Lock()
		err := e.drive(ctx, rec, false)
		rec.mu.Unlock()
		if err != nil {
			e.log.Warn("asl: background run stopped; Tick or Resume takes it up again", "execution", rec.Name, "err", err)
		}
	}()
	return nil
}

// Busy counts the background runs not yet done (Config.Background).
func (e *Engine) Busy() int64 { return e.busy.Load() }

// Wait waits for the background runs to be done.
func (e *Engine) Wait() { e.running.Wait() }

// Stop makes every run from now on happen in its caller, as without
// Config.Background, and waits for the background ones: for shutting down,
// when no run may outlive the store.
func (e *Engine) Stop() {
	e.bgMu.Lock()
	e.stopped = true
	e.bgMu.Unlock()
	e.running.Wait()
}

// Resume loads every running execution from the store and runs each until
// it blocks. Tasks that were being invoked when the previous process died
// are invoked again (at-least-once, as Lambda retries are); waiting tasks
// keep their tokens and deadlines, Wait states their end time.
func (e *Engine) Resume(ctx context.Context) error {
	keys, err := e.store.Keys(ctx)
	if err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	var running []*record
	var errs []error
	for _, k := range keys {
		if IsDefinitionKey(k) {
			continue
		}
		rec, _, err := e.acquire(ctx, k, nil)
		if err != nil {
			errs = append(errs, fmt.Errorf("resume: %w", err))
			continue
		}
		if rec.Status == StatusRunning && !rec.gone {
			running = append(running, rec)
		}
		rec.mu.Unlock()
	}
	errs = append(errs, e.driveAll(ctx, running)...)
	return errors.Join(errs...)
}

// driveAll drives each execution in turn until it is quiescent.
func (e *Engine) driveAll(ctx context.Context, recs []*record) []error {
	var errs []error
	for _, rec := range recs {
		rec.mu.Lock()
		err := e.drive(ctx, rec, false)
		rec.mu.Unlock()
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}
