package survey_test

import (
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/domain/survey"
)

var t0 = time.Date(2026, 5, 12, 9, 0, 0, 0, time.UTC)

func click(score int, after time.Duration) survey.Click {
	return survey.Click{Score: score, At: t0.Add(after)}
}

func scannerBurst() survey.Clicks {
	var c survey.Clicks
	for s := 0; s <= 10; s++ {
		c = append(c, click(s, time.Duration(s)*300*time.Millisecond))
	}
	return c
}

func TestClicksSettled(t *testing.T) {
	t.Parallel()
	burstThenHuman := append(scannerBurst(), click(8, time.Hour))
	tests := []struct {
		name      string
		clicks    survey.Clicks
		now       time.Time
		scanner   bool
		wantOK    bool
		wantScore int
		wantAt    time.Time // zero when nothing can settle
	}{
		{"none", nil, t0.Add(time.Hour), false, false, 0, time.Time{}},
		{"single click, just before 10 min", survey.Clicks{click(7, 0)}, t0.Add(10*time.Minute - time.Nanosecond), false, false, 7, t0.Add(10 * time.Minute)},
		{"single click, 9 min", survey.Clicks{click(7, 0)}, t0.Add(9 * time.Minute), false, false, 7, t0.Add(10 * time.Minute)},
		{"single click, exactly 10 min", survey.Clicks{click(7, 0)}, t0.Add(10 * time.Minute), false, true, 7, t0.Add(10 * time.Minute)},
		{"single click, later", survey.Clicks{click(0, 0)}, t0.Add(48 * time.Hour), false, true, 0, t0.Add(10 * time.Minute)},
		{"11 links within seconds", scannerBurst(), t0.Add(24 * time.Hour), true, false, 0, time.Time{}},
		{"two links within a minute", survey.Clicks{click(2, 0), click(9, time.Minute)}, t0.Add(time.Hour), true, false, 0, time.Time{}},
		{"scanner then human 1h later, before settling", burstThenHuman, t0.Add(time.Hour + 9*time.Minute), true, false, 8, t0.Add(time.Hour + 10*time.Minute)},
		{"scanner then human 1h later, settled", burstThenHuman, t0.Add(time.Hour + 10*time.Minute), true, true, 8, t0.Add(time.Hour + 10*time.Minute)},
		{"two different human clicks minutes apart", survey.Clicks{click(3, 0), click(5, 4*time.Minute)}, t0.Add(time.Hour), false, false, 0, time.Time{}},
		{"same link twice settles from the last", survey.Clicks{click(6, 0), click(6, 30*time.Second)}, t0.Add(30*time.Second + 10*time.Minute), false, true, 6, t0.Add(30*time.Second + 10*time.Minute)},
		{"same link twice, 10 min after the first only", survey.Clicks{click(6, 0), click(6, 5*time.Minute)}, t0.Add(10 * time.Minute), false, false, 6, t0.Add(15 * time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.clicks.Scanner(); got != tt.scanner {
				t.Errorf("Scanner() = %v, want %v", got, tt.scanner)
			}
			score, at, ok := tt.clicks.Settled(tt.now)
			if ok != tt.wantOK || !at.Equal(tt.wantAt) || (ok || !at.IsZero()) && score != tt.wantScore {
				t.Errorf("Settled(%s) = (%d, %s, %v), want (%d, %s, %v)", tt.now, score, at, ok, tt.wantScore, tt.wantAt, tt.wantOK)
			}
		})
	}
}

func TestClicksScannerOrderIndependent(t *testing.T) {
	t.Parallel()
	// Clicks stored out of order (clock skew between Lambdas) still read the same.
	c := survey.Clicks{click(4, 30*time.Second), click(9, 0)}
	if !c.Scanner() {
		t.Error("two different scores 30s apart, stored newest first: Scanner() = false")
	}
	if _, _, ok := c.Settled(t0.Add(time.Hour)); ok {
		t.Error("scanner clicks settled")
	}
}

func TestSurveyOpenAndNextDue(t *testing.T) {
	t.Parallel()
	sent := survey.Survey{
		Status: survey.Sent, SentAt: t0, RemindAt: t0.Add(72 * time.Hour), ExpiresAt: t0.Add(14 * 24 * time.Hour),
	}
	tests := []struct {
		name     string
		sv       survey.Survey
		now      time.Time
		open     bool
		nextDue  time.Time
		mutation func(*survey.Survey)
	}{
		{"sent, before reminder", sent, t0.Add(time.Hour), true, t0.Add(72 * time.Hour), nil},
		{"sent, just before expiry", sent, t0.Add(14*24*time.Hour - time.Nanosecond), true, t0.Add(72 * time.Hour), nil},
		{"sent, at expiry", sent, t0.Add(14 * 24 * time.Hour), false, t0.Add(72 * time.Hour), nil},
		{"reminded: next is expiry", sent, t0, true, t0.Add(14 * 24 * time.Hour), func(s *survey.Survey) { s.RemindedAt = t0.Add(72 * time.Hour) }},
		{"lone click: next is settling", sent, t0, true, t0.Add(time.Hour + 10*time.Minute), func(s *survey.Survey) { s.Clicks = survey.Clicks{click(8, time.Hour)} }},
		{"answered is open", sent, t0, true, time.Time{}, func(s *survey.Survey) { s.Status = survey.Answered }},
		{"scheduled: send time", sent, t0, false, t0.Add(-time.Hour), func(s *survey.Survey) { s.Status, s.SendAt = survey.Scheduled, t0.Add(-time.Hour) }},
		{"sending: lease end", sent, t0, false, t0.Add(2 * time.Minute), func(s *survey.Survey) { s.Status, s.SendingUntil = survey.Sending, t0.Add(2*time.Minute) }},
		{"expired", sent, t0, false, time.Time{}, func(s *survey.Survey) { s.Status = survey.Expired }},
		{"cancelled", sent, t0, false, time.Time{}, func(s *survey.Survey) { s.Status = survey.Cancelled }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sv := tt.sv
			if tt.mutation != nil {
				tt.mutation(&sv)
			}
			if got := sv.Open(tt.now); got != tt.open {
				t.Errorf("Open = %v, want %v", got, tt.open)
			}
			if got := sv.NextDue(); !got.Equal(tt.nextDue) {
				t.Errorf("NextDue = %s, want %s", got, tt.nextDue)
			}
		})
	}
}
