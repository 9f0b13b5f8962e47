package devserver_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// browser is a person's browser: it keeps cookies, and shows redirects
// rather than following them.
type browser struct {
	t *testing.T
	d *dev
	c *http.Client
}

func (d *dev) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: d.t, d: d, c: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(method, path string, form url.Values) (int, string, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.d.abs(path), body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin") // a browser posting its own page's form
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	page, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Location"), string(page)
}

var signInLinkRE = regexp.MustCompile(`/signin/[A-Za-z0-9._-]+`)

// signIn asks for a link for email, takes the newest one from the outbox
// and uses it.
func (b *browser) signIn(email string) {
	b.t.Helper()
	if code, _, _ := b.do(http.MethodPost, "/signin", url.Values{"email": {email}}); code != http.StatusOK {
		b.t.Fatalf("ask for a link for %s: %d", email, code)
	}
	link := b.d.signInLink(email)
	if code, _, page := b.do(http.MethodGet, link, nil); code != http.StatusOK || !strings.Contains(page, "Sign in as") {
		b.t.Fatalf("open the link: %d\n%s", code, page)
	}
	if code, loc, _ := b.do(http.MethodPost, link, url.Values{}); code != http.StatusSeeOther || loc != "/home" {
		b.t.Fatalf("use the link: %d to %q, want 303 to /home", code, loc)
	}
}

// signInLink is the newest sign-in link emailed to email.
func (d *dev) signInLink(email string) string {
	d.t.Helper()
	for _, m := range slicesReverse(d.sentTo(email)) {
		if m.Tags["purpose"] == "signin" {
			if l := signInLinkRE.FindString(m.BodyText); l != "" {
				return l
			}
		}
	}
	d.t.Fatalf("no sign-in link in the emails to %s", email)
	return ""
}

func (d *dev) signInLinks(email string) int {
	n := 0
	for _, m := range d.sentTo(email) {
		if m.Tags["purpose"] == "signin" {
			n++
		}
	}
	return n
}

// seedPeople adds a team: Dana manages María and Sam, Lee leads, Ada admins.
func (d *dev) seedPeople() {
	d.t.Helper()
	for _, p := range []struct {
		id   string
		body map[string]any
	}{
		{"dana", map[string]any{"name": "Dana Whitfield", "email": managerEmail, "team": "Customer Success", "roles": []string{"manager", "owner"}, "timezone": "America/New_York"}},
		{"maria", map[string]any{"name": "María García", "email": ownerEmail, "manager_id": "dana", "team": "Customer Success", "timezone": "Europe/Madrid"}},
		{"sam", map[string]any{"name": "Sam Okafor", "email": "sam@example.com", "manager_id": "dana", "team": "Customer Success"}},
		{"lee", map[string]any{"name": "Lee Chen", "email": "lee@example.com", "roles": []string{"leader"}}},
		{"ada", map[string]any{"name": "Ada Admin", "email": "ada@example.com", "roles": []string{"admin"}}},
	} {
		r := d.api(http.MethodPut, "/v1/people/"+p.id, p.body)
		if r.Status != http.StatusCreated && r.Status != http.StatusOK {
			d.t.Fatalf("PUT %s: %s", p.id, r)
		}
	}
	want(d.t, d.api(http.MethodPut, "/v1/accounts/acme", map[string]any{"name": "Acme Logistics", "owner_id": "maria"}), http.StatusCreated, "PUT acme")
	want(d.t, d.api(http.MethodPut, "/v1/accounts/globex", map[string]any{"name": "Globex", "owner_id": "sam"}), http.StatusCreated, "PUT globex")
}

