package faults

import (
	"context"
	"strings"
	"time"

	"github.com/cxloop/cxloop/shared/app"
	"github.com/cxloop/cxloop/shared/message"
	"github.com/cxloop/cxloop/shared/store"
)

// effect runs do when the call is to have its effect: always without a
// fault, and for the first call of an Ambiguous one.
func effect(kind Kind, first bool, err error) bool {
	return err == nil || (kind == Ambiguous && first)
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
	kind, first, err := w.p.call(TablePort, "Put "+item.PK)
	if !effect(kind, first, err) {
		return store.Item{}, err
	}
	out, perr := w.t.Put(ctx, item, cond)
	if err != nil {
		return store.Item{}, err
	}
	return out, perr
}

func (w *table) Delete(ctx context.Context, key store.Key) error {
	if w.skipped(key.PK) {
		return w.t.Delete(ctx, key)
	}
	kind, first, err := w.p.call(TablePort, "Delete "+key.PK)
	if !effect(kind, first, err) {
		return err
	}
	derr := w.t.Delete(ctx, key)
	if err != nil {
		return err
	}
	return derr
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
	kind, first, err := w.p.call(MailerPort, "SendEmail "+m.To+" "+m.Tags["purpose"])
	if !effect(kind, first, err) {
		return "", err
	}
	id, serr := w.m.SendEmail(ctx, m)
	if err != nil {
		return "", err
	}
	return id, serr
}

type texter struct {
	t app.Texter
	p *Plan
}

var _ app.Texter = (*texter)(nil)

// Texter wraps t; Ambiguous sends the text, then fails.
func Texter(t app.Texter, p *Plan) app.Texter { return &texter{t: t, p: p} }

func (w *texter) SendSMS(ctx context.Context, m message.SMS) (string, error) {
	kind, first, err := w.p.call(TexterPort, "SendSMS "+m.To+" "+m.Tags["purpose"])
	if !effect(kind, first, err) {
		return "", err
	}
	id, serr := w.t.SendSMS(ctx, m)
	if err != nil {
		return "", err
	}
	return id, serr
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
	kind, first, err := f.p.call(WorkflowPort, op)
	if !effect(kind, first, err) {
		return err
	}
	cerr := call()
	if err != nil {
		return err
	}
	return cerr
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
	kind, first, err := w.p.call(QueuePort, "EnqueueSend "+surveyID)
	if !effect(kind, first, err) {
		return err
	}
	qerr := w.q.EnqueueSend(ctx, surveyID)
	if err != nil {
		return err
	}
	return qerr
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
