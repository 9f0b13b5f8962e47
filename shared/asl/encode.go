package asl

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// A record is saved before every side effect, so its encoding is on the
// hot path. encode writes the same document json.Marshal would (field
// names, omitempty rules, compact), which decodeRecord reads back with
// encoding/json, but without reflection, without re-validating the raw
// input and output, and re-using what earlier saves encoded: the fields
// that never change and the history events already saved.

// Buffers are recycled so that saving allocates little more than the
// document itself. scratchBufs serve a single encoding and are put back as
// soon as its bytes are copied out. recordBufs hold what a running record
// caches (record.encHead and record.histEnc) and come back when it is
// forgotten; only small ones are kept, so that a record reusing one never
// pins much more memory than it needs itself.
var (
	scratchBufs = sync.Pool{New: func() any { return new([]byte) }}
	recordBufs  = sync.Pool{New: func() any { return new([]byte) }}
)

// maxRecordBuf is the largest buffer recordBufs takes back.
const maxRecordBuf = 16 << 10

// putRecordBuf returns a record's buffer to recordBufs if it is small.
func putRecordBuf(bp *[]byte) {
	if cap(*bp) <= maxRecordBuf {
		recordBufs.Put(bp)
	}
}

// encode returns r's document in a new slice; r.mu must be held.
func (r *record) encode() []byte { return r.appendDoc(nil) }

// appendDoc appends r's document to b; r.mu must be held.
func (r *record) appendDoc(b []byte) []byte {
	if r.encHead == nil {
		r.encHead = recordBufs.Get().(*[]byte)
		*r.encHead = r.appendHead((*r.encHead)[:0])
	}
	r.encodeHistory()
	bp := scratchBufs.Get().(*[]byte)
	mid := r.appendMid((*bp)[:0])

	const histOpen, histClose = `,"history":[`, `],"seq":`
	n := len(*r.encHead) + len(mid) + len(histOpen) + len(*r.histEnc) + len(histClose) + 20 + 1
	b = slices.Grow(b, n)
	b = append(b, *r.encHead...)
	b = append(b, mid...)
	b = append(b, histOpen...)
	b = append(b, *r.histEnc...)
	b = append(b, histClose...)
	b = strconv.AppendInt(b, r.Seq, 10)
	b = append(b, '}')

	*bp = mid
	scratchBufs.Put(bp)
	return b
}

// appendHead appends the start of the document: the fields that never
// change once the record exists.
func (r *record) appendHead(b []byte) []byte {
	b = append(b, `{"arn":`...)
	b = appendString(b, r.ARN)
	b = append(b, `,"name":`...)
	b = appendString(b, r.Name)
	b = append(b, `,"stateMachineArn":`...)
	b = appendString(b, r.StateMachineARN)
	b = append(b, `,"stateMachineName":`...)
	b = appendString(b, r.StateMachineName)
	b = append(b, `,"definitionHash":`...)
	b = appendString(b, r.DefinitionHash)
	b = append(b, `,"input":`...)
	b = appendRaw(b, r.Input)
	b = append(b, `,"status":`...)
	return b
}

// appendMid appends the fields between the head and the history.
func (r *record) appendMid(b []byte) []byte {
	b = appendString(b, string(r.Status))
	b = append(b, `,"startTime":`...)
	b = r.appendTime(b, r.StartTime)
	if !r.StopTime.IsZero() {
		b = append(b, `,"stopTime":`...)
		b = r.appendTime(b, r.StopTime)
	}
	if r.Deadline != nil {
		b = append(b, `,"deadline":`...)
		b = r.appendTime(b, *r.Deadline)
	}
	if len(r.Output) > 0 {
		b = append(b, `,"output":`...)
		b = appendRaw(b, r.Output)
	}
	if r.Error != "" {
		b = append(b, `,"error":`...)
		b = appendString(b, r.Error)
	}
	if r.Cause != "" {
		b = append(b, `,"cause":`...)
		b = appendString(b, r.Cause)
	}
	b = append(b, `,"root":`...)
	return r.Root.appendJSON(b, r)
}

