package httpapi

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cxloop/cxloop/shared/app"
	"github.com/cxloop/cxloop/shared/loop"
	"github.com/cxloop/cxloop/shared/report"
)

// Leaders sign in to the dashboard with the API key and get a session
// cookie. Sessions are stateless: the cookie carries a random session id
// and its expiry, signed with HMAC-SHA256 under a key derived from the API
// key, so rotating the API key ends every session. Signing out clears the
// cookie in that browser; a copied cookie stays valid until it expires.
//
// CSRF: every form of a signed-in page carries a token bound to the
// session (an HMAC of its id), checked on POST. The sign-in form, which has
// no session yet, uses a signed double-submit cookie: a random nonce in a
// cookie and its HMAC in the form. The cookies are SameSite=Strict too.
const (
	sessionCookie = "cxloop_session"
	loginCookie   = "cxloop_login"
	sessionTTL    = 12 * time.Hour
	loginTTL      = time.Hour
	maxFailedList = 50
)

// sessions signs and checks dashboard sessions and CSRF tokens.
type sessions struct {
	key    []byte // nil: sign-in is impossible (no API key configured)
	keySum [32]byte
	now    func() time.Time
}

func newSessions(apiKey string, now func() time.Time) *sessions {
	s := &sessions{now: now}
	if apiKey != "" {
		m := hmac.New(sha256.New, []byte(apiKey))
		m.Write([]byte("cxloop-session"))
		s.key = m.Sum(nil)
		s.keySum = sha256.Sum256([]byte(apiKey))
	}
	return s
}

// mac is the HMAC of the parts under the session key, base64url.
func (s *sessions) mac(purpose string, parts ...string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(purpose))
	for _, p := range parts {
		m.Write([]byte{0})
		m.Write([]byte(p))
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkKey compares a submitted API key in constant time (over hashes, so
// not even the key's length leaks).
func (s *sessions) checkKey(got string) bool {
	if s.key == nil {
		return false
	}
	sum := sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(sum[:], s.keySum[:]) == 1
}

// issue returns a new session cookie value and its expiry.
func (s *sessions) issue() (string, time.Time) {
	exp := s.now().Add(sessionTTL).Truncate(time.Second)
	payload := "v1." + randomHex(16) + "." + strconv.FormatInt(exp.Unix(), 10)
	return payload + "." + s.mac("session", payload), exp
}

// verify returns the session id of a valid, unexpired cookie value.
func (s *sessions) verify(v string) (string, bool) {
	if s.key == nil || len(v) > 256 {
		return "", false
	}
	i := strings.LastIndexByte(v, '.')
	if i < 0 {
		return "", false
	}
	payload, sig := v[:i], v[i+1:]
	if !hmac.Equal([]byte(sig), []byte(s.mac("session", payload))) {
		return "", false
	}
	parts := strings.Split(payload, ".")
	if len(parts) != 3 || parts[0] != "v1" {
		return "", false
	}
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || !s.now().Before(time.Unix(exp, 0)) {
		return "", false
	}
	return parts[1], true
}

// csrf is the CSRF token of a session's forms.
func (s *sessions) csrf(sid string) string { return s.mac("csrf", sid) }

// loginToken is the sign-in form's token for the nonce in its cookie.
func (s *sessions) loginToken(nonce string) string { return s.mac("login", nonce) }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// secure reports whether the request reached us over TLS, directly or
// through a proxy (API Gateway sets X-Forwarded-Proto).
func secure(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto")), "https")
}

func setCookie(w http.ResponseWriter, r *http.Request, name, value, path string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: path, MaxAge: maxAge, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: secure(r),
	})
}

// dashboard serves the leaders' pages.
type dashboard struct {
	s    *Server
	sess *sessions
}

func newDashboard(s *Server, now func() time.Time) *dashboard {
	return &dashboard{s: s, sess: newSessions(s.cfg.APIKey, now)}
}

