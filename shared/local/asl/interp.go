package asl

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// The interpreter proper: pure transitions of a frame tree, always called
// with the execution's lock (record.mu) held and Engine.mu not held. Task
// invocations are the only side effects; they are left in phaseInvoke for
// the driver (engine.go) to perform without the lock.

// stepper carries what one locked section needs.
type stepper struct {
	e   *Engine
	rec *record
	now time.Time
}

const timeLayout = "2006-01-02T15:04:05.000Z07:00"

func (s *stepper) event(typ, state, errName, cause string) {
	s.rec.History = append(s.rec.History, HistoryEvent{
		ID: len(s.rec.History) + 1, Timestamp: s.now, Type: typ, State: state, Error: errName, Cause: cause,
	})
}

// block returns the States block a frame runs.
func (s *stepper) block(f *frame) *machine {
	if f.Owner == "" {
		return s.rec.def.root
	}
	owner := s.rec.def.states[f.Owner]
	if owner.Type == TypeParallel {
		return owner.branches[f.Branch]
	}
	return owner.iterator
}

func (s *stepper) stateOf(f *frame) *State { return s.block(f).states[f.State] }

// contextMembers are the members of $$, in the order context adds them.
var contextMembers = [...]string{"Execution", "State", "StateMachine", "Task", "Map"}

// context returns the context object $$ for path p. A state typically
// reads one member ($$.Task.Token), so only the member p starts with is
// built, and the object is completed when p selects more than one member.
// The object is only ever handed out whole once complete, and a member
// once added never changes, so the gradual build is invisible.
func (env *evalEnv) context(p *jsonPath) map[string]any {
	if env.ctx == nil {
		env.ctx = make(map[string]any, len(contextMembers))
	}
	if len(p.segs) > 0 && p.segs[0].kind == segName {
		env.addContextMember(p.segs[0].name)
	} else {
		for _, name := range contextMembers {
			env.addContextMember(name)
		}
	}
	return env.ctx
}

func (env *evalEnv) addContextMember(name string) {
	if _, done := env.ctx[name]; done {
		return
	}
	rec, f := env.rec, env.f
	var v map[string]any
	switch name {
	case "Execution":
		exInput := rec.input
		if exInput == nil {
			exInput, _ = decodeJSON(rec.Input)
			rec.input = exInput
		}
		v = map[string]any{
			"Id":        rec.ARN,
			"Name":      rec.Name,
			"Input":     exInput,
			"StartTime": rec.StartTime.UTC().Format(timeLayout),
			"RoleArn":   env.roleARN,
		}
	case "State":
		v = map[string]any{
			"Name":        env.st.Name,
			"EnteredTime": f.Entered.UTC().Format(timeLayout),
			"RetryCount":  intNumber(int64(f.RetryCount)),
		}
	case "StateMachine":
		v = map[string]any{
			"Id":   rec.StateMachineARN,
			"Name": rec.StateMachineName,
		}
	case "Task":
		if f.Token == "" {
			return
		}
		v = map[string]any{"Token": f.Token}
	case "Map":
		if env.item == nil {
			return
		}
		v = map[string]any{"Item": env.item}
	default:
		return
	}
	env.ctx[name] = v
}

// env returns the evaluation environment of state st of frame f with
// effective input input; item is non-nil inside a Map's ItemSelector.
// It is small enough to inline, so the evalEnv stays on the caller's stack.
func (s *stepper) env(f *frame, st *State, input any, item map[string]any) *evalEnv {
	return &evalEnv{input: input, rand: s.e.rnd, rec: s.rec, roleARN: s.e.roleARN, f: f, st: st, item: item}
}

// settle advances every frame of the execution as far as it can go without
// a task invocation or the passage of time, and reports whether anything
// changed.
func (s *stepper) settle() bool {
	changed := false
	if s.rec.Status != StatusRunning {
		return false
	}
	if s.rec.Deadline != nil && !s.now.Before(*s.rec.Deadline) {
		s.finishExecution(StatusTimedOut, nil, ErrNameTimeout, "The execution timed out (TimeoutSeconds).")
		return true
	}
	for s.advance(s.rec.Root) {
		changed = true
		// A loop of Pass/Choice states without a Wait would spin forever
		// here, exactly as it would burn transitions in AWS; cap it.
		if len(s.rec.History) > maxHistoryEvents {
			s.finishExecution(StatusFailed, nil, ErrNameRuntime, fmt.Sprintf("execution exceeded %d history events", maxHistoryEvents))
			return true
		}
	}
	root := s.rec.Root
	switch root.Phase {
	case phaseSucceeded:
		s.finishExecution(StatusSucceeded, root.Output, "", "")
		changed = true
	case phaseFailed:
		s.finishExecution(StatusFailed, nil, root.Error, root.Cause)
		changed = true
	}
	return changed
}

