package devserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/local/devserver"
	"github.com/cxloop/cxloop/shared/local/outbox"
)

const apiKey = "cxl_test_0123456789abcdef"

// dev is one running `cxloop dev`, driven only through HTTP.
type dev struct {
	t      *testing.T
	srv    *devserver.Server
	URL    string
	Dir    string
	client *http.Client
	once   sync.Once
}

// startDev starts cxloop dev on a free loopback port over a fresh data dir.
// The ticker runs once an hour of real time, so only the test moves time
// (POST /dev/clock).
func startDev(t *testing.T) *dev {
	t.Helper()
	return startDevAt(t, t.TempDir(), "127.0.0.1:0")
}

func startDevAt(t *testing.T, dir, addr string, opts ...func(*devserver.Options)) *dev {
	t.Helper()
	d, err := tryStartDevAt(t, dir, addr, opts...)
	if err != nil {
		t.Fatalf("devserver.Start(%s): %v", addr, err)
	}
	return d
}

func tryStartDevAt(t *testing.T, dir, addr string, opts ...func(*devserver.Options)) (*dev, error) {
	t.Helper()
	o := devserver.Options{
		Addr:    addr,
		DataDir: dir,
		APIKey:  apiKey,
		Config:  app.DefaultConfig(),
		Logger:  slog.New(slog.DiscardHandler),
		Tick:    time.Hour,
		// `make unit` runs this package a second time with the work done in
		// the background, as `cxloop dev` does by default.
		Background: os.Getenv("CXLOOP_TEST_BACKGROUND") == "1",
	}
	for _, opt := range opts {
		opt(&o)
	}
	srv, err := devserver.Start(context.Background(), o)
	if err != nil {
		return nil, err
	}
	d := &dev{t: t, srv: srv, URL: srv.URL, Dir: dir, client: &http.Client{
		Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
	t.Cleanup(d.Close)
	return d, nil
}

// Close stops the server; calling it again does nothing.
func (d *dev) Close() {
	d.once.Do(func() {
		d.client.CloseIdleConnections()
		if err := d.srv.Close(); err != nil {
			d.t.Errorf("close dev server: %v", err)
		}
	})
}

// reply is a finished HTTP exchange.
type reply struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r reply) String() string { return fmt.Sprintf("%d %s", r.Status, r.Body) }

// Text is the body as a string.
func (r reply) Text() string { return string(r.Body) }

func (d *dev) do(req *http.Request) reply {
	d.t.Helper()
	resp, err := d.client.Do(req)
	if err != nil {
		d.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		d.t.Fatalf("%s %s: read body: %v", req.Method, req.URL.Path, err)
	}
	return reply{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// abs makes a path absolute on this server; absolute URLs stay.
func (d *dev) abs(path string) string {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		return path
	}
	return d.URL + path
}

// raw sends body as is, with the API key unless key is "-".
func (d *dev) raw(method, path, contentType, key string, body []byte) reply {
	d.t.Helper()
	req, err := http.NewRequest(method, d.abs(path), bytes.NewReader(body))
	if err != nil {
		d.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if key != "-" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	return d.do(req)
}

// api sends v as JSON with the API key.
func (d *dev) api(method, path string, v any) reply {
	d.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		d.t.Fatal(err)
	}
	return d.raw(method, path, "application/json", apiKey, b)
}

func (d *dev) get(path string) reply {
	d.t.Helper()
	req, err := http.NewRequest(http.MethodGet, d.abs(path), nil)
	if err != nil {
		d.t.Fatal(err)
	}
	return d.do(req)
}

func (d *dev) postForm(path string, form url.Values) reply {
	d.t.Helper()
	return d.raw(http.MethodPost, path, "application/x-www-form-urlencoded", "-", []byte(form.Encode()))
}

// want fails the test unless r has the status.
func want(t *testing.T, r reply, status int, what string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: got %s, want %d", what, r, status)
	}
}

func decodeJSON[T any](t *testing.T, r reply) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("decode %s: %v", r, err)
	}
	return v
}

// advance moves the virtual clock through the dev endpoint.
func (d *dev) advance(by string) {
	d.t.Helper()
	want(d.t, d.raw(http.MethodPost, "/dev/clock", "application/json", "-", []byte(`{"advance":"`+by+`"}`)), http.StatusOK, "advance "+by)
}

// now is the virtual time.
func (d *dev) now() time.Time {
	d.t.Helper()
	r := d.get("/dev/clock")
	want(d.t, r, http.StatusOK, "GET /dev/clock")
	return decodeJSON[struct {
		Now time.Time `json:"now"`
	}](d.t, r).Now
}

// outbox lists the sent messages once the background work is done.
func (d *dev) outbox() []outbox.Message {
	d.t.Helper()
	if !d.idle() {
		d.t.Fatal("background work not done after 10s")
	}
	r := d.get("/dev/outbox")
	want(d.t, r, http.StatusOK, "GET /dev/outbox")
	return decodeJSON[[]outbox.Message](d.t, r)
}

