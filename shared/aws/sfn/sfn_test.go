package sfn_test

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"

	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/cxloop/cxloop/shared/aws/sfn"
	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/testkit/awswire"
)

const (
	arn       = "arn:aws:states:us-east-1:123456789012:stateMachine:closed-loop"
	namespace = "com.amazonaws.swf.service.v2.model"
	token     = "AQCEAAAAKgAAAAMAAAAAAAAAAf7Rrb0secret-task-token"
)

func newWorkflow(t *testing.T, log *slog.Logger, script ...awswire.Response) (*sfn.Workflow, *awswire.Server) {
	t.Helper()
	srv := awswire.NewServer(t, script...)
	return sfn.New(awssfn.NewFromConfig(srv.Config()), arn, log), srv
}

// checkJSON10 checks the envelope every Step Functions call must have.
func checkJSON10(t *testing.T, r awswire.Request, op string) {
	t.Helper()
	if r.Method != http.MethodPost || r.Path != "/" {
		t.Errorf("request = %s %s, want POST /", r.Method, r.Path)
	}
	if got, want := r.Target(), "AWSStepFunctions."+op; got != want {
		t.Errorf("X-Amz-Target = %q, want %q", got, want)
	}
	if got := r.Header.Get("Content-Type"); got != "application/x-amz-json-1.0" {
		t.Errorf("Content-Type = %q, want application/x-amz-json-1.0", got)
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		t.Errorf("request is not SigV4-signed: %q", r.Header.Get("Authorization"))
	}
}

func TestStart(t *testing.T) {
	t.Parallel()
	started := awswire.JSON10(`{"executionArn":"arn:aws:states:us-east-1:123456789012:execution:closed-loop:loop-r1","startDate":1.7e9}`)
	throttled := awswire.JSON10Error(400, namespace, "ThrottlingException", "Rate exceeded", nil)
	tests := []struct {
		name     string
		script   []awswire.Response
		calls    int
		wantErr  bool
		wantType any
	}{
		{name: "started", script: []awswire.Response{started}, calls: 1},
		{name: "already exists is success", script: []awswire.Response{
			awswire.JSON10Error(400, namespace, "ExecutionAlreadyExists", "Execution Already Exists: 'arn:...:loop-r1'", nil),
		}, calls: 1},
		{name: "throttling is retried", script: []awswire.Response{throttled, started}, calls: 2},
		{name: "throttling past the retries is an error", script: []awswire.Response{throttled}, calls: awswire.MaxAttempts,
			wantErr: true},
		{name: "missing state machine", script: []awswire.Response{
			awswire.JSON10Error(400, namespace, "StateMachineDoesNotExist", "State Machine Does Not Exist", nil),
		}, calls: 1, wantErr: true, wantType: new(*types.StateMachineDoesNotExist)},
		{name: "invalid name", script: []awswire.Response{
			awswire.JSON10Error(400, namespace, "InvalidName", "Invalid Name: 'a b'", nil),
		}, calls: 1, wantErr: true, wantType: new(*types.InvalidName)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w, srv := newWorkflow(t, nil, tt.script...)
			err := w.Start(awswire.Context(t), "loop-r1", []byte(`{"response_id":"r1"}`))
			if (err != nil) != tt.wantErr {
				t.Fatalf("Start error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "start execution loop-r1") {
				t.Errorf("error %q does not name the operation and execution", err)
			}
			if tt.wantType != nil && !errors.As(err, tt.wantType) {
				t.Errorf("error %v is not %T", err, tt.wantType)
			}
			reqs := srv.Requests()
			if len(reqs) != tt.calls {
				t.Fatalf("server got %d requests, want %d", len(reqs), tt.calls)
			}
			for _, r := range reqs {
				checkJSON10(t, r, "StartExecution")
				body := r.JSON(t)
				want := map[string]any{"stateMachineArn": arn, "name": "loop-r1", "input": `{"response_id":"r1"}`}
				for k, v := range want {
					if body[k] != v {
						t.Errorf("body[%q] = %v, want %v", k, body[k], v)
					}
				}
				if len(body) != len(want) {
					t.Errorf("body has fields %v, want exactly %v", body, want)
				}
			}
		})
	}
}

func TestStartAlreadyExistsLogsAtDebug(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	w, _ := newWorkflow(t, log, awswire.JSON10Error(400, namespace, "ExecutionAlreadyExists", "exists", nil))
	if err := w.Start(awswire.Context(t), "loop-r1", []byte(`{}`)); err != nil {
		t.Fatalf("Start: %v", err)
	}
	out := buf.String()
	if !strings.Contains(out, `"level":"DEBUG"`) || !strings.Contains(out, `"execution":"loop-r1"`) {
		t.Errorf("log = %s, want one debug record naming the execution", out)
	}
}

