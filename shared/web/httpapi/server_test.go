package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/core/store"
	"github.com/cxloop/cxloop/shared/domain/token"
	"github.com/cxloop/cxloop/shared/local/embedded"
	"github.com/cxloop/cxloop/shared/local/outbox"
	"github.com/cxloop/cxloop/shared/platform/validation"
	"github.com/cxloop/cxloop/shared/web/httpapi"
)

const key = "test-api-key"

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

type noFlow struct{}

func (noFlow) Start(context.Context, string, []byte) error                   { return nil }
func (noFlow) SendTaskSuccess(context.Context, string, []byte) error         { return app.ErrTaskGone }
func (noFlow) SendTaskFailure(context.Context, string, string, string) error { return app.ErrTaskGone }
func (noFlow) SendTaskHeartbeat(context.Context, string) error               { return app.ErrTaskGone }

type noQueue struct{}

func (noQueue) EnqueueSend(context.Context, string) error { return nil }

type fixture struct {
	srv   *httpapi.Server
	table *embedded.Table
}

// newServer returns the edge over a real core with an embedded store.
func newServer(t *testing.T, apiKey string) fixture {
	t.Helper()
	tbl, err := embedded.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tbl.Close() })
	signer, err := token.NewSigner(bytes.Repeat([]byte{1}, token.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	clk := fixedClock{time.Date(2026, 5, 12, 9, 0, 0, 0, time.UTC)}
	box := outbox.New(tbl, clk)
	log := slog.New(slog.DiscardHandler)
	cfg := app.DefaultConfig()
	cfg.InitialAPIKey = apiKey
	a, err := app.New(cfg, app.Deps{
		Store: store.New(tbl), Mailer: box, Texter: box, Workflow: noFlow{}, Queue: noQueue{},
		Clock: clk, Signer: signer, Logger: log, Validator: validation.New(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return fixture{srv: httpapi.New(a, httpapi.Config{APIKey: apiKey, Logger: log}), table: tbl}
}

func serve(t *testing.T, h http.Handler, method, path, auth string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

type errorBody struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields"`
	} `json:"error"`
}

func wantError(t *testing.T, w *httptest.ResponseRecorder, status int, code, field string) errorBody {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d: %s", w.Code, status, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	var e errorBody
	dec := json.NewDecoder(bytes.NewReader(w.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("body %s is not the error shape: %v", w.Body, err)
	}
	if e.Error.Code != code || e.Error.Message == "" {
		t.Errorf("error %+v, want code %q with a message", e.Error, code)
	}
	if field != "" {
		if _, ok := e.Error.Fields[field]; !ok {
			t.Errorf("fields %v do not name %q", e.Error.Fields, field)
		}
	}
	return e
}

func TestAPIErrors(t *testing.T) {
	t.Parallel()
	f := newServer(t, key)
	bearer := "Bearer " + key
	big := []byte(`{"name":"` + strings.Repeat("x", httpapi.MaxBody) + `","email":"a@example.com"}`)
	tests := []struct {
		name, method, path, auth string
		body                     []byte
		status                   int
		code, field              string
	}{
		{"no key", "PUT", "/v1/people/p1", "", []byte(`{}`), 401, "unauthorized", ""},
		{"wrong key", "PUT", "/v1/people/p1", "Bearer nope", []byte(`{}`), 401, "unauthorized", ""},
		{"key without Bearer", "PUT", "/v1/people/p1", key, []byte(`{}`), 401, "unauthorized", ""},
		{"key with a trailing space", "GET", "/v1/responses", bearer + " ", nil, 401, "unauthorized", ""},
		{"key in another case", "GET", "/v1/responses", "Bearer " + strings.ToUpper(key), nil, 401, "unauthorized", ""},
		{"another scheme", "GET", "/v1/responses", "Basic " + key, nil, 401, "unauthorized", ""},
		{"scheme run into the key", "GET", "/v1/responses", "Bearer" + key, nil, 401, "unauthorized", ""},
		{"unknown route under /v1", "GET", "/v1/widgets", bearer, nil, 404, "not_found", ""},
		{"unknown route needs the key first", "GET", "/v1/widgets", "", nil, 401, "unauthorized", ""},
		{"wrong method under /v1", "DELETE", "/v1/interactions", bearer, nil, 404, "not_found", ""},
		{"malformed JSON", "PUT", "/v1/people/p1", bearer, []byte(`{"name":`), 400, "invalid", ""},
		{"empty body", "PUT", "/v1/people/p1", bearer, nil, 400, "invalid", ""},
		{"array body", "PUT", "/v1/people/p1", bearer, []byte(`[]`), 400, "invalid", ""},
		{"unknown field", "PUT", "/v1/people/p1", bearer, []byte(`{"name":"P","email":"p@example.com","nick":"x"}`), 400, "invalid", "nick"},
		{"wrong type", "PUT", "/v1/people/p1", bearer, []byte(`{"name":3,"email":"p@example.com"}`), 400, "invalid", "name"},
		{"trailing object", "PUT", "/v1/people/p1", bearer, []byte(`{"name":"P","email":"p@example.com"}{}`), 400, "invalid", ""},
		{"validation", "PUT", "/v1/people/p1", bearer, []byte(`{"name":"P","email":"nope"}`), 400, "invalid", "email"},
		{"bad path id", "PUT", "/v1/people/a%20b", bearer, []byte(`{"name":"P","email":"p@example.com"}`), 400, "invalid", "id"},
		{"body over 64 KiB", "PUT", "/v1/people/p1", bearer, big, 413, "too_large", ""},
		{"bad from", "GET", "/v1/responses?from=last-week", bearer, nil, 400, "invalid", "from"},
		{"bad to", "GET", "/v1/responses?to=2026-13-01", bearer, nil, 400, "invalid", "to"},
		{"from after to", "GET", "/v1/responses?from=2026-05-02&to=2026-05-01", bearer, nil, 400, "invalid", "from"},
		{"bad unhappy", "GET", "/v1/responses?unhappy=maybe", bearer, nil, 400, "invalid", "unhappy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := serve(t, f.srv, tt.method, tt.path, tt.auth, tt.body)
			wantError(t, w, tt.status, tt.code, tt.field)
			if tt.status == 401 && w.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}

// The Authorization scheme's name is case-insensitive (RFC 9110 §11.1);
// the key itself is compared exactly.
func TestAPIBearerSchemeAnyCase(t *testing.T) {
	t.Parallel()
	f := newServer(t, key)
	for _, auth := range []string{"Bearer " + key, "bearer " + key, "BEARER " + key, "bEaReR " + key, "Bearer   " + key} {
		if w := serve(t, f.srv, "GET", "/v1/responses", auth, nil); w.Code != http.StatusOK {
			t.Errorf("Authorization %q: %d %s, want 200", auth, w.Code, w.Body)
		}
	}
}

// Every id the API takes, in the path, the query or the body, follows one
// rule (app.ValidID): one too long for the store's keys (2,048 bytes and
// more used to be a 500), or "." or ".." (which no URL can reach), is a
// 400 naming the field, and nothing is stored.
func TestAPIRefusesBadIDs(t *testing.T) {
	t.Parallel()
	f := newServer(t, key)
	bearer := "Bearer " + key
	if w := serve(t, f.srv, "PUT", "/v1/people/maria", bearer, []byte(`{"name":"Maria","email":"maria@example.com"}`)); w.Code != http.StatusCreated {
		t.Fatalf("PUT maria: %d %s", w.Code, w.Body)
	}
	long := strings.Repeat("a", 2048)
	person := []byte(`{"name":"P","email":"p@example.com"}`)
	complete := []byte(`{"outcome":"resolved","root_cause":"other"}`)
	reassign := func(owner string) []byte { return []byte(`{"owner_id":"` + owner + `","reason":"holiday"}`) }
	interaction := func(field, id string) []byte {
		in := map[string]any{
			"id": "int-1", "occurred_at": "2026-05-12T08:00:00Z", "type": "support_ticket", "channel": "email", "survey": "nps",
			"account_id": "acme", "owner_id": "maria",
			"customer": map[string]any{"id": "cust-1", "name": "Ana", "email": "ana@example.com"},
		}
		if c, ok := strings.CutPrefix(field, "customer."); ok {
			in["customer"].(map[string]any)[c] = id
		} else {
			in[field] = id
		}
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	type call struct {
		method, path string
		body         []byte
		field        string
	}
	var calls []call
	for _, id := range []string{long, strings.Repeat("b", 129), "%2E", "%2E%2E", ".%2E"} {
		calls = append(calls,
			call{"PUT", "/v1/people/" + id, person, "id"},
			call{"PUT", "/v1/accounts/" + id, []byte(`{"name":"A","owner_id":"maria"}`), "id"},
			call{"GET", "/v1/tasks/" + id, nil, "id"},
			call{"POST", "/v1/tasks/" + id + "/complete", complete, "id"},
			call{"POST", "/v1/tasks/" + id + "/reassign", reassign("maria"), "id"},
			call{"POST", "/v1/tasks/" + id + "/acknowledge", nil, "id"},
			call{"POST", "/v1/tasks/" + id + "/link", nil, "id"},
			call{"GET", "/v1/customers/" + id + "/timeline", nil, "id"},
			call{"DELETE", "/v1/customers/" + id, nil, "id"},
			call{"GET", "/v1/tasks?owner_id=" + id, nil, "owner_id"},
		)
	}
	for _, id := range []string{long, ".", ".."} {
		calls = append(calls,
			call{"PUT", "/v1/people/p1", []byte(`{"name":"P","email":"p@example.com","manager_id":"` + id + `"}`), "manager_id"},
			call{"PUT", "/v1/accounts/acme", []byte(`{"name":"A","owner_id":"` + id + `"}`), "owner_id"},
			call{"POST", "/v1/tasks/tk_1/reassign", reassign(id), "owner_id"},
		)
		for _, field := range []string{"id", "account_id", "owner_id", "customer.id"} {
			calls = append(calls, call{"POST", "/v1/interactions", interaction(field, id), field})
		}
	}
	t.Run("refused", func(t *testing.T) {
		for _, c := range calls {
			t.Run(c.method+" "+c.path[:min(len(c.path), 40)]+" "+c.field, func(t *testing.T) {
				t.Parallel()
				wantError(t, serve(t, f.srv, c.method, c.path, bearer, c.body), http.StatusBadRequest, "invalid", c.field)
			})
		}
	})
	st := store.New(f.table)
	for _, id := range []string{"p1", ".", ".."} {
		if _, err := st.People.Get(t.Context(), id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("person %q: %v, want not stored", id, err)
		}
	}
	for _, id := range []string{"acme", ".", ".."} {
		if _, err := st.Accounts.Get(t.Context(), id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("account %q: %v, want not stored", id, err)
		}
	}
	if _, err := st.Interactions.Get(t.Context(), "int-1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("interaction int-1: %v, want not stored", err)
	}
}

// With no API key configured, nothing under /v1 is open, not even to an
// empty bearer token.
func TestAPIKeyUnsetRefusesAll(t *testing.T) {
	t.Parallel()
	f := newServer(t, "")
	for _, auth := range []string{"", "Bearer ", "Bearer x"} {
		wantError(t, serve(t, f.srv, "GET", "/v1/responses", auth, nil), 401, "unauthorized", "")
	}
}

func TestAPIHappyPaths(t *testing.T) {
	t.Parallel()
	f := newServer(t, key)
	bearer := "Bearer " + key
	w := serve(t, f.srv, "PUT", "/v1/people/p1", bearer, []byte(`{"name":"Pat","email":"pat@example.com"}`))
	if w.Code != http.StatusCreated {
		t.Fatalf("create person: %d %s", w.Code, w.Body)
	}
	if w = serve(t, f.srv, "PUT", "/v1/people/p1", bearer, []byte(`{"name":"Pat Lee","email":"pat@example.com"}`)); w.Code != http.StatusOK {
		t.Fatalf("replace person: %d %s", w.Code, w.Body)
	}
	if w = serve(t, f.srv, "GET", "/v1/responses?unhappy=true", bearer, nil); w.Code != http.StatusOK || strings.TrimSpace(w.Body.String()) != `{"responses":[]}` {
		t.Fatalf("empty responses: %d %s, want {\"responses\":[]}", w.Code, w.Body)
	}
	if w = serve(t, f.srv, "GET", "/healthz", "", nil); w.Code != http.StatusOK {
		t.Fatalf("healthz: %d", w.Code)
	}
	if w = serve(t, f.srv, "GET", "/assets/cxloop.css", "", nil); w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/css") || w.Body.Len() == 0 {
		t.Fatalf("css: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
}

// A panic in a handler is a 500 "internal error" with no detail, and the
// server keeps serving.
func TestPanicIsInternalError(t *testing.T) {
	t.Parallel()
	f := newServer(t, key)
	f.srv.Handle("GET /boom", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("secret detail: db password hunter2")
	}))
	w := serve(t, f.srv, "GET", "/boom", "", nil)
	e := wantError(t, w, http.StatusInternalServerError, "internal", "")
	if e.Error.Message != "internal error" || strings.Contains(w.Body.String(), "hunter2") || strings.Contains(w.Body.String(), "goroutine") {
		t.Errorf("panic body leaks detail: %s", w.Body)
	}
	if w.Header().Get("X-Request-Id") == "" {
		t.Error("no X-Request-Id on the 500")
	}
	if w = serve(t, f.srv, "GET", "/healthz", "", nil); w.Code != http.StatusOK {
		t.Errorf("after a panic: healthz %d", w.Code)
	}
}

// An error without a code (here: the store is gone) is a 500 that shows
// only "internal error".
func TestUnexpectedErrorHidesDetail(t *testing.T) {
	t.Parallel()
	f := newServer(t, key)
	if err := f.table.Close(); err != nil {
		t.Fatal(err)
	}
	w := serve(t, f.srv, "GET", "/v1/responses", "Bearer "+key, nil)
	e := wantError(t, w, http.StatusInternalServerError, "internal", "")
	if e.Error.Message != "internal error" || len(e.Error.Fields) != 0 {
		t.Errorf("internal error body: %s", w.Body)
	}
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	f := newServer(t, key)
	req := httptest.NewRequest("GET", "/healthz", nil)
	req.Header.Set("X-Request-Id", "abc-123")
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, req)
	if got := w.Header().Get("X-Request-Id"); got != "abc-123" {
		t.Errorf("X-Request-Id = %q, want the caller's", got)
	}
	req = httptest.NewRequest("GET", "/healthz", nil)
	req.Header.Set("X-Request-Id", strings.Repeat("x", 65))
	w = httptest.NewRecorder()
	f.srv.ServeHTTP(w, req)
	if got := w.Header().Get("X-Request-Id"); got == "" || len(got) > 64 {
		t.Errorf("oversized request id kept: %q", got)
	}
}

// Link pages for bad tokens are 404 HTML pages with the privacy headers.
func TestBadLinkPages(t *testing.T) {
	t.Parallel()
	f := newServer(t, key)
	for _, c := range []struct{ method, path string }{
		{"GET", "/s/bogus"}, {"GET", "/s/bogus?score=3"}, {"POST", "/s/bogus"}, {"GET", "/u/bogus"}, {"POST", "/u/bogus"},
	} {
		req := httptest.NewRequest(c.method, c.path, strings.NewReader("score=3"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		f.srv.ServeHTTP(w, req)
		if w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), "This link is not valid") {
			t.Errorf("%s %s: %d %s", c.method, c.path, w.Code, w.Body)
		}
		h := w.Header()
		if h.Get("Referrer-Policy") != "no-referrer" || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
			h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s %s: headers %v", c.method, c.path, h)
		}
	}
}
