package httpapi

import (
	_ "embed"
	"errors"
	"html"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/cxloop/cxloop/shared/app"
	"github.com/cxloop/cxloop/shared/message"
	"github.com/cxloop/cxloop/shared/survey"
)

// The pages are written with a strings.Builder rather than html/template:
// a template calls methods by name through reflect, which makes the linker
// keep every exported method of every reachable type, megabytes of
// otherwise dead code in the api binary. Markup is written as is and every
// value goes through html.EscapeString, in text and in attributes alike
// (always double-quoted), so a customer named <script> stays text. The one
// link built from data, mailto: or tel:, has its scheme written as markup
// and the address path-escaped after it, so no value can make it another
// kind of link.

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

// page is the HTML of a page being written.
type page struct{ strings.Builder }

// put writes markup with each %s in it replaced by the next value, escaped.
// Data goes only in values, so it is escaped wherever it lands.
func (p *page) put(markup string, values ...string) {
	for _, v := range values {
		before, after, ok := strings.Cut(markup, "%s")
		if !ok {
			panic("page: more values than %s in " + markup)
		}
		p.WriteString(before)
		p.WriteString(html.EscapeString(v))
		markup = after
	}
	p.WriteString(markup)
}

// startPage writes what every page opens with, up to <main>.
func (s *Server) startPage(lang, title string) *page {
	skip := "Skip to content"
	switch lang {
	case "es":
		skip = "Ir al contenido"
	case "de":
		skip = "Zum Inhalt"
	}
	p := &page{}
	p.put(`<!doctype html>
<html lang="%s">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex">
<title>%s</title>
<link rel="stylesheet" href="/assets/cxloop.css">
</head>
<body>
<a class="skip" href="#main">%s</a>
<header class="bar"><span class="org">%s</span></header>
<main id="main">
`, lang, title, skip, s.app.Config().Org)
	return p
}

// sendPage closes what startPage opened and sends the page.
func sendPage(w http.ResponseWriter, code int, p *page) {
	p.WriteString("</main>\n</body>\n</html>\n")
	PageHeaders(w, PageCSP)
	w.WriteHeader(code)
	_, _ = io.WriteString(w, p.String())
}

// notFound sends the page of a link that is not valid (or of a form too
// large to read), which says nothing about why.
func (s *Server) notFound(w http.ResponseWriter, code int, title string) {
	p := s.startPage("en", title)
	p.put(`<h1>This link is not valid</h1>
<p>It may have expired or been copied incompletely. If you were expecting a page here, please ask the sender for a new link.</p>
`)
	sendPage(w, code, p)
}

// pageError shows an HTML error page: a bad link is a 404 that says nothing
// about why, anything else is logged.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	switch app.CodeOf(err) {
	case app.NotFound:
		s.notFound(w, http.StatusNotFound, "Not found")
	default:
		logger(r.Context()).ErrorContext(r.Context(), "page error", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
}

