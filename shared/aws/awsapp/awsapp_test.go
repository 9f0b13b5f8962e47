package awsapp

import (
	"context"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/domain/message"
)

// Every function folder is declared, and every declaration has a folder.
func TestFunctionsMatchFolders(t *testing.T) {
	t.Parallel()
	dirs, err := os.ReadDir(filepath.Join("..", "..", "..", "functions"))
	if err != nil {
		t.Fatal(err)
	}
	var folders []string
	for _, d := range dirs {
		if d.IsDir() {
			folders = append(folders, d.Name())
		}
	}
	var declared []string
	for name := range Functions {
		declared = append(declared, name)
	}
	slices.Sort(folders)
	slices.Sort(declared)
	if !slices.Equal(folders, declared) {
		t.Errorf("functions/ has %v, awsapp.Functions declares %v", folders, declared)
	}
}

func TestNeedsActionsAndEnv(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		needs      Needs
		wantAction []string
		noAction   []string
		wantEnv    []string
	}{
		{"table only", Needs{}, []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:DeleteItem"}, []string{"ses:SendEmail", "states:StartExecution"}, []string{"TABLE_NAME", "CXLOOP_SIGNING_KEY"}},
		{"mail", Needs{Mail: true}, []string{"ses:SendEmail"}, []string{"sms-voice:SendTextMessage"}, []string{"SES_FROM", "SES_CONFIGURATION_SET"}},
		{"sms", Needs{SMS: true}, []string{"sms-voice:SendTextMessage"}, []string{"ses:SendEmail"}, nil},
		{"api", Functions["api"], []string{"states:StartExecution", "states:SendTaskSuccess", "sqs:SendMessage"}, nil, []string{"CXLOOP_API_KEY", "STATE_MACHINE_ARN", "SEND_QUEUE_URL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			actions, env := tt.needs.Actions(), tt.needs.Env()
			for _, a := range tt.wantAction {
				if !slices.Contains(actions, a) {
					t.Errorf("Actions() = %v, missing %s", actions, a)
				}
			}
			for _, a := range tt.noAction {
				if slices.Contains(actions, a) {
					t.Errorf("Actions() = %v, must not grant %s", actions, a)
				}
			}
			for _, e := range tt.wantEnv {
				if !slices.Contains(env, e) {
					t.Errorf("Env() = %v, missing %s", env, e)
				}
			}
		})
	}
}

// SMS is optional: its variables are never required, every function reads
// whether SMS is on, and the tuning ones are read only where texts are sent.
func TestSMSVariablesAreOptional(t *testing.T) {
	t.Parallel()
	for name, needs := range Functions {
		env, opt := needs.Env(), needs.Optional()
		for _, v := range []string{"SMS_ORIGINATION_IDENTITY", "SMS_CONFIGURATION_SET", "SMS_OPT_OUT_LIST"} {
			if slices.Contains(env, v) {
				t.Errorf("%s: Env() requires %s; SMS must be optional", name, v)
			}
		}
		if !slices.Contains(opt, "SMS_ORIGINATION_IDENTITY") {
			t.Errorf("%s: Optional() = %v, want SMS_ORIGINATION_IDENTITY", name, opt)
		}
		if got := slices.Contains(opt, "SMS_CONFIGURATION_SET"); got != needs.SMS {
			t.Errorf("%s: Optional() has SMS_CONFIGURATION_SET = %v, want %v (SMS need)", name, got, needs.SMS)
		}
	}
}

// A function missing a variable fails at start with the variable's name,
// not later inside a handler.
func TestNewFailsFastOnMissingEnv(t *testing.T) {
	t.Setenv("TABLE_NAME", "")
	_, err := New(context.Background(), "assign-owner", nil)
	if err == nil || !strings.Contains(err.Error(), "TABLE_NAME") {
		t.Fatalf("New() error = %v, want one naming TABLE_NAME", err)
	}
	if _, err := New(context.Background(), "no-such-function", nil); err == nil {
		t.Fatal("New() accepted an unknown function")
	}
}

