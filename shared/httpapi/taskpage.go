package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/cxloop/cxloop/shared/app"
	"github.com/cxloop/cxloop/shared/loop"
	"github.com/cxloop/cxloop/shared/message"
)

var taskTmpl = parsePage("task.html")

func (s *Server) renderTask(w http.ResponseWriter, r *http.Request, t loop.Task, code int, flash, problem string) {
	d, err := s.app.Detail(r.Context(), t)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	now := s.app.Now()
	st := t.StatusAt(now)
	class := map[loop.Status]string{loop.Overdue: "bad", loop.Done: "ok", loop.Failed: "bad", loop.Open: "warn"}[st]
	ack := ""
	if !t.AcknowledgedAt.IsZero() {
		ack = t.AcknowledgedAt.Format("2 Jan 2006 15:04 MST")
	}
	first := message.FirstName(d.Customer.Name)
	if first == "" {
		first = "the customer"
	}
	s.renderPage(w, r, taskTmpl, code, map[string]any{
		"Title": "Follow-up", "D": d, "Status": st, "StatusClass": class, "Owner": t.Owner(),
		"Due": t.DueAt.Format("Mon 2 Jan 2006 15:04 MST"), "DueISO": t.DueAt.Format(time.RFC3339),
		"Acknowledged": ack, "Open": t.Status == loop.Open, "FirstName": first,
		"Score":      fmt.Sprintf("%d / %d", d.Response.Score, t.Kind.Scale().Max),
		"Question":   message.Invite{Kind: t.Kind, Org: s.app.Config().Org, OwnerName: d.Survey.OwnerName}.Question(),
		"RootCauses": s.app.Config().Loop.RootCauses, "Flash": flash, "Error": problem,
	})
}

func (s *Server) taskPage(w http.ResponseWriter, r *http.Request) {
	t, err := s.app.TaskByToken(r.Context(), r.PathValue("token"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.renderTask(w, r, t, http.StatusOK, "", "")
}

// taskAction serves the task page's three forms.
func (s *Server) taskAction(w http.ResponseWriter, r *http.Request) {
	t, err := s.app.TaskByToken(r.Context(), r.PathValue("token"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	if err := r.ParseForm(); err != nil {
		s.renderTask(w, r, t, http.StatusRequestEntityTooLarge, "", "The form was too large.")
		return
	}
	f := r.PostForm
	var flash string
	switch f.Get("action") {
	case "acknowledge":
		t, err = s.app.Acknowledge(r.Context(), t.ID)
		flash = "Noted: you're on it. Reminders to you stop; the due time stays."
	case "complete":
		t, err = s.app.Complete(r.Context(), t.ID, app.CompleteInput{
			Outcome: loop.Outcome(f.Get("outcome")), RootCause: f.Get("root_cause"), Notes: f.Get("notes"),
			MessageToCustomer: f.Get("message_to_customer"), RecoveryCheck: f.Get("recovery_check") == "true",
		})
		flash = "Thank you. The loop is closed."
	case "reassign":
		t, err = s.app.Reassign(r.Context(), t.ID, app.ReassignInput{OwnerID: f.Get("owner_id"), Reason: f.Get("reason")})
		flash = "Reassigned. The new owner has been sent the follow-up."
	default:
		err = app.FieldError("action", "must be acknowledge, complete or reassign")
	}
	if err != nil {
		if code := app.CodeOf(err); code == app.Invalid || code == app.Conflict {
			cur, terr := s.app.TaskByToken(r.Context(), r.PathValue("token"))
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
	s.renderTask(w, r, t, http.StatusOK, flash, "")
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
