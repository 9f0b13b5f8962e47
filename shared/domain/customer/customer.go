// Package customer holds what cxloop knows about a person it may ask:
// contact details, opt-outs and when they were last asked.
package customer

import (
	"time"

	"github.com/cxloop/cxloop/shared/domain/survey"
)

// Customer is a person who had an interaction.
type Customer struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Email    string `json:"email,omitempty"`
	Phone    string `json:"phone,omitempty"`
	Locale   string `json:"locale,omitempty"`
	Timezone string `json:"timezone,omitempty"`
	OptOut   OptOut `json:"opt_out"`
	// LastAsked is the last survey sent to the person, for the per-person throttle.
	LastAsked survey.Asked `json:"last_asked"`
	// LastAskedByAccount serves the per-account throttle.
	LastAskedByAccount map[string]survey.Asked `json:"last_asked_by_account,omitempty"`
	// OpenTasks are the ids of follow-ups still open for this person.
	OpenTasks []string  `json:"open_tasks,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
	// Erased marks a person whose personal data was deleted on request.
	Erased bool `json:"erased,omitempty"`
	// EraseCheckAt is when the erasure is done once more, to catch records
	// written as it ran that the person's (eventually consistent) timeline
	// did not show yet; zero once done.
	EraseCheckAt time.Time `json:"erase_check_at,omitzero"`
}

// Contact is what a source system says about how to reach the person.
type Contact struct{ Name, Email, Phone, Locale, Timezone string }

// Contact returns the person's contact details.
func (c Customer) Contact() Contact {
	return Contact{Name: c.Name, Email: c.Email, Phone: c.Phone, Locale: c.Locale, Timezone: c.Timezone}
}

// OptOut records the person's wish not to be asked, per channel or at all.
type OptOut struct {
	Email bool      `json:"email,omitempty"`
	SMS   bool      `json:"sms,omitempty"`
	All   bool      `json:"all,omitempty"`
	At    time.Time `json:"at,omitzero"`
}

// Has reports whether the person opted out of ch.
func (o OptOut) Has(ch survey.Channel) bool {
	switch ch {
	case survey.Email:
		return o.All || o.Email
	case survey.SMS:
		return o.All || o.SMS
	}
	return o.All
}

// Address returns where ch reaches the person.
func (c Customer) Address(ch survey.Channel) string {
	if ch == survey.SMS {
		return c.Phone
	}
	return c.Email
}

// Asked returns the last survey in the throttle's scope.
func (c Customer) Asked(scope survey.Scope, accountID string) survey.Asked {
	if scope == survey.PerAccount {
		return c.LastAskedByAccount[accountID]
	}
	return c.LastAsked
}

// RecordAsked notes that a survey was sent, in both scopes.
func (c *Customer) RecordAsked(accountID string, a survey.Asked) {
	c.LastAsked = a
	if c.LastAskedByAccount == nil {
		c.LastAskedByAccount = map[string]survey.Asked{}
	}
	c.LastAskedByAccount[accountID] = a
}

// AddOpenTask notes an open follow-up once.
func (c *Customer) AddOpenTask(id string) {
	for _, t := range c.OpenTasks {
		if t == id {
			return
		}
	}
	c.OpenTasks = append(c.OpenTasks, id)
}

// CloseTask forgets an open follow-up.
func (c *Customer) CloseTask(id string) {
	out := c.OpenTasks[:0]
	for _, t := range c.OpenTasks {
		if t != id {
			out = append(out, t)
		}
	}
	c.OpenTasks = out
}

// Suppression marks an address cxloop must not send to.
type Suppression struct {
	Address string    `json:"address"`
	Reason  string    `json:"reason"` // bounce, complaint, opted_out
	At      time.Time `json:"at"`
	// OwnerToldAt is when the account owner was told the contact needs
	// fixing (for bounces and invalid numbers); a sender holds that email
	// until OwnerTellingUntil.
	OwnerToldAt       time.Time `json:"owner_told_at,omitzero"`
	OwnerTellingUntil time.Time `json:"owner_telling_until,omitzero"`
}
