package survey

import "time"

// Reason says why a survey was not sent.
type Reason string

// Skip reasons, as reported to the source system.
const (
	DuplicateInteraction Reason = "duplicate_interaction"
	OptedOut             Reason = "opted_out"
	SuppressedAddress    Reason = "suppressed_address"
	Throttled            Reason = "throttled"
	OpenFollowUp         Reason = "open_follow_up"
	// SMSNotConfigured: the deployment has no SMS origination identity,
	// so it cannot text anyone.
	SMSNotConfigured Reason = "sms_not_configured"
)

// Asked records the last survey sent to a person (in a throttle scope).
type Asked struct {
	SurveyID string    `json:"survey_id"`
	At       time.Time `json:"at"`
}

// Standing is what the policy needs to know about the person asked.
type Standing struct {
	// ChannelOff: the deployment cannot send on the survey's channel at
	// all (SMS without an origination identity).
	ChannelOff     bool
	OptedOut       bool // for this channel, or globally
	Suppressed     bool // the address bounced, complained or is on a carrier opt-out list
	LastAsked      Asked
	OpenFollowUps  int
	ExemptThrottle bool // recovery checks are asked regardless of the throttle
}

// Decision is the policy's answer: send at SendAt, or skip for Reason.
type Decision struct {
	Send   bool
	SendAt time.Time
	Reason Reason
}

// Policy decides whether and when a person is asked.
type Policy struct{ Config Config }

// Decide applies the rules in order of how final they are: a channel the
// deployment cannot use first, then a person's own wish (opt-out), then deliverability, then an open complaint, then
// frequency; quiet hours only ever delay. surveyID is the survey being
// decided, so a retry of the same ingest is not throttled by its own claim.
func (p Policy) Decide(now time.Time, surveyID string, ch Channel, tz *time.Location, s Standing) Decision {
	switch {
	case s.ChannelOff:
		return Decision{Reason: SMSNotConfigured}
	case s.OptedOut:
		return Decision{Reason: OptedOut}
	case s.Suppressed:
		return Decision{Reason: SuppressedAddress}
	case s.OpenFollowUps > 0 && !s.ExemptThrottle:
		return Decision{Reason: OpenFollowUp}
	case !s.ExemptThrottle && s.LastAsked.SurveyID != "" && s.LastAsked.SurveyID != surveyID &&
		now.Sub(s.LastAsked.At) < p.Config.Throttle:
		return Decision{Reason: Throttled}
	}
	at := now
	if ch == SMS {
		at = p.AfterQuietHours(now, tz)
	}
	return Decision{Send: true, SendAt: at}
}

// AfterQuietHours returns t, or the end of the quiet hours t falls in, in
// the person's own timezone (nil means UTC).
func (p Policy) AfterQuietHours(t time.Time, tz *time.Location) time.Time {
	if tz == nil {
		tz = time.UTC
	}
	from, until := p.Config.QuietFrom, p.Config.QuietUntil
	if from == until {
		return t
	}
	local := t.In(tz)
	h := local.Hour()
	quiet := h >= from || h < until
	if from < until {
		quiet = h >= from && h < until
	}
	if !quiet {
		return t
	}
	end := time.Date(local.Year(), local.Month(), local.Day(), until, 0, 0, 0, tz)
	if !end.After(local) {
		end = time.Date(local.Year(), local.Month(), local.Day()+1, until, 0, 0, 0, tz)
	}
	return end.UTC()
}
