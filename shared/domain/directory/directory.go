// Package directory is the organisation's people (owners, managers) and
// accounts, and the rule that every unhappy answer resolves to a named owner.
package directory

import (
	"errors"
	"fmt"
	"time"
)

// Person is someone who follows up: an account owner or a manager.
type Person struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	Phone     string    `json:"phone,omitempty"`
	ManagerID string    `json:"manager_id,omitempty"`
	Team      string    `json:"team,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
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
