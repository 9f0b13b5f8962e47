// Package report computes the closed-loop report leaders read: how many
// unhappy answers were followed up, how many within the SLA, how fast, by
// whom, and why customers were unhappy. It is pure: it takes the loops and
// recovery answers already read from the store and does no I/O.
//
// # Semantics
//
// Population. A report covers the loops whose unhappy answer time
// (Task.AnsweredAt) falls in [From, To). A loop answered before From is
// not in the report even if it closed inside the range, and a loop answered
// inside the range counts however late it closed: each loop is judged once,
// in the period its customer was unhappy, so periods never double-count.
//
// As of. The report describes the loops as they stood at one instant, AsOf
// = min(To, Now). A loop closed after that instant counts as open, a first
// contact after it did not happen yet, and a recovery answer given after it
// is not counted. A report over a past month therefore does not change when
// a straggler from that month is closed later; a report whose range reaches
// today is as of now.
//
// Figures.
//
//   - unhappy: loops in the population.
//   - closed: loops done (Status done) with ClosedAt at or before AsOf.
//   - closed_within_sla: closed loops with ClosedAt at or before DueAt.
//   - open: unhappy − closed; it includes overdue and failed loops.
//   - overdue: open loops with DueAt before AsOf. (At the due instant
//     itself a loop can still be closed within its SLA, so it is not yet
//     overdue here, while loop.Task.StatusAt already says overdue.)
//   - failed: loops whose workflow failed (stored status failed; the store
//     does not record when, so this is the current status). They are open.
//   - completion_rate: closed / unhappy.
//   - sla_rate: closed_within_sla / unhappy — not / closed: a loop still
//     open is not closed within its SLA. One loop closed late and one in time
//     give sla_rate 0.5 and completion_rate 1.
//   - median_hours_to_first_contact: median of AnsweredAt → AcknowledgedAt
//     over loops with a first contact by AsOf. Closing is a contact, so every
//     closed loop has one. A reassignment clears AcknowledgedAt (the new
//     owner has not made contact), so this is the current holder's contact.
//   - median_hours_to_close: median of AnsweredAt → ClosedAt over closed loops.
//   - recovery_rate: "yes" answers (score 1) / recovery answers, over the
//     recovery answers (Kind recovery) given by AsOf whose task is in the
//     population; one answer per task, the latest.
//   - root_causes: cause → count over closed loops.
//
// Every rate and median is null (a nil pointer) when its denominator is 0:
// "no data" is not "0 %". Medians of an even count are the mean of the two
// middle values, rounded to 0.01 h.
//
// Attribution. A loop counts, with every figure above, for the owner who
// held it at AsOf: the last Holding whose From is at or before AsOf (the
// first holding if none is, which happens only when the task was created a
// moment after AsOf). A closed loop cannot be reassigned, so that is the
// owner who closed it; an open loop is the current holder's to close.
// Grouping by team uses the Team recorded on that Holding (the team at the
// time of assignment), "(no team)" when empty. So that reassigned work stays
// visible, every group also has held: the loops its owner (or a member of
// its team) held at any time up to AsOf, from every Holding, each loop
// counted once per group. A group may thus have held > 0 and unhappy = 0.
//
// Series. The population is also split by the answer time into days (when
// To − From is at most 31 days) or ISO weeks (from Monday), in Loc, each with
// unhappy, closed, closed_within_sla and the two rates, as of the same AsOf.
// The first and last periods are cut to [From, To).
//
// Time to close. hours_to_close is a histogram of the closed loops' hours
// from answer to close: 0–24, 24–48, 48–72, 72–168 and over 168 (lower
// bound inclusive).
package report

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cxloop/cxloop/shared/domain/loop"
	"github.com/cxloop/cxloop/shared/domain/survey"
)

// Groupings.
const (
	ByOwner = "owner"
	ByTeam  = "team"
)

// Keys of groups without a name.
const (
	NoTeam  = "(no team)"
	NoOwner = "(no owner)"
)

// Series units.
const (
	Day  = "day"
	Week = "week"
)

// DailyUpTo is the longest range whose series is daily; longer is weekly.
const DailyUpTo = 31 * 24 * time.Hour