// session returns the request's session id, if it has a valid session.
func (d *dashboard) session(r *http.Request) (string, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return "", false
	}
	return d.sess.verify(c.Value)
}

// showLogin renders the sign-in form with a fresh or reused login nonce.
func (d *dashboard) showLogin(w http.ResponseWriter, r *http.Request, code int, problem string) {
	nonce := ""
	if c, err := r.Cookie(loginCookie); err == nil && len(c.Value) == 32 {
		if _, err := hex.DecodeString(c.Value); err == nil {
			nonce = c.Value
		}
	}
	if nonce == "" {
		nonce = randomHex(16)
	}
	setCookie(w, r, loginCookie, nonce, "/dashboard", int(loginTTL/time.Second))
	w.Header().Add("Vary", "Cookie")
	d.renderLogin(w, code, "Sign in – cxloop dashboard", "Sign in to the dashboard", problem, d.sess.loginToken(nonce))
}

// forbidden answers a POST whose CSRF token is missing or wrong.
func (d *dashboard) forbidden(w http.ResponseWriter, r *http.Request) {
	d.renderLogin(w, http.StatusForbidden, "Form expired – cxloop dashboard", "This form has expired",
		"The form could not be verified. Open the dashboard again and retry.", "")
}

func (d *dashboard) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	if err := r.ParseForm(); err != nil {
		d.showLogin(w, r, http.StatusBadRequest, "The form could not be read.")
		return
	}
	c, err := r.Cookie(loginCookie)
	if err != nil || c.Value == "" ||
		!hmac.Equal([]byte(r.PostForm.Get("csrf")), []byte(d.sess.loginToken(c.Value))) {
		d.forbidden(w, r)
		return
	}
	if !d.sess.checkKey(r.PostForm.Get("api_key")) {
		logger(r.Context()).WarnContext(r.Context(), "dashboard sign-in refused")
		d.showLogin(w, r, http.StatusUnauthorized, "That key was not accepted. Check it and try again.")
		return
	}
	v, exp := d.sess.issue()
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: v, Path: "/", Expires: exp, MaxAge: int(sessionTTL / time.Second),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secure(r),
	})
	setCookie(w, r, loginCookie, "", "/dashboard", -1)
	logger(r.Context()).InfoContext(r.Context(), "dashboard sign-in")
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
}

func (d *dashboard) logout(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	_ = r.ParseForm()
	if sid, ok := d.session(r); ok {
		if !hmac.Equal([]byte(r.PostForm.Get("csrf")), []byte(d.sess.csrf(sid))) {
			d.forbidden(w, r)
			return
		}
	}
	setCookie(w, r, sessionCookie, "", "/", -1)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
}

