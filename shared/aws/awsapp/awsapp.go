// Package awsapp builds the application core for a Lambda function from
// its environment, with the AWS adapters it is allowed to use. Each
// function declares what it needs; the template check holds the SAM
// template's environment and IAM policies to the same declaration.
//
// The DynamoDB table is always connected. Every other service comes as an
// Adapter from a sub-package (sesclient, smsclient, sfnclient, sqsclient)
// that a function's main passes to New: importing the sub-package is what
// links that SDK client, so each binary carries, and initialises at start,
// only the clients it uses. Input validation is an Adapter too
// (validating.Validator()): the validator library makes the linker keep
// every exported method of every reachable type, so only the functions
// that take untrusted input link it. New checks the adapters against
// Functions.
//
// A main then calls lambda.Start, without lambda.WithEnableSIGTERM: that
// option registers an internal extension, one more Runtime API round trip
// before the first `next` (about 2 ms of init here), only so that Lambda
// sends SIGTERM before ending the process; with no callback to run, Go's
// default action for SIGTERM is to exit at once, as if it had not been
// sent. Pass it again only with a callback that has work to do.
package awsapp

import (
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/cxloop/cxloop/shared/aws/dynamo"
	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/core/store"
	"github.com/cxloop/cxloop/shared/domain/message"
	"github.com/cxloop/cxloop/shared/domain/token"
	"github.com/cxloop/cxloop/shared/platform/config"
)

// Needs says which outside services a function may use. Everything uses
// the table.
type Needs struct {
	Mail, SMS, Workflow, TaskTokens, Queue bool
	// APIKey: the function serves the API and needs CXLOOP_API_KEY.
	APIKey bool
	// Validates: the function takes input from outside (an HTTP request,
	// an event, a text message) and the core must validate it.
	Validates bool
}

// Functions declares every Lambda function's needs, by folder name.
var Functions = map[string]Needs{
	"api":             {Mail: true, Workflow: true, TaskTokens: true, Queue: true, APIKey: true, Validates: true},
	"send-survey":     {Mail: true, SMS: true, Queue: true}, // Queue: throttled surveys go back on it
	"inbound-sms":     {SMS: true, Workflow: true, Validates: true},
	"ses-events":      {Mail: true},
	"sweeper":         {Mail: true, SMS: true, Workflow: true},
	"ingest-event":    {Queue: true, Validates: true},
	"assign-owner":    {},
	"notify-owner":    {Mail: true},
	"escalate":        {Mail: true},
	"reassigned":      {},
	"record-outcome":  {},
	"notify-customer": {Mail: true, SMS: true},
	"ask-recovery":    {Mail: true, SMS: true},
	"record-failure":  {},
}

// Actions lists the IAM actions the needs require, sorted.
func (n Needs) Actions() []string {
	a := []string{"dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"}
	if n.Mail {
		a = append(a, "ses:SendEmail")
	}
	if n.SMS {
		a = append(a, "sms-voice:SendTextMessage")
	}
	if n.Workflow {
		a = append(a, "states:StartExecution")
	}
	if n.TaskTokens {
		a = append(a, "states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat")
	}
	if n.Queue {
		a = append(a, "sqs:SendMessage")
	}
	slices.Sort(a)
	return a
}

// Env lists the environment variables the function must have, sorted.
// The CXLOOP_* tuning variables (config.Variables) are optional, and so
// are those of Optional.
func (n Needs) Env() []string {
	e := []string{"TABLE_NAME", "CXLOOP_SIGNING_KEY", "CXLOOP_BASE_URL"}
	if n.Mail {
		e = append(e, "SES_FROM", "SES_CONFIGURATION_SET")
	}
	if n.Workflow || n.TaskTokens {
		e = append(e, "STATE_MACHINE_ARN")
	}
	if n.Queue {
		e = append(e, "SEND_QUEUE_URL")
	}
	if n.APIKey {
		e = append(e, "CXLOOP_API_KEY")
	}
	slices.Sort(e)
	return e
}

