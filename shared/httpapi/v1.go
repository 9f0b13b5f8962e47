package httpapi

import (
	"net/http"
	"time"

	"github.com/cxloop/cxloop/shared/app"
	"github.com/cxloop/cxloop/shared/survey"
)

func (s *Server) putPerson(w http.ResponseWriter, r *http.Request) {
	var in app.PersonInput
	if err := DecodeJSON(w, r, &in); err != nil {
		WriteError(w, r, err)
		return
	}
	p, created, err := s.app.PutPerson(r.Context(), r.PathValue("id"), in)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, createdStatus(created), p)
}

func (s *Server) putAccount(w http.ResponseWriter, r *http.Request) {
	var in app.AccountInput
	if err := DecodeJSON(w, r, &in); err != nil {
		WriteError(w, r, err)
		return
	}
	acct, created, err := s.app.PutAccount(r.Context(), r.PathValue("id"), in)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, createdStatus(created), acct)
}

func createdStatus(created bool) int {
	if created {
		return http.StatusCreated
	}
	return http.StatusOK
}

func (s *Server) postInteraction(w http.ResponseWriter, r *http.Request) {
	var in app.Interaction
	if err := DecodeJSON(w, r, &in); err != nil {
		WriteError(w, r, err)
		return
	}
	res, replay, err := s.app.Ingest(r.Context(), in)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	code := http.StatusAccepted
	if replay {
		code = http.StatusOK
	}
	WriteJSON(w, code, res)
}

// responseJSON is an answer as the API shows it.
type responseJSON struct {
	ID         string      `json:"id"`
	SurveyID   string      `json:"survey_id"`
	CustomerID string      `json:"customer_id"`
	AccountID  string      `json:"account_id"`
	Survey     survey.Kind `json:"survey"`
	Channel    string      `json:"channel"`
	Score      int         `json:"score"`
	Comment    string      `json:"comment"`
	Unhappy    bool        `json:"unhappy"`
	Source     string      `json:"source"`
	AnsweredAt time.Time   `json:"answered_at"`
}

func (s *Server) listResponses(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, err := queryTime(q.Get("from"), "from")
	if err != nil {
		WriteError(w, r, err)
		return
	}
	to, err := queryTime(q.Get("to"), "to")
	if err != nil {
		WriteError(w, r, err)
		return
	}
	unhappy, err := queryBool(q.Get("unhappy"), "unhappy")
	if err != nil {
		WriteError(w, r, err)
		return
	}
	list, err := s.app.Responses(r.Context(), app.ResponseFilter{From: from, To: to, UnhappyOnly: unhappy})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	out := make([]responseJSON, 0, len(list))
	for _, x := range list {
		out = append(out, responseJSON{
			ID: x.ID, SurveyID: x.SurveyID, CustomerID: x.CustomerID, AccountID: x.AccountID, Survey: x.Kind,
			Channel: string(x.Channel), Score: x.Score, Comment: x.Comment, Unhappy: x.Unhappy,
			Source: string(x.Source), AnsweredAt: x.AnsweredAt,
		})
	}
	WriteJSON(w, http.StatusOK, map[string]any{"responses": out})
}

// queryTime reads an RFC 3339 time or a date (YYYY-MM-DD, UTC).
func queryTime(v, field string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, ok := app.ParseTime(v); ok {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	return time.Time{}, app.FieldError(field, "must be an RFC 3339 time or a date (YYYY-MM-DD)")
}

func queryBool(v, field string) (bool, error) {
	switch v {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	return false, app.FieldError(field, "must be true or false")
}
