package asl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
)

// allowedFields lists, per state type, every field this interpreter
// implements. Anything else (JSONata fields such as Arguments or Assign,
// Credentials, distributed-Map fields, typos) refuses the definition.
var allowedFields = map[string][]string{
	TypePass:     {"Type", "Comment", "Next", "End", "InputPath", "OutputPath", "Parameters", "ResultPath", "Result"},
	TypeTask:     {"Type", "Comment", "Next", "End", "InputPath", "OutputPath", "Parameters", "ResultSelector", "ResultPath", "Resource", "Retry", "Catch", "TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath"},
	TypeChoice:   {"Type", "Comment", "InputPath", "OutputPath", "Choices", "Default"},
	TypeWait:     {"Type", "Comment", "Next", "End", "InputPath", "OutputPath", "Seconds", "Timestamp", "SecondsPath", "TimestampPath"},
	TypeSucceed:  {"Type", "Comment", "InputPath", "OutputPath"},
	TypeFail:     {"Type", "Comment", "Error", "Cause", "ErrorPath", "CausePath"},
	TypeParallel: {"Type", "Comment", "Next", "End", "InputPath", "OutputPath", "Parameters", "ResultSelector", "ResultPath", "Retry", "Catch", "Branches"},
	TypeMap:      {"Type", "Comment", "Next", "End", "InputPath", "OutputPath", "Parameters", "ItemSelector", "ResultSelector", "ResultPath", "Retry", "Catch", "ItemsPath", "MaxConcurrency", "Iterator", "ItemProcessor", "Label"},
}

// Parse loads and validates a state machine definition. Anything this
// interpreter would not run exactly as AWS does is refused with a
// *LoadError naming the state and field.
func Parse(data []byte) (*Definition, error) {
	v, err := decodeJSON(data)
	if err != nil {
		return nil, &LoadError{Msg: "invalid JSON: " + err.Error()}
	}
	top, ok := v.(map[string]any)
	if !ok {
		return nil, &LoadError{Msg: "definition must be a JSON object"}
	}
	d := &Definition{states: map[string]*State{}}
	for k, fv := range top {
		switch k {
		case "StartAt", "States":
		case "Comment":
			s, ok := fv.(string)
			if !ok {
				return nil, &LoadError{Field: k, Msg: "must be a string"}
			}
			d.Comment = s
		case "Version":
			if s, ok := fv.(string); !ok || s != "1.0" {
				return nil, &LoadError{Field: k, Msg: `only "1.0" is supported`}
			}
		case "QueryLanguage":
			if s, ok := fv.(string); !ok || s != "JSONPath" {
				return nil, &LoadError{Field: k, Msg: "only JSONPath is supported (JSONata is not)"}
			}
		case "TimeoutSeconds":
			n, err := positiveInt(fv)
			if err != nil {
				return nil, &LoadError{Field: k, Msg: err.Error()}
			}
			d.TimeoutSeconds = n
		default:
			return nil, &LoadError{Field: k, Msg: "unsupported top-level field"}
		}
	}
	p := &parser{def: d}
	root, err := p.machine(top, "")
	if err != nil {
		return nil, err
	}
	d.root = root
	compact, err := encodeJSON(v)
	if err != nil {
		return nil, &LoadError{Msg: err.Error()}
	}
	d.raw = compact
	d.hash = definitionHash(compact)
	return d, nil
}

type parser struct {
	def *Definition
}

