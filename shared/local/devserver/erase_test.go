package devserver_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/cxloop/cxloop/shared/domain/message"
)

// DELETE /v1/customers/{id} removes the person's personal data from every
// record cxloop keeps, while the leaders' figures stay as they were.
func TestEraseCustomerKeepsFigures(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	d.answerAs("e-1", "cust-ana", customerEmail, 3)
	id := d.tasks("status=open")[0].ID
	want(t, d.api(http.MethodPost, "/v1/tasks/"+id+"/complete", map[string]any{
		"outcome": "resolved", "root_cause": "billing", "notes": "Ana's invoice was wrong", "message_to_customer": "Ana, it is fixed.",
	}), http.StatusOK, "complete")
	before := d.report()

	d.erase()
	if held := d.timelineHolds("Ana Lopez", customerEmail, "it was slow", "invoice was wrong", "it is fixed"); len(held) > 0 {
		t.Errorf("timeline still holds %q after erasure", held)
	}
	after := d.report()
	if after.Unhappy != before.Unhappy || after.Closed != before.Closed || after.ClosedWithinSLA != before.ClosedWithinSLA {
		t.Errorf("report changed by erasure: before %+v, after %+v", before, after)
	}
	got := d.responses()
	if len(got) != 1 || got[0].Score != 3 || got[0].Comment != "" {
		t.Errorf("responses after erasure = %+v, want the score kept and the comment gone", got)
	}
	// Unknown people and bad ids are refused without changing anything.
	want(t, d.raw(http.MethodDelete, "/v1/customers/nobody", "", apiKey, nil), http.StatusNotFound, "erase unknown")
	want(t, d.raw(http.MethodDelete, "/v1/customers/cust-ana", "", "-", nil), http.StatusUnauthorized, "erase without key")
}

// A message logged after the erasure (a loop that was still running: here
// the owner's task link sent again) keeps no personal data either.
func TestEraseCoversMessagesLoggedAfterwards(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	d.answerAs("e-2", "cust-ana", customerEmail, 3)
	id := d.tasks("status=open")[0].ID
	d.erase()
	want(t, d.api(http.MethodPost, "/v1/tasks/"+id+"/link", nil), http.StatusAccepted, "resend the task link")
	if got := d.sentTo(ownerEmail); len(got) != 2 {
		t.Fatalf("owner emails = %d, want the task email twice", len(got))
	}
	if held := d.timelineHolds("Ana Lopez", customerEmail, ownerEmail, "it was slow"); len(held) > 0 {
		t.Errorf("timeline holds %q after erasure", held)
	}
}

// Completing the follow-up of an erased person keeps none of what the
// owner wrote about them.
func TestEraseThenCompleteKeepsNoText(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	d.answerAs("e-3", "cust-ana", customerEmail, 3)
	id := d.tasks("status=open")[0].ID
	d.erase()
	want(t, d.api(http.MethodPost, "/v1/tasks/"+id+"/complete", map[string]any{
		"outcome": "resolved", "root_cause": "billing", "notes": "Ana's invoice was wrong", "message_to_customer": "Ana, it is fixed.",
	}), http.StatusOK, "complete")
	if held := d.timelineHolds("invoice was wrong", "it is fixed"); len(held) > 0 {
		t.Errorf("timeline holds %q after erasure and completion", held)
	}
	if got := d.sentTo(customerEmail); len(got) != 1 {
		t.Errorf("emails to the erased customer = %d, want only the survey sent before", len(got))
	}
}

// The erasure runs once more five minutes later, for records written as
// it ran that the person's timeline did not show yet (DynamoDB's index is
// eventually consistent): here one written straight to the store.
func TestEraseRunsAgainLater(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	d.answerAs("e-4", "cust-ana", customerEmail, 9)
	d.erase()
	late := message.Record{ID: "em-late", Channel: "email", To: customerEmail, Purpose: "survey", Subject: "Ana Lopez", CustomerID: "cust-ana", SentAt: d.now()}
	if err := d.srv.App.Store().Messages.Create(context.Background(), late); err != nil {
		t.Fatal(err)
	}
	if held := d.timelineHolds(customerEmail); len(held) == 0 {
		t.Fatal("the late record is not in the timeline")
	}
	d.advance("5m")
	if held := d.timelineHolds(customerEmail, "Ana Lopez"); len(held) > 0 {
		t.Errorf("timeline still holds %q five minutes after the erasure", held)
	}
}

// erase deletes Ana's personal data through the API.
func (d *dev) erase() {
	d.t.Helper()
	want(d.t, d.raw(http.MethodDelete, "/v1/customers/cust-ana", "", apiKey, nil), http.StatusOK, "DELETE /v1/customers/cust-ana")
}

// timelineHolds lists which of texts Ana's timeline still shows.
func (d *dev) timelineHolds(texts ...string) []string {
	d.t.Helper()
	tl := d.raw(http.MethodGet, "/v1/customers/cust-ana/timeline", "", apiKey, nil)
	want(d.t, tl, http.StatusOK, "timeline")
	var held []string
	for _, text := range texts {
		if strings.Contains(tl.Text(), text) {
			held = append(held, text)
		}
	}
	return held
}

// Every link an erased person was sent stops working, and nothing new
// about them is stored through one: not after the erasure, not after its
// second pass.
func TestEraseRevokesThePersonsLinks(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	m := d.surveyEmail("e-5")
	page, unsub := pagePath(scoreLink(m, 9)), unsubLink(m)
	want(t, d.postForm(page, answer(9, "fine")), http.StatusOK, "answer before the erasure")
	d.erase()
	for _, pass := range []string{"after the erasure", "after its second pass"} {
		for _, link := range []string{scoreLink(m, 2), page} {
			if r := d.get(link); r.Status != http.StatusNotFound {
				t.Errorf("%s: GET %s = %d, want 404", pass, link, r.Status)
			}
		}
		if r := d.postForm(page, answer(2, "Ana Lopez, 12 Rue de la Paix")); r.Status != http.StatusNotFound {
			t.Errorf("%s: POST the survey form = %d, want 404", pass, r.Status)
		}
		if r := d.get(unsub); r.Status != http.StatusNotFound {
			t.Errorf("%s: GET the unsubscribe link = %d, want 404", pass, r.Status)
		}
		if r := d.postForm(unsub, map[string][]string{"List-Unsubscribe": {"One-Click"}}); r.Status != http.StatusNotFound {
			t.Errorf("%s: one-click unsubscribe POST = %d, want 404", pass, r.Status)
		}
		if got := d.responses(); len(got) != 1 || got[0].Score != 9 || got[0].Comment != "" {
			t.Errorf("%s: responses = %+v, want the one score, no comment", pass, got)
		}
		if held := d.timelineHolds("Rue de la Paix"); len(held) > 0 {
			t.Errorf("%s: timeline holds %q", pass, held)
		}
		d.advance("6m")
	}
	if n := len(d.tasks("status=open")); n != 0 {
		t.Errorf("%d open follow-ups: a revoked link started a loop", n)
	}
}
