// Package awsapp builds the application core for a Lambda function from
// its environment, with the AWS adapters it is allowed to use. Each
// function declares what it needs; the template check holds the SAM
// template's environment and IAM policies to the same declaration.
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

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sfnsdk "github.com/aws/aws-sdk-go-v2/service/sfn"
	sqssdk "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/cxloop/cxloop/shared/app"
	"github.com/cxloop/cxloop/shared/clock"
	"github.com/cxloop/cxloop/shared/config"
	"github.com/cxloop/cxloop/shared/dynamo"
	"github.com/cxloop/cxloop/shared/message"
	"github.com/cxloop/cxloop/shared/ses"
	"github.com/cxloop/cxloop/shared/sfn"
	"github.com/cxloop/cxloop/shared/sms"
	"github.com/cxloop/cxloop/shared/sqs"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/token"
)

// Needs says which outside services a function may use. Everything uses
// the table.
type Needs struct {
	Mail, SMS, Workflow, TaskTokens, Queue bool
	// APIKey: the function serves the API and needs CXLOOP_API_KEY.
	APIKey bool
}

// Functions declares every Lambda function's needs, by folder name.
var Functions = map[string]Needs{
	"api":             {Mail: true, Workflow: true, TaskTokens: true, Queue: true, APIKey: true},
	"send-survey":     {Mail: true, SMS: true},
	"inbound-sms":     {SMS: true, Workflow: true},
	"ses-events":      {Mail: true},
	"sweeper":         {Mail: true, SMS: true, Workflow: true},
	"ingest-event":    {Queue: true},
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
// The CXLOOP_* tuning variables (config.Variables) are optional.
func (n Needs) Env() []string {
	e := []string{"TABLE_NAME", "CXLOOP_SIGNING_KEY", "CXLOOP_BASE_URL"}
	if n.Mail {
		e = append(e, "SES_FROM", "SES_CONFIGURATION_SET")
	}
	if n.SMS {
		e = append(e, "SMS_ORIGINATION_IDENTITY", "SMS_CONFIGURATION_SET")
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

// Built is a function's core and what else its handler needs.
type Built struct {
	App    *app.App
	APIKey string
	Logger *slog.Logger
	// PageRatePerMinute limits each client address on the link pages
	// (CXLOOP_PAGE_RATE_PER_MINUTE, default 120; 0 turns it off).
	PageRatePerMinute int
}

// New builds the core for the named function from its environment and
// the default AWS configuration, once, before lambda.Start. An AWS
// endpoint override (AWS_ENDPOINT_URL, as LocalStack uses) is honoured by
// the SDK itself.
func New(ctx context.Context, function string, log *slog.Logger) (*Built, error) {
	needs, ok := Functions[function]
	if !ok {
		return nil, fmt.Errorf("unknown function %q", function)
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
	key, err := hex.DecodeString(getenv("CXLOOP_SIGNING_KEY"))
	if err != nil {
		return nil, fmt.Errorf("CXLOOP_SIGNING_KEY must be hex: %w", err)
	}
	signer, err := token.NewSigner(key)
	if err != nil {
		return nil, fmt.Errorf("CXLOOP_SIGNING_KEY: %w", err)
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("aws config: %w", err)
	}
	deps := app.Deps{
		Store:  store.New(dynamo.New(dynamodb.NewFromConfig(awsCfg), getenv("TABLE_NAME"))),
		Clock:  clock.System{},
		Signer: signer,
		Logger: log,
	}
	deps.Mailer, deps.Texter, deps.Workflow, deps.Queue = withholding(function)
	if needs.Mail {
		deps.Mailer = ses.New(sesv2.NewFromConfig(awsCfg), ses.Config{From: getenv("SES_FROM"), ConfigurationSet: getenv("SES_CONFIGURATION_SET")})
	}
	if needs.SMS {
		deps.Texter = sms.New(pinpointsmsvoicev2.NewFromConfig(awsCfg), sms.Config{
			OriginationIdentity: getenv("SMS_ORIGINATION_IDENTITY"), ConfigurationSet: getenv("SMS_CONFIGURATION_SET"),
			OptOutList: getenv("SMS_OPT_OUT_LIST"),
		})
	}
	if needs.Workflow || needs.TaskTokens {
		deps.Workflow = sfn.New(sfnsdk.NewFromConfig(awsCfg), getenv("STATE_MACHINE_ARN"), log)
	}
	if needs.Queue {
		deps.Queue = sqs.New(sqssdk.NewFromConfig(awsCfg), getenv("SEND_QUEUE_URL"))
	}
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
	return &Built{App: a, APIKey: getenv("CXLOOP_API_KEY"), Logger: log, PageRatePerMinute: rate}, nil
}

// withheld stands in for a service a function is not allowed to use: a
// call is a bug in the function's declared needs, reported clearly
// instead of as an IAM AccessDenied from deep inside the SDK.
type withheld struct{ function, service string }

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

func withholding(function string) (app.Mailer, app.Texter, app.Workflow, app.Queue) {
	return withheld{function, "email"}, withheld{function, "SMS"}, withheld{function, "Step Functions"}, withheld{function, "the send queue"}
}