func (d *dashboard) page(w http.ResponseWriter, r *http.Request) {
	sid, ok := d.session(r)
	if !ok {
		d.showLogin(w, r, http.StatusOK, "")
		return
	}
	w.Header().Add("Vary", "Cookie")
	q := r.URL.Query()
	for _, k := range []string{"from", "to", "tz"} {
		if q.Has(k) {
			q.Set(k, strings.TrimSpace(q.Get(k))) // typed by a person
		}
	}
	if q.Get("group_by") == "" {
		q.Set("group_by", report.ByOwner)
	}
	csrf := d.sess.csrf(sid)
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
		d.renderDashboard(w, http.StatusBadRequest, csrf, form, fieldProblem(err), nil)
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
	d.renderDashboard(w, http.StatusOK, csrf, form, "", &v)
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

// --- the page's view model: every string and coordinate worked out here,
// so writing the page only places them.

type card struct {
	Label, Value, Note string
	Class              string
}

type dashView struct {
	Range, AsOf, TZ string
	GroupLabel      string // "owner" or "team"
	Cards           []card
	Trend           lineChart
	Series          []seriesRow
	SeriesUnit      string
	Load            barChart // open and overdue by owner or team
	Groups          []groupRow
	Causes          barChart
	CauseRows       []countRow
	Close           barChart
	CloseRows       []countRow
	Failed          []failedRow
	FailedMore      int
	Notes           []noteRow
}

type seriesRow struct {
	Period                     string
	Unhappy, Closed, WithinSLA int
	CompletionRate, SLARate    string
}

type groupRow struct {
	Name, Key                                        string
	Held, Unhappy, Closed, WithinSLA, Open, Overdue  int
	Completion, SLA, FirstContact, ToClose, Recovery string
}

type countRow struct {
	Label string
	Count int
	Share string
}

type failedRow struct {
	ID, Owner, Answered, Failure string
}

type noteRow struct {
	ID, Writer, At, Problem, Told string
}

// noteProblemLabels explain a note problem to a leader.
var noteProblemLabels = map[loop.NoteProblem]string{
	loop.NoteNotSent:       "could not be sent",
	loop.NoteBounced:       "bounced",
	loop.NoteUndeliverable: "address no longer accepts messages",
	loop.NoteNoAddress:     "no address left",
	loop.NoteNoChannel:     "text only, and no SMS",
}

func pct(v *float64) string {
	if v == nil {
		return "n/a"
	}
	return strconv.FormatFloat(*v*100, 'f', 0, 64) + "%"
}

func hoursText(v *float64) string {
	if v == nil {
		return "n/a"
	}
	return strconv.FormatFloat(*v, 'f', 1, 64) + " h"
}

func newDashView(rep report.Report, failed []loop.Task) dashView {
	loc := rep.To.Location()
	v := dashView{
		Range:      rep.From.Format("2 Jan 2006 15:04") + " to " + rep.To.Format("2 Jan 2006 15:04"),
		AsOf:       rep.AsOf.Format("2 Jan 2006 15:04 MST"),
		TZ:         rep.TZ,
		GroupLabel: rep.GroupBy,
		SeriesUnit: rep.SeriesUnit,
	}
	v.Cards = []card{
		{Label: "Unhappy answers", Value: strconv.Itoa(rep.Unhappy)},
		{Label: "Loops closed", Value: pct(rep.CompletionRate), Note: fmt.Sprintf("%d of %d", rep.Closed, rep.Unhappy)},
		{Label: "Closed within SLA", Value: pct(rep.SLARate), Note: fmt.Sprintf("%d of %d", rep.ClosedWithinSLA, rep.Unhappy)},
		{Label: "Open", Value: strconv.Itoa(rep.Open)},
		{Label: "Overdue", Value: strconv.Itoa(rep.Overdue), Class: warnIf(rep.Overdue > 0)},
		{Label: "Failed", Value: strconv.Itoa(rep.Failed), Class: warnIf(rep.Failed > 0), Note: "workflow failed; needs a person"},
		{Label: "Median time to first contact", Value: hoursText(rep.MedianHoursToFirstContact)},
		{Label: "Median time to close", Value: hoursText(rep.MedianHoursToClose)},
		{Label: "Put right (recovery check)", Value: pct(rep.RecoveryRate), Note: fmt.Sprintf("%d answers", rep.RecoveryAnswers)},
	}

	layout := "2 Jan"
	if rep.SeriesUnit == report.Week {
		layout = "week of 2 Jan"
	}
	for _, p := range rep.Series {
		v.Series = append(v.Series, seriesRow{
			Period: p.Start.Format(layout), Unhappy: p.Unhappy, Closed: p.Closed, WithinSLA: p.ClosedWithinSLA,
			CompletionRate: pct(p.CompletionRate), SLARate: pct(p.SLARate),
		})
	}
	v.Trend = newLineChart(rep.Series, rep.SeriesUnit)

	var load []bar
	for _, g := range rep.Groups {
		v.Groups = append(v.Groups, groupRow{
			Name: g.Name, Key: g.Key, Held: g.Held, Unhappy: g.Unhappy, Closed: g.Closed, WithinSLA: g.ClosedWithinSLA,
			Open: g.Open, Overdue: g.Overdue, Completion: pct(g.CompletionRate), SLA: pct(g.SLARate),
			FirstContact: hoursText(g.MedianHoursToFirstContact), ToClose: hoursText(g.MedianHoursToClose), Recovery: pct(g.RecoveryRate),
		})
		if g.Open > 0 {
			load = append(load, bar{Label: g.Name, Value: g.Open, Part: g.Overdue,
				Text: fmt.Sprintf("%d open, %d overdue", g.Open, g.Overdue)})
		}
	}
	sort.SliceStable(load, func(i, j int) bool { return load[i].Value > load[j].Value })
	v.Load = newBarChart("load", load)

	var causes []bar
	for k, n := range rep.RootCauses {
		causes = append(causes, bar{Label: k, Value: n, Text: strconv.Itoa(n)})
	}
	sort.Slice(causes, func(i, j int) bool {
		if causes[i].Value != causes[j].Value {
			return causes[i].Value > causes[j].Value
		}
		return causes[i].Label < causes[j].Label
	})
	for _, c := range causes {
		v.CauseRows = append(v.CauseRows, countRow{Label: c.Label, Count: c.Value, Share: share(c.Value, rep.Closed)})
	}
	v.Causes = newBarChart("causes", causes)

	var closeBars []bar
	for _, b := range rep.HoursToClose {
		closeBars = append(closeBars, bar{Label: b.Label, Value: b.Count, Text: strconv.Itoa(b.Count)})
		v.CloseRows = append(v.CloseRows, countRow{Label: b.Label, Count: b.Count, Share: share(b.Count, rep.Closed)})
	}
	v.Close = newBarChart("close", closeBars)

	for _, n := range rep.NotesNotDelivered {
		told := "not yet"
		if n.OwnerTold {
			told = "yes"
		}
		v.Notes = append(v.Notes, noteRow{ID: n.TaskID, Writer: n.Writer, At: n.At.Format("2 Jan 2006 15:04"), Problem: noteProblemLabels[n.Problem], Told: told})
	}
	for i, t := range failed {
		if i == maxFailedList {
			v.FailedMore = len(failed) - i
			break
		}
		msg := t.Failure
		if r := []rune(msg); len(r) > 200 {
			msg = string(r[:200]) + "…"
		}
		v.Failed = append(v.Failed, failedRow{ID: t.ID, Owner: t.Owner().OwnerName, Answered: t.AnsweredAt.In(loc).Format("2 Jan 2006 15:04"), Failure: msg})
	}
	return v
}

func warnIf(b bool) string {
	if b {
		return "warn"
	}
	return ""
}

func share(n, of int) string {
	if of == 0 {
		return "n/a"
	}
	return strconv.FormatFloat(float64(n)*100/float64(of), 'f', 0, 64) + "%"
}

// --- charts: inline SVG with presentation attributes only (the pages'
// CSP allows no inline style), each with a title, a description and a
// data table next to it.

// bar is one row of a horizontal bar chart; Part is an optional part of
// Value drawn over it (overdue of open).
type bar struct {
	Label       string
	Value, Part int
	Text        string
}

type barRow struct {
	Label, Full, Text string
	Y, TextY          int
	W, PartW, ValueX  float64
	HasPart           bool
}

type barChart struct {
	ID            string
	Width, Height int
	LabelX, BarX  int
	Rows          []barRow
	Empty         bool
}

const (
	barWidth  = 480
	barLabelW = 150
	barRowH   = 28
	barMaxW   = 190
)

func newBarChart(id string, bars []bar) barChart {
	c := barChart{ID: id, Width: barWidth, LabelX: barLabelW - 8, BarX: barLabelW, Height: len(bars)*barRowH + 8}
	top := 0
	for _, b := range bars {
		top = max(top, b.Value)
	}
	c.Empty = top == 0
	for i, b := range bars {
		y := 4 + i*barRowH
		w := 0.0
		if top > 0 {
			w = float64(b.Value) / float64(top) * barMaxW
		}
		row := barRow{Label: truncate(b.Label, 20), Full: b.Label, Text: b.Text, Y: y + 4, TextY: y + 18, W: round1(w), ValueX: round1(float64(barLabelW) + w + 6)}
		if b.Part > 0 && top > 0 {
			row.HasPart, row.PartW = true, round1(float64(b.Part)/float64(top)*barMaxW)
		}
		c.Rows = append(c.Rows, row)
	}
	return c
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func round1(f float64) float64 { return float64(int(f*10+0.5)) / 10 }

// lineChart draws completion and within-SLA rate per period.
type lineChart struct {
	Width, Height            int
	Left, Right, Top, Bottom int
	Grid                     []gridLine
	Ticks                    []tick
	Completion, SLA          []string // polyline point lists; a gap in the data starts a new one
	Points                   []point
	Empty                    bool
	Summary                  string
}

type gridLine struct {
	Y     float64
	Label string
}

type tick struct {
	X      float64
	Label  string
	Anchor string // start, middle or end, so the edge labels stay inside
}

type point struct {
	X, Y  float64
	SLA   bool
	Title string
}

func newLineChart(series []report.Point, unit string) lineChart {
	c := lineChart{Width: 480, Height: 240, Left: 44, Right: 468, Top: 12, Bottom: 200}
	for p := 0; p <= 100; p += 25 {
		c.Grid = append(c.Grid, gridLine{Y: c.y(float64(p) / 100), Label: strconv.Itoa(p) + "%"})
	}
	n := len(series)
	c.Empty = true
	for _, p := range series {
		if p.Unhappy > 0 {
			c.Empty = false
		}
	}
	if n == 0 {
		return c
	}
	for k, i := range []int{0, n / 2, n - 1} {
		t := tick{X: c.x(i, n), Label: series[i].Start.Format("2 Jan"), Anchor: [...]string{"start", "middle", "end"}[k]}
		if n == 1 {
			t.Anchor = "middle"
		}
		if len(c.Ticks) > 0 && c.Ticks[len(c.Ticks)-1].X == t.X {
			continue
		}
		c.Ticks = append(c.Ticks, t)
	}
	line := func(get func(report.Point) *float64, sla bool, name string) []string {
		var out []string
		var cur []string
		for i, p := range series {
			v := get(p)
			if v == nil {
				if len(cur) > 0 {
					out = append(out, strings.Join(cur, " "))
				}
				cur = nil
				continue
			}
			x, y := c.x(i, n), c.y(*v)
			cur = append(cur, strconv.FormatFloat(x, 'f', 1, 64)+","+strconv.FormatFloat(y, 'f', 1, 64))
			c.Points = append(c.Points, point{X: x, Y: y, SLA: sla,
				Title: fmt.Sprintf("%s: %s %s", p.Start.Format("2 Jan"), name, pct(v))})
		}
		if len(cur) > 0 {
			out = append(out, strings.Join(cur, " "))
		}
		return out
	}
	last := series[n-1]
	c.Summary = fmt.Sprintf("Share of each %s's unhappy answers whose loop is closed (solid line) and closed within the SLA (dashed line), from %s to %s. Latest %s: %s closed, %s within the SLA. The table below has every value.",
		unit, series[0].Start.Format("2 Jan 2006"), last.Start.Format("2 Jan 2006"), unit, pct(last.CompletionRate), pct(last.SLARate))
	c.Completion = line(func(p report.Point) *float64 { return p.CompletionRate }, false, "closed")
	c.SLA = line(func(p report.Point) *float64 { return p.SLARate }, true, "within SLA")
	return c
}

func (c lineChart) x(i, n int) float64 {
	if n <= 1 {
		return float64(c.Left+c.Right) / 2
	}
	return round1(float64(c.Left) + float64(i)*float64(c.Right-c.Left)/float64(n-1))
}

func (c lineChart) y(v float64) float64 {
	return round1(float64(c.Bottom) - v*float64(c.Bottom-c.Top))
}