// The "done when", through HTTP: people sign in from the outbox,
// each sees what their role opens, and nothing else.
func TestPeopleSignInAndSeeTheirOwn(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seedPeople()
	d.answerAs("pe-1", "cust-ana", customerEmail, 2)
	body := emailInteraction("pe-2")
	body["account_id"] = "globex"
	body["customer"] = map[string]any{"id": "cust-ben", "name": "Ben Ortiz", "email": "ben@globex.example"}
	want(t, d.ingest(body), http.StatusAccepted, "Globex interaction")
	ben := d.sentTo("ben@globex.example")
	want(t, d.postForm(pagePath(scoreLink(ben[0], 1)), answer(1, "broken again")), http.StatusOK, "Ben answers")
	var anaTask, benTask string
	for _, tk := range d.tasks("status=open") {
		if tk.Owner.ID == "maria" {
			anaTask = tk.ID
		} else {
			benTask = tk.ID
		}
	}

	// Her task email gives the due time in her zone.
	if staff := d.sentTo(ownerEmail); len(staff) == 0 || !regexp.MustCompile(`CES?T`).MatchString(staff[0].Subject) {
		t.Errorf("María's task email subject %q: want the due time in Madrid's zone", staff[0].Subject)
	}

	// María signs in from the outbox and sees only her own follow-up, in
	// her zone (Madrid).
	maria := d.browser()
	maria.signIn(ownerEmail)
	code, _, page := maria.do(http.MethodGet, "/home", nil)
	if code != http.StatusOK || !strings.Contains(page, "Ana Lopez") || strings.Contains(page, "Ben Ortiz") {
		t.Fatalf("María's home: %d; want Ana's follow-up and not Ben's\n%s", code, page)
	}
	if !strings.Contains(page, "times in Europe/Madrid") || !regexp.MustCompile(`CES?T</time>`).MatchString(page) {
		t.Errorf("María's home does not show times in her zone:\n%s", page)
	}
	// Another owner's task, and a leader's page, are refused.
	if code, _, _ := maria.do(http.MethodGet, "/home/tasks/"+benTask, nil); code != http.StatusNotFound {
		t.Errorf("María opens Sam's task: %d, want 404", code)
	}
	if code, _, _ := maria.do(http.MethodGet, "/home/customers/cust-ben", nil); code != http.StatusNotFound {
		t.Errorf("María opens Ben's history: %d, want 404", code)
	}
	if code, _, _ := maria.do(http.MethodGet, "/admin", nil); code != http.StatusForbidden {
		t.Errorf("María opens the admin page: %d, want 403", code)
	}
	if code, _, page := maria.do(http.MethodGet, "/dashboard", nil); code != http.StatusForbidden || !strings.Contains(page, "for leaders") {
		t.Errorf("María (an owner) opens the dashboard: %d, want 403 saying it is for leaders", code)
	}
	if code, _, page := maria.do(http.MethodGet, "/home/customers/cust-ana", nil); code != http.StatusOK || !strings.Contains(page, "History with Ana Lopez") {
		t.Errorf("María opens Ana's history: %d\n%s", code, page)
	}
	// She completes it from My follow-ups.
	code, _, page = maria.do(http.MethodPost, "/home/tasks/"+anaTask, url.Values{"action": {"complete"}, "outcome": {"resolved"}, "root_cause": {"billing"}, "message_to_customer": {"Ana, it is sorted."}})
	if code != http.StatusOK || !strings.Contains(page, "The loop is closed") {
		t.Fatalf("complete from home: %d\n%s", code, page)
	}
	if got := d.task(anaTask); got.Status != "done" || len(actionsOf(got, "completed")) != 1 || actionsOf(got, "completed")[0].By.PersonID != "maria" || actionsOf(got, "completed")[0].By.Via != "page" {
		t.Errorf("task after completing from home = %+v", got)
	}
	if _, _, page := maria.do(http.MethodGet, "/home", nil); !strings.Contains(page, "You have no open follow-ups") {
		t.Errorf("María's home still lists the closed follow-up")
	}

	// Dana, the manager, sees her team's follow-ups: Sam's.
	dana := d.browser()
	dana.signIn(managerEmail)
	if _, _, page := dana.do(http.MethodGet, "/home", nil); !strings.Contains(page, "My team's follow-ups") || !strings.Contains(page, "Ben Ortiz") || !strings.Contains(page, "Sam Okafor") {
		t.Errorf("Dana's home lacks her team's follow-up:\n%s", page)
	}
	if code, _, _ := dana.do(http.MethodGet, "/home/tasks/"+benTask, nil); code != http.StatusOK {
		t.Errorf("Dana opens her report's task: %d, want 200", code)
	}

	// Lee, a leader, sees the dashboard; Ada, an admin, the admin page.
	lee := d.browser()
	lee.signIn("lee@example.com")
	if code, _, page := lee.do(http.MethodGet, "/dashboard", nil); code != http.StatusOK || !strings.Contains(page, "Closed-loop dashboard") {
		t.Errorf("Lee's dashboard: %d", code)
	}
	if code, _, _ := lee.do(http.MethodGet, "/home/tasks/"+benTask, nil); code != http.StatusNotFound {
		t.Errorf("Lee opens a task: %d, want 404 (a leader reads figures, not follow-ups)", code)
	}
	ada := d.browser()
	ada.signIn("ada@example.com")
	if code, _, page := ada.do(http.MethodGet, "/admin", nil); code != http.StatusOK || !strings.Contains(page, "Ada Admin") || !strings.Contains(page, "initial admin key") {
		t.Errorf("Ada's admin page: %d\n%s", code, page)
	}
}

