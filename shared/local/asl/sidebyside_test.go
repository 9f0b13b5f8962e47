//go:build difftest

package asl

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/infra/statemachine"
)

// The closed loop's happy path, the same in infra/tools/difftest/bench.mjs:
// the owner completes the task and writes a note, no recovery check.
const closedLoopInput = `{"response_id":"rs_1","task_id":"tk_1"}`

var closedLoopResults = map[string]json.RawMessage{
	"AssignOwner":    json.RawMessage(`{"task_id":"tk_1","wait_seconds":172800,"final":false}`),
	"WaitForOwner":   json.RawMessage(`{"action":"complete"}`),
	"RecordOutcome":  json.RawMessage(`{"note":true,"recovery":false,"recovery_wait_seconds":0}`),
	"NotifyCustomer": json.RawMessage(`{}`),
}

var placeholder = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`)

// closedLoopDefinition is the real definition with its placeholders
// replaced as bench.mjs does: ${XFunctionArn} by a fake ARN of function X,
// ${SlaHours} by 48.
func closedLoopDefinition(tb testing.TB) *Definition {
	tb.Helper()
	var missing []string
	def := placeholder.ReplaceAllStringFunc(string(statemachine.ClosedLoop), func(m string) string {
		name := placeholder.FindStringSubmatch(m)[1]
		if name == "SlaHours" {
			return "48"
		}
		if fn, ok := strings.CutSuffix(name, "FunctionArn"); ok {
			return "arn:aws:lambda:us-east-1:123456789012:function:" + fn
		}
		missing = append(missing, name)
		return m
	})
	if len(missing) > 0 {
		tb.Fatalf("no value for placeholders %v", missing)
	}
	d, err := Parse([]byte(def))
	if err != nil {
		tb.Fatalf("Parse closed loop: %v", err)
	}
	return d
}

// closedLoopEngine runs the closed loop with canned task results. The
// waitForTaskToken task's handler completes its own token at once, as
// notify-owner's owner would much later.
func closedLoopEngine(tb testing.TB) *Engine {
	tb.Helper()
	var eng *Engine
	inv := InvokerFunc(func(ctx context.Context, _ string, _ json.RawMessage) (json.RawMessage, error) {
		info, _ := TaskInfoFromContext(ctx)
		out, ok := closedLoopResults[info.StateName]
		if !ok {
			return nil, &TaskError{Type: ErrNameTaskFailed, Cause: "no canned result for " + info.StateName}
		}
		if info.Token != "" {
			return json.RawMessage(`{}`), eng.SendTaskSuccess(ctx, info.Token, out)
		}
		return out, nil
	})
	eng = NewEngine(Config{Store: NewMemoryStore(), Clock: NewManualClock(t0), Invoker: inv})
	eng.Register("closed-loop", closedLoopDefinition(tb))
	return eng
}

func runClosedLoop(ctx context.Context, eng *Engine, name string) (*Execution, error) {
	x, err := eng.StartExecution(ctx, "closed-loop", name, json.RawMessage(closedLoopInput))
	if err != nil {
		return nil, err
	}
	if x.Status != StatusSucceeded {
		return nil, fmt.Errorf("execution %s: %s %s %s", name, x.Status, x.Error, x.Cause)
	}
	return x, nil
}

// BenchmarkClosedLoopGo runs the closed loop's happy path once per
// iteration: four Task states (one waitForTaskToken), four Choice states,
// persisted to the memory store.
func BenchmarkClosedLoopGo(b *testing.B) {
	eng := closedLoopEngine(b)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := runClosedLoop(ctx, eng, fmt.Sprintf("e%d", i)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// TestSideBySide runs the closed loop's happy path the same number of
// times here and in aws-local-stepfunctions (bench.mjs), logs both rates
// and their ratio, and checks that both took the same states to the same
// output. It asserts nothing about speed: the rates depend on the machine.
//
//	go test -tags difftest -run TestSideBySide -v ./shared/local/asl/
func TestSideBySide(t *testing.T) {
	const n, warmup = 300, 20
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("skipping: node not found in PATH")
	}
	tools, _ := filepath.Abs(filepath.Join("..", "..", "..", "infra", "tools"))
	cmd := exec.Command(node, filepath.Join("difftest", "bench.mjs"), fmt.Sprint(n))
	cmd.Dir = tools
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("bench.mjs: %v\n%s", err, stderr.String())
	}
	var theirs struct {
		Executions int             `json:"executions"`
		Seconds    float64         `json:"seconds"`
		Rate       float64         `json:"executions_per_second"`
		Output     json.RawMessage `json:"output"`
		States     []string        `json:"states"`
	}
	if err := json.Unmarshal(out, &theirs); err != nil {
		t.Fatalf("bench.mjs output %q: %v", out, err)
	}

	// Same shape as bench.mjs: one untimed run to compare, a warm-up, then
	// n timed executions one after another.
	ctx := context.Background()
	eng := closedLoopEngine(t)
	first, err := runClosedLoop(ctx, eng, "first")
	if err != nil {
		t.Fatal(err)
	}
	for i := range warmup {
		if _, err := runClosedLoop(ctx, eng, fmt.Sprintf("warm%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	for i := range n {
		if _, err := runClosedLoop(ctx, eng, fmt.Sprintf("e%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	took := time.Since(start)
	rate := float64(n) / took.Seconds()

	t.Logf("closed loop, happy path, %d executions each:\n  Go interpreter:          %8.0f executions/s (%s)\n  aws-local-stepfunctions: %8.0f executions/s (%.3fs)\n  ratio: %.1f×",
		n, rate, took.Round(time.Microsecond), theirs.Rate, theirs.Seconds, rate/theirs.Rate)

	if !jsonEqualRaw(first.Output, theirs.Output) {
		t.Errorf("output differs\n     Go: %s\n    aws-local-stepfunctions: %s", first.Output, theirs.Output)
	}
	if states := first.StatesEntered(); !slices.Equal(states, theirs.States) {
		t.Errorf("states differ\n     Go: %v\n    aws-local-stepfunctions: %v", states, theirs.States)
	}
}
