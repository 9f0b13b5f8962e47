package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/domain/loop"
)

// taskJSON is a follow-up as the API shows it (never its workflow token).
type taskJSON struct {
	ID             string         `json:"id"`
	Owner          ownerJSON      `json:"owner"`
	Owners         []loop.Holding `json:"owners"`
	DueAt          time.Time      `json:"due_at"`
	Status         loop.Status    `json:"status"`
	Level          int            `json:"escalation_level"`
	CustomerID     string         `json:"customer_id"`
	AccountID      string         `json:"account_id"`
	CreatedAt      time.Time      `json:"created_at"`
	AcknowledgedAt *time.Time     `json:"acknowledged_at,omitempty"`
	ClosedAt       *time.Time     `json:"closed_at,omitempty"`
	Outcome        loop.Outcome   `json:"outcome,omitempty"`
	RootCause      string         `json:"root_cause,omitempty"`
	Notes          string         `json:"notes,omitempty"`
	WithinSLA      *bool          `json:"within_sla,omitempty"`
	Response       taskResponse   `json:"response"`
	Failure        string         `json:"failure,omitempty"`
	// Actions is who did what to the task, and when.
	Actions []loop.Action `json:"actions"`
	// Note is where the personal note to the customer is, if one was written.
	Note *noteJSON `json:"note,omitempty"`
}

type noteJSON struct {
	Status      string           `json:"status"`
	Problem     loop.NoteProblem `json:"problem,omitempty"`
	SentAt      *time.Time       `json:"sent_at,omitempty"`
	DeliveredAt *time.Time       `json:"delivered_at,omitempty"`
	// WriterToldAt is when whoever wrote it was told it may not have arrived.
	WriterToldAt *time.Time `json:"writer_told_at,omitempty"`
}

type ownerJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Team string `json:"team,omitempty"`
}

