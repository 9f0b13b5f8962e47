package faults

import (
	"context"
	"strings"
	"time"

	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/core/store"
	"github.com/cxloop/cxloop/shared/domain/message"
)

// withEffect makes a call that changes something under plan p: without a
// fault it runs do; a fault fails it before do runs, except the first call
// of an Ambiguous fault, which runs do and then fails (the service applied
// the call, its reply was lost).
func withEffect[T any](p *Plan, port Port, op string, do func() (T, error)) (T, error) {
	kind, first, err := p.call(port, op)
	var zero T
	if err != nil && !(kind == Ambiguous && first) {
		return zero, err
	}
	v, derr := do()
	if err != nil {
		return zero, err
	}
	return v, derr
}

// noValue adapts a call that returns only an error to withEffect.
func noValue(do func() error) func() (struct{}, error) {
	return func() (struct{}, error) { return struct{}{}, do() }
}

// LocalPrefixes are the partition key prefixes the dev server's own
// adapters keep in the table: the outbox (the fake of SES and SMS) and the
// interpreter's executions (the fake of Step Functions). Passed to Table as
// skip, they leave those calls alone, so table faults hit only what
// DynamoDB holds in AWS.
var LocalPrefixes = []string{"OUTBOX", "EXECUTION"}

type table struct {
	t    store.Table
	p    *Plan
	skip []string
}

var _ store.Table = (*table)(nil)

// Table wraps t; calls on items (or query partitions) whose partition key
// starts with one of skip pass through uncounted. Get and Query are reads;
// Put and Delete have an effect (Ambiguous applies them, then fails).
func Table(t store.Table, p *Plan, skip ...string) store.Table {
	return &table{t: t, p: p, skip: skip}
}

func (w *table) skipped(pk string) bool {
	for _, s := range w.skip {
		if strings.HasPrefix(pk, s) {
			return true
		}
	}
	return false
}

func (w *table) Get(ctx context.Context, key store.Key) (store.Item, error) {
	if w.skipped(key.PK) {
		return w.t.Get(ctx, key)
	}
	if _, _, err := w.p.call(TablePort, "Get "+key.PK); err != nil {
		return store.Item{}, err
	}
	return w.t.Get(ctx, key)
}

func (w *table) Put(ctx context.Context, item store.Item, cond store.Cond) (store.Item, error) {
	if w.skipped(item.PK) {
		return w.t.Put(ctx, item, cond)
	}
	return withEffect(w.p, TablePort, "Put "+item.PK, func() (store.Item, error) { return w.t.Put(ctx, item, cond) })
}

func (w *table) Delete(ctx context.Context, key store.Key) error {
	if w.skipped(key.PK) {
		return w.t.Delete(ctx, key)
	}
	_, err := withEffect(w.p, TablePort, "Delete "+key.PK, noValue(func() error { return w.t.Delete(ctx, key) }))
	return err
}

func (w *table) Query(ctx context.Context, q store.Query) ([]store.Item, error) {
	if w.skipped(q.PK) {
		return w.t.Query(ctx, q)
	}
	if _, _, err := w.p.call(TablePort, "Query "+string(q.Index)+" "+q.PK); err != nil {
		return nil, err
	}
	return w.t.Query(ctx, q)
}

type mailer struct {
	m app.Mailer
	p *Plan
}

var _ app.Mailer = (*mailer)(nil)

// Mailer wraps m; Ambiguous sends the email, then fails.
func Mailer(m app.Mailer, p *Plan) app.Mailer { return &mailer{m: m, p: p} }

func (w *mailer) SendEmail(ctx context.Context, m message.Email) (string, error) {
	return withEffect(w.p, MailerPort, "SendEmail "+m.To+" "+m.Tags["purpose"], func() (string, error) { return w.m.SendEmail(ctx, m) })
}

type texter struct {
	t app.Texter
	p *Plan
}

var _ app.Texter = (*texter)(nil)

// Texter wraps t; Ambiguous sends the text, then fails.
func Texter(t app.Texter, p *Plan) app.Texter { return &texter{t: t, p: p} }

func (w *texter) SendSMS(ctx context.Context, m message.SMS) (string, error) {
	return withEffect(w.p, TexterPort, "SendSMS "+m.To+" "+m.Tags["purpose"], func() (string, error) { return w.t.SendSMS(ctx, m) })
}

type workflow struct {
	w app.Workflow
	p *Plan
}

var _ app.Workflow = (*workflow)(nil)

// Workflow wraps w; Ambiguous starts, resumes or fails the execution, then
// fails (Step Functions applied the call, the response was lost).
func Workflow(w app.Workflow, p *Plan) app.Workflow { return &workflow{w: w, p: p} }

func (f *workflow) do(op string, call func() error) error {
	_, err := withEffect(f.p, WorkflowPort, op, noValue(call))
	return err
}

func (f *workflow) Start(ctx context.Context, name string, input []byte) error {
	return f.do("Start "+name, func() error { return f.w.Start(ctx, name, input) })
}

func (f *workflow) SendTaskSuccess(ctx context.Context, token string, output []byte) error {
	return f.do("SendTaskSuccess", func() error { return f.w.SendTaskSuccess(ctx, token, output) })
}

func (f *workflow) SendTaskFailure(ctx context.Context, token, code, cause string) error {
	return f.do("SendTaskFailure", func() error { return f.w.SendTaskFailure(ctx, token, code, cause) })
}

func (f *workflow) SendTaskHeartbeat(ctx context.Context, token string) error {
	return f.do("SendTaskHeartbeat", func() error { return f.w.SendTaskHeartbeat(ctx, token) })
}

type queue struct {
	q app.Queue
	p *Plan
}

var _ app.Queue = (*queue)(nil)

// Queue wraps q; Ambiguous enqueues, then fails (SQS kept the message).
func Queue(q app.Queue, p *Plan) app.Queue { return &queue{q: q, p: p} }

func (w *queue) EnqueueSend(ctx context.Context, surveyID string) error {
	_, err := withEffect(w.p, QueuePort, "EnqueueSend "+surveyID, noValue(func() error { return w.q.EnqueueSend(ctx, surveyID) }))
	return err
}

type clock struct {
	c app.Clock
	p *Plan
}

var _ app.Clock = (*clock)(nil)

// Clock wraps c. A clock cannot fail or time out, so any fault on it is a
// Skew: that one call of Now returns a time SkewBy in the past. A sticky
// rule skews every later call as well (a clock stepped back for good).
func Clock(c app.Clock, p *Plan) app.Clock { return &clock{c: c, p: p} }

func (w *clock) Now() time.Time {
	now := w.c.Now()
	if _, _, err := w.p.call(ClockPort, "Now"); err != nil {
		return now.Add(-SkewBy)
	}
	return now
}

// Deps wraps every port of d that the plan can fail (all but the store,
// whose table is wrapped below it with Table).
func Deps(d app.Deps, p *Plan) app.Deps {
	d.Mailer = Mailer(d.Mailer, p)
	d.Texter = Texter(d.Texter, p)
	d.Workflow = Workflow(d.Workflow, p)
	d.Queue = Queue(d.Queue, p)
	d.Clock = Clock(d.Clock, p)
	return d
}
