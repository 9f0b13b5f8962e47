// Package sfn runs cxloop's closed-loop executions on AWS Step Functions
// (Standard workflows). It implements app.Workflow on an injected SDK v2
// client.
package sfn

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/cxloop/cxloop/shared/core/app"
)

// Client is the part of *sfn.Client the Workflow uses.
type Client interface {
	StartExecution(ctx context.Context, in *sfn.StartExecutionInput, optFns ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
	SendTaskSuccess(ctx context.Context, in *sfn.SendTaskSuccessInput, optFns ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error)
	SendTaskFailure(ctx context.Context, in *sfn.SendTaskFailureInput, optFns ...func(*sfn.Options)) (*sfn.SendTaskFailureOutput, error)
	SendTaskHeartbeat(ctx context.Context, in *sfn.SendTaskHeartbeatInput, optFns ...func(*sfn.Options)) (*sfn.SendTaskHeartbeatOutput, error)
}

var _ Client = (*sfn.Client)(nil)

// Workflow starts executions of one state machine and answers its task tokens.
type Workflow struct {
	client          Client
	stateMachineARN string
	log             *slog.Logger
}

var _ app.Workflow = (*Workflow)(nil)

// New returns a Workflow for the state machine. log may be nil.
func New(client Client, stateMachineARN string, log *slog.Logger) *Workflow {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Workflow{client: client, stateMachineARN: stateMachineARN, log: log}
}

// Start starts the execution called name with input. Step Functions itself
// returns the running execution when the same name and input are started
// again; ExecutionAlreadyExists (same name, other input, or a closed
// execution) is success too, so a redelivered trigger never starts a second
// loop.
func (w *Workflow) Start(ctx context.Context, name string, input []byte) error {
	_, err := w.client.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(w.stateMachineARN),
		Name:            aws.String(name),
		Input:           aws.String(string(input)),
	})
	var exists *types.ExecutionAlreadyExists
	switch {
	case err == nil:
		return nil
	case errors.As(err, &exists):
		w.log.DebugContext(ctx, "execution already exists", "execution", name)
		return nil
	default:
		return fmt.Errorf("sfn: start execution %s: %w", name, err)
	}
}

// SendTaskSuccess resumes the task waiting on token with output.
func (w *Workflow) SendTaskSuccess(ctx context.Context, token string, output []byte) error {
	_, err := w.client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{
		TaskToken: aws.String(token),
		Output:    aws.String(string(output)),
	})
	return taskErr("send task success", token, err)
}

// Step Functions' limits on SendTaskFailure's error and cause.
const (
	maxErrorLen = 256
	maxCauseLen = 32768
)

// SendTaskFailure fails the task waiting on token. code and cause are cut
// to Step Functions' limits (256 and 32768 characters) rather than rejected.
func (w *Workflow) SendTaskFailure(ctx context.Context, token, code, cause string) error {
	_, err := w.client.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{
		TaskToken: aws.String(token),
		Error:     aws.String(truncate(code, maxErrorLen)),
		Cause:     aws.String(truncate(cause, maxCauseLen)),
	})
	return taskErr("send task failure", token, err)
}

// SendTaskHeartbeat tells Step Functions the task on token is still alive.
func (w *Workflow) SendTaskHeartbeat(ctx context.Context, token string) error {
	_, err := w.client.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{
		TaskToken: aws.String(token),
	})
	return taskErr("send task heartbeat", token, err)
}

// taskErr wraps a task call's error with the operation and a fingerprint of
// the token (never the token: it is a bearer credential for the task), and
// marks the errors that mean nothing waits on the token as app.ErrTaskGone.
func taskErr(op, token string, err error) error {
	if err == nil {
		return nil
	}
	var (
		timedOut *types.TaskTimedOut
		missing  *types.TaskDoesNotExist
		invalid  *types.InvalidToken
	)
	if errors.As(err, &timedOut) || errors.As(err, &missing) || errors.As(err, &invalid) {
		return fmt.Errorf("sfn: %s (token %s): %w: %w", op, TokenRef(token), app.ErrTaskGone, err)
	}
	return fmt.Errorf("sfn: %s (token %s): %w", op, TokenRef(token), err)
}

// TokenRef is a short, stable fingerprint of a task token for logs and
// errors: the first 12 hex digits of its SHA-256.
func TokenRef(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:6])
}

// truncate cuts s to at most n characters (runes), as Step Functions counts them.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for count := 0; count < n; count++ {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i]
}

// maxNameLen is Step Functions' limit on execution names.
const maxNameLen = 80

// hashLen is how many hex digits of SHA-256 a derived name carries.
const hashLen = 16

// ExecutionName derives the execution name for id: prefix and id joined by
// "-" when that is already a valid name (1–80 characters of [0-9A-Za-z_-]:
// Step Functions rejects whitespace, brackets, wildcards and most
// punctuation, and CloudWatch Logs only carries this set), so names stay
// readable; otherwise the invalid characters become "_", the result is
// cut to leave room, and "-" plus 16 hex digits of the SHA-256 of prefix and
// id are appended, so distinct ids still get distinct names. The same
// prefix and id always give the same name, which is what makes Start
// idempotent.
func ExecutionName(prefix, id string) string {
	name := id
	if prefix != "" {
		name = prefix + "-" + id
	}
	if len(name) > 0 && len(name) <= maxNameLen && validName(name) {
		return name
	}
	var b strings.Builder
	for _, r := range name {
		if validNameRune(r) {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
		if b.Len() >= maxNameLen-1-hashLen {
			break
		}
	}
	sum := sha256.Sum256([]byte(prefix + "\x00" + id))
	hash := hex.EncodeToString(sum[:])[:hashLen]
	if b.Len() == 0 {
		return hash
	}
	return b.String() + "-" + hash
}

func validName(s string) bool {
	for _, r := range s {
		if !validNameRune(r) {
			return false
		}
	}
	return true
}

func validNameRune(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_'
}