// Optional lists the environment variables the function reads that may be
// empty, sorted: the template passes each one (a parameter that may be
// left empty), and an empty one switches its feature off instead of
// stopping the function. SMS is off without SMS_ORIGINATION_IDENTITY,
// which every function reads, since every core must know whether it may
// take an SMS survey (app.Config.SMSOff); SMS_CONFIGURATION_SET and
// SMS_OPT_OUT_LIST only tune texts when SMS is on.
func (n Needs) Optional() []string {
	o := []string{"SMS_ORIGINATION_IDENTITY"}
	if n.SMS {
		o = append(o, "SMS_CONFIGURATION_SET", "SMS_OPT_OUT_LIST")
	}
	slices.Sort(o)
	return o
}

// Service is an outside service a function may use besides the table, or
// input validation, which is linked in the same way.
type Service string

// The services, named as errors name them.
const (
	Mail     Service = "email"
	SMS      Service = "SMS"
	Workflow Service = "Step Functions"
	Queue    Service = "the send queue"
	// Validation is not an outside service but a library that only
	// some functions may link; see Needs.Validates.
	Validation Service = "input validation"
)

// Services lists the services the needs call for, in a fixed order: the
// Adapters a function's main must pass to New.
func (n Needs) Services() []Service {
	var s []Service
	if n.Mail {
		s = append(s, Mail)
	}
	if n.SMS {
		s = append(s, SMS)
	}
	if n.Workflow || n.TaskTokens {
		s = append(s, Workflow)
	}
	if n.Queue {
		s = append(s, Queue)
	}
	if n.Validates {
		s = append(s, Validation)
	}
	return s
}

// adapterFuncs names the constructor of each service's Adapter, for
// error messages.
var adapterFuncs = map[Service]string{
	Mail: "sesclient.Mailer()", SMS: "smsclient.Texter()", Workflow: "sfnclient.Workflow()", Queue: "sqsclient.Queue()",
	Validation: "validating.Validator()",
}

// Adapter connects a function's core to one outside service (or to input
// validation).
type Adapter struct {
	Service Service
	// Connect puts the service's port into deps. New has checked that
	// the environment variables the function declares are set.
	Connect func(c Conn, deps *app.Deps)
}

// Conn is what an Adapter connects with.
type Conn struct {
	AWS    aws.Config
	Getenv func(string) string
	Logger *slog.Logger
}