// Query is what a report covers.
type Query struct {
	From, To time.Time // the answers' range, [From, To)
	Now      time.Time // the report is as of min(To, Now); zero means To
	GroupBy  string    // "", ByOwner or ByTeam
	Loc      *time.Location
}

// Figures are the closed-loop measures of a set of loops.
type Figures struct {
	Unhappy                   int            `json:"unhappy"`
	Closed                    int            `json:"closed"`
	ClosedWithinSLA           int            `json:"closed_within_sla"`
	Open                      int            `json:"open"`
	Overdue                   int            `json:"overdue"`
	Failed                    int            `json:"failed"`
	CompletionRate            *float64       `json:"completion_rate"`
	SLARate                   *float64       `json:"sla_rate"`
	MedianHoursToFirstContact *float64       `json:"median_hours_to_first_contact"`
	MedianHoursToClose        *float64       `json:"median_hours_to_close"`
	RecoveryRate              *float64       `json:"recovery_rate"`
	RecoveryAnswers           int            `json:"recovery_answers"`
	RootCauses                map[string]int `json:"root_causes"`
}

// Group is the figures of one owner or team.
type Group struct {
	Key  string `json:"key"`  // owner id or team name
	Name string `json:"name"` // owner's name (latest known), or the team name
	// Held is how many loops of the population this owner (or a member of
	// this team) held at any time up to the report's instant.
	Held int `json:"held"`
	Figures
}

// Point is one period of the series.
type Point struct {
	Start           time.Time `json:"start"`
	End             time.Time `json:"end"`
	Unhappy         int       `json:"unhappy"`
	Closed          int       `json:"closed"`
	ClosedWithinSLA int       `json:"closed_within_sla"`
	CompletionRate  *float64  `json:"completion_rate"`
	SLARate         *float64  `json:"sla_rate"`
}

// Bucket is one bar of the time-to-close histogram: [MinHours, MaxHours).
type Bucket struct {
	Label    string   `json:"label"`
	MinHours float64  `json:"min_hours"`
	MaxHours *float64 `json:"max_hours"` // nil: no upper bound
	Count    int      `json:"count"`
}

// Report is the closed-loop report.
type Report struct {
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	AsOf    time.Time `json:"as_of"`
	TZ      string    `json:"tz"`
	GroupBy string    `json:"group_by"`
	Figures
	HoursToClose []Bucket `json:"hours_to_close"`
	Groups       []Group  `json:"groups"`
	SeriesUnit   string   `json:"series_unit"`
	Series       []Point  `json:"series"`
	// NotesNotDelivered lists the closed loops whose note to the customer
	// may not have reached them, as of the report's instant: a person
	// should reach them another way (their writer was told).
	NotesNotDelivered []UndeliveredNote `json:"notes_not_delivered"`
}

// UndeliveredNote is a close-the-loop note that may not have arrived.
type UndeliveredNote struct {
	TaskID    string           `json:"task_id"`
	Writer    string           `json:"writer"`
	Problem   loop.NoteProblem `json:"problem"`
	At        time.Time        `json:"at"`
	OwnerTold bool             `json:"owner_told"`
}

// closeBounds are the histogram's lower bounds, in hours.
var closeBounds = [...]float64{0, 24, 48, 72, 168}

// tally accumulates one set's counts while the loops are read.
type tally struct {
	unhappy, closed, inSLA, open, overdue, failed int
	recAnswers, recYes                            int
	causes                                        map[string]int
}

func (t *tally) cause(c string) {
	if c == "" {
		return
	}
	if t.causes == nil {
		t.causes = make(map[string]int, 8)
	}
	t.causes[c]++
}

// figures turns the counts into figures; medians are filled in later.
func (t *tally) figures() Figures {
	f := Figures{
		Unhappy: t.unhappy, Closed: t.closed, ClosedWithinSLA: t.inSLA, Open: t.open,
		Overdue: t.overdue, Failed: t.failed, RecoveryAnswers: t.recAnswers,
		CompletionRate: ratio(t.closed, t.unhappy), SLARate: ratio(t.inSLA, t.unhappy),
		RecoveryRate: ratio(t.recYes, t.recAnswers), RootCauses: t.causes,
	}
	if f.RootCauses == nil {
		f.RootCauses = map[string]int{}
	}
	return f
}

