// Package faults wraps cxloop's ports (the store table, mailer, texter,
// workflow, queue and clock) so that a chosen call fails the way the real
// dependency can fail: a plain error, a timeout, or — for calls with an
// effect — an ambiguous failure, where the effect happened but the caller
// got a timeout (a PutItem that DynamoDB applied before the connection
// dropped, an email SES accepted before the response was lost).
//
// A Plan decides, deterministically, which call fails. Every wrapper that
// shares a Plan counts its calls on its own port's counter, and every port
// but the clock also counts on one combined counter, so a Rule can name
// "the 7th table call" or "the 31st call to any port". Tests run a flow
// once without faults to learn the counts, then once per call number.
//
// The clock cannot fail; its fault is a Skew: one call of Now returns a
// time a few seconds in the past, as a machine whose clock is stepped back
// by NTP would. Clock calls count only on the clock port (they are far
// more frequent than the others and would swamp the combined counter).
package faults

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// Port names a port of the core.
type Port string

// The ports.
const (
	Any          Port = "" // in a Rule: the combined counter of every port but the clock
	TablePort    Port = "table"
	MailerPort   Port = "mailer"
	TexterPort   Port = "texter"
	WorkflowPort Port = "workflow"
	QueuePort    Port = "queue"
	ClockPort    Port = "clock"
)

// Kind is how a call fails.
type Kind int

// The kinds of failure.
const (
	// Fail: the call has no effect and returns an error wrapping ErrInjected.
	Fail Kind = iota + 1
	// Timeout: the call has no effect and returns an error wrapping both
	// ErrInjected and context.DeadlineExceeded.
	Timeout
	// Ambiguous: the call has its effect, then returns the Timeout error.
	// On a call without an effect (a read) it is the same as Timeout.
	Ambiguous
	// Skew: for the clock only, Now returns the time SkewBy earlier, once.
	// On any other port it is the same as Fail.
	Skew
)

var kindNames = map[Kind]string{Fail: "fail", Timeout: "timeout", Ambiguous: "ambiguous", Skew: "skew"}

func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// SkewBy is how far back a Skew sets the clock.
const SkewBy = 5 * time.Second

// ErrInjected is wrapped by every error a wrapper makes up.
var ErrInjected = errors.New("faults: injected failure")

// Rule makes one call (or, with Sticky, every call from it on) fail.
type Rule struct {
	Port Port // the counter Call refers to; Any is the combined counter
	Call int  // 1-based call number on that counter
	Kind Kind
	// Sticky fails every later call too, on every port the counter covers:
	// the process died at that call. A sticky Ambiguous applies only the
	// first call's effect.
	Sticky bool
}

func (r Rule) String() string {
	port := string(r.Port)
	if port == "" {
		port = "any"
	}
	s := fmt.Sprintf("%s call %d %s", port, r.Call, r.Kind)
	if r.Sticky {
		s += " and every call after"
	}
	return s
}

// Hit records one injected fault.
type Hit struct {
	Port Port
	Call int    // the call's number on its port's counter
	Op   string // e.g. "Put PERSON#maria", "SendEmail ana@example.com"
	Kind Kind
}

func (h Hit) String() string { return fmt.Sprintf("%s call %d (%s): %s", h.Port, h.Call, h.Op, h.Kind) }

// Plan decides which calls fail. The zero value and a nil *Plan inject
// nothing and only count. A Plan is safe for concurrent use; with the calls
// made in the same order it fails the same calls every time.
type Plan struct {
	mu    sync.Mutex
	rules []Rule
	calls map[Port]int
	total int
	hits  []Hit
	ops   map[Port][]string // with Record: each call's op, in order
	rec   bool
	off   bool
}

// NewPlan returns a plan with rules.
func NewPlan(rules ...Rule) *Plan { return &Plan{rules: rules} }

// Record makes the plan keep the op of every call, for Ops.
func (p *Plan) Record() *Plan {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rec = true
	return p
}

// Stop ends the plan: later calls are neither counted nor failed, so a
// test can look at the outcome through the same wrapped ports.
func (p *Plan) Stop() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.off = true
}

// Calls returns how many calls port has had; Any gives the combined count.
func (p *Plan) Calls(port Port) int {
	if p == nil {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if port == Any {
		return p.total
	}
	return p.calls[port]
}

// Ops returns the ops of port's calls in order (only with Record).
func (p *Plan) Ops(port Port) []string {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.ops[port]...)
}

// Hits returns the faults injected so far, in order.
func (p *Plan) Hits() []Hit {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Hit(nil), p.hits...)
}

// String describes the rules and what they hit, for test logs.
func (p *Plan) String() string {
	if p == nil {
		return "no faults"
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var rules, hits []string
	for _, r := range p.rules {
		rules = append(rules, r.String())
	}
	for i, h := range p.hits {
		if i == 3 {
			hits = append(hits, fmt.Sprintf("... %d more", len(p.hits)-i))
			break
		}
		hits = append(hits, h.String())
	}
	ports := make([]string, 0, len(p.calls))
	for port, n := range p.calls {
		ports = append(ports, fmt.Sprintf("%s=%d", port, n))
	}
	sort.Strings(ports)
	return fmt.Sprintf("rules [%s] hit [%s] calls [%s]", strings.Join(rules, "; "), strings.Join(hits, "; "), strings.Join(ports, " "))
}

// call counts one call of port and says whether (and how) it fails.
// first is false for the later calls of a sticky rule.
func (p *Plan) call(port Port, op string) (kind Kind, first bool, err error) {
	if p == nil {
		return 0, false, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.off {
		return 0, false, nil
	}
	if p.calls == nil {
		p.calls = map[Port]int{}
	}
	p.calls[port]++
	n := p.calls[port]
	if port != ClockPort {
		p.total++
	}
	if p.rec {
		if p.ops == nil {
			p.ops = map[Port][]string{}
		}
		p.ops[port] = append(p.ops[port], op)
	}
	for _, r := range p.rules {
		var at int
		switch {
		case r.Port == port:
			at = n
		case r.Port == Any && port != ClockPort:
			at = p.total
		default:
			continue
		}
		if at == r.Call || (r.Sticky && at > r.Call) {
			p.hits = append(p.hits, Hit{Port: port, Call: n, Op: op, Kind: r.Kind})
			return r.Kind, at == r.Call, &Error{Port: port, Call: n, Op: op, Kind: r.Kind}
		}
	}
	return 0, false, nil
}

// Error is an injected failure.
type Error struct {
	Port Port
	Call int
	Op   string
	Kind Kind
}

func (e *Error) Error() string {
	what := "failed"
	switch e.Kind {
	case Timeout:
		what = "timed out"
	case Ambiguous:
		what = "timed out after taking effect"
	}
	return fmt.Sprintf("faults: %s call %d (%s) %s", e.Port, e.Call, e.Op, what)
}

// Unwrap gives ErrInjected and, for timeouts, context.DeadlineExceeded.
func (e *Error) Unwrap() []error {
	if e.Kind == Timeout || e.Kind == Ambiguous {
		return []error{ErrInjected, context.DeadlineExceeded}
	}
	return []error{ErrInjected}
}
