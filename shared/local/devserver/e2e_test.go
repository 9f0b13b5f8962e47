package devserver_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Through HTTP only: a person and an account are created, and an email
// interaction puts an NPS email with 11 score links and an unsubscribe
// link into the outbox.
func TestDevEmailInteractionSendsNPSEmail(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	// PUT is create-or-replace: the second time is 200.
	want(t, d.api(http.MethodPut, "/v1/accounts/acme", map[string]any{"name": "Acme Logistics", "owner_id": "maria"}), http.StatusOK, "PUT acme again")

	r := d.ingest(emailInteraction("int-1"))
	want(t, r, http.StatusAccepted, "POST /v1/interactions")
	body := decodeJSON[map[string]any](t, r)
	if len(body) != 2 || body["status"] != "scheduled" || !strings.HasPrefix(fmt.Sprint(body["survey_id"]), "sv_") {
		t.Fatalf("body = %s, want {\"survey_id\":\"sv_…\",\"status\":\"scheduled\"}", r.Body)
	}

	box := d.outbox()
	if len(box) != 1 {
		t.Fatalf("outbox has %d messages, want 1", len(box))
	}
	m := box[0]
	if m.Channel != "email" || m.To != customerEmail || m.Subject != "A quick question from Example Co" {
		t.Errorf("message = %+v", m)
	}
	if len(m.Links) != 12 {
		t.Fatalf("links = %v, want 11 score links and the unsubscribe link", m.Links)
	}
	surveyPage := pagePath(m.Links[0])
	if !strings.HasPrefix(surveyPage, d.URL+"/s/") {
		t.Errorf("score link %q is not an absolute survey link on %s", m.Links[0], d.URL)
	}
	for n := 0; n <= 10; n++ {
		if link := fmt.Sprintf("%s?score=%d", surveyPage, n); m.Links[n] != link {
			t.Errorf("link %d = %q, want %q", n, m.Links[n], link)
		}
	}
	unsub := unsubLink(m)
	if !strings.HasPrefix(unsub, d.URL+"/u/") {
		t.Errorf("last link %q is not the unsubscribe link", unsub)
	}
	if got := m.Headers["List-Unsubscribe"]; got != "<"+unsub+">" {
		t.Errorf("List-Unsubscribe = %q, want <%s>", got, unsub)
	}
	if got := m.Headers["List-Unsubscribe-Post"]; got != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post = %q", got)
	}
	if !strings.Contains(m.BodyText, "Hi Ana,") {
		t.Errorf("body does not greet Ana:\n%s", m.BodyText)
	}
	if got := d.responses(); len(got) != 0 {
		t.Errorf("responses before any answer: %+v", got)
	}
	// The survey page opens without a score and records nothing.
	page := d.get(surveyPage)
	want(t, page, http.StatusOK, "GET survey page")
	if !strings.Contains(page.Text(), "How likely are you to recommend Example Co") {
		t.Errorf("survey page lacks the question:\n%s", page.Text())
	}
}

// Opening the score-3 link and then sending the form with 5 leaves exactly
// one answer, with score 5.
func TestDevScoreLinkThenFormStoresOneAnswer(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	m := d.surveyEmail("int-1")

	page := d.get(scoreLink(m, 3))
	want(t, page, http.StatusOK, "GET score-3 link")
	if !strings.Contains(page.Text(), `value="3" checked`) {
		t.Errorf("page does not preselect 3:\n%s", page.Text())
	}
	if got := d.responses(); len(got) != 0 {
		t.Fatalf("a link click alone stored %+v; it is provisional", got)
	}

	done := d.postForm(pagePath(scoreLink(m, 3)), answer(5, "the reply took two days"))
	want(t, done, http.StatusOK, "POST survey form")
	if !strings.Contains(done.Text(), "Thank you") {
		t.Errorf("no thanks after sending:\n%s", done.Text())
	}
	check := func(when string) {
		t.Helper()
		got := d.responses()
		if len(got) != 1 {
			t.Fatalf("%s: %d responses, want 1: %+v", when, len(got), got)
		}
		r := got[0]
		if r.Score != 5 || r.Comment != "the reply took two days" || r.Source != "form" || r.Survey != "nps" ||
			r.CustomerID != "cust-ana" || !r.Unhappy {
			t.Errorf("%s: response = %+v", when, r)
		}
	}
	check("after the form")
	// The earlier click on 3 must never settle over the final answer.
	d.advance("1h")
	check("an hour later")
}

