package httpapi

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/core/store"
	"github.com/cxloop/cxloop/shared/domain/loop"
	"github.com/cxloop/cxloop/shared/domain/message"
	"github.com/cxloop/cxloop/shared/domain/token"
	"github.com/cxloop/cxloop/shared/local/embedded"
	"github.com/cxloop/cxloop/shared/platform/validation"
)

const dashKey = "cxl_dashboard_test_key"

var dashNow = time.Date(2026, 5, 20, 15, 0, 0, 0, time.UTC)

type dashClock time.Time

func (c dashClock) Now() time.Time { return time.Time(c) }

// dashPorts stands in for mail, SMS, workflow and queue: the dashboard only
// reads.
type dashPorts struct{}

func (dashPorts) SendEmail(context.Context, message.Email) (string, error)      { return "m", nil }
func (dashPorts) SendSMS(context.Context, message.SMS) (string, error)          { return "m", nil }
func (dashPorts) Start(context.Context, string, []byte) error                   { return nil }
func (dashPorts) SendTaskSuccess(context.Context, string, []byte) error         { return nil }
func (dashPorts) SendTaskFailure(context.Context, string, string, string) error { return nil }
func (dashPorts) SendTaskHeartbeat(context.Context, string) error               { return nil }
func (dashPorts) EnqueueSend(context.Context, string) error                     { return nil }

