package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/cxloop/cxloop/shared/testkit/awsfake"
)

func TestRunInvokeRefusesBadArguments(t *testing.T) {
	t.Parallel()
	event := writeFile(t, "e.json", `{}`)
	notJSON := writeFile(t, "bad.json", `{`)
	tests := []struct {
		name  string
		args  []string
		want  string
		usage bool
	}{
		{name: "no flags", args: nil, want: "--fn and --event are required", usage: true},
		{name: "no event", args: []string{"--fn", "api"}, want: "--fn and --event are required", usage: true},
		{name: "stray argument", args: []string{"--fn", "api", "--event", event, "extra"}, want: `unexpected argument "extra"`, usage: true},
		{name: "unknown function", args: []string{"--fn", "nope", "--event", event}, want: `no function "nope"`, usage: true},
		{name: "event not JSON", args: []string{"--fn", "api", "--event", notJSON}, want: "is not valid JSON"},
		{name: "missing event", args: []string{"--fn", "api", "--event", "/does/not/exist.json"}, want: "read event"},
		{name: "bad env", args: []string{"--fn", "api", "--event", event, "--env", "NOEQUALS"}, want: "want KEY=VALUE"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		err := runInvoke(t.Context(), tt.args, &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want it to contain %q", tt.name, err, tt.want)
			continue
		}
		var ue usageError
		if errors.As(err, &ue) != tt.usage {
			t.Errorf("%s: usage error = %v, want %v", tt.name, !tt.usage, tt.usage)
		}
	}
}

func requireGo(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skipf("skipping: the go command is not on PATH to build the function: %v", err)
	}
}

// TestRunInvokeAPI builds the api function, runs it against dynalite and
// awsfake and prints the API Gateway response.
func TestRunInvokeAPI(t *testing.T) {
	t.Parallel()
	requireGo(t)
	if _, err := awsfake.FindDynalite(); err != nil {
		awsfake.StartDynalite(t) // skips, or fails under CXLOOP_REQUIRE_DYNALITE
	}
	event := writeFile(t, "tasks.json", `{
  "version": "2.0", "routeKey": "$default", "rawPath": "/v1/tasks", "rawQueryString": "status=open",
  "headers": {"authorization": "Bearer test-api-key", "host": "api.example.com"},
  "requestContext": {"http": {"method": "GET", "path": "/v1/tasks", "sourceIp": "203.0.113.9"}, "requestId": "r1", "domainName": "api.example.com"},
  "isBase64Encoded": false
}`)
	var stdout, stderr bytes.Buffer
	if err := runInvoke(t.Context(), []string{"--fn", "api", "--event", event}, &stdout, &stderr); err != nil {
		t.Fatalf("invoke: %v\nstderr:\n%s", err, stderr.String())
	}
	var res struct {
		StatusCode int    `json:"statusCode"`
		Body       string `json:"body"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("stdout is not the response JSON: %v\n%s", err, stdout.String())
	}
	if res.StatusCode != 200 || !strings.Contains(res.Body, "[") {
		t.Errorf("response = %+v", res)
	}
	for _, want := range []string{"AWS calls: DynamoDB → dynalite http://127.0.0.1:", "SESv2 → awsfake http://127.0.0.1:", "init "} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
}

// TestRunInvokeFunctionError shows a typed function error and fails.
func TestRunInvokeFunctionError(t *testing.T) {
	t.Parallel()
	requireGo(t)
	event := writeFile(t, "empty.json", `{}`)
	var stdout, stderr bytes.Buffer
	// The input is refused before the table is touched, so no dynalite is needed.
	err := runInvoke(t.Context(), []string{"--fn", "record-failure", "--event", event,
		"--env", "AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:9"}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "BadInput") {
		t.Fatalf("err = %v, want a BadInput function error\nstderr:\n%s", err, stderr.String())
	}
	var fe struct{ ErrorType, ErrorMessage string }
	if jerr := json.Unmarshal(stdout.Bytes(), &fe); jerr != nil || fe.ErrorType != "BadInput" || !strings.Contains(fe.ErrorMessage, "task_id is missing") {
		t.Errorf("stdout = %s (%v)", stdout.String(), jerr)
	}
	if !strings.Contains(stderr.String(), "DynamoDB → http://127.0.0.1:9") {
		t.Errorf("stderr does not say where DynamoDB calls go:\n%s", stderr.String())
	}
}