// maxHistoryEvents is the Step Functions limit on events per execution.
const maxHistoryEvents = 25000

func (s *stepper) finishExecution(status Status, output any, errName, cause string) {
	r := s.rec
	r.Status = status
	r.StopTime = s.now
	r.Error, r.Cause = errName, cause
	if status == StatusSucceeded {
		r.Output = mustEncode(output)
	}
	if status != StatusSucceeded {
		abortTree(r.Root)
	}
	var typ string
	switch status {
	case StatusSucceeded:
		typ = "ExecutionSucceeded"
	case StatusFailed:
		typ = "ExecutionFailed"
	case StatusTimedOut:
		typ = "ExecutionTimedOut"
	case StatusAborted:
		typ = "ExecutionAborted"
	}
	s.event(typ, "", errName, cause)
	r.def.historyHint.Store(int32(len(r.History))) // at most maxHistoryEvents and a few
}

// abortTree stops every unfinished frame, invalidating its token.
func abortTree(f *frame) {
	f.walk(func(c *frame) {
		if !c.terminal() {
			c.Phase = phaseAborted
			c.Token = ""
			c.Until, c.TimeoutAt, c.HeartbeatAt = nil, nil, nil
		}
	})
}

// advance makes one round of progress on f and its children.
func (s *stepper) advance(f *frame) bool {
	switch f.Phase {
	case phaseReady:
		s.enter(f)
		return true
	case phaseWait:
		if !s.now.Before(*f.Until) {
			st := s.stateOf(f)
			f.Until = nil
			out, err := applyOutputPath(st, f.Effective)
			if err != nil {
				s.fail(f, st, err)
				return true
			}
			s.transition(f, st, out)
			return true
		}
	case phaseRetry:
		if !s.now.Before(*f.Until) {
			f.Until = nil
			f.Phase = phaseReady
			f.Retrying = true
			return true
		}
	case phaseInvoke, phaseToken:
		st := s.stateOf(f)
		if f.TimeoutAt != nil && !s.now.Before(*f.TimeoutAt) {
			s.event("TaskTimedOut", st.Name, ErrNameTimeout, "")
			s.fail(f, st, &stateError{Name: ErrNameTimeout, Cause: "Task timed out."})
			return true
		}
		if f.Phase == phaseToken && f.HeartbeatAt != nil && !s.now.Before(*f.HeartbeatAt) {
			s.event("TaskTimedOut", st.Name, ErrNameHeartbeatTimeout, "")
			s.fail(f, st, &stateError{Name: ErrNameHeartbeatTimeout, Cause: "Task heartbeat timed out."})
			return true
		}
	case phaseChildren:
		return s.advanceChildren(f)
	}
	return false
}

func (s *stepper) advanceChildren(f *frame) bool {
	st := s.stateOf(f)
	progress := false
	active := 0
	for _, c := range f.Children {
		if s.advance(c) {
			progress = true
		}
		if c.Phase == phaseFailed {
			// The first failed branch or iteration fails the whole state;
			// the others stop and their tokens become invalid.
			for _, o := range f.Children {
				abortTree(o)
			}
			f.Children = nil
			s.fail(f, st, &stateError{Name: c.Error, Cause: c.Cause})
			return true
		}
		if !c.terminal() && c.Phase != phasePending {
			active++
		}
	}
	// Start held-back Map iterations as MaxConcurrency allows.
	for _, c := range f.Children {
		if c.Phase == phasePending && (st.maxConcurrency == 0 || int64(active) < st.maxConcurrency) {
			c.Phase = phaseReady
			active++
			progress = true
		}
	}
	for _, c := range f.Children {
		if c.Phase != phaseSucceeded {
			return progress
		}
	}
	results := make([]any, len(f.Children))
	for i, c := range f.Children {
		results[i] = c.Output
	}
	f.Children = nil
	s.complete(f, st, results)
	return true
}

