package devserver_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Who may act on a follow-up, and who did: through the emailed links and
// the API only.

type action struct {
	At     time.Time `json:"at"`
	Action string    `json:"action"`
	By     struct {
		PersonID string `json:"person_id"`
		Name     string `json:"name"`
		Via      string `json:"via"`
	} `json:"by"`
}

type taskDetail struct {
	ID       string    `json:"id"`
	Status   string    `json:"status"`
	DueAt    time.Time `json:"due_at"`
	Level    int       `json:"escalation_level"`
	Response struct {
		Score   int `json:"score"`
		Changes []struct {
			From int `json:"from"`
			To   int `json:"to"`
		} `json:"changes"`
	} `json:"response"`
	Owner struct {
		ID string `json:"id"`
	} `json:"owner"`
	Actions []action `json:"actions"`
}

func (d *dev) task(id string) taskDetail {
	d.t.Helper()
	if !d.idle() {
		d.t.Fatal("background work not done after 10s")
	}
	r := d.raw(http.MethodGet, "/v1/tasks/"+id, "", apiKey, nil)
	want(d.t, r, http.StatusOK, "GET /v1/tasks/"+id)
	return decodeJSON[taskDetail](d.t, r)
}

func actionsOf(t taskDetail, kind string) []action {
	var out []action
	for _, a := range t.Actions {
		if a.Action == kind {
			out = append(out, a)
		}
	}
	return out
}

func completeForm(note string) url.Values {
	return url.Values{"action": {"complete"}, "outcome": {"resolved"}, "root_cause": {"slow_response"}, "notes": {"called"}, "message_to_customer": {note}}
}

func TestTaskLinkActsOnlyForItsHolder(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	want(t, d.api(http.MethodPut, "/v1/people/sam", map[string]any{"name": "Sam Okafor", "email": "sam@example.com", "team": "Support"}), http.StatusCreated, "PUT sam")
	d.answerAs("h-1", "cust-ana", customerEmail, 2)
	id := d.tasks("status=open")[0].ID
	mariaLink := d.taskLink(ownerEmail)
	want(t, d.api(http.MethodPost, "/v1/tasks/"+id+"/reassign", map[string]any{"owner_id": "sam", "reason": "Sam knows the account"}), http.StatusOK, "reassign")
	samLink := d.taskLink("sam@example.com")

	// María's old link shows who holds the task now and offers no form.
	page := d.get(mariaLink)
	want(t, page, http.StatusOK, "GET the former owner's link")
	if !strings.Contains(page.Text(), "Sam Okafor holds this follow-up now") || strings.Contains(page.Text(), `value="complete"`) {
		t.Errorf("former owner's page does not say who holds it, or still offers the forms:\n%s", page.Text())
	}
	// ... and every action through it is refused, changing nothing.
	for _, form := range []url.Values{completeForm("Signed by the wrong person"), {"action": {"acknowledge"}}, {"action": {"reassign"}, "owner_id": {"maria"}, "reason": {"mine"}}} {
		r := d.postForm(mariaLink, form)
		if r.Status != http.StatusConflict || !strings.Contains(r.Text(), "held by Sam Okafor") {
			t.Errorf("%s through the former owner's link: got %d, want 409 naming the holder:\n%s", form.Get("action"), r.Status, r.Text())
		}
	}
	if got := d.task(id); got.Status != "open" || got.Owner.ID != "sam" || len(actionsOf(got, "acknowledged")) != 0 {
		t.Fatalf("task after the refused actions = %+v, want open, held by sam, unacknowledged", got)
	}
	for _, m := range d.sentTo(customerEmail) {
		if strings.Contains(m.BodyText, "Signed by the wrong person") {
			t.Fatal("a refused completion sent its note")
		}
	}

	// Sam's own link completes it, and the note is signed by Sam.
	want(t, d.postForm(samLink, completeForm("Ana, it is fixed.")), http.StatusOK, "complete through the holder's link")
	notes := d.sentTo(customerEmail)
	if last := notes[len(notes)-1]; !strings.Contains(last.BodyText, "Ana, it is fixed.") || !strings.Contains(last.BodyText, "Sam Okafor") || strings.Contains(last.BodyText, "María") {
		t.Errorf("note = %q, want it signed by Sam Okafor", last.BodyText)
	} else if last.ReplyTo != "sam@example.com" {
		t.Errorf("note Reply-To = %q, want sam@example.com: a reply reaches the person who wrote it", last.ReplyTo)
	}
	got := d.task(id)
	re, done := actionsOf(got, "reassigned"), actionsOf(got, "completed")
	if len(re) != 1 || re[0].By.Via != "api" || len(done) != 1 || done[0].By.PersonID != "sam" || done[0].By.Via != "link" {
		t.Errorf("actions = %+v, want the reassignment by the API client and the completion by sam through his link", got.Actions)
	}
}