func ratio(n, d int) *float64 {
	if d == 0 {
		return nil
	}
	v := float64(n) / float64(d)
	return &v
}

// sample packs one duration sample and its group into a uint64 so that
// all samples sort with one allocation-free integer sort: the high 40 bits
// hold whole milliseconds (34 years), the low 24 bits the group index + 1
// (0 for no group). Ordering by the packed value orders by duration.
type sample uint64

const (
	groupBits = 24
	maxMillis = 1<<40 - 1
)

func newSample(d time.Duration, group int) sample {
	ms := d.Milliseconds()
	ms = max(0, min(ms, maxMillis)) // a contact logged before the answer counts as instant
	return sample(uint64(ms)<<groupBits | uint64(group+1))
}

func (s sample) group() int     { return int(s&(1<<groupBits-1)) - 1 }
func (s sample) hours() float64 { return float64(s>>groupBits) / float64(time.Hour/time.Millisecond) }

// builder holds the state of one report computation.
type builder struct {
	q      Query
	asOf   time.Time
	byKey  map[string]int
	groups []Group
	named  []time.Time // when each owner group's name was recorded
	tally  tally
	gtally []tally
}

// ClosedLoop computes the report of tasks (any superset of the population:
// loops answered outside [From, To) are skipped) and recoveries (recovery
// answers; others are skipped). See the package documentation for what each
// figure means.
func ClosedLoop(tasks []loop.Task, recoveries []survey.Response, q Query) Report {
	if q.Loc == nil {
		q.Loc = time.UTC
	}
	asOf := q.To
	if !q.Now.IsZero() && q.Now.Before(asOf) {
		asOf = q.Now
	}
	b := &builder{q: q, asOf: asOf}
	grouped := q.GroupBy == ByOwner || q.GroupBy == ByTeam
	if grouped {
		b.byKey = make(map[string]int, 64)
	}
	rep := Report{
		From: q.From.In(q.Loc), To: q.To.In(q.Loc), AsOf: asOf.In(q.Loc), TZ: q.Loc.String(),
		GroupBy: q.GroupBy, Groups: []Group{}, NotesNotDelivered: []UndeliveredNote{},
	}
	bounds, unit := periods(q)
	rep.SeriesUnit = unit
	series := make([]tally, max(len(bounds)-1, 0))
	var hist [len(closeBounds)]int

	// The latest recovery answer per task, by AsOf.
	var recIdx map[string]int
	for i := range recoveries {
		r := &recoveries[i]
		if r.Kind != survey.Recovery || r.TaskID == "" || r.AnsweredAt.After(asOf) {
			continue
		}
		if recIdx == nil {
			recIdx = make(map[string]int)
		}
		if j, ok := recIdx[r.TaskID]; !ok || r.AnsweredAt.After(recoveries[j].AnsweredAt) {
			recIdx[r.TaskID] = i
		}
	}

	var contacts, closes []sample
	fromN, toN := q.From.UnixNano(), q.To.UnixNano()
	for i := range tasks {
		t := &tasks[i]
		at := t.AnsweredAt.UnixNano()
		if at < fromN || at >= toN || t.AnsweredAt.IsZero() {
			continue
		}
		g := -1
		var gt *tally
		if grouped {
			g = b.attribute(t)
			gt = &b.gtally[g]
		}
		var st *tally
		if p, ok := slices.BinarySearch(bounds, at); ok && p < len(series) {
			st = &series[p]
		} else if !ok && p > 0 && p-1 < len(series) {
			st = &series[p-1]
		}
		closed := t.Status == loop.Done && !t.ClosedAt.IsZero() && !t.ClosedAt.After(asOf)
		inSLA := closed && !t.ClosedAt.After(t.DueAt)
		overdue := !closed && t.DueAt.Before(asOf)
		failed := t.Status == loop.Failed
		b.tally.count(closed, inSLA, overdue, failed)
		if gt != nil {
			gt.count(closed, inSLA, overdue, failed)
		}
		if st != nil {
			st.count(closed, inSLA, overdue, failed)
		}
		if !t.AcknowledgedAt.IsZero() && !t.AcknowledgedAt.After(asOf) {
			contacts = append(contacts, newSample(t.AcknowledgedAt.Sub(t.AnsweredAt), g))
		}
		if closed {
			s := newSample(t.ClosedAt.Sub(t.AnsweredAt), g)
			closes = append(closes, s)
			h := s.hours()
			k := len(closeBounds) - 1
			for k > 0 && h < closeBounds[k] {
				k--
			}
			hist[k]++
			b.tally.cause(t.RootCause)
			if gt != nil {
				gt.cause(t.RootCause)
			}
		}
		if n := t.Note; n.Problem != "" && !n.ProblemAt.After(asOf) {
			rep.NotesNotDelivered = append(rep.NotesNotDelivered, UndeliveredNote{
				TaskID: t.ID, Writer: t.Signer(), Problem: n.Problem, At: n.ProblemAt.In(q.Loc),
				OwnerTold: !n.OwnerToldAt.IsZero() && !n.OwnerToldAt.After(asOf),
			})
		}
		if j, ok := recIdx[t.ID]; ok {
			yes := recoveries[j].Score == 1
			b.tally.recovery(yes)
			if gt != nil {
				gt.recovery(yes)
			}
		}
	}

	rep.Figures = b.tally.figures()
	var gContact, gClose []*float64
	rep.MedianHoursToFirstContact, gContact = medians(contacts, len(b.groups))
	rep.MedianHoursToClose, gClose = medians(closes, len(b.groups))
	for i := range b.groups {
		b.groups[i].Figures = b.gtally[i].figures()
		b.groups[i].MedianHoursToFirstContact, b.groups[i].MedianHoursToClose = gContact[i], gClose[i]
	}

	for k, lo := range closeBounds {
		bk := Bucket{MinHours: lo, Count: hist[k]}
		if k+1 < len(closeBounds) {
			hi := closeBounds[k+1]
			bk.MaxHours = &hi
			bk.Label = formatHours(lo) + "–" + formatHours(hi) + " h"
		} else {
			bk.Label = "over " + formatHours(lo) + " h"
		}
		rep.HoursToClose = append(rep.HoursToClose, bk)
	}

	rep.Series = make([]Point, len(series))
	for k := range series {
		s := &series[k]
		rep.Series[k] = Point{
			Start: time.Unix(0, bounds[k]).In(q.Loc), End: time.Unix(0, bounds[k+1]).In(q.Loc),
			Unhappy: s.unhappy, Closed: s.closed, ClosedWithinSLA: s.inSLA,
			CompletionRate: ratio(s.closed, s.unhappy), SLARate: ratio(s.inSLA, s.unhappy),
		}
	}

	if grouped {
		rep.Groups = sortGroups(b.groups)
	}
	return rep
}