// enter runs the state f is about to execute. States that need a handler
// or time stop in the matching phase.
func (s *stepper) enter(f *frame) {
	st := s.stateOf(f)
	s.rec.Seq++
	f.Run = s.rec.Seq
	if !f.Retrying {
		f.Entered = s.now
		f.RetryCount = 0
		f.Attempts = nil
		s.event(st.enteredEvent, st.Name, "", "")
	}
	f.Retrying = false
	f.Token, f.Until, f.TimeoutAt, f.HeartbeatAt, f.Effective = "", nil, nil, nil, nil

	input := f.Input
	eff, err := applyInputPath(st, input)
	if err != nil {
		s.fail(f, st, err)
		return
	}
	switch st.Type {
	case TypePass:
		if st.parameters != nil {
			if eff, err = st.parameters.eval(s.env(f, st, eff, nil)); err != nil {
				s.fail(f, st, err)
				return
			}
		}
		result := eff
		if st.hasResult {
			result = st.result
		}
		s.finishResult(f, st, result)
	case TypeSucceed:
		out, err := applyOutputPath(st, eff)
		if err != nil {
			s.fail(f, st, err)
			return
		}
		s.event(st.exitedEvent, st.Name, "", "")
		f.Phase, f.Output = phaseSucceeded, out
	case TypeFail:
		s.enterFail(f, st)
	case TypeChoice:
		s.enterChoice(f, st, eff)
	case TypeWait:
		s.enterWait(f, st, eff)
	case TypeTask:
		s.enterTask(f, st, eff)
	case TypeParallel:
		if st.parameters != nil {
			if eff, err = st.parameters.eval(s.env(f, st, eff, nil)); err != nil {
				s.fail(f, st, err)
				return
			}
		}
		f.Children = make([]*frame, len(st.branches))
		for i, b := range st.branches {
			f.Children[i] = &frame{ID: f.ID + "." + strconv.Itoa(i), Owner: st.Name, Branch: i, State: b.startAt, Phase: phaseReady, Input: eff}
		}
		f.Phase = phaseChildren
	case TypeMap:
		s.enterMap(f, st, eff)
	}
}

func (s *stepper) enterFail(f *frame, st *State) {
	errName, cause := st.errorName, st.cause
	env := s.env(f, st, f.Input, nil)
	for _, x := range []struct {
		expr *valueExpr
		dst  *string
		name string
	}{{st.errorPath, &errName, "ErrorPath"}, {st.causePath, &cause, "CausePath"}} {
		if x.expr == nil {
			continue
		}
		v, err := x.expr.node.eval(env)
		if err != nil {
			s.fail(f, st, err)
			return
		}
		str, ok := v.(string)
		if !ok {
			s.fail(f, st, runtimeErr("the %s of state %s must resolve to a string, got %s", x.name, st.Name, typeName(v)))
			return
		}
		*x.dst = str
	}
	f.Phase, f.Error, f.Cause = phaseFailed, errName, cause
}

func (s *stepper) enterChoice(f *frame, st *State, eff any) {
	env := s.env(f, st, eff, nil)
	next := ""
	for _, r := range st.choices {
		ok, err := r.eval(env)
		if err != nil {
			s.fail(f, st, err)
			return
		}
		if ok {
			next = r.next
			break
		}
	}
	if next == "" {
		next = st.defaultNext
	}
	if next == "" {
		s.fail(f, st, &stateError{Name: ErrNameNoChoiceMatched, Cause: "No Matches!"})
		return
	}
	out, err := applyOutputPath(st, eff)
	if err != nil {
		s.fail(f, st, err)
		return
	}
	s.event(st.exitedEvent, st.Name, "", "")
	f.State, f.Input, f.Phase = next, out, phaseReady
}

func (s *stepper) enterWait(f *frame, st *State, eff any) {
	var until time.Time
	switch {
	case st.hasSeconds:
		until = s.now.Add(time.Duration(st.seconds) * time.Second)
	case st.hasTimestamp:
		until = st.timestamp
	case st.secondsPath != nil:
		v, ok := st.secondsPath.get(eff)
		n, isInt := toInt(v)
		if !ok || !isInt || n < 0 {
			s.fail(f, st, runtimeErr("The SecondsPath parameter does not reference a valid non-negative integer: %s", st.secondsPath.raw))
			return
		}
		until = s.now.Add(time.Duration(n) * time.Second)
	case st.timestampPath != nil:
		v, ok := st.timestampPath.get(eff)
		str, isStr := v.(string)
		t, valid := parseTimestamp(str)
		if !ok || !isStr || !valid {
			s.fail(f, st, runtimeErr("The TimestampPath parameter does not reference a valid ISO-8601 timestamp: %s", st.timestampPath.raw))
			return
		}
		until = t
	}
	f.Effective = eff
	f.Until = &until
	f.Phase = phaseWait
	// advance() completes it at once if the time has already come.
}

