package asl

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"math/rand/v2"
	"strings"
)

// Intrinsic functions are parsed once at load into a small expression tree;
// an unknown function or a wrong number of arguments refuses the definition.

type argKind uint8

const (
	argString argKind = iota
	argNumber
	argNull
	argBool
	argPath
	argCall
)

type intrinsicArg struct {
	kind argKind
	str  string // argString: raw text between quotes, escapes kept
	num  any    // argNumber: json.Number
	b    bool
	path *jsonPath
	call *intrinsicCall
}

type intrinsicCall struct {
	name string
	fn   intrinsicFunc
	args []intrinsicArg
}

// arity: min and max argument counts (max -1 = variadic).
var intrinsicArity = map[string][2]int{
	"States.Format":         {1, -1},
	"States.StringToJson":   {1, 1},
	"States.JsonToString":   {1, 1},
	"States.Array":          {0, -1},
	"States.ArrayPartition": {2, 2},
	"States.ArrayContains":  {2, 2},
	"States.ArrayRange":     {3, 3},
	"States.ArrayGetItem":   {2, 2},
	"States.ArrayLength":    {1, 1},
	"States.ArrayUnique":    {1, 1},
	"States.Base64Encode":   {1, 1},
	"States.Base64Decode":   {1, 1},
	"States.Hash":           {2, 2},
	"States.JsonMerge":      {3, 3},
	"States.MathRandom":     {2, 3},
	"States.MathAdd":        {2, 2},
	"States.StringSplit":    {2, 2},
	"States.UUID":           {0, 0},
}

// isIntrinsic reports whether a ".$" value is an intrinsic call rather than
// a path.
func isIntrinsic(s string) bool { return strings.HasPrefix(strings.TrimSpace(s), "States.") }

// maxIntrinsicDepth mirrors the AWS limit of 10 nested intrinsics.
const maxIntrinsicDepth = 10

type intrinsicParser struct {
	s   string
	pos int
}

func parseIntrinsic(s string) (*intrinsicCall, error) {
	p := &intrinsicParser{s: s}
	p.skipSpace()
	c, err := p.call(0)
	if err != nil {
		return nil, fmt.Errorf("intrinsic %q: %w", s, err)
	}
	p.skipSpace()
	if p.pos != len(p.s) {
		return nil, fmt.Errorf("intrinsic %q: unexpected %q after call", s, p.s[p.pos:])
	}
	return c, nil
}

func (p *intrinsicParser) skipSpace() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t' || p.s[p.pos] == '\n') {
		p.pos++
	}
}

func (p *intrinsicParser) call(depth int) (*intrinsicCall, error) {
	if depth >= maxIntrinsicDepth {
		return nil, fmt.Errorf("more than %d nested intrinsic functions", maxIntrinsicDepth)
	}
	start := p.pos
	for p.pos < len(p.s) && (isIdentByte(p.s[p.pos]) || p.s[p.pos] == '.') {
		p.pos++
	}
	name := p.s[start:p.pos]
	ar, ok := intrinsicArity[name]
	if !ok {
		return nil, fmt.Errorf("unknown intrinsic function %q", name)
	}
	p.skipSpace()
	if p.pos >= len(p.s) || p.s[p.pos] != '(' {
		return nil, fmt.Errorf("expected ( after %s", name)
	}
	p.pos++
	c := &intrinsicCall{name: name, fn: intrinsicFuncs[name]}
	p.skipSpace()
	if p.pos < len(p.s) && p.s[p.pos] == ')' {
		p.pos++
	} else {
		for {
			p.skipSpace()
			a, err := p.arg(depth)
			if err != nil {
				return nil, err
			}
			c.args = append(c.args, a)
			p.skipSpace()
			if p.pos >= len(p.s) {
				return nil, fmt.Errorf("unterminated call to %s", name)
			}
			if p.s[p.pos] == ')' {
				p.pos++
				break
			}
			if p.s[p.pos] != ',' {
				return nil, fmt.Errorf("expected , or ) in call to %s", name)
			}
			p.pos++
		}
	}
	if len(c.args) < ar[0] || (ar[1] >= 0 && len(c.args) > ar[1]) {
		return nil, fmt.Errorf("%s takes %s arguments, got %d", name, arityText(ar), len(c.args))
	}
	if name == "States.Format" && c.args[0].kind != argString {
		return nil, fmt.Errorf("States.Format needs a string literal template as its first argument")
	}
	return c, nil
}

