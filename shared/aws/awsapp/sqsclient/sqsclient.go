// Package sqsclient connects a function to the SQS send queue. Only the
// functions whose main imports it link the SQS client.
package sqsclient

import (
	sqssdk "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/cxloop/cxloop/shared/aws/awsapp"
	"github.com/cxloop/cxloop/shared/aws/sqs"
	"github.com/cxloop/cxloop/shared/core/app"
)

// Queue enqueues survey sends on SEND_QUEUE_URL.
func Queue() awsapp.Adapter {
	return awsapp.Adapter{Service: awsapp.Queue, Connect: func(c awsapp.Conn, deps *app.Deps) {
		deps.Queue = New(c)
	}}
}

// New returns the send queue on SEND_QUEUE_URL, for a handler that puts
// surveys back on it (lambdafn.SendSurveys).
func New(c awsapp.Conn) *sqs.Queue {
	return sqs.New(sqssdk.NewFromConfig(c.AWS, func(o *sqssdk.Options) { o.BaseEndpoint = c.Endpoint(sqssdk.ServiceID) }), c.Getenv("SEND_QUEUE_URL"))
}
