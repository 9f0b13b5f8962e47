package awsfake

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// FunctionEnv is the configuration every cxloop function gets when run
// locally against the fakes (awsapp.Needs.Env lists what each requires).
// The api events in events/ authenticate with CXLOOP_API_KEY.
var FunctionEnv = []string{
	"CXLOOP_SIGNING_KEY=" + strings.Repeat("5eed", 16), // 32 bytes, hex
	"CXLOOP_API_KEY=test-api-key",
	"CXLOOP_BASE_URL=https://api.example.com",
	"SES_FROM=surveys@example.com",
	"SES_CONFIGURATION_SET=cxloop",
	"SMS_ORIGINATION_IDENTITY=+15550100000",
	"SMS_CONFIGURATION_SET=cxloop",
	"STATE_MACHINE_ARN=arn:aws:states:us-east-1:123456789012:stateMachine:cxloop-closed-loop",
	"SEND_QUEUE_URL=https://sqs.us-east-1.amazonaws.com/123456789012/cxloop-send",
}

// Stack is the AWS a function runs against locally: the fake server for
// SES v2, SMS, Step Functions and SQS, and dynalite holding cxloop's table.
type Stack struct {
	Fake *Server
	// DynamoDB is dynalite's endpoint.
	DynamoDB string
	// Table is the table created in it.
	Table string

	dynalite *Dynalite
}

// StartStack starts the fake server and dynalite and creates the table.
// Its error wraps ErrNotInstalled when dynalite is missing.
func StartStack(ctx context.Context, table string) (*Stack, error) {
	d, err := RunDynalite(ctx)
	if err != nil {
		return nil, err
	}
	if err := CreateTable(ctx, d.Endpoint, table); err != nil {
		d.Close()
		return nil, err
	}
	fake, err := Start()
	if err != nil {
		d.Close()
		return nil, err
	}
	return &Stack{Fake: fake, DynamoDB: d.Endpoint, Table: table, dynalite: d}, nil
}

// NewStack starts a Stack for the test, stopped when it ends; a missing
// dynalite skips the test, or fails it when CXLOOP_REQUIRE_DYNALITE is
// set.
func NewStack(tb TB, table string) *Stack {
	tb.Helper()
	s, err := StartStack(tb.Context(), table)
	if errors.Is(err, ErrNotInstalled) {
		skipOrFail(tb, err)
	}
	if err != nil {
		tb.Fatalf("awsfake stack: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Env is FunctionEnv plus TABLE_NAME and the endpoint variables that send
// every AWS call the functions make to the stack.
func (s *Stack) Env() []string {
	env := append([]string{"TABLE_NAME=" + s.Table, DynamoDBEndpointVar + "=" + s.DynamoDB}, FunctionEnv...)
	return append(env, s.Fake.Env()...)
}

// Describe says where each service's calls go, for people.
func (s *Stack) Describe() string {
	return fmt.Sprintf("DynamoDB → dynalite %s (table %s); SES v2, SMS, Step Functions, SQS → awsfake %s", s.DynamoDB, s.Table, s.Fake.URL)
}

// Close stops the fake server and dynalite.
func (s *Stack) Close() {
	s.Fake.Close()
	s.dynalite.Close()
}