// machine parses a States block; owner names the Parallel/Map state that
// contains it ("" at top level) for error messages.
func (p *parser) machine(m map[string]any, owner string) (*machine, error) {
	startAt, ok := m["StartAt"].(string)
	if !ok || startAt == "" {
		return nil, &LoadError{State: owner, Field: "StartAt", Msg: "missing or not a string"}
	}
	statesV, ok := m["States"].(map[string]any)
	if !ok || len(statesV) == 0 {
		return nil, &LoadError{State: owner, Field: "States", Msg: "missing or empty"}
	}
	mc := &machine{startAt: startAt, states: map[string]*State{}}
	names := make([]string, 0, len(statesV))
	for name := range statesV {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if name == "" || len(name) > 80 {
			return nil, &LoadError{State: name, Msg: "state names must be 1 to 80 characters"}
		}
		if _, dup := p.def.states[name]; dup {
			return nil, &LoadError{State: name, Msg: "duplicate state name (names must be unique across the whole state machine)"}
		}
		sm, ok := statesV[name].(map[string]any)
		if !ok {
			return nil, &LoadError{State: name, Msg: "state must be a JSON object"}
		}
		st, err := p.state(name, sm)
		if err != nil {
			return nil, err
		}
		mc.states[name] = st
		p.def.states[name] = st
	}
	if err := validateMachine(mc, owner); err != nil {
		return nil, err
	}
	return mc, nil
}

// fields wraps a state's raw fields with typed accessors that produce
// LoadErrors naming the state and field.
type fields struct {
	state string
	m     map[string]any
}

func (f fields) err(field, format string, args ...any) error {
	return &LoadError{State: f.state, Field: field, Msg: fmt.Sprintf(format, args...)}
}

func (f fields) has(k string) bool { _, ok := f.m[k]; return ok }

func (f fields) str(k string) (string, bool, error) {
	v, ok := f.m[k]
	if !ok {
		return "", false, nil
	}
	s, isStr := v.(string)
	if !isStr {
		return "", false, f.err(k, "must be a string")
	}
	return s, true, nil
}

func (f fields) path(k string) (*jsonPath, error) {
	s, ok, err := f.str(k)
	if err != nil || !ok {
		return nil, err
	}
	pth, perr := parseReferencePath(s)
	if perr != nil {
		return nil, f.err(k, "%v", perr)
	}
	return pth, nil
}

// ioPath parses InputPath/OutputPath/ResultPath, which may be null.
func (f fields) ioPath(k string, reference bool) (pathField, error) {
	v, ok := f.m[k]
	if !ok {
		return pathField{}, nil
	}
	if v == nil {
		return pathField{null: true}, nil
	}
	s, isStr := v.(string)
	if !isStr {
		return pathField{}, f.err(k, "must be a path string or null")
	}
	parse := parsePath
	if reference {
		parse = parseReferencePath
	}
	pth, err := parse(s)
	if err != nil {
		return pathField{}, f.err(k, "%v", err)
	}
	if pth.context {
		return pathField{}, f.err(k, "context paths ($$) are not allowed here")
	}
	return pathField{p: pth}, nil
}

func positiveInt(v any) (int64, error) {
	n, ok := toInt(v)
	if !ok || n <= 0 {
		return 0, fmt.Errorf("must be a positive integer")
	}
	return n, nil
}

