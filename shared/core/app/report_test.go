package app_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/core/store"
	"github.com/cxloop/cxloop/shared/domain/loop"
	"github.com/cxloop/cxloop/shared/domain/message"
	"github.com/cxloop/cxloop/shared/domain/survey"
	"github.com/cxloop/cxloop/shared/domain/token"
	"github.com/cxloop/cxloop/shared/local/embedded"
)

type reportClock time.Time

func (c reportClock) Now() time.Time { return time.Time(c) }

type reportPorts struct{}

func (reportPorts) SendEmail(context.Context, message.Email) (string, error) { return "m", nil }
func (reportPorts) SendSMS(context.Context, message.SMS) (string, error)     { return "m", nil }
func (reportPorts) Start(context.Context, string, []byte) error              { return nil }
func (reportPorts) SendTaskSuccess(context.Context, string, []byte) error    { return nil }
func (reportPorts) SendTaskFailure(context.Context, string, string, string) error {
	return nil
}
func (reportPorts) SendTaskHeartbeat(context.Context, string) error { return nil }
func (reportPorts) EnqueueSend(context.Context, string) error       { return nil }

// reportApp is a core over an embedded store whose clock stands at now.
func reportApp(t *testing.T, now time.Time) (*app.App, *store.Store) {
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
	a, err := app.New(app.DefaultConfig(), app.Deps{
		Store: st, Mailer: reportPorts{}, Texter: reportPorts{}, Workflow: reportPorts{}, Queue: reportPorts{},
		Clock: reportClock(now), Signer: signer,
	})
	if err != nil {
		t.Fatal(err)
	}
	return a, st
}

var reportNow = time.Date(2026, 5, 20, 15, 0, 0, 0, time.UTC)

func TestClosedLoopReportValidates(t *testing.T) {
	t.Parallel()
	a, _ := reportApp(t, reportNow)
	d := func(s string) time.Time { v, _ := time.Parse(time.DateOnly, s); return v }
	tests := []struct {
		name     string
		from, to time.Time
		groupBy  string
		tz       string
		field    string
	}{
		{"from after to", d("2026-05-02"), d("2026-05-01"), "", "", "from"},
		{"from equals to", d("2026-05-01"), d("2026-05-01"), "", "", "from"},
		{"from after now, to defaulted", d("2026-06-01"), time.Time{}, "", "", "from"},
		{"over two years", d("2024-01-01"), d("2026-01-02"), "", "", "to"},
		{"unknown grouping", d("2026-05-01"), d("2026-05-02"), "account", "", "group_by"},
		{"unknown zone", d("2026-05-01"), d("2026-05-02"), "", "Mars/Olympus", "tz"},
		{"Local is not a zone", d("2026-05-01"), d("2026-05-02"), "", "Local", "tz"},
		{"a path is not a zone", d("2026-05-01"), d("2026-05-02"), "", "/etc/localtime", "tz"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := a.ClosedLoopReport(context.Background(), tc.from, tc.to, tc.groupBy, tc.tz)
			var e *app.Error
			if err == nil || app.CodeOf(err) != app.Invalid {
				t.Fatalf("err = %v, want invalid", err)
			}
			if !errors.As(err, &e) || e.Fields[tc.field] == "" {
				t.Errorf("err = %v, want a problem with %s", err, tc.field)
			}
		})
	}
	if _, err := a.ClosedLoopReport(context.Background(), d("2024-01-01"), d("2026-01-01"), "team", "Europe/Madrid"); err != nil {
		t.Errorf("exactly two years: %v", err)
	}
}

// The answers listing takes its range by the same rules as the report.
func TestResponsesRange(t *testing.T) {
	t.Parallel()
	a, _ := reportApp(t, reportNow)
	d := func(s string) time.Time { v, _ := time.Parse(time.DateOnly, s); return v }
	tests := []struct {
		name     string
		from, to time.Time
		field    string // empty: valid
	}{
		{"defaults", time.Time{}, time.Time{}, ""},
		{"exactly two years", d("2024-01-01"), d("2026-01-01"), ""},
		{"over two years", d("2024-01-01"), d("2026-01-02"), "to"},
		{"from after to", d("2026-05-02"), d("2026-05-01"), "from"},
		{"from after now, to defaulted", reportNow.Add(time.Hour), time.Time{}, "from"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := a.Responses(context.Background(), app.ResponseFilter{From: tc.from, To: tc.to}, "", 100)
			var e *app.Error
			switch {
			case tc.field == "" && err != nil:
				t.Errorf("err = %v, want none", err)
			case tc.field != "" && (!errors.As(err, &e) || e.Code != app.Invalid || e.Fields[tc.field] == ""):
				t.Errorf("err = %v, want a problem with %s", err, tc.field)
			}
		})
	}
}

