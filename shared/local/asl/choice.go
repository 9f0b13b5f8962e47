package asl

import (
	"fmt"
	"strings"
	"time"
)

// choiceRule is one compiled Choice rule: a boolean combinator (And, Or,
// Not) over children, or a comparison of Variable with a literal or with the
// value at another path (the ...Path operators).
type choiceRule struct {
	op        string
	variable  *jsonPath
	value     any
	valuePath *jsonPath
	children  []*choiceRule
	next      string
}

type operandKind uint8

const (
	opString operandKind = iota
	opNumber
	opBool
	opTimestamp
	opTest // Is* / IsPresent: a boolean literal
)

// comparators maps every supported comparison operator (without its Path
// suffix) to the type of its operand.
var comparators = map[string]operandKind{
	"StringEquals": opString, "StringLessThan": opString, "StringGreaterThan": opString,
	"StringLessThanEquals": opString, "StringGreaterThanEquals": opString, "StringMatches": opString,
	"NumericEquals": opNumber, "NumericLessThan": opNumber, "NumericGreaterThan": opNumber,
	"NumericLessThanEquals": opNumber, "NumericGreaterThanEquals": opNumber,
	"BooleanEquals":   opBool,
	"TimestampEquals": opTimestamp, "TimestampLessThan": opTimestamp, "TimestampGreaterThan": opTimestamp,
	"TimestampLessThanEquals": opTimestamp, "TimestampGreaterThanEquals": opTimestamp,
	"IsNull": opTest, "IsPresent": opTest, "IsNumeric": opTest, "IsString": opTest,
	"IsBoolean": opTest, "IsTimestamp": opTest,
}

// compileChoice compiles a rule; top says whether it is a top-level rule
// (which must have Next) or nested inside And/Or/Not (which must not).
func compileChoice(v any, where string, top bool) (*choiceRule, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: a choice rule must be an object", where)
	}
	r := &choiceRule{}
	if n, ok := m["Next"]; ok {
		s, ok := n.(string)
		if !ok || s == "" {
			return nil, fmt.Errorf("%s.Next: must be a non-empty string", where)
		}
		if !top {
			return nil, fmt.Errorf("%s.Next: only top-level choice rules may have Next", where)
		}
		r.next = s
	} else if top {
		return nil, fmt.Errorf("%s: top-level choice rule needs Next", where)
	}
	var ops []string
	for k := range m {
		switch k {
		case "Next", "Variable", "Comment":
		case "And", "Or", "Not":
			ops = append(ops, k)
		default:
			base := strings.TrimSuffix(k, "Path")
			if _, ok := comparators[base]; ok && (k == base || !strings.HasPrefix(base, "Is")) {
				ops = append(ops, k)
				continue
			}
			return nil, fmt.Errorf("%s: unsupported field %q in choice rule", where, k)
		}
	}
	if len(ops) != 1 {
		return nil, fmt.Errorf("%s: a choice rule needs exactly one operator, got %d", where, len(ops))
	}
	r.op = ops[0]
	switch r.op {
	case "And", "Or":
		list, ok := m[r.op].([]any)
		if !ok || len(list) == 0 {
			return nil, fmt.Errorf("%s.%s: must be a non-empty array of rules", where, r.op)
		}
		for i, c := range list {
			child, err := compileChoice(c, fmt.Sprintf("%s.%s[%d]", where, r.op, i), false)
			if err != nil {
				return nil, err
			}
			r.children = append(r.children, child)
		}
		if _, ok := m["Variable"]; ok {
			return nil, fmt.Errorf("%s: %s rules take no Variable", where, r.op)
		}
		return r, nil
	case "Not":
		child, err := compileChoice(m["Not"], where+".Not", false)
		if err != nil {
			return nil, err
		}
		r.children = []*choiceRule{child}
		if _, ok := m["Variable"]; ok {
			return nil, fmt.Errorf("%s: Not rules take no Variable", where)
		}
		return r, nil
	}
	vs, ok := m["Variable"].(string)
	if !ok {
		return nil, fmt.Errorf("%s: comparison needs a Variable path", where)
	}
	p, err := parsePath(vs)
	if err != nil {
		return nil, fmt.Errorf("%s.Variable: %w", where, err)
	}
	r.variable = p
	operand := m[r.op]
	if strings.HasSuffix(r.op, "Path") {
		s, ok := operand.(string)
		if !ok {
			return nil, fmt.Errorf("%s.%s: must be a path string", where, r.op)
		}
		vp, err := parsePath(s)
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", where, r.op, err)
		}
		r.valuePath = vp
		return r, nil
	}
	if err := checkOperand(comparators[r.op], operand); err != nil {
		return nil, fmt.Errorf("%s.%s: %w", where, r.op, err)
	}
	r.value = operand
	return r, nil
}