func (p *parser) state(name string, m map[string]any) (*State, error) {
	f := fields{state: name, m: m}
	typ, ok, err := f.str("Type")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, f.err("Type", "missing")
	}
	allowed, known := allowedFields[typ]
	if !known {
		return nil, f.err("Type", "unsupported state type %q", typ)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !contains(allowed, k) {
			return nil, f.err(k, "field not supported in a %s state", typ)
		}
	}
	if c, ok := m["Comment"]; ok {
		if _, isStr := c.(string); !isStr {
			return nil, f.err("Comment", "must be a string")
		}
	}
	st := &State{Name: name, Type: typ, enteredEvent: typ + "StateEntered", exitedEvent: typ + "StateExited"}

	// Transitions.
	next, hasNext, err := f.str("Next")
	if err != nil {
		return nil, err
	}
	st.next = next
	if e, ok := m["End"]; ok {
		b, isBool := e.(bool)
		if !isBool {
			return nil, f.err("End", "must be a boolean")
		}
		st.end = b
	}
	switch typ {
	case TypeChoice, TypeSucceed, TypeFail:
	default:
		if hasNext == st.end {
			return nil, f.err("Next", "exactly one of Next or \"End\": true is required")
		}
		if hasNext && next == "" {
			return nil, f.err("Next", "must not be empty")
		}
	}

	if st.inputPath, err = f.ioPath("InputPath", false); err != nil {
		return nil, err
	}
	if st.outputPath, err = f.ioPath("OutputPath", false); err != nil {
		return nil, err
	}
	if st.resultPath, err = f.ioPath("ResultPath", true); err != nil {
		return nil, err
	}
	if v, ok := m["Parameters"]; ok && typ != TypeMap {
		if st.parameters, err = compileTemplate(v, "Parameters"); err != nil {
			return nil, f.err("Parameters", "%v", err)
		}
	}
	if v, ok := m["ResultSelector"]; ok {
		if _, isObj := v.(map[string]any); !isObj {
			return nil, f.err("ResultSelector", "must be an object")
		}
		if st.resultSelector, err = compileTemplate(v, "ResultSelector"); err != nil {
			return nil, f.err("ResultSelector", "%v", err)
		}
	}
	if f.has("Retry") {
		if st.retry, err = parseRetry(f); err != nil {
			return nil, err
		}
	}
	if f.has("Catch") {
		if st.catch, err = parseCatch(f); err != nil {
			return nil, err
		}
	}

	switch typ {
	case TypePass:
		if v, ok := m["Result"]; ok {
			st.result, st.hasResult = v, true
		}
	case TypeTask:
		err = parseTask(f, st)
	case TypeChoice:
		err = parseChoiceState(f, st)
	case TypeWait:
		err = parseWait(f, st)
	case TypeFail:
		err = parseFail(f, st)
	case TypeParallel:
		err = p.parseParallel(f, st)
	case TypeMap:
		err = p.parseMap(f, st)
	}
	if err != nil {
		return nil, err
	}
	return st, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func parseTask(f fields, st *State) error {
	res, ok, err := f.str("Resource")
	if err != nil {
		return err
	}
	if !ok {
		return f.err("Resource", "missing")
	}
	st.resource = res
	switch {
	case res == ResourceLambdaInvoke:
		st.resourceKind = resLambdaInvoke
	case res == ResourceLambdaInvokeWaitTok:
		st.resourceKind = resLambdaInvokeWait
	case isLambdaFunctionARN(res):
		st.resourceKind = resLambdaARN
	default:
		return f.err("Resource", "unsupported resource %q (supported: Lambda function ARNs, %s and %s)", res, ResourceLambdaInvoke, ResourceLambdaInvokeWaitTok)
	}
	if st.resourceKind != resLambdaARN {
		params, _ := f.m["Parameters"].(map[string]any)
		if params == nil || (params["FunctionName"] == nil && params["FunctionName.$"] == nil) {
			return f.err("Parameters", "%s needs Parameters with FunctionName", res)
		}
		for k := range params {
			switch strings.TrimSuffix(k, ".$") {
			case "FunctionName", "Payload", "Qualifier", "InvocationType", "ClientContext", "LogType":
			default:
				return f.err("Parameters", "unsupported lambda:invoke parameter %q", k)
			}
		}
		if it, ok := params["InvocationType"]; ok && it != "RequestResponse" {
			return f.err("Parameters", "only InvocationType RequestResponse is supported")
		}
	}
	if f.has("TimeoutSeconds") && f.has("TimeoutSecondsPath") {
		return f.err("TimeoutSecondsPath", "TimeoutSeconds and TimeoutSecondsPath are mutually exclusive")
	}
	if f.has("HeartbeatSeconds") && f.has("HeartbeatSecondsPath") {
		return f.err("HeartbeatSecondsPath", "HeartbeatSeconds and HeartbeatSecondsPath are mutually exclusive")
	}
	if v, ok := f.m["TimeoutSeconds"]; ok {
		if st.timeoutSeconds, err = positiveInt(v); err != nil {
			return f.err("TimeoutSeconds", "%v", err)
		}
	}
	if v, ok := f.m["HeartbeatSeconds"]; ok {
		if st.heartbeatSeconds, err = positiveInt(v); err != nil {
			return f.err("HeartbeatSeconds", "%v", err)
		}
	}
	if st.timeoutSeconds > 0 && st.heartbeatSeconds > 0 && st.heartbeatSeconds >= st.timeoutSeconds {
		return f.err("HeartbeatSeconds", "must be smaller than TimeoutSeconds")
	}
	if st.timeoutSecondsPath, err = f.path("TimeoutSecondsPath"); err != nil {
		return err
	}
	if st.heartbeatSecondsPath, err = f.path("HeartbeatSecondsPath"); err != nil {
		return err
	}
	return nil
}

