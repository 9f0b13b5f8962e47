package sqs_test

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/cxloop/cxloop/shared/aws/sqs"
	"github.com/cxloop/cxloop/shared/aws/sqs/sendmsg"
	"github.com/cxloop/cxloop/shared/testkit/awswire"
)

const queueURL = "https://sqs.us-east-1.amazonaws.com/123456789012/cxloop-send"

// sent is SQS's answer to SendMessage; the SDK checks MD5OfMessageBody
// against the body it sent, so the answer must carry the real digest.
func sent(body string) awswire.Response {
	sum := md5.Sum([]byte(body))
	return awswire.JSON10(fmt.Sprintf(`{"MD5OfMessageBody":%q,"MessageId":"5fea7756-0ea4-451a-a703-a558b933e274"}`,
		hex.EncodeToString(sum[:])))
}

// sqsError is SQS's JSON error shape: __type in the body and the query
// protocol's code in x-amzn-query-error.
func sqsError(status int, code, queryCode, message string) awswire.Response {
	return awswire.JSON10Error(status, "com.amazonaws.sqs", code, message, nil).
		WithHeader("x-amzn-query-error", queryCode)
}

func TestEnqueueSend(t *testing.T) {
	t.Parallel()
	const wantBody = `{"survey_id":"sv_01J0ABC"}`
	throttled := sqsError(400, "RequestThrottled", "RequestThrottled;Sender", "Request is throttled.")
	tests := []struct {
		name     string
		script   []awswire.Response
		calls    int
		wantErr  bool
		wantType any
	}{
		{name: "sent", script: []awswire.Response{sent(wantBody)}, calls: 1},
		{name: "throttled then sent", script: []awswire.Response{throttled, sent(wantBody)}, calls: 2},
		{name: "missing queue", script: []awswire.Response{
			sqsError(400, "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue;Sender", "The specified queue does not exist."),
		}, calls: 1, wantErr: true, wantType: new(*types.QueueDoesNotExist)},
		{name: "digest mismatch", script: []awswire.Response{sent(`{"survey_id":"other"}`)}, calls: 1, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := awswire.NewServer(t, tt.script...)
			q := sqs.New(awssqs.NewFromConfig(srv.Config()), queueURL)
			err := q.EnqueueSend(awswire.Context(t), "sv_01J0ABC")
			if (err != nil) != tt.wantErr {
				t.Fatalf("EnqueueSend error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "enqueue send sv_01J0ABC") {
				t.Errorf("error %q does not name the operation and survey", err)
			}
			if tt.wantType != nil && !errors.As(err, tt.wantType) {
				t.Errorf("error %v is not %T", err, tt.wantType)
			}
			reqs := srv.Requests()
			if len(reqs) != tt.calls {
				t.Fatalf("server got %d requests, want %d", len(reqs), tt.calls)
			}
			for _, r := range reqs {
				if r.Method != http.MethodPost || r.Path != "/" {
					t.Errorf("request = %s %s, want POST /", r.Method, r.Path)
				}
				if got := r.Target(); got != "AmazonSQS.SendMessage" {
					t.Errorf("X-Amz-Target = %q, want AmazonSQS.SendMessage", got)
				}
				if got := r.Header.Get("Content-Type"); got != "application/x-amz-json-1.0" {
					t.Errorf("Content-Type = %q, want application/x-amz-json-1.0", got)
				}
				body := r.JSON(t)
				if body["QueueUrl"] != queueURL || body["MessageBody"] != wantBody {
					t.Errorf("body = %v, want QueueUrl %s and MessageBody %s", body, queueURL, wantBody)
				}
				for _, fifoOnly := range []string{"MessageDeduplicationId", "MessageGroupId"} {
					if _, ok := body[fifoOnly]; ok {
						t.Errorf("body sets %s, a FIFO-only field, on a standard queue", fifoOnly)
					}
				}
			}
		})
	}
}

func TestEnqueueSendEmptyID(t *testing.T) {
	t.Parallel()
	srv := awswire.NewServer(t, sent(`{}`))
	q := sqs.New(awssqs.NewFromConfig(srv.Config()), queueURL)
	if err := q.EnqueueSend(awswire.Context(t), ""); err == nil {
		t.Fatal("EnqueueSend(\"\") succeeded, want an error")
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("server got %d requests, want none", n)
	}
}

// TestRoundTrip proves the consumer reads exactly what the producer sends.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"sv_1", `sv "quoted" \ ü`} {
		body := fmt.Sprintf(`{"survey_id":%q}`, id)
		srv := awswire.NewServer(t, sent(body))
		q := sqs.New(awssqs.NewFromConfig(srv.Config()), queueURL)
		if err := q.EnqueueSend(awswire.Context(t), id); err != nil {
			t.Fatalf("EnqueueSend(%q): %v", id, err)
		}
		msg := srv.Only(t).JSON(t)["MessageBody"].(string)
		got, err := sendmsg.Parse(msg)
		if err != nil || got.SurveyID != id {
			t.Errorf("sendmsg.Parse(%s) = %q, %v; want %q", msg, got.SurveyID, err, id)
		}
	}
}
