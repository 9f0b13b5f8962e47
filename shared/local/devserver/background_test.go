package devserver_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/domain/message"
	"github.com/cxloop/cxloop/shared/local/devserver"
)

func background(o *devserver.Options) { o.Background = true }

// idle waits for the background work through GET /dev/idle.
func (d *dev) idle() bool {
	d.t.Helper()
	r := d.get("/dev/idle?wait=10s")
	want(d.t, r, http.StatusOK, "GET /dev/idle")
	return decodeJSON[struct {
		Idle bool `json:"idle"`
	}](d.t, r).Idle
}

// In background mode the interaction is accepted first and its survey
// emailed right after, once.
func TestDevBackgroundSendsOnce(t *testing.T) {
	t.Parallel()
	d := startDevAt(t, t.TempDir(), "127.0.0.1:0", background)
	d.seed()
	want(t, d.ingest(emailInteraction("int-bg-1")), http.StatusAccepted, "interaction")
	if !d.idle() {
		t.Fatal("background work not done after 10s")
	}
	if got := d.sentTo(customerEmail); len(got) != 1 {
		t.Fatalf("emails to the customer = %d, want 1", len(got))
	}
	d.advance("1h") // the sweeper finds nothing left to send
	if got := d.sentTo(customerEmail); len(got) != 1 {
		t.Fatalf("emails to the customer after a sweep = %d, want 1", len(got))
	}
}

// flakyMailer fails its first call, as a provider outage would.
type flakyMailer struct {
	app.Mailer
	calls atomic.Int64
}

func (m *flakyMailer) SendEmail(ctx context.Context, e message.Email) (string, error) {
	if m.calls.Add(1) == 1 {
		return "", errors.New("provider unavailable")
	}
	return m.Mailer.SendEmail(ctx, e)
}

// A background send that fails is not lost: the survey stays due and the
// sweeper sends it.
func TestDevBackgroundSendFailureIsSwept(t *testing.T) {
	t.Parallel()
	d := startDevAt(t, t.TempDir(), "127.0.0.1:0", background, func(o *devserver.Options) {
		o.Wrap = func(deps app.Deps) app.Deps {
			deps.Mailer = &flakyMailer{Mailer: deps.Mailer}
			return deps
		}
	})
	d.seed()
	want(t, d.ingest(emailInteraction("int-bg-2")), http.StatusAccepted, "interaction")
	if !d.idle() {
		t.Fatal("background work not done after 10s")
	}
	if got := d.sentTo(customerEmail); len(got) != 0 {
		t.Fatalf("emails after a failed send = %d, want 0", len(got))
	}
	d.advance("1m")
	if got := d.sentTo(customerEmail); len(got) != 1 {
		t.Fatalf("emails after the sweep = %d, want 1", len(got))
	}
}

// Surveys still queued when the server stops are sent before it closes
// its store, or after the next start by the sweeper: never lost.
func TestDevBackgroundCloseLosesNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d := startDevAt(t, dir, "127.0.0.1:0", background)
	d.seed()
	for _, id := range []string{"int-bg-3", "int-bg-4", "int-bg-5"} {
		body := emailInteraction(id)
		body["customer"].(map[string]any)["id"] = "cust-" + id
		body["customer"].(map[string]any)["email"] = id + "@acme.example"
		want(t, d.ingest(body), http.StatusAccepted, "interaction "+id)
	}
	d.Close()
	d2 := startDevAt(t, dir, "127.0.0.1:0", background)
	d2.advance("1m")
	for _, id := range []string{"int-bg-3", "int-bg-4", "int-bg-5"} {
		if got := d2.sentTo(id + "@acme.example"); len(got) != 1 {
			t.Errorf("emails for %s = %d, want 1", id, len(got))
		}
	}
}

// In background mode the closed loop runs on after each request: the
// owner is told of the unhappy answer, the customer gets the note after
// the completion, and a restart in between loses nothing.
func TestDevBackgroundLoop(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d := startDevAt(t, dir, "127.0.0.1:0", background)
	d.seed()
	d.answerAs("l-bg", "cust-ana", customerEmail, 2)
	if got := subjects(d, ownerEmail); len(got) != 1 {
		t.Fatalf("owner emails = %q, want the task", got)
	}
	d.Close()

	d = startDevAt(t, dir, "127.0.0.1:0", background)
	d.advance("49h")
	if got := subjects(d, managerEmail); len(got) != 1 {
		t.Fatalf("manager emails = %q, want the escalation", got)
	}
	id := d.tasks("status=open")[0].ID
	want(t, d.api(http.MethodPost, "/v1/tasks/"+id+"/complete", map[string]any{"outcome": "resolved", "root_cause": "delivery", "message_to_customer": "Sorted, Ana."}), http.StatusOK, "complete")
	last := d.sentTo(customerEmail)
	if !strings.Contains(last[len(last)-1].BodyText, "Sorted, Ana.") {
		t.Errorf("customer did not get the note: %q", last[len(last)-1].BodyText)
	}
	if open := d.tasks("status=open"); len(open) != 0 {
		t.Errorf("open tasks after completion = %d, want 0", len(open))
	}
}

// A loop that a clock jump starts (a lone unhappy click settling) takes
// its steps at the time they are due, not once the jump is over, even
// while another loop's timers are still ahead.
func TestDevClockJumpWaitsForTheLoopsItStarts(t *testing.T) {
	t.Parallel()
	d := startDevAt(t, t.TempDir(), "127.0.0.1:0", background)
	d.seed()
	start := d.now()
	d.answerAs("l-jump-a", "cust-ana", customerEmail, 2) // timers at +48h and beyond
	body := emailInteraction("l-jump-b")
	body["customer"] = map[string]any{"id": "cust-bo", "name": "Bo Berg", "email": "bo@acme.example", "locale": "en-GB", "timezone": "Europe/London"}
	want(t, d.ingest(body), http.StatusAccepted, "interaction for Bo")
	bo := d.sentTo("bo@acme.example")
	if len(bo) != 1 {
		t.Fatalf("emails to Bo = %d, want the survey", len(bo))
	}
	want(t, d.get(scoreLink(bo[0], 2)), http.StatusOK, "Bo's lone score-2 click")
	d.advance("200h")
	for _, m := range d.sentTo(ownerEmail) {
		if strings.Contains(m.Subject, "Bo Berg") && m.Tags["purpose"] == "task" {
			if late := m.SentAt.Sub(start); late > time.Hour {
				t.Errorf("Bo's task email went out %s after the start; the click settled after 10 minutes", late)
			}
			return
		}
	}
	t.Errorf("no task email about Bo among %q", subjects(d, ownerEmail))
}

func TestDevIdleRefusesBadWait(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	for _, w := range []string{"2h", "-1s", "soon"} {
		if r := d.get("/dev/idle?wait=" + w); r.Status != http.StatusBadRequest {
			t.Errorf("wait=%s: %s, want 400", w, r)
		}
	}
	if !d.idle() {
		t.Error("a server without background work is not idle")
	}
}
