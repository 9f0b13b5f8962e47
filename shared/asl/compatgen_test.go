package asl

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/infra/statemachine"
)

// TestWriteRecordsV1 writes testdata/records-v1 with the hand-written
// encoder, before it is replaced: ASL_WRITE_RECORDS_V1=1 go test -run TestWriteRecordsV1 ./shared/asl/
func TestWriteRecordsV1(t *testing.T) {
	if os.Getenv("ASL_WRITE_RECORDS_V1") == "" {
		t.Skip("set ASL_WRITE_RECORDS_V1=1 to write testdata/records-v1")
	}
	ctx := context.Background()
	kitchen := `{
 "Comment": "fixture: every kind of frame <a> & \"b\"",
 "TimeoutSeconds": 86400,
 "StartAt": "Flaky",
 "States": {
  "Flaky": {"Type":"Task","Resource":"` + fnARN + `flaky","Parameters":{"try.$":"$$.State.RetryCount","all.$":"$"},
    "Retry":[{"ErrorEquals":["Flaky"],"IntervalSeconds":2,"BackoffRate":2,"MaxAttempts":3}],"ResultPath":"$.flaky","Next":"Fan"},
  "Fan": {"Type":"Parallel","ResultPath":"$.fan","Next":"Done","Branches":[
    {"StartAt":"Each","States":{"Each":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":1,"End":true,
      "ItemProcessor":{"StartAt":"Double","States":{
        "Double":{"Type":"Task","Resource":"` + fnARN + `double","Next":"Rest"},
        "Rest":{"Type":"Wait","Seconds":5,"End":true}}}}}},
    {"StartAt":"Ask","States":{"Ask":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
      "Parameters":{"FunctionName":"ask","Payload":{"token.$":"$$.Task.Token","who.$":"$.who"}},"HeartbeatSeconds":3600,"TimeoutSeconds":7200,"End":true}}},
    {"StartAt":"Nap","States":{"Nap":{"Type":"Wait","Seconds":60,"Next":"Fmt"},
      "Fmt":{"Type":"Pass","Parameters":{"s.$":"States.Format('hi {} <{}>', $.who, $.n)","raw.$":"States.Base64Decode('PMOpICYg4oCoPg==')",
        "json.$":"States.JsonToString($.nested)","lit":"\u2028 <&> \u00e9"},"End":true}}}]},
  "Done":{"Type":"Succeed"}}}`
	timeout := `{"TimeoutSeconds":600,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}`
	placeholder := regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`)
	closedLoop := placeholder.ReplaceAllStringFunc(string(statemachine.ClosedLoop), func(m string) string {
		name := placeholder.FindStringSubmatch(m)[1]
		if name == "SlaHours" {
			return "48"
		}
		fn, _ := strings.CutSuffix(name, "FunctionArn")
		return fnARN + fn
	})
	defs := map[string]string{"kitchen": kitchen, "timeout": timeout, "closed-loop": closedLoop}
	const kin = `{"who":"Zo\u00eb <b>&amp; \"q\" \u2028\u2029 日本 \\ \t/","n":12345678901234567890123,"f":-1.5e-300,"z":-0,"e":1E+2,` +
		`"items":[1,2,3],"nested":{"b":[],"a":{},"c":null,"d":true}}`
	clIn := func(task string) string { return `{"response_id":"rs_` + task + `","task_id":"` + task + `"}` }

	dir := t.TempDir()
	store, err := NewDirStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	base := t0
	at := base.Add(2 * time.Hour) // when the fixtures are saved
	clock := NewManualClock(base)
	// k-crash's first task call is cut short, as by a process that dies
	// while a handler runs: its record stays saved with the call to make.
	crashCtx, crash := context.WithCancel(ctx)
	defer crash()
	inv := compatInvoker()
	eng := NewEngine(Config{Store: store, Clock: clock, Invoker: InvokerFunc(func(ctx context.Context, fn string, p json.RawMessage) (json.RawMessage, error) {
		if info, _ := TaskInfoFromContext(ctx); strings.HasSuffix(info.ExecutionARN, ":k-crash") {
			crash()
			return nil, ctx.Err()
		}
		return inv.Invoke(ctx, fn, p)
	})})
	for name, def := range defs {
		d, err := Parse([]byte(def))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		eng.Register(name, d)
	}
	token := func(name string) waitingToken {
		t.Helper()
		for _, w := range waitingTokens(eng) {
			if strings.HasSuffix(w.arn, ":"+name) {
				return w
			}
		}
		t.Fatalf("%s waits for no token", name)
		return waitingToken{}
	}
	start := func(sm, name, in string) func() {
		return func() {
			if _, err := eng.StartExecution(ctx, sm, name, json.RawMessage(in)); err != nil {
				t.Fatalf("start %s: %v", name, err)
			}
		}
	}
	succeed := func(name, out string) func() {
		return func() {
			if err := eng.SendTaskSuccess(ctx, token(name).token, json.RawMessage(out)); err != nil {
				t.Fatalf("success %s: %v", name, err)
			}
		}
	}
	fail := func(name, errName, cause string) func() {
		return func() {
			if err := eng.SendTaskFailure(ctx, token(name).token, errName, cause); err != nil {
				t.Fatalf("failure %s: %v", name, err)
			}
		}
	}
	type event struct {
		at time.Time
		do func()
	}
	events := []event{
		{base, start("kitchen", "k-done", kin)},
		{base, start("kitchen", "k-failed", kin)},
		{base, start("kitchen", "k-heartbeat", kin)},
		{base, start("closed-loop", "cl-done", clIn("tk_done"))},
		{base, start("closed-loop", "cl-closed", clIn("tk_norecovery_1"))},
		{base, start("closed-loop", "cl-escalated", clIn("tk_fast_1"))},
		{base, start("closed-loop", "cl-failed-once", clIn("tk_fail"))},
		{base.Add(30 * time.Second), fail("k-failed", "Nope", `owner said <no> & "never"`)},
		{base.Add(60 * time.Second), succeed("cl-done", `{"action":"complete"}`)},
		{base.Add(60 * time.Second), succeed("cl-closed", `{"action":"complete"}`)},
		{base.Add(60 * time.Second), fail("cl-failed-once", "Boom", "it broke")},
		{base.Add(120 * time.Second), succeed("k-done", string(compatAnswer("Ask")))},
		{base.Add(3000 * time.Second), start("kitchen", "k-stopped", kin)},
		{base.Add(3005 * time.Second), func() {
			if err := eng.StopExecution(ctx, "kitchen", "k-stopped", "Stopped.", "by hand <now>"); err != nil {
				t.Fatal(err)
			}
		}},
		{at.Add(-3600 * time.Second), start("closed-loop", "cl-owner", clIn("tk_owner"))},
		{at.Add(-1800 * time.Second), start("closed-loop", "cl-reassigned", clIn("tk_re"))},
		{at.Add(-1200 * time.Second), succeed("cl-reassigned", `{"action":"reassign"}`)},
		{at.Add(-1000 * time.Second), start("kitchen", "k-hb", kin)},
		{at.Add(-700 * time.Second), start("timeout", "to-timedout", `{"x":1}`)},
		{at.Add(-500 * time.Second), func() {
			if err := eng.SendTaskHeartbeat(ctx, token("k-hb").token); err != nil {
				t.Fatal(err)
			}
		}},
		{at.Add(-300 * time.Second), start("kitchen", "k-ask", kin)},
		{at.Add(-60 * time.Second), start("timeout", "to-running", `{"x":2}`)},
		{at.Add(-8 * time.Second), start("kitchen", "k-map", kin)},
		{at.Add(-1 * time.Second), start("kitchen", "k-retry", kin)},
		{at.Add(-1 * time.Second), start("closed-loop", "cl-retrying", clIn("tk_flaky_1"))},
	}
	slices.SortStableFunc(events, func(a, b event) int { return a.at.Compare(b.at) })
	// runUntil visits every deadline up to u, then sets the clock to u.
	runUntil := func(u time.Time) {
		for {
			next, ok := eng.NextWakeup()
			if !ok || next.After(u) {
				break
			}
			clock.Set(next)
			if err := eng.Tick(ctx); err != nil {
				t.Fatal(err)
			}
		}
		clock.Set(u)
	}
	for _, ev := range events {
		runUntil(ev.at)
		ev.do()
	}
	runUntil(at)
	if _, err := eng.StartExecution(crashCtx, "kitchen", "k-crash", json.RawMessage(kin)); err == nil {
		t.Fatal("k-crash ran to its end")
	}

	out := filepath.Join("testdata", "records-v1")
	if err := os.RemoveAll(out); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(out, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}

	// The same run carried on to its end, from the saved documents alone.
	again := t.TempDir()
	if err := os.CopyFS(again, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	store2, err := NewDirStore(again)
	if err != nil {
		t.Fatal(err)
	}
	clock2 := NewManualClock(at)
	eng2 := NewEngine(Config{Store: store2, Clock: clock2, Invoker: compatInvoker()})
	if err := eng2.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	finishAll(t, eng2, clock2)
	want := compatWant{SavedAt: at, Executions: describeAll(t, eng2, store2)}
	b, err := json.MarshalIndent(want, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("testdata", "records-v1.want.json"), append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}
