package devserver_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// After a restart on the same data dir (and address), the people, account,
// responses, outbox and clock are all still there, the old links still
// work, and the open follow-up resumes.
func TestDevRestartLosesNothing(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	first := d.ingest(emailInteraction("int-1"))
	want(t, first, http.StatusAccepted, "interaction")
	m := d.outbox()[0]
	want(t, d.postForm(pagePath(scoreLink(m, 0)), answer(3, "nobody called back")), http.StatusOK, "answer 3")
	d.advance("2h")
	before := d.outbox()
	beforeResponses := d.responses()
	beforeNow := d.now()
	if len(before) != 2 || len(beforeResponses) != 1 {
		t.Fatalf("before restart: %d messages, %d responses; want survey + task, one answer", len(before), len(beforeResponses))
	}

	addr := strings.TrimPrefix(d.URL, "http://")
	d.Close()
	// Restart on the same address, so the absolute links in the outbox are
	// the ones a person would click. If the port was taken meanwhile, use
	// another and rewrite the links' origin.
	d2, err := tryStartDevAt(t, d.Dir, addr)
	if err != nil {
		t.Logf("port %s taken after close (%v); restarting on another", addr, err)
		d2 = startDevAt(t, d.Dir, "127.0.0.1:0")
	}
	link := func(s string) string { return strings.Replace(s, d.URL, d2.URL, 1) }

	// The clock did not go back.
	if now := d2.now(); now.Before(beforeNow) {
		t.Errorf("virtual time went back from %s to %s", beforeNow, now)
	}
	// The outbox and responses are as they were.
	after := d2.outbox()
	if len(after) != len(before) {
		t.Fatalf("outbox after restart: %d messages, want %d", len(after), len(before))
	}
	for i := range before {
		if after[i].ID != before[i].ID || after[i].Subject != before[i].Subject || strings.Join(after[i].Links, " ") != strings.Join(before[i].Links, " ") {
			t.Errorf("message %d changed: %+v → %+v", i, before[i], after[i])
		}
	}
	got := d2.responses()
	if len(got) != 1 || got[0] != beforeResponses[0] {
		t.Fatalf("responses after restart: %+v, want %+v", got, beforeResponses)
	}
	// People and account exist: PUT replaces (200), and an interaction resolves the owner.
	want(t, d2.api(http.MethodPut, "/v1/people/maria", map[string]any{"name": "María García", "email": ownerEmail, "manager_id": "dana"}), http.StatusOK, "PUT maria after restart")
	want(t, d2.api(http.MethodPut, "/v1/accounts/acme", map[string]any{"name": "Acme Logistics", "owner_id": "maria"}), http.StatusOK, "PUT acme after restart")
	other := emailInteraction("int-other")
	other["customer"] = map[string]any{"id": "cust-ben", "name": "Ben Carter", "email": "ben@acme.example"}
	want(t, d2.ingest(other), http.StatusAccepted, "interaction for another customer of acme after restart")
	// The interaction is remembered.
	replay := d2.ingest(emailInteraction("int-1"))
	want(t, replay, http.StatusOK, "replay after restart")
	if string(replay.Body) != string(first.Body) {
		t.Errorf("replay after restart %s, want %s", replay.Body, first.Body)
	}

	// The old links still work.
	page := d2.get(link(pagePath(scoreLink(m, 0))))
	want(t, page, http.StatusOK, "old survey link")
	if !strings.Contains(page.Text(), `value="3" checked`) {
		t.Errorf("old link does not show the stored answer 3:\n%s", page.Text())
	}
	want(t, d2.postForm(link(pagePath(scoreLink(m, 0))), answer(4, "still waiting")), http.StatusOK, "change answer by the old link")
	if got := d2.responses(); len(got) != 1 || got[0].Score != 4 {
		t.Fatalf("after changing by the old link: %+v", got)
	}
	want(t, d2.get(link(scoreLink(m, 9))), http.StatusOK, "old score link")
	want(t, d2.get(link(unsubLink(m))), http.StatusOK, "old unsubscribe link")

	// The open loop resumed: past the 48h SLA the owner is reminded and the manager told.
	d2.advance("48h")
	var overdue, escalation bool
	for _, msg := range d2.outbox() {
		overdue = overdue || msg.To == ownerEmail && strings.HasPrefix(msg.Subject, "Overdue:")
		escalation = escalation || msg.To == managerEmail && strings.HasPrefix(msg.Subject, "Escalation:")
	}
	if !overdue || !escalation {
		t.Errorf("after the SLA: owner reminder %v, manager escalation %v; the loop did not resume", overdue, escalation)
	}
}