// encodeHistory brings r.histEnc up to date with r.History.
func (r *record) encodeHistory() {
	if r.histEnc == nil {
		r.histEnc = recordBufs.Get().(*[]byte)
		*r.histEnc = (*r.histEnc)[:0]
	}
	b := *r.histEnc
	for _, ev := range r.History[r.histEncN:] {
		if r.histEncN > 0 {
			b = append(b, ',')
		}
		b = ev.appendJSON(b, r)
		r.histEncN++
	}
	*r.histEnc = b
}

// releaseEncoding hands r's cached encodings back for reuse by other
// records; r.mu must be held, and r must never be saved again.
func (r *record) releaseEncoding() {
	if r.encHead != nil {
		putRecordBuf(r.encHead)
		r.encHead = nil
	}
	if r.histEnc != nil {
		putRecordBuf(r.histEnc)
		r.histEnc, r.histEncN = nil, 0
	}
}

// appendTime appends t as encoding/json does. A document holds the same
// few instants many times over (every event of a step has the step's
// time), so the last one formatted is kept. It is reused only for an
// identical time.Time (==, not Equal: the same instant in another location
// formats differently).
func (r *record) appendTime(b []byte, t time.Time) []byte {
	if t != r.lastTime || r.lastTimeEnc == nil {
		r.lastTime, r.lastTimeEnc = t, appendTime(r.lastTimeEnc[:0], t)
	}
	return append(b, r.lastTimeEnc...)
}

func (ev *HistoryEvent) appendJSON(b []byte, r *record) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, int64(ev.ID), 10)
	b = append(b, `,"timestamp":`...)
	b = r.appendTime(b, ev.Timestamp)
	b = append(b, `,"type":`...)
	b = appendString(b, ev.Type)
	if ev.State != "" {
		b = append(b, `,"state":`...)
		b = appendString(b, ev.State)
	}
	if ev.Error != "" {
		b = append(b, `,"error":`...)
		b = appendString(b, ev.Error)
	}
	if ev.Cause != "" {
		b = append(b, `,"cause":`...)
		b = appendString(b, ev.Cause)
	}
	return append(b, '}')
}

// appendJSON appends f; r is the record it belongs to.
func (f *frame) appendJSON(b []byte, r *record) []byte {
	if f == nil {
		return append(b, "null"...)
	}
	b = append(b, `{"id":`...)
	b = appendString(b, f.ID)
	if f.Owner != "" {
		b = append(b, `,"owner":`...)
		b = appendString(b, f.Owner)
	}
	if f.Branch != 0 {
		b = append(b, `,"branch":`...)
		b = strconv.AppendInt(b, int64(f.Branch), 10)
	}
	b = append(b, `,"state":`...)
	b = appendString(b, f.State)
	b = append(b, `,"phase":`...)
	b = appendString(b, f.Phase)
	b = append(b, `,"input":`...)
	b = appendValue(b, f.Input)
	if f.Effective != nil {
		b = append(b, `,"effective":`...)
		b = appendValue(b, f.Effective)
	}
	b = append(b, `,"run":`...)
	b = strconv.AppendInt(b, f.Run, 10)
	if f.Retrying {
		b = append(b, `,"retrying":true`...)
	}
	b = append(b, `,"entered":`...)
	b = r.appendTime(b, f.Entered)
	if f.RetryCount != 0 {
		b = append(b, `,"retryCount":`...)
		b = strconv.AppendInt(b, int64(f.RetryCount), 10)
	}
	if len(f.Attempts) > 0 {
		b = append(b, `,"attempts":[`...)
		for i, n := range f.Attempts {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(n), 10)
		}
		b = append(b, ']')
	}
	if f.Until != nil {
		b = append(b, `,"until":`...)
		b = r.appendTime(b, *f.Until)
	}
	if f.Token != "" {
		b = append(b, `,"token":`...)
		b = appendString(b, f.Token)
	}
	if f.TimeoutAt != nil {
		b = append(b, `,"timeoutAt":`...)
		b = r.appendTime(b, *f.TimeoutAt)
	}
	if f.HeartbeatAt != nil {
		b = append(b, `,"heartbeatAt":`...)
		b = r.appendTime(b, *f.HeartbeatAt)
	}
	if f.Heartbeat != 0 {
		b = append(b, `,"heartbeat":`...)
		b = strconv.AppendInt(b, f.Heartbeat, 10)
	}
	if len(f.Children) > 0 {
		b = append(b, `,"children":[`...)
		for i, c := range f.Children {
			if i > 0 {
				b = append(b, ',')
			}
			b = c.appendJSON(b, r)
		}
		b = append(b, ']')
	}
	if f.Output != nil {
		b = append(b, `,"output":`...)
		b = appendValue(b, f.Output)
	}
	if f.Error != "" {
		b = append(b, `,"error":`...)
		b = appendString(b, f.Error)
	}
	if f.Cause != "" {
		b = append(b, `,"cause":`...)
		b = appendString(b, f.Cause)
	}
	return append(b, '}')
}

