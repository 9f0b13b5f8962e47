package devserver_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/domain/message"
	"github.com/cxloop/cxloop/shared/local/devserver"
)

// After STOP and its confirmation, the number gets nothing but the answer
// to HELP, and nothing it sends is stored as an answer.
func TestDevSMSStopMeansStop(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	d.smsSurvey("int-stop")
	if out := d.text("STOP"); out.Action != "opted_out" || out.Reply == "" {
		t.Fatalf("STOP: %+v, want opted_out with a confirmation", out)
	}
	sent := len(d.sentTo(phone))
	for _, body := range []string{"4 bad", "hello", "10", "stop calling me", "11"} {
		if out := d.text(body); out.Reply != "" || (out.Action != "ignored_opted_out" && out.Action != "opted_out") {
			t.Errorf("%q after STOP: %+v, want it ignored with no reply", body, out)
		}
	}
	if got := d.sentTo(phone); len(got) != sent {
		t.Errorf("texts after STOP: %d, want %d (nothing more)", len(got), sent)
	}
	if got := d.responses(); len(got) != 0 {
		t.Errorf("answers stored after STOP: %+v", got)
	}
	if n := len(d.tasks("status=open")); n != 0 {
		t.Errorf("%d follow-ups started after STOP", n)
	}
	// HELP is still answered: carriers require it.
	if out := d.text("HELP"); out.Action != "help" || !strings.Contains(out.Reply, "STOP") {
		t.Errorf("HELP after STOP: %+v, want the help text", out)
	}
	if got := d.sentTo(phone); len(got) != sent+1 || !strings.Contains(got[len(got)-1].BodyText, "STOP") {
		t.Errorf("texts after HELP: %+v, want the help text only", got)
	}
}

// With End User Messaging answering STOP and HELP itself (its default),
// cxloop records the opt-out and sends no keyword reply of its own, so a
// person never gets two answers to one keyword.
func TestDevSMSProviderAnswersKeywords(t *testing.T) {
	t.Parallel()
	d := startDevAt(t, t.TempDir(), "127.0.0.1:0", func(o *devserver.Options) { o.Config.SMSKeywords = app.KeywordsProvider })
	d.seed()
	d.smsSurvey("int-prov")
	for _, body := range []string{"HELP", "STOP", "help", "4 bad"} {
		if out := d.text(body); out.Reply != "" {
			t.Errorf("%q: cxloop replied %q; the provider answers keywords", body, out.Reply)
		}
	}
	if got := d.sentTo(phone); len(got) != 1 {
		t.Errorf("texts = %+v, want only the survey", got)
	}
	if got := d.responses(); len(got) != 0 {
		t.Errorf("answers stored after STOP: %+v", got)
	}
	r := d.ingest(smsInteraction("int-prov-2", zoneAt(d.now(), 12)))
	if !strings.Contains(r.Text(), `"reason":"opted_out"`) {
		t.Errorf("interaction after STOP: %s, want skipped opted_out", r.Text())
	}
}

// flakyTexter fails its calls until told otherwise, as a provider outage.
type flakyTexter struct {
	app.Texter
	down atomic.Bool
}

func (f *flakyTexter) SendSMS(ctx context.Context, m message.SMS) (string, error) {
	if f.down.Load() {
		return "", errors.New("provider unavailable")
	}
	return f.Texter.SendSMS(ctx, m)
}

// A text's reply is at least once: when it cannot be sent, the provider's
// redelivery of the same text sends it, and does nothing else again.
func TestDevSMSReplyIsSentOnRedelivery(t *testing.T) {
	t.Parallel()
	flaky := &flakyTexter{}
	d := startDevAt(t, t.TempDir(), "127.0.0.1:0", func(o *devserver.Options) {
		o.Wrap = func(deps app.Deps) app.Deps {
			flaky.Texter = deps.Texter
			deps.Texter = flaky
			return deps
		}
	})
	d.seed()
	d.smsSurvey("int-redeliver")
	flaky.down.Store(true)
	in := map[string]string{"from": phone, "body": "3 slow", "message_id": "in-redeliver-1"}
	if r := d.api(http.MethodPost, "/dev/sms", in); r.Status != http.StatusInternalServerError {
		t.Fatalf("text while the provider is down: %s, want 500 so the provider redelivers", r)
	}
	if got := d.responses(); len(got) != 1 || got[0].Score != 3 {
		t.Fatalf("responses = %+v, want the answer stored before the reply failed", got)
	}
	flaky.down.Store(false)
	r := d.api(http.MethodPost, "/dev/sms", in)
	want(t, r, http.StatusOK, "redelivery")
	if out := decodeJSON[smsOutcome](t, r); out.Action != "duplicate" {
		t.Errorf("redelivery: %+v, want duplicate", out)
	}
	texts := d.sentTo(phone)
	if len(texts) != 2 || !strings.HasPrefix(texts[1].BodyText, "Thank you") {
		t.Errorf("texts = %+v, want the survey and the thank-you, once", texts)
	}
	want(t, d.api(http.MethodPost, "/dev/sms", in), http.StatusOK, "third delivery")
	if n := len(d.sentTo(phone)); n != 2 {
		t.Errorf("%d texts after a third delivery, want 2", n)
	}
	if got := d.responses(); len(got) != 1 {
		t.Errorf("responses = %+v, want one", got)
	}
}