// The overdue follow-up escalates without a restart too (baseline for the test above).
func TestDevOverdueFollowUpEscalates(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	m := d.surveyEmail("int-1")
	want(t, d.postForm(pagePath(scoreLink(m, 0)), answer(2, "")), http.StatusOK, "answer 2")
	d.advance("47h")
	if got := d.sentTo(managerEmail); len(got) != 0 {
		t.Fatalf("escalated before the 48h SLA: %+v", got)
	}
	d.advance("2h")
	got := d.sentTo(managerEmail)
	if len(got) != 1 || !strings.HasPrefix(got[0].Subject, "Escalation:") {
		t.Fatalf("manager emails after 49h: %+v, want one escalation", got)
	}
	if owner := d.sentTo(ownerEmail); len(owner) != 2 || !strings.HasPrefix(owner[1].Subject, "Overdue:") {
		t.Errorf("owner emails: %+v, want the task and an overdue reminder", owner)
	}
}

// A data directory in the store's earlier format (one journal file), as
// `cxloop dev --demo` wrote it before the store moved to Pebble, is
// converted on start: everything in it is there, its links still work, and
// the old file is kept aside.
func TestDevConvertsJournalDataDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, name := range []string{"cxloop.journal", "signing.key"} {
		b, err := os.ReadFile(filepath.Join("testdata", "journal-datadir", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	d := startDevAt(t, dir, "127.0.0.1:0")
	box := d.outbox()
	if len(box) != 4 {
		t.Fatalf("outbox after converting: %d messages, want the demo's 4", len(box))
	}
	for _, m := range box {
		if m.Channel == "email" { // written by a server on another address: keep path and query
			u, err := url.Parse(scoreLink(m, 0))
			if err != nil {
				t.Fatal(err)
			}
			want(t, d.get(u.RequestURI()), http.StatusOK, "a survey link from before the conversion")
		}
	}
	// 200, not 201: the person exists.
	want(t, d.api(http.MethodPut, "/v1/people/maria", map[string]any{"name": "María García", "email": ownerEmail}), http.StatusOK, "PUT maria after converting")
	if _, err := os.Stat(filepath.Join(dir, "cxloop.journal.converted")); err != nil {
		t.Errorf("old journal not kept aside: %v", err)
	}
}

// A data directory from before the journal (a bbolt file) is refused with
// a message that says what to do, and left as it was.
func TestDevRefusesBboltDataDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	old := filepath.Join(dir, "cxloop.db")
	if err := os.WriteFile(old, []byte("a bbolt file"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := tryStartDevAt(t, dir, "127.0.0.1:0")
	if err == nil || !strings.Contains(err.Error(), "cxloop.db") || !strings.Contains(err.Error(), "move cxloop.db away to start empty") {
		t.Fatalf("start on a bbolt data dir: %v, want a refusal saying what to do", err)
	}
	if b, err := os.ReadFile(old); err != nil || string(b) != "a bbolt file" {
		t.Errorf("the bbolt file changed: %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "cxloop.pebble")); !os.IsNotExist(err) {
		t.Errorf("a store was created beside the refused file: %v", err)
	}
}
