package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cxloop/cxloop/shared/core/store"
	"github.com/cxloop/cxloop/shared/domain/customer"
	"github.com/cxloop/cxloop/shared/domain/loop"
	"github.com/cxloop/cxloop/shared/domain/message"
	"github.com/cxloop/cxloop/shared/domain/survey"
)

// EraseRecheck is how long after an erasure it runs once more: DynamoDB's
// index of a person's records may not yet show one written as it ran.
const EraseRecheck = 5 * time.Minute

// Erase deletes a person's personal data (name, addresses, free text they
// or their owner wrote) from every record about them, keeping scores,
// times and outcomes so the leaders' figures stay right. Suppressions stay:
// they exist so the person is never contacted against their wish. It
// returns how many records were scrubbed.
func (a *App) Erase(ctx context.Context, customerID string) (int, error) {
	if !ValidID(customerID) {
		return 0, FieldError("id", "is not a valid id")
	}
	if _, err := a.store.Customers.Get(ctx, customerID); errors.Is(err, store.ErrNotFound) {
		return 0, &Error{Code: NotFound, Message: "no such customer", Err: err}
	} else if err != nil {
		return 0, err
	}
	// Marked first: a record a running loop writes from now on is scrubbed
	// by its writer (see logMessage), one written before is in the
	// timeline read below.
	check := a.Now().Add(EraseRecheck)
	if _, err := a.store.Customers.Update(ctx, customerID, func(c *customer.Customer) error {
		c.Name, c.Email, c.Phone, c.Locale, c.Erased, c.EraseCheckAt = "", "", "", "", true, check
		return nil
	}); err != nil {
		return 0, fmt.Errorf("erase %s: %w", customerID, err)
	}
	n, err := a.scrubTimeline(ctx, customerID)
	if err != nil {
		return n, err
	}
	a.log.InfoContext(ctx, "personal data erased", "customer_id", customerID, "records", n+1)
	return n + 1, nil
}

// recheckErasure is the sweeper's second pass of an erasure.
func (a *App) recheckErasure(ctx context.Context, customerID string) error {
	c, err := a.store.Customers.Get(ctx, customerID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil || c.EraseCheckAt.IsZero() {
		return err
	}
	if _, err := a.scrubTimeline(ctx, customerID); err != nil {
		return err
	}
	_, err = a.store.Customers.Update(ctx, customerID, func(c *customer.Customer) error {
		c.EraseCheckAt = time.Time{}
		return nil
	})
	return err
}

// scrubTimeline deletes the personal data from every record in the
// person's timeline and returns how many it scrubbed.
func (a *App) scrubTimeline(ctx context.Context, customerID string) (int, error) {
	items, err := a.store.TimelineItems(ctx, customerID)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, it := range items {
		kind, id, _ := strings.Cut(it.PK, "#")
		var err error
		switch kind {
		case "SURVEY":
			_, err = a.store.Surveys.Update(ctx, id, func(s *survey.Survey) error { s.ErasePersonalData(); return nil })
		case "RESPONSE":
			_, err = a.store.Responses.Update(ctx, id, func(r *survey.Response) error { r.ErasePersonalData(); return nil })
		case "TASK":
			_, err = a.store.Tasks.Update(ctx, id, func(t *loop.Task) error { t.ErasePersonalData(); return nil })
		case "MESSAGE":
			_, err = a.store.Messages.Update(ctx, id, func(m *message.Record) error { m.ErasePersonalData(); return nil })
		default:
			continue
		}
		if err != nil {
			return n, fmt.Errorf("erase %s: %s: %w", customerID, it.PK, err)
		}
		n++
	}
	return n, nil
}

// ResendTaskLink sends the current owner the task email again with a
// fresh link, for when the old one expired or got lost.
func (a *App) ResendTaskLink(ctx context.Context, id string) (loop.Task, error) {
	t, err := a.Task(ctx, id)
	if err != nil {
		return t, err
	}
	if t.Status != loop.Open {
		return t, &Error{Code: Conflict, Message: "the follow-up is closed"}
	}
	owner, err := a.store.People.Get(ctx, t.Owner().OwnerID)
	if err != nil {
		return t, fmt.Errorf("resend link %s: %w", id, err)
	}
	n, err := a.notice(ctx, t, owner.ID)
	if err != nil {
		return t, err
	}
	m, err := message.TaskEmail(owner.Email, n)
	if err != nil {
		return t, err
	}
	return t, a.sendStaff(ctx, m, "task", t)
}
