package app

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/cxloop/cxloop/shared/core/store"
	"github.com/cxloop/cxloop/shared/domain/customer"
	"github.com/cxloop/cxloop/shared/domain/directory"
	"github.com/cxloop/cxloop/shared/domain/loop"
)

// MaxHeld bounds the follow-ups one person's list reads.
const MaxHeld = 500

// MaxReports bounds the people under one manager a team list walks.
const MaxReports = 2000

// FollowUp is a task with what a list shows of it.
type FollowUp struct {
	Task    loop.Task
	Summary Summary
	// EscalatedToViewer: in a manager's team list, the follow-up was
	// escalated to them.
	EscalatedToViewer bool
}

// Summary is what a list says of a follow-up's customer and answer.
type Summary struct {
	CustomerName, AccountName, Comment string
}

// MyFollowUps lists the open follow-ups a person holds: overdue first,
// then by due time.
func (a *App) MyFollowUps(ctx context.Context, v Viewer) ([]FollowUp, error) {
	if v.Person.ID == "" {
		return nil, nil
	}
	tasks, err := a.heldBy(ctx, v.Person.ID)
	if err != nil {
		return nil, err
	}
	out := make([]FollowUp, 0, len(tasks))
	for _, t := range tasks {
		out = append(out, FollowUp{Task: t, Summary: a.summary(ctx, t)})
	}
	a.sortFollowUps(out)
	return out, nil
}

// TeamFollowUps lists the open follow-ups of everyone who reports to the
// person, directly or not, marking those escalated to them.
func (a *App) TeamFollowUps(ctx context.Context, v Viewer) ([]FollowUp, error) {
	if v.Person.ID == "" {
		return nil, nil
	}
	// Breadth first, with each report's distance from the manager: a
	// follow-up at escalation level L has reached the managers up to L
	// steps above its holder.
	depth := map[string]int{v.Person.ID: 0}
	queue := []string{v.Person.ID}
	var out []FollowUp
	for len(queue) > 0 && len(depth) <= MaxReports {
		m := queue[0]
		queue = queue[1:]
		reports, err := a.store.ReportsOf(ctx, m)
		if err != nil {
			return nil, fmt.Errorf("team of %s: %w", v.Person.ID, err)
		}
		for _, p := range reports {
			if _, seen := depth[p.ID]; seen {
				continue
			}
			depth[p.ID] = depth[m] + 1
			queue = append(queue, p.ID)
			tasks, err := a.heldBy(ctx, p.ID)
			if err != nil {
				return nil, err
			}
			for _, t := range tasks {
				out = append(out, FollowUp{Task: t, Summary: a.summary(ctx, t), EscalatedToViewer: t.Level >= depth[p.ID]})
			}
		}
	}
	a.sortFollowUps(out)
	return out, nil
}

// heldBy is the open follow-ups a person holds now.
func (a *App) heldBy(ctx context.Context, personID string) ([]loop.Task, error) {
	holds, err := a.store.HoldingsOf(ctx, personID, MaxHeld)
	if err != nil {
		return nil, fmt.Errorf("follow-ups of %s: %w", personID, err)
	}
	var out []loop.Task
	for _, h := range holds {
		t, err := a.store.Tasks.Get(ctx, h.TaskID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("follow-ups of %s: %w", personID, err)
		}
		if t.Status == loop.Open && t.Owner().OwnerID == personID {
			out = append(out, t)
		}
	}
	return out, nil
}

func (a *App) summary(ctx context.Context, t loop.Task) Summary {
	var s Summary
	if c, err := a.store.Customers.Get(ctx, t.CustomerID); err == nil {
		s.CustomerName = c.Name
	}
	if acct, err := a.store.Accounts.Get(ctx, t.AccountID); err == nil {
		s.AccountName = acct.Name
	}
	if r, err := a.store.Responses.Get(ctx, t.ResponseID); err == nil {
		s.Comment = r.Comment
	}
	return s
}

// sortFollowUps puts overdue follow-ups first, then by due time.
func (a *App) sortFollowUps(list []FollowUp) {
	now := a.Now()
	slices.SortStableFunc(list, func(x, y FollowUp) int {
		ox, oy := x.Task.StatusAt(now) == loop.Overdue, y.Task.StatusAt(now) == loop.Overdue
		switch {
		case ox && !oy:
			return -1
		case oy && !ox:
			return 1
		}
		return x.Task.DueAt.Compare(y.Task.DueAt)
	})
}

// TaskForViewer opens a follow-up for a signed-in person: its holder, a
// manager above the holder, or an admin. Anyone else gets NotFound, which
// does not say that the task exists.
func (a *App) TaskForViewer(ctx context.Context, v Viewer, taskID string) (TaskAccess, error) {
	t, err := a.Task(ctx, taskID)
	if err != nil {
		return TaskAccess{}, err
	}
	ok := v.Is(directory.Admin)
	if !ok && v.Person.ID != "" {
		if ok, err = a.mayAct(ctx, t, v.Person.ID); err != nil {
			return TaskAccess{}, err
		}
	}
	if !ok {
		return TaskAccess{}, &Error{Code: NotFound, Message: "no such follow-up"}
	}
	return TaskAccess{Task: t, Actor: v.Actor(), Person: v.Person, CanAct: true}, nil
}

// TimelineForViewer is a customer and their history, for a signed-in
// person who holds (or manages whoever holds) one of their follow-ups, or
// an admin. Anyone else gets NotFound.
func (a *App) TimelineForViewer(ctx context.Context, v Viewer, customerID string) (customer.Customer, []Entry, error) {
	if err := CheckID("id", customerID); err != nil {
		return customer.Customer{}, nil, err
	}
	c, err := a.store.Customers.Get(ctx, customerID)
	if errors.Is(err, store.ErrNotFound) {
		return customer.Customer{}, nil, &Error{Code: NotFound, Message: "no such customer"}
	} else if err != nil {
		return customer.Customer{}, nil, err
	}
	entries, err := a.Timeline(ctx, customerID)
	if err != nil {
		return customer.Customer{}, nil, err
	}
	if v.Is(directory.Admin) {
		return c, entries, nil
	}
	for _, e := range entries {
		if e.Kind != "task" || v.Person.ID == "" {
			continue
		}
		t, err := a.store.Tasks.Get(ctx, e.ID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		} else if err != nil {
			return customer.Customer{}, nil, err
		}
		if ok, err := a.mayAct(ctx, t, v.Person.ID); err != nil {
			return customer.Customer{}, nil, err
		} else if ok {
			return c, entries, nil
		}
	}
	return customer.Customer{}, nil, &Error{Code: NotFound, Message: "no such customer"}
}

// Reassignees lists the people a follow-up can be handed to, by name.
func (a *App) Reassignees(ctx context.Context) ([]directory.Person, error) {
	people, _, err := a.People(ctx, "", "", MaxReports)
	return people, err
}