// sortGroups orders groups by name, case-insensitively, the catch-all
// groups last.
func sortGroups(gs []Group) []Group {
	type keyed struct {
		last  bool
		lower string
		g     *Group
	}
	ks := make([]keyed, len(gs))
	for i := range gs {
		ks[i] = keyed{unnamed(gs[i].Key), strings.ToLower(gs[i].Name), &gs[i]}
	}
	slices.SortFunc(ks, func(x, y keyed) int {
		switch {
		case x.last != y.last:
			if x.last {
				return 1
			}
			return -1
		case x.lower != y.lower:
			return cmp.Compare(x.lower, y.lower)
		}
		return cmp.Compare(x.g.Key, y.g.Key)
	})
	out := make([]Group, len(gs))
	for i, k := range ks {
		out[i] = *k.g
	}
	return out
}

// unnamed reports the catch-all groups, sorted last.
func unnamed(key string) bool { return key == NoTeam || key == NoOwner }

func (t *tally) count(closed, inSLA, overdue, failed bool) {
	t.unhappy++
	switch {
	case closed:
		t.closed++
		if inSLA {
			t.inSLA++
		}
	default:
		t.open++
		if overdue {
			t.overdue++
		}
	}
	if failed {
		t.failed++
	}
}

func (t *tally) recovery(yes bool) {
	t.recAnswers++
	if yes {
		t.recYes++
	}
}

