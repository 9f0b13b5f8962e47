package asl

import (
	"encoding/json"
	"sync/atomic"
	"time"
)

// Definition is a parsed and validated state machine.
type Definition struct {
	Comment string
	// TimeoutSeconds is the execution-level timeout; 0 means none.
	TimeoutSeconds int64

	root *machine
	raw  json.RawMessage
	// hash is the hex SHA-256 of raw: executions refer to their definition
	// by it, and the store keeps each distinct definition once under
	// definitionKey(hash).
	hash string
	// states indexes every state of the definition, including those in
	// Parallel branches and Map iterators (names are unique machine-wide).
	states map[string]*State
	// historyHint is the history length of the last execution of this
	// definition to finish, so that the next one's history is allocated
	// once at about the right size instead of growing step by step.
	historyHint atomic.Int32
}

// historyCap returns the capacity to give a new execution's history: the
// hint, if any, but no more than 1024 events, so that one long execution
// does not make every later one allocate a large history up front.
func (d *Definition) historyCap() int {
	if h := int(d.historyHint.Load()); h > 0 {
		return min(h, 1024)
	}
	return 16
}

// Raw returns the definition JSON as it was parsed.
func (d *Definition) Raw() json.RawMessage { return d.raw }

// StartAt names the first state.
func (d *Definition) StartAt() string { return d.root.startAt }

// machine is one States block: the top level, a Parallel branch or a Map
// iterator.
type machine struct {
	startAt string
	states  map[string]*State
}

// Supported state types.
const (
	TypePass     = "Pass"
	TypeTask     = "Task"
	TypeChoice   = "Choice"
	TypeWait     = "Wait"
	TypeSucceed  = "Succeed"
	TypeFail     = "Fail"
	TypeParallel = "Parallel"
	TypeMap      = "Map"
)

type resourceKind uint8

const (
	resLambdaARN resourceKind = iota + 1
	resLambdaInvoke
	resLambdaInvokeWait
)

// Resource ARNs of the optimized Lambda integration.
const (
	ResourceLambdaInvoke        = "arn:aws:states:::lambda:invoke"
	ResourceLambdaInvokeWaitTok = "arn:aws:states:::lambda:invoke.waitForTaskToken"
)

// pathField is an InputPath/OutputPath/ResultPath: the zero value is the
// default "$"; null is ASL's explicit null (empty object for Input/OutputPath,
// discard the result for ResultPath).
type pathField struct {
	p    *jsonPath
	null bool
}

// valueExpr is a field that is either a path or an intrinsic (ErrorPath,
// CausePath).
type valueExpr struct {
	node tnode
}

// State is one parsed state.
type State struct {
	Name string
	Type string

	// History event types, made once here rather than at every step.
	enteredEvent string // PassStateEntered, TaskStateEntered, ...
	exitedEvent  string

	next string
	end  bool

	inputPath      pathField
	outputPath     pathField
	resultPath     pathField
	parameters     *template
	resultSelector *template

	// Pass
	result    any
	hasResult bool

	// Task
	resource             string
	resourceKind         resourceKind
	timeoutSeconds       int64
	timeoutSecondsPath   *jsonPath
	heartbeatSeconds     int64
	heartbeatSecondsPath *jsonPath
	retry                []*retrier
	catch                []*catcher

	// Choice
	choices     []*choiceRule
	defaultNext string

	// Wait
	seconds       int64
	hasSeconds    bool
	timestamp     time.Time
	hasTimestamp  bool
	secondsPath   *jsonPath
	timestampPath *jsonPath

	// Fail
	errorName string
	cause     string
	errorPath *valueExpr
	causePath *valueExpr

	// Parallel
	branches []*machine

	// Map
	itemsPath      *jsonPath
	itemSelector   *template
	iterator       *machine
	maxConcurrency int64
}

type retrier struct {
	errorEquals     []string
	intervalSeconds float64
	maxAttempts     int
	backoffRate     float64
	maxDelaySeconds float64
	jitterStrategy  string
}

type catcher struct {
	errorEquals []string
	next        string
	resultPath  pathField
}
