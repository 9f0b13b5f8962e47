package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cxloop/cxloop/shared/core/store"
	"github.com/cxloop/cxloop/shared/domain/customer"
	"github.com/cxloop/cxloop/shared/domain/directory"
	"github.com/cxloop/cxloop/shared/domain/loop"
	"github.com/cxloop/cxloop/shared/domain/message"
	"github.com/cxloop/cxloop/shared/domain/survey"
	"github.com/cxloop/cxloop/shared/domain/token"
)

// CompleteInput is how an owner closes a follow-up.
type CompleteInput struct {
	Outcome           loop.Outcome `json:"outcome" form:"outcome" validate:"required,oneof=resolved contacted unreachable"`
	RootCause         string       `json:"root_cause" form:"root_cause" validate:"required,max=64,nocontrol"`
	Notes             string       `json:"notes" form:"notes" validate:"max=5000"`
	MessageToCustomer string       `json:"message_to_customer,omitempty" form:"message_to_customer" validate:"max=2000"`
	RecoveryCheck     bool         `json:"recovery_check,omitempty" form:"recovery_check"`
}

// ReassignInput hands a follow-up to another named person.
type ReassignInput struct {
	OwnerID string `json:"owner_id" form:"owner_id" validate:"required,id"`
	Reason  string `json:"reason" form:"reason" validate:"required,max=500,nocontrol"`
}

// TaskAccess is a task as one person's emailed link opens it.
type TaskAccess struct {
	Task loop.Task
	// Actor is the person the link was sent to (or who signed in); Person
	// is them as the directory has them (their time zone, say).
	Actor  loop.Actor
	Person directory.Person
	// CanAct: that person holds the task now, or is a manager above
	// whoever does. Anyone else sees the task and who holds it, and
	// changes nothing.
	CanAct bool
}

// Holder is who holds the task now, for a link that may not act.
func (t TaskAccess) Holder() string { return t.Task.Owner().OwnerName }

// taskSubject binds a task link to the person it is sent to. Task ids
// never hold the separator.
func taskSubject(taskID, personID string) string { return taskID + ":" + personID }

// taskLink is the task page's URL for one person.
func (a *App) taskLink(taskID, personID string) string {
	return a.link(token.Task, taskSubject(taskID, personID), a.cfg.TaskLinkTTL)
}

// TaskByToken resolves a task link and says whether its person may act.
func (a *App) TaskByToken(ctx context.Context, tok string) (TaskAccess, error) {
	subject, err := a.signer.Verify(token.Task, tok, a.Now())
	if err != nil {
		return TaskAccess{}, &Error{Code: NotFound, Message: "this link is not valid", Err: err}
	}
	taskID, personID, named := strings.Cut(subject, ":")
	t, err := a.Task(ctx, taskID)
	if err != nil {
		return TaskAccess{}, err
	}
	acc := TaskAccess{Task: t}
	if !named {
		// A link from before links named their person: whoever holds it
		// cannot be told apart from anyone it was forwarded to.
		return acc, nil
	}
	p, err := a.store.People.Get(ctx, personID)
	if errors.Is(err, store.ErrNotFound) {
		return acc, nil // the person left the directory
	} else if err != nil {
		return TaskAccess{}, err
	}
	acc.Actor, acc.Person = loop.Actor{PersonID: p.ID, Name: p.Name, Via: loop.ViaLink}, p
	acc.CanAct, err = a.mayAct(ctx, t, p.ID)
	return acc, err
}

// mayAct reports whether a person may act on the task: its holder, or a
// manager anywhere above the holder (an escalation reached them).
func (a *App) mayAct(ctx context.Context, t loop.Task, personID string) (bool, error) {
	cur := t.Owner().OwnerID
	if cur == personID {
		return true, nil
	}
	seen := map[string]bool{}
	for !seen[cur] {
		seen[cur] = true
		p, err := a.store.People.Get(ctx, cur)
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		} else if err != nil {
			return false, err
		}
		if p.ManagerID == "" {
			return false, nil
		}
		if p.ManagerID == personID {
			return true, nil
		}
		cur = p.ManagerID
	}
	return false, nil
}

// ErrNotHolder refuses an action through the link of someone who no
// longer holds the task (nor manages whoever does).
func errNotHolder(t loop.Task) error {
	return &Error{Code: Conflict, Message: "this follow-up is now held by " + t.Owner().OwnerName + "; this link can no longer change it"}
}

