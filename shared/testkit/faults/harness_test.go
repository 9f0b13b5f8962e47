package faults_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/core/store"
	"github.com/cxloop/cxloop/shared/domain/loop"
	"github.com/cxloop/cxloop/shared/domain/survey"
	"github.com/cxloop/cxloop/shared/local/asl"
	"github.com/cxloop/cxloop/shared/local/devserver"
	"github.com/cxloop/cxloop/shared/local/outbox"
	"github.com/cxloop/cxloop/shared/testkit/faults"
)

const (
	apiKey       = "cxl_faults_0123456789abcdef"
	anaEmail     = "ana@acme.example"
	kaiPhone     = "+14155550123"
	ownerEmail   = "maria@example.com"
	managerEmail = "dana@example.com"
	samEmail     = "sam@example.com"
	emailNote    = "Ana, we sped up your orders. Sorry for the wait."
	smsNote      = "Kai, the courier is fixed. Sorry."
	emailID      = "f-email"
	smsID        = "f-sms"
	inboundID    = "in-f-1"
)

// env is one running `cxloop dev` over a data dir, driven through HTTP.
type env struct {
	t      testing.TB
	dir    string
	srv    *devserver.Server
	url    string
	client *http.Client
	closed bool
}

// wiring says which fault wrappers a dev server gets.
type wiring struct {
	plan *faults.Plan // ports and table (outbox and executions skipped)
	kill *faults.Plan // the whole table, outbox and executions included
	// background does sends and loop runs after each request, as
	// `cxloop dev` does by default.
	background bool
}

