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

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/cxloop/cxloop/shared/app"
	"github.com/cxloop/cxloop/shared/sqs/sendmsg"
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
	if surveyID == "" {
		return errors.New("sqs: enqueue send: empty survey id")
	}
	body, err := sendmsg.Encode(surveyID)
	if err != nil {
		return fmt.Errorf("sqs: enqueue send %s: %w", surveyID, err)
	}
	_, err = q.client.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:    aws.String(q.queueURL),
		MessageBody: aws.String(body),
	})
	if err != nil {
		return fmt.Errorf("sqs: enqueue send %s: %w", surveyID, err)
	}
	return nil
}
