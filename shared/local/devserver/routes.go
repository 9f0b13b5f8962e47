package devserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/core/store"
	"github.com/cxloop/cxloop/shared/local/outbox"
	"github.com/cxloop/cxloop/shared/web/httpapi"
)

// routes adds the local-only routes. They serve loopback in dev and are
// never part of the Lambda's handler.
func (s *Server) routes(srv *httpapi.Server) {
	srv.Handle("GET /{$}", http.HandlerFunc(s.home))
	srv.Handle("GET /dev/outbox", http.HandlerFunc(s.outboxList))
	srv.Handle("GET /dev/outbox/{id}", http.HandlerFunc(s.outboxMessage))
	srv.Handle("POST /dev/sms", http.HandlerFunc(s.inboundSMS))
	srv.Handle("GET /dev/clock", http.HandlerFunc(s.clockNow))
	srv.Handle("POST /dev/clock", http.HandlerFunc(s.clockAdvance))
	srv.Handle("GET /dev/idle", http.HandlerFunc(s.idle))
}

// maxIdleWait bounds how long GET /dev/idle holds a request, well within
// the server's 30 s write timeout; a client that needs longer asks again.
const maxIdleWait = 20 * time.Second

// idle tells whether background work is left, after waiting up to ?wait
// (a Go duration, default 0) for it to be done.
func (s *Server) idle(w http.ResponseWriter, r *http.Request) {
	var wait time.Duration
	if v := r.URL.Query().Get("wait"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > maxIdleWait {
			httpapi.WriteError(w, r, app.FieldError("wait", "must be a Go duration from 0 to 20s, like 5s"))
			return
		}
		wait = d
	}
	ctx, cancel := context.WithTimeout(r.Context(), wait)
	defer cancel()
	err := s.Settle(ctx)
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"idle": err == nil, "pending": s.pending()})
}

func wantsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

func (s *Server) outboxList(w http.ResponseWriter, r *http.Request) {
	list, err := s.Outbox.List(r.Context())
	if err != nil {
		httpapi.WriteError(w, r, fmt.Errorf("outbox list: %w", err))
		return
	}
	if to := strings.TrimSpace(r.URL.Query().Get("to")); to != "" {
		list = slices.DeleteFunc(list, func(m outbox.Message) bool { return !strings.EqualFold(m.To, to) })
	}
	if !wantsHTML(r) {
		httpapi.WriteJSON(w, http.StatusOK, list)
		return
	}
	rev := make([]outbox.Message, len(list))
	for i, m := range list {
		rev[len(list)-1-i] = m
	}
	httpapi.SendPage(w, r, http.StatusOK, httpapi.PageCSP,
		devLayout("Outbox – cxloop dev", true, outboxNav(), outboxPage(s.Clock.Now().Format(time.RFC1123), rev)))
}

// outboxMessage shows one message as its recipient would see it. An
// email's own HTML is shown as is: its inline styles are allowed, scripts
// and remote content are not.
func (s *Server) outboxMessage(w http.ResponseWriter, r *http.Request) {
	m, err := s.Outbox.Get(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if m.Channel == "email" && m.BodyHTML != "" {
		httpapi.PageHeaders(w, "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'")
		_, _ = w.Write([]byte(m.BodyHTML))
		return
	}
	httpapi.SendPage(w, r, http.StatusOK, httpapi.PageCSP, devLayout("Text to "+m.To+" – cxloop dev", false, textNav(), textPage(m, s.URL)))
}

func (s *Server) inboundSMS(w http.ResponseWriter, r *http.Request) {
	var in app.InboundSMS
	if err := httpapi.DecodeJSON(w, r, &in); err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	out, err := s.App.ReceiveSMS(r.Context(), in)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, out)
}

type clockView struct {
	Now    time.Time `json:"now"`
	Offset string    `json:"offset"`
}

func (s *Server) clockNow(w http.ResponseWriter, _ *http.Request) {
	httpapi.WriteJSON(w, http.StatusOK, clockView{Now: s.Clock.Now(), Offset: s.Clock.Offset().String()})
}

// maxAdvance bounds one move of the clock: a year is more than any loop needs.
const maxAdvance = 366 * 24 * time.Hour

func (s *Server) clockAdvance(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Advance string `json:"advance"`
	}
	if err := httpapi.DecodeJSON(w, r, &in); err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	d, err := time.ParseDuration(in.Advance)
	if err != nil || d <= 0 || d > maxAdvance {
		httpapi.WriteError(w, r, app.FieldError("advance", "must be a positive Go duration up to 8784h, like 49h or 10m"))
		return
	}
	if _, err := s.Advance(r.Context(), d); err != nil {
		httpapi.WriteError(w, r, fmt.Errorf("advance clock: %w", err))
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, clockView{Now: s.Clock.Now(), Offset: s.Clock.Offset().String()})
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	httpapi.SendPage(w, r, http.StatusOK, httpapi.PageCSP, devLayout("cxloop dev", false, homeNav(), homePage(s.Clock.Now().Format(time.RFC1123))))
}

// outboxTitle is what the outbox lists a message as: an email's subject,
// a text's body.
func outboxTitle(m outbox.Message) string {
	if m.Channel == "email" {
		return m.Subject
	}
	return m.BodyText
}
