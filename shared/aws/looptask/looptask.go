// Package looptask binds the closed-loop state machine's Task states to the
// application core: one handler per Lambda function, used by the Lambda
// binaries in AWS and by the local ASL interpreter in dev, so both run the
// very same code.
package looptask

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"

	"github.com/cxloop/cxloop/shared/core/app"
)

// Handler is a Lambda handler with raw JSON in and out.
type Handler func(ctx context.Context, payload json.RawMessage) (json.RawMessage, error)

// Functions names each task function by its SAM logical id's
// substitution, as used in the ASL file, and its local function name.
var Functions = map[string]string{
	"AssignOwnerFunctionArn":    "assign-owner",
	"NotifyOwnerFunctionArn":    "notify-owner",
	"EscalateFunctionArn":       "escalate",
	"ReassignedFunctionArn":     "reassigned",
	"RecordOutcomeFunctionArn":  "record-outcome",
	"NotifyCustomerFunctionArn": "notify-customer",
	"AskRecoveryFunctionArn":    "ask-recovery",
	"RecordFailureFunctionArn":  "record-failure",
}

// Handlers returns the task handlers by function name.
func Handlers(a *app.App) map[string]Handler {
	withState := func(f func(context.Context, app.LoopInput) (app.LoopState, error)) Handler {
		return func(ctx context.Context, p json.RawMessage) (json.RawMessage, error) {
			in, err := decode(p)
			if err != nil {
				return nil, err
			}
			st, err := f(ctx, in)
			if err != nil {
				return nil, err
			}
			return json.Marshal(st)
		}
	}
	plain := func(f func(context.Context, app.LoopInput) error) Handler {
		return func(ctx context.Context, p json.RawMessage) (json.RawMessage, error) {
			in, err := decode(p)
			if err != nil {
				return nil, err
			}
			if err := f(ctx, in); err != nil {
				return nil, err
			}
			return json.RawMessage(`{}`), nil
		}
	}
	return map[string]Handler{
		"assign-owner":    withState(a.AssignOwner),
		"notify-owner":    plain(a.NotifyOwner),
		"escalate":        withState(a.Escalate),
		"reassigned":      withState(a.Reassigned),
		"record-outcome":  withState(a.RecordOutcome),
		"notify-customer": plain(a.NotifyCustomer),
		"ask-recovery":    plain(a.AskRecovery),
		"record-failure":  plain(a.RecordFailure),
	}
}

// BadInput is returned for a payload that is not a loop task input; the
// state machine does not retry it.
type BadInput struct{ Reason string }

func (e *BadInput) Error() string { return "bad task input: " + e.Reason }

func decode(p json.RawMessage) (app.LoopInput, error) {
	var in app.LoopInput
	if err := json.Unmarshal(p, &in); err != nil {
		return in, &BadInput{Reason: err.Error()}
	}
	if in.TaskID == "" {
		return in, &BadInput{Reason: "task_id is missing"}
	}
	return in, nil
}

var placeholder = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`)

// Substitute replaces ${Name} placeholders in an ASL definition, as SAM's
// DefinitionSubstitutions does, and refuses a definition with a
// placeholder that has no value.
func Substitute(def []byte, values map[string]string) ([]byte, error) {
	var missing []string
	out := placeholder.ReplaceAllFunc(def, func(m []byte) []byte {
		name := string(placeholder.FindSubmatch(m)[1])
		v, ok := values[name]
		if !ok {
			missing = append(missing, name)
			return m
		}
		return []byte(v)
	})
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("state machine placeholders without a value: %v", missing)
	}
	return out, nil
}

// Placeholders lists the ${...} names a definition uses.
func Placeholders(def []byte) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range placeholder.FindAllSubmatch(def, -1) {
		if n := string(m[1]); !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// LocalSubstitutions are the values the local interpreter runs with:
// function ARNs naming the in-process handlers.
func LocalSubstitutions(slaHours string) map[string]string {
	m := map[string]string{"SlaHours": slaHours}
	for sub, fn := range Functions {
		m[sub] = "arn:aws:lambda:local:000000000000:function:" + fn
	}
	return m
}
