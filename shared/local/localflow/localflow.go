// Package localflow is the local Workflow adapter: closed-loop executions
// run by cxloop's own ASL interpreter, in process, with their state kept
// on disk so a restart resumes every waiting loop.
package localflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cxloop/cxloop/shared/aws/looptask"
	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/local/asl"
)

// Workflow starts and resumes executions of one state machine.
type Workflow struct {
	engine  *asl.Engine
	machine string
}

var _ app.Workflow = (*Workflow)(nil)

// New returns a Workflow for the state machine registered as machine.
func New(e *asl.Engine, machine string) *Workflow { return &Workflow{engine: e, machine: machine} }

// Start starts an execution; one that exists already is success.
func (w *Workflow) Start(ctx context.Context, name string, input []byte) error {
	_, err := w.engine.StartExecution(ctx, w.machine, name, json.RawMessage(input))
	if errors.Is(err, asl.ErrExecutionAlreadyExists) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("start execution %s: %w", name, err)
	}
	return nil
}

// SendTaskSuccess resumes the waiting task.
func (w *Workflow) SendTaskSuccess(ctx context.Context, token string, output []byte) error {
	return gone(w.engine.SendTaskSuccess(ctx, token, json.RawMessage(output)))
}

// SendTaskFailure fails the waiting task.
func (w *Workflow) SendTaskFailure(ctx context.Context, token, code, cause string) error {
	return gone(w.engine.SendTaskFailure(ctx, token, code, cause))
}

// SendTaskHeartbeat keeps the waiting task alive.
func (w *Workflow) SendTaskHeartbeat(ctx context.Context, token string) error {
	return gone(w.engine.SendTaskHeartbeat(ctx, token))
}

func gone(err error) error {
	if errors.Is(err, asl.ErrInvalidToken) || errors.Is(err, asl.ErrTaskDoesNotExist) || errors.Is(err, asl.ErrTaskTimedOut) {
		return fmt.Errorf("%w: %w", app.ErrTaskGone, err)
	}
	return err
}

// Invoker runs task handlers bound by function name.
func Invoker(handlers map[string]looptask.Handler) asl.Invoker {
	return asl.InvokerFunc(func(ctx context.Context, function string, payload json.RawMessage) (json.RawMessage, error) {
		h, ok := handlers[asl.FunctionName(function)]
		if !ok {
			return nil, &asl.TaskError{Type: "Lambda.ResourceNotFoundException", Cause: "no local function " + function}
		}
		return h(ctx, payload)
	})
}