// isLambdaFunctionARN accepts arn:aws:lambda:REGION:ACCOUNT:function:NAME
// with an optional version or alias qualifier.
func isLambdaFunctionARN(s string) bool {
	parts := strings.Split(s, ":")
	if len(parts) < 7 || len(parts) > 8 {
		return false
	}
	return strings.HasPrefix(parts[0], "arn") && parts[1] != "" && parts[2] == "lambda" && parts[5] == "function" && parts[6] != ""
}

// FunctionName returns the function name of a Lambda ARN
// (arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]) or s itself when
// it is already a plain name. Invokers use it to bind handlers by name.
func FunctionName(s string) string {
	parts := strings.Split(s, ":")
	if len(parts) >= 7 && parts[2] == "lambda" && parts[5] == "function" {
		return parts[6]
	}
	return s
}

func parseErrorEquals(f fields, field string, v any) ([]string, error) {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return nil, f.err(field, "ErrorEquals must be a non-empty array of strings")
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := e.(string)
		if !ok || s == "" {
			return nil, f.err(field, "ErrorEquals must contain non-empty strings")
		}
		out = append(out, s)
	}
	if contains(out, ErrNameAll) && len(out) != 1 {
		return nil, f.err(field, "States.ALL must appear alone in ErrorEquals")
	}
	return out, nil
}

func parseRetry(f fields) ([]*retrier, error) {
	list, ok := f.m["Retry"].([]any)
	if !ok {
		return nil, f.err("Retry", "must be an array")
	}
	var out []*retrier
	for i, v := range list {
		field := fmt.Sprintf("Retry[%d]", i)
		m, ok := v.(map[string]any)
		if !ok {
			return nil, f.err(field, "must be an object")
		}
		r := &retrier{intervalSeconds: 1, maxAttempts: 3, backoffRate: 2}
		for k, fv := range m {
			switch k {
			case "ErrorEquals":
				ee, err := parseErrorEquals(f, field, fv)
				if err != nil {
					return nil, err
				}
				r.errorEquals = ee
			case "IntervalSeconds":
				n, err := positiveInt(fv)
				if err != nil {
					return nil, f.err(field+".IntervalSeconds", "%v", err)
				}
				r.intervalSeconds = float64(n)
			case "MaxAttempts":
				n, ok := toInt(fv)
				if !ok || n < 0 || n > math.MaxInt32 {
					return nil, f.err(field+".MaxAttempts", "must be a non-negative integer")
				}
				r.maxAttempts = int(n)
			case "BackoffRate":
				x, ok := toFloat(fv)
				if !ok || x < 1 {
					return nil, f.err(field+".BackoffRate", "must be a number >= 1.0")
				}
				r.backoffRate = x
			case "MaxDelaySeconds":
				n, err := positiveInt(fv)
				if err != nil {
					return nil, f.err(field+".MaxDelaySeconds", "%v", err)
				}
				r.maxDelaySeconds = float64(n)
			case "JitterStrategy":
				s, ok := fv.(string)
				if !ok || (s != "FULL" && s != "NONE") {
					return nil, f.err(field+".JitterStrategy", "must be FULL or NONE")
				}
				r.jitterStrategy = s
			case "Comment":
			default:
				return nil, f.err(field+"."+k, "unsupported retrier field")
			}
		}
		if r.errorEquals == nil {
			return nil, f.err(field+".ErrorEquals", "missing")
		}
		if contains(r.errorEquals, ErrNameAll) && i != len(list)-1 {
			return nil, f.err(field+".ErrorEquals", "a retrier with States.ALL must be the last one")
		}
		out = append(out, r)
	}
	return out, nil
}