// checkAdapters reports which declared services have no adapter and
// which adapters the function is not declared to use.
func checkAdapters(function string, needs Needs, adapters []Adapter) error {
	want := needs.Services()
	var got []Service
	for _, a := range adapters {
		if slices.Contains(got, a.Service) {
			return fmt.Errorf("function %s: two adapters for %s", function, a.Service)
		}
		got = append(got, a.Service)
	}
	var problems []string
	for _, s := range want {
		if !slices.Contains(got, s) {
			problems = append(problems, fmt.Sprintf("needs %s: pass %s", s, adapterFuncs[s]))
		}
	}
	for _, s := range got {
		if !slices.Contains(want, s) {
			problems = append(problems, fmt.Sprintf("is not declared to use %s (see awsapp.Functions): drop %s", s, adapterFuncs[s]))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("function %s: adapters passed to awsapp.New do not match its needs: %s", function, strings.Join(problems, "; "))
	}
	return nil
}

// Built is a function's core and what else its handler needs.
type Built struct {
	App    *app.App
	APIKey string
	Logger *slog.Logger
	// Conn is what the adapters connected with, for a handler that needs
	// a client of its own (send-survey's queue for throttled surveys).
	Conn Conn
	// PageRatePerMinute limits each client address on the link pages
	// (CXLOOP_PAGE_RATE_PER_MINUTE, default 120; 0 turns it off).
	PageRatePerMinute int
}

// New builds the core for the named function from its environment and
// the default AWS configuration, once, before lambda.Start, with exactly
// the adapters the function's needs call for. An AWS endpoint override
// (AWS_ENDPOINT_URL, as LocalStack uses) is honoured by the SDK itself.
func New(ctx context.Context, function string, log *slog.Logger, adapters ...Adapter) (*Built, error) {
	needs, ok := Functions[function]
	if !ok {
		return nil, fmt.Errorf("unknown function %q", function)
	}
	if err := checkAdapters(function, needs, adapters); err != nil {
		return nil, err
	}
	getenv := os.Getenv
	var missing []string
	for _, name := range needs.Env() {
		if getenv(name) == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("function %s: environment variables not set: %s", function, strings.Join(missing, ", "))
	}
	cfg, err := config.App(getenv)
	if err != nil {
		return nil, err
	}
	cfg.SMSOff = getenv("SMS_ORIGINATION_IDENTITY") == ""
	key, err := hex.DecodeString(getenv("CXLOOP_SIGNING_KEY"))
	if err != nil {
		return nil, fmt.Errorf("CXLOOP_SIGNING_KEY must be hex: %w", err)
	}
	signer, err := token.NewSigner(key)
	if err != nil {
		return nil, fmt.Errorf("CXLOOP_SIGNING_KEY: %w", err)
	}
	awsCfg, err := sdkConfig(getenv)
	if err != nil {
		return nil, err
	}
	conn := Conn{AWS: awsCfg, Getenv: getenv, Logger: log}
	ddb := dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) { o.BaseEndpoint = conn.Endpoint(dynamodb.ServiceID) })
	deps := app.Deps{
		Store:  store.New(dynamo.New(ddb, getenv("TABLE_NAME"))),
		Clock:  systemClock{},
		Signer: signer,
		Logger: log,
	}
	deps.Mailer, deps.Texter, deps.Workflow, deps.Queue = withholding(function)
	deps.Validator = withheld{function, Validation}
	for _, a := range adapters {
		a.Connect(conn, &deps)
	}
	cfg.InitialAPIKey = getenv("CXLOOP_API_KEY")
	a, err := app.New(cfg, deps)
	if err != nil {
		return nil, err
	}
	rate := 120
	if v := getenv("CXLOOP_PAGE_RATE_PER_MINUTE"); v != "" {
		if rate, err = strconv.Atoi(v); err != nil || rate < 0 {
			return nil, fmt.Errorf("CXLOOP_PAGE_RATE_PER_MINUTE=%q: want a whole number of requests per minute, 0 for no limit", v)
		}
	}
	return &Built{App: a, APIKey: getenv("CXLOOP_API_KEY"), Logger: log, Conn: conn, PageRatePerMinute: rate}, nil
}

// withheld stands in for a service a function is not allowed to use: a
// call is a bug in the function's declared needs, reported clearly
// instead of as an IAM AccessDenied from deep inside the SDK.
type withheld struct {
	function string
	service  Service
}

func (w withheld) err() error {
	return fmt.Errorf("function %s is not set up to use %s (see awsapp.Functions)", w.function, w.service)
}

func (w withheld) SendEmail(context.Context, message.Email) (string, error) { return "", w.err() }
func (w withheld) SendSMS(context.Context, message.SMS) (string, error)     { return "", w.err() }
func (w withheld) Start(context.Context, string, []byte) error              { return w.err() }
func (w withheld) SendTaskSuccess(context.Context, string, []byte) error    { return w.err() }
func (w withheld) SendTaskFailure(context.Context, string, string, string) error {
	return w.err()
}
func (w withheld) SendTaskHeartbeat(context.Context, string) error { return w.err() }
func (w withheld) EnqueueSend(context.Context, string) error       { return w.err() }

// Struct refuses to check, so that the input is refused rather than taken
// unchecked.
func (w withheld) Struct(any) error {
	return fmt.Errorf("function %s is not set up to validate input (see awsapp.Functions)", w.function)
}

// Locale knows no locale; the core asks it only about input Struct passed,
// which here is none.
func (w withheld) Locale(string) (string, bool) { return "", false }

func withholding(function string) (app.Mailer, app.Texter, app.Workflow, app.Queue) {
	return withheld{function, Mail}, withheld{function, SMS}, withheld{function, Workflow}, withheld{function, Queue}
}

// systemClock is the machine's clock, in UTC: the Clock port in AWS.
type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now().UTC() }
