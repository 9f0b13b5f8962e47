package asl

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Invoker runs a Lambda function bound by name or ARN. It is how Task
// states reach Go handlers; function is the Resource ARN for plain Lambda
// resources and the FunctionName parameter for lambda:invoke.
type Invoker interface {
	Invoke(ctx context.Context, function string, payload json.RawMessage) (json.RawMessage, error)
}

// InvokerFunc adapts a function to Invoker.
type InvokerFunc func(ctx context.Context, function string, payload json.RawMessage) (json.RawMessage, error)

// Invoke calls f.
func (f InvokerFunc) Invoke(ctx context.Context, function string, payload json.RawMessage) (json.RawMessage, error) {
	return f(ctx, function, payload)
}

// Config configures an Engine. Zero fields get local defaults.
type Config struct {
	Store   ExecutionStore // default: NewMemoryStore()
	Clock   Clock          // default: SystemClock{}
	Invoker Invoker        // required for Task states
	Logger  *slog.Logger   // default: discard
	// Region and Account appear in ARNs; defaults "local" and "000000000000".
	Region  string
	Account string
	// RoleARN is reported as $$.Execution.RoleArn.
	RoleARN string
}

// StateMachine is a registered definition.
type StateMachine struct {
	Name       string
	ARN        string
	Definition *Definition
}

// Engine runs executions of registered state machines. All methods are
// safe for concurrent use. Non-waiting states run synchronously inside the
// call that made them runnable (StartExecution, SendTask*, Tick), so when
// such a call returns the execution is quiescent: blocked on a Wait, a
// retry back-off, a task token, or finished.
type Engine struct {
	store   ExecutionStore
	clock   Clock
	invoker Invoker
	log     *slog.Logger
	region  string
	account string
	roleARN string

	mu       sync.Mutex
	machines map[string]*StateMachine // by name
	execs    map[string]*record       // loaded executions, by ARN
	defs     map[string]*Definition   // parsed definitions of loaded executions, by raw JSON
	inflight map[string]bool          // frame invocations under way, by execARN/frameID/run
	rnd      *mrand.Rand              // MathRandom and UUID
}

