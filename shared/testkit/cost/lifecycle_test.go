package cost_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sfnsdk "github.com/aws/aws-sdk-go-v2/service/sfn"
	sqssdk "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"

	"github.com/cxloop/cxloop/infra/statemachine"
	"github.com/cxloop/cxloop/shared/aws/dynamo"
	"github.com/cxloop/cxloop/shared/aws/lambdafn"
	"github.com/cxloop/cxloop/shared/aws/looptask"
	"github.com/cxloop/cxloop/shared/aws/ses"
	"github.com/cxloop/cxloop/shared/aws/sfn"
	"github.com/cxloop/cxloop/shared/aws/sms"
	"github.com/cxloop/cxloop/shared/aws/sqs"
	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/core/store"
	"github.com/cxloop/cxloop/shared/domain/token"
	"github.com/cxloop/cxloop/shared/local/asl"
	"github.com/cxloop/cxloop/shared/local/localflow"
	"github.com/cxloop/cxloop/shared/platform/validation"
	"github.com/cxloop/cxloop/shared/testkit/awsfake"
	"github.com/cxloop/cxloop/shared/testkit/awswire"
	"github.com/cxloop/cxloop/shared/testkit/cost"
	"github.com/cxloop/cxloop/shared/web/httpapi"
)

var update = flag.Bool("update", false, "rewrite the cost section of README.md from this run")

const (
	baseURL  = "https://api.example.com"
	apiKey   = "test-api-key"
	machine  = "closed-loop"
	queueURL = "https://sqs.us-east-1.amazonaws.com/123456789012/cxloop-send"
	smARN    = "arn:aws:states:us-east-1:123456789012:stateMachine:cxloop-closed-loop"
	owner    = "maria@example.com"
	manager  = "dana@example.com"
)

// start is the virtual time the run begins at; every lifecycle runs to its
// end before the next begins.
var start = time.Date(2026, 5, 12, 9, 0, 0, 0, time.UTC)

// TestCost runs each survey lifecycle through the production adapters on
// an SDK configuration that carries cost.Counter, prices what was counted
// and checks README.md's cost section against it (-update rewrites it).
func TestCost(t *testing.T) {
	e := newEnv(t)
	e.seed()
	baseline := e.emptySweep()
	if n := baseline.Count("DynamoDB", "Query"); n != 1 || len(baseline.Calls) != 1 {
		t.Fatalf("an empty sweep made %v, want exactly one DynamoDB Query", baseline.Calls)
	}

	lcs := []cost.Lifecycle{
		{Key: "a", Title: "email survey, happy answer (9) through the survey page", Share: 0.24},
		{Key: "b", Title: "email survey, unhappy answer (3); the owner completes within the SLA with a note to the customer", Share: 0.045},
		{Key: "c", Title: "as b, but the SLA passes first: one escalation (owner reminded, manager told), then completion with a note", Share: 0.015},
		{Key: "d", Title: "email survey, no answer: the reminder after 3 days, expiry after 14", Share: 0.70},
	}
	run := map[string]func(){
		"a": e.happy,
		"b": func() { e.unhappy(false) },
		"c": func() { e.unhappy(true) },
		"d": e.noAnswer,
	}
	for i := range lcs {
		lcs[i].Usage = e.measure(lcs[i].Key, baseline, run[lcs[i].Key])
	}

	total := e.counter.Snapshot()
	if total.ReportedUnits != total.CheckedUnits {
		t.Errorf("dynalite reported %g table capacity units, the Counter computed %g for the same calls: the item size arithmetic is off", total.ReportedUnits, total.CheckedUnits)
	}
	checkLifecycles(t, lcs)

	rep := cost.Report{Lifecycles: lcs, SweepRRU: baseline.ReadUnits, Notes: notes(baseline)}
	rep.Verdict = verdict(t, lcs)
	body := rep.Markdown()
	t.Logf("\n%s", body)
	checkReadme(t, body)
	checkCapacity(t, lcs)
}