func arityText(ar [2]int) string {
	switch {
	case ar[1] < 0:
		return fmt.Sprintf("at least %d", ar[0])
	case ar[0] == ar[1]:
		return fmt.Sprint(ar[0])
	}
	return fmt.Sprintf("%d to %d", ar[0], ar[1])
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func (p *intrinsicParser) arg(depth int) (intrinsicArg, error) {
	if p.pos >= len(p.s) {
		return intrinsicArg{}, fmt.Errorf("missing argument")
	}
	c := p.s[p.pos]
	switch {
	case c == '\'':
		p.pos++
		start := p.pos
		for p.pos < len(p.s) && p.s[p.pos] != '\'' {
			if p.s[p.pos] == '\\' {
				p.pos++
			}
			p.pos++
		}
		if p.pos >= len(p.s) {
			return intrinsicArg{}, fmt.Errorf("unterminated string literal")
		}
		raw := p.s[start:p.pos]
		p.pos++
		return intrinsicArg{kind: argString, str: raw}, nil
	case c == '$':
		start := p.pos
		inQuote := byte(0)
		for p.pos < len(p.s) {
			ch := p.s[p.pos]
			if inQuote != 0 {
				if ch == inQuote {
					inQuote = 0
				}
			} else if ch == '\'' || ch == '"' {
				inQuote = ch
			} else if ch == ',' || ch == ')' || ch == ' ' {
				break
			}
			p.pos++
		}
		path, err := parsePath(p.s[start:p.pos])
		if err != nil {
			return intrinsicArg{}, err
		}
		return intrinsicArg{kind: argPath, path: path}, nil
	case c == '-' || c >= '0' && c <= '9':
		start := p.pos
		p.pos++
		for p.pos < len(p.s) && strings.IndexByte("0123456789.eE+-", p.s[p.pos]) >= 0 {
			p.pos++
		}
		v, err := decodeJSON([]byte(p.s[start:p.pos]))
		if _, ok := toFloat(v); err != nil || !ok {
			return intrinsicArg{}, fmt.Errorf("bad number %q", p.s[start:p.pos])
		}
		return intrinsicArg{kind: argNumber, num: v}, nil
	case strings.HasPrefix(p.s[p.pos:], "null"):
		p.pos += 4
		return intrinsicArg{kind: argNull}, nil
	case strings.HasPrefix(p.s[p.pos:], "true"):
		p.pos += 4
		return intrinsicArg{kind: argBool, b: true}, nil
	case strings.HasPrefix(p.s[p.pos:], "false"):
		p.pos += 5
		return intrinsicArg{kind: argBool}, nil
	case strings.HasPrefix(p.s[p.pos:], "States."):
		call, err := p.call(depth + 1)
		if err != nil {
			return intrinsicArg{}, err
		}
		return intrinsicArg{kind: argCall, call: call}, nil
	}
	return intrinsicArg{}, fmt.Errorf("unexpected %q in arguments", p.s[p.pos:])
}

// unescapeLiteral resolves the backslash escapes of an intrinsic string
// literal (\' \{ \} \\).
func unescapeLiteral(raw string) string {
	if !strings.Contains(raw, `\`) {
		return raw
	}
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		if raw[i] == '\\' && i+1 < len(raw) {
			i++
		}
		b.WriteByte(raw[i])
	}
	return b.String()
}

// evalEnv is what intrinsic arguments, payload templates and choice rules
// can read: the effective input and the context object $$ of one state.
type evalEnv struct {
	input any
	rand  *rand.Rand // for MathRandom without seed and UUID

	// $$ is built on demand (see context) from these. They do not include
	// the stepper, which can then stay on its creator's stack.
	rec     *record
	roleARN string
	f       *frame
	st      *State
	item    map[string]any // non-nil inside a Map's ItemSelector
	ctx     map[string]any
}

// root returns the value p applies to.
func (env *evalEnv) root(p *jsonPath) any {
	if p.context {
		return env.context(p)
	}
	return env.input
}

func (env *evalEnv) resolvePath(p *jsonPath) (any, error) {
	v, ok := p.get(env.root(p))
	if !ok {
		return nil, runtimeErr("the JSONPath %s could not be found in the input", p.raw)
	}
	return v, nil
}

func (c *intrinsicCall) eval(env *evalEnv) (any, error) {
	args := make([]any, len(c.args))
	for i, a := range c.args {
		switch a.kind {
		case argString:
			args[i] = unescapeLiteral(a.str)
		case argNumber:
			args[i] = a.num
		case argNull:
			args[i] = nil
		case argBool:
			args[i] = a.b
		case argPath:
			v, err := env.resolvePath(a.path)
			if err != nil {
				return nil, err
			}
			args[i] = v
		case argCall:
			v, err := a.call.eval(env)
			if err != nil {
				return nil, err
			}
			args[i] = v
		}
	}
	return c.fn(c, args, env.rand)
}

// intrinsicFunc gets the random source for MathRandom and UUID rather
// than the evalEnv, so that the evalEnv does not escape to the heap.
type intrinsicFunc func(c *intrinsicCall, args []any, rnd *rand.Rand) (any, error)

var intrinsicFuncs = map[string]intrinsicFunc{
	"States.Format":         fnFormat,
	"States.StringToJson":   fnStringToJSON,
	"States.JsonToString":   fnJSONToString,
	"States.Array":          fnArray,
	"States.ArrayPartition": fnArrayPartition,
	"States.ArrayContains":  fnArrayContains,
	"States.ArrayRange":     fnArrayRange,
	"States.ArrayGetItem":   fnArrayGetItem,
	"States.ArrayLength":    fnArrayLength,
	"States.ArrayUnique":    fnArrayUnique,
	"States.Base64Encode":   fnBase64Encode,
	"States.Base64Decode":   fnBase64Decode,
	"States.Hash":           fnHash,
	"States.JsonMerge":      fnJSONMerge,
	"States.MathRandom":     fnMathRandom,
	"States.MathAdd":        fnMathAdd,
	"States.StringSplit":    fnStringSplit,
	"States.UUID":           fnUUID,
}

func stringArg(name string, args []any, i int) (string, error) {
	s, ok := args[i].(string)
	if !ok {
		return "", intrinsicErr("%s: argument %d must be a string, got %s", name, i+1, typeName(args[i]))
	}
	return s, nil
}

func argArray(name string, args []any, i int) ([]any, error) {
	a, ok := args[i].([]any)
	if !ok {
		return nil, intrinsicErr("%s: argument %d must be an array, got %s", name, i+1, typeName(args[i]))
	}
	return a, nil
}

func argInt(name string, args []any, i int) (int64, error) {
	n, ok := toInt(args[i])
	if !ok {
		return 0, intrinsicErr("%s: argument %d must be an integer, got %s", name, i+1, typeName(args[i]))
	}
	return n, nil
}

// fnFormat fills each unescaped {} of the template with the next argument.
// Strings are inserted as-is; numbers, booleans and null as their JSON text.
func fnFormat(c *intrinsicCall, args []any, _ *rand.Rand) (any, error) {
	raw := c.args[0].str
	rest := args[1:]
	var b strings.Builder
	n := 0
	for i := 0; i < len(raw); i++ {
		ch := raw[i]
		switch {
		case ch == '\\' && i+1 < len(raw):
			i++
			b.WriteByte(raw[i])
		case ch == '{' && i+1 < len(raw) && raw[i+1] == '}':
			if n >= len(rest) {
				return nil, intrinsicErr("States.Format: template has more {} than arguments")
			}
			switch v := rest[n].(type) {
			case string:
				b.WriteString(v)
			case map[string]any, []any:
				return nil, intrinsicErr("States.Format: argument %d must be a string, number, boolean or null, got %s", n+2, typeName(v))
			default:
				b.Write(mustEncode(v))
			}
			n++
			i++
		default:
			b.WriteByte(ch)
		}
	}
	if n != len(rest) {
		return nil, intrinsicErr("States.Format: template has %d {} but %d arguments were given", n, len(rest))
	}
	return b.String(), nil
}

func fnStringToJSON(c *intrinsicCall, args []any, _ *rand.Rand) (any, error) {
	s, err := stringArg(c.name, args, 0)
	if err != nil {
		return nil, err
	}
	v, err := decodeJSON([]byte(s))
	if err != nil {
		return nil, intrinsicErr("States.StringToJson: invalid JSON: %v", err)
	}
	return v, nil
}

func fnJSONToString(_ *intrinsicCall, args []any, _ *rand.Rand) (any, error) {
	return string(mustEncode(args[0])), nil
}

func fnArray(_ *intrinsicCall, args []any, _ *rand.Rand) (any, error) {
	return append([]any{}, args...), nil
}

func fnArrayPartition(c *intrinsicCall, args []any, _ *rand.Rand) (any, error) {
	a, err := argArray(c.name, args, 0)
	if err != nil {
		return nil, err
	}
	size, err := argInt(c.name, args, 1)
	if err != nil {
		return nil, err
	}
	if size <= 0 {
		return nil, intrinsicErr("States.ArrayPartition: chunk size must be positive, got %d", size)
	}
	out := []any{}
	for i := 0; i < len(a); i += int(size) {
		end := min(len(a), i+int(size))
		out = append(out, append([]any{}, a[i:end]...))
	}
	return out, nil
}

func fnArrayContains(c *intrinsicCall, args []any, _ *rand.Rand) (any, error) {
	a, err := argArray(c.name, args, 0)
	if err != nil {
		return nil, err
	}
	for _, v := range a {
		if jsonEqual(v, args[1]) {
			return true, nil
		}
	}
	return false, nil
}

// maxArrayRange is the AWS limit on the elements States.ArrayRange returns.
const maxArrayRange = 1000

func fnArrayRange(c *intrinsicCall, args []any, _ *rand.Rand) (any, error) {
	var n [3]int64
	for i := range n {
		v, err := argInt(c.name, args, i)
		if err != nil {
			return nil, err
		}
		n[i] = v
	}
	start, end, stepBy := n[0], n[1], n[2]
	if stepBy == 0 {
		return nil, intrinsicErr("States.ArrayRange: step must not be 0")
	}
	out := []any{}
	for v := start; (stepBy > 0 && v <= end) || (stepBy < 0 && v >= end); v += stepBy {
		if len(out) == maxArrayRange {
			return nil, intrinsicErr("States.ArrayRange: more than %d elements", maxArrayRange)
		}
		out = append(out, intNumber(v))
	}
	return out, nil
}

func fnArrayGetItem(c *intrinsicCall, args []any, _ *rand.Rand) (any, error) {
	a, err := argArray(c.name, args, 0)
	if err != nil {
		return nil, err
	}
	i, err := argInt(c.name, args, 1)
	if err != nil {
		return nil, err
	}
	if i < 0 || i >= int64(len(a)) {
		return nil, intrinsicErr("States.ArrayGetItem: index %d out of range for array of length %d", i, len(a))
	}
	return a[i], nil
}

func fnArrayLength(c *intrinsicCall, args []any, _ *rand.Rand) (any, error) {
	a, err := argArray(c.name, args, 0)
	if err != nil {
		return nil, err
	}
	return intNumber(int64(len(a))), nil
}

func fnArrayUnique(c *intrinsicCall, args []any, _ *rand.Rand) (any, error) {
	a, err := argArray(c.name, args, 0)
	if err != nil {
		return nil, err
	}
	out := []any{}
next:
	for _, v := range a {
		for _, seen := range out {
			if jsonEqual(v, seen) {
				continue next
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// maxEncodeInput is the AWS limit on Base64Encode/Decode input length.
const maxEncodeInput = 10000

func fnBase64Encode(c *intrinsicCall, args []any, _ *rand.Rand) (any, error) {
	s, err := stringArg(c.name, args, 0)
	if err != nil {
		return nil, err
	}
	if len(s) > maxEncodeInput {
		return nil, intrinsicErr("States.Base64Encode: input longer than %d characters", maxEncodeInput)
	}
	return base64.StdEncoding.EncodeToString([]byte(s)), nil
}

func fnBase64Decode(c *intrinsicCall, args []any, _ *rand.Rand) (any, error) {
	s, err := stringArg(c.name, args, 0)
	if err != nil {
		return nil, err
	}
	if len(s) > maxEncodeInput {
		return nil, intrinsicErr("States.Base64Decode: input longer than %d characters", maxEncodeInput)
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, intrinsicErr("States.Base64Decode: %v", err)
	}
	return string(b), nil
}

func fnHash(c *intrinsicCall, args []any, _ *rand.Rand) (any, error) {
	data, ok := args[0].(string)
	if !ok {
		// AWS hashes the JSON text of non-string data.
		data = string(mustEncode(args[0]))
	}
	alg, err := stringArg(c.name, args, 1)
	if err != nil {
		return nil, err
	}
	var h hash.Hash
	switch alg {
	case "MD5":
		h = md5.New()
	case "SHA-1":
		h = sha1.New()
	case "SHA-256":
		h = sha256.New()
	case "SHA-384":
		h = sha512.New384()
	case "SHA-512":
		h = sha512.New()
	default:
		return nil, intrinsicErr("States.Hash: unsupported algorithm %q (want MD5, SHA-1, SHA-256, SHA-384 or SHA-512)", alg)
	}
	h.Write([]byte(data))
	return hex.EncodeToString(h.Sum(nil)), nil
}

func fnJSONMerge(c *intrinsicCall, args []any, _ *rand.Rand) (any, error) {
	a, ok1 := args[0].(map[string]any)
	b, ok2 := args[1].(map[string]any)
	if !ok1 || !ok2 {
		return nil, intrinsicErr("States.JsonMerge: both arguments must be objects")
	}
	deep, ok := args[2].(bool)
	if !ok {
		return nil, intrinsicErr("States.JsonMerge: third argument must be a boolean")
	}
	if deep {
		return nil, intrinsicErr("States.JsonMerge: deep merge (true) is not supported by Step Functions")
	}
	out := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out, nil
}

// fnMathRandom returns an integer in [start, end). With a seed the result
// is deterministic, as in AWS.
func fnMathRandom(c *intrinsicCall, args []any, rnd *rand.Rand) (any, error) {
	start, err := argInt(c.name, args, 0)
	if err != nil {
		return nil, err
	}
	end, err := argInt(c.name, args, 1)
	if err != nil {
		return nil, err
	}
	if end <= start {
		return nil, intrinsicErr("States.MathRandom: end (%d) must be greater than start (%d)", end, start)
	}
	r := rnd
	if len(args) == 3 {
		seed, err := argInt(c.name, args, 2)
		if err != nil {
			return nil, err
		}
		r = rand.New(rand.NewPCG(uint64(seed), 0))
	}
	return intNumber(start + r.Int64N(end-start)), nil
}

func fnMathAdd(c *intrinsicCall, args []any, _ *rand.Rand) (any, error) {
	a, err := argInt(c.name, args, 0)
	if err != nil {
		return nil, err
	}
	b, err := argInt(c.name, args, 1)
	if err != nil {
		return nil, err
	}
	return intNumber(a + b), nil
}

// fnStringSplit splits on any of the delimiter characters and drops empty
// pieces, like Java's StringTokenizer that Step Functions uses.
func fnStringSplit(c *intrinsicCall, args []any, _ *rand.Rand) (any, error) {
	s, err := stringArg(c.name, args, 0)
	if err != nil {
		return nil, err
	}
	delims, err := stringArg(c.name, args, 1)
	if err != nil {
		return nil, err
	}
	out := []any{}
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(delims, r) }) {
		out = append(out, part)
	}
	return out, nil
}

func fnUUID(_ *intrinsicCall, _ []any, rnd *rand.Rand) (any, error) {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], rnd.Uint64())
	binary.LittleEndian.PutUint64(b[8:], rnd.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}