// A sign-in link works once and for 15 minutes; the answer never says
// whether an address is known; links are limited per address; signing
// out ends the session on the server, not only in the browser.
func TestSignInLinksAndSessions(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seedPeople()
	b := d.browser()
	_, _, known := b.do(http.MethodPost, "/signin", url.Values{"email": {ownerEmail}})
	_, _, unknown := b.do(http.MethodPost, "/signin", url.Values{"email": {"stranger@example.com"}})
	if known != unknown {
		t.Errorf("the answer differs for a known and an unknown address")
	}
	if n := len(d.sentTo("stranger@example.com")); n != 0 {
		t.Errorf("%d emails to an unknown address", n)
	}
	link := d.signInLink(ownerEmail)
	want(t, d.get(link), http.StatusOK, "a scanner opens the link") // GET uses nothing
	if code, loc, _ := b.do(http.MethodPost, link, url.Values{}); code != http.StatusSeeOther || loc != "/home" {
		t.Fatalf("use the link: %d to %q", code, loc)
	}
	if code, _, _ := b.do(http.MethodPost, link, url.Values{}); code != http.StatusNotFound {
		t.Errorf("a used link again: %d, want 404", code)
	}
	cookies := b.c.Jar.Cookies(mustURL(t, d.URL))
	if len(cookies) != 1 {
		t.Fatalf("cookies = %v, want the session", cookies)
	}
	// Sign out; the same cookie, replayed, opens nothing.
	if code, loc, _ := b.do(http.MethodPost, "/signout", url.Values{}); code != http.StatusSeeOther || loc != "/signin" {
		t.Fatalf("sign out: %d %q", code, loc)
	}
	replay := d.browser()
	replay.c.Jar.SetCookies(mustURL(t, d.URL), cookies)
	if code, loc, _ := replay.do(http.MethodGet, "/home", nil); code != http.StatusSeeOther || loc != "/signin" {
		t.Errorf("a signed-out cookie replayed: %d to %q, want sent to sign in", code, loc)
	}
	// A link 16 minutes old no longer works.
	d.advance("16m") // clears the per-address window too
	b.do(http.MethodPost, "/signin", url.Values{"email": {"sam@example.com"}})
	old := d.signInLink("sam@example.com")
	d.advance("16m")
	if code, _, _ := b.do(http.MethodPost, old, url.Values{}); code != http.StatusNotFound {
		t.Errorf("a 16-minute-old link: %d, want 404", code)
	}
	// At most three links per address in 15 minutes.
	before := d.signInLinks("lee@example.com")
	for range 5 {
		b.do(http.MethodPost, "/signin", url.Values{"email": {"lee@example.com"}})
	}
	if n := d.signInLinks("lee@example.com") - before; n != 3 {
		t.Errorf("%d links to one address in a burst, want 3", n)
	}
	// A form from another site is refused.
	req, _ := http.NewRequest(http.MethodPost, d.URL+"/signin", strings.NewReader("email="+url.QueryEscape(ownerEmail)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if r := d.do(req); r.Status != http.StatusForbidden {
		t.Errorf("cross-site sign-in form: %d, want 403", r.Status)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
