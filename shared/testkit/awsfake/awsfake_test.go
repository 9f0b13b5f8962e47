package awsfake_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/cxloop/cxloop/shared/testkit/awsfake"
)

// sdkConfig loads the SDK's default configuration from an environment
// holding only env, the way a function in the harness does, so the
// endpoint variable names are checked against the SDK itself.
func sdkConfig(t *testing.T, env []string) aws.Config {
	t.Helper()
	for _, k := range []string{"AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	cfg, err := awsconfig.LoadDefaultConfig(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestEndpointVarsSendEveryServiceToTheFake(t *testing.T) {
	fake := awsfake.New(t)
	cfg := sdkConfig(t, fake.Env())
	ctx := t.Context()

	sent, err := sesv2.NewFromConfig(cfg).SendEmail(ctx, &sesv2.SendEmailInput{
		FromEmailAddress: aws.String("surveys@example.com"),
		Destination:      &sestypes.Destination{ToAddresses: []string{"ana@example.com"}},
		Content: &sestypes.EmailContent{Simple: &sestypes.Message{
			Subject: &sestypes.Content{Data: aws.String("How did we do?")},
			Body:    &sestypes.Body{Text: &sestypes.Content{Data: aws.String("Reply 0-10")}},
		}},
	})
	if err != nil || aws.ToString(sent.MessageId) == "" {
		t.Fatalf("SES SendEmail = %+v, %v", sent, err)
	}
	sms := pinpointsmsvoicev2.NewFromConfig(cfg)
	text, err := sms.SendTextMessage(ctx, &pinpointsmsvoicev2.SendTextMessageInput{
		DestinationPhoneNumber: aws.String("+15555550100"), MessageBody: aws.String("Reply 0-10"),
	})
	if err != nil || aws.ToString(text.MessageId) == "" {
		t.Fatalf("SMS SendTextMessage = %+v, %v", text, err)
	}
	opted, err := sms.DescribeOptedOutNumbers(ctx, &pinpointsmsvoicev2.DescribeOptedOutNumbersInput{OptOutListName: aws.String("cxloop")})
	if err != nil || len(opted.OptedOutNumbers) != 0 {
		t.Fatalf("SMS DescribeOptedOutNumbers = %+v, %v", opted, err)
	}
	states := sfn.NewFromConfig(cfg)
	started, err := states.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String("arn:aws:states:us-east-1:123456789012:stateMachine:loop"),
		Name:            aws.String("loop-r1"), Input: aws.String(`{}`),
	})
	if err != nil || aws.ToString(started.ExecutionArn) != "arn:aws:states:us-east-1:123456789012:execution:loop:loop-r1" || started.StartDate == nil {
		t.Fatalf("SFN StartExecution = %+v, %v", started, err)
	}
	if _, err := states.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String("tok"), Output: aws.String(`{"ok":true}`)}); err != nil {
		t.Fatalf("SendTaskSuccess: %v", err)
	}
	if _, err := states.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String("tok"), Error: aws.String("E")}); err != nil {
		t.Fatalf("SendTaskFailure: %v", err)
	}
	if _, err := states.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String("tok")}); err != nil {
		t.Fatalf("SendTaskHeartbeat: %v", err)
	}
	// The SDK checks MD5OfMessageBody against the body it sent.
	msg, err := sqs.NewFromConfig(cfg).SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl: aws.String("https://sqs.us-east-1.amazonaws.com/123456789012/send"), MessageBody: aws.String(`{"survey_id":"s1"}`),
	})
	if err != nil || aws.ToString(msg.MessageId) == "" {
		t.Fatalf("SQS SendMessage = %+v, %v", msg, err)
	}

	var ops []string
	for _, c := range fake.Calls() {
		if c.Status != http.StatusOK {
			t.Errorf("%s %s answered %d", c.Service, c.Operation, c.Status)
		}
		ops = append(ops, c.Service+"."+c.Operation)
	}
	want := "SESv2.SendEmail Pinpoint SMS Voice V2.SendTextMessage Pinpoint SMS Voice V2.DescribeOptedOutNumbers SFN.StartExecution SFN.SendTaskSuccess SFN.SendTaskFailure SFN.SendTaskHeartbeat SQS.SendMessage"
	if got := strings.Join(ops, " "); got != want {
		t.Errorf("calls:\n got %s\nwant %s", got, want)
	}
	var email struct {
		Destination struct{ ToAddresses []string }
	}
	if err := fake.CallsTo(awsfake.SESv2, "SendEmail")[0].Decode(&email); err != nil || email.Destination.ToAddresses[0] != "ana@example.com" {
		t.Errorf("recorded email body = %+v, %v", email, err)
	}
}

