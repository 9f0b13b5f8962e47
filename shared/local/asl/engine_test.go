package asl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

const fnARN = "arn:aws:lambda:us-east-1:123456789012:function:"

// flaky fails with errName n times, then returns ok.
func flaky(n int, errName string) handler {
	var mu sync.Mutex
	calls := 0
	return func(any) (any, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls <= n {
			return nil, &TaskError{Type: errName, Cause: fmt.Sprintf("attempt %d", calls)}
		}
		return "ok", nil
	}
}

// TestRetryBackoffTiming checks each retry happens exactly when the clock
// reaches IntervalSeconds * BackoffRate^n capped by MaxDelaySeconds, as in
// the AWS docs example (3s, 6s, 12s... capped).
func TestRetryBackoffTiming(t *testing.T) {
	t.Parallel()
	def := single(`{"Type":"Task","Resource":"` + fnARN + `f","Retry":[{"ErrorEquals":["Flaky"],"IntervalSeconds":3,"BackoffRate":2,"MaxAttempts":5,"MaxDelaySeconds":10}],"End":true}`)
	h := newHarness(t, def, map[string]handler{"f": flaky(5, "Flaky")})
	h.start("x", `{}`)
	wantDelays := []time.Duration{3 * time.Second, 6 * time.Second, 10 * time.Second, 10 * time.Second, 10 * time.Second}
	for i, d := range wantDelays {
		calls := h.inv.callCount()
		h.advance(d - time.Millisecond)
		if h.inv.callCount() != calls {
			t.Fatalf("retry %d happened before %v", i+1, d)
		}
		h.advance(time.Millisecond)
		if h.inv.callCount() != calls+1 {
			t.Fatalf("retry %d did not happen at %v", i+1, d)
		}
	}
	x := h.describe("x")
	mustSucceed(t, x)
	assertJSON(t, x.Output, `"ok"`)
}

func TestRetryDefaultsAndExhaustion(t *testing.T) {
	t.Parallel()
	// Defaults: IntervalSeconds 1, BackoffRate 2, MaxAttempts 3 → retries
	// after 1s, 2s, 4s, then the error propagates.
	def := single(`{"Type":"Task","Resource":"` + fnARN + `f","Retry":[{"ErrorEquals":["States.ALL"]}],"End":true}`)
	h := newHarness(t, def, map[string]handler{"f": func(any) (any, error) { return nil, errors.New("always") }})
	h.start("x", `{}`)
	for _, d := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		h.advance(d)
	}
	x := h.describe("x")
	if x.Status != StatusFailed || x.Error != "errorString" || x.Cause != "always" {
		t.Fatalf("got %s %q %q", x.Status, x.Error, x.Cause)
	}
	if n := h.inv.callCount(); n != 4 {
		t.Errorf("calls = %d, want 4", n)
	}

	// MaxAttempts 0 never retries; the next matching retrier is not consulted.
	def = single(`{"Type":"Task","Resource":"` + fnARN + `f","Retry":[{"ErrorEquals":["E"],"MaxAttempts":0},{"ErrorEquals":["States.ALL"]}],"End":true}`)
	h = newHarness(t, def, map[string]handler{"f": flaky(1, "E")})
	h.start("x", `{}`)
	h.runToEnd()
	if x := h.describe("x"); x.Status != StatusFailed || h.inv.callCount() != 1 {
		t.Errorf("MaxAttempts 0: %s after %d calls", x.Status, h.inv.callCount())
	}
}

func TestRetryCountInContext(t *testing.T) {
	t.Parallel()
	var seen []any
	f := flaky(2, "E")
	def := single(`{"Type":"Task","Resource":"` + fnARN + `f","Parameters":{"n.$":"$$.State.RetryCount"},"Retry":[{"ErrorEquals":["E"]}],"End":true}`)
	x := runDef(t, def, `{}`, map[string]handler{"f": func(p any) (any, error) {
		seen = append(seen, p.(map[string]any)["n"])
		return f(p)
	}})
	mustSucceed(t, x)
	if fmt.Sprint(seen) != "[0 1 2]" {
		t.Errorf("RetryCount seen %v", seen)
	}
}

