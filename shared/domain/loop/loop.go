// Package loop holds the rules of the closed loop: a named owner for every
// unhappy answer, a due time, escalation when it passes, and a recorded
// outcome. It knows nothing of Step Functions; the state machine calls the
// application core, which applies these rules.
package loop

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/cxloop/cxloop/shared/domain/survey"
)

// Status is where a follow-up task is.
type Status string

// Task statuses. Overdue is not stored: it is an open task past its due time.
const (
	Open    Status = "open"
	Done    Status = "done"
	Failed  Status = "failed" // the workflow failed; shown on the dashboard
	Overdue Status = "overdue"
)

// Outcome is how the owner closed the loop.
type Outcome string

// Outcomes.
const (
	Resolved    Outcome = "resolved"
	Contacted   Outcome = "contacted"
	Unreachable Outcome = "unreachable"
)

// Valid reports whether o is a known outcome.
func (o Outcome) Valid() bool { return o == Resolved || o == Contacted || o == Unreachable }

// DefaultRootCauses are the causes owners pick from, unless configured.
func DefaultRootCauses() []string {
	return []string{"product_defect", "slow_response", "billing", "delivery", "staff_behaviour", "expectation_gap", "other"}
}

// Holding is one period in which a person held a task.
type Holding struct {
	OwnerID   string    `json:"owner_id"`
	OwnerName string    `json:"owner_name"`
	Team      string    `json:"team,omitempty"`
	From      time.Time `json:"from"`
	Reason    string    `json:"reason,omitempty"`
}

// Task is the follow-up of one unhappy answer by one named person.
type Task struct {
	ID         string      `json:"id"`
	ResponseID string      `json:"response_id"`
	SurveyID   string      `json:"survey_id"`
	CustomerID string      `json:"customer_id"`
	AccountID  string      `json:"account_id"`
	Kind       survey.Kind `json:"survey"`
	// Score is the person's answer as it is now; ScoreChanges lists how it
	// changed after the loop started (the loop runs on regardless).
	Score        int           `json:"score"`
	ScoreChanges []ScoreChange `json:"score_changes,omitempty"`
	// Owners is every holder in order; the last is the current owner.
	Owners    []Holding `json:"owners"`
	CreatedAt time.Time `json:"created_at"`
	// AnsweredAt is the unhappy answer's time: the SLA runs from it.
	AnsweredAt time.Time `json:"answered_at"`
	DueAt      time.Time `json:"due_at"`
	Status     Status    `json:"status"`
	// Level is how many times the task was escalated.
	Level               int         `json:"level"`
	Escalations         []time.Time `json:"escalations,omitempty"`
	EscalationsNotified int         `json:"escalations_notified,omitempty"`
	// NotifiedOwner is who last got the task email, so a retried notify
	// does not send it twice and a reassignment does send it.
	NotifiedOwner  string    `json:"notified_owner,omitempty"`
	AcknowledgedAt time.Time `json:"acknowledged_at,omitzero"`
	ClosedAt       time.Time `json:"closed_at,omitzero"`
	// ClosedBy is the person who completed the task (empty when an API
	// client did); ClosedByName signs the note to the customer.
	ClosedBy     string  `json:"closed_by,omitempty"`
	ClosedByName string  `json:"closed_by_name,omitempty"`
	Outcome      Outcome `json:"outcome,omitempty"`
	RootCause    string  `json:"root_cause,omitempty"`
	Notes        string  `json:"notes,omitempty"`
	// MessageToCustomer is the owner's personal note, sent signed with their name.
	MessageToCustomer string    `json:"message_to_customer,omitempty"`
	NoteSentAt        time.Time `json:"note_sent_at,omitzero"`
	// Note follows the note after it is written, until it is delivered
	// or a person is told it may not have been.
	Note             NoteDelivery `json:"note,omitzero"`
	RecoveryCheck    bool         `json:"recovery_check,omitempty"`
	RecoverySurveyID string       `json:"recovery_survey_id,omitempty"`
	// Token is the workflow's current task token: a secret, never shown.
	Token   string `json:"token,omitempty"`
	Failure string `json:"failure,omitempty"`
	// Actions is what was done to the task, by whom, oldest first.
	Actions []Action `json:"actions,omitempty"`
}

