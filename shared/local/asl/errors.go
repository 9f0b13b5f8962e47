package asl

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// Predefined ASL error names.
const (
	ErrNameAll                  = "States.ALL"
	ErrNameTimeout              = "States.Timeout"
	ErrNameHeartbeatTimeout     = "States.HeartbeatTimeout"
	ErrNameTaskFailed           = "States.TaskFailed"
	ErrNamePermissions          = "States.Permissions"
	ErrNameResultPathMatch      = "States.ResultPathMatchFailure"
	ErrNameParameterPathFailure = "States.ParameterPathFailure"
	ErrNameBranchFailed         = "States.BranchFailed"
	ErrNameNoChoiceMatched      = "States.NoChoiceMatched"
	ErrNameIntrinsicFailure     = "States.IntrinsicFailure"
	ErrNameExceedToleratedFail  = "States.ExceedToleratedFailureThreshold"
	ErrNameItemReaderFailed     = "States.ItemReaderFailed"
	ErrNameResultWriterFailed   = "States.ResultWriterFailed"
	ErrNameRuntime              = "States.Runtime"
	ErrNameDataLimitExceeded    = "States.DataLimitExceeded"
	ErrNameQueryEvaluationError = "States.QueryEvaluationError"
	ErrNameExecutionAborted     = "States.Aborted"
)

// Sentinel errors of the Engine API. They carry the names the Step Functions
// API uses so callers can map them to the same HTTP answers AWS gives.
var (
	ErrExecutionAlreadyExists = errors.New("ExecutionAlreadyExists")
	ErrExecutionDoesNotExist  = errors.New("ExecutionDoesNotExist")
	ErrStateMachineNotFound   = errors.New("StateMachineDoesNotExist")
	ErrInvalidToken           = errors.New("InvalidToken")
	ErrTaskDoesNotExist       = errors.New("TaskDoesNotExist")
	ErrTaskTimedOut           = errors.New("TaskTimedOut")
	ErrInvalidOutput          = errors.New("InvalidOutput")
	ErrInvalidName            = errors.New("InvalidName")
	ErrInvalidExecutionInput  = errors.New("InvalidExecutionInput")
	// ErrNotFound is returned (wrapped) by an ExecutionStore for a missing key.
	ErrNotFound = errors.New("not found")
)

// TaskError is an error a task handler can return to choose the ASL error
// name that Retry and Catch match, exactly as a Lambda function's errorType.
type TaskError struct {
	Type  string
	Cause string
}

func (e *TaskError) Error() string {
	if e.Cause == "" {
		return e.Type
	}
	return e.Type + ": " + e.Cause
}

// ErrorType reports the ASL error name.
func (e *TaskError) ErrorType() string { return e.Type }

// errorTyper is what the Lambda Go runtime honours to name an error.
type errorTyper interface{ ErrorType() string }

// taskErrorName names a handler error the way the AWS Lambda Go runtime
// does: an explicit ErrorType() wins, otherwise the Go type name without
// package path or pointer star (so errors.New gives "errorString").
func taskErrorName(err error) (name, cause string) {
	var et errorTyper
	if errors.As(err, &et) {
		cause = err.Error()
		if te, ok := et.(*TaskError); ok {
			cause = te.Cause
		}
		return et.ErrorType(), cause
	}
	t := reflect.TypeOf(err)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name(), err.Error()
}

// stateError is an ASL-level failure raised while running a state: it has an
// error name that Retry/Catch can match and a human cause.
type stateError struct {
	Name  string
	Cause string
}

func (e *stateError) Error() string { return e.Name + ": " + e.Cause }

func runtimeErr(format string, args ...any) *stateError {
	return &stateError{Name: ErrNameRuntime, Cause: fmt.Sprintf(format, args...)}
}

func intrinsicErr(format string, args ...any) *stateError {
	return &stateError{Name: ErrNameIntrinsicFailure, Cause: fmt.Sprintf(format, args...)}
}

// LoadError reports why a definition was refused. State and Field locate the
// problem (either may be empty for whole-definition problems).
type LoadError struct {
	State string
	Field string
	Msg   string
}

func (e *LoadError) Error() string {
	var b strings.Builder
	b.WriteString("asl: ")
	if e.State != "" {
		fmt.Fprintf(&b, "state %q: ", e.State)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, "field %q: ", e.Field)
	}
	b.WriteString(e.Msg)
	return b.String()
}