type customErr struct{}

func (customErr) Error() string { return "custom" }

func TestTaskErrorNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"errors.New", errors.New("x"), "errorString"},
		{"fmt.Errorf", fmt.Errorf("x"), "errorString"},
		{"wrapped", fmt.Errorf("ctx: %w", errors.New("x")), "wrapError"},
		{"value type", customErr{}, "customErr"},
		{"pointer type", &customErr{}, "customErr"},
		{"TaskError", &TaskError{Type: "Survey.NotFound", Cause: "gone"}, "Survey.NotFound"},
		{"wrapped TaskError", fmt.Errorf("ctx: %w", &TaskError{Type: "T"}), "T"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, res := range []string{`"Resource":"` + fnARN + `f"`, `"Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f"}`} {
				x := runDef(t, single(`{"Type":"Task",`+res+`,"End":true}`), `{}`, map[string]handler{"f": func(any) (any, error) { return nil, tt.err }})
				if x.Status != StatusFailed || x.Error != tt.want {
					t.Errorf("%s: got %s %q, want %q", res, x.Status, x.Error, tt.want)
				}
			}
		})
	}
}

func TestCatchRouting(t *testing.T) {
	t.Parallel()
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + fnARN + `f","Catch":[
	  {"ErrorEquals":["A","B"],"Next":"AB"},
	  {"ErrorEquals":["States.TaskFailed"],"ResultPath":"$.error","Next":"TaskFailed"},
	  {"ErrorEquals":["States.ALL"],"ResultPath":null,"Next":"All"}],"End":true},
	 "AB":{"Type":"Pass","End":true},"TaskFailed":{"Type":"Pass","End":true},"All":{"Type":"Pass","End":true}}}`
	tests := []struct {
		errName, wantState, wantOut string
	}{
		{"A", "AB", `{"Error":"A","Cause":"c"}`},
		{"B", "AB", `{"Error":"B","Cause":"c"}`},
		{"Other", "TaskFailed", `{"in":1,"error":{"Error":"Other","Cause":"c"}}`},
		{ErrNameTimeout, "All", `{"in":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.errName, func(t *testing.T) {
			t.Parallel()
			x := runDef(t, def, `{"in":1}`, map[string]handler{"f": func(any) (any, error) { return nil, &TaskError{Type: tt.errName, Cause: "c"} }})
			mustSucceed(t, x)
			if got := x.StatesEntered(); got[len(got)-1] != tt.wantState {
				t.Errorf("states %v, want last %s", got, tt.wantState)
			}
			assertJSON(t, x.Output, tt.wantOut)
		})
	}
}

func TestRetryThenCatch(t *testing.T) {
	t.Parallel()
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + fnARN + `f",
	  "Retry":[{"ErrorEquals":["E"],"MaxAttempts":2,"IntervalSeconds":1}],
	  "Catch":[{"ErrorEquals":["E"],"ResultPath":"$.err","Next":"Fallback"}],"End":true},
	  "Fallback":{"Type":"Pass","End":true}}}`
	h := newHarness(t, def, map[string]handler{"f": flaky(10, "E")})
	h.start("x", `{}`)
	h.runToEnd()
	x := h.describe("x")
	mustSucceed(t, x)
	assertJSON(t, x.Output, `{"err":{"Error":"E","Cause":"attempt 3"}}`)
	if h.inv.callCount() != 3 {
		t.Errorf("calls = %d, want 3", h.inv.callCount())
	}
}

const tokenTask = `"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken","Parameters":{"FunctionName":"notify","Payload":{"token.$":"$$.Task.Token","who.$":"$.who"}}`

// tokenCatcher records the tokens a waitForTaskToken handler receives.
type tokenCatcher struct {
	mu     sync.Mutex
	tokens []string
}

func (c *tokenCatcher) handler(p any) (any, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tokens = append(c.tokens, p.(map[string]any)["token"].(string))
	return map[string]any{"ignored": true}, nil
}

func (c *tokenCatcher) last(t *testing.T) string {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.tokens) == 0 {
		t.Fatal("no token received")
	}
	return c.tokens[len(c.tokens)-1]
}

func TestWaitForTaskToken(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	def := single(`{` + tokenTask + `,"ResultPath":"$.ack","TimeoutSeconds":3600,"HeartbeatSeconds":600,
	  "Catch":[{"ErrorEquals":["Owner.Declined"],"Next":"Declined"}],"End":true}`)
	def = strings.Replace(def, `"States":{`, `"States":{"Declined":{"Type":"Pass","End":true},`, 1)

	t.Run("success", func(t *testing.T) {
		t.Parallel()
		tc := &tokenCatcher{}
		h := newHarness(t, def, map[string]handler{"notify": tc.handler})
		x := h.start("x", `{"who":"ana"}`)
		if x.Status != StatusRunning {
			t.Fatalf("status %s", x.Status)
		}
		tok := tc.last(t)
		if len(tok) < 60 {
			t.Errorf("token %q looks guessable", tok)
		}
		h.advance(500 * time.Second)
		if err := h.eng.SendTaskHeartbeat(ctx, tok); err != nil {
			t.Fatal(err)
		}
		h.advance(500 * time.Second) // 1000s since start, 500s since heartbeat
		if err := h.eng.SendTaskSuccess(ctx, tok, json.RawMessage(`{"by":"ana"}`)); err != nil {
			t.Fatal(err)
		}
		x = h.describe("x")
		mustSucceed(t, x)
		assertJSON(t, x.Output, `{"who":"ana","ack":{"by":"ana"}}`)
		if err := h.eng.SendTaskSuccess(ctx, tok, json.RawMessage(`{}`)); !errors.Is(err, ErrTaskTimedOut) {
			t.Errorf("second SendTaskSuccess: %v, want ErrTaskTimedOut", err)
		}
	})
	t.Run("failure caught", func(t *testing.T) {
		t.Parallel()
		tc := &tokenCatcher{}
		h := newHarness(t, def, map[string]handler{"notify": tc.handler})
		h.start("x", `{"who":"bo"}`)
		if err := h.eng.SendTaskFailure(ctx, tc.last(t), "Owner.Declined", "busy"); err != nil {
			t.Fatal(err)
		}
		x := h.describe("x")
		mustSucceed(t, x)
		assertJSON(t, x.Output, `{"Error":"Owner.Declined","Cause":"busy"}`)
	})
	t.Run("failure uncaught", func(t *testing.T) {
		t.Parallel()
		tc := &tokenCatcher{}
		h := newHarness(t, def, map[string]handler{"notify": tc.handler})
		h.start("x", `{"who":"bo"}`)
		if err := h.eng.SendTaskFailure(ctx, tc.last(t), "Nope", "n"); err != nil {
			t.Fatal(err)
		}
		if x := h.describe("x"); x.Status != StatusFailed || x.Error != "Nope" {
			t.Fatalf("got %s %s", x.Status, x.Error)
		}
	})
	t.Run("heartbeat timeout", func(t *testing.T) {
		t.Parallel()
		tc := &tokenCatcher{}
		h := newHarness(t, def, map[string]handler{"notify": tc.handler})
		h.start("x", `{"who":"bo"}`)
		h.advance(599 * time.Second)
		if x := h.describe("x"); x.Status != StatusRunning {
			t.Fatalf("ended early: %s", x.Status)
		}
		h.advance(time.Second)
		if x := h.describe("x"); x.Status != StatusFailed || x.Error != ErrNameHeartbeatTimeout {
			t.Fatalf("got %s %s", x.Status, x.Error)
		}
		if err := h.eng.SendTaskSuccess(ctx, tc.last(t), json.RawMessage(`{}`)); !errors.Is(err, ErrTaskTimedOut) {
			t.Errorf("late success: %v", err)
		}
	})
	t.Run("task timeout", func(t *testing.T) {
		t.Parallel()
		tc := &tokenCatcher{}
		h := newHarness(t, def, map[string]handler{"notify": tc.handler})
		h.start("x", `{"who":"bo"}`)
		for i := 0; i < 6; i++ {
			h.advance(590 * time.Second)
			if err := h.eng.SendTaskHeartbeat(ctx, tc.last(t)); err != nil {
				t.Fatalf("heartbeat %d: %v", i, err)
			}
		}
		h.advance(60 * time.Second) // 3600s
		if x := h.describe("x"); x.Status != StatusFailed || x.Error != ErrNameTimeout {
			t.Fatalf("got %s %s", x.Status, x.Error)
		}
	})
	t.Run("bad tokens", func(t *testing.T) {
		t.Parallel()
		tc := &tokenCatcher{}
		h := newHarness(t, def, map[string]handler{"notify": tc.handler})
		h.start("x", `{"who":"bo"}`)
		tok := tc.last(t)
		if err := h.eng.SendTaskSuccess(ctx, "garbage!", json.RawMessage(`{}`)); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("garbage: %v", err)
		}
		forged := tok[:len(tok)-4] + "AAAA"
		if err := h.eng.SendTaskSuccess(ctx, forged, json.RawMessage(`{}`)); err == nil {
			t.Error("forged token accepted")
		}
		if err := h.eng.SendTaskSuccess(ctx, tok, json.RawMessage(`{bad`)); !errors.Is(err, ErrInvalidOutput) {
			t.Errorf("bad output: %v", err)
		}
		other, _ := h.eng.newToken(h.eng.ExecutionARN("sm", "nope"), "0", 1)
		if err := h.eng.SendTaskSuccess(ctx, other, json.RawMessage(`{}`)); !errors.Is(err, ErrTaskDoesNotExist) {
			t.Errorf("unknown execution: %v", err)
		}
	})
}

func TestTaskTimeoutSynchronous(t *testing.T) {
	t.Parallel()
	// A handler that takes (virtual) time longer than TimeoutSeconds.
	var h *harness
	def := single(`{"Type":"Task","Resource":"` + fnARN + `slow","TimeoutSecondsPath":"$.t","End":true}`)
	h = newHarness(t, def, map[string]handler{"slow": func(any) (any, error) {
		h.clock.Advance(10 * time.Second)
		return "late", nil
	}})
	h.start("x", `{"t":5}`)
	if x := h.describe("x"); x.Status != StatusFailed || x.Error != ErrNameTimeout {
		t.Fatalf("got %s %s", x.Status, x.Error)
	}
}

func TestWaitState(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, state, input string
		wait               time.Duration
	}{
		{"Seconds", `{"Type":"Wait","Seconds":90,"End":true}`, `{}`, 90 * time.Second},
		{"SecondsPath", `{"Type":"Wait","SecondsPath":"$.s","End":true}`, `{"s":30}`, 30 * time.Second},
		{"Timestamp", `{"Type":"Wait","Timestamp":"2024-05-01T13:00:00Z","End":true}`, `{}`, time.Hour},
		{"TimestampPath", `{"Type":"Wait","TimestampPath":"$.at","End":true}`, `{"at":"2024-05-01T12:00:05+00:00"}`, 5 * time.Second},
		{"past Timestamp", `{"Type":"Wait","Timestamp":"2020-01-01T00:00:00Z","End":true}`, `{}`, 0},
		{"zero Seconds", `{"Type":"Wait","Seconds":0,"End":true}`, `{}`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, single(tt.state), nil)
			x := h.start("x", tt.input)
			if tt.wait == 0 {
				mustSucceed(t, x)
				return
			}
			h.advance(tt.wait - time.Nanosecond)
			if x := h.describe("x"); x.Status != StatusRunning {
				t.Fatalf("ended early")
			}
			h.advance(time.Nanosecond)
			x = h.describe("x")
			mustSucceed(t, x)
			assertJSON(t, x.Output, tt.input)
		})
	}
	for _, bad := range []string{`{"s":-1}`, `{"s":"10"}`, `{}`} {
		x := runDef(t, single(`{"Type":"Wait","SecondsPath":"$.s","End":true}`), bad, nil)
		if x.Error != ErrNameRuntime {
			t.Errorf("SecondsPath with %s: %s", bad, x.Error)
		}
	}
}

func TestFailState(t *testing.T) {
	t.Parallel()
	x := runDef(t, single(`{"Type":"Fail","Error":"E","Cause":"C"}`), `{}`, nil)
	if x.Status != StatusFailed || x.Error != "E" || x.Cause != "C" {
		t.Errorf("got %+v", x)
	}
	x = runDef(t, single(`{"Type":"Fail","ErrorPath":"$.e","CausePath":"States.Format('n={}', $.n)"}`), `{"e":"Dyn","n":2}`, nil)
	if x.Error != "Dyn" || x.Cause != "n=2" {
		t.Errorf("got %q %q", x.Error, x.Cause)
	}
}

func TestContextObject(t *testing.T) {
	t.Parallel()
	def := single(`{"Type":"Pass","Parameters":{"id.$":"$$.Execution.Id","name.$":"$$.Execution.Name","input.$":"$$.Execution.Input",
	  "start.$":"$$.Execution.StartTime","role.$":"$$.Execution.RoleArn","state.$":"$$.State.Name","entered.$":"$$.State.EnteredTime",
	  "retry.$":"$$.State.RetryCount","sm.$":"$$.StateMachine.Id","smName.$":"$$.StateMachine.Name"},"End":true}`)
	x := runDef(t, def, `{"k":1}`, nil)
	mustSucceed(t, x)
	assertJSON(t, x.Output, `{"id":"arn:aws:states:local:000000000000:execution:sm:x","name":"x","input":{"k":1},
	  "start":"2024-05-01T12:00:00.000Z","role":"","state":"S","entered":"2024-05-01T12:00:00.000Z","retry":0,
	  "sm":"arn:aws:states:local:000000000000:stateMachine:sm","smName":"sm"}`)
}

func TestLambdaInvokeIntegration(t *testing.T) {
	t.Parallel()
	def := single(`{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"` + fnARN + `echo","Payload":{"v.$":"$.v"}},"End":true}`)
	x := runDef(t, def, `{"v":1}`, map[string]handler{"echo": func(p any) (any, error) { return p, nil }})
	mustSucceed(t, x)
	assertJSON(t, x.Output, `{"ExecutedVersion":"$LATEST","Payload":{"v":1},"SdkHttpMetadata":{},"SdkResponseMetadata":{},"StatusCode":200}`)
}

func TestParallelAndMapWithWaitsAndTokens(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	def := `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[
	   {"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"Next":"WP"},"WP":{"Type":"Pass","Result":"waited","End":true}}},
	   {"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.people","MaxConcurrency":2,"ItemSelector":{"who.$":"$$.Map.Item.Value"},
	     "ItemProcessor":{"StartAt":"Ask","States":{"Ask":{` + tokenTask + `,"End":true}}},"End":true}}}
	 ],"Next":"Done"},"Done":{"Type":"Succeed"}}}`
	tc := &tokenCatcher{}
	h := newHarness(t, def, map[string]handler{"notify": tc.handler})
	h.start("x", `{"people":["a","b","c"]}`)
	tc.mu.Lock()
	first := append([]string(nil), tc.tokens...)
	tc.mu.Unlock()
	if len(first) != 2 {
		t.Fatalf("MaxConcurrency 2: %d tokens issued", len(first))
	}
	for i, tok := range first {
		if err := h.eng.SendTaskSuccess(ctx, tok, json.RawMessage(fmt.Sprintf(`{"answer":%d}`, i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.eng.SendTaskSuccess(ctx, tc.last(t), json.RawMessage(`{"answer":2}`)); err != nil {
		t.Fatal(err)
	}
	if x := h.describe("x"); x.Status != StatusRunning {
		t.Fatalf("finished before the Wait: %s", x.Status)
	}
	h.advance(time.Minute)
	x := h.describe("x")
	mustSucceed(t, x)
	assertJSON(t, x.Output, `["waited",[{"answer":0},{"answer":1},{"answer":2}]]`)
}

func TestParallelBranchFailureAbortsSiblings(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	def := `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[
	   {"StartAt":"Ask","States":{"Ask":{` + tokenTask + `,"End":true}}},
	   {"StartAt":"Later","States":{"Later":{"Type":"Wait","Seconds":10,"Next":"Boom"},"Boom":{"Type":"Fail","Error":"Branch.Boom"}}}],
	   "Catch":[{"ErrorEquals":["Branch.Boom"],"Next":"Caught"}],"End":true},"Caught":{"Type":"Pass","End":true}}}`
	tc := &tokenCatcher{}
	h := newHarness(t, def, map[string]handler{"notify": tc.handler})
	h.start("x", `{"who":"a"}`)
	h.advance(10 * time.Second)
	x := h.describe("x")
	mustSucceed(t, x)
	assertJSON(t, x.Output, `{"Error":"Branch.Boom","Cause":""}`)
	if err := h.eng.SendTaskSuccess(ctx, tc.last(t), json.RawMessage(`{}`)); !errors.Is(err, ErrTaskTimedOut) {
		t.Errorf("token of aborted branch: %v", err)
	}
}

func TestMapEmptyAndErrors(t *testing.T) {
	t.Parallel()
	def := single(`{"Type":"Map","Iterator":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}`)
	x := runDef(t, def, `[]`, nil)
	mustSucceed(t, x)
	assertJSON(t, x.Output, `[]`)
	x = runDef(t, def, `{"not":"array"}`, nil)
	if x.Error != ErrNameRuntime {
		t.Errorf("non-array items: %s", x.Error)
	}
}

func TestExecutionTimeout(t *testing.T) {
	t.Parallel()
	def := `{"TimeoutSeconds":100,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1000,"End":true}}}`
	h := newHarness(t, def, nil)
	h.start("x", `{}`)
	h.advance(100 * time.Second)
	x := h.describe("x")
	if x.Status != StatusTimedOut || x.Error != ErrNameTimeout {
		t.Fatalf("got %s %s", x.Status, x.Error)
	}
}

func TestExecutionNames(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newHarness(t, single(`{"Type":"Wait","Seconds":10,"End":true}`), nil)
	a := h.start("dup", `{"a":1}`)
	b, err := h.eng.StartExecution(ctx, "sm", "dup", json.RawMessage(`{ "a" : 1 }`))
	if err != nil || b.ExecutionARN != a.ExecutionARN {
		t.Fatalf("same input: %v %v", b, err)
	}
	if _, err := h.eng.StartExecution(ctx, "sm", "dup", json.RawMessage(`{"a":2}`)); !errors.Is(err, ErrExecutionAlreadyExists) {
		t.Errorf("different input: %v", err)
	}
	h.advance(10 * time.Second)
	if _, err := h.eng.StartExecution(ctx, "sm", "dup", json.RawMessage(`{"a":2}`)); !errors.Is(err, ErrExecutionAlreadyExists) {
		t.Errorf("different input after finish: %v", err)
	}
	if _, err := h.eng.StartExecution(ctx, "sm", "bad name", nil); !errors.Is(err, ErrInvalidName) {
		t.Errorf("bad name: %v", err)
	}
	if _, err := h.eng.StartExecution(ctx, "nope", "n", nil); !errors.Is(err, ErrStateMachineNotFound) {
		t.Errorf("unknown machine: %v", err)
	}
	if _, err := h.eng.StartExecution(ctx, "sm", "n", json.RawMessage(`{x`)); !errors.Is(err, ErrInvalidExecutionInput) {
		t.Errorf("bad input: %v", err)
	}
	gen, err := h.eng.StartExecution(ctx, h.eng.StateMachineARN("sm"), "", nil)
	if err != nil || gen.Name == "" {
		t.Errorf("generated name: %v %v", gen, err)
	}
	list, err := h.eng.ListExecutions(ctx, "sm", StatusSucceeded)
	if err != nil || len(list) != 1 || list[0].Name != "dup" {
		t.Errorf("ListExecutions: %v %v", list, err)
	}
	all, _ := h.eng.ListExecutions(ctx, "sm", "")
	if len(all) != 2 {
		t.Errorf("ListExecutions all: %d", len(all))
	}
}

func TestStopExecution(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tc := &tokenCatcher{}
	h := newHarness(t, single(`{`+tokenTask+`,"End":true}`), map[string]handler{"notify": tc.handler})
	h.start("x", `{"who":"a"}`)
	if err := h.eng.StopExecution(ctx, "sm", "x", "Stopped", "by test"); err != nil {
		t.Fatal(err)
	}
	if x := h.describe("x"); x.Status != StatusAborted {
		t.Fatalf("status %s", x.Status)
	}
	if err := h.eng.SendTaskSuccess(ctx, tc.last(t), json.RawMessage(`{}`)); !errors.Is(err, ErrTaskTimedOut) {
		t.Errorf("token after stop: %v", err)
	}
}

func TestHistory(t *testing.T) {
	t.Parallel()
	def := `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"W"},"W":{"Type":"Wait","Seconds":5,"Next":"T"},"T":{"Type":"Task","Resource":"` + fnARN + `f","End":true}}}`
	h := newHarness(t, def, map[string]handler{"f": func(any) (any, error) { return 1, nil }})
	h.start("x", `{}`)
	h.advance(5 * time.Second)
	x := h.describe("x")
	var types []string
	for _, ev := range x.History {
		types = append(types, ev.Type)
	}
	want := "ExecutionStarted PassStateEntered PassStateExited WaitStateEntered WaitStateExited TaskStateEntered TaskScheduled TaskSucceeded TaskStateExited ExecutionSucceeded"
	if strings.Join(types, " ") != want {
		t.Errorf("history\n got %s\nwant %s", strings.Join(types, " "), want)
	}
	if !x.History[3].Timestamp.Equal(t0) || !x.History[4].Timestamp.Equal(t0.Add(5*time.Second)) {
		t.Errorf("timestamps %v %v", x.History[3].Timestamp, x.History[4].Timestamp)
	}
	if fmt.Sprint(x.StatesEntered()) != "[A W T]" {
		t.Errorf("states %v", x.StatesEntered())
	}
}

func TestConcurrentCallers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tc := &tokenCatcher{}
	h := newHarness(t, single(`{`+tokenTask+`,"End":true}`), map[string]handler{"notify": tc.handler})
	const n = 20
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if _, err := h.eng.StartExecution(ctx, "sm", fmt.Sprintf("e%d", i), json.RawMessage(`{"who":"x"}`)); err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	tc.mu.Lock()
	tokens := append([]string(nil), tc.tokens...)
	tc.mu.Unlock()
	for _, tok := range tokens {
		wg.Add(2)
		go func(tok string) {
			defer wg.Done()
			if err := h.eng.SendTaskSuccess(ctx, tok, json.RawMessage(`{}`)); err != nil {
				t.Error(err)
			}
		}(tok)
		go func() {
			defer wg.Done()
			_ = h.eng.Tick(ctx)
		}()
	}
	wg.Wait()
	list, _ := h.eng.ListExecutions(ctx, "sm", StatusSucceeded)
	if len(list) != n {
		t.Errorf("%d of %d succeeded", len(list), n)
	}
}

// TestHandlerCallsBack covers a handler that completes its own token
// synchronously, before Invoke returns.
func TestHandlerCallsBack(t *testing.T) {
	t.Parallel()
	var h *harness
	h = newHarness(t, single(`{`+tokenTask+`,"End":true}`), map[string]handler{"notify": func(p any) (any, error) {
		tok := p.(map[string]any)["token"].(string)
		return nil, h.eng.SendTaskSuccess(context.Background(), tok, json.RawMessage(`"done"`))
	}})
	x := h.start("x", `{"who":"a"}`)
	mustSucceed(t, x)
	assertJSON(t, x.Output, `"done"`)
}

func TestPanickingHandler(t *testing.T) {
	t.Parallel()
	x := runDef(t, single(`{"Type":"Task","Resource":"`+fnARN+`f","End":true}`), `{}`, map[string]handler{"f": func(any) (any, error) { panic("oops") }})
	if x.Status != StatusFailed || x.Error != "Runtime.Panic" {
		t.Errorf("got %s %s", x.Status, x.Error)
	}
}