// attribute returns the index of the group a loop counts for, and counts
// the loop as held by every group whose owner held it by AsOf.
func (b *builder) attribute(t *loop.Task) int {
	hs := t.Owners
	if len(hs) == 0 {
		g := b.group(NoOwner, NoOwner, time.Time{})
		b.groups[g].Held++
		return g
	}
	// Holdings up to AsOf; at least the first.
	n := 1
	for n < len(hs) && !hs[n].From.After(b.asOf) {
		n++
	}
	holder := -1
	for i := range n {
		key, name := b.keyOf(&hs[i])
		g := b.group(key, name, hs[i].From)
		holder = g
		seen := false
		for j := range i {
			if k, _ := b.keyOf(&hs[j]); k == key {
				seen = true
				break
			}
		}
		if !seen {
			b.groups[g].Held++
		}
	}
	return holder
}

func (b *builder) keyOf(h *loop.Holding) (key, name string) {
	if b.q.GroupBy == ByTeam {
		if h.Team == "" {
			return NoTeam, NoTeam
		}
		return h.Team, h.Team
	}
	if h.OwnerID == "" {
		return NoOwner, NoOwner
	}
	return h.OwnerID, h.OwnerName
}

// group returns the index of the group key, creating it; an owner's name
// is the one recorded last.
func (b *builder) group(key, name string, at time.Time) int {
	g, ok := b.byKey[key]
	if !ok {
		g = len(b.groups)
		b.byKey[key] = g
		b.groups = append(b.groups, Group{Key: key, Name: name})
		b.named = append(b.named, at)
		b.gtally = append(b.gtally, tally{})
		return g
	}
	if name != "" && (b.groups[g].Name == "" || at.After(b.named[g])) {
		b.groups[g].Name, b.named[g] = name, at
	}
	return g
}

// medians sorts samples and returns the overall median and each of the
// groups' (nil where there is no sample).
func medians(s []sample, groups int) (*float64, []*float64) {
	per := make([]*float64, groups)
	if len(s) == 0 {
		return nil, per
	}
	slices.Sort(s)
	total := median(s[(len(s)-1)/2].hours(), s[len(s)/2].hours())
	if groups == 0 {
		return total, per
	}
	// Walk the sorted samples once: a group's k-th sample is the one met
	// when its running count reaches k.
	n := make([]int, groups)
	for _, x := range s {
		if g := x.group(); g >= 0 {
			n[g]++
		}
	}
	lo, hi := make([]float64, groups), make([]float64, groups)
	seen := make([]int, groups)
	for _, x := range s {
		g := x.group()
		if g < 0 {
			continue
		}
		k := seen[g]
		if k == (n[g]-1)/2 {
			lo[g] = x.hours()
		}
		if k == n[g]/2 {
			hi[g] = x.hours()
		}
		seen[g]++
	}
	for g := range per {
		if n[g] > 0 {
			per[g] = median(lo[g], hi[g])
		}
	}
	return total, per
}

// median is the mean of the two middle values (the same one for an odd
// count), rounded to 0.01.
func median(lo, hi float64) *float64 {
	v := round2((lo + hi) / 2)
	return &v
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

func formatHours(h float64) string { return strconv.FormatFloat(h, 'f', -1, 64) }

// periods returns the series' period boundaries (Unix nanoseconds; period
// k is [bounds[k], bounds[k+1])), cut to [From, To), and their unit.
func periods(q Query) ([]int64, string) {
	if !q.From.Before(q.To) {
		return nil, Day
	}
	unit := Day
	if q.To.Sub(q.From) > DailyUpTo {
		unit = Week
	}
	f := q.From.In(q.Loc)
	start := time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, q.Loc)
	if unit == Week {
		back := (int(start.Weekday()) + 6) % 7 // days since Monday
		start = time.Date(f.Year(), f.Month(), f.Day()-back, 0, 0, 0, 0, q.Loc)
	}
	bounds := []int64{q.From.UnixNano()}
	for i := 1; ; i++ {
		var next time.Time
		if unit == Day {
			next = time.Date(start.Year(), start.Month(), start.Day()+i, 0, 0, 0, 0, q.Loc)
		} else {
			next = time.Date(start.Year(), start.Month(), start.Day()+7*i, 0, 0, 0, 0, q.Loc)
		}
		if !next.Before(q.To) {
			break
		}
		if next.After(q.From) {
			bounds = append(bounds, next.UnixNano())
		}
	}
	return append(bounds, q.To.UnixNano()), unit
}