// NewEngine returns an engine. Call Register for each state machine and,
// with a persistent store, Resume to pick up executions of a previous run.
func NewEngine(cfg Config) *Engine {
	e := &Engine{
		store: cfg.Store, clock: cfg.Clock, invoker: cfg.Invoker, log: cfg.Logger,
		region: cfg.Region, account: cfg.Account, roleARN: cfg.RoleARN,
		machines: map[string]*StateMachine{}, execs: map[string]*record{},
		defs: map[string]*Definition{}, inflight: map[string]bool{},
	}
	if e.store == nil {
		e.store = NewMemoryStore()
	}
	if e.clock == nil {
		e.clock = SystemClock{}
	}
	if e.log == nil {
		e.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if e.region == "" {
		e.region = "local"
	}
	if e.account == "" {
		e.account = "000000000000"
	}
	var seed [32]byte
	_, _ = rand.Read(seed[:])
	e.rnd = mrand.New(mrand.NewChaCha8(seed))
	return e
}

// Register binds name to def and returns the state machine; registering a
// name again replaces the definition for new executions (running ones keep
// the definition they started with, as in AWS).
func (e *Engine) Register(name string, def *Definition) *StateMachine {
	sm := &StateMachine{Name: name, ARN: e.StateMachineARN(name), Definition: def}
	e.mu.Lock()
	e.machines[name] = sm
	e.mu.Unlock()
	return sm
}

// StateMachineARN returns the ARN of the named state machine.
func (e *Engine) StateMachineARN(name string) string {
	return fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", e.region, e.account, name)
}

// ExecutionARN returns the ARN of an execution.
func (e *Engine) ExecutionARN(stateMachine, name string) string {
	return fmt.Sprintf("arn:aws:states:%s:%s:execution:%s:%s", e.region, e.account, e.machineName(stateMachine), name)
}

// machineName accepts a state machine name or ARN.
func (e *Engine) machineName(s string) string {
	if i := strings.LastIndex(s, ":stateMachine:"); i >= 0 {
		return s[i+len(":stateMachine:"):]
	}
	return s
}

// validName follows the Step Functions rules for execution names.
func validName(s string) bool {
	if s == "" || len(s) > 80 {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || strings.ContainsRune("<>{}[]?*\"#%\\^|~`$&,;:/", r) {
			return false
		}
	}
	return true
}

// StartExecution starts an execution and runs it until it blocks or ends.
// An empty name gets a random one; input defaults to {}. Names are unique per
// state machine: starting an existing name with the same input returns the
// existing execution (idempotent, whatever its status); with a different
// input it fails with ErrExecutionAlreadyExists.
func (e *Engine) StartExecution(ctx context.Context, stateMachine, name string, input json.RawMessage) (*Execution, error) {
	if name == "" {
		name = e.newUUID()
	}
	if !validName(name) {
		return nil, fmt.Errorf("start execution %q: %w", name, ErrInvalidName)
	}
	if len(bytes.TrimSpace(input)) == 0 {
		input = json.RawMessage("{}")
	}
	inVal, err := decodeJSON(input)
	if err != nil {
		return nil, fmt.Errorf("start execution %q: %w: %v", name, ErrInvalidExecutionInput, err)
	}
	compact := mustEncode(inVal)

	e.mu.Lock()
	sm, ok := e.machines[e.machineName(stateMachine)]
	if !ok {
		e.mu.Unlock()
		return nil, fmt.Errorf("start execution %q: state machine %q: %w", name, stateMachine, ErrStateMachineNotFound)
	}
	arn := e.ExecutionARN(sm.Name, name)
	existing, err := e.lookup(ctx, arn)
	if err != nil && !errors.Is(err, ErrExecutionDoesNotExist) {
		e.mu.Unlock()
		return nil, err
	}
	if existing != nil {
		prev, _ := decodeJSON(existing.Input)
		e.mu.Unlock()
		if jsonEqual(prev, inVal) {
			return existing.snapshot(), nil
		}
		return nil, fmt.Errorf("start execution %s: %w", arn, ErrExecutionAlreadyExists)
	}
	now := e.clock.Now()
	rec := &record{
		ARN: arn, Name: name, StateMachineARN: sm.ARN, StateMachineName: sm.Name,
		Definition: sm.Definition.raw, Input: compact, Status: StatusRunning, StartTime: now,
		Root: &frame{ID: "0", State: sm.Definition.root.startAt, Phase: phaseReady, Input: inVal},
		def:  sm.Definition, input: inVal,
	}
	if sm.Definition.TimeoutSeconds > 0 {
		d := now.Add(time.Duration(sm.Definition.TimeoutSeconds) * time.Second)
		rec.Deadline = &d
	}
	st := &stepper{e: e, rec: rec, now: now}
	st.event("ExecutionStarted", "", "", "")
	e.execs[arn] = rec
	e.defs[string(rec.Definition)] = sm.Definition
	if err := e.save(ctx, rec); err != nil {
		delete(e.execs, arn)
		e.mu.Unlock()
		return nil, err
	}
	e.mu.Unlock()
	e.log.Info("asl: execution started", "stateMachine", sm.Name, "execution", name)

	if err := e.drive(ctx, arn); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return rec.snapshot(), nil
}

// lookup finds an execution in memory or the store; e.mu must be held.
func (e *Engine) lookup(ctx context.Context, arn string) (*record, error) {
	if r, ok := e.execs[arn]; ok {
		return r, nil
	}
	doc, err := e.store.Get(ctx, arn)
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("execution %s: %w", arn, ErrExecutionDoesNotExist)
	}
	if err != nil {
		return nil, err
	}
	r, err := e.decodeRecord(doc)
	if err != nil {
		return nil, fmt.Errorf("load execution %s: %w", arn, err)
	}
	if r.Status == StatusRunning {
		e.execs[arn] = r
	}
	return r, nil
}

