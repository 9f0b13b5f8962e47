package faults_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cxloop/cxloop/shared/aws/lambdafn"
	"github.com/cxloop/cxloop/shared/aws/sqs/sendmsg"
	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/local/outbox"
	"github.com/cxloop/cxloop/shared/testkit/faults"
)

// Every delivery can happen twice; nothing is sent, stored or counted twice.

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// must runs a step of the scenario and fails the test if it fails.
func must(t *testing.T, e *env, name string) {
	t.Helper()
	for _, s := range scenario() {
		if s.name == name {
			if err := s.do(e); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			return
		}
	}
	t.Fatalf("no step %q", name)
}

func count(t *testing.T, e *env, keep func(outbox.Message) bool) int {
	t.Helper()
	return len(sent(e.outbox(), keep))
}

func surveysOf(interactionID string) func(outbox.Message) bool {
	id := app.SurveyID(interactionID)
	return func(m outbox.Message) bool { return m.Tags["survey_id"] == id && m.Tags["purpose"] == "survey" }
}

// noLater fails the test if a survey is put back on the queue: nothing
// here throttles.
type noLater struct{ t *testing.T }

func (l noLater) EnqueueSendAfter(_ context.Context, m sendmsg.Message, _ time.Duration) error {
	l.t.Errorf("survey %s put back on the queue", m.SurveyID)
	return nil
}

// SQS redelivers a send message, and a batch can hold the same survey
// twice: one email.
func TestDuplicateSQSSendIsOneEmail(t *testing.T) {
	t.Parallel()
	// The queue "loses" the ingest's own hand-off, so the survey waits
	// for the SQS batches below, as it would in AWS.
	plan := faults.NewPlan(faults.Rule{Port: faults.QueuePort, Call: 1, Kind: faults.Fail})
	e := start(t, t.TempDir(), wiring{plan: plan})
	must(t, e, "seed")
	must(t, e, "email interaction")
	if n := count(t, e, surveysOf(emailID)); n != 0 {
		t.Fatalf("survey sent before the queue delivered it: %d", n)
	}
	body := `{"survey_id":"` + app.SurveyID(emailID) + `"}`
	send := lambdafn.SendSurveys(e.srv.App, noLater{t}, quiet)
	batch := events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m1", Body: body}, {MessageId: "m2", Body: body}}}
	for range 2 { // the same batch, then its redelivery
		res, err := send(context.Background(), batch)
		if err != nil || len(res.BatchItemFailures) != 0 {
			t.Fatalf("send batch: %+v, %v", res, err)
		}
	}
	// Concurrent redeliveries to two consumers.
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := send(context.Background(), batch); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := count(t, e, surveysOf(emailID)); n != 1 {
		t.Errorf("survey emails = %d, want 1", n)
	}
}

// snsEvent wraps a message the way SNS delivers it to Lambda.
func snsEvent(id string, msg any) events.SNSEvent {
	b, _ := json.Marshal(msg)
	var r events.SNSEventRecord
	r.EventSource = "aws:sns"
	r.SNS.MessageID = id
	r.SNS.Type = "Notification"
	r.SNS.Message = string(b)
	return events.SNSEvent{Records: []events.SNSEventRecord{r}}
}

// SNS delivers an inbound text twice (and a retried Lambda runs it
// again): one stored answer, one reply, one loop.
func TestDuplicateInboundSMSIsOneAnswer(t *testing.T) {
	t.Parallel()
	e := start(t, t.TempDir(), wiring{})
	must(t, e, "seed")
	must(t, e, "sms interaction")
	ev := snsEvent("sns-1", map[string]string{
		"originationNumber": kaiPhone, "destinationNumber": "+14155550999", "messageKeyword": "KEYWORD",
		"messageBody": "2 too slow", "inboundMessageId": "inbound-dup-1",
	})
	ev.Records = append(ev.Records, ev.Records[0]) // the same record twice in one batch
	h := lambdafn.InboundSMS(e.srv.App, quiet)
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if err := h(context.Background(), ev); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if err := h(context.Background(), ev); err != nil { // a late redelivery
		t.Fatal(err)
	}
	if n := count(t, e, to(kaiPhone, "reply")); n != 1 {
		t.Errorf("replies = %d, want 1", n)
	}
	st := e.srv.App.Store()
	r, err := st.Responses.Get(context.Background(), app.ResponseID(app.SurveyID(smsID)))
	if err != nil || r.Score != 2 || r.Comment != "too slow" {
		t.Errorf("response = %+v, %v; want 2 too slow", r, err)
	}
	list, err := st.ResponsesBetween(context.Background(), e.srv.Clock.Now().Add(-time.Hour), e.srv.Clock.Now().Add(time.Hour))
	if err != nil || len(list) != 1 {
		t.Errorf("responses = %d (%v), want 1", len(list), err)
	}
	if n := len(e.tasks("open")); n != 1 {
		t.Errorf("open tasks = %d, want 1", n)
	}
	if n := count(t, e, to(ownerEmail, "task")); n != 1 {
		t.Errorf("task emails = %d, want 1", n)
	}
}

