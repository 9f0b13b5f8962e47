package report_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/domain/loop"
	"github.com/cxloop/cxloop/shared/domain/report"
	"github.com/cxloop/cxloop/shared/domain/survey"
)

var (
	day0 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC) // a Monday
	from = day0
	to   = day0.AddDate(0, 0, 7)
)

func at(h float64) time.Time { return day0.Add(time.Duration(h * float64(time.Hour))) }

// task is a loop answered at hour h (from day0), due 48 h later, held by
// owner ann of team north.
func task(id string, h float64, opts ...func(*loop.Task)) loop.Task {
	t := loop.Task{
		ID: id, AnsweredAt: at(h), DueAt: at(h + 48), Status: loop.Open,
		Owners: []loop.Holding{{OwnerID: "ann", OwnerName: "Ann", Team: "north", From: at(h)}},
	}
	for _, o := range opts {
		o(&t)
	}
	return t
}

// closed closes a loop after d hours with cause.
func closed(d float64, cause string) func(*loop.Task) {
	return func(t *loop.Task) {
		t.Status, t.ClosedAt, t.RootCause = loop.Done, t.AnsweredAt.Add(hours(d)), cause
		if t.AcknowledgedAt.IsZero() {
			t.AcknowledgedAt = t.ClosedAt
		}
	}
}

func acked(d float64) func(*loop.Task) {
	return func(t *loop.Task) { t.AcknowledgedAt = t.AnsweredAt.Add(hours(d)) }
}

func failed(t *loop.Task) { t.Status = loop.Failed }

// handed reassigns a loop to owner after d hours.
func handed(d float64, owner, name, team string) func(*loop.Task) {
	return func(t *loop.Task) {
		t.Owners = append(t.Owners, loop.Holding{OwnerID: owner, OwnerName: name, Team: team, From: t.AnsweredAt.Add(hours(d)), Reason: "away"})
	}
}

func hours(h float64) time.Duration { return time.Duration(h * float64(time.Hour)) }

func recovery(taskID string, h float64, yes bool) survey.Response {
	score := 0
	if yes {
		score = 1
	}
	return survey.Response{ID: "rs_" + taskID, Kind: survey.Recovery, TaskID: taskID, Score: score, AnsweredAt: at(h)}
}

func f(v float64) *float64 { return &v }

func fmtp(p *float64) string {
	if p == nil {
		return "null"
	}
	return fmt.Sprint(*p)
}

// figures is the part of Figures the tables check.
type figures struct {
	unhappy, closed, inSLA, open, overdue, failed int
	completion, sla, contact, close, recovery     *float64
}

func check(t *testing.T, what string, got report.Figures, want figures) {
	t.Helper()
	g := figures{got.Unhappy, got.Closed, got.ClosedWithinSLA, got.Open, got.Overdue, got.Failed,
		got.CompletionRate, got.SLARate, got.MedianHoursToFirstContact, got.MedianHoursToClose, got.RecoveryRate}
	ints := func(x figures) string {
		return fmt.Sprintf("unhappy=%d closed=%d within=%d open=%d overdue=%d failed=%d completion=%s sla=%s contact=%s close=%s recovery=%s",
			x.unhappy, x.closed, x.inSLA, x.open, x.overdue, x.failed, fmtp(x.completion), fmtp(x.sla), fmtp(x.contact), fmtp(x.close), fmtp(x.recovery))
	}
	if ints(g) != ints(want) {
		t.Errorf("%s:\n got  %s\n want %s", what, ints(g), ints(want))
	}
}

