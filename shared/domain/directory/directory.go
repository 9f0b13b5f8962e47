// Package directory is the organisation's people (owners, managers) and
// accounts, and the rule that every unhappy answer resolves to a named owner.
package directory

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Role is what a person does in cxloop; a person may have several.
type Role string

// The roles.
const (
	// Owner: follows up their own customers' unhappy answers.
	Owner Role = "owner"
	// Manager: sees their reports' follow-ups (transitively) and the
	// escalations they received.
	Manager Role = "manager"
	// Leader: sees the dashboard and the reports.
	Leader Role = "leader"
	// Admin: the directory, API keys and settings; everything.
	Admin Role = "admin"
)

// Roles lists every role.
func Roles() []Role { return []Role{Owner, Manager, Leader, Admin} }

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles(), r) }

// Person is someone who follows up: an account owner or a manager.
type Person struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Email     string `json:"email"`
	Phone     string `json:"phone,omitempty"`
	ManagerID string `json:"manager_id,omitempty"`
	Team      string `json:"team,omitempty"`
	// Roles default to owner; Timezone (IANA) is where times shown to the
	// person are written (UTC when empty).
	Roles     []Role    `json:"roles"`
	Timezone  string    `json:"timezone,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Is reports whether the person has role r (an admin has every role).
func (p Person) Is(r Role) bool {
	return slices.Contains(p.RolesOrDefault(), r) || slices.Contains(p.Roles, Admin)
}

// RolesOrDefault is the person's roles: owner if none were given (people
// stored before roles existed).
func (p Person) RolesOrDefault() []Role {
	if len(p.Roles) == 0 {
		return []Role{Owner}
	}
	return p.Roles
}

// Location is the person's time zone, UTC if unknown.
func (p Person) Location() *time.Location {
	if loc, err := time.LoadLocation(p.Timezone); err == nil && p.Timezone != "" {
		return loc
	}
	return time.UTC
}

// Same reports whether p and q say the same about a person, ignoring
// when they were stored.
func (p Person) Same(q Person) bool {
	return slices.Equal(p.Roles, q.Roles) && p.ID == q.ID && p.Name == q.Name && p.Email == q.Email &&
		p.Phone == q.Phone && p.ManagerID == q.ManagerID && p.Team == q.Team && p.Timezone == q.Timezone
}

// Account is a customer organisation with an owner.
type Account struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	OwnerID   string    `json:"owner_id"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ErrNoOwner means nobody in the chain resolves to a known person.
var ErrNoOwner = errors.New("no owner resolves")

// OwnerChain lists, in order, the candidates for following up an interaction.
type OwnerChain struct {
	Explicit string // the interaction's owner_id
	Account  string // the account's owner
	Fallback string // the configured fallback owner
}

// Resolve returns the first candidate that names a known person. An explicit
// owner that is unknown is an error of its own: silently routing the task to
// someone else would hide a typo in the source system.
func (c OwnerChain) Resolve(known func(id string) (Person, bool)) (Person, error) {
	if c.Explicit != "" {
		if p, ok := known(c.Explicit); ok {
			return p, nil
		}
		return Person{}, fmt.Errorf("%w: owner_id %q is not a known person", ErrNoOwner, c.Explicit)
	}
	for _, id := range []string{c.Account, c.Fallback} {
		if id == "" {
			continue
		}
		if p, ok := known(id); ok {
			return p, nil
		}
	}
	return Person{}, fmt.Errorf("%w: the account has no known owner and no fallback owner is configured", ErrNoOwner)
}
