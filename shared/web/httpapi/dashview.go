package httpapi

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/cxloop/cxloop/shared/domain/loop"
	"github.com/cxloop/cxloop/shared/domain/report"
)

// The dashboard's view model: every string and coordinate is worked out
// here, so the page (dashpage.templ) only places them.

// maxFailedList is how many failed loops the dashboard lists.
const maxFailedList = 50

type card struct {
	Label, Value, Note string
	Class              string
}

type dashView struct {
	Range, AsOf, TZ string
	GroupLabel      string // "owner" or "team"
	Holder          string // the group column's heading: "Owner" or "Team"
	Period          string // the series column's heading: "Day" or "Week"
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
		Holder:     "Owner",
		Period:     "Day",
	}
	if rep.GroupBy == report.ByTeam {
		v.Holder = "Team"
	}
	if rep.SeriesUnit == report.Week {
		v.Period = "Week"
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