func TestClosedLoopTotals(t *testing.T) {
	t.Parallel()
	q := report.Query{From: from, To: to, Now: to.Add(1000 * time.Hour)}
	tests := []struct {
		name  string
		tasks []loop.Task
		recs  []survey.Response
		q     report.Query
		want  figures
	}{
		{
			name: "empty: rates and medians are null",
			q:    q,
			want: figures{},
		},
		{
			name:  "brief: one closed after the SLA",
			tasks: []loop.Task{task("a", 1, closed(50, "billing"))},
			q:     q,
			want:  figures{unhappy: 1, closed: 1, completion: f(1), sla: f(0), contact: f(50), close: f(50)},
		},
		{
			name:  "brief: and one closed within the SLA",
			tasks: []loop.Task{task("a", 1, closed(50, "billing")), task("b", 2, closed(48, "billing"))},
			q:     q,
			want:  figures{unhappy: 2, closed: 2, inSLA: 1, completion: f(1), sla: f(0.5), contact: f(49), close: f(49)},
		},
		{
			name: "open loops count in sla_rate's denominator",
			tasks: []loop.Task{
				task("a", 1, closed(10, "billing")),
				task("b", 1),
				task("c", 1, acked(3)),
				task("d", 1, failed),
			},
			q:    q,
			want: figures{unhappy: 4, closed: 1, inSLA: 1, open: 3, overdue: 3, failed: 1, completion: f(0.25), sla: f(0.25), contact: f(6.5), close: f(10)},
		},
		{
			name: "loops crossing the range's edges",
			tasks: []loop.Task{
				task("before", -1, closed(5, "billing")),       // answered before From: not in the report
				task("at-from", 0, closed(5, "billing")),       // answered at From: in
				task("at-to", 7*24, closed(1, "billing")),      // answered at To: out
				task("late", 7*24-1, closed(30, "delivery")),   // answered in, closed after To: open as of To
				task("straddle", 6*24, closed(30, "delivery")), // closed after To, not yet due: open, not overdue
				task("overdue", 4*24, closed(100, "delivery")), // due before To, closed after: overdue
				task("never", 24),                               // open, overdue
				task("after", 9*24, closed(1, "billing")),       // answered after To: out
				task("ack-late", 6*24+20, acked(5), acked(5.5)), // contact after To: not counted
			},
			q: report.Query{From: from, To: to, Now: to.Add(1000 * time.Hour)},
			want: figures{unhappy: 6, closed: 1, inSLA: 1, open: 5, overdue: 2,
				completion: f(1.0 / 6), sla: f(1.0 / 6), contact: f(5), close: f(5)},
		},
		{
			name: "as of now when the range reaches past now",
			tasks: []loop.Task{
				task("a", 1, closed(10, "billing")),
				task("b", 2, closed(3*24, "billing")), // closes after now
			},
			q:    report.Query{From: from, To: to, Now: at(2 * 24)},
			want: figures{unhappy: 2, closed: 1, inSLA: 1, open: 1, completion: f(0.5), sla: f(0.5), contact: f(10), close: f(10)},
		},
		{
			name: "medians of an odd count",
			tasks: []loop.Task{
				task("a", 1, acked(1), closed(10, "x")),
				task("b", 1, acked(2), closed(20, "x")),
				task("c", 1, acked(30), closed(100, "x")),
			},
			q:    q,
			want: figures{unhappy: 3, closed: 3, inSLA: 2, completion: f(1), sla: f(2.0 / 3), contact: f(2), close: f(20)},
		},
		{
			name: "medians of an even count",
			tasks: []loop.Task{
				task("a", 1, acked(1), closed(10, "x")),
				task("b", 1, acked(2), closed(20, "x")),
				task("c", 1, acked(3), closed(31, "x")),
				task("d", 1, acked(30), closed(100, "x")),
			},
			q:    q,
			want: figures{unhappy: 4, closed: 4, inSLA: 3, completion: f(1), sla: f(0.75), contact: f(2.5), close: f(25.5)},
		},
		{
			name:  "a contact logged before the answer counts as instant",
			tasks: []loop.Task{task("a", 1, acked(-1))},
			q:     q,
			want:  figures{unhappy: 1, open: 1, overdue: 1, completion: f(0), sla: f(0), contact: f(0)},
		},
		{
			name:  "recovery answers",
			tasks: []loop.Task{task("a", 1, closed(5, "x")), task("b", 1, closed(5, "x")), task("c", 1, closed(5, "x"))},
			recs: []survey.Response{
				recovery("a", 100, true),
				recovery("b", 100, true), recovery("b", 120, false), // changed their mind: the latest counts
				recovery("c", 5000, true),      // after as-of
				recovery("outside", 100, true), // task not in the report
				{ID: "rs_x", Kind: survey.NPS, TaskID: "a", Score: 1, AnsweredAt: at(100)}, // not a recovery answer
			},
			q:    report.Query{From: from, To: to, Now: at(1000)},
			want: figures{unhappy: 3, closed: 3, inSLA: 3, completion: f(1), sla: f(1), contact: f(5), close: f(5), recovery: f(0.5)},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := report.ClosedLoop(tc.tasks, tc.recs, tc.q)
			check(t, "total", r.Figures, tc.want)
			if len(r.Groups) != 0 {
				t.Errorf("groups = %v, want none without group_by", r.Groups)
			}
		})
	}
}