func (s *stepper) enterTask(f *frame, st *State, eff any) {
	if st.resourceKind == resLambdaInvokeWait {
		tok, err := s.e.newToken(s.rec.ARN, f.ID, f.Run)
		if err != nil {
			s.fail(f, st, runtimeErr("generate task token: %v", err))
			return
		}
		f.Token = tok
	}
	timeout, err := secondsAt(st.timeoutSecondsPath, "TimeoutSecondsPath", eff, st.timeoutSeconds)
	if err != nil {
		s.fail(f, st, err)
		return
	}
	heartbeat, err := secondsAt(st.heartbeatSecondsPath, "HeartbeatSecondsPath", eff, st.heartbeatSeconds)
	if err != nil {
		s.fail(f, st, err)
		return
	}
	if st.parameters != nil {
		if eff, err = st.parameters.eval(s.env(f, st, eff, nil)); err != nil {
			s.fail(f, st, err)
			return
		}
	}
	if timeout > 0 {
		t := s.now.Add(time.Duration(timeout) * time.Second)
		f.TimeoutAt = &t
	}
	if heartbeat > 0 {
		t := s.now.Add(time.Duration(heartbeat) * time.Second)
		f.HeartbeatAt = &t
		f.Heartbeat = heartbeat
	}
	f.Effective = eff
	f.Phase = phaseInvoke
	s.event("TaskScheduled", st.Name, "", "")
}

// secondsAt reads TimeoutSecondsPath or HeartbeatSecondsPath (field) from
// the effective input, or returns def when the state has no such path.
func secondsAt(p *jsonPath, field string, eff any, def int64) (int64, error) {
	if p == nil {
		return def, nil
	}
	v, ok := p.get(eff)
	n, isInt := toInt(v)
	if !ok || !isInt || n <= 0 {
		return 0, runtimeErr("%s %s does not reference a positive integer", field, p.raw)
	}
	return n, nil
}

func (s *stepper) enterMap(f *frame, st *State, eff any) {
	items := eff
	if st.itemsPath != nil {
		v, ok := st.itemsPath.get(eff)
		if !ok {
			s.fail(f, st, runtimeErr("ItemsPath %s could not be found in the input", st.itemsPath.raw))
			return
		}
		items = v
	}
	list, ok := items.([]any)
	if !ok {
		s.fail(f, st, runtimeErr("Map state %s: ItemsPath must select an array, got %s", st.Name, typeName(items)))
		return
	}
	children := make([]*frame, len(list))
	for i, item := range list {
		input := item
		if st.itemSelector != nil {
			ctxItem := map[string]any{"Index": intNumber(int64(i)), "Value": item}
			v, err := st.itemSelector.eval(s.env(f, st, eff, ctxItem))
			if err != nil {
				s.fail(f, st, err)
				return
			}
			input = v
		}
		phase := phaseReady
		if st.maxConcurrency > 0 && int64(i) >= st.maxConcurrency {
			phase = phasePending
		}
		children[i] = &frame{ID: f.ID + "." + strconv.Itoa(i), Owner: st.Name, State: st.iterator.startAt, Phase: phase, Input: input}
	}
	if len(children) == 0 {
		s.complete(f, st, []any{})
		return
	}
	f.Children = children
	f.Phase = phaseChildren
}

// complete finishes a Task, Parallel or Map state with its result:
// ResultSelector, then ResultPath, then OutputPath.
func (s *stepper) complete(f *frame, st *State, result any) {
	if st.resultSelector != nil {
		v, err := st.resultSelector.eval(s.env(f, st, result, nil))
		if err != nil {
			s.fail(f, st, err)
			return
		}
		result = v
	}
	s.finishResult(f, st, result)
}

// finishResult applies ResultPath and OutputPath and transitions.
func (s *stepper) finishResult(f *frame, st *State, result any) {
	out, err := applyResultPath(st.resultPath, f.Input, result)
	if err != nil {
		s.fail(f, st, err)
		return
	}
	if out, err = applyOutputPath(st, out); err != nil {
		s.fail(f, st, err)
		return
	}
	s.transition(f, st, out)
}

