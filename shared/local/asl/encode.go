package asl

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"sync"
)

// A record is saved before every side effect, so its encoding is on the
// hot path. encoding/json writes all of it, but what never changes is
// encoded once and kept: the head (recordHead) at the first save, and each
// history event at the first save after it was appended. A save encodes
// the body (status, times and the frame tree) and the events that are
// new, then joins the parts into the document json.Marshal would write
// for the record (without HTML escaping, as every value the interpreter
// writes):
//
//	{head fields,body fields,"history":[events],"seq":N}
//
// The history would otherwise be re-encoded at every save, which makes
// saving an execution quadratic in its length.

// Buffers are recycled so that saving allocates little more than the
// document itself. scratchBufs serve a single encoding and are put back as
// soon as its bytes are copied out. recordBufs hold what a running record
// caches (record.head and record.hist) and come back when it is
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

// appender is an io.Writer that appends to b.
type appender struct{ b []byte }

func (a *appender) Write(p []byte) (int, error) {
	a.b = append(a.b, p...)
	return len(p), nil
}

// jsonEncoder is an encoding/json Encoder without HTML escaping that
// appends to a caller's slice.
type jsonEncoder struct {
	w   appender
	enc *json.Encoder
}

var jsonEncoders = sync.Pool{New: func() any {
	e := &jsonEncoder{}
	e.enc = json.NewEncoder(&e.w)
	e.enc.SetEscapeHTML(false)
	return e
}}

// appendJSON appends the compact JSON of v to b, without HTML escaping (as
// Step Functions prints JSON), object keys sorted.
func appendJSON(b []byte, v any) ([]byte, error) {
	e := jsonEncoders.Get().(*jsonEncoder)
	e.w.b = b
	// Encode writes nothing unless it succeeds, and then ends with a
	// newline.
	err := e.enc.Encode(v)
	out := e.w.b
	e.w.b = nil
	jsonEncoders.Put(e)
	if err != nil {
		return b, err
	}
	return out[:len(out)-1], nil
}

// encode returns r's document in a new slice; r.mu must be held.
func (r *record) encode() ([]byte, error) { return r.appendDoc(nil) }

// appendDoc appends r's document to b; r.mu must be held.
func (r *record) appendDoc(b []byte) ([]byte, error) {
	if r.head == nil {
		bp := recordBufs.Get().(*[]byte)
		head, err := appendJSON((*bp)[:0], &r.recordHead)
		if err != nil {
			recordBufs.Put(bp)
			return b, fmt.Errorf("encode execution: %w", err)
		}
		*bp = head
		r.head = bp
	}
	if err := r.encodeHistory(); err != nil {
		return b, err
	}
	bp := scratchBufs.Get().(*[]byte)
	defer scratchBufs.Put(bp)
	body, err := appendJSON((*bp)[:0], &r.recordBody)
	*bp = body
	if err != nil {
		return b, fmt.Errorf("encode execution: %w", err)
	}

	// Both parts are objects with members: {"arn":...} and
	// {"status":...}; the document joins their members.
	head, hist := *r.head, *r.hist
	const histOpen, histClose = `,"history":[`, `],"seq":`
	n := len(head) + len(body) + len(histOpen) + len(hist) + len(histClose) + 20 + 1
	b = slices.Grow(b, n)
	b = append(b, head[:len(head)-1]...)
	b = append(b, ',')
	b = append(b, body[1:len(body)-1]...)
	b = append(b, histOpen...)
	b = append(b, hist...)
	b = append(b, histClose...)
	b = strconv.AppendInt(b, r.Seq, 10)
	return append(b, '}'), nil
}

// encodeHistory brings r.hist up to date with r.History.
func (r *record) encodeHistory() error {
	if r.hist == nil {
		r.hist = recordBufs.Get().(*[]byte)
		*r.hist = (*r.hist)[:0]
	}
	if r.histN == len(r.History) {
		return nil
	}
	// The new events in one go, [{...},{...}], joined to the old ones
	// without the brackets.
	b := *r.hist
	n := len(b)
	b, err := appendJSON(b, r.History[r.histN:])
	if err != nil {
		return fmt.Errorf("encode execution history: %w", err)
	}
	if r.histN > 0 {
		b[n] = ','
	} else {
		b = append(b[:n], b[n+1:]...)
	}
	*r.hist = b[:len(b)-1]
	r.histN = len(r.History)
	return nil
}

// releaseEncoding hands r's cached encodings back for reuse by other
// records; r.mu must be held, and r must never be saved again.
func (r *record) releaseEncoding() {
	if r.head != nil {
		putRecordBuf(r.head)
		r.head = nil
	}
	if r.hist != nil {
		putRecordBuf(r.hist)
		r.hist, r.histN = nil, 0
	}
}
