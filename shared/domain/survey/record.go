package survey

import "time"

// Status is where a survey is in its life.
type Status string

// Survey statuses.
const (
	Scheduled Status = "scheduled" // waiting for SendAt
	Sending   Status = "sending"   // claimed by a sender until SendingUntil
	Sent      Status = "sent"      // delivered to the provider, awaiting an answer
	Answered  Status = "answered"  // has a final answer (which the person may still change)
	Expired   Status = "expired"   // no final answer before ExpiresAt
	Cancelled Status = "cancelled" // the person opted out or became unreachable before sending
)

// Survey is one question put to one person about one interaction.
type Survey struct {
	ID            string    `json:"id"`
	InteractionID string    `json:"interaction_id"`
	CustomerID    string    `json:"customer_id"`
	AccountID     string    `json:"account_id"`
	OwnerID       string    `json:"owner_id"`
	Kind          Kind      `json:"survey"`
	Channel       Channel   `json:"channel"`
	To            string    `json:"to"`
	Name          string    `json:"name"`
	Locale        string    `json:"locale"`
	Timezone      string    `json:"timezone"`
	Status        Status    `json:"status"`
	CreatedAt     time.Time `json:"created_at"`
	SendAt        time.Time `json:"send_at"`
	SendingUntil  time.Time `json:"sending_until,omitzero"`
	// AttemptedAt is the first send attempt. From then on the person may
	// hold the message (a provider can take it and still report an
	// error), so the survey takes answers even before it is marked sent.
	AttemptedAt time.Time `json:"attempted_at,omitzero"`
	SentAt      time.Time `json:"sent_at,omitzero"`
	RemindAt    time.Time `json:"remind_at,omitzero"`
	// RemindingUntil: a sweep holds the reminder until then.
	RemindingUntil time.Time `json:"reminding_until,omitzero"`
	RemindedAt     time.Time `json:"reminded_at,omitzero"`
	ExpiresAt      time.Time `json:"expires_at,omitzero"`
	// MessageIDs are the provider ids of the survey and its reminder.
	MessageIDs []string `json:"message_ids,omitempty"`
	Clicks     Clicks   `json:"clicks,omitempty"`
	// ScannerLogged avoids logging the same scanner burst on every fetch.
	ScannerLogged bool `json:"scanner_logged,omitempty"`
	// Erased marks a survey of a person whose personal data was erased:
	// its links no longer work.
	Erased     bool   `json:"erased,omitempty"`
	ResponseID string `json:"response_id,omitempty"`
	// TaskID and OwnerName are set on recovery checks.
	TaskID    string `json:"task_id,omitempty"`
	OwnerName string `json:"owner_name,omitempty"`
}

// ErasePersonalData removes what identifies the person, the address asked
// and their name, and revokes the survey's links: nothing new about the
// person can come in through them.
func (s *Survey) ErasePersonalData() { s.To, s.Name, s.Erased = "", "", true }

// Open reports whether the survey can still be answered at now.
func (s Survey) Open(now time.Time) bool {
	return s.Delivered() && now.Before(s.ExpiresAt)
}

// Delivered reports whether the person may have the survey's message.
func (s Survey) Delivered() bool {
	switch s.Status {
	case Sent, Answered:
		return true
	case Scheduled, Sending:
		return !s.AttemptedAt.IsZero()
	}
	return false
}

// NextDue is the next time something must happen to the survey without a
// person doing anything: the send, a stuck send's retry, the reminder, a
// lone click settling, the expiry. Zero means nothing is pending.
func (s Survey) NextDue() time.Time {
	switch s.Status {
	case Scheduled:
		return s.SendAt
	case Sending:
		return s.SendingUntil
	case Sent:
		next := s.ExpiresAt
		if s.RemindedAt.IsZero() && !s.RemindAt.IsZero() {
			remind := s.RemindAt
			if s.RemindingUntil.After(remind) {
				remind = s.RemindingUntil // a claimed reminder: if its sweep died
			}
			if remind.Before(next) {
				next = remind
			}
		}
		if _, at, _ := s.Clicks.Settled(time.Time{}); !at.IsZero() && at.Before(next) {
			next = at
		}
		return next
	}
	return time.Time{}
}

// Source says how an answer arrived.
type Source string

// Answer sources.
const (
	FromForm  Source = "form"  // the person sent the survey page's form
	FromClick Source = "click" // a lone score click that settled
	FromSMS   Source = "sms"   // a text reply
)

// Response is a person's answer to a survey. There is at most one per
// survey: a later answer replaces the earlier one.
type Response struct {
	ID         string    `json:"id"`
	SurveyID   string    `json:"survey_id"`
	CustomerID string    `json:"customer_id"`
	AccountID  string    `json:"account_id"`
	OwnerID    string    `json:"owner_id"`
	Kind       Kind      `json:"survey"`
	Channel    Channel   `json:"channel"`
	Score      int       `json:"score"`
	Comment    string    `json:"comment"`
	Unhappy    bool      `json:"unhappy"`
	Source     Source    `json:"source"`
	AnsweredAt time.Time `json:"answered_at"`
	// FirstAnsweredAt stays when the person changes the answer, so the SLA
	// runs from the first unhappy answer.
	FirstAnsweredAt time.Time `json:"first_answered_at"`
	// UnhappyScore is the first unhappy score: the answer that starts the
	// closed loop, kept when the person changes it afterwards.
	UnhappyScore *int `json:"unhappy_score,omitempty"`
	// LoopStarted records that the closed loop was started for this
	// answer; the sweeper starts loops for unhappy answers without it.
	LoopStarted bool `json:"loop_started,omitempty"`
	// TaskID is the recovery check's task, for recovery answers.
	TaskID string `json:"task_id,omitempty"`
}

// ErasePersonalData removes the person's own words; the score stays for
// the figures.
func (r *Response) ErasePersonalData() { r.Comment = "" }

// Interaction is a finished conversation reported by a source system, and
// what cxloop answered about it. Replaying the same id returns Result.
type Interaction struct {
	ID         string    `json:"id"`
	Type       string    `json:"type"`
	Channel    Channel   `json:"channel"`
	Kind       Kind      `json:"survey"`
	OccurredAt time.Time `json:"occurred_at"`
	ReceivedAt time.Time `json:"received_at"`
	CustomerID string    `json:"customer_id"`
	AccountID  string    `json:"account_id"`
	OwnerID    string    `json:"owner_id"`
	Result     Result    `json:"result"`
}

// Result is the ingest answer for an interaction.
type Result struct {
	SurveyID string `json:"survey_id,omitempty"`
	Status   string `json:"status"`
	Reason   Reason `json:"reason,omitempty"`
	SendAt   string `json:"send_at,omitempty"`
}
