package loop

import (
	"testing"
	"time"
)

func TestWait(t *testing.T) {
	t.Parallel()
	p := DefaultPolicy()
	answered := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	due := answered.Add(p.SLA)
	tests := []struct {
		name      string
		level     int
		now       time.Time
		wantSecs  int64
		wantFinal bool
	}{
		{"fresh task waits until due", 0, answered, int64(p.SLA.Seconds()), false},
		{"half way", 0, answered.Add(24 * time.Hour), 24 * 3600, false},
		{"already late escalates at once", 0, due.Add(time.Hour), 1, false},
		{"a fraction of a second before due rounds up", 0, due.Add(-1500 * time.Millisecond), 2, false},
		{"a nanosecond before due waits a whole second", 0, due.Add(-time.Nanosecond), 1, false},
		{"a fraction short of a day waits the whole day", 0, answered.Add(24*time.Hour + time.Millisecond), 24 * 3600, false},
		{"level 1 waits for the next level", 1, due, int64(p.EscalateEvery.Seconds()), false},
		{"last level waits without end", p.MaxEscalations, due.Add(72 * time.Hour), 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			task := Task{DueAt: due, Level: tt.level}
			secs, final := p.Wait(task, tt.now)
			if secs != tt.wantSecs || final != tt.wantFinal {
				t.Errorf("Wait = (%d, %v), want (%d, %v)", secs, final, tt.wantSecs, tt.wantFinal)
			}
		})
	}
}

func TestStatusAndSLA(t *testing.T) {
	t.Parallel()
	due := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		task       Task
		now        time.Time
		wantStatus Status
		wantWithin bool
	}{
		{"open before due", Task{Status: Open, DueAt: due}, due.Add(-time.Second), Open, false},
		{"open at due is overdue", Task{Status: Open, DueAt: due}, due, Overdue, false},
		{"closed on time", Task{Status: Done, DueAt: due, ClosedAt: due}, due.Add(time.Hour), Done, true},
		{"closed late", Task{Status: Done, DueAt: due, ClosedAt: due.Add(time.Second)}, due.Add(time.Hour), Done, false},
		{"failed stays failed", Task{Status: Failed, DueAt: due}, due.Add(time.Hour), Failed, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.task.StatusAt(tt.now); got != tt.wantStatus {
				t.Errorf("StatusAt = %s, want %s", got, tt.wantStatus)
			}
			if got := tt.task.WithinSLA(); got != tt.wantWithin {
				t.Errorf("WithinSLA = %v, want %v", got, tt.wantWithin)
			}
		})
	}
}

func TestOwnerIsLastHolding(t *testing.T) {
	t.Parallel()
	task := Task{Owners: []Holding{{OwnerID: "maria"}, {OwnerID: "sam", Reason: "on leave"}}}
	if got := task.Owner().OwnerID; got != "sam" {
		t.Errorf("Owner = %s, want sam", got)
	}
	if got := (Task{}).Owner(); got != (Holding{}) {
		t.Errorf("Owner of unassigned task = %+v, want zero", got)
	}
}

func TestPolicyValidate(t *testing.T) {
	t.Parallel()
	ok := DefaultPolicy()
	tests := []struct {
		name   string
		mutate func(*Policy)
		ok     bool
	}{
		{"defaults", func(*Policy) {}, true},
		{"zero SLA", func(p *Policy) { p.SLA = 0 }, false},
		{"zero escalation interval", func(p *Policy) { p.EscalateEvery = 0 }, false},
		{"no escalation level", func(p *Policy) { p.MaxEscalations = 0 }, false},
		{"negative recovery delay", func(p *Policy) { p.RecoveryAfter = -time.Second }, false},
		{"no root causes", func(p *Policy) { p.RootCauses = nil }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := ok
			p.RootCauses = append([]string(nil), ok.RootCauses...)
			tt.mutate(&p)
			if err := p.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
	if !ok.ValidRootCause("billing") || ok.ValidRootCause("aliens") {
		t.Error("ValidRootCause does not follow the configured list")
	}
	if !ok.RemindOwner(Task{}) || ok.RemindOwner(Task{AcknowledgedAt: time.Now()}) {
		t.Error("RemindOwner must stop once the owner acknowledged")
	}
}