// appendRaw appends a JSON document the engine produced itself (compact
// and valid); empty means null.
func appendRaw(b []byte, raw json.RawMessage) []byte {
	if len(raw) == 0 {
		return append(b, "null"...)
	}
	return append(b, raw...)
}

// appendTime appends t as encoding/json does (RFC 3339 with nanoseconds).
func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// appendValue appends an interpreter value (see value.go) as encodeJSON
// renders it.
func appendValue(b []byte, v any) []byte {
	out, err := appendValueErr(b, v)
	if err != nil {
		// As mustEncode: interpreter values are always encodable.
		return append(b, "null"...)
	}
	return out
}

// appendValueErr appends v compactly, with object keys sorted and no HTML
// escaping, exactly as encoding/json would with SetEscapeHTML(false); types
// other than those decodeJSON produces go through encoding/json.
func appendValueErr(b []byte, v any) ([]byte, error) {
	var err error
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendString(b, x), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case json.Number:
		if x == "" {
			return append(b, '0'), nil
		}
		if validNumber(string(x)) {
			return append(b, x...), nil
		}
	case map[string]any:
		// Members are sorted by key, collected with their values so that
		// no key is looked up twice.
		var arr [16]member
		members := arr[:0]
		for k, e := range x {
			members = append(members, member{k, e})
		}
		slices.SortFunc(members, func(a, b member) int { return strings.Compare(a.key, b.key) })
		b = append(b, '{')
		for i, m := range members {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, m.key)
			b = append(b, ':')
			if b, err = appendValueErr(b, m.val); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendValueErr(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	}
	// Anything else (other number types, or an invalid json.Number) goes
	// through encoding/json, which reports what it can't encode.
	enc, err := encodeJSONReflect(v)
	if err != nil {
		return nil, err
	}
	return append(b, enc...), nil
}

// member is an object member, for encoding objects in key order.
type member struct {
	key string
	val any
}

const hexDigits = "0123456789abcdef"

// plainASCII tells the bytes appendString copies as they are: printable
// ASCII other than the quote and the backslash. A table lookup is the
// cheapest test for the common byte.
var plainASCII = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendString appends s as a JSON string, escaping as encoding/json does
// with HTML escaping off: invalid UTF-8 becomes U+FFFD, and U+2028 and
// U+2029 are escaped.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if plainASCII[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// validNumber reports whether s is a JSON number (encoding/json's check).
func validNumber(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == '-' {
		s = s[1:]
		if s == "" {
			return false
		}
	}
	switch {
	case s[0] == '0':
		s = s[1:]
	case '1' <= s[0] && s[0] <= '9':
		s = s[1:]
		for len(s) > 0 && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
	default:
		return false
	}
	if len(s) >= 2 && s[0] == '.' && '0' <= s[1] && s[1] <= '9' {
		s = s[2:]
		for len(s) > 0 && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
	}
	if len(s) >= 2 && (s[0] == 'e' || s[0] == 'E') {
		s = s[1:]
		if s[0] == '+' || s[0] == '-' {
			s = s[1:]
			if s == "" {
				return false
			}
		}
		for len(s) > 0 && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
	}
	return s == ""
}
