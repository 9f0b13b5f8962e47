package devserver_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/local/outbox"
)

const phone = "+14155550123"

// zoneAt returns an IANA zone in which the virtual time now is about
// localHour o'clock, so tests need not depend on the time of day they run.
func zoneAt(now time.Time, localHour int) string {
	off := (localHour - now.UTC().Hour() + 24) % 24
	if off > 12 {
		off -= 24 // Etc/GMT covers UTC-12..UTC+14
	}
	switch {
	case off > 0:
		return fmt.Sprintf("Etc/GMT-%d", off) // POSIX sign: Etc/GMT-3 is UTC+3
	case off < 0:
		return fmt.Sprintf("Etc/GMT+%d", -off)
	}
	return "UTC"
}

func smsInteraction(id, tz string) map[string]any {
	return map[string]any{
		"id": id, "occurred_at": "2026-05-12T09:00:00Z", "type": "delivery",
		"channel": "sms", "survey": "nps", "account_id": "acme",
		"customer": map[string]any{
			"id": "cust-kai", "name": "Kai Schmidt", "phone": phone, "locale": "en-US", "timezone": tz,
		},
	}
}

type smsOutcome struct {
	Action     string `json:"action"`
	SurveyID   string `json:"survey_id"`
	ResponseID string `json:"response_id"`
	Reply      string `json:"reply"`
}

func (d *dev) text(body string) smsOutcome {
	d.t.Helper()
	r := d.api(http.MethodPost, "/dev/sms", map[string]string{"from": phone, "body": body})
	want(d.t, r, http.StatusOK, "POST /dev/sms "+body)
	return decodeJSON[smsOutcome](d.t, r)
}

// smsSurvey sends an SMS interaction at midday in the customer's zone and
// returns the survey text.
func (d *dev) smsSurvey(id string) outbox.Message {
	d.t.Helper()
	r := d.ingest(smsInteraction(id, zoneAt(d.now(), 12)))
	want(d.t, r, http.StatusAccepted, "SMS interaction")
	if body := decodeJSON[map[string]any](d.t, r); body["status"] != "scheduled" || body["send_at"] != nil {
		d.t.Fatalf("SMS at midday local: %s, want scheduled now", r.Body)
	}
	got := d.sentTo(phone)
	if len(got) != 1 {
		d.t.Fatalf("%d texts to %s, want the survey", len(got), phone)
	}
	m := got[0]
	if m.Channel != "sms" || !strings.Contains(m.BodyText, "Reply 0-10") || !strings.HasSuffix(m.BodyText, "Reply STOP to opt out") {
		d.t.Fatalf("survey text = %+v", m)
	}
	return m
}

// "2 too slow" stores score 2 with the comment "too slow" and thanks the person.
func TestDevSMSReplyStoresScoreAndComment(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	d.smsSurvey("int-sms")

	out := d.text("2 too slow")
	if out.Action != "answered" || out.ResponseID == "" || out.Reply == "" {
		t.Fatalf("outcome = %+v, want answered", out)
	}
	got := d.responses()
	if len(got) != 1 || got[0].Score != 2 || got[0].Comment != "too slow" || got[0].Source != "sms" || !got[0].Unhappy {
		t.Fatalf("responses = %+v, want one: 2, \"too slow\"", got)
	}
	texts := d.sentTo(phone)
	if len(texts) != 2 || !strings.HasPrefix(texts[1].BodyText, "Thank you") {
		t.Errorf("texts = %+v, want the survey and a thank-you", texts)
	}
	// Unhappy: the owner gets the follow-up.
	if tasks := d.sentTo(ownerEmail); len(tasks) != 1 || !strings.HasPrefix(tasks[0].Subject, "Follow up with Kai Schmidt") {
		t.Errorf("owner emails = %+v, want one follow-up task", tasks)
	}
	// A second reply changes the answer; still one response.
	if out := d.text("8"); out.Action != "answered" {
		t.Fatalf("second reply: %+v", out)
	}
	if got := d.responses(); len(got) != 1 || got[0].Score != 8 {
		t.Fatalf("after a second reply: %+v", got)
	}
	// Off the scale: a hint, nothing changes.
	if out := d.text("11"); out.Action != "out_of_range" || !strings.Contains(out.Reply, "0 to 10") {
		t.Errorf("11: %+v", out)
	}
	if got := d.responses(); len(got) != 1 || got[0].Score != 8 {
		t.Fatalf("after 11: %+v", got)
	}
}

