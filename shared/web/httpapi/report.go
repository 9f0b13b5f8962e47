package httpapi

import (
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/domain/access"
	"github.com/cxloop/cxloop/shared/domain/report"
)

// reportRoutes adds the leaders' routes: the report API and the dashboard.
func (s *Server) reportRoutes() {
	s.mux.Handle("GET /v1/reports/closed-loop", s.requireScope(access.Read, http.HandlerFunc(s.closedLoopReport)))
	d := newDashboard(s)
	s.mux.HandleFunc("GET /dashboard", d.page)
	s.mux.HandleFunc("POST /dashboard/login", s.limitPages(d.form(d.login)))
	s.mux.HandleFunc("POST /dashboard/logout", d.form(d.logout))
}

// reportParams are a report request's query parameters, parsed.
type reportParams struct {
	From, To time.Time // zero: the core's default
	GroupBy  string
	TZ       string
	Loc      *time.Location
}

// parseReportParams reads from, to (dates in tz, or RFC 3339 times),
// group_by and tz, as given: " 2026-01-01" is not a date (the dashboard's
// form, which people type in, trims its fields first).
func parseReportParams(q url.Values) (reportParams, error) {
	p := reportParams{GroupBy: q.Get("group_by"), TZ: q.Get("tz")}
	var err error
	if p.Loc, err = app.ReportLocation(p.TZ); err != nil {
		return p, err
	}
	if p.From, err = app.ParseReportTime(q.Get("from"), "from", p.Loc); err != nil {
		return p, err
	}
	if p.To, err = app.ParseReportTime(q.Get("to"), "to", p.Loc); err != nil {
		return p, err
	}
	return p, nil
}

// closedLoopReport serves GET /v1/reports/closed-loop as JSON, or as CSV
// with format=csv or Accept: text/csv.
func (s *Server) closedLoopReport(w http.ResponseWriter, r *http.Request) {
	asCSV, err := wantsCSV(r)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	p, err := parseReportParams(r.URL.Query())
	if err != nil {
		WriteError(w, r, err)
		return
	}
	rep, err := s.app.ClosedLoopReport(r.Context(), p.From, p.To, p.GroupBy, p.TZ)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	if asCSV {
		writeReportCSV(w, r, rep)
		return
	}
	WriteJSON(w, http.StatusOK, rep)
}

// acceptsCSV reports whether an Accept header prefers CSV to JSON: it
// names text/csv and does not rank JSON higher.
func acceptsCSV(accept string) bool {
	best, bestQ := "", -1.0
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		qv := 1.0
		if v, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				qv = f
			}
		}
		if (mt == "text/csv" || mt == "application/json") && qv > bestQ {
			best, bestQ = mt, qv
		}
	}
	return best == "text/csv" && bestQ > 0
}

var csvHeader = []string{
	"from", "to", "as_of", "group_by", "key", "name", "held", "unhappy", "closed", "closed_within_sla", "open", "overdue", "failed",
	"completion_rate", "sla_rate", "median_hours_to_first_contact", "median_hours_to_close", "recovery_rate", "recovery_answers", "root_causes",
}

// writeReportCSV writes one row per group, or one total row when the
// report is not grouped.
func writeReportCSV(w http.ResponseWriter, r *http.Request, rep report.Report) {
	var rows [][]string
	row := func(key, name, held string, f report.Figures) {
		rows = append(rows, []string{
			rep.From.Format(time.RFC3339), rep.To.Format(time.RFC3339), rep.AsOf.Format(time.RFC3339), rep.GroupBy, key, name, held,
			strconv.Itoa(f.Unhappy), strconv.Itoa(f.Closed), strconv.Itoa(f.ClosedWithinSLA), strconv.Itoa(f.Open),
			strconv.Itoa(f.Overdue), strconv.Itoa(f.Failed), csvFloat(f.CompletionRate), csvFloat(f.SLARate),
			csvFloat(f.MedianHoursToFirstContact), csvFloat(f.MedianHoursToClose), csvFloat(f.RecoveryRate),
			strconv.Itoa(f.RecoveryAnswers), causesCell(f.RootCauses),
		})
	}
	if rep.GroupBy == "" {
		row("", "all", "", rep.Figures)
	}
	for _, g := range rep.Groups {
		row(g.Key, g.Name, strconv.Itoa(g.Held), g.Figures)
	}
	name := "closed-loop-" + rep.From.Format(time.DateOnly) + "-" + rep.To.Format(time.DateOnly) + ".csv"
	writeCSV(w, r, name, csvHeader, rows, "")
}

// csvFloat is a rate or median; empty for null.
func csvFloat(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

// causesCell lists root causes as "cause=n; cause=n", most frequent first.
func causesCell(m map[string]int) string {
	type kv struct {
		k string
		n int
	}
	list := make([]kv, 0, len(m))
	for k, n := range m {
		list = append(list, kv{k, n})
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].n != list[j].n {
			return list[i].n > list[j].n
		}
		return list[i].k < list[j].k
	})
	parts := make([]string, len(list))
	for i, x := range list {
		parts[i] = x.k + "=" + strconv.Itoa(x.n)
	}
	return strings.Join(parts, "; ")
}
