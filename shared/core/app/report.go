package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cxloop/cxloop/shared/domain/report"
	"github.com/cxloop/cxloop/shared/domain/survey"
)

// Limits and defaults of the date ranges of listings and reports.
const (
	// MaxRangeYears bounds a range, so one request cannot read the whole
	// table.
	MaxRangeYears = 2
	// DefaultRangeDays is the range when from is not given.
	DefaultRangeDays = 30
)

// dateRange resolves a listing's or report's [from, to): a zero to is
// defaultTo, a zero from DefaultRangeDays before to (by loc's calendar);
// the range must be non-empty and at most MaxRangeYears long.
func dateRange(from, to, defaultTo time.Time, loc *time.Location) (time.Time, time.Time, error) {
	if to.IsZero() {
		to = defaultTo
	}
	if from.IsZero() {
		from = to.In(loc).AddDate(0, 0, -DefaultRangeDays)
	}
	switch {
	case !from.Before(to):
		return from, to, FieldError("from", "must be before to")
	case to.After(from.AddDate(MaxRangeYears, 0, 0)):
		return from, to, FieldError("to", fmt.Sprintf("must be at most %d years after from", MaxRangeYears))
	}
	return from, to, nil
}

// ReportLocation resolves a report's timezone: UTC when tz is empty, else
// an IANA zone.
func ReportLocation(tz string) (*time.Location, error) {
	if tz == "" || tz == "UTC" {
		return time.UTC, nil
	}
	if tz == "Local" || strings.HasPrefix(tz, "/") || strings.Contains(tz, "..") {
		return nil, FieldError("tz", "must be an IANA timezone, like Europe/Madrid")
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, FieldError("tz", "must be an IANA timezone, like Europe/Madrid")
	}
	return loc, nil
}

// ParseReportTime reads a report bound: an RFC 3339 time, or a date
// (YYYY-MM-DD) meaning its midnight in loc. Empty is the zero time.
func ParseReportTime(v, field string, loc *time.Location) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, ok := ParseTime(v); ok {
		return t, nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, v, loc); err == nil {
		return t, nil
	}
	return time.Time{}, FieldError(field, "must be a date (YYYY-MM-DD) or an RFC 3339 time")
}

// ClosedLoopReport reports on the loops whose unhappy answer is in
// [from, to), as of min(to, now) (see package report for every figure).
// A zero to is now; a zero from is 30 days before to. groupBy is "",
// "owner" or "team"; tz, an IANA zone or empty for UTC, sets the days and
// weeks of the series and the zone of the times shown.
func (a *App) ClosedLoopReport(ctx context.Context, from, to time.Time, groupBy, tz string) (report.Report, error) {
	loc, err := ReportLocation(tz)
	if err != nil {
		return report.Report{}, err
	}
	switch groupBy {
	case "", report.ByOwner, report.ByTeam:
	default:
		return report.Report{}, FieldError("group_by", "must be one of: owner, team")
	}
	now := a.Now()
	if from, to, err = dateRange(from, to, now, loc); err != nil {
		return report.Report{}, err
	}
	tasks, err := a.store.LoopsBetween(ctx, from, to)
	if err != nil {
		return report.Report{}, fmt.Errorf("closed-loop report: loops: %w", err)
	}
	asOf := to
	if now.Before(asOf) {
		asOf = now
	}
	// Recovery answers come after their loop closed, so after from; those
	// after the report's instant do not count. Read them only if a loop of
	// the report asked for one.
	var recoveries []survey.Response
	for i := range tasks {
		if tasks[i].RecoverySurveyID != "" {
			list, err := a.store.ResponsesBetween(ctx, from, asOf.Add(time.Nanosecond))
			if err != nil {
				return report.Report{}, fmt.Errorf("closed-loop report: recovery answers: %w", err)
			}
			for _, r := range list {
				if r.Kind == survey.Recovery {
					recoveries = append(recoveries, r)
				}
			}
			break
		}
	}
	return report.ClosedLoop(tasks, recoveries, report.Query{From: from, To: to, Now: now, GroupBy: groupBy, Loc: loc}), nil
}
