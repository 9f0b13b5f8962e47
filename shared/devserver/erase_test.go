package devserver_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/cxloop/cxloop/shared/message"
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

	r := d.raw(http.MethodDelete, "/v1/customers/cust-ana", "", apiKey, nil)
	want(t, r, http.StatusOK, "DELETE /v1/customers/cust-ana")

	tl := d.raw(http.MethodGet, "/v1/customers/cust-ana/timeline", "", apiKey, nil)
	want(t, tl, http.StatusOK, "timeline after erasure")
	for _, personal := range []string{"Ana Lopez", customerEmail, "it was slow", "invoice was wrong", "it is fixed"} {
		if strings.Contains(tl.Text(), personal) {
			t.Errorf("timeline still holds %q after erasure", personal)
		}
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
	want(t, d.raw(http.MethodDelete, "/v1/customers/cust-ana", "", apiKey, nil), http.StatusOK, "DELETE /v1/customers/cust-ana")
	want(t, d.api(http.MethodPost, "/v1/tasks/"+id+"/link", nil), http.StatusAccepted, "resend the task link")
	if got := d.sentTo(ownerEmail); len(got) != 2 {
		t.Fatalf("owner emails = %d, want the task email twice", len(got))
	}
	tl := d.raw(http.MethodGet, "/v1/customers/cust-ana/timeline", "", apiKey, nil)
	want(t, tl, http.StatusOK, "timeline after erasure")
	for _, personal := range []string{"Ana Lopez", customerEmail, ownerEmail, "it was slow"} {
		if strings.Contains(tl.Text(), personal) {
			t.Errorf("timeline holds %q after erasure: %s", personal, tl.Text())
		}
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
	want(t, d.raw(http.MethodDelete, "/v1/customers/cust-ana", "", apiKey, nil), http.StatusOK, "DELETE /v1/customers/cust-ana")
	want(t, d.api(http.MethodPost, "/v1/tasks/"+id+"/complete", map[string]any{
		"outcome": "resolved", "root_cause": "billing", "notes": "Ana's invoice was wrong", "message_to_customer": "Ana, it is fixed.",
	}), http.StatusOK, "complete")
	tl := d.raw(http.MethodGet, "/v1/customers/cust-ana/timeline", "", apiKey, nil)
	want(t, tl, http.StatusOK, "timeline")
	for _, personal := range []string{"invoice was wrong", "it is fixed"} {
		if strings.Contains(tl.Text(), personal) {
			t.Errorf("timeline holds %q after erasure and completion", personal)
		}
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
	want(t, d.raw(http.MethodDelete, "/v1/customers/cust-ana", "", apiKey, nil), http.StatusOK, "DELETE /v1/customers/cust-ana")
	late := message.Record{ID: "em-late", Channel: "email", To: customerEmail, Purpose: "survey", Subject: "Ana Lopez", CustomerID: "cust-ana", SentAt: d.now()}
	if err := d.srv.App.Store().Messages.Create(context.Background(), late); err != nil {
		t.Fatal(err)
	}
	timeline := func() string {
		r := d.raw(http.MethodGet, "/v1/customers/cust-ana/timeline", "", apiKey, nil)
		want(t, r, http.StatusOK, "timeline")
		return r.Text()
	}
	if !strings.Contains(timeline(), customerEmail) {
		t.Fatal("the late record is not in the timeline")
	}
	d.advance("5m")
	if tl := timeline(); strings.Contains(tl, customerEmail) || strings.Contains(tl, "Ana Lopez") {
		t.Errorf("timeline still holds personal data five minutes after the erasure: %s", tl)
	}
}
