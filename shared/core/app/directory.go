package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cxloop/cxloop/shared/domain/customer"

	"github.com/cxloop/cxloop/shared/core/store"
	"github.com/cxloop/cxloop/shared/domain/directory"
	"github.com/cxloop/cxloop/shared/domain/survey"
)

// PersonInput is the body of PUT /v1/people/{id}.
type PersonInput struct {
	Name      string `json:"name" validate:"required,max=200,nocontrol"`
	Email     string `json:"email" validate:"required,email,max=254"`
	Phone     string `json:"phone,omitempty" validate:"omitempty,e164"`
	ManagerID string `json:"manager_id,omitempty" validate:"omitempty,id"`
	Team      string `json:"team,omitempty" validate:"max=100,nocontrol"`
	// Roles: any of owner, manager, leader, admin (default owner).
	Roles    []directory.Role `json:"roles,omitempty" validate:"max=4,dive,oneof=owner manager leader admin"`
	Timezone string           `json:"timezone,omitempty" validate:"omitempty,iana_tz"`
}

// PutPerson creates or replaces an owner or manager.
func (a *App) PutPerson(ctx context.Context, id string, in PersonInput) (directory.Person, bool, error) {
	if err := a.checkPerson(id, in); err != nil {
		return directory.Person{}, false, err
	}
	created := false
	p, err := a.store.People.Upsert(ctx, id, func(p *directory.Person, exists bool) error {
		created = !exists
		next := directory.Person{ID: id, Name: in.Name, Email: in.Email, Phone: in.Phone, ManagerID: in.ManagerID, Team: in.Team,
			Roles: roles(in.Roles), Timezone: in.Timezone, UpdatedAt: p.UpdatedAt}
		if exists && next.Same(*p) {
			return store.ErrNoChange // the same again: a repeated import changes nothing
		}
		next.UpdatedAt = a.Now()
		*p = next
		return nil
	})
	if err != nil {
		return directory.Person{}, false, fmt.Errorf("put person %s: %w", id, err)
	}
	return p, created, nil
}

// roles keeps each role once, in the order given, owner if none.
func roles(in []directory.Role) []directory.Role {
	out := []directory.Role{}
	for _, r := range in {
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		out = append(out, directory.Owner)
	}
	return out
}

// checkPerson validates a person's id and fields.
func (a *App) checkPerson(id string, in PersonInput) error {
	if err := CheckID("id", id); err != nil {
		return err
	}
	if err := a.check(in); err != nil {
		return err
	}
	if in.ManagerID == id {
		return FieldError("manager_id", "a person cannot be their own manager")
	}
	return nil
}

// AccountInput is the body of PUT /v1/accounts/{id}.
type AccountInput struct {
	Name    string `json:"name" validate:"required,max=200,nocontrol"`
	OwnerID string `json:"owner_id" validate:"required,id"`
}

// PutAccount creates or replaces an account. Its owner must be a known
// person, or unhappy answers from the account would have nobody to go to.
func (a *App) PutAccount(ctx context.Context, id string, in AccountInput) (directory.Account, bool, error) {
	if err := CheckID("id", id); err != nil {
		return directory.Account{}, false, err
	}
	if err := a.check(in); err != nil {
		return directory.Account{}, false, err
	}
	if _, err := a.store.People.Get(ctx, in.OwnerID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return directory.Account{}, false, fmt.Errorf("put account %s: owner: %w", id, err)
	} else if err != nil {
		return directory.Account{}, false, FieldError("owner_id", "must be a known person (PUT /v1/people/{id} first)")
	}
	created := false
	acct, err := a.store.Accounts.Upsert(ctx, id, func(acct *directory.Account, exists bool) error {
		created = !exists
		next := directory.Account{ID: id, Name: in.Name, OwnerID: in.OwnerID, UpdatedAt: acct.UpdatedAt}
		if exists && next == *acct {
			return store.ErrNoChange
		}
		next.UpdatedAt = a.Now()
		*acct = next
		return nil
	})
	if err != nil {
		return directory.Account{}, false, fmt.Errorf("put account %s: %w", id, err)
	}
	return acct, created, nil
}

// ResponseFilter selects answers for GET /v1/responses.
type ResponseFilter struct {
	From, To    time.Time
	UnhappyOnly bool
}

// Responses lists answers by time, newest last. A zero To is now (this
// second included), a zero From 30 days before To.
func (a *App) Responses(ctx context.Context, f ResponseFilter, cursor string, limit int) ([]survey.Response, string, error) {
	var err error
	if f.From, f.To, err = dateRange(f.From, f.To, a.Now().Add(time.Second), time.UTC); err != nil {
		return nil, "", err
	}
	return store.PageMonths(ctx, a.store.Responses, "ANSWERS#", f.From, f.To, cursor, limit, func(r survey.Response) bool {
		return (!f.UnhappyOnly || r.Unhappy) && r.Kind != survey.Recovery
	})
}

// People lists the directory's people whose name begins with q (any
// case; empty: everyone), in name order, a page at a time.
func (a *App) People(ctx context.Context, q, cursor string, limit int) ([]directory.Person, string, error) {
	if err := checkSearch(q); err != nil {
		return nil, "", err
	}
	return a.store.People.Page(ctx, store.DirectoryQuery("PEOPLE", q), cursor, limit, nil)
}

// Accounts lists the accounts whose name begins with q, in name order.
func (a *App) Accounts(ctx context.Context, q, cursor string, limit int) ([]directory.Account, string, error) {
	if err := checkSearch(q); err != nil {
		return nil, "", err
	}
	return a.store.Accounts.Page(ctx, store.DirectoryQuery("ACCOUNTS", q), cursor, limit, nil)
}

// checkSearch refuses a name search no name could match: control
// characters, or longer than a name may be.
func checkSearch(q string) error {
	if utf8.RuneCountInString(q) > 200 || strings.ContainsFunc(q, unicode.IsControl) {
		return FieldError("q", "must be the start of a name: at most 200 characters, no control characters")
	}
	return nil
}

// MaxSameEmail bounds how many people one email address finds.
const MaxSameEmail = 50

// CustomersByEmail finds the people (customers) with an email address.
func (a *App) CustomersByEmail(ctx context.Context, email string) ([]customer.Customer, error) {
	if email == "" || len(email) > 254 || strings.ContainsFunc(email, StrayControl) {
		return nil, FieldError("email", "is required: an email address")
	}
	return a.store.CustomersByEmail(ctx, email, MaxSameEmail)
}
