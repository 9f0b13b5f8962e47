// Package message renders what cxloop sends to people: survey emails and
// texts, reminders, owner tasks, escalations and close-the-loop notes.
package message

import "time"

// Email is one rendered email, ready for any mailer.
type Email struct {
	To      string `json:"to"`
	Subject string `json:"subject"`
	Text    string `json:"body_text"`
	HTML    string `json:"body_html"`
	// ReplyTo, when set, is where a reply goes instead of the sender: the
	// person who wrote the message.
	ReplyTo string `json:"reply_to,omitempty"`
	// Headers are extra MIME headers, such as the RFC 8058 List-Unsubscribe pair.
	Headers map[string]string `json:"headers,omitempty"`
	// Tags label the message for delivery events (survey id, kind).
	Tags map[string]string `json:"tags,omitempty"`
	// Links are the absolute URLs in the message, in order.
	Links []string `json:"links"`
}

// SMS is one rendered text message.
type SMS struct {
	To   string            `json:"to"`
	Body string            `json:"body_text"`
	Tags map[string]string `json:"tags,omitempty"`
}

// Record is the log of one message sent to a person, kept for their
// timeline and to match replies and delivery events to what was sent.
type Record struct {
	ID         string    `json:"id"` // the provider's message id
	Channel    string    `json:"channel"`
	To         string    `json:"to"`
	Purpose    string    `json:"purpose"` // survey, reminder, reply, task, escalation, note, recovery
	Subject    string    `json:"subject,omitempty"`
	CustomerID string    `json:"customer_id,omitempty"`
	SurveyID   string    `json:"survey_id,omitempty"`
	TaskID     string    `json:"task_id,omitempty"`
	SentAt     time.Time `json:"sent_at"`
	// Reply is what an inbound text is answered with, kept before it is
	// sent (ReplyFor says what the text did). A sender holds it until
	// ReplyUntil; RepliedAt is when it went.
	Reply      string    `json:"reply,omitempty"`
	ReplyFor   string    `json:"reply_for,omitempty"`
	ReplyUntil time.Time `json:"reply_until,omitzero"`
	RepliedAt  time.Time `json:"replied_at,omitzero"`
}

// ErasePersonalData removes the address and the subject (which may name
// the person).
func (r *Record) ErasePersonalData() { r.To, r.Subject = "", "" }

// ReplyDue is when a reply still owed must be sent by someone else than
// the delivery that holds it: zero when none is owed.
func (r Record) ReplyDue() time.Time {
	if r.Reply == "" || !r.RepliedAt.IsZero() {
		return time.Time{}
	}
	return r.ReplyUntil
}
