package devserver_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Issue 10, items 7 and 8, through the running server: ids, times,
// locales, control characters and SMS scales at the edge.

// A local-only route's id follows the API's rule: an id too long for the
// store is a JSON 400, not a 500.
func TestDevOutboxRefusesBadID(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	wantAPIError(t, d.get("/dev/outbox/"+strings.Repeat("m", 2048)), http.StatusBadRequest, "invalid", "id")
	wantAPIError(t, d.get("/dev/outbox/%2E%2E"), http.StatusBadRequest, "invalid", "id")
	if r := d.get("/dev/outbox/em-unknown"); r.Status != http.StatusNotFound {
		t.Errorf("unknown message: %s, want 404", r)
	}
}

// occurred_at is an RFC 3339 time with a real offset (hours 00-23), from
// 2000 on, and at most MaxClockSkew (5 minutes) ahead of the server.
func TestDevOccurredAtBounds(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	now := d.now()
	tests := []struct {
		at string
		ok bool
	}{
		{"2026-05-12T09:00:00+24:00", false},
		{"2026-05-12T09:00:00-24:00", false},
		{"2026-05-12T09:00:00+99:00", false},
		{"0000-01-01T00:00:00Z", false},
		{"1999-12-31T23:59:59Z", false},
		{"9999-12-31T23:59:59Z", false},
		{now.Add(time.Hour).Format(time.RFC3339), false},
		{now.Add(10 * time.Minute).Format(time.RFC3339), false},
		{"2000-01-01T00:00:00Z", true},
		{"2026-05-12T09:00:00+23:59", true},
		{now.Add(4 * time.Minute).Format(time.RFC3339), true},
	}
	for i, tt := range tests {
		body := emailInteraction("int-at-" + string(rune('a'+i)))
		body["occurred_at"] = tt.at
		r := d.ingest(body)
		if !tt.ok {
			e := wantAPIError(t, r, http.StatusBadRequest, "invalid", "occurred_at")
			t.Logf("%s: %s", tt.at, e.Error.Fields["occurred_at"])
			continue
		}
		if r.Status != http.StatusAccepted {
			t.Errorf("occurred_at %s: %s, want 202", tt.at, r)
		}
	}
}

// A POSIX or Java locale ("en_GB") is taken and kept in BCP 47 form.
func TestDevLocaleIsNormalised(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	body := emailInteraction("int-locale")
	body["customer"].(map[string]any)["locale"] = "en_gb"
	want(t, d.ingest(body), http.StatusAccepted, "interaction with locale en_gb")
	tl := d.raw(http.MethodGet, "/v1/customers/cust-ana/timeline", "", apiKey, nil)
	want(t, tl, http.StatusOK, "timeline")
	var view struct {
		Events []struct {
			Kind   string          `json:"kind"`
			Record json.RawMessage `json:"record"`
		} `json:"events"`
	}
	if err := json.Unmarshal(tl.Body, &view); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range view.Events {
		if e.Kind != "survey" {
			continue
		}
		var sv struct {
			Locale string `json:"locale"`
		}
		if err := json.Unmarshal(e.Record, &sv); err != nil {
			t.Fatal(err)
		}
		found = true
		if sv.Locale != "en-GB" {
			t.Errorf("survey locale = %q, want en-GB", sv.Locale)
		}
	}
	if !found {
		t.Fatalf("no survey in the timeline: %s", tl.Body)
	}
}

// A text's NUL, escape and other control characters are dropped, its line
// breaks kept; a survey form's comment the same.
func TestDevControlCharactersNotStored(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	d.smsSurvey("int-sms")
	if out := d.text("2 too\x00 slow\x1b[0m\r\nreally\u0085"); out.Action != "answered" {
		t.Fatalf("text with control characters: %+v", out)
	}
	got := d.responses()
	if len(got) != 1 || got[0].Score != 2 || got[0].Comment != "too slow[0m\nreally" {
		t.Fatalf("responses = %+v, want 2 with the comment %q", got, "too slow[0m\nreally")
	}

	m := d.surveyEmail("int-form")
	want(t, d.postForm(pagePath(scoreLink(m, 3)), answer(3, "late\x00\x07 again\r\nand rude")), http.StatusOK, "form with control characters")
	for _, r := range d.responses() {
		if r.Source == "form" && r.Comment != "late again\nand rude" {
			t.Errorf("form comment = %q, want %q", r.Comment, "late again\nand rude")
		}
	}
}

