package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cxloop/cxloop/shared/domain/access"
	"github.com/cxloop/cxloop/shared/domain/customer"
	"github.com/cxloop/cxloop/shared/domain/directory"
	"github.com/cxloop/cxloop/shared/domain/loop"
	"github.com/cxloop/cxloop/shared/domain/message"
	"github.com/cxloop/cxloop/shared/domain/survey"
)

// Store gives typed access to every record kind of the table.
type Store struct {
	Table        Table
	People       Collection[directory.Person]
	Accounts     Collection[directory.Account]
	Customers    Collection[customer.Customer]
	Suppressions Collection[customer.Suppression]
	Interactions Collection[survey.Interaction]
	Surveys      Collection[survey.Survey]
	Responses    Collection[survey.Response]
	Messages     Collection[message.Record]
	Tasks        Collection[loop.Task]
	APIKeys      Collection[access.Key]
	Sessions     Collection[access.Session]
	SignIns      Collection[access.SignIn]
	SignInLimits Collection[access.SignInWindow]
	// Holdings says who holds which open follow-up, for each person's
	// list; see HoldingsOf.
	Holdings Collection[Holding]
}

// Holding is a pointer from a person to a follow-up they hold (or held:
// readers check the task). Its id is "<person id>:<task id>".
type Holding struct {
	PersonID string    `json:"person_id"`
	TaskID   string    `json:"task_id"`
	DueAt    time.Time `json:"due_at"`
}

// HoldingID is the id of a holding.
func HoldingID(personID, taskID string) string { return personID + ":" + taskID }

// HoldingsOf lists the follow-ups a person may hold (readers check each
// task: a holding can outlive a reassignment or a close).
func (s *Store) HoldingsOf(ctx context.Context, personID string, limit int) ([]Holding, error) {
	return s.Holdings.Query(ctx, Query{PK: keyHolds + personID, Limit: limit})
}

// New returns a Store over t.
func New(t Table) *Store {
	return &Store{
		Table:        t,
		People:       Collection[directory.Person]{t, "person", personItem, id(keyPerson)},
		Accounts:     Collection[directory.Account]{t, "account", accountItem, id(keyAcct)},
		Customers:    Collection[customer.Customer]{t, "customer", customerItem, id(keyCust)},
		Suppressions: Collection[customer.Suppression]{t, "suppression", suppressionItem, func(a string) Key { return id(keyAddr)(addressKey(a)) }},
		Interactions: Collection[survey.Interaction]{t, "interaction", interactionItem, id(keyInter)},
		Surveys:      Collection[survey.Survey]{t, "survey", surveyItem, id(keySurvey)},
		Responses:    Collection[survey.Response]{t, "response", responseItem, id(keyResp)},
		Messages:     Collection[message.Record]{t, "message", messageItem, id(keyMsg)},
		Tasks:        Collection[loop.Task]{t, "task", taskItem, id(keyTask)},
		APIKeys:      Collection[access.Key]{t, "API key", apiKeyItem, id(keyAPIKey)},
		Sessions:     Collection[access.Session]{t, "session", sessionItem, id(keySession)},
		SignIns:      Collection[access.SignIn]{t, "sign-in", signInItem, id(keySignIn)},
		SignInLimits: Collection[access.SignInWindow]{t, "sign-in window", signInWindowItem, id(keySignInWin)},
		Holdings:     Collection[Holding]{t, "holding", holdingItem, holdingKey},
	}
}

// DueItem is one record with something to do by now.
type DueItem struct {
	Kind string // survey, response, task
	ID   string
	At   time.Time
}

