package httpapi

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"net/http"
	"strconv"

	"github.com/cxloop/cxloop/shared/app"
	"github.com/cxloop/cxloop/shared/message"
	"github.com/cxloop/cxloop/shared/survey"
)

//go:embed templates
var templateFS embed.FS

var css, _ = templateFS.ReadFile("templates/cxloop.css")

func parsePage(name string) *template.Template {
	return template.Must(template.New(name).ParseFS(templateFS, "templates/layout.html", "templates/"+name))
}

var (
	surveyTmpl   = parsePage("survey.html")
	unsubTmpl    = parsePage("unsubscribe.html")
	notFoundTmpl = parsePage("notfound.html")
)

func serveCSS(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(css)
}

// PageCSP lets a page load only this site's stylesheet and post only to itself.
const PageCSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// PageHeaders keep pages self-contained and their link tokens private:
// nothing loads but what csp allows, no referrer carries the token away,
// no other site may frame the page.
func PageHeaders(w http.ResponseWriter, csp string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", csp)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
}

func (s *Server) renderPage(w http.ResponseWriter, r *http.Request, t *template.Template, code int, data map[string]any) {
	if _, ok := data["Org"]; !ok {
		data["Org"] = s.app.Config().Org
	}
	if _, ok := data["Lang"]; !ok {
		data["Lang"] = "en"
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, t.Name(), data); err != nil {
		logger(r.Context()).ErrorContext(r.Context(), "render page", "page", t.Name(), "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	PageHeaders(w, PageCSP)
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

// pageError shows an HTML error page: a bad link is a 404 that says nothing
// about why, anything else is logged.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	switch app.CodeOf(err) {
	case app.NotFound:
		s.renderPage(w, r, notFoundTmpl, http.StatusNotFound, map[string]any{"Title": "Not found"})
	default:
		logger(r.Context()).ErrorContext(r.Context(), "page error", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
}

type choiceView struct {
	Score   int
	Label   string
	Checked bool
}

func (s *Server) surveyData(v app.SurveyView, comment, problem string, saved bool) map[string]any {
	c := message.For(v.Survey.Locale)
	in := message.Invite{Kind: v.Survey.Kind, Org: s.app.Config().Org, OwnerName: v.Survey.OwnerName, Locale: v.Survey.Locale}
	var choices []choiceView
	if v.Survey.Kind == survey.Recovery {
		choices = []choiceView{{Score: 1, Label: c.Yes}, {Score: 0, Label: c.No}}
	} else {
		for _, n := range v.Survey.Kind.Scores() {
			choices = append(choices, choiceView{Score: n, Label: strconv.Itoa(n)})
		}
	}
	for i := range choices {
		choices[i].Checked = v.Chosen != nil && *v.Chosen == choices[i].Score
	}
	if comment == "" && v.Answer != nil {
		comment = v.Answer.Comment
	}
	data := map[string]any{
		"Lang": c.Lang, "Title": c.PageTitle, "C": c, "Question": in.Question(), "Open": v.Open,
		"Choices": choices, "Comment": comment, "Error": problem, "Saved": saved,
		"YesNo": v.Survey.Kind == survey.Recovery,
	}
	if v.Survey.Kind != survey.Recovery {
		sc := v.Survey.Kind.Scale()
		q := c.Questions[v.Survey.Kind]
		data["Low"], data["High"], data["First"], data["Last"] = q.Low, q.High, sc.Min, sc.Max
	}
	return data
}

func (s *Server) surveyPage(w http.ResponseWriter, r *http.Request) {
	var score *int
	if v := r.URL.Query().Get("score"); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			score = &n
		}
	}
	view, err := s.app.OpenSurvey(r.Context(), r.PathValue("token"), score)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.renderPage(w, r, surveyTmpl, http.StatusOK, s.surveyData(view, "", "", false))
}

func (s *Server) surveySubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	if err := r.ParseForm(); err != nil {
		s.renderPage(w, r, notFoundTmpl, http.StatusRequestEntityTooLarge, map[string]any{"Title": "Too large"})
		return
	}
	tok := r.PathValue("token")
	comment := r.PostForm.Get("comment")
	score, convErr := strconv.Atoi(r.PostForm.Get("score"))
	var err error
	if convErr == nil {
		_, err = s.app.SubmitSurvey(r.Context(), tok, score, comment)
	}
	view, viewErr := s.app.OpenSurvey(r.Context(), tok, nil)
	if viewErr != nil {
		s.pageError(w, r, viewErr)
		return
	}
	c := message.For(view.Survey.Locale)
	switch {
	case convErr != nil:
		s.renderPage(w, r, surveyTmpl, http.StatusBadRequest, s.surveyData(view, comment, c.NoScore, false))
	case errors.Is(err, app.ErrClosed):
		s.renderPage(w, r, surveyTmpl, http.StatusConflict, s.surveyData(view, comment, "", false))
	case app.CodeOf(err) == app.Invalid:
		s.renderPage(w, r, surveyTmpl, http.StatusBadRequest, s.surveyData(view, comment, c.NoScore, false))
	case err != nil:
		s.pageError(w, r, err)
	default:
		s.renderPage(w, r, surveyTmpl, http.StatusOK, s.surveyData(view, "", "", true))
	}
}

func (s *Server) unsubData(v app.UnsubscribeView) map[string]any {
	c := message.For(v.Survey.Locale)
	vars := map[string]string{"org": s.app.Config().Org}
	return map[string]any{
		"Lang": c.Lang, "Title": c.UnsubTitle, "C": c, "Done": v.Done,
		"Body": message.Fill(c.UnsubBody, vars), "DoneText": message.Fill(c.UnsubDone, vars),
	}
}

func (s *Server) unsubscribePage(w http.ResponseWriter, r *http.Request) {
	view, err := s.app.OpenUnsubscribe(r.Context(), r.PathValue("token"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.renderPage(w, r, unsubTmpl, http.StatusOK, s.unsubData(view))
}

// unsubscribe serves both the page's button and RFC 8058 one-click POSTs
// (body List-Unsubscribe=One-Click), which mail providers send without
// cookies or a user present.
func (s *Server) unsubscribe(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	_ = r.ParseForm()
	view, err := s.app.Unsubscribe(r.Context(), r.PathValue("token"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.renderPage(w, r, unsubTmpl, http.StatusOK, s.unsubData(view))
}
