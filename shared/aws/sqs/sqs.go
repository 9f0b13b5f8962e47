// Package sqs hands surveys from ingest to the sender through an Amazon SQS
// standard queue. It implements app.Queue on an injected SDK v2 client; the
// message format, and the parser the consumer uses, are in the SDK-free
// sendmsg package.
//
// The queue is a standard queue: delivery is at least once and unordered,
// so MessageDeduplicationId and MessageGroupId (FIFO-only fields) are not
// sent. A message may arrive twice; the sender is idempotent per survey
// (it checks the survey's state before sending), which is cheaper than a
// FIFO queue's throughput limits.
package sqs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/cxloop/cxloop/shared/aws/sqs/sendmsg"
	"github.com/cxloop/cxloop/shared/core/app"
)

// Client is the part of *sqs.Client the Queue uses.
type Client interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

var _ Client = (*sqs.Client)(nil)

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
	return q.enqueue(ctx, sendmsg.Message{SurveyID: surveyID}, 0)
}

// MaxDelay is the longest an SQS message can be delayed (DelaySeconds).
const MaxDelay = 15 * time.Minute

// EnqueueSendAfter puts a survey the provider throttled back on the queue,
// visible after delay (whole seconds, at most MaxDelay), counting the
// throttle in the message: a new message starts with a receive count of
// zero, so throttling never moves a survey towards the dead-letter queue.
func (q *Queue) EnqueueSendAfter(ctx context.Context, m sendmsg.Message, delay time.Duration) error {
	if delay < 0 || delay > MaxDelay {
		return fmt.Errorf("sqs: enqueue send %s: delay %s is outside 0 to %s", m.SurveyID, delay, MaxDelay)
	}
	return q.enqueue(ctx, m, int32(delay/time.Second))
}

func (q *Queue) enqueue(ctx context.Context, m sendmsg.Message, delaySeconds int32) error {
	if m.SurveyID == "" {
		return errors.New("sqs: enqueue send: empty survey id")
	}
	body, err := sendmsg.Encode(m)
	if err != nil {
		return fmt.Errorf("sqs: enqueue send %s: %w", m.SurveyID, err)
	}
	in := &sqs.SendMessageInput{
		QueueUrl:    aws.String(q.queueURL),
		MessageBody: aws.String(body),
	}
	if delaySeconds > 0 {
		in.DelaySeconds = delaySeconds
	}
	if _, err := q.client.SendMessage(ctx, in); err != nil {
		return fmt.Errorf("sqs: enqueue send %s: %w", m.SurveyID, err)
	}
	return nil
}
