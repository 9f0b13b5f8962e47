package awsapp_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/cxloop/cxloop/shared/aws/awsapp"
	"github.com/cxloop/cxloop/shared/aws/awsapp/sesclient"
	"github.com/cxloop/cxloop/shared/aws/awsapp/sfnclient"
	"github.com/cxloop/cxloop/shared/aws/awsapp/smsclient"
	"github.com/cxloop/cxloop/shared/aws/awsapp/sqsclient"
	"github.com/cxloop/cxloop/shared/aws/awsapp/validating"
	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/domain/message"
)

var adapters = map[awsapp.Service]func() awsapp.Adapter{
	awsapp.Mail: sesclient.Mailer, awsapp.SMS: smsclient.Texter, awsapp.Workflow: sfnclient.Workflow,
	awsapp.Queue: sqsclient.Queue, awsapp.Validation: validating.Validator,
}

// defaultEnv is what template.yaml gives every function with its parameter
// defaults: SmsOriginationIdentity and SmsConfigurationSet are "".
var defaultEnv = map[string]string{
	"AWS_REGION": "eu-west-2", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret",
	"TABLE_NAME": "cxloop-Table", "CXLOOP_SIGNING_KEY": strings.Repeat("ab", 32), "CXLOOP_ORG_NAME": "Example Co",
	"CXLOOP_BASE_URL": "https://abc123.execute-api.eu-west-2.amazonaws.com", "CXLOOP_FALLBACK_OWNER_ID": "",
	"CXLOOP_SLA_HOURS": "48", "CXLOOP_THROTTLE_DAYS": "30", "CXLOOP_REMIND_AFTER_HOURS": "72", "CXLOOP_EXPIRE_AFTER_DAYS": "14",
	"SES_FROM": "Example Co Feedback <feedback@example.com>", "SES_CONFIGURATION_SET": "cxloop-email",
	"SMS_ORIGINATION_IDENTITY": "", "SMS_CONFIGURATION_SET": "", "SMS_OPT_OUT_LIST": "Default",
	"CXLOOP_API_KEY":    "0123456789abcdef0123",
	"STATE_MACHINE_ARN": "arn:aws:states:eu-west-2:123456789012:stateMachine:cxloop-closed-loop",
	"SEND_QUEUE_URL":    "https://sqs.eu-west-2.amazonaws.com/123456789012/cxloop-SendQueue",
}

// Every function starts with the template's defaults, SMS off among them:
// an email-only deployment must send, remind, escalate and close loops.
// The core knows SMS is off, and a text tried anyway is refused clearly.
func TestFunctionsStartWithoutSMS(t *testing.T) {
	for k, v := range defaultEnv {
		t.Setenv(k, v)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for name, needs := range awsapp.Functions {
		var as []awsapp.Adapter
		for _, s := range needs.Services() {
			as = append(as, adapters[s]())
		}
		b, err := awsapp.New(context.Background(), name, log, as...)
		if err != nil {
			t.Errorf("%s does not start with the template's defaults: %v", name, err)
			continue
		}
		if !b.App.Config().SMSOff {
			t.Errorf("%s: SMSOff = false without an origination identity", name)
		}
	}
}

func TestTexterOffRefusesTexts(t *testing.T) {
	t.Parallel()
	var deps app.Deps
	smsclient.Texter().Connect(awsapp.Conn{Getenv: func(string) string { return "" }}, &deps)
	_, err := deps.Texter.SendSMS(context.Background(), message.SMS{To: "+14155550123", Body: "hi"})
	if !errors.Is(err, smsclient.ErrOff) {
		t.Errorf("SendSMS without SMS = %v, want smsclient.ErrOff", err)
	}
}