func TestFaultsArriveAsTypedServiceErrors(t *testing.T) {
	fake := awsfake.New(t)
	cfg := sdkConfig(t, fake.Env())
	fake.Fail(awsfake.SFN, "SendTaskSuccess", awsfake.Fault{Code: "TaskDoesNotExist", Message: "gone"})
	_, err := sfn.NewFromConfig(cfg).SendTaskSuccess(t.Context(), &sfn.SendTaskSuccessInput{TaskToken: aws.String("tok"), Output: aws.String(`{}`)})
	var missing *sfntypes.TaskDoesNotExist
	if !errors.As(err, &missing) {
		t.Errorf("SendTaskSuccess error = %v, want *types.TaskDoesNotExist", err)
	}
	fake.Fail(awsfake.SESv2, "SendEmail", awsfake.Fault{Code: "MessageRejected", Message: "no"})
	_, err = sesv2.NewFromConfig(cfg).SendEmail(t.Context(), &sesv2.SendEmailInput{
		Destination: &sestypes.Destination{ToAddresses: []string{"a@example.com"}},
		Content:     &sestypes.EmailContent{Raw: &sestypes.RawMessage{Data: []byte("x")}},
	})
	var rejected *sestypes.MessageRejected
	if !errors.As(err, &rejected) {
		t.Errorf("SendEmail error = %v, want *types.MessageRejected", err)
	}
	fake.Recover(awsfake.SFN, "SendTaskSuccess")
	if _, err := sfn.NewFromConfig(cfg).SendTaskSuccess(t.Context(), &sfn.SendTaskSuccessInput{TaskToken: aws.String("tok"), Output: aws.String(`{}`)}); err != nil {
		t.Errorf("after Recover: %v", err)
	}
}

