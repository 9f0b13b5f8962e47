package httpapi

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/domain/directory"
	"github.com/cxloop/cxloop/shared/domain/loop"
)

// homeView is what a person's home page shows.
type homeView struct {
	Name, Roles, TZ        string
	Manager, Leader, Admin bool
	Mine, Team             []followUpRow
	Escalated              string // "3 of them are", for the team list
	RootCauses, People     []option
}

// followUpRow is a follow-up in a list, in the reader's time zone.
type followUpRow struct {
	ID, CustomerID               string
	Customer, Account, Comment   string
	Owner                        string // in the team's list
	Score                        string
	Due                          when
	Overdue, Escalated, NeedsAck bool
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	v, ok := s.signedIn(w, r)
	if !ok {
		return
	}
	if v.Person.ID == "" { // a key's session: the dashboard is its page
		http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
		return
	}
	ctx := r.Context()
	mine, err := s.app.MyFollowUps(ctx, v)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	hv := homeView{
		Name: v.Person.Name, Roles: rolesText(v), TZ: v.Location().String(),
		Manager: v.Is(directory.Manager), Leader: v.Is(directory.Leader), Admin: v.Is(directory.Admin),
		RootCauses: []option{{Value: "", Label: "Choose…"}},
	}
	for _, rc := range s.app.Config().Loop.RootCauses {
		hv.RootCauses = append(hv.RootCauses, option{Value: rc, Label: rc})
	}
	people, err := s.app.Reassignees(ctx)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	hv.People = personOptions(people)
	for _, f := range mine {
		hv.Mine = append(hv.Mine, s.followUpRow(f, v, false))
	}
	if hv.Manager {
		team, err := s.app.TeamFollowUps(ctx, v)
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		escalated := 0
		for _, f := range team {
			hv.Team = append(hv.Team, s.followUpRow(f, v, true))
			if f.EscalatedToViewer {
				escalated++
			}
		}
		hv.Escalated = fmt.Sprintf("%d of them %s", escalated, map[bool]string{true: "is", false: "are"}[escalated == 1])
	}
	w.Header().Add("Vary", "Cookie")
	s.sendPage(w, r, http.StatusOK, "en", "My follow-ups – cxloop", homePage(hv))
}

func (s *Server) followUpRow(f app.FollowUp, v app.Viewer, withOwner bool) followUpRow {
	t := f.Task
	row := followUpRow{
		ID: t.ID, CustomerID: t.CustomerID, Customer: f.Summary.CustomerName, Account: f.Summary.AccountName,
		Comment: f.Summary.Comment, Score: strconv.Itoa(t.Score) + " / " + strconv.Itoa(t.Kind.Scale().Max),
		Due:     whenOf(t.DueAt.In(v.Location()), "Mon 2 Jan 2006 15:04 MST"),
		Overdue: t.StatusAt(s.app.Now()) == loop.Overdue, Escalated: f.EscalatedToViewer, NeedsAck: t.AcknowledgedAt.IsZero(),
	}
	if row.Customer == "" {
		row.Customer = "A customer"
	}
	if withOwner {
		row.Owner = t.Owner().OwnerName
	}
	return row
}

// homeTask is the task page for a signed-in person who may act on it.
func (s *Server) homeTask(w http.ResponseWriter, r *http.Request) {
	v, ok := s.signedIn(w, r)
	if !ok {
		return
	}
	acc, err := s.app.TaskForViewer(r.Context(), v, r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.renderTask(w, r, acc, http.StatusOK, "", "")
}

func (s *Server) homeTaskAction(w http.ResponseWriter, r *http.Request) {
	v, ok := s.signedIn(w, r)
	if !ok {
		return
	}
	s.runTaskForm(w, r, func() (app.TaskAccess, error) { return s.app.TaskForViewer(r.Context(), v, r.PathValue("id")) })
}

// homeCustomer is a customer's history for whoever follows them up.
func (s *Server) homeCustomer(w http.ResponseWriter, r *http.Request) {
	v, ok := s.signedIn(w, r)
	if !ok {
		return
	}
	c, entries, err := s.app.TimelineForViewer(r.Context(), v, r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	name := c.Name
	if name == "" {
		name = "a customer"
	}
	var rows []timelineRow
	for _, e := range entries {
		rows = append(rows, timelineRow{At: whenOf(e.At.In(v.Location()), "2 Jan 2006 15:04"), Summary: e.Summary})
	}
	s.sendPage(w, r, http.StatusOK, "en", "History – cxloop", customerPage(name, rows))
}