// checkLifecycles holds the counts to what each lifecycle must do, so a
// broken run cannot quietly produce a cheap table.
func checkLifecycles(t *testing.T, lcs []cost.Lifecycle) {
	t.Helper()
	wantEmails := map[string]int{"a": 1, "b": 3, "c": 5, "d": 2}
	for _, lc := range lcs {
		u := lc.Usage
		if u.Emails != wantEmails[lc.Key] {
			t.Errorf("lifecycle %s sent %d emails, want %d", lc.Key, u.Emails, wantEmails[lc.Key])
		}
		if u.Invocations["send-survey"] != 1 || u.SNSPublishes != 2*u.Emails {
			t.Errorf("lifecycle %s: send-survey ran %d times, %d SES events for %d emails", lc.Key, u.Invocations["send-survey"], u.SNSPublishes, u.Emails)
		}
		if u.SMS != 0 {
			t.Errorf("lifecycle %s sent %d SMS", lc.Key, u.SMS)
		}
		loop := lc.Key == "b" || lc.Key == "c"
		if (u.Transitions > 0) != loop || (u.Invocations["assign-owner"] == 1) != loop {
			t.Errorf("lifecycle %s: %d state transitions, assign-owner ran %d times", lc.Key, u.Transitions, u.Invocations["assign-owner"])
		}
		if loop && (u.Calls[cost.Op{Service: "SFN", Operation: "StartExecution"}] != 1 || u.Calls[cost.Op{Service: "SFN", Operation: "SendTaskSuccess"}] != 1) {
			t.Errorf("lifecycle %s: Step Functions calls %v, want one StartExecution and one SendTaskSuccess", lc.Key, u.Calls)
		}
	}
	if lcs[2].Usage.Invocations["escalate"] != 1 {
		t.Errorf("lifecycle c: escalate ran %d times, want 1", lcs[2].Usage.Invocations["escalate"])
	}
}

// verdict checks the target and says in the README whether it holds.
//
// The target is under $1.50 per 10,000 email surveys, all services
// included, SES being $1.00 of it: one email per survey. Every lifecycle
// in which the survey email is the only email (a) must meet it; for the
// mix, the part that is not SES must stay under the $0.50 the target
// leaves for it. SES beyond one email per survey (the reminder, the
// owner's and manager's emails, the customer's note) is reported, not
// hidden.
func verdict(t *testing.T, lcs []cost.Lifecycle) string {
	t.Helper()
	const target, sesBudget = 1.50, 1.00
	mix := cost.Mix(lcs)
	mixTotal := cost.Total(mix) * cost.Per
	mixSES := cost.ServiceDollars(mix, "SES") * cost.Per
	var lines []string
	for _, lc := range lcs {
		l := lc.Usage.Lines()
		total, ses := cost.Total(l)*cost.Per, cost.ServiceDollars(l, "SES")*cost.Per
		if lc.Usage.Emails == 1 {
			if total >= target || ses > sesBudget {
				t.Errorf("lifecycle %s costs $%.4f per 10,000 surveys (SES $%.4f): over the $%.2f target", lc.Key, total, ses, target)
			}
			lines = append(lines, fmt.Sprintf("lifecycle %s (one email) costs $%.4f per 10,000, SES $%.4f of it", lc.Key, total, ses))
		}
	}
	if other := mixTotal - mixSES; other >= target-sesBudget {
		t.Errorf("the mix costs $%.4f per 10,000 surveys without SES: over the $%.2f the target leaves besides SES", other, target-sesBudget)
	}
	mixEmails := 0.0
	for _, l := range mix {
		if l.Service == "SES" {
			mixEmails = l.Quantity
		}
	}
	holds := mixTotal < target && mixSES <= sesBudget
	state := "holds"
	if !holds {
		state = "holds only where a survey sends one email"
	}
	v := fmt.Sprintf("**Target** — under $%.2f per 10,000 email surveys, all services included, SES $%.2f of it: %s. %s; the mix costs $%.4f, of which SES $%.4f and everything else $%.4f.",
		target, sesBudget, state, upper(strings.Join(lines, "; ")), mixTotal, mixSES, mixTotal-mixSES)
	if !holds {
		v += fmt.Sprintf(" SES dominates: it is billed per email, and the mix sends %.3f emails per survey — the reminder that every non-responder gets after 3 days adds $%.4f per 10,000 on its own (share %.0f%% × $1.00), the closed loop's owner, manager and customer emails the rest. The infrastructure (API Gateway, Lambda, DynamoDB, SQS, SNS, Step Functions, logs) stays under the $%.2f the target leaves it.",
			mixEmails, lcs[3].Share*cost.SESPerEmail*cost.Per, lcs[3].Share*100, target-sesBudget)
	}
	return v
}