// STOP opts out and is confirmed once; a second STOP sends nothing.
func TestDevSMSStopConfirmsOnce(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	d.smsSurvey("int-sms")

	out := d.text("STOP")
	if out.Action != "opted_out" || !strings.Contains(out.Reply, "unsubscribed") {
		t.Fatalf("first STOP: %+v", out)
	}
	texts := d.sentTo(phone)
	if len(texts) != 2 || !strings.Contains(texts[1].BodyText, "unsubscribed") {
		t.Fatalf("texts after STOP = %+v, want the survey and one confirmation", texts)
	}
	for _, again := range []string{"stop", "Stop.", "UNSUBSCRIBE"} {
		out := d.text(again)
		if out.Action != "opted_out" || out.Reply != "" {
			t.Errorf("%q after STOP: %+v, want opted_out without a reply", again, out)
		}
	}
	if got := d.sentTo(phone); len(got) != 2 {
		t.Fatalf("%d texts, want no second confirmation: %+v", len(got), got)
	}
	if got := d.responses(); len(got) != 0 {
		t.Fatalf("STOP stored %+v", got)
	}
	// No reminder goes to an opted-out number.
	d.advance("73h")
	if got := d.sentTo(phone); len(got) != 2 {
		t.Fatalf("after 73h: %d texts, want no reminder to an opted-out number", len(got))
	}
	// And no new survey.
	d.advance("721h")
	r := d.ingest(smsInteraction("int-sms-2", zoneAt(d.now(), 12)))
	want(t, r, http.StatusAccepted, "interaction after STOP")
	if !strings.Contains(r.Text(), `"status":"skipped"`) || !strings.Contains(r.Text(), `"reason":"opted_out"`) {
		t.Errorf("interaction after STOP: %s, want skipped opted_out", r.Text())
	}
}

// HELP replies with help text and stores nothing.
func TestDevSMSHelp(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	d.smsSurvey("int-sms")

	out := d.text("HELP")
	if out.Action != "help" || !strings.Contains(out.Reply, "Example Co surveys") || !strings.Contains(out.Reply, "STOP") {
		t.Fatalf("HELP: %+v", out)
	}
	texts := d.sentTo(phone)
	if len(texts) != 2 || texts[1].BodyText != out.Reply {
		t.Errorf("texts = %+v, want the help text sent", texts)
	}
	if got := d.responses(); len(got) != 0 {
		t.Fatalf("HELP stored %+v", got)
	}
	// HELP does not opt out: a score still answers.
	if out := d.text("9"); out.Action != "answered" {
		t.Errorf("9 after HELP: %+v", out)
	}
}

// Something that is not a score gets a clarifying reply and stores nothing.
func TestDevSMSUnclearStoresNothing(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	d.smsSurvey("int-sms")

	for _, body := range []string{"hello", "7th", "please stop"} {
		out := d.text(body)
		if out.Action != "unclear" || !strings.Contains(out.Reply, "0-10") {
			t.Errorf("%q: %+v, want a clarifying reply", body, out)
		}
	}
	if got := d.responses(); len(got) != 0 {
		t.Fatalf("unclear texts stored %+v", got)
	}
	if got := d.sentTo(phone); len(got) != 4 {
		t.Errorf("%d texts, want the survey and three clarifications", len(got))
	}
	// "please stop" does not begin with a keyword: not an opt-out.
	if out := d.text("3"); out.Action != "answered" {
		t.Errorf("3 after the unclear texts: %+v", out)
	}
}

// A reply from a number with no open survey is told so and stores nothing.
func TestDevSMSNoSurvey(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	out := d.text("9")
	if out.Action != "no_survey" || out.Reply == "" {
		t.Fatalf("reply without a survey: %+v", out)
	}
	if got := d.responses(); len(got) != 0 {
		t.Fatalf("stored %+v", got)
	}
	r := d.api(http.MethodPost, "/dev/sms", map[string]string{"from": "0415 555 0123", "body": "9"})
	wantAPIError(t, r, http.StatusBadRequest, "invalid", "from")
}

// In quiet hours the text is delayed to 08:00 local, not skipped.
func TestDevSMSQuietHoursDelay(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	now := d.now()
	r := d.ingest(smsInteraction("int-sms", zoneAt(now, 23)))
	want(t, r, http.StatusAccepted, "SMS interaction at 23:00 local")
	body := decodeJSON[map[string]string](t, r)
	if body["status"] != "scheduled" || body["send_at"] == "" {
		t.Fatalf("body = %s, want scheduled with send_at", r.Body)
	}
	sendAt, err := time.Parse(time.RFC3339, body["send_at"])
	if err != nil {
		t.Fatalf("send_at %q: %v", body["send_at"], err)
	}
	if wait := sendAt.Sub(now); wait < 8*time.Hour || wait > 10*time.Hour {
		t.Errorf("send_at %s is %s after %s; 23:00 → 08:00 is about 9h", sendAt, wait, now)
	}
	if got := d.sentTo(phone); len(got) != 0 {
		t.Fatalf("texted in quiet hours: %+v", got)
	}
	d.advance("8h")
	if got := d.sentTo(phone); len(got) != 0 {
		t.Fatalf("texted before 08:00 local: %+v", got)
	}
	d.advance("2h")
	got := d.sentTo(phone)
	if len(got) != 1 || got[0].SentAt.Before(sendAt) {
		t.Fatalf("after quiet hours: %+v, want the survey sent at or after %s", got, sendAt)
	}
}
