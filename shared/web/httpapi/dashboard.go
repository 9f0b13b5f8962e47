package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/domain/directory"
	"github.com/cxloop/cxloop/shared/domain/loop"
	"github.com/cxloop/cxloop/shared/domain/report"
)

// CSRF: the dashboard's forms post only from its own pages. Its POST
// routes go through net/http's CrossOriginProtection, which refuses a
// request a browser marks as sent from another origin (Sec-Fetch-Site, or
// where a browser is too old to send it, an Origin that is not this host).
// That covers the sign-in form too, which has no session to bind a token
// to. The session cookie is SameSite=Strict as well, so a cross-site post
// would not carry it. Requests with neither header come from no browser
// (curl, a script) and carry no victim's cookies.
//
// The link pages (survey, unsubscribe, task) are not guarded this way:
// they are opened from mail in any client, and RFC 8058 one-click
// unsubscribes post from mail providers' servers; their signed link is
// their credential.

// dashboard serves the leaders' pages.
type dashboard struct {
	s   *Server
	cop *http.CrossOriginProtection
}

func newDashboard(s *Server) *dashboard {
	d := &dashboard{s: s, cop: http.NewCrossOriginProtection()}
	d.cop.SetDenyHandler(http.HandlerFunc(d.forbidden))
	return d
}

// form guards one of the dashboard's form posts against cross-origin
// requests.
func (d *dashboard) form(h http.HandlerFunc) http.HandlerFunc {
	return d.cop.Handler(h).ServeHTTP
}

// session reports whether the request has a session of a leader (a person
// with that role, or an admin, or an API key that can read).
func (d *dashboard) session(r *http.Request) bool {
	v, ok := d.s.viewer(r)
	return ok && v.Is(directory.Leader)
}

// showLogin renders the sign-in form.
func (d *dashboard) showLogin(w http.ResponseWriter, r *http.Request, code int, problem string) {
	d.renderLogin(w, r, code, "Sign in – cxloop dashboard", "Sign in to the dashboard", problem, true)
}

// forbidden answers a form posted from another origin.
func (d *dashboard) forbidden(w http.ResponseWriter, r *http.Request) {
	logger(r.Context()).WarnContext(r.Context(), "dashboard form refused: cross-origin request",
		"sec_fetch_site", r.Header.Get("Sec-Fetch-Site"), "origin", r.Header.Get("Origin"))
	d.renderLogin(w, r, http.StatusForbidden, "Form expired – cxloop dashboard", "This form has expired",
		"The form could not be verified. Open the dashboard again and retry.", false)
}

func (d *dashboard) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	if err := r.ParseForm(); err != nil {
		d.showLogin(w, r, http.StatusBadRequest, "The form could not be read.")
		return
	}
	v, exp, err := d.s.app.KeySession(r.Context(), r.PostForm.Get("api_key"))
	if code := app.CodeOf(err); code == app.Unauthorized || code == app.Forbidden || code == app.Invalid {
		logger(r.Context()).WarnContext(r.Context(), "dashboard sign-in refused")
		d.showLogin(w, r, http.StatusUnauthorized, "That key was not accepted. Check it and try again.")
		return
	} else if err != nil {
		d.s.pageError(w, r, err)
		return
	}
	setSession(w, r, v, exp)
	logger(r.Context()).InfoContext(r.Context(), "dashboard sign-in")
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
}

func (d *dashboard) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := d.s.app.SignOut(r.Context(), c.Value); err != nil {
			d.s.pageError(w, r, err)
			return
		}
	}
	setSession(w, r, "", time.Time{})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
}

func (d *dashboard) page(w http.ResponseWriter, r *http.Request) {
	w.Header().Add("Vary", "Cookie")
	if v, ok := d.s.viewer(r); ok && !v.Is(directory.Leader) {
		// Signed in, but as someone the dashboard is not for: say so,
		// rather than ask them to sign in again.
		d.s.forbiddenPage(w, r, "The dashboard is for leaders. Your follow-ups are on your home page.")
		return
	}
	if !d.session(r) {
		d.showLogin(w, r, http.StatusOK, "")
		return
	}
	q := r.URL.Query()
	for _, k := range []string{"from", "to", "tz"} {
		if q.Has(k) {
			q.Set(k, strings.TrimSpace(q.Get(k))) // typed by a person
		}
	}
	if q.Get("group_by") == "" {
		q.Set("group_by", report.ByOwner)
	}
	p, err := parseReportParams(q)
	var rep report.Report
	if err == nil {
		rep, err = d.s.app.ClosedLoopReport(r.Context(), p.From, p.To, p.GroupBy, p.TZ)
	}
	if err != nil {
		if app.CodeOf(err) != app.Invalid {
			d.s.pageError(w, r, err)
			return
		}
		form := rangeForm{From: q.Get("from"), To: q.Get("to"), GroupBy: q.Get("group_by"), TZ: q.Get("tz")}
		d.renderDashboard(w, r, http.StatusBadRequest, form, fieldProblem(err), nil)
		return
	}
	failed, _, err := d.s.app.Tasks(r.Context(), app.TaskFilter{Status: loop.Failed}, "", MaxPage)
	if err != nil {
		d.s.pageError(w, r, err)
		return
	}
	// The form shows the range as dates; a default "to" (now) is shown as
	// the next midnight, so sending the form again still covers today.
	to := rep.To
	if p.To.IsZero() {
		to = time.Date(to.Year(), to.Month(), to.Day()+1, 0, 0, 0, 0, to.Location())
	}
	form := rangeForm{
		From: rep.From.Format(time.DateOnly), To: to.Format(time.DateOnly),
		GroupBy: rep.GroupBy, TZ: p.TZ,
	}
	v := newDashView(rep, failed)
	d.renderDashboard(w, r, http.StatusOK, form, "", &v)
}

// renderLogin sends the sign-in page: the form when withForm, else a link
// back to the dashboard.
func (d *dashboard) renderLogin(w http.ResponseWriter, r *http.Request, code int, title, heading, problem string, withForm bool) {
	v := loginView{Heading: heading, Problem: problem, Form: withForm, Org: d.s.app.Config().Org}
	d.s.sendPage(w, r, code, "en", title, loginPage(v))
}

// renderDashboard sends the dashboard: the range form, then the report, or
// the problem with the range when v is nil.
func (d *dashboard) renderDashboard(w http.ResponseWriter, r *http.Request, code int, f rangeForm, problem string, v *dashView) {
	d.s.sendPage(w, r, code, "en", "Closed-loop dashboard", dashboardPage(f, problem, v))
}

// loginView is what the sign-in page shows.
type loginView struct {
	Heading, Problem string
	Form             bool // the sign-in form; false: a link back to the dashboard
	Org              string
}

// fieldProblem turns a validation error into sentences for a page.
func fieldProblem(err error) string {
	var e *app.Error
	if !errors.As(err, &e) {
		return "Something went wrong."
	}
	if len(e.Fields) == 0 {
		return e.Message
	}
	names := make([]string, 0, len(e.Fields))
	for f := range e.Fields {
		names = append(names, f)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, f := range names {
		label := map[string]string{"from": "From", "to": "To", "group_by": "Group by", "tz": "Timezone"}[f]
		if label == "" {
			label = f
		}
		fmt.Fprintf(&b, "%s %s. ", label, e.Fields[f])
	}
	return strings.TrimSpace(b.String())
}

// rangeForm is the range form's values.
type rangeForm struct {
	From, To, GroupBy, TZ string
}