func upper(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func notes(baseline cost.Counts) []string {
	return []string{
		"**What runs.** Each lifecycle drives the real HTTP handler (`httpapi`) as the api function would, the send-survey handler (`lambdafn.SendSurveys`) for each message the SQS adapter put on the queue, the ses-events handler (`lambdafn.SESEvents`) with a send and a delivery event for each email (the configuration set publishes both to SNS, so every email is also two SNS publishes and two Lambda invocations; the send event is what confirms an owner's note even when its sender died after SES took it), the state machine file in the local interpreter with its Task states bound to `looptask.Handlers` on the same application core, and the sweeper (`app.Sweep`) at each due time. All of it runs on one `aws.Config` whose `APIOptions` carry `cost.Counter`.",
		"**Step Functions.** The app's Workflow port is a small adapter that calls the production `sfn` adapter (StartExecution, SendTaskSuccess, counted against the fake) and then starts or resumes the execution in the local interpreter; the transitions are every state entered in the execution's history (plus any retry).",
		"**HTTP requests.** Every request a person's browser makes counts: the source's `POST /v1/interactions`, the score link (`GET /s/{token}?score=N`), the form (`POST /s/{token}`), the owner's task page (`GET`/`POST /t/{token}`), and the page's stylesheet and the browser's `/favicon.ico` once per visit (the stylesheet is cached for an hour). Mail scanners that open links before the person does are not counted.",
		"**DynamoDB** units are computed by the Counter from the items read and written, including the writes to the three global secondary indexes (all projecting ALL attributes), which dynalite does not charge; dynalite's own ConsumedCapacity for the table is checked to agree. Lambda's event source mapping is assumed to receive and delete each SQS message on its own (one ReceiveMessage and one DeleteMessage per message).",
		fmt.Sprintf("**The sweeper** runs every 5 minutes whatever happens: its invocations and its empty due-items query (%d call, %g read units) are among the fixed monthly costs above; what a sweep does for a survey (the reminder, the expiry) is counted with the survey.", baseline.Count("DynamoDB", "Query"), baseline.ReadUnits),
		fmt.Sprintf("**Lambda** duration is assumed, not timed: %.0f ms per invocation at 256 MB on arm64. **Logs** are the JSON lines the functions wrote in the run, plus Lambda's platform lines (%d bytes per invocation) and API Gateway's access log line (%d bytes per request), each with CloudWatch's 26 bytes per event.", cost.LambdaSeconds*1000, cost.PlatformLogBytes(), cost.AccessLogBytes()),
		"**The mix** assumes 100% email, 30% of surveys answered before the reminder, 20% of answers unhappy, and of those three in four closed within the SLA and one in four after one escalation; the 70% who do not answer get the reminder (as cxloop does for every non-responder) and their survey expires. SMS surveys add the carrier's per-message price and are not in this table.",
		"**Not included:** the free tiers (Lambda, SQS, SNS, Step Functions and EventBridge Scheduler have permanent ones that cover a small deployment's use of them; API Gateway's lasts 12 months; DynamoDB's on-demand requests have none), DynamoDB storage and point-in-time recovery ($0.25 and $0.20 per GB-month; a lifecycle stores a few KB), data transfer, and the recovery check (off by default).",
	}
}

// checkReadme compares README.md's cost section with body, or rewrites it
// with -update.
func checkReadme(t *testing.T, body string) {
	t.Helper()
	root, err := awsfake.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, "README.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		out, err := cost.Splice(string(b), body)
		if err != nil {
			t.Fatal(err)
		}
		if out != string(b) {
			if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("rewrote the cost section of %s", path)
		}
		return
	}
	got, ok := cost.Section(string(b))
	if !ok {
		t.Fatalf("README.md has no cost section (%s … %s); run `%s`", cost.BeginMarker, cost.EndMarker, cost.UpdateCommand)
	}
	if got != body {
		t.Fatalf("README.md's cost section is out of date; run `%s` and review the diff.\n%s", cost.UpdateCommand, firstDiff(got, body))
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < max(len(al), len(bl)); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("first difference at line %d:\nREADME:   %s\nmeasured: %s", i+1, x, y)
		}
	}
	return ""
}