// SES reports a bounce through SNS twice: one suppression, one notice to
// the owner that the contact needs fixing.
func TestDuplicateSESBounceIsOneSuppression(t *testing.T) {
	t.Parallel()
	e := start(t, t.TempDir(), wiring{})
	must(t, e, "seed")
	must(t, e, "email interaction")
	msg := map[string]any{
		"eventType": "Bounce",
		"bounce": map[string]any{"bounceType": "Permanent", "bounceSubType": "General",
			"bouncedRecipients": []map[string]string{{"emailAddress": anaEmail}}, "timestamp": "2026-11-23T10:01:02.669Z"},
		"mail": map[string]any{"messageId": "ses-1", "destination": []string{anaEmail},
			"tags": map[string][]string{"survey_id": {app.SurveyID(emailID)}, "purpose": {"survey"}}},
	}
	h := lambdafn.SESEvents(e.srv.App, quiet)
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if err := h(context.Background(), snsEvent("sns-b", msg)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if err := h(context.Background(), snsEvent("sns-b", msg)); err != nil {
		t.Fatal(err)
	}
	if ok, err := e.srv.App.Store().Suppressed(context.Background(), anaEmail); err != nil || !ok {
		t.Errorf("suppressed = %v, %v; want the address suppressed", ok, err)
	}
	if n := count(t, e, to(ownerEmail, "contact_fix")); n != 1 {
		t.Errorf("owner notices = %d, want 1", n)
	}
}

// A person double-clicks a score link (or a scanner and the person both
// open it) and the form is posted twice (a replayed POST, a double
// submit): one response, one loop.
func TestDoubleClickAndReplayedFormIsOneResponse(t *testing.T) {
	t.Parallel()
	e := start(t, t.TempDir(), wiring{})
	must(t, e, "seed")
	must(t, e, "email interaction")
	m, err := e.await(to(anaEmail, "survey"))
	if err != nil {
		t.Fatal(err)
	}
	link := strings.TrimPrefix(m.Links[3], e.url)
	for range 2 {
		if r, err := e.send(http.MethodGet, link, "", false, nil); err != nil || r.Status != http.StatusOK {
			t.Fatalf("open score link: %v %v", r, err)
		}
	}
	page, _, _ := strings.Cut(link, "?")
	form := []byte(url.Values{"score": {"3"}, "comment": {"nobody called back"}}.Encode())
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			r, err := e.send(http.MethodPost, page, "application/x-www-form-urlencoded", false, form)
			if err != nil || r.Status != http.StatusOK {
				t.Errorf("post form: %v %v", r, err)
			}
		})
	}
	wg.Wait()
	if err := e.advance("15m"); err != nil { // the lone click would settle now, if it counted twice
		t.Fatal(err)
	}
	list, err := e.srv.App.Store().ResponsesBetween(context.Background(), e.srv.Clock.Now().Add(-time.Hour), e.srv.Clock.Now().Add(time.Hour))
	if err != nil || len(list) != 1 || list[0].Score != 3 || list[0].Comment != "nobody called back" {
		t.Errorf("responses = %+v (%v), want one: 3 nobody called back", list, err)
	}
	if n := len(e.tasks("open")); n != 1 {
		t.Errorf("open tasks = %d, want 1", n)
	}
	execs, err := e.srv.Engine.ListExecutions(context.Background(), "closed-loop", "")
	if err != nil || len(execs) != 1 {
		t.Errorf("executions = %d (%v), want 1", len(execs), err)
	}
}