// NoteDelivery follows the owner's note to the customer: claimed by one
// sender at a time, sent at least once, confirmed by the provider where it
// can, and otherwise shown to a person.
type NoteDelivery struct {
	// ClaimedUntil: a sender holds the note until then. A claim that runs
	// out without the note marked sent was a sender that died: the next
	// attempt sends it again.
	ClaimedUntil time.Time `json:"claimed_until,omitzero"`
	Attempts     int       `json:"attempts,omitempty"`
	MessageID    string    `json:"message_id,omitempty"`
	DeliveredAt  time.Time `json:"delivered_at,omitzero"`
	// Problem says why the note may not have reached the person (see the
	// NoteProblem values); the owner is told (OwnerToldAt).
	Problem     NoteProblem `json:"problem,omitempty"`
	ProblemAt   time.Time   `json:"problem_at,omitzero"`
	OwnerToldAt time.Time   `json:"owner_told_at,omitzero"`
}

// NoteProblem is why a note may not have reached its customer.
type NoteProblem string

// Why a note may not have arrived.
const (
	// NoteNotSent: every attempt to send it failed.
	NoteNotSent NoteProblem = "not_sent"
	// NoteBounced: the provider accepted it, the person's server refused it.
	NoteBounced NoteProblem = "bounced"
	// NoteUndeliverable: the address cannot receive messages (suppressed,
	// invalid, or opted out at the provider).
	NoteUndeliverable NoteProblem = "undeliverable"
	// NoteNoAddress: the person has no address left to send it to.
	NoteNoAddress NoteProblem = "no_address"
	// NoteNoChannel: the person can only be reached by text, and this
	// deployment has no SMS.
	NoteNoChannel NoteProblem = "no_channel"
)

// NoteStatus says where the note to the customer is: "" (none written),
// pending, sending, sent (handed to the provider), delivered (the
// provider confirmed it) or not_delivered (see Note.Problem).
func (t Task) NoteStatus() string {
	switch {
	case t.MessageToCustomer == "" && t.Note.Problem == "":
		return ""
	case t.Note.Problem != "":
		return "not_delivered"
	case !t.Note.DeliveredAt.IsZero():
		return "delivered"
	case !t.NoteSentAt.IsZero():
		return "sent"
	case !t.Note.ClaimedUntil.IsZero():
		return "sending"
	}
	return "pending"
}

// NoteOwed reports whether the task has a note not yet handed to the provider.
func (t Task) NoteOwed() bool {
	return t.MessageToCustomer != "" && t.NoteSentAt.IsZero() && t.Note.Problem == ""
}

// ScoreChange is a person replacing their answer.
type ScoreChange struct {
	From int       `json:"from"`
	To   int       `json:"to"`
	At   time.Time `json:"at"`
}

// SetScore brings the task's copy of the answer up to date, recording the
// change; it reports whether anything changed.
func (t *Task) SetScore(score int, at time.Time) bool {
	if score == t.Score {
		return false
	}
	t.ScoreChanges = append(t.ScoreChanges, ScoreChange{From: t.Score, To: score, At: at})
	t.Score = score
	return true
}

// LastChange is the latest change of the answer, if there was one.
func (t Task) LastChange() (ScoreChange, bool) {
	if len(t.ScoreChanges) == 0 {
		return ScoreChange{}, false
	}
	return t.ScoreChanges[len(t.ScoreChanges)-1], true
}

// Actor is who acts on a follow-up: a person from the directory (through
// their own task link), or an API client.
type Actor struct {
	// PersonID is the person acting; empty for an API client.
	PersonID string `json:"person_id,omitempty"`
	// KeyID is the API key an API client acted with.
	KeyID string `json:"key_id,omitempty"`
	Name  string `json:"name"`
	// Via is how they acted: one of the Via values.
	Via string `json:"via"`
}

// How an actor acted.
const (
	ViaLink   = "link"   // their own emailed task link
	ViaPage   = "page"   // signed in to cxloop's pages
	ViaAPI    = "api"    // an API client, by key
	ViaCxloop = "cxloop" // the loop's own steps
)

// System is the loop itself, for the steps nobody takes by hand.
var System = Actor{Name: "cxloop", Via: ViaCxloop}

// ActionKind names what was done.
type ActionKind string