// env is the production wiring of one function's core, all functions
// sharing it, on the counted SDK configuration.
type env struct {
	t       *testing.T
	ctx     context.Context
	stack   *awsfake.Stack
	counter *cost.Counter
	clk     *asl.ManualClock
	app     *app.App
	http    http.Handler
	engine  *asl.Engine
	logs    *logMeter
	send    func(context.Context, events.SQSEvent) (events.SQSEventResponse, error)
	sesEv   func(context.Context, events.SNSEvent) error
	// sesEvents are what SES publishes for each email: send, delivery.
	sesEvents [][]byte

	// What the current lifecycle did.
	api        int
	inv        map[string]int
	sweeps     int
	queued     int // SQS messages consumed
	executions []string
	seenSQS    int
	seenMail   int
	mails      []mail
	browser    map[string]time.Time // who last fetched the page assets, when
}

type mail struct {
	To, Subject, Text string
}

func newEnv(t *testing.T) *env {
	stack := awsfake.NewStack(t, "cxloop")
	e := &env{t: t, ctx: t.Context(), stack: stack, inv: map[string]int{}, browser: map[string]time.Time{}}
	e.counter = cost.NewCounter(cost.IndexesOf(dynamo.CreateTableInput("cxloop")))
	e.clk = asl.NewManualClock(start)
	e.logs = &logMeter{}
	log := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelInfo, ReplaceAttr: fixedWidth})).
		With("requestId", "6f1c7a52-3f0e-4b7d-9c55-0d6c5c0f2a11", "service", "cxloop-function", "version", "dev")

	cfg := awswire.Config(stack.Fake.URL)
	cfg.APIOptions = append(cfg.APIOptions, func(s *middleware.Stack) error { return e.counter.AddTo(s) })
	table := dynamo.New(dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(stack.DynamoDB) }), stack.Table)
	real := sfn.New(sfnsdk.NewFromConfig(cfg), smARN, log)

	handlers := map[string]looptask.Handler{}
	e.engine = asl.NewEngine(asl.Config{Clock: e.clk, Invoker: localflow.Invoker(handlers)})
	def, err := looptask.Substitute(statemachine.ClosedLoop, looptask.LocalSubstitutions("48"))
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := asl.Parse(def)
	if err != nil {
		t.Fatal(err)
	}
	e.engine.Register(machine, parsed)

	signer, err := token.NewSigner(bytes.Repeat([]byte{0x5e}, 32))
	if err != nil {
		t.Fatal(err)
	}
	acfg := app.DefaultConfig()
	acfg.BaseURL = baseURL
	acfg.InitialAPIKey = apiKey
	queue := sqs.New(sqssdk.NewFromConfig(cfg), queueURL)
	a, err := app.New(acfg, app.Deps{
		Store:     store.New(table),
		Mailer:    ses.New(sesv2.NewFromConfig(cfg), ses.Config{From: "surveys@example.com", ConfigurationSet: "cxloop"}),
		Texter:    sms.New(pinpointsmsvoicev2.NewFromConfig(cfg), sms.Config{OriginationIdentity: "+15550100000", ConfigurationSet: "cxloop"}),
		Workflow:  &countedFlow{real: real, local: localflow.New(e.engine, machine), names: &e.executions},
		Queue:     queue,
		Clock:     e.clk,
		Signer:    signer,
		Logger:    log,
		Validator: validation.New(),
	})
	if err != nil {
		t.Fatal(err)
	}
	e.app = a
	for name, h := range looptask.Handlers(a) {
		handlers[name] = func(ctx context.Context, p json.RawMessage) (json.RawMessage, error) {
			e.inv[name]++
			return h(ctx, p)
		}
	}
	e.http = httpapi.New(a, httpapi.Config{APIKey: apiKey, Logger: log})
	e.send = lambdafn.SendSurveys(a, queue, log)
	e.sesEv = lambdafn.SESEvents(a, log)
	for _, name := range []string{"event-send.json", "event-delivery.json"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "aws", "ses", "sesevent", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		e.sesEvents = append(e.sesEvents, b)
	}
	t.Log(stack.Describe())
	return e
}

