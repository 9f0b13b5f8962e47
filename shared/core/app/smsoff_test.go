package app_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/core/store"
	"github.com/cxloop/cxloop/shared/domain/loop"
	"github.com/cxloop/cxloop/shared/domain/message"
	"github.com/cxloop/cxloop/shared/domain/survey"
	"github.com/cxloop/cxloop/shared/domain/token"
	"github.com/cxloop/cxloop/shared/local/embedded"
	"github.com/cxloop/cxloop/shared/platform/validation"
)

// recorder is every port, counting what was sent or queued.
type recorder struct {
	mu                  sync.Mutex
	emails, texts, sent []string // recipients; survey ids queued
}

func (r *recorder) SendEmail(_ context.Context, m message.Email) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.emails = append(r.emails, m.To)
	return "email-" + m.To, nil
}

func (r *recorder) SendSMS(_ context.Context, m message.SMS) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.texts = append(r.texts, m.To)
	return "sms-" + m.To, nil
}

func (r *recorder) EnqueueSend(_ context.Context, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, id)
	return nil
}

func (*recorder) Start(context.Context, string, []byte) error           { return nil }
func (*recorder) SendTaskSuccess(context.Context, string, []byte) error { return nil }
func (*recorder) SendTaskFailure(context.Context, string, string, string) error {
	return nil
}
func (*recorder) SendTaskHeartbeat(context.Context, string) error { return nil }

func (r *recorder) counts() (emails, texts, queued int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.emails), len(r.texts), len(r.sent)
}