type taskResponse struct {
	ID         string    `json:"id"`
	SurveyID   string    `json:"survey_id"`
	Survey     string    `json:"survey"`
	Score      int       `json:"score"`
	AnsweredAt time.Time `json:"answered_at"`
	// Changes lists how the person changed their answer after the loop
	// started; Score is the answer as it is now.
	Changes []loop.ScoreChange `json:"changes,omitempty"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func toTaskJSON(t loop.Task, now time.Time) taskJSON {
	o := t.Owner()
	out := taskJSON{
		ID: t.ID, Owner: ownerJSON{ID: o.OwnerID, Name: o.OwnerName, Team: o.Team}, Owners: t.Owners,
		DueAt: t.DueAt, Status: t.StatusAt(now), Level: t.Level, CustomerID: t.CustomerID, AccountID: t.AccountID,
		CreatedAt: t.CreatedAt, AcknowledgedAt: timePtr(t.AcknowledgedAt), ClosedAt: timePtr(t.ClosedAt),
		Outcome: t.Outcome, RootCause: t.RootCause, Notes: t.Notes, Failure: t.Failure,
		Response: taskResponse{ID: t.ResponseID, SurveyID: t.SurveyID, Survey: string(t.Kind), Score: t.Score, AnsweredAt: t.AnsweredAt, Changes: t.ScoreChanges},
		Actions:  t.Actions,
	}
	if out.Actions == nil {
		out.Actions = []loop.Action{}
	}
	if st := t.NoteStatus(); st != "" {
		out.Note = &noteJSON{Status: st, Problem: t.Note.Problem, SentAt: timePtr(t.NoteSentAt),
			DeliveredAt: timePtr(t.Note.DeliveredAt), WriterToldAt: timePtr(t.Note.OwnerToldAt)}
	}
	if t.Status == loop.Done {
		in := t.WithinSLA()
		out.WithinSLA = &in
	}
	return out
}

func (s *Server) listTasks(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if owner := q.Get("owner_id"); owner != "" {
		if err := app.CheckID("owner_id", owner); err != nil {
			WriteError(w, r, err)
			return
		}
	}
	asCSV, err := wantsCSV(r)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	paging := pageParams
	if asCSV {
		paging = csvPageParams
	}
	p, err := paging(r)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	list, next, err := s.app.Tasks(r.Context(), app.TaskFilter{Status: loop.Status(q.Get("status")), OwnerID: q.Get("owner_id")}, p.after, p.limit)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	now := s.app.Now()
	if asCSV {
		rows := make([][]string, 0, len(list))
		for _, t := range list {
			rows = append(rows, taskCSVRow(t, now))
		}
		writeCSV(w, r, "tasks.csv", taskCSVHeader, rows, next)
		return
	}
	out := make([]taskJSON, 0, len(list))
	for _, t := range list {
		out = append(out, toTaskJSON(t, now))
	}
	WriteJSON(w, http.StatusOK, withCursor(map[string]any{"tasks": out}, next))
}

var taskCSVHeader = []string{
	"id", "status", "owner_id", "owner_name", "team", "customer_id", "account_id", "survey", "score", "answered_at", "due_at",
	"escalation_level", "acknowledged_at", "closed_at", "outcome", "root_cause", "within_sla", "note", "response_id",
}

func taskCSVRow(t loop.Task, now time.Time) []string {
	o := t.Owner()
	within := ""
	if t.Status == loop.Done {
		within = strconv.FormatBool(t.WithinSLA())
	}
	return []string{
		t.ID, string(t.StatusAt(now)), o.OwnerID, o.OwnerName, o.Team, t.CustomerID, t.AccountID, string(t.Kind), strconv.Itoa(t.Score),
		csvTime(t.AnsweredAt), csvTime(t.DueAt), strconv.Itoa(t.Level), csvTime(t.AcknowledgedAt), csvTime(t.ClosedAt),
		string(t.Outcome), t.RootCause, within, t.NoteStatus(), t.ResponseID,
	}
}

// csvTime is an RFC 3339 time, or empty for none.
func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func (s *Server) getTask(w http.ResponseWriter, r *http.Request) {
	t, err := s.app.Task(r.Context(), r.PathValue("id"))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, toTaskJSON(t, s.app.Now()))
}

func (s *Server) completeTask(w http.ResponseWriter, r *http.Request) {
	var in app.CompleteInput
	if err := DecodeJSON(w, r, &in); err != nil {
		WriteError(w, r, err)
		return
	}
	t, err := s.app.Complete(r.Context(), r.PathValue("id"), in, apiActor(r.Context()))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, toTaskJSON(t, s.app.Now()))
}

func (s *Server) reassignTask(w http.ResponseWriter, r *http.Request) {
	var in app.ReassignInput
	if err := DecodeJSON(w, r, &in); err != nil {
		WriteError(w, r, err)
		return
	}
	t, err := s.app.Reassign(r.Context(), r.PathValue("id"), in, apiActor(r.Context()))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, toTaskJSON(t, s.app.Now()))
}

func (s *Server) acknowledgeTask(w http.ResponseWriter, r *http.Request) {
	t, err := s.app.Acknowledge(r.Context(), r.PathValue("id"), apiActor(r.Context()))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, toTaskJSON(t, s.app.Now()))
}

func (s *Server) resendTaskLink(w http.ResponseWriter, r *http.Request) {
	t, err := s.app.ResendTaskLink(r.Context(), r.PathValue("id"))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusAccepted, toTaskJSON(t, s.app.Now()))
}

func (s *Server) timeline(w http.ResponseWriter, r *http.Request) {
	list, err := s.app.Timeline(r.Context(), r.PathValue("id"))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	if len(list) == 0 {
		WriteError(w, r, app.Errorf(app.NotFound, "no such customer"))
		return
	}
	WriteJSON(w, http.StatusOK, map[string]any{"customer_id": r.PathValue("id"), "events": list})
}

func (s *Server) eraseCustomer(w http.ResponseWriter, r *http.Request) {
	n, err := s.app.Erase(r.Context(), r.PathValue("id"))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, map[string]string{"status": "erased", "records": strconv.Itoa(n)})
}