// countedFlow is the app's Workflow port: each call goes to the production
// Step Functions adapter (so it is counted, against the fake) and then to
// the local interpreter, which runs the execution.
type countedFlow struct {
	real  *sfn.Workflow
	local *localflow.Workflow
	names *[]string
}

func (f *countedFlow) Start(ctx context.Context, name string, input []byte) error {
	if err := f.real.Start(ctx, name, input); err != nil {
		return err
	}
	*f.names = append(*f.names, name)
	return f.local.Start(ctx, name, input)
}

func (f *countedFlow) SendTaskSuccess(ctx context.Context, tok string, output []byte) error {
	if err := f.real.SendTaskSuccess(ctx, tok, output); err != nil {
		return err
	}
	return f.local.SendTaskSuccess(ctx, tok, output)
}

func (f *countedFlow) SendTaskFailure(ctx context.Context, tok, code, cause string) error {
	if err := f.real.SendTaskFailure(ctx, tok, code, cause); err != nil {
		return err
	}
	return f.local.SendTaskFailure(ctx, tok, code, cause)
}

func (f *countedFlow) SendTaskHeartbeat(ctx context.Context, tok string) error {
	if err := f.real.SendTaskHeartbeat(ctx, tok); err != nil {
		return err
	}
	return f.local.SendTaskHeartbeat(ctx, tok)
}

// logMeter counts what the functions log, line by line.
type logMeter struct {
	mu           sync.Mutex
	bytes, lines int
}

func (m *logMeter) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.bytes += len(p)
	m.lines += bytes.Count(p, []byte("\n"))
	return len(p), nil
}

func (m *logMeter) take() (int, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, l := m.bytes, m.lines
	m.bytes, m.lines = 0, 0
	return b, l
}

// fixedWidth replaces the wall-clock parts of a log line with values of
// the same shape, so the byte count is the same on every run.
func fixedWidth(_ []string, a slog.Attr) slog.Attr {
	switch a.Key {
	case slog.TimeKey:
		return slog.String(slog.TimeKey, "2026-05-12T09:00:00.000000000Z")
	case "duration_ms":
		return slog.Float64("duration_ms", 12.345)
	}
	return a
}

