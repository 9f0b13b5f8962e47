//go:build difftest

package asl

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// TestDifferential runs every definition under testdata/diff with this
// interpreter and with aws-local-stepfunctions (an independent JS
// implementation, via infra/tools/difftest/run.mjs) and compares the states
// entered and the output or error. Run with: go test -tags difftest ./shared/local/asl/
//
// Cases deliberately left out, where aws-local-stepfunctions 3.0.0 departs
// from AWS and its docs:
//   - lambda:invoke results: with a local handler override it returns the
//     handler output bare instead of AWS's {"Payload":..., "StatusCode":200, ...}.
//   - States.Runtime being uncatchable by States.ALL.
//   - "IsPresent": false on a missing field: it does not match there,
//     while AWS documents that it does (choice_numeric drops that rule).
//   - States.JsonMerge: it mutates its first argument in place, so later
//     reads of that path see the merged object (intrinsics reads $.o2).
//   - ErrorPath/CausePath given as intrinsic functions (AWS allows them;
//     fail_path uses plain paths).
//   - States.StringSplit with empty pieces ("a,,b"): AWS does not document
//     the result; this interpreter drops empty pieces.
func TestDifferential(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("skipping: node not found in PATH")
	}
	tools, _ := filepath.Abs(filepath.Join("..", "..", "..", "infra", "tools"))
	if _, err := os.Stat(filepath.Join(tools, "node_modules", "aws-local-stepfunctions")); err != nil {
		t.Skipf("skipping: %s/node_modules/aws-local-stepfunctions missing (run npm ci there)", tools)
	}
	defs, err := filepath.Glob(filepath.Join("testdata", "diff", "*.asl.json"))
	if err != nil || len(defs) == 0 {
		t.Fatalf("no definitions in testdata/diff: %v", err)
	}
	for _, defPath := range defs {
		name := strings.TrimSuffix(filepath.Base(defPath), ".asl.json")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			inPath := filepath.Join("testdata", "diff", name+".input.json")
			tasksPath := filepath.Join("testdata", "diff", name+".tasks.json")
			input := readOr(t, inPath, "{}")
			tasks := readOr(t, tasksPath, "{}")

			ours := runOurs(t, defPath, input, tasks)
			theirs := runTheirs(t, node, tools, defPath, input, tasks)

			if ours.Error != theirs.Error {
				t.Errorf("error: ours %q (%s), aws-local-stepfunctions %q (%s)", ours.Error, ours.Cause, theirs.Error, theirs.Cause)
			}
			if ours.Error == "" && !jsonEqualRaw(ours.Output, theirs.Output) {
				t.Errorf("output differs\n ours: %s\ntheirs: %s", ours.Output, theirs.Output)
			}
			a, b := ours.States, theirs.States
			if strings.Contains(string(readOr(t, defPath, "")), `"Parallel"`) || strings.Contains(string(readOr(t, defPath, "")), `"Map"`) {
				// Branches and iterations interleave differently; compare as sets.
				a, b = slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b))
			}
			if !slices.Equal(a, b) {
				t.Errorf("states differ\n ours: %v\ntheirs: %v", ours.States, theirs.States)
			}
		})
	}
}

type diffResult struct {
	Output json.RawMessage `json:"output"`
	States []string        `json:"states"`
	Error  string          `json:"error"`
	Cause  string          `json:"cause"`
}

func readOr(t *testing.T, path, def string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return []byte(def)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func jsonEqualRaw(a, b json.RawMessage) bool {
	x, err1 := decodeJSON(a)
	y, err2 := decodeJSON(b)
	return err1 == nil && err2 == nil && jsonEqual(x, y)
}

func runTheirs(t *testing.T, node, tools, defPath string, input, tasks []byte) diffResult {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "input.json")
	tk := filepath.Join(dir, "tasks.json")
	absDef, _ := filepath.Abs(defPath)
	if err := os.WriteFile(in, input, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tk, tasks, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join("difftest", "run.mjs"), absDef, in, tk)
	cmd.Dir = tools
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("run.mjs: %v\n%s", err, stderr.String())
	}
	var r diffResult
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("run.mjs output %q: %v", out, err)
	}
	return r
}

// scripted replays the same task-results file format as run.mjs.
type scripted struct {
	mu      sync.Mutex
	results map[string]json.RawMessage
	used    map[string]int
}

func (s *scripted) Invoke(ctx context.Context, _ string, payload json.RawMessage) (json.RawMessage, error) {
	info, _ := TaskInfoFromContext(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	raw, ok := s.results[info.StateName]
	if !ok {
		return payload, nil
	}
	v, _ := decodeJSON(raw)
	if seq, isSeq := v.([]any); isSeq {
		i := min(s.used[info.StateName], len(seq)-1)
		s.used[info.StateName]++
		v = seq[i]
	}
	if m, ok := v.(map[string]any); ok {
		if e, ok := m["Error"].(string); ok && (len(m) == 1 || len(m) == 2 && m["Cause"] != nil) {
			c, _ := m["Cause"].(string)
			return nil, &TaskError{Type: e, Cause: c}
		}
	}
	return mustEncode(v), nil
}

func runOurs(t *testing.T, defPath string, input, tasks []byte) diffResult {
	t.Helper()
	d, err := Parse(readOr(t, defPath, ""))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	var results map[string]json.RawMessage
	if err := json.Unmarshal(tasks, &results); err != nil {
		// A bare array applies to the only Task state, "T" by convention.
		results = map[string]json.RawMessage{"T": tasks}
	}
	clock := NewManualClock(t0)
	eng := NewEngine(Config{Clock: clock, Invoker: &scripted{results: results, used: map[string]int{}}})
	eng.Register("diff", d)
	ctx := context.Background()
	if _, err := eng.StartExecution(ctx, "diff", "diff", input); err != nil {
		t.Fatalf("StartExecution: %v", err)
	}
	for {
		next, ok := eng.NextWakeup()
		if !ok {
			break
		}
		clock.Set(next)
		if err := eng.Tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	x, err := eng.DescribeExecution(ctx, "diff", "diff")
	if err != nil {
		t.Fatal(err)
	}
	if x.Status == StatusRunning {
		t.Fatalf("execution still running")
	}
	return diffResult{Output: x.Output, States: x.StatesEntered(), Error: x.Error, Cause: x.Cause}
}
