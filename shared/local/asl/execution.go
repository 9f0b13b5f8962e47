package asl

import (
	"encoding/json"
	"sync"
	"time"
)

// Status is an execution's status, with the Step Functions names.
type Status string

// Execution statuses.
const (
	StatusRunning   Status = "RUNNING"
	StatusSucceeded Status = "SUCCEEDED"
	StatusFailed    Status = "FAILED"
	StatusTimedOut  Status = "TIMED_OUT"
	StatusAborted   Status = "ABORTED"
)

// HistoryEvent is one entry of an execution's history. Types follow the
// Step Functions event names (ExecutionStarted, PassStateEntered,
// TaskScheduled, TaskFailed, ...).
type HistoryEvent struct {
	ID        int       `json:"id"`
	Timestamp time.Time `json:"timestamp"`
	Type      string    `json:"type"`
	State     string    `json:"state,omitempty"`
	Error     string    `json:"error,omitempty"`
	Cause     string    `json:"cause,omitempty"`
}

// Execution is a snapshot of one execution, as DescribeExecution returns.
type Execution struct {
	ExecutionARN    string          `json:"executionArn"`
	StateMachineARN string          `json:"stateMachineArn"`
	Name            string          `json:"name"`
	Status          Status          `json:"status"`
	StartDate       time.Time       `json:"startDate"`
	StopDate        time.Time       `json:"stopDate,omitzero"`
	Input           json.RawMessage `json:"input"`
	Output          json.RawMessage `json:"output,omitempty"`
	Error           string          `json:"error,omitempty"`
	Cause           string          `json:"cause,omitempty"`
	History         []HistoryEvent  `json:"history,omitempty"`
}

// StatesEntered lists the names of the states entered, in order.
func (x *Execution) StatesEntered() []string {
	var out []string
	for _, ev := range x.History {
		if len(ev.Type) > len("StateEntered") && ev.Type[len(ev.Type)-len("StateEntered"):] == "StateEntered" {
			out = append(out, ev.State)
		}
	}
	return out
}

// Frame phases. A frame runs one States block (the top level, a Parallel
// branch or a Map iteration) and is always in exactly one phase.
const (
	phaseReady     = "ready"     // about to run State with Input
	phasePending   = "pending"   // Map iteration held back by MaxConcurrency
	phaseInvoke    = "invoke"    // Task handler must be (re)invoked
	phaseToken     = "token"     // waiting for SendTask* on Token
	phaseWait      = "wait"      // Wait state until Until
	phaseRetry     = "retry"     // back-off until Until, then re-run State
	phaseChildren  = "children"  // Parallel/Map waiting for child frames
	phaseSucceeded = "succeeded" // finished with Output
	phaseFailed    = "failed"    // finished with Error/Cause
	phaseAborted   = "aborted"   // stopped because a sibling or the execution failed
)

// frame is the serialisable state of one thread of control.
type frame struct {
	ID string `json:"id"`
	// Owner is the Parallel or Map state whose block this frame runs ("" for
	// the top level); Branch picks the Parallel branch.
	Owner  string `json:"owner,omitempty"`
	Branch int    `json:"branch,omitempty"`

	State     string `json:"state"`
	Phase     string `json:"phase"`
	Input     any    `json:"input"`
	Effective any    `json:"effective,omitempty"`

	// Run identifies the current attempt of the current state across the
	// execution, so a late handler result or token for an earlier attempt
	// is recognised and dropped.
	Run        int64     `json:"run"`
	Retrying   bool      `json:"retrying,omitempty"`
	Entered    time.Time `json:"entered"`
	RetryCount int       `json:"retryCount,omitempty"`
	Attempts   []int     `json:"attempts,omitempty"`

	Until       *time.Time `json:"until,omitempty"`
	Token       string     `json:"token,omitempty"`
	TimeoutAt   *time.Time `json:"timeoutAt,omitempty"`
	HeartbeatAt *time.Time `json:"heartbeatAt,omitempty"`
	Heartbeat   int64      `json:"heartbeat,omitempty"`

	Children []*frame `json:"children,omitempty"`

	Output any    `json:"output,omitempty"`
	Error  string `json:"error,omitempty"`
	Cause  string `json:"cause,omitempty"`
}