func TestClosedLoopReportDefaultsAndData(t *testing.T) {
	t.Parallel()
	a, st := reportApp(t, reportNow)
	ctx := context.Background()
	mk := func(id string, answered time.Time, opts ...func(*loop.Task)) {
		t.Helper()
		tk := loop.Task{ID: id, ResponseID: "rs_" + id, CustomerID: "c1", AnsweredAt: answered, CreatedAt: answered,
			DueAt: answered.Add(48 * time.Hour), Status: loop.Open,
			Owners: []loop.Holding{{OwnerID: "ann", OwnerName: "Ann", Team: "north", From: answered}}}
		for _, o := range opts {
			o(&tk)
		}
		if err := st.Tasks.Create(ctx, tk); err != nil {
			t.Fatal(err)
		}
	}
	closeAfter := func(h time.Duration) func(*loop.Task) {
		return func(t *loop.Task) {
			t.Status, t.ClosedAt, t.AcknowledgedAt, t.RootCause = loop.Done, t.AnsweredAt.Add(h), t.AnsweredAt.Add(h), "billing"
		}
	}
	withRecovery := func(t *loop.Task) { t.RecoveryCheck, t.RecoverySurveyID = true, "sv_rec_"+t.ID }
	mk("old", reportNow.AddDate(0, 0, -40), closeAfter(time.Hour))                            // before the default range
	mk("late", reportNow.AddDate(0, 0, -10), closeAfter(50*time.Hour), withRecovery)          // closed after the SLA
	mk("ontime", reportNow.AddDate(0, 0, -9), closeAfter(2*time.Hour), withRecovery)          // closed in time
	mk("open", reportNow.AddDate(0, 0, -1))                                                   // open, not yet due
	mk("prev-month", time.Date(2026, 4, 22, 23, 30, 0, 0, time.UTC), closeAfter(3*time.Hour)) // 22 April in UTC, 23 April in Madrid
	for _, r := range []survey.Response{
		{ID: "rs_rec_late", SurveyID: "sv_rec_late", CustomerID: "c1", Kind: survey.Recovery, TaskID: "late", Score: 1, AnsweredAt: reportNow.AddDate(0, 0, -5), FirstAnsweredAt: reportNow.AddDate(0, 0, -5)},
		{ID: "rs_rec_ontime", SurveyID: "sv_rec_ontime", CustomerID: "c1", Kind: survey.Recovery, TaskID: "ontime", Score: 0, AnsweredAt: reportNow.AddDate(0, 0, -4), FirstAnsweredAt: reportNow.AddDate(0, 0, -4)},
		{ID: "rs_happy", SurveyID: "sv_happy", CustomerID: "c1", Kind: survey.NPS, Score: 10, AnsweredAt: reportNow.AddDate(0, 0, -4), FirstAnsweredAt: reportNow.AddDate(0, 0, -4)},
	} {
		if err := st.Responses.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
	}

	r, err := a.ClosedLoopReport(ctx, time.Time{}, time.Time{}, "owner", "")
	if err != nil {
		t.Fatal(err)
	}
	if !r.To.Equal(reportNow) || !r.AsOf.Equal(reportNow) || !r.From.Equal(reportNow.AddDate(0, 0, -30)) || r.TZ != "UTC" {
		t.Errorf("range = %v – %v as of %v (%s), want the 30 days to now in UTC", r.From, r.To, r.AsOf, r.TZ)
	}
	if r.Unhappy != 4 || r.Closed != 3 || r.ClosedWithinSLA != 2 || r.Open != 1 || r.RecoveryAnswers != 2 || *r.RecoveryRate != 0.5 {
		t.Errorf("figures = %+v", r.Figures)
	}
	if len(r.Groups) != 1 || r.Groups[0].Key != "ann" || r.Groups[0].Unhappy != 4 {
		t.Errorf("groups = %+v", r.Groups)
	}

	// Dates are midnights in the report's zone: 23 April in Madrid starts
	// at 22:00 UTC on the 22nd.
	madrid, _ := time.LoadLocation("Europe/Madrid")
	from, err := app.ParseReportTime("2026-04-23", "from", madrid)
	if err != nil {
		t.Fatal(err)
	}
	to, _ := app.ParseReportTime("2026-04-24", "to", madrid)
	r, err = a.ClosedLoopReport(ctx, from, to, "", "Europe/Madrid")
	if err != nil {
		t.Fatal(err)
	}
	if r.Unhappy != 1 || r.TZ != "Europe/Madrid" || r.From.Format(time.RFC3339) != "2026-04-23T00:00:00+02:00" {
		t.Errorf("Madrid day: unhappy %d, tz %s, from %s", r.Unhappy, r.TZ, r.From.Format(time.RFC3339))
	}
	r, _ = a.ClosedLoopReport(ctx, time.Date(2026, 4, 23, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 24, 0, 0, 0, 0, time.UTC), "", "")
	if r.Unhappy != 0 {
		t.Errorf("UTC day: unhappy %d, want 0", r.Unhappy)
	}
}

func TestParseReportTime(t *testing.T) {
	t.Parallel()
	madrid, _ := time.LoadLocation("Europe/Madrid")
	tests := []struct {
		in   string
		loc  *time.Location
		want string
		ok   bool
	}{
		{"", time.UTC, "0001-01-01T00:00:00Z", true},
		{"2026-05-01", time.UTC, "2026-05-01T00:00:00Z", true},
		{"2026-05-01", madrid, "2026-05-01T00:00:00+02:00", true},
		{"2026-05-01T10:00:00-05:00", madrid, "2026-05-01T10:00:00-05:00", true},
		{"01/05/2026", time.UTC, "", false},
		{"2026-02-30", time.UTC, "", false},
		{"yesterday", time.UTC, "", false},
	}
	for _, tc := range tests {
		got, err := app.ParseReportTime(tc.in, "from", tc.loc)
		if (err == nil) != tc.ok {
			t.Errorf("%q: err = %v", tc.in, err)
			continue
		}
		if tc.ok && got.Format(time.RFC3339) != tc.want {
			t.Errorf("%q = %s, want %s", tc.in, got.Format(time.RFC3339), tc.want)
		}
		if !tc.ok && app.CodeOf(err) != app.Invalid {
			t.Errorf("%q: code %s, want invalid", tc.in, app.CodeOf(err))
		}
	}
}