// measure runs one lifecycle and returns what it used, less what the
// sweeps it ran would have cost anyway.
func (e *env) measure(key string, baseline cost.Counts, run func()) cost.Usage {
	e.t.Helper()
	e.api, e.inv, e.sweeps, e.queued, e.executions = 0, map[string]int{}, 0, 0, nil
	e.logs.take()
	before := e.counter.Snapshot()
	run()
	d := e.counter.Snapshot().Sub(before)
	for range e.sweeps {
		d = d.Sub(baseline)
	}
	logBytes, logLines := e.logs.take()
	u := cost.Usage{
		APIRequests: e.api,
		Invocations: e.inv,
		ReadUnits:   d.ReadUnits,
		WriteUnits:  d.WriteUnits,
		SQSRequests: d.SQSRequests + 2*e.queued,
		Emails:      d.Emails,
		// SES publishes a send and a delivery event per email to SNS.
		SNSPublishes: 2 * d.Emails,
		SMS:          d.Count("Pinpoint SMS Voice V2", "SendTextMessage"),
		AppLogBytes:  logBytes + logLines*cost.LogEventOverhead,
		Calls:        d.Calls,
		Executions:   len(e.executions),
		// The baseline sweeps write nothing, so d's partitions are the lifecycle's.
		IndexPartitionUnits: d.IndexPartitionUnits,
	}
	for _, name := range e.executions {
		x, err := e.engine.DescribeExecution(e.ctx, machine, name)
		if err != nil {
			e.t.Fatalf("lifecycle %s: execution %s: %v", key, name, err)
		}
		if x.Status != asl.StatusSucceeded {
			e.t.Fatalf("lifecycle %s: execution %s is %s, want it finished", key, name, x.Status)
		}
		u.Transitions += transitions(x)
	}
	e.t.Logf("lifecycle %s: %d API requests, Lambda %v, %g RRU, %g WRU (%d sweeps), calls %v", key, u.APIRequests, u.Invocations, u.ReadUnits, u.WriteUnits, e.sweeps, d.Calls)
	return u
}

// transitions is what Step Functions bills for an execution: every state
// entered, plus every retry of a Task.
func transitions(x *asl.Execution) int {
	entered := x.StatesEntered()
	tasks, scheduled := 0, 0
	for _, ev := range x.History {
		switch ev.Type {
		case "TaskStateEntered":
			tasks++
		case "TaskScheduled":
			scheduled++
		}
	}
	return len(entered) + max(0, scheduled-tasks)
}

// seed creates the owner, their manager and the account: set-up, not
// counted.
func (e *env) seed() {
	e.api1("PUT", "/v1/people/dana", `{"name":"Dana Whitfield","email":"dana@example.com","team":"Customer Success"}`, http.StatusCreated)
	e.api1("PUT", "/v1/people/maria", `{"name":"María García","email":"maria@example.com","manager_id":"dana","team":"Customer Success"}`, http.StatusCreated)
	e.api1("PUT", "/v1/accounts/acme", `{"name":"Acme Logistics","owner_id":"maria"}`, http.StatusCreated)
}

// emptySweep is what one sweep that finds nothing costs.
func (e *env) emptySweep() cost.Counts {
	before := e.counter.Snapshot()
	if _, err := e.app.Sweep(e.ctx); err != nil {
		e.t.Fatal(err)
	}
	return e.counter.Snapshot().Sub(before)
}

func (e *env) happy() {
	to := e.interaction("life-a", "cust-a", "a")
	link := e.scoreLink(to, 9)
	e.visit(to, link)
	e.form(to, pagePath(link), url.Values{"score": {"9"}, "comment": {"Quick and friendly, thank you"}})
	e.settle()
}

func (e *env) unhappy(late bool) {
	id := "life-b"
	if late {
		id = "life-c"
	}
	to := e.interaction(id, "cust-"+id, id)
	link := e.scoreLink(to, 3)
	e.visit(to, link)
	e.form(to, pagePath(link), url.Values{"score": {"3"}, "comment": {"It took four days to get an answer"}})
	if late {
		e.advance(49 * time.Hour)
	} else {
		e.advance(3 * time.Hour)
	}
	task := e.taskLink()
	e.visit(owner, task)
	e.form(owner, task, url.Values{
		"action": {"complete"}, "outcome": {"resolved"}, "root_cause": {"slow_response"},
		"notes":               {"Called her; the ticket sat in the wrong queue over the weekend."},
		"message_to_customer": {"Ana, I'm sorry it took four days. I moved your ticket myself and will keep an eye on your next ones."},
	})
	e.settle()
}

func (e *env) noAnswer() {
	e.interaction("life-d", "cust-d", "d")
	e.settle()
}