func (e *Engine) decodeRecord(doc []byte) (*record, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	r := &record{}
	if err := dec.Decode(r); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if r.Root == nil {
		return nil, fmt.Errorf("decode: no root frame")
	}
	def, ok := e.defs[string(r.Definition)]
	if !ok {
		var err error
		if def, err = Parse(r.Definition); err != nil {
			return nil, fmt.Errorf("definition: %w", err)
		}
		e.defs[string(r.Definition)] = def
	}
	r.def = def
	return r, nil
}

func (e *Engine) save(ctx context.Context, r *record) error {
	doc, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode execution %s: %w", r.ARN, err)
	}
	if err := e.store.Put(context.WithoutCancel(ctx), r.ARN, doc); err != nil {
		return fmt.Errorf("persist execution %s: %w", r.ARN, err)
	}
	return nil
}

// invocation is a task call the driver performs without the lock.
type invocation struct {
	key      string
	frameID  string
	run      int64
	function string
	payload  json.RawMessage
	kind     resourceKind
	info     TaskInfo
}

// drive runs an execution until it is quiescent: it settles the frame
// tree, performs one pending task invocation outside the lock, applies its
// result, and repeats.
func (e *Engine) drive(ctx context.Context, arn string) error {
	applied := false // a handler result was applied and is not yet persisted
	for {
		e.mu.Lock()
		rec, ok := e.execs[arn]
		if !ok {
			e.mu.Unlock()
			return nil
		}
		st := &stepper{e: e, rec: rec, now: e.clock.Now()}
		changed := st.settle()
		var job *invocation
		if rec.Status == StatusRunning && ctx.Err() == nil {
			job = e.nextInvocation(st)
		}
		if changed || applied || job != nil {
			if err := e.save(ctx, rec); err != nil {
				if job != nil {
					delete(e.inflight, job.key)
				}
				e.mu.Unlock()
				return err
			}
			applied = false
		}
		if rec.Status != StatusRunning {
			e.log.Info("asl: execution finished", "execution", rec.Name, "status", rec.Status, "error", rec.Error)
			delete(e.execs, arn)
		}
		e.mu.Unlock()
		if job == nil {
			return nil
		}
		out, err := e.invoke(ctx, job)
		if ctx.Err() != nil {
			// Abandoned, not failed: the frame stays in phaseInvoke and the
			// next Tick or Resume invokes it again (at least once).
			e.mu.Lock()
			delete(e.inflight, job.key)
			e.mu.Unlock()
			return ctx.Err()
		}
		e.mu.Lock()
		delete(e.inflight, job.key)
		if rec, ok := e.execs[arn]; ok && rec.Status == StatusRunning {
			st := &stepper{e: e, rec: rec, now: e.clock.Now()}
			st.applyInvocation(job, out, err)
			applied = true
		}
		e.mu.Unlock()
	}
}