func (s *stepper) transition(f *frame, st *State, out any) {
	s.event(st.exitedEvent, st.Name, "", "")
	f.Token, f.Until, f.TimeoutAt, f.HeartbeatAt, f.Effective, f.Children = "", nil, nil, nil, nil, nil
	if st.end {
		f.Phase, f.Output = phaseSucceeded, out
		return
	}
	f.State, f.Input, f.Phase = st.next, out, phaseReady
}

// fail handles an error raised by state st: the first matching retrier
// schedules a retry while it has attempts left; otherwise the first
// matching catcher transitions; otherwise the frame fails.
func (s *stepper) fail(f *frame, st *State, err error) {
	se, ok := err.(*stateError)
	if !ok {
		se = &stateError{Name: ErrNameRuntime, Cause: err.Error()}
	}
	f.Token, f.TimeoutAt, f.HeartbeatAt, f.Until = "", nil, nil, nil
	if st.Type == TypeTask {
		s.event("TaskFailed", st.Name, se.Name, se.Cause)
	}
	if terminalError(se.Name) {
		f.Phase, f.Error, f.Cause = phaseFailed, se.Name, se.Cause
		return
	}
	for i, r := range st.retry {
		if !errorMatches(r.errorEquals, se.Name, st.Type) {
			continue
		}
		if f.Attempts == nil {
			f.Attempts = make([]int, len(st.retry))
		}
		if f.Attempts[i] >= r.maxAttempts {
			break
		}
		delay := r.intervalSeconds * math.Pow(r.backoffRate, float64(f.Attempts[i]))
		if r.maxDelaySeconds > 0 && delay > r.maxDelaySeconds {
			delay = r.maxDelaySeconds
		}
		f.Attempts[i]++
		f.RetryCount++
		until := s.now.Add(time.Duration(delay * float64(time.Second)))
		f.Until = &until
		f.Phase = phaseRetry
		s.e.log.Debug("asl: retry scheduled", "execution", s.rec.Name, "state", st.Name, "error", se.Name, "attempt", f.RetryCount, "delay", time.Duration(delay*float64(time.Second)))
		return
	}
	for _, c := range st.catch {
		if !errorMatches(c.errorEquals, se.Name, st.Type) {
			continue
		}
		errOut := map[string]any{"Error": se.Name, "Cause": se.Cause}
		out, rerr := applyResultPath(c.resultPath, f.Input, errOut)
		if rerr != nil {
			f.Phase, f.Error, f.Cause = phaseFailed, ErrNameRuntime, rerr.Error()
			return
		}
		s.event(st.exitedEvent, st.Name, "", "")
		f.Children = nil
		f.State, f.Input, f.Phase = c.next, out, phaseReady
		return
	}
	f.Phase, f.Error, f.Cause = phaseFailed, se.Name, se.Cause
}

// terminalError reports errors that Retry and Catch never handle, not even
// through States.ALL, as in AWS.
func terminalError(name string) bool {
	return name == ErrNameRuntime || name == ErrNameDataLimitExceeded
}

// errorMatches applies ErrorEquals. States.TaskFailed is a wildcard for
// every error of a Task state except States.Timeout.
func errorMatches(list []string, name, stateType string) bool {
	for _, e := range list {
		switch {
		case e == name, e == ErrNameAll:
			return true
		case e == ErrNameTaskFailed && stateType == TypeTask && name != ErrNameTimeout:
			return true
		}
	}
	return false
}

// applyInputPath selects the state's effective input. InputPath null gives
// an empty object.
func applyInputPath(st *State, input any) (any, error) {
	return selectPath(st.inputPath, input, "InputPath")
}

func applyOutputPath(st *State, output any) (any, error) {
	return selectPath(st.outputPath, output, "OutputPath")
}

func selectPath(pf pathField, v any, field string) (any, error) {
	switch {
	case pf.null:
		return map[string]any{}, nil
	case pf.p == nil:
		return v, nil
	}
	r, ok := pf.p.get(v)
	if !ok {
		return nil, runtimeErr("Invalid path '%s' : No results for path: %s (%s)", pf.p.raw, pf.p.raw, field)
	}
	return r, nil
}

// applyResultPath combines the raw state input and the result. ResultPath
// null keeps the input and discards the result.
func applyResultPath(pf pathField, input, result any) (any, error) {
	switch {
	case pf.null:
		return input, nil
	case pf.p == nil || pf.p.isRoot():
		return result, nil
	}
	out, err := pf.p.set(input, result)
	if err != nil {
		return nil, &stateError{Name: ErrNameResultPathMatch, Cause: err.Error()}
	}
	return out, nil
}
