package survey_test

import (
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/domain/survey"
)

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return loc
}

func TestPolicyDecide(t *testing.T) {
	t.Parallel()
	p := survey.Policy{Config: survey.DefaultConfig()}
	now := time.Date(2026, 5, 12, 12, 0, 0, 0, time.UTC) // midday UTC: not quiet
	const id = "sv_this"
	recent := survey.Asked{SurveyID: "sv_other", At: now.Add(-24 * time.Hour)}
	tests := []struct {
		name     string
		standing survey.Standing
		ch       survey.Channel
		want     survey.Decision
	}{
		{"fresh person", survey.Standing{}, survey.Email, survey.Decision{Send: true, SendAt: now}},
		{"opted out", survey.Standing{OptedOut: true}, survey.Email, survey.Decision{Reason: survey.OptedOut}},
		{"suppressed", survey.Standing{Suppressed: true}, survey.Email, survey.Decision{Reason: survey.SuppressedAddress}},
		{"open follow-up", survey.Standing{OpenFollowUps: 1}, survey.Email, survey.Decision{Reason: survey.OpenFollowUp}},
		{"throttled", survey.Standing{LastAsked: recent}, survey.Email, survey.Decision{Reason: survey.Throttled}},
		{"sms not set up", survey.Standing{ChannelOff: true}, survey.SMS, survey.Decision{Reason: survey.SMSNotConfigured}},
		{"channel off beats everything", survey.Standing{ChannelOff: true, OptedOut: true, ExemptThrottle: true}, survey.SMS, survey.Decision{Reason: survey.SMSNotConfigured}},
		// Priority: the person's own wish, then deliverability, then an open complaint, then frequency.
		{"opted out beats everything", survey.Standing{OptedOut: true, Suppressed: true, OpenFollowUps: 2, LastAsked: recent}, survey.Email, survey.Decision{Reason: survey.OptedOut}},
		{"opted out beats exemption", survey.Standing{OptedOut: true, ExemptThrottle: true}, survey.Email, survey.Decision{Reason: survey.OptedOut}},
		{"suppressed beats follow-up and throttle", survey.Standing{Suppressed: true, OpenFollowUps: 1, LastAsked: recent}, survey.Email, survey.Decision{Reason: survey.SuppressedAddress}},
		{"suppressed beats exemption", survey.Standing{Suppressed: true, ExemptThrottle: true}, survey.Email, survey.Decision{Reason: survey.SuppressedAddress}},
		{"follow-up beats throttle", survey.Standing{OpenFollowUps: 1, LastAsked: recent}, survey.Email, survey.Decision{Reason: survey.OpenFollowUp}},
		// Recovery checks are exempt from both the throttle and the open follow-up.
		{"exempt from throttle", survey.Standing{LastAsked: recent, ExemptThrottle: true}, survey.Email, survey.Decision{Send: true, SendAt: now}},
		{"exempt from open follow-up", survey.Standing{OpenFollowUps: 1, ExemptThrottle: true}, survey.Email, survey.Decision{Send: true, SendAt: now}},
		// A retry of the same ingest already holds the claim: not throttled by itself.
		{"own claim", survey.Standing{LastAsked: survey.Asked{SurveyID: id, At: now.Add(-time.Minute)}}, survey.Email, survey.Decision{Send: true, SendAt: now}},
		{"own claim at the same instant", survey.Standing{LastAsked: survey.Asked{SurveyID: id, At: now}}, survey.SMS, survey.Decision{Send: true, SendAt: now}},
		{"throttle window just inside", survey.Standing{LastAsked: survey.Asked{SurveyID: "sv_old", At: now.Add(-(30*24*time.Hour - time.Hour))}}, survey.Email, survey.Decision{Reason: survey.Throttled}},
		{"throttle window 1ns inside", survey.Standing{LastAsked: survey.Asked{SurveyID: "sv_old", At: now.Add(-(30*24*time.Hour - 1))}}, survey.Email, survey.Decision{Reason: survey.Throttled}},
		{"throttle window exactly over", survey.Standing{LastAsked: survey.Asked{SurveyID: "sv_old", At: now.Add(-30 * 24 * time.Hour)}}, survey.Email, survey.Decision{Send: true, SendAt: now}},
		{"never asked has zero time", survey.Standing{LastAsked: survey.Asked{}}, survey.Email, survey.Decision{Send: true, SendAt: now}},
		{"sms outside quiet hours", survey.Standing{}, survey.SMS, survey.Decision{Send: true, SendAt: now}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := p.Decide(now, id, tt.ch, time.UTC, tt.standing)
			if got.Send != tt.want.Send || got.Reason != tt.want.Reason || !got.SendAt.Equal(tt.want.SendAt) {
				t.Errorf("Decide = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestPolicyDecideQuietHoursDelaySMSOnly(t *testing.T) {
	t.Parallel()
	p := survey.Policy{Config: survey.DefaultConfig()}
	ny := mustLoad(t, "America/New_York")
	now := time.Date(2026, 5, 12, 23, 30, 0, 0, ny) // 23:30 local: quiet
	want := time.Date(2026, 5, 13, 8, 0, 0, 0, ny)

	sms := p.Decide(now, "sv_1", survey.SMS, ny, survey.Standing{})
	if !sms.Send || !sms.SendAt.Equal(want) {
		t.Errorf("SMS at 23:30 local: %+v, want send at %s", sms, want)
	}
	email := p.Decide(now, "sv_1", survey.Email, ny, survey.Standing{})
	if !email.Send || !email.SendAt.Equal(now) {
		t.Errorf("email at 23:30 local: %+v, want send now; quiet hours are for SMS", email)
	}
	// Quiet hours only delay: a skip stays a skip.
	skip := p.Decide(now, "sv_1", survey.SMS, ny, survey.Standing{OptedOut: true})
	if skip.Send || skip.Reason != survey.OptedOut {
		t.Errorf("opted-out SMS in quiet hours: %+v, want skip opted_out", skip)
	}
}

func TestPolicyDecideThrottleScopeZero(t *testing.T) {
	t.Parallel()
	c := survey.DefaultConfig()
	c.Throttle = 0
	p := survey.Policy{Config: c}
	now := time.Date(2026, 5, 12, 12, 0, 0, 0, time.UTC)
	got := p.Decide(now, "sv_new", survey.Email, nil, survey.Standing{LastAsked: survey.Asked{SurveyID: "sv_old", At: now}})
	if !got.Send {
		t.Errorf("throttle 0: %+v, want send", got)
	}
}

func TestAfterQuietHours(t *testing.T) {
	t.Parallel()
	london := mustLoad(t, "Europe/London")
	ny := mustLoad(t, "America/New_York")
	kolkata := mustLoad(t, "Asia/Kolkata")
	tokyo := mustLoad(t, "Asia/Tokyo")
	sydney := mustLoad(t, "Australia/Sydney")
	def := survey.DefaultConfig() // 21:00–08:00
	night := survey.DefaultConfig()
	night.QuietFrom, night.QuietUntil = 1, 6 // a window that does not cross midnight
	off := survey.DefaultConfig()
	off.QuietFrom, off.QuietUntil = 8, 8

	tests := []struct {
		name string
		cfg  survey.Config
		tz   *time.Location
		at   time.Time
		want time.Time // equal to at when not quiet
	}{
		{"20:59 not quiet", def, london, time.Date(2026, 6, 1, 20, 59, 0, 0, london), time.Date(2026, 6, 1, 20, 59, 0, 0, london)},
		{"20:59:59.999 not quiet", def, london, time.Date(2026, 6, 1, 20, 59, 59, 999e6, london), time.Date(2026, 6, 1, 20, 59, 59, 999e6, london)},
		{"21:00 quiet until tomorrow 08:00", def, london, time.Date(2026, 6, 1, 21, 0, 0, 0, london), time.Date(2026, 6, 2, 8, 0, 0, 0, london)},
		{"23:59 quiet", def, london, time.Date(2026, 6, 1, 23, 59, 0, 0, london), time.Date(2026, 6, 2, 8, 0, 0, 0, london)},
		{"00:00 quiet until today 08:00", def, london, time.Date(2026, 6, 2, 0, 0, 0, 0, london), time.Date(2026, 6, 2, 8, 0, 0, 0, london)},
		{"07:59 quiet until 08:00", def, london, time.Date(2026, 6, 2, 7, 59, 0, 0, london), time.Date(2026, 6, 2, 8, 0, 0, 0, london)},
		{"08:00 not quiet", def, london, time.Date(2026, 6, 2, 8, 0, 0, 0, london), time.Date(2026, 6, 2, 8, 0, 0, 0, london)},
		{"nil tz is UTC", def, nil, time.Date(2026, 6, 1, 22, 0, 0, 0, time.UTC), time.Date(2026, 6, 2, 8, 0, 0, 0, time.UTC)},
		{"UTC daytime is quiet in Tokyo", def, tokyo, time.Date(2026, 6, 1, 13, 0, 0, 0, time.UTC), time.Date(2026, 6, 2, 8, 0, 0, 0, tokyo)},
		{"UTC night is daytime in Tokyo", def, tokyo, time.Date(2026, 6, 1, 2, 0, 0, 0, time.UTC), time.Date(2026, 6, 1, 2, 0, 0, 0, time.UTC)},
		{"half-hour offset 21:00", def, kolkata, time.Date(2026, 6, 1, 21, 0, 0, 0, kolkata), time.Date(2026, 6, 2, 8, 0, 0, 0, kolkata)},
		{"half-hour offset 20:59", def, kolkata, time.Date(2026, 6, 1, 20, 59, 0, 0, kolkata), time.Date(2026, 6, 1, 20, 59, 0, 0, kolkata)},
		// DST starts in London on 29 March 2026 (01:00 GMT → 02:00 BST):
		// 22:00 GMT the night before ends at 08:00 BST = 07:00 UTC, a 9h night.
		{"London spring forward", def, london, time.Date(2026, 3, 28, 22, 0, 0, 0, london), time.Date(2026, 3, 29, 7, 0, 0, 0, time.UTC)},
		{"London spring forward, in the gap night", def, london, time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC), time.Date(2026, 3, 29, 7, 0, 0, 0, time.UTC)},
		// DST ends in London on 25 October 2026 (02:00 BST → 01:00 GMT).
		{"London fall back", def, london, time.Date(2026, 10, 24, 21, 0, 0, 0, london), time.Date(2026, 10, 25, 8, 0, 0, 0, time.UTC)},
		{"London fall back, 20:59 BST", def, london, time.Date(2026, 10, 24, 19, 59, 0, 0, time.UTC), time.Date(2026, 10, 24, 19, 59, 0, 0, time.UTC)},
		// New York springs forward on 8 March 2026 and falls back on 1 November 2026.
		{"New York spring forward", def, ny, time.Date(2026, 3, 7, 23, 0, 0, 0, ny), time.Date(2026, 3, 8, 12, 0, 0, 0, time.UTC)},
		{"New York spring forward, 07:59 EDT", def, ny, time.Date(2026, 3, 8, 11, 59, 0, 0, time.UTC), time.Date(2026, 3, 8, 12, 0, 0, 0, time.UTC)},
		{"New York fall back", def, ny, time.Date(2026, 10, 31, 22, 0, 0, 0, ny), time.Date(2026, 11, 1, 13, 0, 0, 0, time.UTC)},
		{"New York fall back, 08:00 EST", def, ny, time.Date(2026, 11, 1, 13, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 13, 0, 0, 0, time.UTC)},
		{"Sydney (southern DST) 21:30", def, sydney, time.Date(2026, 4, 4, 21, 30, 0, 0, sydney), time.Date(2026, 4, 5, 8, 0, 0, 0, sydney)},
		{"window 1-6: 00:30 not quiet", night, london, time.Date(2026, 6, 2, 0, 30, 0, 0, london), time.Date(2026, 6, 2, 0, 30, 0, 0, london)},
		{"window 1-6: 01:00 quiet", night, london, time.Date(2026, 6, 2, 1, 0, 0, 0, london), time.Date(2026, 6, 2, 6, 0, 0, 0, london)},
		{"window 1-6: 05:59 quiet", night, london, time.Date(2026, 6, 2, 5, 59, 0, 0, london), time.Date(2026, 6, 2, 6, 0, 0, 0, london)},
		{"window 1-6: 06:00 not quiet", night, london, time.Date(2026, 6, 2, 6, 0, 0, 0, london), time.Date(2026, 6, 2, 6, 0, 0, 0, london)},
		{"window 1-6: 23:00 not quiet", night, london, time.Date(2026, 6, 2, 23, 0, 0, 0, london), time.Date(2026, 6, 2, 23, 0, 0, 0, london)},
		{"from == until is never quiet", off, london, time.Date(2026, 6, 2, 3, 0, 0, 0, london), time.Date(2026, 6, 2, 3, 0, 0, 0, london)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := survey.Policy{Config: tt.cfg}.AfterQuietHours(tt.at, tt.tz)
			if !got.Equal(tt.want) {
				t.Errorf("AfterQuietHours(%s) = %s, want %s", tt.at, got.UTC(), tt.want.UTC())
			}
		})
	}
}
