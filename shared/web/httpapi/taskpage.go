package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/domain/directory"
	"github.com/cxloop/cxloop/shared/domain/loop"
	"github.com/cxloop/cxloop/shared/domain/message"
)

// taskView is what the task page shows, every string worked out here.
type taskView struct {
	Name, First    string // the customer, as the heading and the forms name them
	Flash, Problem string
	HeldBy         string // who holds the task, when this link may only look
	Status         string
	StatusClass    string
	Level          string // " · escalation level N", or empty
	Owner          string // "Name (Team)"
	Due            when
	Account        string
	Email, Phone   string
	FirstContact   string
	Score          string // "2 / 10"
	Question       string
	Changed        *answerChange
	Comment        string

	CanAct, NeedsAck   bool // open, and this link may act; not yet acknowledged
	RootCauses, People []option
	Closed             bool
	Outcome, RootCause string
	Notes              string
	MessageToCustomer  string
	Owners             []string // "Name from 2 Jan 2006 15:04 – reason"
	Timeline           []timelineRow
}

// when is a time as a <time> element shows it.
type when struct{ ISO, Text string }

func whenOf(t time.Time, layout string) when {
	return when{ISO: t.Format(time.RFC3339), Text: t.Format(layout)}
}

type answerChange struct {
	From string
	At   when
}

type option struct{ Value, Label string }

type timelineRow struct {
	At      when
	Summary string
}

func (s *Server) newTaskView(acc app.TaskAccess, d app.TaskDetail, flash, problem string) taskView {
	t := acc.Task
	st := t.StatusAt(s.app.Now())
	top := t.Kind.Scale().Max
	loc := acc.Person.Location() // times as the reader lives them
	v := taskView{
		Name: d.Customer.Name, First: message.FirstName(d.Customer.Name), Flash: flash, Problem: problem,
		Status: string(st), StatusClass: map[loop.Status]string{loop.Overdue: "bad", loop.Done: "ok", loop.Failed: "bad", loop.Open: "warn"}[st],
		Owner: t.Owner().OwnerName, Due: whenOf(t.DueAt.In(loc), "Mon 2 Jan 2006 15:04 MST"),
		Account: d.Account.Name, Email: d.Customer.Email, Phone: d.Customer.Phone,
		Score:    fmt.Sprintf("%d / %d", d.Response.Score, top),
		Question: message.Invite{Kind: t.Kind, Org: s.app.Config().Org, OwnerName: d.Survey.OwnerName}.Question(),
		Comment:  d.Response.Comment,
		CanAct:   t.Status == loop.Open && acc.CanAct, NeedsAck: t.AcknowledgedAt.IsZero(),
		Closed: t.Status != loop.Open, Outcome: string(t.Outcome), RootCause: t.RootCause,
		Notes: t.Notes, MessageToCustomer: t.MessageToCustomer,
	}
	if v.Name == "" {
		v.Name = "a customer"
	}
	if v.First == "" {
		v.First = "the customer"
	}
	if !acc.CanAct && t.Status == loop.Open && problem == "" {
		v.HeldBy = acc.Holder()
	}
	if t.Level != 0 {
		v.Level = " · escalation level " + strconv.Itoa(t.Level)
	}
	if team := t.Owner().Team; team != "" {
		v.Owner += " (" + team + ")"
	}
	if !t.AcknowledgedAt.IsZero() {
		v.FirstContact = t.AcknowledgedAt.In(loc).Format("2 Jan 2006 15:04 MST")
	}
	if c, ok := t.LastChange(); ok {
		v.Changed = &answerChange{From: fmt.Sprintf("%d / %d", c.From, top), At: whenOf(c.At.In(loc), "2 Jan 2006 15:04 MST")}
	}
	if v.CanAct {
		v.RootCauses = []option{{Value: "", Label: "Choose…"}}
		for _, rc := range s.app.Config().Loop.RootCauses {
			v.RootCauses = append(v.RootCauses, option{Value: rc, Label: rc})
		}
		v.People = personOptions(d.People)
	}
	for _, h := range t.Owners {
		o := h.OwnerName + " from " + h.From.In(loc).Format("2 Jan 2006 15:04")
		if h.Reason != "" {
			o += " – " + h.Reason
		}
		v.Owners = append(v.Owners, o)
	}
	for _, e := range d.Timeline {
		v.Timeline = append(v.Timeline, timelineRow{At: whenOf(e.At.In(loc), "2 Jan 2006 15:04"), Summary: e.Summary})
	}
	return v
}