func TestClosedLoopAsOfAndEdges(t *testing.T) {
	t.Parallel()
	r := report.ClosedLoop(nil, nil, report.Query{From: from, To: to, Now: to.Add(time.Hour)})
	if !r.AsOf.Equal(to) {
		t.Errorf("as of = %v, want To %v", r.AsOf, to)
	}
	r = report.ClosedLoop(nil, nil, report.Query{From: from, To: to, Now: at(5)})
	if !r.AsOf.Equal(at(5)) {
		t.Errorf("as of = %v, want now %v", r.AsOf, at(5))
	}
	r = report.ClosedLoop(nil, nil, report.Query{From: from, To: to})
	if !r.AsOf.Equal(to) || r.TZ != "UTC" {
		t.Errorf("as of = %v, tz %q; want To and UTC", r.AsOf, r.TZ)
	}
}

func TestClosedLoopRootCausesAndHistogram(t *testing.T) {
	t.Parallel()
	tasks := []loop.Task{
		task("a", 1, closed(0, "billing")),
		task("b", 1, closed(23.9, "billing")),
		task("c", 1, closed(24, "delivery")),
		task("d", 1, closed(71, "delivery")),
		task("e", 1, closed(72, "other")),
		task("f", 1, closed(168, "other")),
		task("g", 1, closed(5000, "lost")), // closed after as-of: open, its cause not counted
		task("h", 1, func(t *loop.Task) { t.RootCause = "draft" }),
	}
	r := report.ClosedLoop(tasks, nil, report.Query{From: from, To: from.AddDate(0, 0, 30), Now: to.Add(1000 * time.Hour)})
	want := map[string]int{"billing": 2, "delivery": 2, "other": 2}
	if fmt.Sprint(r.RootCauses) != fmt.Sprint(want) {
		t.Errorf("root causes = %v, want %v", r.RootCauses, want)
	}
	var counts []int
	var labels []string
	for _, b := range r.HoursToClose {
		counts = append(counts, b.Count)
		labels = append(labels, b.Label)
	}
	if fmt.Sprint(counts) != "[2 1 1 1 1]" {
		t.Errorf("histogram = %v %v, want [2 1 1 1 1]", counts, labels)
	}
	if labels[0] != "0–24 h" || labels[4] != "over 168 h" || r.HoursToClose[4].MaxHours != nil {
		t.Errorf("labels = %q", labels)
	}
}