// A single score link left alone is an answer after 10 minutes, not 9.
func TestDevLoneClickSettlesAfterTenMinutes(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	m := d.surveyEmail("int-1")

	want(t, d.get(scoreLink(m, 8)), http.StatusOK, "GET score-8 link")
	d.advance("9m")
	if got := d.responses(); len(got) != 0 {
		t.Fatalf("after 9m: %+v; a lone click settles only after 10 minutes", got)
	}
	d.advance("1m")
	got := d.responses()
	if len(got) != 1 || got[0].Score != 8 || got[0].Source != "click" || got[0].Unhappy || got[0].Comment != "" {
		t.Fatalf("after 10m: %+v, want one answer 8 from the click", got)
	}
	// Nothing more happens to it.
	d.advance("1h")
	if got := d.responses(); len(got) != 1 || got[0].Score != 8 {
		t.Fatalf("an hour later: %+v", got)
	}
	// A happy answer starts no follow-up.
	if got := d.sentTo(ownerEmail); len(got) != 0 {
		t.Errorf("a happy answer sent the owner %+v", got)
	}
}

// A mail scanner fetching all 11 links at once records no answer.
func TestDevScannerRecordsNoAnswer(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	m := d.surveyEmail("int-1")

	for n := 0; n <= 10; n++ {
		want(t, d.get(scoreLink(m, n)), http.StatusOK, fmt.Sprintf("GET score-%d link", n))
	}
	d.advance("1h")
	if got := d.responses(); len(got) != 0 {
		t.Fatalf("scanner clicks stored %+v", got)
	}
	d.advance("2h")
	if got := d.responses(); len(got) != 0 {
		t.Fatalf("scanner clicks stored %+v later", got)
	}
	if got := d.sentTo(ownerEmail); len(got) != 0 {
		t.Errorf("scanner clicks started a follow-up: %+v", got)
	}
	// The person can still answer for real.
	want(t, d.postForm(pagePath(scoreLink(m, 0)), answer(9, "")), http.StatusOK, "POST after scanner")
	if got := d.responses(); len(got) != 1 || got[0].Score != 9 {
		t.Fatalf("answer after scanner: %+v", got)
	}
}

// Replaying the interaction id returns 200 with the same body, and sends nothing.
func TestDevReplayedInteractionSameBody(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	first := d.ingest(emailInteraction("int-1"))
	want(t, first, http.StatusAccepted, "first POST")
	again := d.ingest(emailInteraction("int-1"))
	want(t, again, http.StatusOK, "replayed POST")
	if string(again.Body) != string(first.Body) {
		t.Errorf("replay body %s, want %s", again.Body, first.Body)
	}
	// Even with other details, the id decides.
	changed := emailInteraction("int-1")
	changed["survey"] = "csat"
	third := d.ingest(changed)
	want(t, third, http.StatusOK, "replay with changed body")
	if string(third.Body) != string(first.Body) {
		t.Errorf("replay body %s, want %s", third.Body, first.Body)
	}
	if got := d.outbox(); len(got) != 1 {
		t.Errorf("replays sent more: %d messages", len(got))
	}
}

// A second interaction for the same person within 30 days is skipped.
func TestDevSecondInteractionThrottled(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	d.surveyEmail("int-1")
	d.advance("24h")

	r := d.ingest(emailInteraction("int-2"))
	want(t, r, http.StatusAccepted, "second interaction")
	if got := strings.TrimSpace(r.Text()); got != `{"status":"skipped","reason":"throttled"}` {
		t.Errorf("body = %s, want {\"status\":\"skipped\",\"reason\":\"throttled\"}", got)
	}
	// Its replay gives the same skip.
	again := d.ingest(emailInteraction("int-2"))
	want(t, again, http.StatusOK, "replayed skip")
	if string(again.Body) != string(r.Body) {
		t.Errorf("replayed skip %s, want %s", again.Body, r.Body)
	}
	if got := d.sentTo(customerEmail); len(got) != 1 {
		t.Errorf("%d emails to the customer, want only the first survey", len(got))
	}
}