// renderTask sends the task page: what the customer said, the forms to
// act on the task while it is open, its outcome once closed, and the
// customer's history.
func (s *Server) renderTask(w http.ResponseWriter, r *http.Request, acc app.TaskAccess, code int, flash, problem string) {
	d, err := s.app.Detail(r.Context(), acc.Task)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.sendPage(w, r, code, "en", "Follow-up", taskPage(s.newTaskView(acc, d, flash, problem)))
}
func (s *Server) taskPage(w http.ResponseWriter, r *http.Request) {
	acc, err := s.app.TaskByToken(r.Context(), r.PathValue("token"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.renderTask(w, r, acc, http.StatusOK, "", "")
}

// taskAction serves the task page's three forms, for the task link.
func (s *Server) taskAction(w http.ResponseWriter, r *http.Request) {
	open := func() (app.TaskAccess, error) { return s.app.TaskByToken(r.Context(), r.PathValue("token")) }
	s.runTaskForm(w, r, open)
}

// runTaskForm applies one of the task page's forms through the access
// open gives (a link's, or a signed-in person's), and shows the page again.
func (s *Server) runTaskForm(w http.ResponseWriter, r *http.Request, open func() (app.TaskAccess, error)) {
	acc, err := open()
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if !readForm(w, r) {
		s.renderTask(w, r, acc, http.StatusRequestEntityTooLarge, "", "The form was too large.")
		return
	}
	f := r.PostForm
	ctx, id := r.Context(), acc.Task.ID
	var (
		flash string
		act   func(by loop.Actor) (loop.Task, error)
	)
	switch f.Get("action") {
	case "acknowledge":
		act = func(by loop.Actor) (loop.Task, error) { return s.app.Acknowledge(ctx, id, by) }
		flash = "Noted: you're on it. Reminders to you stop; the due time stays."
	case "complete":
		in := app.CompleteInput{
			Outcome: loop.Outcome(f.Get("outcome")), RootCause: f.Get("root_cause"), Notes: f.Get("notes"),
			MessageToCustomer: f.Get("message_to_customer"), RecoveryCheck: f.Get("recovery_check") == "true",
		}
		act = func(by loop.Actor) (loop.Task, error) { return s.app.Complete(ctx, id, in, by) }
		flash = "Thank you. The loop is closed."
	case "reassign":
		in := app.ReassignInput{OwnerID: f.Get("owner_id"), Reason: f.Get("reason")}
		act = func(by loop.Actor) (loop.Task, error) { return s.app.Reassign(ctx, id, in, by) }
		flash = "Reassigned. The new owner has been sent the follow-up."
	default:
		act = func(loop.Actor) (loop.Task, error) {
			return acc.Task, app.FieldError("action", "must be acknowledge, complete or reassign")
		}
	}
	if _, err := s.app.ActAs(acc, act); err != nil {
		if code := app.CodeOf(err); code == app.Invalid || code == app.Conflict {
			cur, terr := open()
			if terr != nil {
				s.pageError(w, r, terr)
				return
			}
			s.renderTask(w, r, cur, status[code], "", problemText(err))
			return
		}
		s.pageError(w, r, err)
		return
	}
	// Read again: after a reassignment its person may no longer act.
	cur, err := open()
	if err != nil {
		// A signed-in owner who handed the task on no longer sees it.
		if app.CodeOf(err) == app.NotFound && r.URL.Path != "" && strings.HasPrefix(r.URL.Path, "/home/") {
			http.Redirect(w, r, "/home", http.StatusSeeOther)
			return
		}
		s.pageError(w, r, err)
		return
	}
	s.renderTask(w, r, cur, http.StatusOK, flash, "")
}

// problemText turns a validation error into one sentence for a page.
func problemText(err error) string {
	var e *app.Error
	if !errors.As(err, &e) {
		return "Something went wrong."
	}
	msg := e.Message
	for f, p := range e.Fields {
		msg = f + " " + p + "."
	}
	return msg
}

// personOptions lists people for a choice by name: "Name (Team)".
func personOptions(people []directory.Person) []option {
	out := make([]option, 0, len(people))
	for _, p := range people {
		label := p.Name
		if p.Team != "" {
			label += " (" + p.Team + ")"
		}
		out = append(out, option{Value: p.ID, Label: label})
	}
	return out
}