func TestClosedLoopGroups(t *testing.T) {
	t.Parallel()
	asOf := at(1000)
	tasks := []loop.Task{
		// Ann had it, Bob closed it.
		task("a", 1, handed(2, "bob", "Bob", "south"), closed(10, "billing")),
		// Ann had it, Bob has it now, open.
		task("b", 1, handed(2, "bob", "Bob", "south")),
		// Ann's throughout.
		task("c", 1, closed(50, "delivery")),
		// Handed to Cy after the report's instant: still Ann's.
		task("d", 1, handed(2000, "cy", "Cy", "")),
		// Ann → Bob → Ann: Ann's, held once by each.
		task("e", 1, handed(2, "bob", "Bob", "south"), handed(3, "ann", "Ann B.", "north")),
		// Cy, no team, closed within the SLA.
		task("f", 1, func(t *loop.Task) { t.Owners[0] = loop.Holding{OwnerID: "cy", OwnerName: "Cy", From: t.AnsweredAt} }, closed(5, "billing")),
	}
	recs := []survey.Response{recovery("a", 100, true), recovery("c", 100, false)}
	type row struct {
		key, name string
		held      int
		want      figures
	}
	tests := []struct {
		by   string
		rows []row
	}{
		{report.ByOwner, []row{
			{"ann", "Ann B.", 5, figures{unhappy: 3, closed: 1, open: 2, overdue: 2, completion: f(1.0 / 3), sla: f(0), contact: f(50), close: f(50), recovery: f(0)}},
			{"bob", "Bob", 3, figures{unhappy: 2, closed: 1, inSLA: 1, open: 1, overdue: 1, completion: f(0.5), sla: f(0.5), contact: f(10), close: f(10), recovery: f(1)}},
			{"cy", "Cy", 1, figures{unhappy: 1, closed: 1, inSLA: 1, completion: f(1), sla: f(1), contact: f(5), close: f(5)}},
		}},
		{report.ByTeam, []row{
			{"north", "north", 5, figures{unhappy: 3, closed: 1, open: 2, overdue: 2, completion: f(1.0 / 3), sla: f(0), contact: f(50), close: f(50), recovery: f(0)}},
			{"south", "south", 3, figures{unhappy: 2, closed: 1, inSLA: 1, open: 1, overdue: 1, completion: f(0.5), sla: f(0.5), contact: f(10), close: f(10), recovery: f(1)}},
			{report.NoTeam, report.NoTeam, 1, figures{unhappy: 1, closed: 1, inSLA: 1, completion: f(1), sla: f(1), contact: f(5), close: f(5)}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.by, func(t *testing.T) {
			t.Parallel()
			r := report.ClosedLoop(tasks, recs, report.Query{From: from, To: to, Now: asOf, GroupBy: tc.by})
			if len(r.Groups) != len(tc.rows) {
				t.Fatalf("groups = %+v, want %d", r.Groups, len(tc.rows))
			}
			for i, w := range tc.rows {
				g := r.Groups[i]
				if g.Key != w.key || g.Name != w.name || g.Held != w.held {
					t.Errorf("group %d = %q %q held %d, want %q %q held %d", i, g.Key, g.Name, g.Held, w.key, w.name, w.held)
				}
				check(t, "group "+w.key, g.Figures, w.want)
			}
			check(t, "total", r.Figures, figures{unhappy: 6, closed: 3, inSLA: 2, open: 3, overdue: 3,
				completion: f(0.5), sla: f(1.0 / 3), contact: f(10), close: f(10), recovery: f(0.5)})
		})
	}
}

func TestClosedLoopReassignedAwayShowsAsHeld(t *testing.T) {
	t.Parallel()
	tasks := []loop.Task{task("a", 1, handed(5, "bob", "Bob", "south"), closed(6, "billing"))}
	r := report.ClosedLoop(tasks, nil, report.Query{From: from, To: to, GroupBy: report.ByOwner})
	if len(r.Groups) != 2 {
		t.Fatalf("groups = %+v", r.Groups)
	}
	ann := r.Groups[0]
	if ann.Key != "ann" || ann.Held != 1 || ann.Unhappy != 0 || ann.CompletionRate != nil || ann.MedianHoursToClose != nil {
		t.Errorf("ann = %+v; want held 1, nothing counted, null rates", ann)
	}
	b, _ := json.Marshal(ann)
	for _, k := range []string{`"completion_rate":null`, `"sla_rate":null`, `"recovery_rate":null`, `"median_hours_to_close":null`, `"root_causes":{}`, `"held":1`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("group JSON %s lacks %s", b, k)
		}
	}
}

func TestClosedLoopSeries(t *testing.T) {
	t.Parallel()
	madrid, err := time.LoadLocation("Europe/Madrid")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	tests := []struct {
		name    string
		q       report.Query
		tasks   []loop.Task
		unit    string
		points  int
		first   string // first point's start and end
		last    string
		unhappy string
	}{
		{
			name:    "daily for a week",
			q:       report.Query{From: from, To: to, Now: to},
			tasks:   []loop.Task{task("a", 1, closed(5, "x")), task("b", 2, closed(50, "x")), task("c", 30), task("d", 6*24+23)},
			unit:    report.Day,
			points:  7,
			first:   "2026-03-02T00:00:00Z 2026-03-03T00:00:00Z",
			last:    "2026-03-08T00:00:00Z 2026-03-09T00:00:00Z",
			unhappy: "[2 1 0 0 0 0 1]",
		},
		{
			name:    "daily, cut to a range that starts and ends mid-day",
			q:       report.Query{From: at(12), To: at(36)},
			tasks:   []loop.Task{task("a", 11), task("b", 12), task("c", 35.9), task("d", 36)},
			unit:    report.Day,
			points:  2,
			first:   "2026-03-02T12:00:00Z 2026-03-03T00:00:00Z",
			last:    "2026-03-03T00:00:00Z 2026-03-03T12:00:00Z",
			unhappy: "[1 1]",
		},
		{
			name:    "weekly from Monday past 31 days",
			q:       report.Query{From: at(-24), To: at(-24).AddDate(0, 0, 40)},
			tasks:   []loop.Task{task("a", -24), task("b", 0), task("c", 7*24), task("d", 7*24-1)},
			unit:    report.Week,
			points:  7,
			first:   "2026-03-01T00:00:00Z 2026-03-02T00:00:00Z",
			last:    "2026-04-06T00:00:00Z 2026-04-10T00:00:00Z",
			unhappy: "[1 2 1 0 0 0 0]",
		},
		{
			name:    "days in the report's timezone, across a DST change",
			q:       report.Query{From: time.Date(2026, 3, 28, 0, 0, 0, 0, madrid), To: time.Date(2026, 3, 31, 0, 0, 0, 0, madrid), Loc: madrid},
			tasks:   []loop.Task{{ID: "a", AnsweredAt: time.Date(2026, 3, 29, 23, 30, 0, 0, time.UTC)}, {ID: "b", AnsweredAt: time.Date(2026, 3, 29, 21, 30, 0, 0, time.UTC)}},
			unit:    report.Day,
			points:  3,
			first:   "2026-03-28T00:00:00+01:00 2026-03-29T00:00:00+01:00",
			last:    "2026-03-30T00:00:00+02:00 2026-03-31T00:00:00+02:00",
			unhappy: "[0 1 1]",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := report.ClosedLoop(tc.tasks, nil, tc.q)
			if r.SeriesUnit != tc.unit || len(r.Series) != tc.points {
				t.Fatalf("series = %s × %d, want %s × %d", r.SeriesUnit, len(r.Series), tc.unit, tc.points)
			}
			span := func(p report.Point) string {
				return p.Start.Format(time.RFC3339) + " " + p.End.Format(time.RFC3339)
			}
			if got := span(r.Series[0]); got != tc.first {
				t.Errorf("first = %s, want %s", got, tc.first)
			}
			if got := span(r.Series[len(r.Series)-1]); got != tc.last {
				t.Errorf("last = %s, want %s", got, tc.last)
			}
			var n []int
			total := 0
			for _, p := range r.Series {
				n = append(n, p.Unhappy)
				total += p.Unhappy
			}
			if fmt.Sprint(n) != tc.unhappy {
				t.Errorf("unhappy per period = %v, want %s", n, tc.unhappy)
			}
			if total != r.Unhappy {
				t.Errorf("series sum %d != unhappy %d", total, r.Unhappy)
			}
		})
	}
	r := report.ClosedLoop([]loop.Task{task("a", 1, closed(5, "x")), task("b", 2, closed(50, "x")), task("c", 3)}, nil,
		report.Query{From: from, To: to, Now: to})
	p := r.Series[0]
	if p.Closed != 2 || p.ClosedWithinSLA != 1 || fmtp(p.CompletionRate) != fmtp(f(2.0/3)) || fmtp(p.SLARate) != fmtp(f(1.0/3)) {
		t.Errorf("first day = %+v", p)
	}
	if r.Series[1].CompletionRate != nil {
		t.Errorf("a day without loops has completion rate %v, want null", *r.Series[1].CompletionRate)
	}
}

