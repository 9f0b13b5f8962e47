package devserver_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The closed loop's "done when", through HTTP only.

type task struct {
	ID    string `json:"id"`
	Owner struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"owner"`
	Owners []struct {
		OwnerID string `json:"owner_id"`
	} `json:"owners"`
	Status    string `json:"status"`
	Level     int    `json:"escalation_level"`
	WithinSLA *bool  `json:"within_sla"`
	Response  struct {
		Score int `json:"score"`
	} `json:"response"`
}

func (d *dev) tasks(query string) []task {
	d.t.Helper()
	if !d.idle() {
		d.t.Fatal("background work not done after 10s")
	}
	r := d.raw(http.MethodGet, "/v1/tasks?"+query, "", apiKey, nil)
	want(d.t, r, http.StatusOK, "GET /v1/tasks?"+query)
	return decodeJSON[struct {
		Tasks []task `json:"tasks"`
	}](d.t, r).Tasks
}

// answerAs sends an interaction for a customer of acme and answers its
// email survey with score through the survey page's form.
func (d *dev) answerAs(interactionID, customerID, email string, score int) {
	d.t.Helper()
	body := emailInteraction(interactionID)
	body["customer"] = map[string]any{"id": customerID, "name": "Ana Lopez", "email": email, "locale": "en-GB", "timezone": "Europe/London"}
	want(d.t, d.ingest(body), http.StatusAccepted, "POST /v1/interactions "+interactionID)
	got := d.sentTo(email)
	if len(got) == 0 {
		d.t.Fatalf("no survey email to %s", email)
	}
	want(d.t, d.postForm(pagePath(scoreLink(got[len(got)-1], score)), answer(score, "it was slow")), http.StatusOK, "answer")
}

// taskLink is the owner's link to the newest task email sent to to.
func (d *dev) taskLink(to string) string {
	d.t.Helper()
	for _, m := range slicesReverse(d.sentTo(to)) {
		for _, l := range m.Links {
			if strings.Contains(l, "/t/") {
				return l
			}
		}
	}
	d.t.Fatalf("no task link in the emails to %s", to)
	return ""
}

func slicesReverse[T any](s []T) []T {
	out := make([]T, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

func subjects(d *dev, to string) []string {
	var out []string
	for _, m := range d.sentTo(to) {
		out = append(out, m.Subject)
	}
	return out
}

func TestLoopUnhappyAnswerAssignsNamedOwner(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	d.answerAs("l-1", "cust-ana", customerEmail, 3)
	open := d.tasks("status=open")
	if len(open) != 1 {
		t.Fatalf("open tasks = %d, want 1", len(open))
	}
	if open[0].Owner.ID != "maria" || open[0].Owner.Name != "María García" || open[0].Response.Score != 3 {
		t.Errorf("task = %+v, want owned by María García for score 3", open[0])
	}
	if got := subjects(d, ownerEmail); len(got) != 1 || !strings.HasPrefix(got[0], "Follow up with Ana Lopez") {
		t.Errorf("owner emails = %q, want one task email", got)
	}
	// Answering again (the person changes their mind) starts no second loop.
	survey := d.sentTo(customerEmail)[0]
	want(t, d.postForm(pagePath(scoreLink(survey, 2)), answer(2, "worse")), http.StatusOK, "change the answer")
	if n := len(d.tasks("status=open")); n != 1 {
		t.Errorf("open tasks after a changed answer = %d, want 1", n)
	}
}

func TestLoopHappyAnswerStartsNothing(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	d.answerAs("l-happy", "cust-ana", customerEmail, 9)
	if n := len(d.tasks("status=open")); n != 0 {
		t.Errorf("open tasks = %d, want none for a happy answer", n)
	}
	if got := subjects(d, ownerEmail); len(got) != 0 {
		t.Errorf("owner emails = %q, want none", got)
	}
}

func TestLoopEscalatesAfterSLAAndClosesWithSignedNote(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	d.answerAs("l-2", "cust-ana", customerEmail, 3)
	d.advance("49h")
	if got := subjects(d, managerEmail); len(got) != 1 || !strings.HasPrefix(got[0], "Escalation:") {
		t.Fatalf("manager emails = %q, want one escalation", got)
	}
	if got := subjects(d, ownerEmail); len(got) != 2 || !strings.HasPrefix(got[1], "Overdue:") {
		t.Fatalf("owner emails = %q, want the task and one reminder", got)
	}
	if od := d.tasks("status=overdue"); len(od) != 1 || od[0].Level != 1 {
		t.Fatalf("overdue tasks = %+v, want one at escalation level 1", od)
	}

	form := url.Values{"action": {"complete"}, "outcome": {"resolved"}, "root_cause": {"slow_response"},
		"notes": {"called her"}, "message_to_customer": {"Ana, we sped up your orders. Sorry for the wait."}}
	want(t, d.postForm(d.taskLink(ownerEmail), form), http.StatusOK, "complete on the task page")

	notes := d.sentTo(customerEmail)
	last := notes[len(notes)-1]
	if !strings.Contains(last.BodyText, "we sped up your orders") || !strings.Contains(last.BodyText, "María García") {
		t.Errorf("customer's last email = %q, want the note signed by María García", last.BodyText)
	}
	done := d.tasks("status=done")
	if len(done) != 1 || done[0].WithinSLA == nil || *done[0].WithinSLA {
		t.Fatalf("done tasks = %+v, want one closed after its SLA", done)
	}
	// Completing twice is harmless: same task, no second note.
	r := d.api(http.MethodPost, "/v1/tasks/"+done[0].ID+"/complete", map[string]any{"outcome": "contacted", "root_cause": "other"})
	want(t, r, http.StatusOK, "complete again")
	if n := len(d.sentTo(customerEmail)); n != len(notes) {
		t.Errorf("customer emails after a second completion = %d, want %d", n, len(notes))
	}
	// The closed loop lets the person be asked again (after the throttle).
	d.advance("721h")
	body := emailInteraction("l-2b")
	r = d.ingest(body)
	want(t, r, http.StatusAccepted, "interaction after the loop closed")
	if !strings.Contains(r.Text(), `"scheduled"`) {
		t.Errorf("interaction after the loop closed = %s, want scheduled", r)
	}
}

func TestLoopAcknowledgeStopsOwnerRemindersNotEscalation(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	d.answerAs("l-ack", "cust-ana", customerEmail, 1)
	want(t, d.postForm(d.taskLink(ownerEmail), url.Values{"action": {"acknowledge"}}), http.StatusOK, "acknowledge")
	d.advance("49h")
	if got := subjects(d, ownerEmail); len(got) != 1 {
		t.Errorf("owner emails = %q, want no reminder after acknowledging", got)
	}
	if got := subjects(d, managerEmail); len(got) != 1 {
		t.Errorf("manager emails = %q, want the escalation still", got)
	}
}

func TestLoopReassignEndsWithNewOwner(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	want(t, d.api(http.MethodPut, "/v1/people/sam", map[string]any{"name": "Sam Okafor", "email": "sam@example.com", "manager_id": "dana", "team": "Support"}), http.StatusCreated, "PUT sam")
	d.answerAs("l-re", "cust-ana", customerEmail, 4)
	id := d.tasks("status=open")[0].ID
	want(t, d.api(http.MethodPost, "/v1/tasks/"+id+"/reassign", map[string]any{"owner_id": "sam", "reason": "Sam knows the account"}), http.StatusOK, "reassign")
	if got := subjects(d, "sam@example.com"); len(got) != 1 || !strings.HasPrefix(got[0], "Follow up with") {
		t.Fatalf("new owner emails = %q, want the task email", got)
	}
	want(t, d.api(http.MethodPost, "/v1/tasks/"+id+"/complete", map[string]any{"outcome": "resolved", "root_cause": "billing"}), http.StatusOK, "complete")
	done := d.tasks("status=done")
	if len(done) != 1 || done[0].Owner.ID != "sam" || len(done[0].Owners) != 2 {
		t.Fatalf("done = %+v, want closed by sam with both holders kept", done)
	}
	// Reassigning to an unknown person changes nothing.
	r := d.api(http.MethodPost, "/v1/tasks/"+id+"/reassign", map[string]any{"owner_id": "nobody", "reason": "x"})
	wantAPIError(t, r, http.StatusBadRequest, "invalid", "owner_id")
}

func TestLoopSurvivesRestartWhileWaiting(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d := startDevAt(t, dir, "127.0.0.1:0")
	d.seed()
	d.answerAs("l-rs", "cust-ana", customerEmail, 2)
	d.Close()

	d = startDevAt(t, dir, "127.0.0.1:0")
	d.advance("49h") // the waiting loop's timer fires after the restart
	if got := subjects(d, managerEmail); len(got) != 1 {
		t.Fatalf("manager emails after restart = %q, want the escalation", got)
	}
	id := d.tasks("status=open")[0].ID
	want(t, d.api(http.MethodPost, "/v1/tasks/"+id+"/complete", map[string]any{"outcome": "resolved", "root_cause": "delivery", "message_to_customer": "Sorted, Ana."}), http.StatusOK, "complete")
	last := d.sentTo(customerEmail)
	if !strings.Contains(last[len(last)-1].BodyText, "Sorted, Ana.") {
		t.Errorf("customer did not get the note after the restart: %q", last[len(last)-1].BodyText)
	}
}

func TestLoopRecoveryCheck(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	d.answerAs("l-rc", "cust-ana", customerEmail, 3)
	id := d.tasks("status=open")[0].ID
	want(t, d.api(http.MethodPost, "/v1/tasks/"+id+"/complete", map[string]any{"outcome": "resolved", "root_cause": "billing", "recovery_check": true}), http.StatusOK, "complete")
	before := len(d.sentTo(customerEmail))
	d.advance("73h")
	got := d.sentTo(customerEmail)
	if len(got) != before+1 {
		t.Fatalf("customer emails = %d, want the recovery check (%d)", len(got), before+1)
	}
	check := got[len(got)-1]
	if !strings.Contains(check.BodyText, "Did María García put things right?") || len(check.Links) != 3 {
		t.Fatalf("recovery email = %q links %v", check.BodyText, check.Links)
	}
	// Yes is the first link; answering it stores no new unhappy loop.
	want(t, d.postForm(pagePath(check.Links[0]), answer(1, "")), http.StatusOK, "answer yes")
	if n := len(d.tasks("status=open")); n != 0 {
		t.Errorf("open tasks after a recovery answer = %d, want 0", n)
	}
}

type closedLoop struct {
	Unhappy         int      `json:"unhappy"`
	Closed          int      `json:"closed"`
	ClosedWithinSLA int      `json:"closed_within_sla"`
	Open            int      `json:"open"`
	CompletionRate  *float64 `json:"completion_rate"`
	SLARate         *float64 `json:"sla_rate"`
}

func (d *dev) report() closedLoop {
	d.t.Helper()
	now := d.now()
	q := url.Values{"from": {now.AddDate(0, 0, -30).Format("2006-01-02")}, "to": {now.AddDate(0, 0, 1).Format("2006-01-02")}}
	r := d.raw(http.MethodGet, "/v1/reports/closed-loop?"+q.Encode(), "", apiKey, nil)
	want(d.t, r, http.StatusOK, "GET /v1/reports/closed-loop")
	return decodeJSON[closedLoop](d.t, r)
}

func TestLoopReportCountsLateAndOnTimeClosures(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	d.answerAs("r-1", "cust-ana", customerEmail, 3)
	d.advance("49h")
	first := d.tasks("status=open")[0].ID
	want(t, d.api(http.MethodPost, "/v1/tasks/"+first+"/complete", map[string]any{"outcome": "resolved", "root_cause": "billing"}), http.StatusOK, "complete late")
	got := d.report()
	if got.Unhappy != 1 || got.Closed != 1 || got.ClosedWithinSLA != 0 || got.CompletionRate == nil || *got.CompletionRate != 1 {
		t.Fatalf("report after one late closure = %+v, want unhappy 1, closed 1, closed_within_sla 0, completion_rate 1", got)
	}
	d.answerAs("r-2", "cust-ben", "ben@acme.example", 2)
	second := d.tasks("status=open")[0].ID
	want(t, d.api(http.MethodPost, "/v1/tasks/"+second+"/complete", map[string]any{"outcome": "resolved", "root_cause": "billing"}), http.StatusOK, "complete in time")
	got = d.report()
	if got.Unhappy != 2 || got.Closed != 2 || got.SLARate == nil || *got.SLARate != 0.5 {
		t.Fatalf("report after a second, timely closure = %+v, want sla_rate 0.5", got)
	}
}