func start(t testing.TB, dir string, w wiring) *env {
	t.Helper()
	opts := devserver.Options{
		Addr: "127.0.0.1:0", DataDir: dir, APIKey: apiKey, Config: app.DefaultConfig(),
		Logger: slog.New(slog.DiscardHandler), Tick: time.Hour, Background: w.background,
	}
	if w.plan != nil {
		opts.Wrap = func(d app.Deps) app.Deps { return faults.Deps(d, w.plan) }
	}
	if w.plan != nil || w.kill != nil {
		opts.WrapTable = func(tb store.Table) store.Table {
			if w.kill != nil {
				tb = faults.Table(tb, w.kill)
			}
			if w.plan != nil {
				tb = faults.Table(tb, w.plan, faults.LocalPrefixes...)
			}
			return tb
		}
	}
	srv, err := devserver.Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("start dev server: %v", err)
	}
	e := &env{t: t, dir: dir, srv: srv, url: srv.URL, client: &http.Client{
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	t.Cleanup(e.close)
	return e
}

func (e *env) close() {
	if e.closed {
		return
	}
	e.closed = true
	e.client.CloseIdleConnections()
	if err := e.srv.Close(); err != nil {
		e.t.Errorf("close dev server: %v", err)
	}
}

type reply struct {
	Status int
	Body   []byte
}

func (r reply) String() string { return fmt.Sprintf("%d %s", r.Status, bytes.TrimSpace(r.Body)) }

// errDown is what a step returns when the server kept failing: the client
// gives up, as a real one would after its retries.
var errDown = errors.New("server keeps failing")

// Retries is how often a client repeats a request that got a 5xx, the way
// an SDK, a browser's user or an event source would.
const retries = 4

// send sends one request, repeating it on a 5xx; the reply is the last one.
func (e *env) send(method, path, ctype string, auth bool, body []byte) (reply, error) {
	var r reply
	for range retries {
		req, err := http.NewRequest(method, e.url+path, bytes.NewReader(body))
		if err != nil {
			return reply{}, err
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		if auth {
			req.Header.Set("Authorization", "Bearer "+apiKey)
		}
		resp, err := e.client.Do(req)
		if err != nil {
			return reply{}, fmt.Errorf("%s %s: %w", method, path, err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return reply{}, err
		}
		r = reply{Status: resp.StatusCode, Body: b}
		if r.Status < 500 {
			return r, nil
		}
	}
	return r, fmt.Errorf("%s %s: %s: %w", method, path, r, errDown)
}

func (e *env) api(method, path string, v any) (reply, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return reply{}, err
	}
	return e.send(method, path, "application/json", true, b)
}

// expect turns an unexpected status into an error.
func expect(r reply, err error, what string, ok ...int) (reply, error) {
	if err != nil {
		return r, err
	}
	if !slices.Contains(ok, r.Status) {
		return r, fmt.Errorf("%s: got %s, want %v", what, r, ok)
	}
	return r, nil
}

func (e *env) advance(by string) error {
	r, err := e.send(http.MethodPost, "/dev/clock", "application/json", false, []byte(`{"advance":"`+by+`"}`))
	_, err = expect(r, err, "advance "+by, http.StatusOK)
	return err
}

// outbox reads what was sent, below the fault wrappers' reach.
func (e *env) outbox() []outbox.Message {
	e.t.Helper()
	list, err := e.srv.Outbox.List(context.Background())
	if err != nil {
		e.t.Fatalf("outbox: %v", err)
	}
	return list
}

func sent(list []outbox.Message, keep func(outbox.Message) bool) []outbox.Message {
	var out []outbox.Message
	for _, m := range list {
		if keep(m) {
			out = append(out, m)
		}
	}
	return out
}

func to(addr, purpose string) func(outbox.Message) bool {
	return func(m outbox.Message) bool { return m.To == addr && m.Tags["purpose"] == purpose }
}

func containing(addr, text string) func(outbox.Message) bool {
	return func(m outbox.Message) bool { return m.To == addr && strings.Contains(m.BodyText, text) }
}

// zoneAt is an IANA zone where t is about localHour o'clock, so the SMS
// survey is not held back by quiet hours whatever time the test runs.
func zoneAt(t time.Time, localHour int) string {
	off := (localHour - t.UTC().Hour() + 24) % 24
	if off > 12 {
		off -= 24
	}
	switch {
	case off > 0:
		return fmt.Sprintf("Etc/GMT-%d", off)
	case off < 0:
		return fmt.Sprintf("Etc/GMT+%d", -off)
	}
	return "UTC"
}

func emailInteraction() map[string]any {
	return map[string]any{
		"id": emailID, "occurred_at": "2026-05-12T09:00:00Z", "type": "support_ticket",
		"channel": "email", "survey": "nps", "account_id": "acme",
		"customer": map[string]any{"id": "cust-ana", "name": "Ana Lopez", "email": anaEmail, "locale": "en-GB", "timezone": "Europe/London"},
	}
}

func smsInteraction(tz string) map[string]any {
	return map[string]any{
		"id": smsID, "occurred_at": "2026-05-12T09:00:00Z", "type": "delivery",
		"channel": "sms", "survey": "nps", "account_id": "acme",
		"customer": map[string]any{"id": "cust-kai", "name": "Kai Schmidt", "phone": kaiPhone, "locale": "en-US", "timezone": tz},
	}
}

func taskOf(interactionID string) string {
	return app.TaskID(app.ResponseID(app.SurveyID(interactionID)))
}

// step is one thing the client does; a step is replayed whole after a
// restart, so each is safe to repeat.
type step struct {
	name string
	do   func(e *env) error
}

// scenario is the whole flow: directory, an email and an SMS interaction,
// both answered unhappy, the text's follow-up handed to another owner, the
// SLA passing (both escalated), both follow-ups completed with a note to
// the customer (the email's with a recovery check), time for the sweeper
// to clean up, and the recovery check going out three days later.
func scenario() []step {
	var tz string
	return []step{
		{"seed", func(e *env) error {
			for _, p := range []struct {
				path string
				body map[string]any
			}{
				{"/v1/people/dana", map[string]any{"name": "Dana Whitfield", "email": managerEmail, "team": "Customer Success"}},
				{"/v1/people/maria", map[string]any{"name": "María García", "email": ownerEmail, "manager_id": "dana", "team": "Customer Success"}},
				{"/v1/people/sam", map[string]any{"name": "Sam Okafor", "email": samEmail, "manager_id": "dana", "team": "Customer Success"}},
				{"/v1/accounts/acme", map[string]any{"name": "Acme Logistics", "owner_id": "maria"}},
			} {
				r, err := e.api(http.MethodPut, p.path, p.body)
				if _, err := expect(r, err, "PUT "+p.path, http.StatusOK, http.StatusCreated); err != nil {
					return err
				}
			}
			return nil
		}},
		{"email interaction", func(e *env) error {
			r, err := e.api(http.MethodPost, "/v1/interactions", emailInteraction())
			_, err = expect(r, err, "POST email interaction", http.StatusAccepted, http.StatusOK)
			return err
		}},
		{"sms interaction", func(e *env) error {
			if tz == "" {
				tz = zoneAt(e.srv.Clock.Now(), 12)
			}
			r, err := e.api(http.MethodPost, "/v1/interactions", smsInteraction(tz))
			_, err = expect(r, err, "POST sms interaction", http.StatusAccepted, http.StatusOK)
			return err
		}},
		{"answer the email 3", func(e *env) error {
			m, err := e.await(to(anaEmail, "survey"))
			if err != nil {
				return err
			}
			// The link's path: a restarted server may listen on another port.
			u, err := url.Parse(m.Links[3])
			if err != nil {
				return err
			}
			form := url.Values{"score": {"3"}, "comment": {"nobody called back"}}
			r, err := e.send(http.MethodPost, u.Path, "application/x-www-form-urlencoded", false, []byte(form.Encode()))
			_, err = expect(r, err, "POST the survey form", http.StatusOK)
			return err
		}},
		{"answer the text 2", func(e *env) error {
			if _, err := e.await(to(kaiPhone, "survey")); err != nil {
				return err
			}
			r, err := e.api(http.MethodPost, "/dev/sms", map[string]string{"from": kaiPhone, "body": "2 too slow", "message_id": inboundID})
			if r, err = expect(r, err, "POST /dev/sms", http.StatusOK); err != nil {
				return err
			}
			// A text that answered nothing is an answer lost.
			var out struct {
				Action string `json:"action"`
			}
			if err := json.Unmarshal(r.Body, &out); err != nil || (out.Action != "answered" && out.Action != "duplicate") {
				return fmt.Errorf("POST /dev/sms: %s: the answer was not taken", r)
			}
			return nil
		}},
		{"reassign the text's follow-up", func(e *env) error {
			// María hands it on once she has it, as a person would.
			if _, err := e.await(func(m outbox.Message) bool {
				return m.To == ownerEmail && m.Tags["task_id"] == taskOf(smsID) && m.Tags["purpose"] == "task"
			}); err != nil {
				return err
			}
			return e.reassign(taskOf(smsID), "sam")
		}},
		{"pass the SLA", func(e *env) error { return e.advance("49h") }},
		{"complete the follow-ups", func(e *env) error {
			for _, c := range []struct {
				id, note string
				recovery bool
			}{{emailID, emailNote, true}, {smsID, smsNote, false}} {
				if err := e.complete(taskOf(c.id), c.note, c.recovery); err != nil {
					return err
				}
			}
			return nil
		}},
		{"recover", settle},
		{"recovery check", func(e *env) error { return e.advance("73h") }},
	}
}

// settle gives the sweeper and the workflows' retries a quarter of an
// hour to finish what is left.
func settle(e *env) error {
	for range 3 {
		if err := e.advance("5m"); err != nil {
			return err
		}
	}
	return nil
}

// reassign hands a follow-up to another owner through the API, unless an
// earlier try already did (the step is replayed after a restart).
func (e *env) reassign(taskID, to string) error {
	for i := 0; ; i++ {
		r, err := e.send(http.MethodGet, "/v1/tasks/"+taskID, "", true, nil)
		if err != nil {
			return err
		}
		if r.Status == http.StatusOK {
			var tk struct {
				Owner struct {
					ID string `json:"id"`
				} `json:"owner"`
			}
			if err := json.Unmarshal(r.Body, &tk); err != nil {
				return err
			}
			if tk.Owner.ID == to {
				return nil
			}
			r, err = e.api(http.MethodPost, "/v1/tasks/"+taskID+"/reassign", map[string]any{"owner_id": to, "reason": "Sam knows the courier"})
			if err == nil && r.Status == http.StatusBadRequest && strings.Contains(string(r.Body), "already owns") {
				return nil // a retry of a reassignment that took effect
			}
			_, err = expect(r, err, "reassign "+taskID, http.StatusOK)
			return err
		}
		if r.Status != http.StatusNotFound || i == 3 {
			return fmt.Errorf("reassign %s: %s", taskID, r)
		}
		// The loop the sweeper has still to start.
		if err := e.advance("5m"); err != nil {
			return err
		}
	}
}

// await waits for a message the way a person does: if it has not come
// yet, time passes (and the sweeper runs) before they look again.
func (e *env) await(keep func(outbox.Message) bool) (outbox.Message, error) {
	for i := 0; ; i++ {
		list, err := e.srv.Outbox.List(context.Background())
		if err != nil {
			return outbox.Message{}, fmt.Errorf("outbox: %v: %w", err, errDown)
		}
		if got := sent(list, keep); len(got) > 0 {
			return got[len(got)-1], nil
		}
		if i == 3 {
			return outbox.Message{}, fmt.Errorf("no such message after 15 minutes")
		}
		if err := e.advance("5m"); err != nil {
			return outbox.Message{}, err
		}
	}
}

// complete closes a follow-up through the API, waiting a little for a
// loop that the sweeper has still to start.
func (e *env) complete(taskID, note string, recovery bool) error {
	body := map[string]any{"outcome": "resolved", "root_cause": "slow_response", "notes": "called them", "message_to_customer": note, "recovery_check": recovery}
	for i := 0; ; i++ {
		r, err := e.api(http.MethodPost, "/v1/tasks/"+taskID+"/complete", body)
		if err != nil {
			return err
		}
		if r.Status == http.StatusOK {
			return nil
		}
		if r.Status != http.StatusNotFound || i == 3 {
			return fmt.Errorf("complete %s: %s", taskID, r)
		}
		if err := e.advance("5m"); err != nil {
			return err
		}
	}
}

// run runs the steps in order and returns the index of the step that
// failed (len(steps) when all succeeded) with its error.
func run(e *env, steps []step, from int) (int, error) {
	for i := from; i < len(steps); i++ {
		if err := steps[i].do(e); err != nil {
			return i, fmt.Errorf("step %q: %w", steps[i].name, err)
		}
	}
	return len(steps), nil
}

// allowance loosens the invariants where the fault's own nature makes a
// message go missing or go twice; each is documented at its use.
type allowance struct {
	dupSurvey map[string]bool // survey id → one duplicate allowed
	dupNote   map[string]bool // task id → the note may go twice
	dupReply  bool            // the SMS thank-you may go twice
	lostStaff bool            // a task or escalation email may be missing
	dupStaff  bool            // a task or escalation email may go twice
	// skipEscalation: the client may complete before the loop saw the SLA
	// pass (after a restart, the completion can come first).
	skipEscalation bool
	// closedBeforeNotice: with the loop running in the background, a
	// client that completes the follow-up right after the restart may do
	// so before the loop told the owner, who then needs no task email.
	closedBeforeNotice bool
	failedLoops        bool
}

// checkInvariants asserts the promises that must survive any one fault.
func checkInvariants(t testing.TB, e *env, allow allowance) {
	t.Helper()
	ctx := context.Background()
	settle, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := e.srv.Settle(settle); err != nil {
		t.Fatalf("background work not done: %v", err)
	}
	st := e.srv.App.Store()
	box := e.outbox()
	for _, c := range []struct {
		interaction, to, channel, note string
		score                          int
		comment                        string
		holders                        []string // who held the follow-up, in order
		recovery                       bool
	}{
		{emailID, anaEmail, "email", emailNote, 3, "nobody called back", []string{"maria"}, true},
		{smsID, kaiPhone, "sms", smsNote, 2, "too slow", []string{"maria", "sam"}, false},
	} {
		svID := app.SurveyID(c.interaction)
		sv, err := st.Surveys.Get(ctx, svID)
		if err != nil {
			t.Errorf("%s: survey %s: %v", c.interaction, svID, err)
			continue
		}
		if sv.Status != survey.Answered {
			t.Errorf("%s: survey status %q, want answered", c.interaction, sv.Status)
		}
		surveys := sent(box, func(m outbox.Message) bool { return m.Tags["survey_id"] == svID && m.Tags["purpose"] == "survey" })
		switch {
		case len(surveys) == 2 && allow.dupSurvey[svID]:
			t.Logf("%s: survey sent twice, allowed: the fault was an ambiguous send (at-least-once)", c.interaction)
		case len(surveys) != 1:
			t.Errorf("%s: survey sent %d times, want once", c.interaction, len(surveys))
		}
		if n := len(sent(box, func(m outbox.Message) bool { return m.Tags["survey_id"] == svID && m.Tags["purpose"] == "reminder" })); n != 0 {
			t.Errorf("%s: %d reminders, want none within 3 days", c.interaction, n)
		}
		r, err := st.Responses.Get(ctx, app.ResponseID(svID))
		if err != nil {
			t.Errorf("%s: response: %v", c.interaction, err)
			continue
		}
		if r.Score != c.score || r.Comment != c.comment || !r.Unhappy || !r.LoopStarted {
			t.Errorf("%s: response = score %d %q unhappy %v loop started %v, want %d %q unhappy with its loop",
				c.interaction, r.Score, r.Comment, r.Unhappy, r.LoopStarted, c.score, c.comment)
		}
		taskID := taskOf(c.interaction)
		tk, err := st.Tasks.Get(ctx, taskID)
		if err != nil {
			t.Errorf("%s: task: %v", c.interaction, err)
			continue
		}
		if tk.Status != loop.Done || tk.MessageToCustomer != c.note || tk.NoteSentAt.IsZero() || tk.Note.Problem != "" {
			t.Errorf("%s: task status %q note %q sent %v problem %q failure %q, want done with the note sent", c.interaction, tk.Status, tk.MessageToCustomer, tk.NoteSentAt, tk.Note.Problem, tk.Failure)
		}
		var holders []string
		for _, h := range tk.Owners {
			holders = append(holders, h.OwnerID)
		}
		if !slices.Equal(holders, c.holders) {
			t.Errorf("%s: holders %v, want %v", c.interaction, holders, c.holders)
		}
		recoveries := sent(box, func(m outbox.Message) bool {
			return m.Tags["survey_id"] == app.RecoverySurveyID(taskID) && m.Tags["purpose"] == "survey"
		})
		switch {
		case !c.recovery && len(recoveries) != 0:
			t.Errorf("%s: %d recovery checks, want none", c.interaction, len(recoveries))
		case c.recovery && len(recoveries) == 2 && allow.dupSurvey[app.RecoverySurveyID(taskID)]:
			t.Logf("%s: recovery check sent twice, allowed: the fault hit between its hand-over and its mark", c.interaction)
		case c.recovery && len(recoveries) != 1:
			t.Errorf("%s: %d recovery checks, want one", c.interaction, len(recoveries))
		}
		if tk.Level < 1 && !allow.skipEscalation {
			t.Errorf("%s: task escalation level %d, want ≥ 1 after the SLA", c.interaction, tk.Level)
		}
		notes := sent(box, containing(c.to, c.note))
		switch {
		case len(notes) == 2 && allow.dupNote[taskID]:
			t.Logf("%s: note sent twice, allowed: the fault hit between its hand-over and its mark (at-least-once)", c.interaction)
		case len(notes) != 1:
			t.Errorf("%s: note to the customer sent %d times, want once", c.interaction, len(notes))
		}
		for _, purpose := range []string{"task", "escalation"} {
			// Each holder gets the task email once; one escalation.
			want := 1
			if purpose == "task" {
				want = len(c.holders)
			}
			staff := sent(box, func(m outbox.Message) bool { return m.Tags["task_id"] == taskID && m.Tags["purpose"] == purpose })
			skipped := (purpose == "escalation" && allow.skipEscalation) ||
				(purpose == "task" && allow.closedBeforeNotice && tk.NotifiedOwner == "")
			if (len(staff) > want && !allow.dupStaff) || len(staff) > 2*want || (len(staff) < want && !allow.lostStaff && !skipped) {
				t.Errorf("%s: %d %s emails, want %d", c.interaction, len(staff), purpose, want)
			}
		}
	}
	replies := sent(box, to(kaiPhone, "reply"))
	if len(replies) == 0 || (len(replies) > 1 && !allow.dupReply) || len(replies) > 2 {
		t.Errorf("%d SMS replies, want one thank-you", len(replies))
	}
	// Nothing is stuck: nothing waits for the sweeper, no customer has an
	// open follow-up left, no survey is mid-send, every loop has finished.
	if due, err := st.DueBy(ctx, e.srv.Clock.Now(), 100); err != nil || len(due) != 0 {
		t.Errorf("due after recovery: %+v, %v; want nothing", due, err)
	}
	for _, id := range []string{"cust-ana", "cust-kai"} {
		if c, err := st.Customers.Get(ctx, id); err != nil || len(c.OpenTasks) != 0 {
			t.Errorf("customer %s: open tasks %v (%v), want none: they would never be asked again", id, c.OpenTasks, err)
		}
	}
	execs, err := e.srv.Engine.ListExecutions(ctx, devserver.Machine, "")
	if err != nil {
		t.Fatalf("list executions: %v", err)
	}
	if len(execs) != 2 {
		t.Errorf("%d executions, want one per unhappy answer (2)", len(execs))
	}
	for _, x := range execs {
		switch {
		case x.Status == asl.StatusSucceeded:
		case x.Status == asl.StatusFailed && allow.failedLoops:
		default:
			t.Errorf("execution %s is %s (%s: %s), want SUCCEEDED", x.Name, x.Status, x.Error, x.Cause)
		}
	}
	if n := len(e.tasks("done")); n != 2 {
		t.Errorf("%d done tasks, want 2", n)
	}
	for _, s := range []string{"open", "failed"} {
		if n := len(e.tasks(s)); n != 0 {
			t.Errorf("%d %s tasks, want none", n, s)
		}
	}
}

func (e *env) tasks(status string) []json.RawMessage {
	e.t.Helper()
	r, err := e.send(http.MethodGet, "/v1/tasks?status="+status, "", true, nil)
	if r, err = expect(r, err, "GET tasks", http.StatusOK); err != nil {
		e.t.Fatalf("GET tasks: %v", err)
	}
	var v struct {
		Tasks []json.RawMessage `json:"tasks"`
	}
	if err := json.Unmarshal(r.Body, &v); err != nil {
		e.t.Fatalf("GET tasks: %v", err)
	}
	return v.Tasks
}