func TestClosedLoopJSONNames(t *testing.T) {
	t.Parallel()
	r := report.ClosedLoop([]loop.Task{task("a", 1)}, nil, report.Query{From: from, To: to, GroupBy: report.ByOwner})
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"unhappy", "closed", "closed_within_sla", "open", "overdue", "completion_rate", "sla_rate",
		"median_hours_to_first_contact", "median_hours_to_close", "recovery_rate", "root_causes", "groups",
		"from", "to", "as_of", "series", "hours_to_close"} {
		if _, ok := m[k]; !ok {
			t.Errorf("report JSON lacks %q: %s", k, b)
		}
	}
	if m["recovery_rate"] != nil || m["median_hours_to_close"] != nil {
		t.Errorf("null figures not null: %s", b)
	}
}

// population builds n loops over 90 days, 50 owners in 8 teams, a fifth
// reassigned, two thirds closed.
func population(n int) []loop.Task {
	rng := rand.New(rand.NewPCG(1, 2))
	tasks := make([]loop.Task, n)
	for i := range tasks {
		answered := day0.Add(time.Duration(rng.Int64N(int64(90 * 24 * time.Hour))))
		o := rng.IntN(50)
		t := loop.Task{
			ID: fmt.Sprintf("tk_%06d", i), AnsweredAt: answered, DueAt: answered.Add(48 * time.Hour), Status: loop.Open,
			Owners: []loop.Holding{{OwnerID: fmt.Sprintf("p%02d", o), OwnerName: fmt.Sprintf("Person %d", o), Team: fmt.Sprintf("team-%d", o%8), From: answered}},
		}
		if rng.IntN(5) == 0 {
			o2 := rng.IntN(50)
			t.Owners = append(t.Owners, loop.Holding{OwnerID: fmt.Sprintf("p%02d", o2), OwnerName: fmt.Sprintf("Person %d", o2), Team: fmt.Sprintf("team-%d", o2%8), From: answered.Add(time.Hour)})
		}
		if rng.IntN(3) != 0 {
			t.Status, t.ClosedAt, t.RootCause = loop.Done, answered.Add(time.Duration(rng.Int64N(int64(120*time.Hour)))), loop.DefaultRootCauses()[rng.IntN(7)]
			t.AcknowledgedAt = t.ClosedAt
		}
		tasks[i] = t
	}
	return tasks
}

