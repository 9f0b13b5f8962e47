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
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"sort"
	"strconv"
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

// Task tokens: base64url("v1|" + execution ARN + "|" + frame ID + "|" + run
// + "|" + 32 random hex bytes). The readable part routes the token to its
// frame durably; the random part makes it unguessable and is compared in
// full against the one stored in the frame.

func (e *Engine) newToken(arn, frameID string, run int64) (string, error) {
	var nonce [32]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return "", err
	}
	var buf [512]byte // room for the usual ARN, so the token is the only allocation
	raw := append(buf[:0], "v1|"...)
	raw = append(raw, arn...)
	raw = append(raw, '|')
	raw = append(raw, frameID...)
	raw = append(raw, '|')
	raw = strconv.AppendInt(raw, run, 10)
	raw = append(raw, '|')
	raw = hex.AppendEncode(raw, nonce[:])
	return base64.RawURLEncoding.EncodeToString(raw), nil
}

func parseToken(tok string) (arn, frameID string, err error) {
	raw, derr := base64.RawURLEncoding.DecodeString(tok)
	if derr != nil {
		return "", "", ErrInvalidToken
	}
	// Exactly five fields: v1, ARN, frame ID, run, nonce.
	rest, ok := strings.CutPrefix(string(raw), "v1|")
	arn, rest, ok1 := strings.Cut(rest, "|")
	frameID, rest, ok2 := strings.Cut(rest, "|")
	_, nonce, ok3 := strings.Cut(rest, "|")
	if !ok || !ok1 || !ok2 || !ok3 || strings.Contains(nonce, "|") {
		return "", "", ErrInvalidToken
	}
	return arn, frameID, nil
}

// waitingFrame finds the frame waiting on tok. On success the execution's
// lock is held and the caller must release it; on error it is not held.
func (e *Engine) waitingFrame(ctx context.Context, tok string) (*stepper, *frame, error) {
	arn, frameID, err := parseToken(tok)
	if err != nil {
		return nil, nil, err
	}
	rec, _, err := e.acquire(ctx, arn, nil)
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
		rec.mu.Unlock()
		return nil, nil, ErrTaskTimedOut
	}
	s := &stepper{e: e, rec: rec, now: e.clock.Now()}
	// A deadline that passed but was not yet ticked still counts.
	if s.advance(f) {
		err := e.save(ctx, rec)
		rec.mu.Unlock()
		if err != nil {
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
	s, f, err := e.waitingFrame(ctx, token)
	if err != nil {
		return fmt.Errorf("send task success: %w", err)
	}
	defer s.rec.mu.Unlock()
	st := s.stateOf(f)
	s.event("TaskSucceeded", st.Name, "", "")
	s.complete(f, st, v)
	return e.run(ctx, s.rec)
}

// SendTaskFailure fails the task waiting on token with the given error
// name and cause; Retry and Catch apply.
func (e *Engine) SendTaskFailure(ctx context.Context, token, errorName, cause string) error {
	s, f, err := e.waitingFrame(ctx, token)
	if err != nil {
		return fmt.Errorf("send task failure: %w", err)
	}
	defer s.rec.mu.Unlock()
	s.fail(f, s.stateOf(f), &stateError{Name: errorName, Cause: cause})
	return e.run(ctx, s.rec)
}

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

// SendTaskHeartbeat restarts the HeartbeatSeconds countdown of the task
// waiting on token.
func (e *Engine) SendTaskHeartbeat(ctx context.Context, token string) error {
	s, f, err := e.waitingFrame(ctx, token)
	if err != nil {
		return fmt.Errorf("send task heartbeat: %w", err)
	}
	defer s.rec.mu.Unlock()
	if f.Heartbeat > 0 {
		t := s.now.Add(time.Duration(f.Heartbeat) * time.Second)
		f.HeartbeatAt = &t
		return e.save(ctx, s.rec)
	}
	return nil
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

// Tick runs everything due at Clock.Now(): ended Waits, elapsed retry
// back-offs, task and heartbeat timeouts, execution timeouts, and task
// invocations left over by a cancelled call. Executions are visited one at
// a time in ARN order, without the global lock, so other calls (on other
// executions or, between steps, on the same one) proceed meanwhile.
func (e *Engine) Tick(ctx context.Context) error {
	return errors.Join(e.driveAll(ctx, e.loaded())...)
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
