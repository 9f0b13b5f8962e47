package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/cxloop/cxloop/shared/local/asl"
)

const sfnUsage = `usage: cxloop sfn run FILE [--input JSON | --input-file F] [--tasks RESULTS.json] [--history]

Runs a state machine definition with the local ASL interpreter on a virtual
clock (Wait states and retry back-offs are skipped over, never slept) and
prints the execution output.

  --tasks    JSON object keyed by Task state name. Each value is the task's
             result, or {"Error":"X","Cause":"y"} to make it fail, or an
             array of such values used one per invocation (the last one
             repeats), e.g. to show retries. waitForTaskToken tasks complete
             with the value as their SendTaskSuccess output. Tasks not listed
             return their payload unchanged.
  --history  print the states entered, one per line, before the output.
`

// runSFN implements `cxloop sfn ...`.
func runSFN(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "run" {
		fmt.Fprint(stderr, sfnUsage)
		return errors.New("sfn: expected subcommand run")
	}
	fs := flag.NewFlagSet("cxloop sfn run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, sfnUsage) }
	input := fs.String("input", "", "execution input JSON")
	inputFile := fs.String("input-file", "", "file holding the execution input JSON")
	tasksFile := fs.String("tasks", "", "JSON file of task results keyed by state name")
	history := fs.Bool("history", false, "print the states entered before the output")
	// Allow flags before and after FILE.
	var positional []string
	rest := args[1:]
	for {
		if err := fs.Parse(rest); err != nil {
			return fmt.Errorf("sfn run: %w", err)
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		positional = append(positional, rest[0])
		rest = rest[1:]
	}
	if len(positional) != 1 {
		fs.Usage()
		return errors.New("sfn run: expected exactly one definition FILE")
	}
	if *input != "" && *inputFile != "" {
		return errors.New("sfn run: --input and --input-file are mutually exclusive")
	}
	defJSON, err := os.ReadFile(positional[0])
	if err != nil {
		return fmt.Errorf("sfn run: read definition: %w", err)
	}
	def, err := asl.Parse(defJSON)
	if err != nil {
		return fmt.Errorf("sfn run: %s: %w", positional[0], err)
	}
	in := []byte(*input)
	if *inputFile != "" {
		if in, err = os.ReadFile(*inputFile); err != nil {
			return fmt.Errorf("sfn run: read input: %w", err)
		}
	}
	tasks := &scriptedTasks{results: map[string][]json.RawMessage{}}
	if *tasksFile != "" {
		raw, err := os.ReadFile(*tasksFile)
		if err != nil {
			return fmt.Errorf("sfn run: read tasks: %w", err)
		}
		if err := tasks.load(raw); err != nil {
			return fmt.Errorf("sfn run: %s: %w", *tasksFile, err)
		}
	}

	clock := asl.NewManualClock(time.Now().UTC().Truncate(time.Second))
	eng := asl.NewEngine(asl.Config{Clock: clock, Invoker: tasks})
	eng.Register("cli", def)
	if _, err := eng.StartExecution(ctx, "cli", "run", in); err != nil {
		return fmt.Errorf("sfn run: %w", err)
	}
	for {
		// Complete waitForTaskToken tasks, then jump the clock to the next
		// deadline, until the execution ends or nothing can move it.
		progressed, err := tasks.settleTokens(ctx, eng)
		if err != nil {
			return fmt.Errorf("sfn run: %w", err)
		}
		x, err := eng.DescribeExecution(ctx, "cli", "run")
		if err != nil {
			return fmt.Errorf("sfn run: %w", err)
		}
		if x.Status != asl.StatusRunning {
			return report(x, *history, stdout)
		}
		if progressed {
			continue
		}
		next, ok := eng.NextWakeup()
		if !ok {
			return errors.New("sfn run: execution is blocked (a waitForTaskToken task with no result?)")
		}
		clock.Set(next)
		if err := eng.Tick(ctx); err != nil {
			return fmt.Errorf("sfn run: %w", err)
		}
	}
}

func report(x *asl.Execution, history bool, stdout io.Writer) error {
	if history {
		for _, s := range x.StatesEntered() {
			fmt.Fprintln(stdout, s)
		}
	}
	if x.Status != asl.StatusSucceeded {
		return fmt.Errorf("execution %s: %s: %s", x.Status, x.Error, x.Cause)
	}
	fmt.Fprintln(stdout, string(x.Output))
	return nil
}

// scriptedTasks is the CLI's Invoker: results come from the --tasks file,
// keyed by the Task state's name.
type scriptedTasks struct {
	mu      sync.Mutex
	results map[string][]json.RawMessage
	used    map[string]int
	pending []pendingToken
}

type pendingToken struct {
	token string
	value json.RawMessage
}

func (s *scriptedTasks) load(raw []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("tasks file must be a JSON object keyed by state name: %w", err)
	}
	for state, v := range m {
		trimmed := strings.TrimSpace(string(v))
		if strings.HasPrefix(trimmed, "[") {
			var seq []json.RawMessage
			if err := json.Unmarshal(v, &seq); err != nil {
				return fmt.Errorf("task %q: %w", state, err)
			}
			if len(seq) == 0 {
				return fmt.Errorf("task %q: empty result list", state)
			}
			s.results[state] = seq
			continue
		}
		s.results[state] = []json.RawMessage{v}
	}
	return nil
}

// next returns the scripted value for a state, or nil when none is given.
func (s *scriptedTasks) next(state string) json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	seq, ok := s.results[state]
	if !ok {
		return nil
	}
	if s.used == nil {
		s.used = map[string]int{}
	}
	i := min(s.used[state], len(seq)-1)
	s.used[state]++
	return seq[i]
}

// asFailure recognises {"Error":..., "Cause":...}.
func asFailure(v json.RawMessage) (*asl.TaskError, bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(v, &m) != nil {
		return nil, false
	}
	if _, ok := m["Error"]; !ok || len(m) > 2 {
		return nil, false
	}
	if _, ok := m["Cause"]; len(m) == 2 && !ok {
		return nil, false
	}
	var te asl.TaskError
	if json.Unmarshal(m["Error"], &te.Type) != nil {
		return nil, false
	}
	if c, ok := m["Cause"]; ok {
		_ = json.Unmarshal(c, &te.Cause)
	}
	return &te, true
}

func (s *scriptedTasks) Invoke(ctx context.Context, _ string, payload json.RawMessage) (json.RawMessage, error) {
	info, _ := asl.TaskInfoFromContext(ctx)
	v := s.next(info.StateName)
	if v == nil {
		v = payload
	}
	if info.Token != "" {
		s.mu.Lock()
		s.pending = append(s.pending, pendingToken{token: info.Token, value: v})
		s.mu.Unlock()
		return json.RawMessage(`{}`), nil
	}
	if te, ok := asFailure(v); ok {
		return nil, te
	}
	return v, nil
}

// settleTokens answers the waitForTaskToken tasks invoked so far.
func (s *scriptedTasks) settleTokens(ctx context.Context, eng *asl.Engine) (bool, error) {
	s.mu.Lock()
	pending := s.pending
	s.pending = nil
	s.mu.Unlock()
	for _, p := range pending {
		var err error
		if te, ok := asFailure(p.value); ok {
			err = eng.SendTaskFailure(ctx, p.token, te.Type, te.Cause)
		} else {
			err = eng.SendTaskSuccess(ctx, p.token, p.value)
		}
		if err != nil && !errors.Is(err, asl.ErrTaskTimedOut) {
			return false, err
		}
	}
	return len(pending) > 0, nil
}
