package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/domain/access"
	"github.com/cxloop/cxloop/shared/domain/survey"
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
	list, next, err := s.app.Responses(r.Context(), app.ResponseFilter{From: from, To: to, UnhappyOnly: unhappy}, p.after, p.limit)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	if asCSV {
		rows := make([][]string, 0, len(list))
		for _, x := range list {
			rows = append(rows, []string{x.ID, x.SurveyID, x.CustomerID, x.AccountID, string(x.Kind), string(x.Channel),
				strconv.Itoa(x.Score), x.Comment, strconv.FormatBool(x.Unhappy), string(x.Source), csvTime(x.AnsweredAt)})
		}
		writeCSV(w, r, "responses.csv", []string{"id", "survey_id", "customer_id", "account_id", "survey", "channel", "score", "comment", "unhappy", "source", "answered_at"}, rows, next)
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
	WriteJSON(w, http.StatusOK, withCursor(map[string]any{"responses": out}, next))
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

// apiKeyJSON is a key as the API shows it: never its hash.
type apiKeyJSON struct {
	ID        string         `json:"id"`
	Name      string         `json:"name"`
	Scopes    []access.Scope `json:"scopes"`
	CreatedAt time.Time      `json:"created_at"`
	RevokedAt *time.Time     `json:"revoked_at,omitempty"`
	// Key is the secret, shown once: in the answer to its creation.
	Key string `json:"key,omitempty"`
}

func toAPIKeyJSON(k access.Key) apiKeyJSON {
	return apiKeyJSON{ID: k.ID, Name: k.Name, Scopes: k.Scopes, CreatedAt: k.CreatedAt, RevokedAt: timePtr(k.RevokedAt)}
}

func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request) {
	var in app.APIKeyInput
	if err := DecodeJSON(w, r, &in); err != nil {
		WriteError(w, r, err)
		return
	}
	k, secret, err := s.app.CreateAPIKey(r.Context(), in)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	out := toAPIKeyJSON(k)
	out.Key = secret
	w.Header().Set("Cache-Control", "no-store")
	WriteJSON(w, http.StatusCreated, out)
}

func (s *Server) listAPIKeys(w http.ResponseWriter, r *http.Request) {
	p, err := pageParams(r)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	keys, next, err := s.app.APIKeys(r.Context(), p.after, p.limit)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	items := make([]apiKeyJSON, 0, len(keys))
	for _, k := range keys {
		items = append(items, toAPIKeyJSON(k))
	}
	WriteJSON(w, http.StatusOK, pageOf(items, next))
}

func (s *Server) revokeAPIKey(w http.ResponseWriter, r *http.Request) {
	k, err := s.app.RevokeAPIKey(r.Context(), r.PathValue("id"), apiActor(r.Context()))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, toAPIKeyJSON(k))
}