// attempt identifies one attempt of a frame's current state.
type attempt struct {
	frameID string
	run     int64
}

func (f *frame) terminal() bool {
	return f.Phase == phaseSucceeded || f.Phase == phaseFailed || f.Phase == phaseAborted
}

// find returns the frame with id in the tree rooted at f.
func (f *frame) find(id string) *frame {
	if f.ID == id {
		return f
	}
	for _, c := range f.Children {
		if r := c.find(id); r != nil {
			return r
		}
	}
	return nil
}

// walk visits the tree depth first, parents before children.
func (f *frame) walk(fn func(*frame)) {
	fn(f)
	for _, c := range f.Children {
		c.walk(fn)
	}
}

// record is an execution: the persisted fields (its document is their
// JSON, see encode.go) and what the engine keeps beside them.
type record struct {
	recordHead
	recordBody
	History []HistoryEvent `json:"history"`
	Seq     int64          `json:"seq"`

	def   *Definition
	input any

	// defStored: def is known to be in the store.
	defStored bool
	// head caches the encoding of recordHead, which never changes once
	// the record exists; hist caches the encodings of History[:histN],
	// comma-separated: events never change once appended, so a save
	// encodes only the new ones. Both come from recordBufs and go back
	// there once the record is forgotten.
	head  *[]byte
	hist  *[]byte
	histN int

	// mu is the execution lock (see the lock hierarchy in engine.go). It
	// guards every field of the record, including the persisted ones above,
	// and is held across the record's store writes, so that one
	// execution's steps and saves are strictly ordered. It is never held
	// while a Task handler runs.
	mu sync.Mutex
	// inflight marks frame invocations under way, so concurrent drivers
	// of this execution don't invoke a frame twice.
	inflight map[attempt]bool
	// gone: the record left Engine.execs (it finished, or its creation was
	// never persisted); drivers holding it stop.
	gone bool
	// dead: the record was created by StartExecution but its first save
	// failed; it never existed and lookups must not use it.
	dead bool
	// fresh: the record was created by StartExecution and not yet saved.
	fresh bool
	// unsaved: the last save failed, so the next driver saves even if
	// nothing changed.
	unsaved bool
}

// recordHead holds the persisted fields that never change once the
// record exists.
type recordHead struct {
	ARN              string `json:"arn"`
	Name             string `json:"name"`
	StateMachineARN  string `json:"stateMachineArn"`
	StateMachineName string `json:"stateMachineName"`
	// DefinitionHash names the execution's definition, stored apart under
	// definitionKey(DefinitionHash). Definition holds it inline in records
	// written before definitions were stored apart; it is read, never
	// written (definition clears it before the record is first saved).
	DefinitionHash string          `json:"definitionHash,omitempty"`
	Definition     json.RawMessage `json:"definition,omitempty"`
	Input          json.RawMessage `json:"input"`
}

// recordBody holds the persisted fields that change as the execution
// runs, but for its history.
type recordBody struct {
	Status    Status          `json:"status"`
	StartTime time.Time       `json:"startTime"`
	StopTime  time.Time       `json:"stopTime,omitzero"`
	Deadline  *time.Time      `json:"deadline,omitempty"`
	Output    json.RawMessage `json:"output,omitempty"`
	Error     string          `json:"error,omitempty"`
	Cause     string          `json:"cause,omitempty"`
	Root      *frame          `json:"root"`
}

func (r *record) snapshot() *Execution {
	x := &Execution{
		ExecutionARN:    r.ARN,
		StateMachineARN: r.StateMachineARN,
		Name:            r.Name,
		Status:          r.Status,
		StartDate:       r.StartTime,
		StopDate:        r.StopTime,
		Input:           append(json.RawMessage(nil), r.Input...),
		Output:          append(json.RawMessage(nil), r.Output...),
		Error:           r.Error,
		Cause:           r.Cause,
		History:         append([]HistoryEvent(nil), r.History...),
	}
	if len(x.Output) == 0 {
		x.Output = nil
	}
	return x
}