// An owner's notes and note to the customer may be multi-line, but a
// control character in them is refused with a 400, and nothing is closed.
func TestDevTaskTextRefusesControlCharacters(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	d.answerAs("int-notes", "cust-ana", customerEmail, 2)
	open := d.tasks("status=open")
	if len(open) != 1 {
		t.Fatalf("open tasks = %+v, want one", open)
	}
	path := "/v1/tasks/" + open[0].ID + "/complete"
	for _, field := range []string{"notes", "message_to_customer", "root_cause"} {
		body := map[string]any{"outcome": "resolved", "root_cause": "other", "notes": "called"}
		body[field] = "other\x00"
		wantAPIError(t, d.api(http.MethodPost, path, body), http.StatusBadRequest, "invalid", field)
	}
	wantAPIError(t, d.api(http.MethodPost, "/v1/tasks/"+open[0].ID+"/reassign", map[string]any{"owner_id": "dana", "reason": "away\x1b"}), http.StatusBadRequest, "invalid", "reason")
	if got := d.tasks("status=open"); len(got) != 1 || got[0].Owner.ID != open[0].Owner.ID {
		t.Fatalf("after refused actions: %+v, want the task open and held as before", got)
	}
	r := d.api(http.MethodPost, path, map[string]any{"outcome": "resolved", "root_cause": "other", "notes": "called her\r\n\tall sorted"})
	want(t, r, http.StatusOK, "complete with multi-line notes")
}

// "9 / 10" is a 9 with no comment; a scale that is not the survey's
// ("4/5" to a 0-10 question) is asked again, and stores nothing.
func TestDevSMSScoreOutOf(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	d.smsSurvey("int-sms")
	if out := d.text("4/5"); out.Action != "out_of_range" || !strings.Contains(out.Reply, "0 to 10") {
		t.Errorf("4/5 to an NPS text: %+v, want out_of_range with the 0-10 hint", out)
	}
	if got := d.responses(); len(got) != 0 {
		t.Fatalf("4/5 to an NPS text stored %+v", got)
	}
	for _, tt := range []struct {
		body    string
		score   int
		comment string
	}{
		{"9 / 10", 9, ""},
		{"8/10", 8, ""},
		{"7 /10 quick", 7, "quick"},
	} {
		if out := d.text(tt.body); out.Action != "answered" {
			t.Fatalf("%q: %+v", tt.body, out)
		}
		got := d.responses()
		if len(got) != 1 || got[0].Score != tt.score || got[0].Comment != tt.comment {
			t.Errorf("%q: responses = %+v, want %d with comment %q", tt.body, got, tt.score, tt.comment)
		}
	}
}

// A CSAT text takes its own scale: "4 / 5 fine" is a 4 with "fine".
func TestDevSMSScoreOutOfOwnScale(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	body := smsInteraction("int-csat", zoneAt(d.now(), 12))
	body["survey"] = "csat"
	want(t, d.ingest(body), http.StatusAccepted, "CSAT SMS interaction")
	if n := len(d.sentTo(phone)); n != 1 { // waits for the background send
		t.Fatalf("%d texts, want the CSAT survey", n)
	}
	if out := d.text("4/10"); out.Action != "out_of_range" {
		t.Errorf("4/10 to a CSAT text: %+v, want out_of_range", out)
	}
	if out := d.text("4 / 5 fine"); out.Action != "answered" {
		t.Fatalf("4 / 5 fine: %+v", out)
	}
	got := d.responses()
	if len(got) != 1 || got[0].Score != 4 || got[0].Comment != "fine" || got[0].Survey != "csat" {
		t.Fatalf("responses = %+v, want CSAT 4 with comment \"fine\"", got)
	}
}

// A page form that is not valid URL encoding is a 400 (as if nothing was
// sent), not a 413: that is for a body over 64 KiB alone.
func TestDevMalformedFormIs400(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	d.answerAs("int-form", "cust-ana", customerEmail, 2)
	survey := pagePath(scoreLink(d.sentTo(customerEmail)[0], 3))
	task := d.taskLink(ownerEmail)
	for _, path := range []string{survey, task} {
		r := d.raw(http.MethodPost, path, "application/x-www-form-urlencoded", "-", []byte("score=%zz&action=%"))
		if r.Status != http.StatusBadRequest || !strings.Contains(r.Header.Get("Content-Type"), "text/html") {
			t.Errorf("malformed form to %s: %d %s, want a 400 page", path[:3], r.Status, r.Header.Get("Content-Type"))
		}
		big := d.raw(http.MethodPost, path, "application/x-www-form-urlencoded", "-", []byte("comment="+strings.Repeat("x", 65<<10)))
		if big.Status != http.StatusRequestEntityTooLarge {
			t.Errorf("form over 64 KiB to %s: %d, want 413", path[:3], big.Status)
		}
	}
	if got := d.tasks("status=open"); len(got) != 1 {
		t.Errorf("open tasks after malformed forms: %+v, want the one, unchanged", got)
	}
}
