package httpapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/domain/customer"
	"github.com/cxloop/cxloop/shared/domain/directory"
	"github.com/cxloop/cxloop/shared/domain/loop"
	"github.com/cxloop/cxloop/shared/domain/survey"
	"github.com/cxloop/cxloop/shared/domain/token"
)

// hostile goes in every field a person or a client can fill; esc is how
// it must come out.
const (
	hostile = `<script>alert(1)</script>" onmouseover="x' & javascript:alert(1)`
	esc     = `&lt;script&gt;alert(1)&lt;/script&gt;&#34; onmouseover=&#34;x&#39; &amp; javascript:alert(1)`
)

// pagesFixture serves the pages over a store whose every name, comment,
// address, reason and configured string is hostile.
type pagesFixture struct {
	srv, noKey *httptest.Server
	signer     *token.Signer
	expires    time.Time
}

func (f pagesFixture) link(p token.Purpose, id string) string {
	return "/" + string(p) + "/" + f.signer.Sign(p, id, f.expires)
}

func newPagesFixture(t *testing.T) pagesFixture {
	t.Helper()
	cfg := app.DefaultConfig()
	cfg.Org = "Org " + hostile
	cfg.FallbackOwnerID = "boss"
	cfg.Loop.RootCauses = append(cfg.Loop.RootCauses, hostile) // 64 characters, the most a root cause may have
	a, st, signer := testCore(t, cfg)

	ctx := context.Background()
	answered := dashNow.Add(-30 * time.Hour) // 19 May 09:00 UTC
	cest := time.FixedZone("CEST", 2*3600)
	owners := []loop.Holding{
		{OwnerID: "mgr", OwnerName: "Mgr " + hostile, From: answered},
		{OwnerID: "ann", OwnerName: "Ann " + hostile, Team: "North " + hostile, From: answered.Add(time.Hour).In(cest), Reason: "why " + hostile},
	}
	open := func(id string) loop.Task {
		return loop.Task{ID: id, ResponseID: "rs_t1", CustomerID: "c1", AccountID: "ac1", Kind: survey.NPS, Score: 2, Owners: owners,
			CreatedAt: answered, AnsweredAt: answered, DueAt: answered.Add(48 * time.Hour).In(cest), Status: loop.Open, Level: 1}
	}
	closed := loop.Task{ID: "tk_done", ResponseID: "rs_t2", CustomerID: "c2", Kind: survey.CSAT, Score: 1,
		Owners:    []loop.Holding{{OwnerID: "ann", OwnerName: "Ann", From: answered}},
		CreatedAt: answered, AnsweredAt: answered, DueAt: answered.Add(2 * time.Hour), Status: loop.Done,
		AcknowledgedAt: answered.Add(30 * time.Minute), ClosedAt: answered.Add(time.Hour),
		Outcome: loop.Resolved, RootCause: "rc " + hostile, Notes: "n " + hostile, MessageToCustomer: "m " + hostile}
	failed := closed
	failed.ID, failed.Status, failed.Failure = "tk_failed", loop.Failed, "boom "+hostile
	failed.AcknowledgedAt, failed.ClosedAt, failed.Outcome, failed.RootCause, failed.Notes, failed.MessageToCustomer = time.Time{}, time.Time{}, "", "", "", ""

	var errs []error
	add := func(err error) { errs = append(errs, err) }
	add(st.People.Create(ctx, directory.Person{ID: "ann", Name: "Ann " + hostile, Email: "ann@example.com", ManagerID: "mgr"}))
	add(st.People.Create(ctx, directory.Person{ID: "mgr", Name: "Mgr " + hostile, Email: "mgr@example.com"}))
	add(st.People.Create(ctx, directory.Person{ID: "boss", Name: "Boss", Email: "boss@example.com"}))
	add(st.Accounts.Create(ctx, directory.Account{ID: "ac1", Name: "Acme " + hostile, OwnerID: "ann"}))
	add(st.Customers.Create(ctx, customer.Customer{ID: "c1", Name: "Ana " + hostile, Email: hostile, Phone: "javascript:alert(1)"}))
	add(st.Customers.Create(ctx, customer.Customer{ID: "c2", Email: "a+b@example.com", Phone: "+34 600 000 000"}))
	add(st.Customers.Create(ctx, customer.Customer{ID: "c3", Name: "Cy", Email: "cy@example.com"}))
	for _, s := range []survey.Survey{
		{ID: "sv_nps", CustomerID: "c1", Kind: survey.NPS, Locale: "en"},
		{ID: "sv_rec", CustomerID: "c1", Kind: survey.Recovery, Locale: "es", OwnerName: "Ann " + hostile},
		{ID: "sv_closed", CustomerID: "c1", Kind: survey.CSAT, Locale: "de", ExpiresAt: dashNow.Add(-time.Hour)},
		{ID: "sv_answer", CustomerID: "c1", Kind: survey.CES, Locale: "en"},
		{ID: "sv_unsub", CustomerID: "c3", Kind: survey.NPS, Locale: "en"},
	} {
		s.AccountID, s.OwnerID, s.Channel, s.To, s.Status, s.CreatedAt = "ac1", "ann", survey.Email, "x@example.com", survey.Sent, answered
		if s.ExpiresAt.IsZero() {
			s.ExpiresAt = dashNow.Add(24 * time.Hour)
		}
		add(st.Surveys.Create(ctx, s))
	}
	add(st.Responses.Create(ctx, survey.Response{ID: "rs_t1", SurveyID: "sv_t1", CustomerID: "c1", AccountID: "ac1", OwnerID: "ann",
		Kind: survey.NPS, Channel: survey.Email, Score: 2, Comment: "Bad " + hostile, Unhappy: true, AnsweredAt: answered, FirstAnsweredAt: answered}))
	add(st.Responses.Create(ctx, survey.Response{ID: "rs_t2", SurveyID: "sv_t2", CustomerID: "c2",
		Kind: survey.CSAT, Channel: survey.Email, Score: 1, Unhappy: true, AnsweredAt: answered, FirstAnsweredAt: answered}))
	for _, tk := range []loop.Task{open("tk_open"), open("tk_ack"), open("tk_reassign"), open("tk_complete"), closed, failed} {
		add(st.Tasks.Create(ctx, tk))
	}
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}

	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f := pagesFixture{
		srv:    httptest.NewServer(New(a, Config{APIKey: dashKey, Logger: log})),
		noKey:  httptest.NewServer(New(a, Config{Logger: log})),
		signer: signer, expires: dashNow.Add(24 * time.Hour),
	}
	t.Cleanup(f.srv.Close)
	t.Cleanup(f.noKey.Close)
	return f
}