func parseCatch(f fields) ([]*catcher, error) {
	list, ok := f.m["Catch"].([]any)
	if !ok {
		return nil, f.err("Catch", "must be an array")
	}
	var out []*catcher
	for i, v := range list {
		field := fmt.Sprintf("Catch[%d]", i)
		m, ok := v.(map[string]any)
		if !ok {
			return nil, f.err(field, "must be an object")
		}
		c := &catcher{}
		sub := fields{state: f.state, m: m}
		for k, fv := range m {
			switch k {
			case "ErrorEquals":
				ee, err := parseErrorEquals(f, field, fv)
				if err != nil {
					return nil, err
				}
				c.errorEquals = ee
			case "Next":
				s, ok := fv.(string)
				if !ok || s == "" {
					return nil, f.err(field+".Next", "must be a non-empty string")
				}
				c.next = s
			case "ResultPath":
				rp, err := sub.ioPath("ResultPath", true)
				if err != nil {
					return nil, f.err(field+".ResultPath", "%v", err.(*LoadError).Msg)
				}
				c.resultPath = rp
			case "Comment":
			default:
				return nil, f.err(field+"."+k, "unsupported catcher field")
			}
		}
		if c.errorEquals == nil {
			return nil, f.err(field+".ErrorEquals", "missing")
		}
		if c.next == "" {
			return nil, f.err(field+".Next", "missing")
		}
		if contains(c.errorEquals, ErrNameAll) && i != len(list)-1 {
			return nil, f.err(field+".ErrorEquals", "a catcher with States.ALL must be the last one")
		}
		out = append(out, c)
	}
	return out, nil
}

func parseChoiceState(f fields, st *State) error {
	list, ok := f.m["Choices"].([]any)
	if !ok || len(list) == 0 {
		return f.err("Choices", "must be a non-empty array")
	}
	for i, v := range list {
		r, err := compileChoice(v, fmt.Sprintf("Choices[%d]", i), true)
		if err != nil {
			return f.err("Choices", "%v", err)
		}
		st.choices = append(st.choices, r)
	}
	def, _, err := f.str("Default")
	if err != nil {
		return err
	}
	st.defaultNext = def
	return nil
}

func parseWait(f fields, st *State) error {
	n := 0
	for _, k := range []string{"Seconds", "Timestamp", "SecondsPath", "TimestampPath"} {
		if f.has(k) {
			n++
		}
	}
	if n != 1 {
		return f.err("Seconds", "exactly one of Seconds, Timestamp, SecondsPath or TimestampPath is required")
	}
	var err error
	if v, ok := f.m["Seconds"]; ok {
		s, ok := toInt(v)
		if !ok || s < 0 {
			return f.err("Seconds", "must be a non-negative integer")
		}
		st.seconds, st.hasSeconds = s, true
	}
	if ts, ok, err := f.str("Timestamp"); err != nil {
		return err
	} else if ok {
		t, valid := parseTimestamp(ts)
		if !valid {
			return f.err("Timestamp", "%q is not an RFC 3339 timestamp", ts)
		}
		st.timestamp, st.hasTimestamp = t, true
	}
	if st.secondsPath, err = f.path("SecondsPath"); err != nil {
		return err
	}
	if st.timestampPath, err = f.path("TimestampPath"); err != nil {
		return err
	}
	return nil
}

func parseFail(f fields, st *State) error {
	var err error
	if f.has("Error") && f.has("ErrorPath") {
		return f.err("ErrorPath", "Error and ErrorPath are mutually exclusive")
	}
	if f.has("Cause") && f.has("CausePath") {
		return f.err("CausePath", "Cause and CausePath are mutually exclusive")
	}
	if st.errorName, _, err = f.str("Error"); err != nil {
		return err
	}
	if st.cause, _, err = f.str("Cause"); err != nil {
		return err
	}
	for _, k := range []string{"ErrorPath", "CausePath"} {
		s, ok, err := f.str(k)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		node, cerr := compileExpr(s)
		if cerr != nil {
			return f.err(k, "%v", cerr)
		}
		if node.kind == tPath && !node.path.definite() {
			return f.err(k, "must be a reference path or intrinsic")
		}
		if k == "ErrorPath" {
			st.errorPath = &valueExpr{node: node}
		} else {
			st.causePath = &valueExpr{node: node}
		}
	}
	return nil
}