// sentTo lists the outbox messages to an address.
func (d *dev) sentTo(to string) []outbox.Message {
	d.t.Helper()
	var out []outbox.Message
	for _, m := range d.outbox() {
		if m.To == to {
			out = append(out, m)
		}
	}
	return out
}

type response struct {
	ID         string    `json:"id"`
	SurveyID   string    `json:"survey_id"`
	CustomerID string    `json:"customer_id"`
	Survey     string    `json:"survey"`
	Score      int       `json:"score"`
	Comment    string    `json:"comment"`
	Unhappy    bool      `json:"unhappy"`
	Source     string    `json:"source"`
	AnsweredAt time.Time `json:"answered_at"`
}

// responses lists every answer of the last 400 virtual days.
func (d *dev) responses() []response {
	d.t.Helper()
	now := d.now()
	q := url.Values{"from": {now.Add(-400 * 24 * time.Hour).Format(time.RFC3339)}, "to": {now.Add(time.Hour).Format(time.RFC3339)}}
	r := d.raw(http.MethodGet, "/v1/responses?"+q.Encode(), "", apiKey, nil)
	want(d.t, r, http.StatusOK, "GET /v1/responses")
	return decodeJSON[struct {
		Responses []response `json:"responses"`
	}](d.t, r).Responses
}

// seed creates the owner (with a manager) and the account through the API.
func (d *dev) seed() {
	d.t.Helper()
	want(d.t, d.api(http.MethodPut, "/v1/people/dana", map[string]any{"name": "Dana Whitfield", "email": "dana@example.com", "team": "Customer Success"}), http.StatusCreated, "PUT dana")
	want(d.t, d.api(http.MethodPut, "/v1/people/maria", map[string]any{"name": "María García", "email": "maria@example.com", "manager_id": "dana", "team": "Customer Success"}), http.StatusCreated, "PUT maria")
	want(d.t, d.api(http.MethodPut, "/v1/accounts/acme", map[string]any{"name": "Acme Logistics", "owner_id": "maria"}), http.StatusCreated, "PUT acme")
}

const (
	customerEmail = "ana@acme.example"
	ownerEmail    = "maria@example.com"
	managerEmail  = "dana@example.com"
)

// emailInteraction is a valid NPS-by-email interaction body.
func emailInteraction(id string) map[string]any {
	return map[string]any{
		"id": id, "occurred_at": "2026-05-12T09:00:00Z", "type": "support_ticket",
		"channel": "email", "survey": "nps", "account_id": "acme",
		"customer": map[string]any{
			"id": "cust-ana", "name": "Ana Lopez", "email": customerEmail,
			"locale": "en-GB", "timezone": "Europe/London",
		},
	}
}

func (d *dev) ingest(body map[string]any) reply {
	d.t.Helper()
	return d.api(http.MethodPost, "/v1/interactions", body)
}

// surveyEmail sends one email interaction and returns the survey email.
func (d *dev) surveyEmail(id string) outbox.Message {
	d.t.Helper()
	before := len(d.sentTo(customerEmail))
	want(d.t, d.ingest(emailInteraction(id)), http.StatusAccepted, "POST /v1/interactions "+id)
	got := d.sentTo(customerEmail)
	if len(got) != before+1 {
		d.t.Fatalf("after interaction %s: %d emails to the customer, want %d", id, len(got), before+1)
	}
	m := got[len(got)-1]
	if len(m.Links) != 12 {
		d.t.Fatalf("survey email has %d links, want 11 scores + unsubscribe: %v", len(m.Links), m.Links)
	}
	return m
}

// scoreLink is the survey email's link for score n (NPS: index n).
func scoreLink(m outbox.Message, n int) string { return m.Links[n] }

// unsubLink is the survey email's unsubscribe link.
func unsubLink(m outbox.Message) string { return m.Links[len(m.Links)-1] }

// pagePath strips the query: the survey page's own URL, where its form posts.
func pagePath(link string) string {
	p, _, _ := strings.Cut(link, "?")
	return p
}

func answer(score int, comment string) url.Values {
	return url.Values{"score": {fmt.Sprint(score)}, "comment": {comment}}
}

// apiError is the JSON error shape of the contract.
type apiError struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields"`
	} `json:"error"`
}

func wantAPIError(t *testing.T, r reply, status int, code, field string) apiError {
	t.Helper()
	if r.Status != status {
		t.Fatalf("got %s, want %d", r, status)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want JSON", ct)
	}
	var e apiError
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("error body %s is not the contract's shape: %v", r.Body, err)
	}
	if e.Error.Code != code || e.Error.Message == "" {
		t.Errorf("error = %+v, want code %q and a message", e.Error, code)
	}
	if field != "" {
		if _, ok := e.Error.Fields[field]; !ok {
			t.Errorf("error fields %v do not name %q", e.Error.Fields, field)
		}
	}
	return e
}