// testCore is an application core on a fresh store at dashNow, with
// ports that do nothing.
func testCore(t *testing.T, cfg app.Config) (*app.App, *store.Store, *token.Signer) {
	t.Helper()
	table, err := embedded.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { table.Close() })
	signer, err := token.NewSigner(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(table)
	if cfg.InitialAPIKey == "" {
		cfg.InitialAPIKey = dashKey
	}
	a, err := app.New(cfg, app.Deps{
		Store: st, Mailer: dashPorts{}, Texter: dashPorts{}, Workflow: dashPorts{}, Queue: dashPorts{},
		Clock: dashClock(dashNow), Signer: signer, Validator: validation.New(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return a, st, signer
}

// dashServer serves the edge over a core whose store holds a few loops,
// one of them failed and one owned by someone with a hostile name.
func dashServer(t *testing.T) *httptest.Server {
	t.Helper()
	a, st, _ := testCore(t, app.DefaultConfig())
	ctx := context.Background()
	for i, tk := range []loop.Task{
		{ID: "tk_closed", Status: loop.Done, ClosedAt: dashNow.Add(-9*24*time.Hour + 2*time.Hour), RootCause: "billing"},
		{ID: "tk_late", Status: loop.Done, ClosedAt: dashNow.Add(-8*24*time.Hour + 50*time.Hour), RootCause: "delivery"},
		{ID: "tk_open", Status: loop.Open},
		{ID: "tk_failed", Status: loop.Failed, Failure: "States.TaskFailed: <boom>"},
	} {
		answered := dashNow.Add(-time.Duration(10-i) * 24 * time.Hour)
		tk.ResponseID, tk.CustomerID, tk.AnsweredAt, tk.CreatedAt, tk.DueAt = "rs_"+tk.ID, "c1", answered, answered, answered.Add(48*time.Hour)
		tk.Owners = []loop.Holding{{OwnerID: "ann", OwnerName: "Ann Lee", Team: "North", From: answered}}
		if tk.ID == "tk_open" {
			tk.Owners = append(tk.Owners, loop.Holding{OwnerID: "eve", OwnerName: `<script>alert("x")</script>Eve`, From: answered.Add(time.Hour)})
		}
		if !tk.ClosedAt.IsZero() {
			tk.AcknowledgedAt = tk.ClosedAt
		}
		if err := st.Tasks.Create(ctx, tk); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(New(a, Config{APIKey: dashKey, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	t.Cleanup(srv.Close)
	return srv
}

// dashBrowser is a client that keeps cookies by hand and never follows redirects.
type dashBrowser struct {
	t       *testing.T
	base    string
	cookies map[string]*http.Cookie
}

func newDashBrowser(t *testing.T, srv *httptest.Server) *dashBrowser {
	return &dashBrowser{t: t, base: srv.URL, cookies: map[string]*http.Cookie{}}
}

func (b *dashBrowser) do(method, path string, form url.Values, header ...string) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	for _, c := range b.cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	for _, c := range res.Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c
		}
	}
	return res, string(raw)
}

func dashCookieOf(res *http.Response, name string) *http.Cookie {
	for _, c := range res.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// sameOrigin is what a browser sends with a form posted from the
// dashboard's own page.
var sameOrigin = []string{"Sec-Fetch-Site", "same-origin"}

// signIn opens the sign-in page and signs in with the API key, as a
// browser does.
func (b *dashBrowser) signIn() {
	b.t.Helper()
	b.do("GET", "/dashboard", nil)
	res, body := b.do("POST", "/dashboard/login", url.Values{"api_key": {dashKey}}, sameOrigin...)
	if res.StatusCode != http.StatusSeeOther || b.cookies[sessionCookie] == nil {
		b.t.Fatalf("sign in: %d %s", res.StatusCode, body)
	}
}

func TestDashboardWithoutSessionShowsSignInOnly(t *testing.T) {
	t.Parallel()
	srv := dashServer(t)
	for _, cookie := range []string{"", "v1.00.99999999999.forged", "garbage"} {
		b := newDashBrowser(t, srv)
		if cookie != "" {
			b.cookies[sessionCookie] = &http.Cookie{Name: sessionCookie, Value: cookie}
		}
		res, page := b.do("GET", "/dashboard?from=2026-05-01", nil)
		if res.StatusCode != http.StatusOK || !strings.Contains(page, `type="password" id="api_key" name="api_key"`) {
			t.Fatalf("cookie %q: %d, want the sign-in form: %s", cookie, res.StatusCode, page)
		}
		for _, secret := range []string{"Ann Lee", "tk_failed", "Headline figures", "billing", "<svg"} {
			if strings.Contains(page, secret) {
				t.Errorf("cookie %q: the sign-in page shows %q", cookie, secret)
			}
		}
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("CSP = %q", csp)
		}
		// The sign-in form's CSRF protection is in the request's headers,
		// not in a cookie: the page sets none.
		if c := res.Cookies(); len(c) != 0 {
			t.Errorf("the sign-in page sets cookies: %+v", c)
		}
	}
}

// The sign-in and sign-out forms refuse what a browser marks as posted
// from another origin, and take what it marks as same-origin (or what no
// browser sent).
func TestDashboardSignIn(t *testing.T) {
	t.Parallel()
	srv := dashServer(t)
	tests := []struct {
		name   string
		key    string
		header []string
		want   int
		text   string
	}{
		{"from another site", dashKey, []string{"Sec-Fetch-Site", "cross-site"}, http.StatusForbidden, "could not be verified"},
		{"from another origin of this site", dashKey, []string{"Sec-Fetch-Site", "same-site"}, http.StatusForbidden, "could not be verified"},
		{"old browser, another origin", dashKey, []string{"Origin", "https://evil.example"}, http.StatusForbidden, "could not be verified"},
		{"old browser, opaque origin", dashKey, []string{"Origin", "null"}, http.StatusForbidden, "could not be verified"},
		{"another origin, even with this host's Origin", dashKey, []string{"Sec-Fetch-Site", "cross-site", "Origin", srv.URL}, http.StatusForbidden, "could not be verified"},
		{"wrong key", dashKey + "x", sameOrigin, http.StatusUnauthorized, "That key was not accepted"},
		{"empty key", "", sameOrigin, http.StatusUnauthorized, "That key was not accepted"},
		{"right key", dashKey, sameOrigin, http.StatusSeeOther, ""},
		{"right key, typed-in navigation", dashKey, []string{"Sec-Fetch-Site", "none"}, http.StatusSeeOther, ""},
		{"right key, old browser, this origin", dashKey, []string{"Origin", srv.URL}, http.StatusSeeOther, ""},
		{"right key, not a browser", dashKey, nil, http.StatusSeeOther, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newDashBrowser(t, srv)
			b.do("GET", "/dashboard", nil)
			res, body := b.do("POST", "/dashboard/login", url.Values{"api_key": {tc.key}}, tc.header...)
			if res.StatusCode != tc.want || !strings.Contains(body, tc.text) {
				t.Fatalf("%d %s, want %d with %q", res.StatusCode, body, tc.want, tc.text)
			}
			c := dashCookieOf(res, sessionCookie)
			if tc.want != http.StatusSeeOther {
				if c != nil {
					t.Errorf("session cookie set on failure: %+v", c)
				}
				if strings.Contains(body, "Ann Lee") {
					t.Errorf("failure page shows data")
				}
				return
			}
			if res.Header.Get("Location") != "/dashboard" {
				t.Errorf("Location = %q", res.Header.Get("Location"))
			}
			if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.MaxAge != 12*3600 || c.Secure {
				t.Errorf("session cookie = %+v, want HttpOnly, SameSite=Strict, Path=/, 12 h, not Secure over http", c)
			}
		})
	}
	t.Run("Secure behind TLS", func(t *testing.T) {
		t.Parallel()
		b := newDashBrowser(t, srv)
		res, _ := b.do("POST", "/dashboard/login", url.Values{"api_key": {dashKey}}, "X-Forwarded-Proto", "https", "Sec-Fetch-Site", "same-origin")
		if c := dashCookieOf(res, sessionCookie); c == nil || !c.Secure {
			t.Errorf("session cookie = %+v, want Secure", c)
		}
	})
}

func TestDashboardPage(t *testing.T) {
	t.Parallel()
	srv := dashServer(t)
	b := newDashBrowser(t, srv)
	b.signIn()
	res, page := b.do("GET", "/dashboard", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", res.StatusCode, page)
	}
	for _, want := range []string{
		"Headline figures", "Completion and within-SLA rate over time", "Open and overdue by owner", "Root causes", "Time to close", "Failed loops",
		`role="img" aria-labelledby="trend-title trend-desc"`, `<title id="trend-title">`, `<desc id="trend-desc">`,
		`aria-labelledby="load-title load-desc"`, `aria-labelledby="causes-title causes-desc"`, `aria-labelledby="close-title close-desc"`,
		"Ann Lee", "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;Eve", "tk_failed", "States.TaskFailed: &lt;boom&gt;",
		"billing", "delivery", `<polyline points=`, `<table>`, `name="from" value="2026-04-20"`, `name="to" value="2026-05-21"`,
		`<option value="owner" selected>`, `action="/dashboard/logout"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("dashboard lacks %s", want)
		}
	}
	for _, bad := range []string{`<script>`, `style=`, `<style`, `src="http`, `href="http`} {
		if strings.Contains(page, bad) {
			t.Errorf("dashboard has %s", bad)
		}
	}
	if !strings.Contains(res.Header.Get("Cache-Control"), "no-store") {
		t.Errorf("Cache-Control = %q", res.Header.Get("Cache-Control"))
	}

	res, page = b.do("GET", "/dashboard?group_by=team&tz=Europe/Madrid&from=2026-05-01&to=2026-05-21", nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(page, "Open and overdue by team") || !strings.Contains(page, "North") ||
		!strings.Contains(page, "(Europe/Madrid)") || !strings.Contains(page, `name="tz" value="Europe/Madrid"`) {
		t.Errorf("team view: %d %s", res.StatusCode, page)
	}

	// A person may type spaces around what they mean.
	res, page = b.do("GET", "/dashboard?group_by=team&tz=+Europe/Madrid+&from=2026-05-01+&to=+2026-05-21", nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(page, `name="tz" value="Europe/Madrid"`) || !strings.Contains(page, `name="from" value="2026-05-01"`) {
		t.Errorf("team view typed with spaces: %d %s", res.StatusCode, page)
	}

	res, page = b.do("GET", "/dashboard?from=2026-05-10&to=2026-05-01", nil)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "From must be before to") || strings.Contains(page, "Headline figures") {
		t.Errorf("bad range: %d %s", res.StatusCode, page)
	}
}

func TestDashboardSignOut(t *testing.T) {
	t.Parallel()
	srv := dashServer(t)
	b := newDashBrowser(t, srv)
	b.signIn()
	for _, header := range [][]string{
		{"Sec-Fetch-Site", "cross-site"}, {"Sec-Fetch-Site", "same-site"}, {"Origin", "https://evil.example"},
	} {
		res, body := b.do("POST", "/dashboard/logout", url.Values{}, header...)
		if res.StatusCode != http.StatusForbidden || dashCookieOf(res, sessionCookie) != nil {
			t.Errorf("logout with %v: %d %s, want 403 and the session kept", header, res.StatusCode, body)
		}
	}
	if _, page := b.do("GET", "/dashboard", nil); !strings.Contains(page, "Headline figures") {
		t.Fatalf("a refused sign-out ended the session")
	}
	res, _ := b.do("POST", "/dashboard/logout", url.Values{}, sameOrigin...)
	c := dashCookieOf(res, sessionCookie)
	if res.StatusCode != http.StatusSeeOther || c == nil || c.MaxAge >= 0 || c.Value != "" {
		t.Fatalf("logout: %d, cookie %+v; want 303 and the cookie cleared", res.StatusCode, c)
	}
	if _, page := b.do("GET", "/dashboard", nil); !strings.Contains(page, `name="api_key"`) {
		t.Errorf("after sign-out the dashboard does not ask to sign in")
	}
}

func TestCSVSafe(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"": "", "Ann": "Ann", "=SUM(A1)": "'=SUM(A1)", "+1": "'+1", "-1": "'-1", "@x": "'@x",
		"\tx": "'\tx", "\rx": "'\rx", "a=b": "a=b", "0.5": "0.5",
	} {
		if got := csvSafe(in); got != want {
			t.Errorf("csvSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAcceptsCSV(t *testing.T) {
	t.Parallel()
	for accept, want := range map[string]bool{
		"": false, "*/*": false, "text/csv": true, "application/json": false, "text/csv, application/json": true,
		"text/csv;q=0.5, application/json": false, "application/json;q=0.1, text/csv": true, "text/csv;q=0": false,
	} {
		if got := acceptsCSV(accept); got != want {
			t.Errorf("acceptsCSV(%q) = %v, want %v", accept, got, want)
		}
	}
}