// nextInvocation claims the first frame waiting for a handler call.
func (e *Engine) nextInvocation(s *stepper) *invocation {
	var job *invocation
	s.rec.Root.walk(func(f *frame) {
		if job != nil || f.Phase != phaseInvoke {
			return
		}
		key := s.rec.ARN + "/" + f.ID + "/" + strconv.FormatInt(f.Run, 10)
		if e.inflight[key] {
			return
		}
		st := s.stateOf(f)
		j := &invocation{key: key, frameID: f.ID, run: f.Run, kind: st.resourceKind,
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
		e.inflight[key] = true
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
	ctx = context.WithValue(ctx, taskInfoKey{}, job.info)
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
	ti, ok := ctx.Value(taskInfoKey{}).(TaskInfo)
	return ti, ok
}

// applyInvocation records a handler's answer if the frame still waits for it.
func (s *stepper) applyInvocation(job *invocation, out json.RawMessage, err error) {
	f := s.rec.Root.find(job.frameID)
	if f == nil || f.Run != job.run || f.Phase != phaseInvoke {
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
			"SdkHttpMetadata":     map[string]any{},
			"SdkResponseMetadata": map[string]any{},
			"StatusCode":          json.Number("200"),
		}
	}
	s.event("TaskSucceeded", st.Name, "", "")
	s.complete(f, st, result)
}

// Task tokens: base64url("v1|" + execution ARN + "|" + frame ID + "|" + run
// + "|" + 32 random hex bytes). The readable part routes the token to its
// frame durably; the random part makes it unguessable and is compared in
// full against the one stored in the frame.

func (e *Engine) newToken(arn, frameID string, run int64) (string, error) {
	var nonce [32]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return "", err
	}
	raw := fmt.Sprintf("v1|%s|%s|%d|%x", arn, frameID, run, nonce)
	return base64.RawURLEncoding.EncodeToString([]byte(raw)), nil
}

func parseToken(tok string) (arn, frameID string, err error) {
	raw, derr := base64.RawURLEncoding.DecodeString(tok)
	if derr != nil {
		return "", "", ErrInvalidToken
	}
	parts := strings.Split(string(raw), "|")
	if len(parts) != 5 || parts[0] != "v1" {
		return "", "", ErrInvalidToken
	}
	return parts[1], parts[2], nil
}

// waitingFrame finds the frame waiting on tok; e.mu must be held.
func (e *Engine) waitingFrame(ctx context.Context, tok string) (*stepper, *frame, error) {
	arn, frameID, err := parseToken(tok)
	if err != nil {
		return nil, nil, err
	}
	rec, err := e.lookup(ctx, arn)
	if errors.Is(err, ErrExecutionDoesNotExist) {
		return nil, nil, ErrTaskDoesNotExist
	}
	if err != nil {
		return nil, nil, err
	}
	f := rec.Root.find(frameID)
	if rec.Status != StatusRunning || f == nil || f.Token != tok || (f.Phase != phaseToken && f.Phase != phaseInvoke) {
		// AWS answers TaskTimedOut for tokens of tasks that are no longer
		// waiting, whatever ended them.
		return nil, nil, ErrTaskTimedOut
	}
	s := &stepper{e: e, rec: rec, now: e.clock.Now()}
	// A deadline that passed but was not yet ticked still counts.
	if s.advance(f) {
		if err := e.save(ctx, rec); err != nil {
			return nil, nil, err
		}
		return nil, nil, ErrTaskTimedOut
	}
	return s, f, nil
}

// SendTaskSuccess completes the task waiting on token with output as its
// result, then runs the execution on until it blocks.
func (e *Engine) SendTaskSuccess(ctx context.Context, token string, output json.RawMessage) error {
	v, err := decodeJSON(output)
	if err != nil {
		return fmt.Errorf("send task success: %w: %v", ErrInvalidOutput, err)
	}
	e.mu.Lock()
	s, f, err := e.waitingFrame(ctx, token)
	if err != nil {
		e.mu.Unlock()
		return fmt.Errorf("send task success: %w", err)
	}
	st := s.stateOf(f)
	s.event("TaskSucceeded", st.Name, "", "")
	s.complete(f, st, v)
	arn := s.rec.ARN
	e.mu.Unlock()
	return e.drive(ctx, arn)
}

// SendTaskFailure fails the task waiting on token with the given error
// name and cause; Retry and Catch apply.
func (e *Engine) SendTaskFailure(ctx context.Context, token, errorName, cause string) error {
	e.mu.Lock()
	s, f, err := e.waitingFrame(ctx, token)
	if err != nil {
		e.mu.Unlock()
		return fmt.Errorf("send task failure: %w", err)
	}
	s.fail(f, s.stateOf(f), &stateError{Name: errorName, Cause: cause})
	arn := s.rec.ARN
	e.mu.Unlock()
	return e.drive(ctx, arn)
}

// SendTaskHeartbeat restarts the HeartbeatSeconds countdown of the task
// waiting on token.
func (e *Engine) SendTaskHeartbeat(ctx context.Context, token string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, f, err := e.waitingFrame(ctx, token)
	if err != nil {
		return fmt.Errorf("send task heartbeat: %w", err)
	}
	if f.Heartbeat > 0 {
		t := s.now.Add(time.Duration(f.Heartbeat) * time.Second)
		f.HeartbeatAt = &t
		return e.save(ctx, s.rec)
	}
	return nil
}

// StopExecution aborts a running execution.
func (e *Engine) StopExecution(ctx context.Context, stateMachine, name, errorName, cause string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	arn := e.ExecutionARN(stateMachine, name)
	rec, err := e.lookup(ctx, arn)
	if err != nil {
		return fmt.Errorf("stop execution: %w", err)
	}
	if rec.Status != StatusRunning {
		return nil
	}
	s := &stepper{e: e, rec: rec, now: e.clock.Now()}
	s.finishExecution(StatusAborted, nil, errorName, cause)
	delete(e.execs, arn)
	return e.save(ctx, rec)
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
	var arns []string
	var errs []error
	e.mu.Lock()
	for _, k := range keys {
		if _, ok := e.execs[k]; ok {
			arns = append(arns, k)
			continue
		}
		doc, err := e.store.Get(ctx, k)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rec, err := e.decodeRecord(doc)
		if err != nil {
			errs = append(errs, fmt.Errorf("resume %s: %w", k, err))
			continue
		}
		if rec.Status == StatusRunning {
			e.execs[k] = rec
			arns = append(arns, k)
		}
	}
	e.mu.Unlock()
	for _, arn := range arns {
		if err := e.drive(ctx, arn); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Tick runs everything due at Clock.Now(): ended Waits, elapsed retry
// back-offs, task and heartbeat timeouts, execution timeouts, and task
// invocations left over by a cancelled call.
func (e *Engine) Tick(ctx context.Context) error {
	e.mu.Lock()
	arns := make([]string, 0, len(e.execs))
	for arn := range e.execs {
		arns = append(arns, arn)
	}
	e.mu.Unlock()
	sort.Strings(arns)
	var errs []error
	for _, arn := range arns {
		if err := e.drive(ctx, arn); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// NextWakeup returns the earliest deadline among running executions, so a
// virtual-clock driver can jump straight to it; ok is false when nothing is
// scheduled.
func (e *Engine) NextWakeup() (t time.Time, ok bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	consider := func(p *time.Time) {
		if p != nil && (!ok || p.Before(t)) {
			t, ok = *p, true
		}
	}
	for _, rec := range e.execs {
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

// DescribeExecution returns a snapshot of an execution with its history.
func (e *Engine) DescribeExecution(ctx context.Context, stateMachine, name string) (*Execution, error) {
	return e.DescribeExecutionARN(ctx, e.ExecutionARN(stateMachine, name))
}

// DescribeExecutionARN is DescribeExecution by execution ARN.
func (e *Engine) DescribeExecutionARN(ctx context.Context, arn string) (*Execution, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	rec, err := e.lookup(ctx, arn)
	if err != nil {
		return nil, fmt.Errorf("describe execution: %w", err)
	}
	return rec.snapshot(), nil
}

// ListExecutions lists the executions of a state machine, newest first,
// optionally filtered by status ("" for all). History is omitted.
func (e *Engine) ListExecutions(ctx context.Context, stateMachine string, status Status) ([]*Execution, error) {
	prefix := e.ExecutionARN(stateMachine, "")
	keys, err := e.store.Keys(ctx)
	if err != nil {
		return nil, fmt.Errorf("list executions: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []*Execution
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		rec, err := e.lookup(ctx, k)
		if err != nil {
			return nil, fmt.Errorf("list executions: %w", err)
		}
		if status != "" && rec.Status != status {
			continue
		}
		x := rec.snapshot()
		x.History = nil
		out = append(out, x)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].StartDate.After(out[j].StartDate) })
	return out, nil
}

func (e *Engine) newUUID() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], e.rnd.Uint64())
	binary.LittleEndian.PutUint64(b[8:], e.rnd.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
