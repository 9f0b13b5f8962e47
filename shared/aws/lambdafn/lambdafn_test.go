package lambdafn

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cxloop/cxloop/shared/aws/sqs/sendmsg"
	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/domain/survey"
	"github.com/cxloop/cxloop/shared/local/devserver"
)

func TestHTTPAdapter(t *testing.T) {
	t.Parallel()
	var seen *http.Request
	var seenBody string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r
		b, _ := io.ReadAll(r.Body)
		seenBody = string(b)
		http.SetCookie(w, &http.Cookie{Name: "a", Value: "1"})
		http.SetCookie(w, &http.Cookie{Name: "b", Value: "2"})
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"ok":true}`))
	})
	e := events.APIGatewayV2HTTPRequest{
		RawPath: "/v1/people/dana", RawQueryString: "x=1&y=two",
		Headers: map[string]string{"authorization": "Bearer k", "host": "api.example.com"},
		Cookies: []string{"s=abc", "t=def"},
		Body:    base64.StdEncoding.EncodeToString([]byte(`{"name":"Dana"}`)), IsBase64Encoded: true,
	}
	e.RequestContext.HTTP.Method = "PUT"
	e.RequestContext.HTTP.SourceIP = "203.0.113.9"
	e.RequestContext.RequestID = "req-123"
	res, err := HTTP(h)(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	if seen.Method != "PUT" || seen.URL.Path != "/v1/people/dana" || seen.URL.Query().Get("y") != "two" {
		t.Errorf("request = %s %s", seen.Method, seen.URL)
	}
	if seen.Header.Get("Authorization") != "Bearer k" || seen.Host != "api.example.com" || seen.Header.Get("X-Request-Id") != "req-123" {
		t.Errorf("headers = %v host %s", seen.Header, seen.Host)
	}
	if c, err := seen.Cookie("t"); err != nil || c.Value != "def" {
		t.Errorf("cookie t = %v, %v", c, err)
	}
	if seenBody != `{"name":"Dana"}` {
		t.Errorf("body = %q", seenBody)
	}
	if res.StatusCode != http.StatusCreated || res.Body != `{"ok":true}` || res.Headers["Content-Type"] != "application/json" {
		t.Errorf("response = %+v", res)
	}
	if len(res.Cookies) != 2 || res.IsBase64Encoded {
		t.Errorf("cookies = %v, base64 = %v", res.Cookies, res.IsBase64Encoded)
	}
}

func TestHTTPAdapterRefusesUnreadableRequest(t *testing.T) {
	t.Parallel()
	e := events.APIGatewayV2HTTPRequest{RawPath: "/", Body: "%%%", IsBase64Encoded: true}
	e.RequestContext.HTTP.Method = "POST"
	res, err := HTTP(http.NotFoundHandler())(context.Background(), e)
	if err != nil || res.StatusCode != http.StatusBadRequest {
		t.Fatalf("res = %+v, err = %v; want a 400", res, err)
	}
}

func startDev(t *testing.T) *devserver.Server {
	t.Helper()
	srv, err := devserver.Start(context.Background(), devserver.Options{
		Addr: "127.0.0.1:0", DataDir: t.TempDir(), APIKey: "k", Config: app.DefaultConfig(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Tick: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// seedSurvey stores a survey that is due to be sent, as ingest leaves it.
func seedSurvey(t *testing.T, a *app.App, id string) {
	t.Helper()
	now := a.Now()
	err := a.Store().Surveys.Create(context.Background(), survey.Survey{
		ID: id, CustomerID: "c-" + id, Kind: survey.NPS, Channel: survey.Email, To: id + "@example.com",
		Status: survey.Scheduled, CreatedAt: now, SendAt: now,
	})
	if err != nil {
		t.Fatal(err)
	}
}

// One bad message in a batch is reported alone; the rest are sent.
func TestSendSurveysReportsPartialFailures(t *testing.T) {
	t.Parallel()
	srv := startDev(t)
	seedSurvey(t, srv.App, "sv_one")
	seedSurvey(t, srv.App, "sv_two")
	batch := events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "m1", Body: `{"survey_id":"sv_one"}`},
		{MessageId: "m2", Body: `not json`},
		{MessageId: "m3", Body: `{"survey_id":"sv_two"}`},
		{MessageId: "m4", Body: `{"survey_id":"sv_one"}`}, // redelivery: sent once only
	}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	res, err := SendSurveys(srv.App, noLater{t}, log)(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.BatchItemFailures) != 1 || res.BatchItemFailures[0].ItemIdentifier != "m2" {
		t.Fatalf("failures = %+v, want only m2", res.BatchItemFailures)
	}
	sent, err := srv.Outbox.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var to []string
	for _, m := range sent {
		to = append(to, m.To)
	}
	if strings.Join(to, ",") != "sv_one@example.com,sv_two@example.com" {
		t.Errorf("sent to %v, want each survey once", to)
	}
}

// noLater fails a test that puts a survey back on the queue.
type noLater struct{ t *testing.T }

func (l noLater) EnqueueSendAfter(_ context.Context, m sendmsg.Message, d time.Duration) error {
	l.t.Errorf("survey %s queued again after %s without a throttle", m.SurveyID, d)
	return nil
}

func TestThrottleBackoffDoublesToSQSsLongestDelay(t *testing.T) {
	t.Parallel()
	for throttled, want := range map[int]time.Duration{1: 30 * time.Second, 2: time.Minute, 3: 2 * time.Minute, 5: 8 * time.Minute, 6: 15 * time.Minute, 40: 15 * time.Minute} {
		if got := backoff(throttled); got != want {
			t.Errorf("backoff(%d) = %s, want %s", throttled, got, want)
		}
	}
}

func TestIngestEventRefusesBadDetailForTheDLQ(t *testing.T) {
	t.Parallel()
	srv := startDev(t)
	tests := []struct{ name, detail string }{
		{"not an object", `"hello"`},
		{"unknown field", `{"id":"x","nope":1}`},
		{"invalid interaction", `{"id":"x"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := IngestEvent(srv.App)(context.Background(), events.EventBridgeEvent{Detail: json.RawMessage(tt.detail)})
			var bad *BadEvent
			if !errors.As(err, &bad) {
				t.Fatalf("err = %v, want a *BadEvent", err)
			}
		})
	}
}