// smsApps returns two cores on one store: one with SMS set up, one
// without (the template's default deployment), each with its own ports.
func smsApps(t *testing.T) (on, off *app.App, onPorts, offPorts *recorder) {
	t.Helper()
	table, err := embedded.Open(filepath.Join(t.TempDir(), "cxloop.journal"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { table.Close() })
	signer, err := token.NewSigner(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(table)
	build := func(smsOff bool) (*app.App, *recorder) {
		r := &recorder{}
		cfg := app.DefaultConfig()
		cfg.SMSOff = smsOff
		cfg.Survey.QuietFrom, cfg.Survey.QuietUntil = 0, 0 // no quiet hours: texts go at once
		a, err := app.New(cfg, app.Deps{
			Store: st, Mailer: r, Texter: r, Workflow: r, Queue: r,
			Clock: reportClock(reportNow), Signer: signer, Validator: validation.New(),
		})
		if err != nil {
			t.Fatal(err)
		}
		return a, r
	}
	on, onPorts = build(false)
	off, offPorts = build(true)
	ctx := t.Context()
	if _, _, err := on.PutPerson(ctx, "maria", app.PersonInput{Name: "María García", Email: "maria@example.com"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := on.PutAccount(ctx, "acme", app.AccountInput{Name: "Acme", OwnerID: "maria"}); err != nil {
		t.Fatal(err)
	}
	return on, off, onPorts, offPorts
}

func interaction(id, channel string, c app.Contact) app.Interaction {
	return app.Interaction{
		ID: id, OccurredAt: reportNow.Add(-time.Hour).Format(time.RFC3339), Type: "support_ticket",
		Channel: survey.Channel(channel), Survey: survey.NPS, Customer: c, AccountID: "acme",
	}
}

// Without SMS, an SMS interaction is skipped with a reason the source
// system can act on, nothing is queued or texted, and email still works.
func TestSMSOffSkipsSMSInteractions(t *testing.T) {
	t.Parallel()
	_, off, _, ports := smsApps(t)
	ctx := t.Context()
	res, _, err := off.Ingest(ctx, interaction("t-sms", "sms", app.Contact{ID: "c-1", Name: "Ana", Phone: "+14155550123"}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != app.StatusSkipped || res.Reason != survey.SMSNotConfigured {
		t.Errorf("SMS interaction without SMS = %+v, want skipped for %s", res, survey.SMSNotConfigured)
	}
	// Skipped, not asked: the person's throttle is untouched, so the same
	// person can be asked by email at once.
	res, _, err = off.Ingest(ctx, interaction("t-email", "email", app.Contact{ID: "c-1", Name: "Ana", Email: "ana@example.com"}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != app.StatusScheduled {
		t.Fatalf("email interaction without SMS = %+v, want scheduled", res)
	}
	if err := off.Send(ctx, res.SurveyID); err != nil {
		t.Fatal(err)
	}
	if emails, texts, queued := ports.counts(); emails != 1 || texts != 0 || queued != 1 {
		t.Errorf("sent %d emails, %d texts, queued %d; want 1, 0, 1 (the email survey only)", emails, texts, queued)
	}
}

// An SMS survey scheduled while SMS was set up, and sent after it was
// switched off, is cancelled: no text is attempted and it is not retried.
func TestSMSOffCancelsScheduledSMSSurveys(t *testing.T) {
	t.Parallel()
	on, off, _, offPorts := smsApps(t)
	ctx := t.Context()
	res, _, err := on.Ingest(ctx, interaction("t-1", "sms", app.Contact{ID: "c-2", Name: "Bo", Phone: "+14155550124"}))
	if err != nil || res.Status != app.StatusScheduled {
		t.Fatalf("Ingest with SMS = %+v, %v; want scheduled", res, err)
	}
	if err := off.Send(ctx, res.SurveyID); err != nil {
		t.Fatalf("Send without SMS = %v, want the survey cancelled without an error to retry", err)
	}
	sv, err := off.Store().Surveys.Get(ctx, res.SurveyID)
	if err != nil {
		t.Fatal(err)
	}
	if sv.Status != survey.Cancelled {
		t.Errorf("survey status = %s, want %s", sv.Status, survey.Cancelled)
	}
	if _, texts, _ := offPorts.counts(); texts != 0 {
		t.Errorf("%d texts sent without SMS", texts)
	}
}

// The owner's note to a customer who answered by SMS goes by email when
// SMS is off and the customer has an address; when a phone number is all
// there is, it is not sent but shown: the task records why, and its writer
// is emailed to reach them another way.
func TestSMSOffNotesToSMSCustomers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		contact   app.Contact
		wantSent  bool
		wantIssue loop.NoteProblem
	}{
		{"phone and email", app.Contact{ID: "c-3", Name: "Cy", Phone: "+14155550125", Email: "cy@example.com"}, true, ""},
		{"phone only", app.Contact{ID: "c-4", Name: "Di", Phone: "+14155550126"}, false, loop.NoteNoChannel},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			on, off, _, offPorts := smsApps(t)
			ctx := t.Context()
			res, _, err := on.Ingest(ctx, interaction("t-"+tc.contact.ID, "sms", tc.contact))
			if err != nil || res.Status != app.StatusScheduled {
				t.Fatalf("Ingest = %+v, %v", res, err)
			}
			if err := on.Send(ctx, res.SurveyID); err != nil {
				t.Fatal(err)
			}
			out, err := on.ReceiveSMS(ctx, app.InboundSMS{From: tc.contact.Phone, Body: "2 too slow"})
			if err != nil || out.Action != "answered" {
				t.Fatalf("ReceiveSMS = %+v, %v; want answered", out, err)
			}
			taskID := app.TaskID(out.ResponseID)
			if _, err := on.AssignOwner(ctx, app.LoopInput{ResponseID: out.ResponseID, TaskID: taskID}); err != nil {
				t.Fatal(err)
			}
			if _, err := on.Complete(ctx, taskID, app.CompleteInput{Outcome: loop.Resolved, RootCause: "slow_response", MessageToCustomer: "Sorry, fixed now."}, loop.Actor{Name: "test", Via: "api"}); err != nil {
				t.Fatal(err)
			}
			if err := off.NotifyCustomer(ctx, app.LoopInput{TaskID: taskID}); err != nil {
				t.Fatalf("NotifyCustomer without SMS = %v", err)
			}
			emails, texts, _ := offPorts.counts()
			if emails != 1 || texts != 0 {
				t.Errorf("%d emails and %d texts, want 1 email (the note, or its writer told) and no text", emails, texts)
			}
			task, err := off.Task(ctx, taskID)
			if err != nil {
				t.Fatal(err)
			}
			if sent := !task.NoteSentAt.IsZero(); sent != tc.wantSent || task.Note.Problem != tc.wantIssue {
				t.Errorf("note marked sent = %v, problem %q; want %v, %q", sent, task.Note.Problem, tc.wantSent, tc.wantIssue)
			}
		})
	}
}

// throttling is a Mailer that SES refuses while on is set.
type throttling struct {
	recorder
	on bool
}

func (m *throttling) SendEmail(ctx context.Context, e message.Email) (string, error) {
	if m.on {
		return "", fmt.Errorf("ses: send email: %w", app.ErrThrottled)
	}
	return m.recorder.SendEmail(ctx, e)
}

type clockAt struct{ t *time.Time }

func (c clockAt) Now() time.Time { return *c.t }

// A reminder SES throttles is not lost: nothing was sent, so the next
// sweep sends it.
func TestThrottledReminderWaitsForTheNextSweep(t *testing.T) {
	t.Parallel()
	table, err := embedded.Open(filepath.Join(t.TempDir(), "cxloop.journal"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { table.Close() })
	signer, err := token.NewSigner(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	now := reportNow
	mail := &throttling{}
	a, err := app.New(app.DefaultConfig(), app.Deps{
		Store: store.New(table), Mailer: mail, Texter: mail, Workflow: mail, Queue: mail,
		Clock: clockAt{&now}, Signer: signer, Validator: validation.New(),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if _, _, err := a.PutPerson(ctx, "maria", app.PersonInput{Name: "María García", Email: "maria@example.com"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.PutAccount(ctx, "acme", app.AccountInput{Name: "Acme", OwnerID: "maria"}); err != nil {
		t.Fatal(err)
	}
	res, _, err := a.Ingest(ctx, interaction("t-1", "email", app.Contact{ID: "c-1", Name: "Ana", Email: "ana@example.com"}))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Send(ctx, res.SurveyID); err != nil {
		t.Fatal(err)
	}
	now = now.Add(app.DefaultConfig().Survey.RemindAfter + time.Minute)
	mail.on = true
	if _, err := a.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	mail.on = false
	if _, err := a.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if emails, _, _ := mail.counts(); emails != 2 {
		t.Errorf("%d emails, want 2: the survey, and the reminder once SES took mail again", emails)
	}
}
