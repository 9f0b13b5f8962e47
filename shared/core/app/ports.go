package app

import (
	"context"
	"errors"
	"time"

	"github.com/cxloop/cxloop/shared/domain/message"
)

// Mailer sends an email and returns the provider's message id.
type Mailer interface {
	SendEmail(ctx context.Context, m message.Email) (string, error)
}

// Texter sends a text message and returns the provider's message id.
type Texter interface {
	SendSMS(ctx context.Context, m message.SMS) (string, error)
}

// Workflow runs closed-loop executions (Step Functions in AWS, the local
// ASL interpreter in dev).
type Workflow interface {
	// Start starts the execution called name; an execution that already
	// exists with that name is success, not an error.
	Start(ctx context.Context, name string, input []byte) error
	// SendTaskSuccess resumes the task waiting on token with output.
	// ErrTaskGone when the token is unknown, already used or timed out.
	SendTaskSuccess(ctx context.Context, token string, output []byte) error
	SendTaskFailure(ctx context.Context, token, code, cause string) error
	SendTaskHeartbeat(ctx context.Context, token string) error
}

// ErrTaskGone means a task token no longer has a waiting task behind it.
var ErrTaskGone = errors.New("task token is no longer waiting")

// Queue hands a survey to the sender (SQS in AWS, a goroutine in dev).
type Queue interface {
	EnqueueSend(ctx context.Context, surveyID string) error
}

// Clock tells the time; injected so SLAs can be fast-forwarded and tested.
type Clock interface {
	Now() time.Time
}
