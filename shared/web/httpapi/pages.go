package httpapi

import (
	"bytes"
	_ "embed"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/a-h/templ"

	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/domain/message"
	"github.com/cxloop/cxloop/shared/domain/survey"
)

// The pages are templ components (the .templ files here; the _templ.go
// files are generated from them by `make templ` and committed). templ
// escapes each value for where it lands, sanitises the URLs it puts in
// links, and calls no method through reflect, which keeps the api binary
// small: html/template's reflective calls would make the linker keep every
// exported method of every reachable type. The stylesheet is the pages'
// only style: their CSP allows no inline style, so the components carry
// none.

//go:embed assets/cxloop.css
var css []byte

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

// skipText is the skip link's text in the page's language.
func skipText(lang string) string {
	switch lang {
	case "es":
		return "Ir al contenido"
	case "de":
		return "Zum Inhalt"
	}
	return "Skip to content"
}

// SendPage renders c and sends it with code and csp. The page is rendered
// whole before anything is sent, so a failure is a 500, never half a page.
func SendPage(w http.ResponseWriter, r *http.Request, code int, csp string, c templ.Component) {
	var b bytes.Buffer
	if err := c.Render(r.Context(), &b); err != nil {
		logger(r.Context()).ErrorContext(r.Context(), "render page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	PageHeaders(w, csp)
	w.WriteHeader(code)
	_, _ = w.Write(b.Bytes())
}

// sendPage sends body in the pages' layout.
func (s *Server) sendPage(w http.ResponseWriter, r *http.Request, code int, lang, title string, body templ.Component) {
	SendPage(w, r, code, PageCSP, layout(lang, title, s.app.Config().Org, body))
}

// notFound sends the page of a link that is not valid (or of a form too
// large to read), which says nothing about why.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request, code int, title string) {
	s.sendPage(w, r, code, "en", title, notFoundPage())
}

// pageError shows an HTML error page: a bad link is a 404 that says nothing
// about why, anything else is logged.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	switch app.CodeOf(err) {
	case app.NotFound:
		s.notFound(w, r, http.StatusNotFound, "Not found")
	case app.Forbidden:
		s.forbiddenPage(w, r, problemText(err))
	default:
		logger(r.Context()).ErrorContext(r.Context(), "page error", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
}

// surveyView is what the survey page shows.
type surveyView struct {
	C           message.Catalog
	Saved, Open bool
	Question    string
	Problem     string // why the answer was refused; empty if it was not
	YesNo       bool   // the recovery check's two choices, not a scale
	Choices     []scoreChoice
	Low, High   string // what the scale's ends mean ("0 = Not at all likely"); empty for yes/no
	Comment     string
}

type scoreChoice struct {
	Value, Label string
	Checked      bool
}

// renderSurvey sends the survey page: the thanks after an answer, then
// the form, or a note that the survey has closed.
func (s *Server) renderSurvey(w http.ResponseWriter, r *http.Request, code int, v app.SurveyView, comment, problem string, saved bool) {
	c := message.For(v.Survey.Locale)
	kind := v.Survey.Kind
	if comment == "" && v.Answer != nil {
		comment = v.Answer.Comment
	}
	in := message.Invite{Kind: kind, Org: s.app.Config().Org, OwnerName: v.Survey.OwnerName, Locale: v.Survey.Locale}
	view := surveyView{
		C: c, Saved: saved, Open: v.Open, Question: in.Question(), Problem: problem,
		YesNo: kind == survey.Recovery, Comment: comment,
	}
	choose := func(score int, label string) {
		view.Choices = append(view.Choices, scoreChoice{
			Value: strconv.Itoa(score), Label: label, Checked: v.Chosen != nil && *v.Chosen == score,
		})
	}
	if kind == survey.Recovery {
		choose(1, c.Yes)
		choose(0, c.No)
	} else {
		for _, n := range kind.Scores() {
			choose(n, strconv.Itoa(n))
		}
		if q := c.Questions[kind]; q.Low != "" {
			sc := kind.Scale()
			view.Low, view.High = strconv.Itoa(sc.Min)+" = "+q.Low, strconv.Itoa(sc.Max)+" = "+q.High
		}
	}
	s.sendPage(w, r, code, c.Lang, c.PageTitle, surveyPage(view))
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
	s.renderSurvey(w, r, http.StatusOK, view, "", "", false)
}

func (s *Server) surveySubmit(w http.ResponseWriter, r *http.Request) {
	if !readForm(w, r) {
		s.notFound(w, r, http.StatusRequestEntityTooLarge, "Too large")
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
		s.renderSurvey(w, r, http.StatusBadRequest, view, comment, c.NoScore, false)
	case errors.Is(err, app.ErrClosed):
		s.renderSurvey(w, r, http.StatusConflict, view, comment, "", false)
	case app.CodeOf(err) == app.Invalid:
		s.renderSurvey(w, r, http.StatusBadRequest, view, comment, c.NoScore, false)
	case err != nil:
		s.pageError(w, r, err)
	default:
		s.renderSurvey(w, r, http.StatusOK, view, "", "", true)
	}
}

// renderUnsubscribe sends the unsubscribe page: its button, or that it is done.
func (s *Server) renderUnsubscribe(w http.ResponseWriter, r *http.Request, v app.UnsubscribeView) {
	c := message.For(v.Survey.Locale)
	s.sendPage(w, r, http.StatusOK, c.Lang, c.UnsubTitle, unsubscribePage(c, s.app.Config().Org, v.Done))
}

func (s *Server) unsubscribePage(w http.ResponseWriter, r *http.Request) {
	view, err := s.app.OpenUnsubscribe(r.Context(), r.PathValue("token"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.renderUnsubscribe(w, r, view)
}

// readForm parses a page's form of at most MaxBody bytes, and reports
// false only for one that is larger. A body that is not valid URL encoding
// reads as an empty form: the handler then answers as to a form without
// its fields (a 400 naming what is missing), not as to one too large.
func readForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	err := r.ParseForm()
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return false
	}
	if err != nil {
		r.PostForm = url.Values{}
	}
	return true
}

// unsubscribe serves both the page's button and RFC 8058 one-click POSTs
// (body List-Unsubscribe=One-Click), which mail providers send without
// cookies or a user present, from their own servers: this route (like the
// survey and task pages' forms, opened from a signed link in whatever
// client shows the mail) takes posts from any origin.
func (s *Server) unsubscribe(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	_ = r.ParseForm()
	view, err := s.app.Unsubscribe(r.Context(), r.PathValue("token"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.renderUnsubscribe(w, r, view)
}