// renderSurvey sends the survey page: the thanks after an answer, then
// the form, or a note that the survey has closed.
func (s *Server) renderSurvey(w http.ResponseWriter, code int, v app.SurveyView, comment, problem string, saved bool) {
	c := message.For(v.Survey.Locale)
	kind := v.Survey.Kind
	type choice struct {
		score int
		label string
	}
	var choices []choice
	if kind == survey.Recovery {
		choices = []choice{{1, c.Yes}, {0, c.No}}
	} else {
		for _, n := range kind.Scores() {
			choices = append(choices, choice{n, strconv.Itoa(n)})
		}
	}
	if comment == "" && v.Answer != nil {
		comment = v.Answer.Comment
	}

	p := s.startPage(c.Lang, c.PageTitle)
	if saved {
		p.put(`<section aria-labelledby="done">
<h1 id="done">%s</h1>
<p role="status">%s</p>
</section>
`, c.Thanks, c.ThanksBody)
	}
	if !v.Open {
		p.put("<h1>%s</h1>\n<p>%s</p>\n", c.Closed, c.ClosedBody)
		sendPage(w, code, p)
		return
	}
	p.put(`<form method="post" class="survey" novalidate>` + "\n")
	if problem != "" {
		p.put(`<fieldset aria-describedby="score-error">` + "\n")
	} else {
		p.put("<fieldset>\n")
	}
	in := message.Invite{Kind: kind, Org: s.app.Config().Org, OwnerName: v.Survey.OwnerName, Locale: v.Survey.Locale}
	p.put(`<legend><h1 class="q">%s</h1></legend>`+"\n", in.Question())
	if problem != "" {
		p.put(`<p id="score-error" class="error" role="alert">%s</p>`+"\n", problem)
	}
	if kind == survey.Recovery {
		p.put(`<div class="scale yesno">` + "\n")
	} else {
		p.put(`<div class="scale">` + "\n")
	}
	for _, ch := range choices {
		n := strconv.Itoa(ch.score)
		checked := ""
		if v.Chosen != nil && *v.Chosen == ch.score {
			checked = " checked"
		}
		p.put(`<span class="choice"><input type="radio" id="score-%s" name="score" value="%s"`+checked+` required>`+
			`<label for="score-%s"><span class="sr">%s: </span>%s</label></span>`+"\n", n, n, n, c.ScoreLegend, ch.label)
	}
	p.put("</div>\n")
	if q := c.Questions[kind]; kind != survey.Recovery && q.Low != "" {
		sc := kind.Scale()
		p.put(`<p class="ends"><span>%s = %s</span><span>%s = %s</span></p>`+"\n", strconv.Itoa(sc.Min), q.Low, strconv.Itoa(sc.Max), q.High)
	}
	p.put(`</fieldset>
<label for="comment" class="comment-label">%s</label>
<textarea id="comment" name="comment" rows="4" maxlength="2000">%s</textarea>
<button type="submit">%s</button>
</form>
`, c.Comment, comment, c.Send)
	sendPage(w, code, p)
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
	s.renderSurvey(w, http.StatusOK, view, "", "", false)
}

func (s *Server) surveySubmit(w http.ResponseWriter, r *http.Request) {
	if !readForm(w, r) {
		s.notFound(w, http.StatusRequestEntityTooLarge, "Too large")
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
		s.renderSurvey(w, http.StatusBadRequest, view, comment, c.NoScore, false)
	case errors.Is(err, app.ErrClosed):
		s.renderSurvey(w, http.StatusConflict, view, comment, "", false)
	case app.CodeOf(err) == app.Invalid:
		s.renderSurvey(w, http.StatusBadRequest, view, comment, c.NoScore, false)
	case err != nil:
		s.pageError(w, r, err)
	default:
		s.renderSurvey(w, http.StatusOK, view, "", "", true)
	}
}

// renderUnsubscribe sends the unsubscribe page: its button, or that it is done.
func (s *Server) renderUnsubscribe(w http.ResponseWriter, v app.UnsubscribeView) {
	c := message.For(v.Survey.Locale)
	vars := map[string]string{"org": s.app.Config().Org}
	p := s.startPage(c.Lang, c.UnsubTitle)
	p.put("<h1>%s</h1>\n", c.UnsubTitle)
	if v.Done {
		p.put(`<p role="status">%s</p>`+"\n", message.Fill(c.UnsubDone, vars))
	} else {
		p.put(`<p>%s</p>
<form method="post">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">%s</button>
</form>
`, message.Fill(c.UnsubBody, vars), c.UnsubButton)
	}
	sendPage(w, http.StatusOK, p)
}

func (s *Server) unsubscribePage(w http.ResponseWriter, r *http.Request) {
	view, err := s.app.OpenUnsubscribe(r.Context(), r.PathValue("token"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.renderUnsubscribe(w, view)
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
// cookies or a user present.
func (s *Server) unsubscribe(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	_ = r.ParseForm()
	view, err := s.app.Unsubscribe(r.Context(), r.PathValue("token"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.renderUnsubscribe(w, view)
}
