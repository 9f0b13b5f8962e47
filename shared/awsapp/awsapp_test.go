package awsapp

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cxloop/cxloop/shared/message"
)

// Every function folder is declared, and every declaration has a folder.
func TestFunctionsMatchFolders(t *testing.T) {
	t.Parallel()
	dirs, err := os.ReadDir(filepath.Join("..", "..", "functions"))
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
		{"sms", Needs{SMS: true}, []string{"sms-voice:SendTextMessage"}, []string{"ses:SendEmail"}, []string{"SMS_ORIGINATION_IDENTITY"}},
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
}