// DueBy lists what is due at or before now, oldest first, at most limit.
func (s *Store) DueBy(ctx context.Context, now time.Time, limit int) ([]DueItem, error) {
	items, err := s.Table.Query(ctx, Query{Index: Due, PK: duePK, To: TS(now) + "$", Limit: limit})
	if err != nil {
		return nil, fmt.Errorf("query due by %s: %w", TS(now), err)
	}
	out := make([]DueItem, 0, len(items))
	for _, it := range items {
		d, err := parseDue(it.GSI1.SK)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// parseDue reads a Due index sort key, TS#kind#id (see due).
func parseDue(sk string) (DueItem, error) {
	parts := strings.SplitN(sk, "#", 3)
	if len(parts) != 3 {
		return DueItem{}, fmt.Errorf("malformed due key %q", sk)
	}
	at, err := time.Parse(tsLayout, parts[0])
	if err != nil {
		return DueItem{}, fmt.Errorf("malformed due key %q: %w", sk, err)
	}
	return DueItem{Kind: parts[1], ID: parts[2], At: at}, nil
}

// NextDueAfter returns when the first thing due after t is due; false when
// nothing is.
func (s *Store) NextDueAfter(ctx context.Context, t time.Time) (time.Time, bool, error) {
	// Due keys are TS#kind#id and '#' sorts before '$': this skips
	// everything due at t itself.
	items, err := s.Table.Query(ctx, Query{Index: Due, PK: duePK, From: TS(t) + "$", Limit: 1})
	if err != nil {
		return time.Time{}, false, fmt.Errorf("query next due after %s: %w", TS(t), err)
	}
	if len(items) == 0 {
		return time.Time{}, false, nil
	}
	d, err := parseDue(items[0].GSI1.SK)
	if err != nil {
		return time.Time{}, false, err
	}
	return d.At, true, nil
}

// Suppressed reports whether addr must not be sent to.
func (s *Store) Suppressed(ctx context.Context, addr string) (bool, error) {
	if addr == "" {
		return false, nil
	}
	_, err := s.Suppressions.Get(ctx, addr)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// OpenSMSSurvey returns the newest SMS survey sent to phone that is still
// open at now; ErrNotFound if none.
func (s *Store) OpenSMSSurvey(ctx context.Context, phone string, now time.Time) (survey.Survey, error) {
	list, err := s.Surveys.Query(ctx, Query{Index: Listing, PK: "PHONE#" + phone, Desc: true, Limit: 20})
	if err != nil {
		return survey.Survey{}, err
	}
	for _, sv := range list {
		if sv.Open(now) {
			return sv, nil
		}
	}
	return survey.Survey{}, fmt.Errorf("open sms survey for %s: %w", phone, ErrNotFound)
}

// maxMonths bounds a listing's span so one request cannot ask for centuries.
const maxMonths = 36

// ResponsesBetween lists answers whose latest answer time is in [from, to).
func (s *Store) ResponsesBetween(ctx context.Context, from, to time.Time) ([]survey.Response, error) {
	return queryMonths(ctx, s.Responses, "ANSWERS#", from, to)
}

// ErrSpanTooLong refuses a listing over more months than maxMonths.
var ErrSpanTooLong = fmt.Errorf("store: a listing may span at most %d months", maxMonths)

// queryMonths reads a listing partitioned by month, for times in [from, to).
func queryMonths[T any](ctx context.Context, c Collection[T], prefix string, from, to time.Time) ([]T, error) {
	var out []T
	m := time.Date(from.UTC().Year(), from.UTC().Month(), 1, 0, 0, 0, 0, time.UTC)
	if m.AddDate(0, maxMonths, 0).Before(to) {
		return nil, ErrSpanTooLong
	}
	for m.Before(to) {
		list, err := c.Query(ctx, Query{Index: Listing, PK: prefix + m.Format(monthFmt), From: TS(from), To: TS(to.Add(-time.Nanosecond)) + "$"})
		if err != nil {
			return nil, err
		}
		out = append(out, list...)
		m = m.AddDate(0, 1, 0)
	}
	return out, nil
}

// PageMonths pages a listing partitioned by month, for times in [from,
// to), oldest first: up to limit records keep accepts, after the sort key
// after, and the sort key to start the next page after ("" at the end).
func PageMonths[T any](ctx context.Context, c Collection[T], prefix string, from, to time.Time, after string, limit int, keep func(T) bool) ([]T, string, error) {
	m := time.Date(from.UTC().Year(), from.UTC().Month(), 1, 0, 0, 0, 0, time.UTC)
	if m.AddDate(0, maxMonths, 0).Before(to) {
		return nil, "", ErrSpanTooLong
	}
	if at, err := time.Parse(tsLayout, strings.SplitN(after, "#", 2)[0]); after != "" && err == nil && at.After(m) {
		m = time.Date(at.Year(), at.Month(), 1, 0, 0, 0, 0, time.UTC) // resume in after's month
	}
	var out []T
	for ; m.Before(to) && len(out) < limit; m = m.AddDate(0, 1, 0) {
		q := Query{Index: Listing, PK: prefix + m.Format(monthFmt), From: TS(from), To: TS(to.Add(-time.Nanosecond)) + "$"}
		start := ""
		if after >= q.From && after <= q.To && strings.HasPrefix(after, m.Format(monthFmt)) {
			start = after
		}
		list, next, err := c.Page(ctx, q, start, limit-len(out), keep)
		if err != nil {
			return nil, "", err
		}
		out = append(out, list...)
		if next != "" {
			return out, next, nil
		}
	}
	if m.Before(to) {
		// Full at a month's end: the next page starts with the next month.
		return out, TS(m) + "#", nil
	}
	return out, "", nil
}

// PeopleByEmail returns the people with an email address (any case).
func (s *Store) PeopleByEmail(ctx context.Context, email string) ([]directory.Person, error) {
	return s.People.Query(ctx, Query{Index: Customer, PK: "PERSONEMAIL#" + addressKey(email), Limit: 10})
}

// ReportsOf lists the people whose manager is managerID, by name.
func (s *Store) ReportsOf(ctx context.Context, managerID string) ([]directory.Person, error) {
	return s.People.Query(ctx, Query{Index: Due, PK: "REPORTS#" + managerID})
}

// CustomersByEmail returns the people with an email address (case does
// not matter), at most limit.
func (s *Store) CustomersByEmail(ctx context.Context, email string, limit int) ([]customer.Customer, error) {
	return s.Customers.Query(ctx, Query{Index: Listing, PK: "CUSTEMAIL#" + addressKey(email), Limit: limit})
}

// DirectoryQuery selects people or accounts by name: those whose name
// begins with prefix (after NameKey), in name order.
func DirectoryQuery(pk, prefix string) Query {
	return Query{Index: Listing, PK: pk, Prefix: NameKey(prefix)}
}

// TimelineItems returns the raw records of a person, oldest first.
func (s *Store) TimelineItems(ctx context.Context, customerID string) ([]Item, error) {
	items, err := s.Table.Query(ctx, Query{Index: Customer, PK: "CUST#" + customerID})
	if err != nil {
		return nil, fmt.Errorf("timeline of %s: %w", customerID, err)
	}
	return items, nil
}

// TasksByStatus lists tasks with a stored status in due time order, at
// most limit (0 = all).
func (s *Store) TasksByStatus(ctx context.Context, st loop.Status, limit int) ([]loop.Task, error) {
	return s.Tasks.Query(ctx, Query{Index: Due, PK: "TASKS#" + string(st), Limit: limit})
}

// LoopsBetween lists tasks whose unhappy answer time is in [from, to).
func (s *Store) LoopsBetween(ctx context.Context, from, to time.Time) ([]loop.Task, error) {
	return queryMonths(ctx, s.Tasks, "LOOPS#", from, to)
}