// RFC 8058 one-click unsubscribe: the next interaction (after the throttle
// window) is skipped as opted_out.
func TestDevOneClickUnsubscribe(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	m := d.surveyEmail("int-1")

	r := d.raw(http.MethodPost, unsubLink(m), "application/x-www-form-urlencoded", "-", []byte("List-Unsubscribe=One-Click"))
	want(t, r, http.StatusOK, "one-click unsubscribe")
	// The page now says it is done.
	page := d.get(unsubLink(m))
	want(t, page, http.StatusOK, "GET unsubscribe page")
	if !strings.Contains(page.Text(), "You will not get surveys from Example Co again") {
		t.Errorf("unsubscribe page after POST:\n%s", page.Text())
	}
	// Unsubscribing twice is fine.
	want(t, d.raw(http.MethodPost, unsubLink(m), "application/x-www-form-urlencoded", "-", []byte("List-Unsubscribe=One-Click")), http.StatusOK, "second one-click")

	d.advance("721h")
	next := d.ingest(emailInteraction("int-2"))
	want(t, next, http.StatusAccepted, "interaction after unsubscribing")
	if got := strings.TrimSpace(next.Text()); got != `{"status":"skipped","reason":"opted_out"}` {
		t.Errorf("body = %s, want skipped opted_out", got)
	}
	for _, msg := range d.sentTo(customerEmail) {
		if !strings.Contains(msg.Subject, "A quick question") {
			t.Errorf("unexpected email to the customer: %q", msg.Subject)
		}
		if strings.HasPrefix(msg.Subject, "Reminder") {
			t.Errorf("an unsubscribed person got a reminder: %q", msg.Subject)
		}
	}
}

// Opening the unsubscribe page (GET) does not opt out:
// only the POST does (link prefetchers issue GETs).
func TestDevUnsubscribeGETChangesNothing(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	m := d.surveyEmail("int-1")
	page := d.get(unsubLink(m))
	want(t, page, http.StatusOK, "GET unsubscribe page")
	if !strings.Contains(page.Text(), `<form method="post">`) {
		t.Errorf("unsubscribe page has no confirm form:\n%s", page.Text())
	}
	d.advance("721h")
	r := d.ingest(emailInteraction("int-2"))
	want(t, r, http.StatusAccepted, "interaction after GET unsubscribe")
	if !strings.Contains(r.Text(), `"status":"scheduled"`) {
		t.Errorf("GET of the unsubscribe page opted out: %s", r.Text())
	}
}

// An unhappy answer sends the account owner a follow-up task; a happy one does not.
func TestDevUnhappyAnswerNotifiesOwner(t *testing.T) {
	t.Parallel()
	tests := []struct {
		score int
		task  bool
	}{{3, true}, {6, true}, {7, false}, {9, false}}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.score), func(t *testing.T) {
			t.Parallel()
			d := startDev(t)
			d.seed()
			m := d.surveyEmail("int-1")
			want(t, d.postForm(pagePath(scoreLink(m, 0)), answer(tt.score, "comment for the owner")), http.StatusOK, "POST answer")

			tasks := d.sentTo(ownerEmail)
			if !tt.task {
				if len(tasks) != 0 {
					t.Fatalf("a happy answer (%d) sent the owner %+v", tt.score, tasks)
				}
				return
			}
			if len(tasks) != 1 {
				t.Fatalf("owner got %d emails, want 1 follow-up task: %+v", len(tasks), tasks)
			}
			task := tasks[0]
			if !strings.HasPrefix(task.Subject, "Follow up with Ana Lopez by ") {
				t.Errorf("task subject = %q", task.Subject)
			}
			if !strings.Contains(task.BodyText, "Hi María,") || !strings.Contains(task.BodyText, fmt.Sprintf("%d / 10", tt.score)) ||
				!strings.Contains(task.BodyText, "comment for the owner") {
				t.Errorf("task body:\n%s", task.BodyText)
			}
			if len(task.Links) != 1 || !strings.HasPrefix(task.Links[0], d.URL+"/t/") {
				t.Errorf("task links = %v, want one /t/ link", task.Links)
			}
			// Sending the same answer again starts no second loop.
			want(t, d.postForm(pagePath(scoreLink(m, 0)), answer(tt.score, "again")), http.StatusOK, "POST answer again")
			if got := d.sentTo(ownerEmail); len(got) != 1 {
				t.Errorf("owner got %d emails after the answer was sent twice, want 1", len(got))
			}
			// The person has an open follow-up: no new survey, even after the throttle window.
			d.advance("721h")
			r := d.ingest(emailInteraction("int-2"))
			want(t, r, http.StatusAccepted, "interaction with an open follow-up")
			if got := strings.TrimSpace(r.Text()); got != `{"status":"skipped","reason":"open_follow_up"}` {
				t.Errorf("body = %s, want skipped open_follow_up", got)
			}
		})
	}
}