// seedOwner puts an owner and their account in the directory.
func seedOwner(t *testing.T, a *app.App) {
	t.Helper()
	ctx := context.Background()
	if _, _, err := a.PutPerson(ctx, "maria", app.PersonInput{Name: "María García", Email: "maria@example.com"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.PutAccount(ctx, "acme", app.AccountInput{Name: "Acme", OwnerID: "maria"}); err != nil {
		t.Fatal(err)
	}
}

// An EventBridge interaction is held to the API's rules: an id that no URL
// could reach, or an occurred_at that is not a time on Earth's clocks, is
// a bad event for the DLQ, and nothing is stored.
func TestIngestEventRefusesBadIDsAndTimes(t *testing.T) {
	t.Parallel()
	srv := startDev(t)
	seedOwner(t, srv.App)
	detail := func(id, occurred, account string) json.RawMessage {
		return json.RawMessage(`{"id":"` + id + `","occurred_at":"` + occurred + `","type":"support_ticket","channel":"email","survey":"nps",` +
			`"customer":{"id":"cust-ana","name":"Ana","email":"ana@example.com","locale":"en_GB"},"account_id":"` + account + `"}`)
	}
	now := srv.App.Now().Format(time.RFC3339)
	for _, tt := range []struct {
		name   string
		detail json.RawMessage
	}{
		{"dot id", detail(".", now, "acme")},
		{"dot-dot id", detail("..", now, "acme")},
		{"account id of 2048 characters", detail("int-1", now, strings.Repeat("a", 2048))},
		{"offset of 24 hours", detail("int-2", "2026-05-12T09:00:00+24:00", "acme")},
		{"year 0000", detail("int-3", "0000-01-01T00:00:00Z", "acme")},
		{"year 9999", detail("int-4", "9999-12-31T23:59:59Z", "acme")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := IngestEvent(srv.App)(context.Background(), events.EventBridgeEvent{Detail: tt.detail})
			var bad *BadEvent
			if !errors.As(err, &bad) {
				t.Fatalf("err = %v, want a *BadEvent", err)
			}
		})
	}
	if list, err := srv.App.Timeline(context.Background(), "cust-ana"); err != nil || len(list) != 0 {
		t.Errorf("refused events stored %+v (%v)", list, err)
	}
	res, err := IngestEvent(srv.App)(context.Background(), events.EventBridgeEvent{Detail: detail("int-ok", now, "acme")})
	if err != nil || res.Status != app.StatusScheduled {
		t.Fatalf("valid event: %+v, %v", res, err)
	}
	sv, err := srv.App.Store().Surveys.Get(context.Background(), res.SurveyID)
	if err != nil || sv.Locale != "en-GB" {
		t.Errorf("survey locale = %q (%v), want en_GB kept as en-GB", sv.Locale, err)
	}
}

// Texts through the inbound SMS Lambda handler: "9 / 10" is a 9 without
// a comment, control characters are dropped, and an inbound message id
// that is not an id is refused (for SNS to retry and dead-letter), with
// the answer unchanged.
func TestInboundSMSReadsScaleAndDropsControls(t *testing.T) {
	t.Parallel()
	cfg := app.DefaultConfig()
	cfg.Survey.QuietFrom, cfg.Survey.QuietUntil = 0, 0 // the test may run at any hour
	srv, err := devserver.Start(context.Background(), devserver.Options{
		Addr: "127.0.0.1:0", DataDir: t.TempDir(), APIKey: "k", Config: cfg,
		Logger: slog.New(slog.DiscardHandler), Tick: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	ctx := context.Background()
	seedOwner(t, srv.App)
	const phone = "+14155550123"
	_, _, err = srv.App.Ingest(ctx, app.Interaction{
		ID: "int-sms", OccurredAt: srv.App.Now().Format(time.RFC3339), Type: "delivery", Channel: survey.SMS, Survey: survey.NPS,
		Customer: app.Contact{ID: "cust-kai", Name: "Kai", Phone: phone}, AccountID: "acme",
	})
	if err != nil {
		t.Fatal(err)
	}
	text := func(id, body string) events.SNSEvent {
		msg, err := json.Marshal(map[string]string{
			"originationNumber": phone, "destinationNumber": "+14155550999", "messageBody": body, "inboundMessageId": id,
		})
		if err != nil {
			t.Fatal(err)
		}
		return events.SNSEvent{Records: []events.SNSEventRecord{{SNS: events.SNSEntity{MessageID: "sns-" + id[:min(len(id), 8)], Message: string(msg)}}}}
	}
	answer := func() survey.Response {
		t.Helper()
		list, _, err := srv.App.Responses(ctx, app.ResponseFilter{}, "", 100)
		if err != nil || len(list) != 1 {
			t.Fatalf("responses = %+v, %v; want one", list, err)
		}
		return list[0]
	}
	handle := InboundSMS(srv.App, slog.New(slog.DiscardHandler))
	if err := handle(ctx, text("in-1", "9 / 10\x00")); err != nil {
		t.Fatal(err)
	}
	if r := answer(); r.Score != 9 || r.Comment != "" {
		t.Errorf("9 / 10: score %d comment %q, want 9 and none", r.Score, r.Comment)
	}
	if err := handle(ctx, text("in-2", "3 slow\x1b[0m\x00 and late")); err != nil {
		t.Fatal(err)
	}
	if r := answer(); r.Score != 3 || r.Comment != "slow[0m and late" {
		t.Errorf("score %d comment %q, want 3 and %q", r.Score, r.Comment, "slow[0m and late")
	}
	if err := handle(ctx, text(strings.Repeat("x", 2048), "5")); err == nil {
		t.Error("inbound message id of 2048 characters: no error")
	}
	if r := answer(); r.Score != 3 {
		t.Errorf("after a refused text: score %d, want 3", r.Score)
	}
}