// interaction is the source's POST /v1/interactions for a new customer; it
// returns the customer's address once the survey email went out.
func (e *env) interaction(id, customer, tag string) string {
	to := customer + "@customer.example"
	body := fmt.Sprintf(`{"id":%q,"occurred_at":%q,"type":"support_ticket","channel":"email","survey":"nps","account_id":"acme",`+
		`"customer":{"id":%q,"name":"Ana Lopez","email":%q,"locale":"en-GB","timezone":"Europe/London"}}`,
		id, e.clk.Now().Add(-time.Hour).Format(time.RFC3339), customer, to)
	rec := e.request("POST", "/v1/interactions", "application/json", apiKey, body)
	if rec.Code != http.StatusAccepted || !strings.Contains(rec.Body.String(), `"scheduled"`) {
		e.t.Fatalf("lifecycle %s: POST /v1/interactions: %d %s", tag, rec.Code, rec.Body)
	}
	if len(e.mailsTo(to)) != 1 {
		e.t.Fatalf("lifecycle %s: %d emails to %s after the interaction, want the survey", tag, len(e.mailsTo(to)), to)
	}
	return to
}

var linkRE = regexp.MustCompile(regexp.QuoteMeta(baseURL) + `/[A-Za-z0-9._~%/?=&-]+`)

// scoreLink is the survey email's link for score n.
func (e *env) scoreLink(to string, n int) string {
	e.t.Helper()
	for _, l := range linkRE.FindAllString(e.mailsTo(to)[0].Text, -1) {
		if strings.Contains(l, "/s/") && strings.HasSuffix(l, fmt.Sprintf("?score=%d", n)) {
			return strings.TrimPrefix(l, baseURL)
		}
	}
	e.t.Fatalf("no score %d link in the survey email to %s:\n%s", n, to, e.mailsTo(to)[0].Text)
	return ""
}

// taskLink is the task page link in the newest email to the owner.
func (e *env) taskLink() string {
	e.t.Helper()
	ms := e.mailsTo(owner)
	for i := len(ms) - 1; i >= 0; i-- {
		for _, l := range linkRE.FindAllString(ms[i].Text, -1) {
			if strings.Contains(l, "/t/") {
				return strings.TrimPrefix(l, baseURL)
			}
		}
	}
	e.t.Fatalf("no task link in the %d emails to the owner", len(ms))
	return ""
}

func pagePath(link string) string {
	p, _, _ := strings.Cut(link, "?")
	return p
}

// visit opens a page as the person's browser does: the page, then its
// stylesheet and the site's favicon unless fetched in the last hour.
func (e *env) visit(who, path string) {
	e.t.Helper()
	if rec := e.request("GET", path, "", "", ""); rec.Code != http.StatusOK {
		e.t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
	}
	e.assets(who)
}

// form sends a page's form; the result page's assets are cached.
func (e *env) form(who, path string, v url.Values) {
	e.t.Helper()
	if rec := e.request("POST", path, "application/x-www-form-urlencoded", "", v.Encode()); rec.Code != http.StatusOK {
		e.t.Fatalf("POST %s: %d %s", path, rec.Code, rec.Body)
	}
	e.assets(who)
}

func (e *env) assets(who string) {
	now := e.clk.Now()
	if last, ok := e.browser[who]; ok && now.Sub(last) < time.Hour {
		return
	}
	e.browser[who] = now
	if rec := e.request("GET", "/assets/cxloop.css", "", "", ""); rec.Code != http.StatusOK {
		e.t.Fatalf("GET /assets/cxloop.css: %d", rec.Code)
	}
	e.request("GET", "/favicon.ico", "", "", "") // a 404, still a request
}

// request is one HTTP request through API Gateway to the api function.
func (e *env) request(method, target, contentType, key, body string) *httptest.ResponseRecorder {
	e.t.Helper()
	e.api++
	e.inv["api"]++
	req := httptest.NewRequestWithContext(e.ctx, method, baseURL+target, strings.NewReader(body))
	req.RemoteAddr = "203.0.113.25:50000"
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	rec := httptest.NewRecorder()
	e.http.ServeHTTP(rec, req)
	e.pump()
	return rec
}

