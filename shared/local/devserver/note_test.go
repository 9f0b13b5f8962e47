package devserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cxloop/cxloop/shared/aws/lambdafn"
	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/domain/message"
	"github.com/cxloop/cxloop/shared/local/devserver"
)

// noteDownMailer refuses every close-the-loop note, as a provider that
// keeps failing would; every other email goes.
type noteDownMailer struct{ app.Mailer }

func (m noteDownMailer) SendEmail(ctx context.Context, e message.Email) (string, error) {
	if e.Tags["purpose"] == "note" {
		return "", errors.New("provider unavailable")
	}
	return m.Mailer.SendEmail(ctx, e)
}

type noteView struct {
	Status       string `json:"status"`
	Problem      string `json:"problem"`
	WriterToldAt string `json:"writer_told_at"`
}

func (d *dev) note(taskID string) noteView {
	d.t.Helper()
	if !d.idle() {
		d.t.Fatal("background work not done after 10s")
	}
	r := d.raw(http.MethodGet, "/v1/tasks/"+taskID, "", apiKey, nil)
	want(d.t, r, http.StatusOK, "GET task")
	return decodeJSON[struct {
		Note noteView `json:"note"`
	}](d.t, r).Note
}

func (d *dev) undeliveredNotes() []struct {
	TaskID  string `json:"task_id"`
	Problem string `json:"problem"`
} {
	d.t.Helper()
	now := d.now()
	q := url.Values{"from": {now.AddDate(0, 0, -30).Format("2006-01-02")}, "to": {now.AddDate(0, 0, 1).Format("2006-01-02")}}
	r := d.raw(http.MethodGet, "/v1/reports/closed-loop?"+q.Encode(), "", apiKey, nil)
	want(d.t, r, http.StatusOK, "GET report")
	return decodeJSON[struct {
		Notes []struct {
			TaskID  string `json:"task_id"`
			Problem string `json:"problem"`
		} `json:"notes_not_delivered"`
	}](d.t, r).Notes
}

// dashboard signs in with the API key and returns the leaders' page.
func (d *dev) dashboard() string {
	d.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	res, err := c.PostForm(d.URL+"/dashboard/login", url.Values{"api_key": {apiKey}})
	if err != nil {
		d.t.Fatal(err)
	}
	page := readAll(d.t, res)
	if res.StatusCode != http.StatusOK {
		d.t.Fatalf("dashboard after sign-in: %d\n%s", res.StatusCode, page)
	}
	return page
}

// A note that cannot be sent is not lost from sight: after the workflow's
// retries it is recorded on the task, listed for the leaders, and whoever
// wrote it is told to reach the person another way.
func TestNoteThatCannotBeSentIsShownToAPerson(t *testing.T) {
	t.Parallel()
	d := startDevAt(t, t.TempDir(), "127.0.0.1:0", func(o *devserver.Options) {
		o.Wrap = func(deps app.Deps) app.Deps {
			deps.Mailer = noteDownMailer{deps.Mailer}
			return deps
		}
	})
	d.seed()
	d.answerAs("n-1", "cust-ana", customerEmail, 2)
	id := d.tasks("status=open")[0].ID
	want(t, d.postForm(d.taskLink(ownerEmail), completeForm("Ana, we refunded you.")), http.StatusOK, "complete with a note")
	d.advance("30m") // the workflow's retries, then its catch
	if n := d.note(id); n.Status != "not_delivered" || n.Problem != "not_sent" || n.WriterToldAt == "" {
		t.Fatalf("note = %+v, want not delivered (not sent), its writer told", n)
	}
	told := d.sentTo(ownerEmail)
	if last := told[len(told)-1]; !strings.Contains(last.Subject, "may not have reached them") || !strings.Contains(last.BodyText, "could not be sent") {
		t.Errorf("owner's last email = %q: %q, want the note problem", last.Subject, last.BodyText)
	}
	if got := d.undeliveredNotes(); len(got) != 1 || got[0].TaskID != id || got[0].Problem != "not_sent" {
		t.Errorf("report notes_not_delivered = %+v, want the task", got)
	}
	if page := d.dashboard(); !strings.Contains(page, "Notes that may not have reached the customer") || !strings.Contains(page, "<code>"+id+"</code>") {
		t.Errorf("dashboard does not list the note:\n%s", page)
	}
	for _, m := range d.sentTo(customerEmail) {
		if strings.Contains(m.BodyText, "refunded") {
			t.Fatal("the refused note is in the outbox")
		}
	}
}

// SES's events follow the note: its send and delivery confirm it, and a
// bounce shows it to a person.
func TestNoteFollowedBySESEvents(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	d.answerAs("n-2", "cust-ana", customerEmail, 2)
	id := d.tasks("status=open")[0].ID
	want(t, d.postForm(d.taskLink(ownerEmail), completeForm("Ana, fixed.")), http.StatusOK, "complete with a note")
	if n := d.note(id); n.Status != "sent" {
		t.Fatalf("note = %+v, want sent", n)
	}
	h := lambdafn.SESEvents(d.srv.App, quietLog)
	event := func(kind string, extra map[string]any) events.SNSEvent {
		msg := map[string]any{"eventType": kind, "mail": map[string]any{"messageId": "ses-note-1",
			"tags": map[string][]string{"task_id": {id}, "purpose": {"note"}}}}
		for k, v := range extra {
			msg[k] = v
		}
		b, _ := json.Marshal(msg)
		var r events.SNSEventRecord
		r.SNS.Message = string(b)
		return events.SNSEvent{Records: []events.SNSEventRecord{r}}
	}
	if err := h(context.Background(), event("Delivery", map[string]any{"delivery": map[string]any{"recipients": []string{customerEmail}}})); err != nil {
		t.Fatal(err)
	}
	if n := d.note(id); n.Status != "delivered" {
		t.Fatalf("note after the delivery event = %+v, want delivered", n)
	}
	bounce := map[string]any{"bounce": map[string]any{"bounceType": "Permanent", "bouncedRecipients": []map[string]string{{"emailAddress": customerEmail}}}}
	for range 2 { // SNS may deliver it twice: one problem, one email to the writer
		if err := h(context.Background(), event("Bounce", bounce)); err != nil {
			t.Fatal(err)
		}
	}
	if n := d.note(id); n.Status != "not_delivered" || n.Problem != "bounced" || n.WriterToldAt == "" {
		t.Fatalf("note after a bounce = %+v, want not delivered (bounced), its writer told", n)
	}
	problems := 0
	for _, m := range d.sentTo(ownerEmail) {
		if strings.Contains(m.Subject, "may not have reached them") {
			problems++
		}
	}
	if problems != 1 {
		t.Errorf("%d note-problem emails to the owner, want 1", problems)
	}
}

var quietLog = slog.New(slog.DiscardHandler)

func readAll(t *testing.T, res *http.Response) string {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