// The owner completes the same follow-up twice, concurrently, by the API
// and by the task page: one note to the customer, one closed loop in the
// report.
func TestCompletingTwiceIsOneNote(t *testing.T) {
	t.Parallel()
	e := start(t, t.TempDir(), wiring{})
	for _, s := range []string{"seed", "email interaction", "answer the email 3"} {
		must(t, e, s)
	}
	taskLink := ""
	for _, m := range e.outbox() {
		for _, l := range m.Links {
			if strings.Contains(l, "/t/") {
				taskLink = strings.TrimPrefix(l, e.url)
			}
		}
	}
	if taskLink == "" {
		t.Fatal("no task email with a link")
	}
	id := taskOf(emailID)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if err := e.complete(id, emailNote, false); err != nil {
				t.Error(err)
			}
		})
		wg.Go(func() {
			form := url.Values{"action": {"complete"}, "outcome": {"resolved"}, "root_cause": {"slow_response"},
				"notes": {"called her"}, "message_to_customer": {emailNote}}
			r, err := e.send(http.MethodPost, taskLink, "application/x-www-form-urlencoded", false, []byte(form.Encode()))
			if err != nil || r.Status != http.StatusOK {
				t.Errorf("complete on the task page: %v %v", r, err)
			}
		})
	}
	wg.Wait()
	if err := e.complete(id, emailNote, false); err != nil { // and once more, later
		t.Fatal(err)
	}
	if err := e.advance("5m"); err != nil {
		t.Fatal(err)
	}
	if n := count(t, e, containing(anaEmail, emailNote)); n != 1 {
		t.Errorf("notes to the customer = %d, want 1", n)
	}
	now := e.srv.Clock.Now()
	q := url.Values{"from": {now.Add(-24 * time.Hour).Format(time.RFC3339)}, "to": {now.Add(time.Hour).Format(time.RFC3339)}}
	r, err := e.send(http.MethodGet, "/v1/reports/closed-loop?"+q.Encode(), "", true, nil)
	if err != nil || r.Status != http.StatusOK {
		t.Fatalf("report: %v %v", r, err)
	}
	var rep struct {
		Unhappy int `json:"unhappy"`
		Closed  int `json:"closed"`
	}
	if err := json.Unmarshal(r.Body, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Unhappy != 1 || rep.Closed != 1 {
		t.Errorf("report unhappy %d closed %d, want 1 and 1", rep.Unhappy, rep.Closed)
	}
	execs, err := e.srv.Engine.ListExecutions(context.Background(), "closed-loop", "")
	if err != nil || len(execs) != 1 || execs[0].Status != "SUCCEEDED" {
		t.Errorf("executions = %+v (%v), want one SUCCEEDED", execs, err)
	}
}

// EventBridge delivers the same interaction twice (at-least-once), the
// second time concurrently with an HTTP replay: one survey.
func TestDuplicateEventBridgeInteractionIsOneSurvey(t *testing.T) {
	t.Parallel()
	e := start(t, t.TempDir(), wiring{})
	must(t, e, "seed")
	detail, _ := json.Marshal(emailInteraction())
	h := lambdafn.IngestEvent(e.srv.App)
	ev := events.EventBridgeEvent{ID: "eb-1", DetailType: "Interaction Finished", Source: "cxloop.interactions", Detail: detail}
	var wg sync.WaitGroup
	results := make([]string, 3)
	for i := range 3 {
		wg.Go(func() {
			res, err := h(context.Background(), ev)
			if err != nil {
				t.Error(err)
			}
			results[i] = res.SurveyID + "/" + res.Status
		})
	}
	wg.Go(func() {
		r, err := e.api(http.MethodPost, "/v1/interactions", emailInteraction())
		if err != nil || (r.Status != http.StatusOK && r.Status != http.StatusAccepted) {
			t.Errorf("HTTP replay: %v %v", r, err)
		}
	})
	wg.Wait()
	for _, r := range results {
		if r != app.SurveyID(emailID)+"/scheduled" {
			t.Errorf("results %v, want the same scheduled survey each time", results)
			break
		}
	}
	if n := count(t, e, surveysOf(emailID)); n != 1 {
		t.Errorf("survey emails = %d, want 1", n)
	}
}
