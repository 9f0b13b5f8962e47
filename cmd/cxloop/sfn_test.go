package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// loopDef retries a task, waits a day and waits for a task token.
const loopDef = `{"StartAt":"Fetch","States":{
 "Fetch":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:fetch","Retry":[{"ErrorEquals":["Flaky"],"IntervalSeconds":30}],"ResultPath":"$.fetched","Next":"Pause"},
 "Pause":{"Type":"Wait","Seconds":86400,"Next":"Ask"},
 "Ask":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken","Parameters":{"FunctionName":"notify","Payload":{"token.$":"$$.Task.Token"}},"ResultPath":"$.ack","Next":"Done"},
 "Done":{"Type":"Succeed"}}}`

func TestRunSFN(t *testing.T) {
	t.Parallel()
	def := writeFile(t, "loop.asl.json", loopDef)
	tests := []struct {
		name       string
		args       []string
		tasks      string
		wantOut    string
		wantErr    string
		wantStderr string
	}{
		{
			name:    "retries, waits and a token with history",
			args:    []string{"run", def, "--input", `{"id":1}`, "--history"},
			tasks:   `{"Fetch":[{"Error":"Flaky","Cause":"once"},{"n":2}],"Ask":{"by":"ana"}}`,
			wantOut: "Fetch\nPause\nAsk\nDone\n" + `{"ack":{"by":"ana"},"fetched":{"n":2},"id":1}` + "\n",
		},
		{
			name:    "flags after and before FILE, unlisted tasks echo",
			args:    []string{"run", "--input", `{"id":2}`, def},
			wantOut: `{"ack":{"token":`,
		},
		{
			name:    "failure exits with error and cause",
			args:    []string{"run", def, "--input", `{}`},
			tasks:   `{"Fetch":{"Error":"Fatal","Cause":"no data"}}`,
			wantErr: "FAILED: Fatal: no data",
		},
		{
			name:    "refused definition",
			args:    []string{"run", writeFile(t, "bad.json", `{"StartAt":"A","States":{"A":{"Type":"Sleep","End":true}}}`)},
			wantErr: `state "A": field "Type"`,
		},
		{
			name:    "missing file",
			args:    []string{"run"},
			wantErr: "exactly one definition FILE",
		},
		{
			name:    "unknown subcommand",
			args:    []string{"walk"},
			wantErr: "expected subcommand run",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := tt.args
			if tt.tasks != "" {
				args = append(args, "--tasks", writeFile(t, "tasks.json", tt.tasks))
			}
			var stdout, stderr bytes.Buffer
			err := runSFN(context.Background(), args, &stdout, &stderr)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want ~%q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("runSFN: %v (stderr %s)", err, stderr.String())
			}
			if !strings.HasPrefix(stdout.String(), tt.wantOut) {
				t.Errorf("stdout\n got %q\nwant %q", stdout.String(), tt.wantOut)
			}
		})
	}
}

func TestRunSFNInputFile(t *testing.T) {
	t.Parallel()
	def := writeFile(t, "d.json", `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"v.$":"States.MathAdd($.v, 1)"},"End":true}}}`)
	in := writeFile(t, "in.json", `{"v":41}`)
	var stdout, stderr bytes.Buffer
	if err := runSFN(context.Background(), []string{"run", def, "--input-file", in}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(stdout.String()); got != `{"v":42}` {
		t.Errorf("got %s", got)
	}
}