func TestTaskCalls(t *testing.T) {
	t.Parallel()
	ops := []struct {
		op   string
		call func(*sfn.Workflow, *testing.T) error
		body map[string]any
	}{
		{
			op: "SendTaskSuccess",
			call: func(w *sfn.Workflow, t *testing.T) error {
				return w.SendTaskSuccess(awswire.Context(t), token, []byte(`{"outcome":"resolved"}`))
			},
			body: map[string]any{"taskToken": token, "output": `{"outcome":"resolved"}`},
		},
		{
			op: "SendTaskFailure",
			call: func(w *sfn.Workflow, t *testing.T) error {
				return w.SendTaskFailure(awswire.Context(t), token, "OwnerUnreachable", "no answer")
			},
			body: map[string]any{"taskToken": token, "error": "OwnerUnreachable", "cause": "no answer"},
		},
		{
			op: "SendTaskHeartbeat",
			call: func(w *sfn.Workflow, t *testing.T) error {
				return w.SendTaskHeartbeat(awswire.Context(t), token)
			},
			body: map[string]any{"taskToken": token},
		},
	}
	outcomes := []struct {
		name     string
		resp     awswire.Response
		wantErr  bool
		wantGone bool
	}{
		{name: "ok", resp: awswire.JSON10(`{}`)},
		{name: "TaskTimedOut", resp: awswire.JSON10Error(400, namespace, "TaskTimedOut", "Task Timed Out", nil), wantErr: true, wantGone: true},
		{name: "TaskDoesNotExist", resp: awswire.JSON10Error(400, namespace, "TaskDoesNotExist", "Task Does Not Exist", nil), wantErr: true, wantGone: true},
		{name: "InvalidToken", resp: awswire.JSON10Error(400, namespace, "InvalidToken", "Invalid Token", nil), wantErr: true, wantGone: true},
		{name: "InvalidOutput", resp: awswire.JSON10Error(400, namespace, "InvalidOutput", "Invalid Output", nil), wantErr: true},
		{name: "server error", resp: awswire.JSON10Error(500, namespace, "InternalFailure", "oops", nil), wantErr: true},
	}
	for _, op := range ops {
		for _, oc := range outcomes {
			t.Run(op.op+"/"+oc.name, func(t *testing.T) {
				t.Parallel()
				w, srv := newWorkflow(t, nil, oc.resp)
				err := op.call(w, t)
				if (err != nil) != oc.wantErr {
					t.Fatalf("error = %v, want error %v", err, oc.wantErr)
				}
				if got := errors.Is(err, app.ErrTaskGone); got != oc.wantGone {
					t.Errorf("errors.Is(%v, ErrTaskGone) = %v, want %v", err, got, oc.wantGone)
				}
				if err != nil {
					if strings.Contains(err.Error(), token) {
						t.Errorf("error %q carries the task token", err)
					}
					if !strings.Contains(err.Error(), sfn.TokenRef(token)) {
						t.Errorf("error %q does not name the token's fingerprint", err)
					}
				}
				reqs := srv.Requests()
				if len(reqs) == 0 {
					t.Fatal("no request sent")
				}
				r := reqs[0]
				checkJSON10(t, r, op.op)
				body := r.JSON(t)
				for k, v := range op.body {
					if body[k] != v {
						t.Errorf("body[%q] = %v, want %v", k, body[k], v)
					}
				}
				if len(body) != len(op.body) {
					t.Errorf("body has fields %v, want exactly %v", body, op.body)
				}
			})
		}
	}
}

func TestSendTaskFailureTruncates(t *testing.T) {
	t.Parallel()
	w, srv := newWorkflow(t, nil, awswire.JSON10(`{}`))
	code := strings.Repeat("é", 300)
	cause := strings.Repeat("x", 40000)
	if err := w.SendTaskFailure(awswire.Context(t), token, code, cause); err != nil {
		t.Fatal(err)
	}
	body := srv.Only(t).JSON(t)
	if got := body["error"].(string); got != strings.Repeat("é", 256) {
		t.Errorf("error has %d runes, want 256 whole runes", len([]rune(got)))
	}
	if got := body["cause"].(string); len(got) != 32768 {
		t.Errorf("cause has %d chars, want 32768", len(got))
	}
}

var validName = regexp.MustCompile(`^[0-9A-Za-z_-]{1,80}$`)

func TestExecutionName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		prefix, id string
		want       string // "" means: only check validity
	}{
		{"loop", "r_01HZX3K9", "loop-r_01HZX3K9"},
		{"", "r1", "r1"},
		{"loop", "01J0ABCDEF-XYZ", "loop-01J0ABCDEF-XYZ"},
		{"loop", "resp:1", ""},
		{"loop", "a b", ""},
		{"loop", "ünïcode", ""},
		{"loop", strings.Repeat("a", 100), ""},
		{"loop", strings.Repeat("a", 75), "loop-" + strings.Repeat("a", 75)},
		{"", "", ""},
		{"loop", "", "loop-"},
		{"", "::", ""},
	}
	for _, tt := range tests {
		got := sfn.ExecutionName(tt.prefix, tt.id)
		if !validName.MatchString(got) {
			t.Errorf("ExecutionName(%q, %q) = %q, not a valid execution name", tt.prefix, tt.id, got)
		}
		if tt.want != "" && got != tt.want {
			t.Errorf("ExecutionName(%q, %q) = %q, want %q", tt.prefix, tt.id, got, tt.want)
		}
		if again := sfn.ExecutionName(tt.prefix, tt.id); again != got {
			t.Errorf("ExecutionName(%q, %q) not deterministic: %q then %q", tt.prefix, tt.id, got, again)
		}
	}
}

func TestExecutionNameDistinct(t *testing.T) {
	t.Parallel()
	// Ids that sanitise or truncate to the same text still get distinct names.
	ids := []string{
		"a.b", "a:b", "a b", "a_b",
		strings.Repeat("x", 90) + "1", strings.Repeat("x", 90) + "2",
		"", " ", "  ",
	}
	seen := map[string]string{}
	for _, id := range ids {
		name := sfn.ExecutionName("loop", id)
		if other, dup := seen[name]; dup {
			t.Errorf("ids %q and %q both give %q", other, id, name)
		}
		seen[name] = id
	}
}