// Every page, with hostile data in every field it shows: the data comes
// out as text, the markup stays the markup the templates produced.
func TestPagesEscapeData(t *testing.T) {
	t.Parallel()
	f := newPagesFixture(t)
	org := "Org " + esc
	cases := []struct {
		name         string
		method, path string
		form         url.Values
		header       []string
		signIn       bool
		noKey        bool
		code         int
		want, not    []string
	}{
		{name: "survey", method: "GET", path: f.link(token.Survey, "sv_nps"), code: http.StatusOK, want: []string{
			`<html lang="en">`, `<title>Your feedback</title>`, `<a class="skip" href="#main">Skip to content</a>`,
			`<header class="bar"><span class="org">` + org + `</span></header>`,
			`<form method="post" class="survey" novalidate><fieldset>`,
			`<legend><h1 class="q">How likely are you to recommend ` + org + ` to a friend or colleague?</h1></legend>`,
			`<span class="choice"><input type="radio" id="score-0" name="score" value="0" required><label for="score-0"><span class="sr">Your score: </span>0</label></span>`,
			`<input type="radio" id="score-10" name="score" value="10" required>`,
			`<p class="ends"><span>0 = Not at all likely</span><span>10 = Extremely likely</span></p>`,
			`<label for="comment" class="comment-label">Anything you&#39;d like to add? (optional)</label>`,
			`<textarea id="comment" name="comment" rows="4" maxlength="2000"></textarea>`, `<button type="submit">Send</button>`,
		}, not: []string{"checked", `role="alert"`, `<h1 id="done">`}},
		{name: "survey with a score from the email", method: "GET", path: f.link(token.Survey, "sv_nps") + "?score=3", code: http.StatusOK, want: []string{
			`<input type="radio" id="score-3" name="score" value="3" checked required>`,
		}},
		{name: "recovery check in Spanish", method: "GET", path: f.link(token.Survey, "sv_rec"), code: http.StatusOK, want: []string{
			`<html lang="es">`, `<a class="skip" href="#main">Ir al contenido</a>`,
			`<h1 class="q">¿Ann ` + esc + ` resolvió las cosas?</h1>`, `<div class="scale yesno">`,
			`<label for="score-1"><span class="sr">Su puntuación: </span>Sí</label>`, `<label for="score-0"><span class="sr">Su puntuación: </span>No</label>`,
		}, not: []string{`class="ends"`}},
		{name: "closed survey in German", method: "GET", path: f.link(token.Survey, "sv_closed"), code: http.StatusOK, want: []string{
			`<html lang="de">`, `Zum Inhalt`, "<h1>Diese Umfrage ist beendet</h1>",
		}, not: []string{"<form"}},
		{name: "survey sent without a score", method: "POST", path: f.link(token.Survey, "sv_nps"),
			form: url.Values{"score": {"none"}, "comment": {"c " + hostile}}, code: http.StatusBadRequest, want: []string{
				`<fieldset aria-describedby="score-error">`, `<p id="score-error" class="error" role="alert">Please choose a score.</p>`,
				`maxlength="2000">c ` + esc + `</textarea>`,
			}},
		{name: "survey answered", method: "POST", path: f.link(token.Survey, "sv_answer"),
			form: url.Values{"score": {"3"}, "comment": {"c " + hostile}}, code: http.StatusOK, want: []string{
				`<section aria-labelledby="done"><h1 id="done">Thank you</h1>`, `<p role="status">Your answer is saved.`,
				`<input type="radio" id="score-3" name="score" value="3" checked required>`, `maxlength="2000">c ` + esc + `</textarea>`,
			}},
		{name: "form too large", method: "POST", path: f.link(token.Survey, "sv_nps"),
			form: url.Values{"comment": {strings.Repeat("x", MaxBody)}}, code: http.StatusRequestEntityTooLarge, want: []string{
				"<title>Too large</title>", "<h1>This link is not valid</h1>",
			}},
		{name: "bad link", method: "GET", path: "/s/bogus", code: http.StatusNotFound, want: []string{
			"<title>Not found</title>", "<h1>This link is not valid</h1>",
		}},
		{name: "unsubscribe", method: "GET", path: f.link(token.Unsubscribe, "sv_nps"), code: http.StatusOK, want: []string{
			"<title>Stop surveys</title>", "<h1>Stop surveys</h1>",
			"<p>Press the button and " + org + " will not send you surveys again.</p>",
			`<input type="hidden" name="List-Unsubscribe" value="One-Click">`, `<button type="submit">Unsubscribe</button>`,
		}},
		{name: "unsubscribed", method: "POST", path: f.link(token.Unsubscribe, "sv_unsub"),
			form: url.Values{"List-Unsubscribe": {"One-Click"}}, code: http.StatusOK, want: []string{
				`<p role="status">Done. You will not get surveys from ` + org + ` again.</p>`,
			}, not: []string{"<form"}},
		{name: "task", method: "GET", path: f.link(token.Task, "tk_open:ann"), code: http.StatusOK, want: []string{
			"<title>Follow-up</title>", "<h1>Follow up with Ana " + esc + "</h1>",
			`<dt>Status</dt><dd><span class="pill warn">open</span> · escalation level 1</dd>`,
			"<dt>Owner</dt><dd>Ann " + esc + " (North " + esc + ")</dd>",
			`<dt>Due</dt><dd><time datetime="2026-05-21T09:00:00Z">Thu 21 May 2026 09:00 UTC</time></dd>`, // in the reader's zone (Ann has none: UTC)
			"<dt>Account</dt><dd>Acme " + esc + "</dd>",
			`<dt>Email</dt><dd><a href="mailto:%3Cscript%3Ealert%281%29%3C%2Fscript%3E%22%20onmouseover=%22x%27%20&amp;%20javascript:alert%281%29">` + esc + "</a></dd>",
			`<dt>Phone</dt><dd><a href="tel:javascript:alert%281%29">javascript:alert(1)</a></dd>`,
			"<p><strong>2 / 10</strong> to “How likely are you to recommend " + org + " to a friend or colleague?”</p>",
			`<blockquote class="note">Bad ` + esc + "</blockquote>",
			`<input type="hidden" name="action" value="acknowledge">`,
			`<select id="root_cause" name="root_cause" required><option value="">Choose…</option><option value="product_defect">product_defect</option>`,
			`<option value="` + esc + `">` + esc + "</option></select>",
			`<label for="message_to_customer">A personal note to Ana (optional, sent signed with your name)</label>`,
			`<input type="checkbox" name="recovery_check" value="true"> Later, ask Ana whether things were put right</label>`,
			`<select id="owner_id" name="owner_id" required><option value="">Choose a person…</option> <option value="mgr">Mgr ` + esc + `</option><option value="boss">Boss</option></select>`,
			`<input type="text" id="reason" name="reason" required maxlength="500">`,
			"<ol><li>Mgr " + esc + " from 19 May 2026 09:00</li><li>Ann " + esc + " from 19 May 2026 10:00 – why " + esc + "</li></ol>",
			"<h2>History with Ana</h2>",
			`<tr><td><time datetime="2026-05-19T09:00:00Z">19 May 2026 09:00</time></td><td>answered 2 (NPS): Bad ` + esc + "</td></tr>",
		}, not: []string{"First contact", "<h2>Outcome</h2>"}},
		{name: "closed task", method: "GET", path: f.link(token.Task, "tk_done:ann"), code: http.StatusOK, want: []string{
			"<h1>Follow up with a customer</h1>", `<span class="pill ok">done</span></dd>`,
			`<a href="mailto:a+b@example.com">a+b@example.com</a>`, `<a href="tel:+34%20600%20000%20000">+34 600 000 000</a>`,
			"<dt>First contact</dt><dd>19 May 2026 09:30 UTC</dd>", "<p>No comment.</p>",
			"<dt>Outcome</dt><dd>resolved</dd><dt>Root cause</dt><dd>rc " + esc + "</dd>",
			"<dt>Notes</dt><dd>n " + esc + "</dd>", "<dt>Note to customer</dt><dd>m " + esc + "</dd>",
			"<h2>History with the customer</h2>",
		}, not: []string{`name="action"`}},
		{name: "task action refused", method: "POST", path: f.link(token.Task, "tk_open:ann"),
			form: url.Values{"action": {hostile}}, code: http.StatusBadRequest, want: []string{
				`<p class="error" role="alert">action must be acknowledge, complete or reassign.</p>`,
			}},
		{name: "task acknowledged", method: "POST", path: f.link(token.Task, "tk_ack:ann"),
			form: url.Values{"action": {"acknowledge"}}, code: http.StatusOK, want: []string{
				`<p class="note" role="status">Noted: you&#39;re on it.`, "<dt>First contact</dt><dd>20 May 2026 15:00 UTC</dd>",
			}, not: []string{`value="acknowledge"`}},
		{name: "task reassigned", method: "POST", path: f.link(token.Task, "tk_reassign:ann"),
			form: url.Values{"action": {"reassign"}, "owner_id": {"mgr"}, "reason": {"r " + hostile}}, code: http.StatusOK, want: []string{
				`<p class="note" role="status">Reassigned.`, "<li>Mgr " + esc + " from 20 May 2026 15:00 – r " + esc + "</li></ol>",
			}},
		{name: "task completed", method: "POST", path: f.link(token.Task, "tk_complete:ann"),
			form: url.Values{"action": {"complete"}, "outcome": {"contacted"}, "root_cause": {hostile},
				"notes": {"n " + hostile}, "message_to_customer": {"m " + hostile}}, code: http.StatusOK, want: []string{
				`<p class="note" role="status">Thank you. The loop is closed.</p>`,
				"<dt>Outcome</dt><dd>contacted</dd><dt>Root cause</dt><dd>" + esc + "</dd>",
				"<dt>Notes</dt><dd>n " + esc + "</dd>", "<dt>Note to customer</dt><dd>m " + esc + "</dd>",
			}, not: []string{`name="action"`}},
		{name: "sign in", method: "GET", path: "/dashboard", code: http.StatusOK, want: []string{
			"<title>Sign in – cxloop dashboard</title>", "<h1>Sign in to the dashboard</h1>",
			"<p>The closed-loop dashboard is for leaders of " + org + `. <a href="/signin">Sign in with your email address</a>, or with an API key that can read the reports`,
			`<form method="post" action="/dashboard/login"><div class="field">`,
			`<label for="api_key">API key</label>`,
			`<input type="password" id="api_key" name="api_key" required autocomplete="current-password" spellcheck="false" autocapitalize="off">`,
		}},
		{name: "sign-in form from another site", method: "POST", path: "/dashboard/login", form: url.Values{"api_key": {dashKey}}, header: []string{"Sec-Fetch-Site", "cross-site"}, code: http.StatusForbidden, want: []string{
			"<h1>This form has expired</h1>", `<p class="error" role="alert">The form could not be verified.`,
			`<p><a href="/dashboard">Back to the dashboard</a></p>`,
		}, not: []string{"api_key"}},
		{name: "sign in without an API key", method: "GET", path: "/dashboard", noKey: true, code: http.StatusOK, want: []string{
			`<a href="/signin">Sign in with your email address</a>`,
		}},
		{name: "dashboard", method: "GET", path: "/dashboard", signIn: true, code: http.StatusOK, want: []string{
			"<h1>Closed-loop dashboard</h1>", `<form method="post" action="/dashboard/logout" class="signout">`,
			`<option value="owner" selected>Owner</option> <option value="team">Team</option>`,
			`<input type="date" id="from" name="from" value="2026-04-20">`, `<input type="date" id="to" name="to" value="2026-05-21">`,
			`<h2 id="headline">Headline figures</h2>`, `<li class="card warn"><span class="label">Failed</span> <span class="num">1</span> <span class="sub">`,
			`<svg class="chart" viewBox="0 0 480 240" role="img" aria-labelledby="trend-title trend-desc" focusable="false">`,
			`<summary>Data table: per day</summary>`, `<th scope="col">Day</th>`,
			`<th scope="col">Owner</th>`, `<th scope="row">Ann ` + esc + "</th>", `<text x="142" y="22" text-anchor="end" font-size="13" fill="#1a1a1a">Ann &lt;script&gt;alert(1…</text>`,
			`<th scope="row">rc ` + esc + "</th>", "<td><code>tk_failed</code></td><td>Ann</td><td>19 May 2026 09:00</td><td>boom " + esc + "</td>",
		}},
		{name: "dashboard by team, in weeks", method: "GET", path: "/dashboard?group_by=team&tz=Europe/Madrid&from=2026-03-01&to=2026-05-21", signIn: true, code: http.StatusOK, want: []string{
			`<option value="owner">Owner</option> <option value="team" selected>Team</option>`,
			`name="tz" value="Europe/Madrid"`, "(Europe/Madrid)", `<th scope="col">Team</th>`, `<th scope="row">North ` + esc + "</th>",
			`<th scope="col">Week</th>`,
		}},
		{name: "dashboard with a bad range", method: "GET", signIn: true, code: http.StatusBadRequest,
			path: "/dashboard?" + url.Values{"from": {hostile}, "to": {hostile}, "tz": {hostile}}.Encode(), want: []string{
				`<input type="date" id="from" name="from" value="` + esc + `">`, `name="tz" value="` + esc + `"`,
				`<p class="error" role="alert">`,
			}, not: []string{"Headline figures"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := f.srv
			if tc.noKey {
				srv = f.noKey
			}
			b := newDashBrowser(t, srv)
			if tc.signIn {
				b.signIn()
			}
			res, page := b.do(tc.method, tc.path, tc.form, tc.header...)
			if res.StatusCode != tc.code {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tc.code, page)
			}
			if !strings.Contains(page, esc) {
				t.Errorf("the hostile data is not on the page, escaped:\n%s", page)
			}
			for _, p := range markupProblems(page) {
				t.Errorf("page has %s", p)
			}
			for _, w := range tc.want {
				if !strings.Contains(page, w) {
					t.Errorf("page lacks %s", w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(page, n) {
					t.Errorf("page has %s", n)
				}
			}
			if t.Failed() {
				t.Logf("page:\n%s", page)
			}
		})
	}
}

var (
	closeTag  = regexp.MustCompile(`^</[a-z][a-z0-9]*>$`)
	openTag   = regexp.MustCompile(`^<[a-z][a-z0-9]*`)
	attribute = regexp.MustCompile(`^\s+([a-zA-Z][a-zA-Z0-9-]*)(?:="([^"<>]*)")?`)
)

// markupProblems lists what is wrong with a page's markup: a tag not
// whole, an attribute not double-quoted, or anything that runs script: a
// script element, an event handler, a link but to this site or to a mail
// address or phone number.
func markupProblems(page string) []string {
	var bad []string
	if strings.Contains(strings.ToLower(page), "<script") {
		bad = append(bad, "a script element")
	}
	for rest := page; ; {
		i := strings.IndexByte(rest, '<')
		if i < 0 {
			return bad
		}
		n := strings.IndexByte(rest[i:], '>')
		if n < 0 {
			return append(bad, "an unclosed tag: "+rest[i:])
		}
		tag := rest[i : i+n+1]
		rest = rest[i+n+1:]
		if tag == "<!doctype html>" || closeTag.MatchString(tag) {
			continue
		}
		name := openTag.FindString(tag)
		if name == "" {
			bad = append(bad, "a malformed tag: "+tag)
			continue
		}
		attrs := tag[len(name):]
		for m := attribute.FindStringSubmatch(attrs); m != nil; m = attribute.FindStringSubmatch(attrs) {
			attrs = attrs[len(m[0]):]
			name, value := strings.ToLower(m[1]), m[2]
			if strings.HasPrefix(name, "on") {
				bad = append(bad, "an event handler: "+tag)
			}
			if name == "href" && !strings.HasPrefix(value, "/") && !strings.HasPrefix(value, "#") &&
				!strings.HasPrefix(value, "mailto:") && !strings.HasPrefix(value, "tel:") {
				bad = append(bad, "a link elsewhere: "+tag)
			}
		}
		if attrs != ">" && attrs != "/>" {
			bad = append(bad, "malformed attributes: "+tag)
		}
	}
}

// The check above must catch what escaping prevents.
func TestMarkupProblems(t *testing.T) {
	t.Parallel()
	for _, page := range []string{
		"<p>" + hostile + "</p>",
		`<input value="" onmouseover="x">`,
		`<input value=x>`,
		`<a href="javascript:alert(1)">x</a>`,
		`<a href="" onclick="x">x</a>`,
		`<p title="x>`,
	} {
		if markupProblems(page) == nil {
			t.Errorf("no problem found in %s", page)
		}
	}
	if bad := markupProblems(`<!doctype html><p class="a b" hidden>x &lt;y&gt;</p><line x1="1"/><a href="mailto:a@b">a</a>`); bad != nil {
		t.Errorf("problems found in good markup: %q", bad)
	}
}

// The link pages' forms post from wherever the mail was opened: a webmail
// page of another site, or (RFC 8058 one-click unsubscribe) the mail
// provider's own servers. Their signed link is their credential, so no
// cross-origin check refuses them, unlike the dashboard's forms.
func TestLinkPagesTakeFormsFromAnyOrigin(t *testing.T) {
	t.Parallel()
	f := newPagesFixture(t)
	crossSite := []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://webmail.example"}
	for _, tc := range []struct {
		name, path string
		form       url.Values
		want       string
	}{
		{"survey", f.link(token.Survey, "sv_answer"), url.Values{"score": {"4"}}, `<h1 id="done">Thank you</h1>`},
		{"one-click unsubscribe", f.link(token.Unsubscribe, "sv_unsub"), url.Values{"List-Unsubscribe": {"One-Click"}}, `<p role="status">Done.`},
		{"task", f.link(token.Task, "tk_ack:ann"), url.Values{"action": {"acknowledge"}}, `<p class="note" role="status">Noted: you&#39;re on it.`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, page := newDashBrowser(t, f.srv).do("POST", tc.path, tc.form, crossSite...)
			if res.StatusCode != http.StatusOK || !strings.Contains(page, tc.want) {
				t.Errorf("%d, want 200 with %s:\n%s", res.StatusCode, tc.want, page)
			}
		})
	}
}
