// Package httpapi is cxloop's HTTP edge: it decodes and validates requests,
// calls the application core and encodes results, for the JSON API, the
// customer and owner pages and the leaders' dashboard. The same handler
// serves `cxloop dev` and the API Lambda function.
package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/domain/access"
	"github.com/cxloop/cxloop/shared/domain/loop"
)

// Config configures the edge.
type Config struct {
	// APIKey authorises /v1/*. It is compared in constant time.
	APIKey string
	Logger *slog.Logger
	// PageRatePerMinute limits requests per client address to the link
	// pages and the dashboard sign-in; 0 means no limit (local use).
	PageRatePerMinute int
}

// Server routes requests to the core.
type Server struct {
	app     *app.App
	cfg     Config
	log     *slog.Logger
	mux     *http.ServeMux
	limiter *pageLimiter
}

// New returns the edge for a.
func New(a *app.App, cfg Config) *Server {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	s := &Server{app: a, cfg: cfg, log: log, mux: http.NewServeMux()}
	if cfg.PageRatePerMinute > 0 {
		s.limiter = newPageLimiter(cfg.PageRatePerMinute, time.Now)
	}
	s.routes()
	return s
}

// Handle adds a route, for local-only additions such as /dev/*. Its ids
// in the path are checked as every route's are (see checkIDs).
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, checkIDs(h)) }

func (s *Server) routes() {
	// Each /v1 route names the API key scope it needs (admin keys may use
	// every route).
	api := func(scope access.Scope, h http.HandlerFunc) http.Handler { return s.requireScope(scope, checkIDs(h)) }
	s.mux.Handle("PUT /v1/people/{id}", api(access.Admin, s.putPerson))
	s.mux.Handle("PUT /v1/accounts/{id}", api(access.Admin, s.putAccount))
	s.mux.Handle("GET /v1/people", api(access.Admin, s.listPeople))
	s.mux.Handle("GET /v1/accounts", api(access.Admin, s.listAccounts))
	s.mux.Handle("POST /v1/people/import", api(access.Admin, s.importPeople))
	s.mux.Handle("POST /v1/accounts/import", api(access.Admin, s.importAccounts))
	s.mux.Handle("GET /v1/customers", api(access.Read, s.findCustomers))
	s.mux.Handle("POST /v1/interactions", api(access.Ingest, s.postInteraction))
	s.mux.Handle("GET /v1/responses", api(access.Read, s.listResponses))
	s.mux.Handle("GET /v1/tasks", api(access.Read, s.listTasks))
	s.mux.Handle("GET /v1/tasks/{id}", api(access.Read, s.getTask))
	s.mux.Handle("POST /v1/tasks/{id}/complete", api(access.Tasks, s.completeTask))
	s.mux.Handle("POST /v1/tasks/{id}/reassign", api(access.Tasks, s.reassignTask))
	s.mux.Handle("POST /v1/tasks/{id}/acknowledge", api(access.Tasks, s.acknowledgeTask))
	s.mux.Handle("POST /v1/tasks/{id}/link", api(access.Tasks, s.resendTaskLink))
	s.mux.Handle("GET /v1/customers/{id}/timeline", api(access.Read, s.timeline))
	s.mux.Handle("DELETE /v1/customers/{id}", api(access.Admin, s.eraseCustomer))
	s.mux.Handle("POST /v1/api-keys", api(access.Admin, s.createAPIKey))
	s.mux.Handle("GET /v1/api-keys", api(access.Admin, s.listAPIKeys))
	s.mux.Handle("DELETE /v1/api-keys/{id}", api(access.Admin, s.revokeAPIKey))
	s.mux.Handle("/v1/", api(anyScope, func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, r, app.Errorf(app.NotFound, "no such route: %s %s", r.Method, r.URL.Path))
	}))
	s.mux.HandleFunc("GET /s/{token}", s.limitPages(s.surveyPage))
	s.mux.HandleFunc("POST /s/{token}", s.limitPages(s.surveySubmit))
	s.mux.HandleFunc("GET /u/{token}", s.limitPages(s.unsubscribePage))
	s.mux.HandleFunc("POST /u/{token}", s.limitPages(s.unsubscribe))
	s.mux.HandleFunc("GET /t/{token}", s.limitPages(s.taskPage))
	s.mux.HandleFunc("POST /t/{token}", s.limitPages(s.taskAction))
	s.mux.HandleFunc("GET /assets/cxloop.css", serveCSS)
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.reportRoutes()
	s.peopleRoutes()
}