func TestClosedLoopLargeIsConsistent(t *testing.T) {
	t.Parallel()
	tasks := population(20000)
	q := report.Query{From: day0, To: day0.AddDate(0, 0, 90), Now: day0.AddDate(0, 0, 80), GroupBy: report.ByOwner}
	r := report.ClosedLoop(tasks, nil, q)
	sum := report.Figures{}
	held := 0
	for _, g := range r.Groups {
		sum.Unhappy += g.Unhappy
		sum.Closed += g.Closed
		sum.Overdue += g.Overdue
		held += g.Held
	}
	if r.Unhappy != len(tasks) || sum.Unhappy != r.Unhappy || sum.Closed != r.Closed || sum.Overdue != r.Overdue {
		t.Errorf("groups do not add up: %+v vs %+v", sum, r.Figures)
	}
	if held <= r.Unhappy || r.Open+r.Closed != r.Unhappy {
		t.Errorf("held %d, open %d, closed %d, unhappy %d", held, r.Open, r.Closed, r.Unhappy)
	}
}

func BenchmarkClosedLoop(b *testing.B) {
	tasks := population(100_000)
	recs := make([]survey.Response, 0, 5000)
	for i := 0; i < len(tasks); i += 20 {
		if tasks[i].Status == loop.Done {
			recs = append(recs, survey.Response{Kind: survey.Recovery, TaskID: tasks[i].ID, Score: i % 2, AnsweredAt: tasks[i].ClosedAt.Add(72 * time.Hour)})
		}
	}
	for _, by := range []string{"", report.ByOwner, report.ByTeam} {
		q := report.Query{From: day0, To: day0.AddDate(0, 0, 90), Now: day0.AddDate(0, 0, 80), GroupBy: by}
		b.Run("group_by="+by, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				report.ClosedLoop(tasks, recs, q)
			}
		})
	}
}
