package asl

// Locking
//
// The Engine uses two levels of locks, always acquired in this order:
//
//  1. record.mu, the execution lock, one per loaded execution. It guards
//     everything in the record (frame tree, history, status, the set of
//     invocations in flight) and is held while the execution steps and
//     while its document is written to the ExecutionStore. So the steps and
//     saves of one execution are strictly ordered (a later state is never
//     overwritten by an earlier save), while different executions step and
//     write concurrently; a store that batches concurrent writers into one
//     sync sees them together. A goroutine holds at most one execution lock
//     at a time, and releases it while a Task handler runs, so handlers may
//     call back into the Engine, even for their own execution.
//
//  2. Engine.mu, the global lock. It guards only in-memory maps (machines,
//     execs, loading, defs, stored, storing) and is held for map operations alone: never
//     across store I/O, handler invocation, or waiting for an execution
//     lock. It may be taken while an execution lock is held, never the
//     reverse.
//
// Below both are leaf locks that are never held while taking another:
// lockedSource.mu (random numbers), the Clock's and the store's own.
//
// At most one in-memory record exists per running execution. Records enter
// Engine.execs only in acquire, while it holds the ARN's slot in
// Engine.loading (so an ARN is loaded or created by one goroutine at a
// time), and they leave it only after their final state is saved (forget),
// so a load that starts after a record left sees the final document.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
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
	// Background makes StartExecution and SendTaskSuccess/Failure return
	// once their change is saved, and run the execution on from there in
	// a goroutine of its own, as Step Functions does. A run cut short (a
	// store error, the process ending) is taken up by Tick or Resume.
	// Without it, each call returns with the execution quiescent.
	Background bool
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
// retry back-off, a task token, or finished (unless Config.Background).
// Calls on different executions run in parallel, store writes included;
// calls on the same execution take turns step by step (see Locking above).
type Engine struct {
	store   ExecutionStore
	clock   Clock
	invoker Invoker
	log     *slog.Logger
	region  string
	account string
	roleARN string

	background bool
	bgMu       sync.Mutex     // guards stopped and adding to running
	stopped    bool           // Stop was called: runs happen in their caller
	running    sync.WaitGroup // background runs
	busy       atomic.Int64   // background runs not yet done

	rnd *mrand.Rand // MathRandom and UUID; safe for concurrent use

	mu       sync.Mutex               // the global lock; see Locking above
	machines map[string]*StateMachine // by name
	execs    map[string]*record       // running executions in memory, by ARN
	loading  map[string]chan struct{} // ARNs being loaded or created; closed when done
	defs     map[string]*Definition   // parsed definitions, by hash
	stored   map[string]bool          // hashes of definitions known to be in the store
	storing  map[string]chan struct{} // hashes of definitions being stored; closed when done
}

// lockedSource makes a random source safe for concurrent use (a
// math/rand/v2 Rand has no state beyond its source).
type lockedSource struct {
	mu  sync.Mutex
	src mrand.Source
}

func (s *lockedSource) Uint64() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.src.Uint64()
}