func checkOperand(k operandKind, v any) error {
	switch k {
	case opString:
		if _, ok := v.(string); !ok {
			return fmt.Errorf("must be a string")
		}
	case opNumber:
		if _, ok := toFloat(v); !ok {
			return fmt.Errorf("must be a number")
		}
	case opBool, opTest:
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("must be a boolean")
		}
	case opTimestamp:
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("must be a timestamp string")
		}
		if _, ok := parseTimestamp(s); !ok {
			return fmt.Errorf("%q is not an RFC 3339 timestamp", s)
		}
	}
	return nil
}

// parseTimestamp accepts the RFC 3339 profile Step Functions uses: an
// uppercase T separator and a Z or numeric offset.
func parseTimestamp(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || strings.ContainsAny(s, "tz") {
		return time.Time{}, false
	}
	return t, true
}

// eval evaluates the rule against the state input. A Variable that does not
// exist is a States.Runtime error except for IsPresent, as in AWS.
func (r *choiceRule) eval(env *evalEnv) (bool, error) {
	switch r.op {
	case "And":
		for _, c := range r.children {
			ok, err := c.eval(env)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case "Or":
		for _, c := range r.children {
			ok, err := c.eval(env)
			if err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case "Not":
		ok, err := r.children[0].eval(env)
		return !ok, err
	}
	val, present := r.variable.get(env.root(r.variable))
	if r.op == "IsPresent" {
		return present == r.value.(bool), nil
	}
	if !present {
		return false, runtimeErr("Invalid path '%s': The choice state's condition path references an invalid value.", r.variable.raw)
	}
	operand := r.value
	op := r.op
	if r.valuePath != nil {
		op = strings.TrimSuffix(op, "Path")
		v, err := env.resolvePath(r.valuePath)
		if err != nil {
			return false, err
		}
		operand = v
	}
	switch op {
	case "IsNull":
		return (val == nil) == operand.(bool), nil
	case "IsNumeric":
		_, ok := toFloat(val)
		return ok == operand.(bool), nil
	case "IsString":
		_, ok := val.(string)
		return ok == operand.(bool), nil
	case "IsBoolean":
		_, ok := val.(bool)
		return ok == operand.(bool), nil
	case "IsTimestamp":
		s, ok := val.(string)
		if ok {
			_, ok = parseTimestamp(s)
		}
		return ok == operand.(bool), nil
	}
	switch comparators[op] {
	case opString:
		a, ok1 := val.(string)
		b, ok2 := operand.(string)
		if !ok1 || !ok2 {
			return false, nil
		}
		switch op {
		case "StringEquals":
			return a == b, nil
		case "StringLessThan":
			return a < b, nil
		case "StringGreaterThan":
			return a > b, nil
		case "StringLessThanEquals":
			return a <= b, nil
		case "StringGreaterThanEquals":
			return a >= b, nil
		case "StringMatches":
			return matchWildcard(b, a), nil
		}
	case opNumber:
		a, ok1 := toFloat(val)
		b, ok2 := toFloat(operand)
		if !ok1 || !ok2 {
			return false, nil
		}
		return compareOrdered(op, a, b), nil
	case opBool:
		a, ok1 := val.(bool)
		b, ok2 := operand.(bool)
		return ok1 && ok2 && a == b, nil
	case opTimestamp:
		as, ok1 := val.(string)
		bs, ok2 := operand.(string)
		if !ok1 || !ok2 {
			return false, nil
		}
		a, ok1 := parseTimestamp(as)
		b, ok2 := parseTimestamp(bs)
		if !ok1 || !ok2 {
			return false, nil
		}
		return compareOrdered(op, a.UnixNano(), b.UnixNano()), nil
	}
	return false, nil
}

func compareOrdered[T int64 | float64](op string, a, b T) bool {
	switch {
	case strings.HasSuffix(op, "LessThanEquals"):
		return a <= b
	case strings.HasSuffix(op, "GreaterThanEquals"):
		return a >= b
	case strings.HasSuffix(op, "LessThan"):
		return a < b
	case strings.HasSuffix(op, "GreaterThan"):
		return a > b
	}
	return a == b
}

// matchWildcard implements StringMatches: * matches any run of characters,
// \* a literal star and \\ a literal backslash.
func matchWildcard(pattern, s string) bool {
	type tok struct {
		star bool
		lit  byte
	}
	var toks []tok
	for i := 0; i < len(pattern); i++ {
		switch {
		case pattern[i] == '\\' && i+1 < len(pattern):
			i++
			toks = append(toks, tok{lit: pattern[i]})
		case pattern[i] == '*':
			toks = append(toks, tok{star: true})
		default:
			toks = append(toks, tok{lit: pattern[i]})
		}
	}
	// Classic greedy matching with backtracking to the last star.
	ti, si := 0, 0
	starT, starS := -1, 0
	for si < len(s) {
		switch {
		case ti < len(toks) && !toks[ti].star && toks[ti].lit == s[si]:
			ti++
			si++
		case ti < len(toks) && toks[ti].star:
			starT, starS = ti, si
			ti++
		case starT >= 0:
			starS++
			si = starS
			ti = starT + 1
		default:
			return false
		}
	}
	for ti < len(toks) && toks[ti].star {
		ti++
	}
	return ti == len(toks)
}