// A final answer can be changed: still one response, with the latest score.
func TestDevAnswerCanBeChanged(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	m := d.surveyEmail("int-1")
	form := pagePath(scoreLink(m, 0))

	want(t, d.postForm(form, answer(9, "great")), http.StatusOK, "first answer")
	d.advance("5m")
	want(t, d.postForm(form, answer(4, "actually, not great")), http.StatusOK, "changed answer")
	got := d.responses()
	if len(got) != 1 || got[0].Score != 4 || got[0].Comment != "actually, not great" || !got[0].Unhappy {
		t.Fatalf("responses = %+v, want one, score 4", got)
	}
	first := got[0]
	want(t, d.postForm(form, answer(10, "")), http.StatusOK, "changed again")
	got = d.responses()
	if len(got) != 1 || got[0].Score != 10 || got[0].ID != first.ID || got[0].Comment != "" {
		t.Fatalf("responses = %+v, want one, score 10, same id", got)
	}
	// Once a loop started it runs to the end: the answer stays counted as unhappy.
	if !got[0].Unhappy {
		t.Errorf("changing an unhappy answer to 10 dropped its open loop: %+v", got[0])
	}
	// The page shows the current answer.
	page := d.get(form)
	want(t, page, http.StatusOK, "survey page")
	if !strings.Contains(page.Text(), `value="10" checked`) {
		t.Errorf("page does not show the current answer 10:\n%s", page.Text())
	}
	// A score link after the final answer changes nothing.
	want(t, d.get(scoreLink(m, 2)), http.StatusOK, "score link after answer")
	d.advance("11m")
	if got := d.responses(); len(got) != 1 || got[0].Score != 10 {
		t.Fatalf("a later click changed the final answer: %+v", got)
	}
}

// Out-of-range and missing scores are refused on the page, and nothing is stored.
func TestDevFormRefusesBadScore(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	m := d.surveyEmail("int-1")
	form := pagePath(scoreLink(m, 0))
	for _, f := range []url.Values{
		{"score": {"11"}},
		{"score": {"-1"}},
		{"score": {"seven"}},
		{"comment": {"no score"}},
		{"score": {"5"}, "comment": {strings.Repeat("x", 2001)}},
	} {
		r := d.postForm(form, f)
		if r.Status != http.StatusBadRequest {
			t.Errorf("POST %v: %d, want 400", f, r.Status)
		}
	}
	if got := d.responses(); len(got) != 0 {
		t.Fatalf("bad forms stored %+v", got)
	}
}

// One reminder after 3 days, never a second; after 14 days the survey
// closes and an answer is refused politely.
func TestDevReminderAndExpiry(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	m := d.surveyEmail("int-1")

	d.advance("71h")
	if got := d.sentTo(customerEmail); len(got) != 1 {
		t.Fatalf("after 71h: %d emails, want no reminder yet", len(got))
	}
	d.advance("2h")
	got := d.sentTo(customerEmail)
	if len(got) != 2 {
		t.Fatalf("after 73h: %d emails to the customer, want the survey and one reminder", len(got))
	}
	rem := got[1]
	if !strings.Contains(rem.Subject, "Reminder") || len(rem.Links) != 12 {
		t.Errorf("reminder = %q with %d links", rem.Subject, len(rem.Links))
	}
	d.advance("73h")
	d.advance("73h")
	if got := d.sentTo(customerEmail); len(got) != 2 {
		t.Fatalf("a second reminder was sent: %d emails", len(got))
	}

	d.advance("120h") // 339h after sending: past the 14-day expiry
	for _, link := range []string{scoreLink(m, 9), scoreLink(rem, 9)} {
		page := d.get(link)
		want(t, page, http.StatusOK, "score link after expiry")
		if !strings.Contains(page.Text(), "This survey has closed") {
			t.Errorf("expired survey page does not say it closed:\n%s", page.Text())
		}
	}
	r := d.postForm(pagePath(scoreLink(m, 9)), answer(9, "late"))
	if r.Status != http.StatusConflict || !strings.Contains(r.Text(), "This survey has closed") {
		t.Errorf("answer after expiry: %d, want 409 with the closed page:\n%s", r.Status, r.Text())
	}
	d.advance("11m")
	if got := d.responses(); len(got) != 0 {
		t.Fatalf("answers after expiry were stored: %+v", got)
	}
}

// A reminder goes only to those who did not answer.
func TestDevNoReminderAfterAnswer(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	m := d.surveyEmail("int-1")
	want(t, d.postForm(pagePath(scoreLink(m, 0)), answer(8, "")), http.StatusOK, "answer")
	d.advance("73h")
	if got := d.sentTo(customerEmail); len(got) != 1 {
		t.Fatalf("%d emails to a person who answered, want no reminder", len(got))
	}
}