type ctxKey int

const (
	loggerKey ctxKey = iota
	keyKey           // the request's API key
)

// logger returns the request's logger, carrying its request id.
func logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

// ServeHTTP adds a request id and access log, and turns a panic into a
// 500 without detail.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rid := r.Header.Get("X-Request-Id")
	if rid == "" || len(rid) > 64 {
		rid = newRequestID()
	}
	log := s.log.With("request_id", rid)
	r = r.WithContext(context.WithValue(r.Context(), loggerKey, log))
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	rec.Header().Set("X-Request-Id", rid)
	defer func() {
		if p := recover(); p != nil {
			log.ErrorContext(r.Context(), "panic in handler", "panic", p, "stack", string(debug.Stack()))
			WriteError(rec, r, app.Errorf(app.Internal, "internal error"))
		}
		log.InfoContext(r.Context(), "http request", "method", r.Method, "route", routeOf(r.URL.Path),
			"status", rec.status, "duration_ms", float64(time.Since(start).Microseconds())/1000)
	}()
	s.mux.ServeHTTP(rec, r)
}

// routeOf hides link tokens from logs: /s/<token> becomes /s/{token}.
func routeOf(path string) string {
	for _, p := range []string{"/s/", "/u/", "/t/"} {
		if strings.HasPrefix(path, p) {
			return p + "{token}"
		}
	}
	return path
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// anyScope lets any valid key through (the unknown-route answer).
const anyScope access.Scope = ""

// requireScope lets through requests bearing a valid API key that holds
// scope (or admin): 401 without one, 403 forbidden when the key may not.
func (s *Server) requireScope(scope access.Scope, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret, ok := bearer(r.Header.Get("Authorization"))
		var key access.Key
		var err error = app.ErrUnauthorized
		if ok {
			key, err = s.app.Authenticate(r.Context(), secret)
		}
		if app.CodeOf(err) == app.Unauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="cxloop"`)
		}
		if err != nil {
			WriteError(w, r, err)
			return
		}
		if scope != anyScope && !key.Allows(scope) {
			WriteError(w, r, app.Errorf(app.Forbidden, "this API key may not do that: it needs the %s scope", scope))
			return
		}
		ctx := context.WithValue(r.Context(), keyKey, key)
		ctx = context.WithValue(ctx, loggerKey, logger(ctx).With("key_id", key.ID))
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

// apiActor is who acts through the API: the key of the request.
func apiActor(ctx context.Context) loop.Actor {
	k, _ := ctx.Value(keyKey).(access.Key)
	return loop.Actor{KeyID: k.ID, Name: "API key " + k.Name, Via: loop.ViaAPI}
}

// bearer reads the credentials of an Authorization header with the Bearer
// scheme. The scheme's name is case-insensitive (RFC 9110 §11.1, so
// "bearer" and "BEARER" are Bearer) and may be followed by more than one
// space; the credentials are returned as sent.
func bearer(header string) (string, bool) {
	scheme, cred, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimLeft(cred, " "), true
}

// checkIDs refuses, with a 400 naming the parameter, a request whose path
// carries an invalid id in a wildcard of its route named "id" or "…_id":
// one rule (app.ValidID) for every route, before any handler or the store
// sees the value. It relies on r.Pattern, which the ServeMux sets.
func checkIDs(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, name := range idWildcards(r.Pattern) {
			if err := app.CheckID(name, r.PathValue(name)); err != nil {
				WriteError(w, r, err)
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// pageIDs is checkIDs for pages: a page asked for by an id that cannot be
// one is simply not there.
func (s *Server) pageIDs(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, name := range idWildcards(r.Pattern) {
			if app.CheckID(name, r.PathValue(name)) != nil {
				s.notFound(w, r, http.StatusNotFound, "Not found")
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// idWildcards lists the wildcards of a ServeMux pattern that hold ids.
func idWildcards(pattern string) []string {
	var names []string
	for rest := pattern; ; {
		_, after, ok := strings.Cut(rest, "{")
		if !ok {
			return names
		}
		name, tail, _ := strings.Cut(after, "}")
		name = strings.TrimSuffix(name, "...")
		if name == "id" || strings.HasSuffix(name, "_id") {
			names = append(names, name)
		}
		rest = tail
	}
}