// NewEngine returns an engine. Call Register for each state machine and,
// with a persistent store, Resume to pick up executions of a previous run.
func NewEngine(cfg Config) *Engine {
	e := &Engine{
		store: cfg.Store, clock: cfg.Clock, invoker: cfg.Invoker, log: cfg.Logger,
		region: cfg.Region, account: cfg.Account, roleARN: cfg.RoleARN, background: cfg.Background,
		machines: map[string]*StateMachine{}, execs: map[string]*record{},
		loading: map[string]chan struct{}{}, defs: map[string]*Definition{},
		stored: map[string]bool{}, storing: map[string]chan struct{}{},
	}
	if e.store == nil {
		e.store = NewMemoryStore()
	}
	if e.clock == nil {
		e.clock = SystemClock{}
	}
	if e.log == nil {
		// Not a handler writing to io.Discard: this one is disabled at every
		// level, so log calls on the hot path cost nothing.
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.region == "" {
		e.region = "local"
	}
	if e.account == "" {
		e.account = "000000000000"
	}
	var seed [32]byte
	_, _ = rand.Read(seed[:])
	e.rnd = mrand.New(&lockedSource{src: mrand.NewChaCha8(seed)})
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
	return "arn:aws:states:" + e.region + ":" + e.account + ":stateMachine:" + name
}

// ExecutionARN returns the ARN of an execution.
func (e *Engine) ExecutionARN(stateMachine, name string) string {
	return "arn:aws:states:" + e.region + ":" + e.account + ":execution:" + e.machineName(stateMachine) + ":" + name
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
	e.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("start execution %q: state machine %q: %w", name, stateMachine, ErrStateMachineNotFound)
	}
	arn := e.ExecutionARN(sm.Name, name)
	rec, created, err := e.acquire(ctx, arn, func() *record {
		now := e.clock.Now()
		rec := &record{
			recordHead: recordHead{
				ARN: arn, Name: name, StateMachineARN: sm.ARN, StateMachineName: sm.Name,
				DefinitionHash: sm.Definition.hash, Input: compact,
			},
			recordBody: recordBody{
				Status: StatusRunning, StartTime: now,
				Root: &frame{ID: "0", State: sm.Definition.root.startAt, Phase: phaseReady, Input: inVal},
			},
			def: sm.Definition, input: inVal, fresh: true,
			History: make([]HistoryEvent, 0, sm.Definition.historyCap()),
		}
		if sm.Definition.TimeoutSeconds > 0 {
			d := now.Add(time.Duration(sm.Definition.TimeoutSeconds) * time.Second)
			rec.Deadline = &d
		}
		st := &stepper{e: e, rec: rec, now: now}
		st.event("ExecutionStarted", "", "", "")
		return rec
	})
	if err != nil {
		return nil, err
	}
	defer rec.mu.Unlock()
	if !created {
		prev, _ := decodeJSON(rec.Input)
		if jsonEqual(prev, inVal) {
			return rec.snapshot(), nil
		}
		return nil, fmt.Errorf("start execution %s: %w", arn, ErrExecutionAlreadyExists)
	}
	// The first save is drive's, made before the first side effect (or when
	// the execution blocks or ends), as every later one: until then nothing
	// outside this call has seen the execution. If it fails, drive drops
	// the record as never created.
	err = e.run(ctx, rec)
	// Checking the level first spares boxing the arguments when Info is
	// disabled (as by default), once or twice per execution.
	if !rec.dead && e.log.Enabled(context.Background(), slog.LevelInfo) {
		e.log.Info("asl: execution started", "stateMachine", sm.Name, "execution", name)
	}
	if err != nil {
		return nil, err
	}
	return rec.snapshot(), nil
}

// StopExecution aborts a running execution.
func (e *Engine) StopExecution(ctx context.Context, stateMachine, name, errorName, cause string) error {
	arn := e.ExecutionARN(stateMachine, name)
	rec, _, err := e.acquire(ctx, arn, nil)
	if err != nil {
		return fmt.Errorf("stop execution: %w", err)
	}
	defer rec.mu.Unlock()
	if rec.Status != StatusRunning {
		return nil
	}
	s := &stepper{e: e, rec: rec, now: e.clock.Now()}
	s.finishExecution(StatusAborted, nil, errorName, cause)
	if err := e.save(ctx, rec); err != nil {
		return err // still in memory, unsaved: the next Tick saves it
	}
	e.forget(rec)
	return nil
}

// DescribeExecution returns a snapshot of an execution with its history.
func (e *Engine) DescribeExecution(ctx context.Context, stateMachine, name string) (*Execution, error) {
	return e.DescribeExecutionARN(ctx, e.ExecutionARN(stateMachine, name))
}

// DescribeExecutionARN is DescribeExecution by execution ARN.
func (e *Engine) DescribeExecutionARN(ctx context.Context, arn string) (*Execution, error) {
	rec, _, err := e.acquire(ctx, arn, nil)
	if err != nil {
		return nil, fmt.Errorf("describe execution: %w", err)
	}
	defer rec.mu.Unlock()
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
	var out []*Execution
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		rec, _, err := e.acquire(ctx, k, nil)
		if err != nil {
			return nil, fmt.Errorf("list executions: %w", err)
		}
		var x *Execution
		if status == "" || rec.Status == status {
			x = rec.snapshot()
		}
		rec.mu.Unlock()
		if x != nil {
			x.History = nil
			out = append(out, x)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].StartDate.After(out[j].StartDate) })
	return out, nil
}

func (e *Engine) newUUID() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], e.rnd.Uint64())
	binary.LittleEndian.PutUint64(b[8:], e.rnd.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