func TestRefusesWhatAWSWouldRefuse(t *testing.T) {
	t.Parallel()
	fake := awsfake.New(t)
	signed := "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/states/aws4_request, SignedHeaders=host, Signature=00"
	tests := []struct {
		name, target, path, auth, body, code string
		status                               int
	}{
		{name: "unsigned", target: "AWSStepFunctions.StartExecution", body: `{"stateMachineArn":"arn"}`, status: 403, code: "MissingAuthenticationTokenException"},
		{name: "missing field", target: "AmazonSQS.SendMessage", auth: signed, body: `{"QueueUrl":"q"}`, status: 400, code: "ValidationException"},
		{name: "bad output", target: "AWSStepFunctions.SendTaskSuccess", auth: signed, body: `{"taskToken":"t","output":"{"}`, status: 400, code: "InvalidOutput"},
		{name: "email without recipient", path: "/v2/email/outbound-emails", auth: signed, body: `{"Content":{}}`, status: 400, code: "ValidationException"},
		{name: "unknown operation", target: "AWSStepFunctions.DeleteStateMachine", auth: signed, body: `{}`, status: 400, code: "UnknownOperationException"},
		{name: "unknown service", target: "DynamoDB_20120810.GetItem", auth: signed, body: `{}`, status: 404, code: "UnknownOperationException"},
	}
	for _, tt := range tests {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, fake.URL+tt.path, strings.NewReader(tt.body))
		if tt.target != "" {
			req.Header.Set("X-Amz-Target", tt.target)
			req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		}
		if tt.auth != "" {
			req.Header.Set("Authorization", tt.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		code := resp.Header.Get("X-Amzn-ErrorType")
		if resp.StatusCode != tt.status {
			t.Errorf("%s: status %d, want %d", tt.name, resp.StatusCode, tt.status)
		}
		if tt.path != "" && code != tt.code {
			t.Errorf("%s: X-Amzn-ErrorType %q, want %q", tt.name, code, tt.code)
		}
	}
	if n := len(fake.Calls()); n != len(tests) {
		t.Errorf("recorded %d calls, want %d", n, len(tests))
	}
}

func TestStackServesTheTable(t *testing.T) {
	stack := awsfake.NewStack(t, "cxloop-awsfake-test")
	env := stack.Env()
	cfg := sdkConfig(t, env)
	out, err := dynamodb.NewFromConfig(cfg).DescribeTable(t.Context(), &dynamodb.DescribeTableInput{TableName: aws.String(stack.Table)})
	if err != nil {
		t.Fatalf("DescribeTable through %s: %v", awsfake.DynamoDBEndpointVar, err)
	}
	if len(out.Table.GlobalSecondaryIndexes) == 0 {
		t.Errorf("table has no indexes: %+v", out.Table)
	}
	for _, want := range []string{"TABLE_NAME=cxloop-awsfake-test", "CXLOOP_API_KEY=test-api-key", "AWS_ENDPOINT_URL_SFN=" + stack.Fake.URL} {
		if !contains(env, want) {
			t.Errorf("Env lacks %s", want)
		}
	}
	var apiErr smithy.APIError
	_, err = dynamodb.NewFromConfig(cfg).DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String("nope")})
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ResourceNotFoundException" {
		t.Errorf("missing table error = %v", err)
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// A forwarded service reaches the emulator behind the fake and is
// recorded on the way; a fault is answered in front of it; the control
// routes give the calls and set faults from another process.
func TestForwardRecordsAndFaults(t *testing.T) {
	upstream := awsfake.New(t)
	front := awsfake.New(t)
	if err := front.Forward(awsfake.SFN, upstream.URL); err != nil {
		t.Fatal(err)
	}
	if err := front.Forward("Nope", upstream.URL); err == nil {
		t.Error("Forward accepted an unknown service")
	}
	states := sfn.NewFromConfig(sdkConfig(t, front.Env()))
	ctx := t.Context()
	start := &sfn.StartExecutionInput{StateMachineArn: aws.String("arn:aws:states:us-east-1:123456789012:stateMachine:loop"), Name: aws.String("loop-f1")}
	if _, err := states.StartExecution(ctx, start); err != nil {
		t.Fatalf("forwarded StartExecution: %v", err)
	}
	if n, m := len(front.CallsTo(awsfake.SFN, "StartExecution")), len(upstream.CallsTo(awsfake.SFN, "StartExecution")); n != 1 || m != 1 {
		t.Fatalf("front recorded %d, upstream answered %d StartExecution calls; want 1 and 1", n, m)
	}

	put := func(method string, body string) int {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, method, front.URL+awsfake.ControlPath+"faults", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if code := put(http.MethodPut, `{"service":"SFN","operation":"StartExecution","fault":{"Status":400,"Code":"ExecutionLimitExceeded","Message":"too many"}}`); code != http.StatusNoContent {
		t.Fatalf("PUT faults = %d", code)
	}
	_, err := states.StartExecution(ctx, start)
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ExecutionLimitExceeded" {
		t.Fatalf("StartExecution with a fault = %v, want ExecutionLimitExceeded", err)
	}
	if n := len(upstream.CallsTo(awsfake.SFN, "StartExecution")); n != 1 {
		t.Errorf("a faulted call reached the upstream (%d calls)", n)
	}
	front.Recover(awsfake.SFN, "StartExecution")
	other := &sfn.StartExecutionInput{StateMachineArn: start.StateMachineArn, Name: aws.String("loop-f2")}
	if code := put(http.MethodPut, `{"service":"SFN","operation":"StartExecution","fault":{"Code":"ExecutionLimitExceeded","Match":"loop-f1"}}`); code != http.StatusNoContent {
		t.Fatalf("PUT faults = %d", code)
	}
	if _, err := states.StartExecution(ctx, other); err != nil {
		t.Errorf("a fault matching loop-f1 failed loop-f2: %v", err)
	}
	if _, err := states.StartExecution(ctx, start); !errors.As(err, &ae) || ae.ErrorCode() != "ExecutionLimitExceeded" {
		t.Errorf("a fault matching loop-f1 let it through: %v", err)
	}
	// Two faults with different matches stand side by side; recovering
	// one leaves the other.
	third := &sfn.StartExecutionInput{StateMachineArn: start.StateMachineArn, Name: aws.String("loop-f3")}
	front.Fail(awsfake.SFN, "StartExecution", awsfake.Fault{Code: "ExecutionLimitExceeded", Match: "loop-f3"})
	front.Recover(awsfake.SFN, "StartExecution", "loop-f3")
	if _, err := states.StartExecution(ctx, third); err != nil {
		t.Errorf("loop-f3 failed after its fault was recovered: %v", err)
	}
	if code := put(http.MethodDelete, `{"service":"SFN","operation":"StartExecution"}`); code != http.StatusNoContent {
		t.Fatalf("DELETE faults = %d", code)
	}
	if code := put(http.MethodPut, `not json`); code != http.StatusBadRequest {
		t.Errorf("PUT faults with a bad body = %d, want 400", code)
	}
	if _, err := states.StartExecution(ctx, start); err != nil {
		t.Fatalf("StartExecution after recovery: %v", err)
	}

	res, err := http.Get(front.URL + awsfake.ControlPath + "calls")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var calls []awsfake.Call
	if err := json.NewDecoder(res.Body).Decode(&calls); err != nil {
		t.Fatal(err)
	}
	var statuses []int
	for _, c := range calls {
		if c.Operation == "StartExecution" {
			statuses = append(statuses, c.Status)
		}
	}
	if fmt.Sprint(statuses) != "[200 400 200 400 200 200]" {
		t.Errorf("GET calls: StartExecution statuses %v, want [200 400 200 400 200 200]", statuses)
	}
}
