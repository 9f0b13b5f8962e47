// Package sqs hands surveys from ingest to the sender through an Amazon SQS
// standard queue. It implements app.Queue on an injected SDK v2 client, and
// ParseSend decodes the same message on the consumer side, so the message
// format lives in one place.
//
// The queue is a standard queue: delivery is at least once and unordered,
// so MessageDeduplicationId and MessageGroupId (FIFO-only fields) are not
// sent. A message may arrive twice; the sender is idempotent per survey
// (it checks the survey's state before sending), which is cheaper than a
// FIFO queue's throughput limits.
package sqs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/cxloop/cxloop/shared/app"
)

// Client is the part of *sqs.Client the Queue uses.
type Client interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

var _ Client = (*sqs.Client)(nil)

// ErrMalformed means a message body is not a send message; retrying it
// cannot help, so a consumer should drop it (or let it reach the
// dead-letter queue) rather than fail the batch forever.
var ErrMalformed = errors.New("sqs: malformed send message")

// sendMessage is the body of a message on the send queue.
type sendMessage struct {
	SurveyID string `json:"survey_id"`
}

// Queue enqueues surveys on one queue.
type Queue struct {
	client   Client
	queueURL string
}

var _ app.Queue = (*Queue)(nil)

// New returns a Queue that sends to queueURL.
func New(client Client, queueURL string) *Queue {
	return &Queue{client: client, queueURL: queueURL}
}

// EnqueueSend puts {"survey_id": surveyID} on the queue.
func (q *Queue) EnqueueSend(ctx context.Context, surveyID string) error {
	if surveyID == "" {
		return errors.New("sqs: enqueue send: empty survey id")
	}
	body, err := json.Marshal(sendMessage{SurveyID: surveyID})
	if err != nil {
		return fmt.Errorf("sqs: enqueue send %s: %w", surveyID, err)
	}
	_, err = q.client.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:    aws.String(q.queueURL),
		MessageBody: aws.String(string(body)),
	})
	if err != nil {
		return fmt.Errorf("sqs: enqueue send %s: %w", surveyID, err)
	}
	return nil
}

// ParseSend returns the survey id of a send message body (an SQS record's
// body). Errors wrap ErrMalformed. Unknown fields are ignored so a newer
// producer can add fields without poisoning an older consumer mid-deploy.
func ParseSend(body string) (string, error) {
	dec := json.NewDecoder(strings.NewReader(body))
	var m sendMessage
	if err := dec.Decode(&m); err != nil {
		return "", fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); err != io.EOF {
		return "", fmt.Errorf("%w: data after the JSON object", ErrMalformed)
	}
	if m.SurveyID == "" {
		return "", fmt.Errorf("%w: no survey_id", ErrMalformed)
	}
	return m.SurveyID, nil
}