func TestWithheldServicesSayWhy(t *testing.T) {
	t.Parallel()
	mail, _, flow, _ := withholding("assign-owner")
	_, err := mail.SendEmail(context.Background(), message.Email{To: "a@example.com"})
	if err == nil || !strings.Contains(err.Error(), "assign-owner") {
		t.Errorf("withheld mail error = %v, want one naming the function", err)
	}
	if err := flow.Start(context.Background(), "x", nil); err == nil {
		t.Error("withheld workflow started an execution")
	}
	// A function without validation refuses input rather than taking it unchecked.
	v := withheld{"record-outcome", Validation}
	if err := v.Struct(app.InboundSMS{From: "+14155550123"}); err == nil || !strings.Contains(err.Error(), "record-outcome is not set up to validate input") {
		t.Errorf("withheld validator error = %v, want one naming the function", err)
	}
}

func fakeAdapter(s Service) Adapter {
	return Adapter{Service: s, Connect: func(Conn, *app.Deps) {}}
}

// New refuses adapters that do not match the function's declared needs
// before it reads the environment or the AWS configuration.
func TestNewChecksAdapters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		function string
		adapters []Service
		want     []string // in the error; none: the adapters match
	}{
		{"table only", "assign-owner", nil, nil},
		{"exact", "sweeper", []Service{Mail, SMS, Workflow}, nil},
		{"any order", "sweeper", []Service{Workflow, Mail, SMS}, nil},
		{"task tokens use the workflow adapter", "api", []Service{Mail, Workflow, Queue, Validation}, nil},
		{"validation missing", "inbound-sms", []Service{SMS, Workflow}, []string{"inbound-sms", "needs input validation", "validating.Validator()"}},
		{"validation not declared", "sweeper", []Service{Mail, SMS, Workflow, Validation}, []string{"not declared to use input validation"}},
		{"missing", "notify-customer", []Service{Mail}, []string{"notify-customer", "needs SMS", "smsclient.Texter()"}},
		{"extra", "record-failure", []Service{Mail}, []string{"record-failure", "not declared to use email", "sesclient.Mailer()"}},
		{"both", "ingest-event", []Service{Workflow}, []string{"needs the send queue", "not declared to use Step Functions"}},
		{"twice", "ses-events", []Service{Mail, Mail}, []string{"two adapters for email"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var adapters []Adapter
			for _, s := range tt.adapters {
				adapters = append(adapters, fakeAdapter(s))
			}
			err := checkAdapters(tt.function, Functions[tt.function], adapters)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("checkAdapters() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("checkAdapters() accepted %v for %s", tt.adapters, tt.function)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("checkAdapters() = %q, want it to say %q", err, w)
				}
			}
		})
	}
	t.Run("New checks them first", func(t *testing.T) {
		t.Parallel()
		_, err := New(context.Background(), "record-failure", nil, fakeAdapter(Queue))
		if err == nil || !strings.Contains(err.Error(), "sqsclient.Queue()") {
			t.Errorf("New() error = %v, want one naming the extra adapter", err)
		}
	})
}

// Each function's main imports exactly the adapter packages its needs call
// for (the same check New makes at start, without building anything), so
// no binary links an SDK client it may not use.
func TestMainsImportTheirAdapters(t *testing.T) {
	t.Parallel()
	const prefix = "github.com/cxloop/cxloop/shared/aws/awsapp/"
	byPackage := map[string]Service{"sesclient": Mail, "smsclient": SMS, "sfnclient": Workflow, "sqsclient": Queue, "validating": Validation}
	for name, needs := range Functions {
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join("..", "..", "..", "functions", name, "main.go"), nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		var got []Service
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if pkg, ok := strings.CutPrefix(path, prefix); ok {
				s, known := byPackage[pkg]
				if !known {
					t.Errorf("functions/%s imports %s, which is not an adapter package", name, path)
				}
				got = append(got, s)
			}
		}
		want := needs.Services()
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("functions/%s imports adapters for %q, its needs call for %q", name, got, want)
		}
	}
}