// ActAs runs one of the task page's actions for the link's person,
// refusing it if they may not act.
func (a *App) ActAs(acc TaskAccess, act func(by loop.Actor) (loop.Task, error)) (loop.Task, error) {
	if !acc.CanAct {
		return acc.Task, errNotHolder(acc.Task)
	}
	return act(acc.Actor)
}

// Task returns a task by id.
func (a *App) Task(ctx context.Context, id string) (loop.Task, error) {
	t, err := a.store.Tasks.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return loop.Task{}, &Error{Code: NotFound, Message: "no such task", Err: err}
	}
	return t, err
}

// Acknowledge records the owner's first contact ("I'm on it"). It stops
// the owner's reminders; the due time and manager escalation still hold.
func (a *App) Acknowledge(ctx context.Context, id string, by loop.Actor) (loop.Task, error) {
	now := a.Now()
	t, err := a.store.Tasks.Update(ctx, id, func(t *loop.Task) error {
		if !t.AcknowledgedAt.IsZero() || t.Status != loop.Open {
			return store.ErrNoChange
		}
		t.AcknowledgedAt = now
		t.Record(now, loop.Acknowledged, by, "")
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return loop.Task{}, &Error{Code: NotFound, Message: "no such task", Err: err}
	}
	if err == nil {
		a.log.InfoContext(ctx, "follow-up acknowledged", "task_id", id, "by", by.PersonID, "via", by.Via)
	}
	return t, err
}

// Complete closes a follow-up with its outcome. Completing a closed task
// again changes nothing and is not an error.
func (a *App) Complete(ctx context.Context, id string, in CompleteInput, by loop.Actor) (loop.Task, error) {
	if err := a.check(in); err != nil {
		return loop.Task{}, err
	}
	if !a.loopPolicy.ValidRootCause(in.RootCause) {
		return loop.Task{}, FieldError("root_cause", "must be one of: "+strings.Join(a.loopPolicy.RootCauses, ", "))
	}
	now := a.Now()
	t, err := a.store.Tasks.Update(ctx, id, func(t *loop.Task) error {
		if t.Status == loop.Done {
			return store.ErrNoChange
		}
		t.Status, t.ClosedAt, t.ClosedBy, t.ClosedByName = loop.Done, now, by.PersonID, by.Name
		if by.PersonID == "" {
			// An API client closes on the holder's behalf: the note, if
			// any, is signed by the holder.
			t.ClosedByName = t.Owner().OwnerName
		}
		t.Record(now, loop.Completed, by, string(in.Outcome))
		t.Outcome, t.RootCause, t.Notes = in.Outcome, in.RootCause, strings.TrimSpace(in.Notes)
		t.MessageToCustomer, t.RecoveryCheck = strings.TrimSpace(in.MessageToCustomer), in.RecoveryCheck
		if t.AcknowledgedAt.IsZero() {
			t.AcknowledgedAt = now // closing is a contact, too
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return loop.Task{}, &Error{Code: NotFound, Message: "no such task", Err: err}
	}
	if err != nil {
		return loop.Task{}, fmt.Errorf("complete %s: %w", id, err)
	}
	erased := false
	if _, err := a.store.Customers.Update(ctx, t.CustomerID, func(c *customer.Customer) error {
		c.CloseTask(t.ID)
		erased = c.Erased
		return nil
	}); err != nil && !errors.Is(err, store.ErrNotFound) {
		return loop.Task{}, fmt.Errorf("complete %s: %w", id, err)
	}
	if erased && (t.Notes != "" || t.MessageToCustomer != "") {
		// The person was erased: what the owner writes about them now is
		// not kept either (and there is no one to send a note to).
		if t, err = a.store.Tasks.Update(ctx, t.ID, func(x *loop.Task) error {
			x.ErasePersonalData()
			return nil
		}); err != nil {
			return loop.Task{}, fmt.Errorf("complete %s: %w", id, err)
		}
	}
	if err := a.resume(ctx, t, "complete"); err != nil {
		return loop.Task{}, fmt.Errorf("complete %s: %w", id, err)
	}
	a.unhold(ctx, t.Owner().OwnerID, t.ID)
	return t, nil
}

// Reassign hands an open follow-up to another named person; the due time
// stays, and the new owner gets the task email.
func (a *App) Reassign(ctx context.Context, id string, in ReassignInput, by loop.Actor) (loop.Task, error) {
	if err := a.check(in); err != nil {
		return loop.Task{}, err
	}
	p, err := a.store.People.Get(ctx, in.OwnerID)
	if errors.Is(err, store.ErrNotFound) {
		return loop.Task{}, FieldError("owner_id", "must be a known person")
	} else if err != nil {
		return loop.Task{}, err
	}
	now := a.Now()
	if cur, err := a.store.Tasks.Get(ctx, id); err == nil && cur.Status == loop.Open {
		// The new holder's pointer first (see hold).
		if err := a.hold(ctx, p.ID, cur); err != nil {
			return loop.Task{}, err
		}
	}
	t, err := a.store.Tasks.Update(ctx, id, func(t *loop.Task) error {
		switch {
		case t.Status != loop.Open:
			return &Error{Code: Conflict, Message: "only an open follow-up can be reassigned"}
		case t.Owner().OwnerID == p.ID:
			return FieldError("owner_id", "already owns this follow-up")
		}
		t.Owners = append(t.Owners, loop.Holding{OwnerID: p.ID, OwnerName: p.Name, Team: p.Team, From: now, Reason: strings.TrimSpace(in.Reason)})
		t.AcknowledgedAt = time.Time{} // the new owner has not made contact yet
		t.Record(now, loop.Reassigned, by, "to "+p.Name)
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return loop.Task{}, &Error{Code: NotFound, Message: "no such task", Err: err}
	}
	if err != nil {
		return loop.Task{}, err
	}
	a.log.InfoContext(ctx, "follow-up reassigned", "task_id", t.ID, "owner_id", p.ID, "by", by.PersonID, "via", by.Via)
	if n := len(t.Owners); n > 1 {
		a.unhold(ctx, t.Owners[n-2].OwnerID, t.ID)
	}
	if err := a.resume(ctx, t, "reassign"); err != nil {
		return loop.Task{}, fmt.Errorf("reassign %s: %w", id, err)
	}
	return t, nil
}

// resume wakes the workflow waiting on the owner. If it is not waiting
// (between escalations, say), its next task finds the new state itself.
func (a *App) resume(ctx context.Context, t loop.Task, action string) error {
	if t.Token == "" {
		return nil
	}
	out, _ := json.Marshal(map[string]string{"action": action, "task_id": t.ID})
	err := a.flow.SendTaskSuccess(ctx, t.Token, out)
	switch {
	case errors.Is(err, ErrTaskGone):
		a.log.InfoContext(ctx, "workflow not waiting; it will see the change at its next step", "task_id", t.ID)
	case err != nil:
		return err
	}
	return nil
}

// TaskFilter selects tasks for GET /v1/tasks.
type TaskFilter struct {
	Status  loop.Status
	OwnerID string
}

// Tasks lists follow-ups by status (open includes overdue), in due order,
// a page at a time.
func (a *App) Tasks(ctx context.Context, f TaskFilter, cursor string, limit int) ([]loop.Task, string, error) {
	stored := f.Status
	switch f.Status {
	case "", loop.Open, loop.Overdue:
		stored = loop.Open
	case loop.Done, loop.Failed:
	default:
		return nil, "", FieldError("status", "must be one of: open, done, overdue, failed")
	}
	now := a.Now()
	return a.store.Tasks.Page(ctx, store.Query{Index: store.Due, PK: "TASKS#" + string(stored)}, cursor, limit, func(t loop.Task) bool {
		return (f.OwnerID == "" || t.Owner().OwnerID == f.OwnerID) && (f.Status != loop.Overdue || t.StatusAt(now) == loop.Overdue)
	})
}

// TaskDetail is everything an owner needs to follow up.
type TaskDetail struct {
	Task     loop.Task
	Customer customer.Customer
	Account  directory.Account
	Response survey.Response
	Survey   survey.Survey
	Timeline []Entry
	People   []directory.Person // candidates for reassignment
}

// Detail assembles the task page.
func (a *App) Detail(ctx context.Context, t loop.Task) (TaskDetail, error) {
	d := TaskDetail{Task: t}
	var err error
	if d.Response, err = a.store.Responses.Get(ctx, t.ResponseID); err != nil {
		return d, err
	}
	d.Survey, _ = a.store.Surveys.Get(ctx, t.SurveyID)
	d.Customer, _ = a.store.Customers.Get(ctx, t.CustomerID)
	d.Account, _ = a.store.Accounts.Get(ctx, t.AccountID)
	if d.Timeline, err = a.Timeline(ctx, t.CustomerID); err != nil {
		return d, err
	}
	// The owner's manager and the fallback owner first, then everyone by name.
	owner, _ := a.store.People.Get(ctx, t.Owner().OwnerID)
	seen := map[string]bool{owner.ID: true}
	for _, id := range []string{owner.ManagerID, a.cfg.FallbackOwnerID} {
		if p, err := a.store.People.Get(ctx, id); err == nil && !seen[p.ID] {
			d.People, seen[p.ID] = append(d.People, p), true
		}
	}
	everyone, err := a.Reassignees(ctx)
	if err != nil {
		return d, err
	}
	for _, p := range everyone {
		if !seen[p.ID] {
			d.People, seen[p.ID] = append(d.People, p), true
		}
	}
	return d, nil
}

// Entry is one event in a person's timeline.
type Entry struct {
	At      time.Time `json:"at"`
	Kind    string    `json:"kind"` // interaction, survey, response, task, message
	ID      string    `json:"id"`
	Summary string    `json:"summary"`
	Record  any       `json:"record"`
}

// Timeline lists what happened with a person, oldest first.
func (a *App) Timeline(ctx context.Context, customerID string) ([]Entry, error) {
	items, err := a.store.TimelineItems(ctx, customerID)
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(items))
	for _, it := range items {
		e, ok, err := entryOf(it)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, e)
		}
	}
	return out, nil
}

func entryOf(it store.Item) (Entry, bool, error) {
	kind, id, _ := strings.Cut(it.PK, "#")
	var (
		e   = Entry{ID: id}
		err error
	)
	switch kind {
	case "INTERACTION":
		var v survey.Interaction
		err = json.Unmarshal(it.Data, &v)
		e.Kind, e.At, e.Record = "interaction", v.ReceivedAt, v
		e.Summary = fmt.Sprintf("%s interaction; survey %s", v.Type, v.Result.Status)
		if v.Result.Reason != "" {
			e.Summary += " (" + string(v.Result.Reason) + ")"
		}
	case "SURVEY":
		var v survey.Survey
		err = json.Unmarshal(it.Data, &v)
		e.Kind, e.At, e.Record = "survey", v.CreatedAt, v
		e.Summary = fmt.Sprintf("%s survey by %s: %s", strings.ToUpper(string(v.Kind)), v.Channel, v.Status)
	case "RESPONSE":
		var v survey.Response
		err = json.Unmarshal(it.Data, &v)
		e.Kind, e.At, e.Record = "response", v.AnsweredAt, v
		e.Summary = fmt.Sprintf("answered %d (%s)", v.Score, strings.ToUpper(string(v.Kind)))
		if v.Comment != "" {
			e.Summary += ": " + v.Comment
		}
	case "TASK":
		var v loop.Task
		err = json.Unmarshal(it.Data, &v)
		v.Token = ""
		e.Kind, e.At, e.Record = "task", v.CreatedAt, v
		e.Summary = fmt.Sprintf("follow-up by %s: %s", v.Owner().OwnerName, v.Status)
		if v.Outcome != "" {
			e.Summary += " (" + string(v.Outcome) + ", " + v.RootCause + ")"
		}
	case "MESSAGE":
		var v message.Record
		err = json.Unmarshal(it.Data, &v)
		e.Kind, e.At, e.Record = "message", v.SentAt, v
		e.Summary = fmt.Sprintf("%s %s to %s", v.Purpose, v.Channel, v.To)
	default:
		return Entry{}, false, nil
	}
	if err != nil {
		return Entry{}, false, fmt.Errorf("timeline %s: %w", it.PK, err)
	}
	return e, true, nil
}

// hold records that a person holds a follow-up, for their list.
func (a *App) hold(ctx context.Context, personID string, t loop.Task) error {
	_, err := a.store.Holdings.Upsert(ctx, store.HoldingID(personID, t.ID), func(h *store.Holding, _ bool) error {
		*h = store.Holding{PersonID: personID, TaskID: t.ID, DueAt: t.DueAt}
		return nil
	})
	if err != nil {
		return fmt.Errorf("hold %s for %s: %w", t.ID, personID, err)
	}
	return nil
}

// unhold forgets a pointer that no longer holds: a failure only leaves a
// pointer the lists skip, so it is logged, not returned.
func (a *App) unhold(ctx context.Context, personID, taskID string) {
	if err := a.store.Holdings.Delete(ctx, store.HoldingID(personID, taskID)); err != nil {
		a.log.WarnContext(ctx, "holding not removed", "task_id", taskID, "person_id", personID, "err", err)
	}
}