// The actions a task records.
const (
	Assigned     ActionKind = "assigned"
	Acknowledged ActionKind = "acknowledged"
	Reassigned   ActionKind = "reassigned"
	Escalated    ActionKind = "escalated"
	Completed    ActionKind = "completed"
)

// Action is one thing done to a task, by whom and when.
type Action struct {
	At     time.Time  `json:"at"`
	Kind   ActionKind `json:"action"`
	By     Actor      `json:"by"`
	Detail string     `json:"detail,omitempty"`
}

// Record appends an action.
func (t *Task) Record(at time.Time, kind ActionKind, by Actor, detail string) {
	t.Actions = append(t.Actions, Action{At: at, Kind: kind, By: by, Detail: detail})
}

// ErasePersonalData removes what the owner wrote about or to the person;
// the outcome and times stay for the figures.
func (t *Task) ErasePersonalData() { t.Notes, t.MessageToCustomer = "", "" }

// Owner is the current holder.
func (t Task) Owner() Holding {
	if len(t.Owners) == 0 {
		return Holding{}
	}
	return t.Owners[len(t.Owners)-1]
}

// Writer is the person who closed the follow-up (and wrote its note), else
// whoever holds it.
func (t Task) Writer() string {
	if t.ClosedBy != "" {
		return t.ClosedBy
	}
	return t.Owner().OwnerID
}

// Signer is who the customer hears from about this follow-up: whoever
// closed it, else whoever holds it.
func (t Task) Signer() string {
	if t.ClosedByName != "" {
		return t.ClosedByName
	}
	return t.Owner().OwnerName
}

// StatusAt is the task's status as people see it: open tasks past due are overdue.
func (t Task) StatusAt(now time.Time) Status {
	if t.Status == Open && !now.Before(t.DueAt) {
		return Overdue
	}
	return t.Status
}

// WithinSLA reports whether the task was closed by its due time.
func (t Task) WithinSLA() bool {
	return t.Status == Done && !t.ClosedAt.After(t.DueAt)
}

// Policy holds the loop's timings.
type Policy struct {
	SLA            time.Duration // due time after the unhappy answer
	EscalateEvery  time.Duration // after the due time, between escalation levels
	MaxEscalations int           // levels; after the last the task stays open and overdue
	RecoveryAfter  time.Duration // delay before asking "did {owner} put things right?"
	RootCauses     []string
}

// DefaultPolicy returns the brief's defaults.
func DefaultPolicy() Policy {
	return Policy{SLA: 48 * time.Hour, EscalateEvery: 24 * time.Hour, MaxEscalations: 2, RecoveryAfter: 3 * 24 * time.Hour, RootCauses: DefaultRootCauses()}
}

// Validate reports a policy that cannot work.
func (p Policy) Validate() error {
	switch {
	case p.SLA <= 0:
		return fmt.Errorf("the follow-up SLA must be positive")
	case p.EscalateEvery <= 0:
		return fmt.Errorf("the escalation interval must be positive")
	case p.MaxEscalations < 1:
		return fmt.Errorf("at least one escalation level is needed")
	case p.RecoveryAfter < 0:
		return fmt.Errorf("the recovery check delay must not be negative")
	case len(p.RootCauses) == 0:
		return fmt.Errorf("at least one root cause is needed")
	}
	return nil
}

// ValidRootCause reports whether c is one of the configured causes.
func (p Policy) ValidRootCause(c string) bool { return slices.Contains(p.RootCauses, c) }

// Wait is how long the workflow waits for the owner before the next
// escalation, and whether no escalation is left (wait without end).
func (p Policy) Wait(t Task, now time.Time) (seconds int64, final bool) {
	if t.Level >= p.MaxEscalations {
		return 0, true
	}
	next := t.DueAt
	if t.Level > 0 {
		next = t.DueAt.Add(time.Duration(t.Level) * p.EscalateEvery)
	}
	// Whole seconds, rounded up: a timeout a fraction short of the due
	// time would escalate before the owner is late.
	s := int64(math.Ceil(next.Sub(now).Seconds()))
	if s < 1 {
		s = 1 // already late: escalate at once
	}
	return s, false
}

// RemindOwner reports whether an escalation also reminds the owner: not
// once they said they are on it, though the due time still holds.
func (p Policy) RemindOwner(t Task) bool { return t.AcknowledgedAt.IsZero() }