// api1 is a set-up request, not counted with any lifecycle.
func (e *env) api1(method, path, body string, want int) {
	e.t.Helper()
	if rec := e.request(method, path, "application/json", apiKey, body); rec.Code != want {
		e.t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
	}
}

// pump plays the event sources: each message the SQS adapter sent goes to
// the send-survey function (as the event source mapping delivers it) and
// each email sent produces a send and a delivery event for the ses-events
// function,
// until nothing new happens.
func (e *env) pump() {
	e.t.Helper()
	for {
		sent := e.stack.Fake.CallsTo(awsfake.SQS, "SendMessage")
		mails := e.stack.Fake.CallsTo(awsfake.SESv2, "SendEmail")
		if e.seenSQS == len(sent) && e.seenMail == len(mails) {
			return
		}
		for _, c := range sent[e.seenSQS:] {
			var in struct{ MessageBody string }
			if err := c.Decode(&in); err != nil {
				e.t.Fatal(err)
			}
			e.seenSQS++
			e.queued++
			e.inv["send-survey"]++
			res, err := e.send(e.ctx, events.SQSEvent{Records: []events.SQSMessage{{
				MessageId: fmt.Sprintf("msg-%d", e.seenSQS), Body: in.MessageBody,
				Attributes: map[string]string{"ApproximateReceiveCount": "1"},
			}}})
			if err != nil || len(res.BatchItemFailures) > 0 {
				e.t.Fatalf("send-survey: %v %v", err, res.BatchItemFailures)
			}
		}
		for _, c := range mails[e.seenMail:] {
			var in struct {
				Destination struct{ ToAddresses []string }
				Content     struct {
					Simple struct {
						Subject struct{ Data string }
						Body    struct{ Text struct{ Data string } }
					}
				}
			}
			if err := c.Decode(&in); err != nil {
				e.t.Fatal(err)
			}
			e.seenMail++
			e.mails = append(e.mails, mail{To: in.Destination.ToAddresses[0], Subject: in.Content.Simple.Subject.Data, Text: in.Content.Simple.Body.Text.Data})
			for i, ev := range e.sesEvents {
				e.inv["ses-events"]++
				if err := e.sesEv(e.ctx, events.SNSEvent{Records: []events.SNSEventRecord{{SNS: events.SNSEntity{
					MessageID: fmt.Sprintf("sns-%d-%d", e.seenMail, i), Message: string(ev),
				}}}}); err != nil {
					e.t.Fatalf("ses-events: %v", err)
				}
			}
		}
	}
}

func (e *env) mailsTo(to string) []mail {
	var out []mail
	for _, m := range e.mails {
		if m.To == to {
			out = append(out, m)
		}
	}
	return out
}

// advance moves the clock forward, stopping at each workflow deadline
// (the interpreter's timers) and sweeping there, as time would.
func (e *env) advance(d time.Duration) {
	e.t.Helper()
	target := e.clk.Now().Add(d)
	for {
		next, ok := e.engine.NextWakeup()
		if !ok || next.After(target) {
			break
		}
		e.clk.Set(next)
		e.tick()
	}
	e.clk.Set(target)
	e.tick()
}

func (e *env) tick() {
	e.t.Helper()
	if err := e.engine.Tick(e.ctx); err != nil {
		e.t.Fatal(err)
	}
	e.pump()
	e.sweeps++
	res, err := e.app.Sweep(e.ctx)
	if err != nil || res.Failed > 0 {
		e.t.Fatalf("sweep: %+v %v", res, err)
	}
	e.pump()
}

// settle lets the survey run out: the click-settling window, the reminder
// time and the expiry, sweeping at each.
func (e *env) settle() {
	e.advance(11 * time.Minute)
	e.advance(72 * time.Hour)
	e.advance(11*24*time.Hour + time.Hour)
}

var _ io.Writer = (*logMeter)(nil)