func (p *parser) parseParallel(f fields, st *State) error {
	list, ok := f.m["Branches"].([]any)
	if !ok || len(list) == 0 {
		return f.err("Branches", "must be a non-empty array")
	}
	for i, b := range list {
		bm, ok := b.(map[string]any)
		if !ok {
			return f.err(fmt.Sprintf("Branches[%d]", i), "must be an object")
		}
		if err := onlyKeys(f, fmt.Sprintf("Branches[%d]", i), bm, "StartAt", "States", "Comment"); err != nil {
			return err
		}
		mc, err := p.machine(bm, st.Name)
		if err != nil {
			return err
		}
		st.branches = append(st.branches, mc)
	}
	return nil
}

func onlyKeys(f fields, where string, m map[string]any, allowed ...string) error {
	for k := range m {
		if !contains(allowed, k) {
			return f.err(where+"."+k, "unsupported field")
		}
	}
	return nil
}

func (p *parser) parseMap(f fields, st *State) error {
	var err error
	if v, ok := f.m["ItemsPath"]; ok {
		s, isStr := v.(string)
		if !isStr {
			return f.err("ItemsPath", "must be a path string")
		}
		if st.itemsPath, err = parseReferencePath(s); err != nil {
			return f.err("ItemsPath", "%v", err)
		}
	}
	if f.has("ItemSelector") && f.has("Parameters") {
		return f.err("ItemSelector", "ItemSelector and Parameters are mutually exclusive")
	}
	for _, k := range []string{"ItemSelector", "Parameters"} {
		if v, ok := f.m[k]; ok {
			if st.itemSelector, err = compileTemplate(v, k); err != nil {
				return f.err(k, "%v", err)
			}
		}
	}
	if v, ok := f.m["MaxConcurrency"]; ok {
		n, ok := toInt(v)
		if !ok || n < 0 {
			return f.err("MaxConcurrency", "must be a non-negative integer")
		}
		st.maxConcurrency = n
	}
	if l, ok := f.m["Label"]; ok {
		if _, isStr := l.(string); !isStr {
			return f.err("Label", "must be a string")
		}
	}
	it, hasIt := f.m["Iterator"]
	ip, hasIP := f.m["ItemProcessor"]
	if hasIt == hasIP {
		return f.err("ItemProcessor", "exactly one of ItemProcessor or Iterator is required")
	}
	field := "Iterator"
	if hasIP {
		it, field = ip, "ItemProcessor"
	}
	im, ok := it.(map[string]any)
	if !ok {
		return f.err(field, "must be an object")
	}
	if err := onlyKeys(f, field, im, "StartAt", "States", "Comment", "ProcessorConfig"); err != nil {
		return err
	}
	if pc, ok := im["ProcessorConfig"]; ok {
		pcm, ok := pc.(map[string]any)
		if !ok {
			return f.err(field+".ProcessorConfig", "must be an object")
		}
		if err := onlyKeys(f, field+".ProcessorConfig", pcm, "Mode"); err != nil {
			return err
		}
		if mode, ok := pcm["Mode"]; ok && mode != "INLINE" {
			return f.err(field+".ProcessorConfig.Mode", "only INLINE Map is supported (DISTRIBUTED is not)")
		}
	}
	mc, err := p.machine(im, st.Name)
	if err != nil {
		return err
	}
	st.iterator = mc
	return nil
}

// Canonical returns the definition as indented JSON; handy for tools.
func (d *Definition) Canonical() string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, d.raw, "", "  "); err != nil {
		return string(d.raw)
	}
	return buf.String()
}