func TestManagerActsFromEscalationAsThemselves(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	d.answerAs("h-2", "cust-ana", customerEmail, 1)
	id := d.tasks("status=open")[0].ID
	d.advance("49h")
	danaLink := d.taskLink(managerEmail)
	if danaLink == d.taskLink(ownerEmail) {
		t.Fatal("the escalation email carries the owner's own link")
	}
	want(t, d.postForm(danaLink, url.Values{"action": {"acknowledge"}}), http.StatusOK, "acknowledge from the escalation")
	want(t, d.postForm(danaLink, completeForm("Ana, I am María's manager: we fixed it.")), http.StatusOK, "complete from the escalation")
	got := d.task(id)
	for _, kind := range []string{"acknowledged", "completed"} {
		if a := actionsOf(got, kind); len(a) != 1 || a[0].By.PersonID != "dana" || a[0].By.Name != "Dana Whitfield" {
			t.Errorf("%s actions = %+v, want one by Dana, the manager", kind, a)
		}
	}
	if got.Owner.ID != "maria" {
		t.Errorf("owner = %s; a manager acting keeps the owner as holder", got.Owner.ID)
	}
	notes := d.sentTo(customerEmail)
	if last := notes[len(notes)-1]; !strings.Contains(last.BodyText, "Dana Whitfield") {
		t.Errorf("note = %q, want it signed by Dana, who wrote it", last.BodyText)
	}
}

func TestEscalationNeverBeforeDue(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	d.answerAs("h-3", "cust-ana", customerEmail, 0)
	id := d.tasks("status=open")[0].ID
	// A clock jump stops at each timer: the escalation runs at its
	// timeout's instant, which must not come before the due time.
	d.advance("49h")
	got := d.task(id)
	esc := actionsOf(got, "escalated")
	if len(esc) != 1 {
		t.Fatalf("escalations = %+v, want one after the SLA", got.Actions)
	}
	if esc[0].At.Before(got.DueAt) {
		t.Errorf("escalated at %s, before the due time %s", esc[0].At.Format(time.RFC3339Nano), got.DueAt.Format(time.RFC3339Nano))
	}
}

func TestTaskShowsTheAnswerAsItIsNow(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	m := d.surveyEmail("h-4")
	form := pagePath(scoreLink(m, 2))
	want(t, d.postForm(form, answer(2, "slow")), http.StatusOK, "first answer")
	want(t, d.postForm(form, answer(10, "all good now")), http.StatusOK, "changed answer")
	id := d.tasks("status=open")[0].ID
	got := d.task(id)
	if got.Response.Score != 10 || len(got.Response.Changes) != 1 || got.Response.Changes[0].From != 2 || got.Response.Changes[0].To != 10 {
		t.Fatalf("task response = %+v, want score 10 changed from 2", got.Response)
	}
	page := d.get(d.taskLink(ownerEmail))
	want(t, page, http.StatusOK, "task page")
	if !strings.Contains(page.Text(), "10 / 10") || !strings.Contains(page.Text(), "changed their answer from 2 / 10") {
		t.Errorf("task page does not show the current answer and the change:\n%s", page.Text())
	}
	// Whether the owner was told before or after the change, what they
	// last read is the answer as it is now.
	staff := d.sentTo(ownerEmail)
	if len(staff) == 0 || !strings.Contains(staff[len(staff)-1].BodyText, "10 / 10") {
		t.Fatalf("owner's emails = %+v, want the latest to show 10 / 10", staff)
	}
	if !strings.Contains(staff[len(staff)-1].BodyText, "changed their answer") {
		t.Errorf("owner's latest email does not mention the change: %q", staff[len(staff)-1].BodyText)
	}
}
