//go:build apifuzz

package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/domain/loop"
)

// TestAPIFuzz runs schemathesis, an outside fuzzer that knows only
// infra/openapi.yaml, against a running `cxloop dev` (its own process, on
// a free loopback port, over a fresh data directory), seeded through the
// API so requests reach more than the 404 of an unknown id. It fails on
// any 5xx, any response its documentation does not allow (status, content
// type, headers, body schema), any schema-violating request accepted, and
// any ERROR the server logged meanwhile. Run by `make apifuzz`, which
// `make test` runs; schemathesis comes from infra/tools/.venv (`make
// tools`), or $CXLOOP_SCHEMATHESIS. Without it the test is skipped, unless
// CXLOOP_REQUIRE_APIFUZZ=1 (as in CI). CXLOOP_APIFUZZ_SEED repeats a run,
// CXLOOP_APIFUZZ_EXAMPLES makes one deeper.
func TestAPIFuzz(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	st := os.Getenv("CXLOOP_SCHEMATHESIS")
	if st == "" {
		st = filepath.Join(root, "infra", "tools", ".venv", "bin", "schemathesis")
	}
	if _, err := os.Stat(st); err != nil {
		if os.Getenv("CXLOOP_REQUIRE_APIFUZZ") == "1" {
			t.Fatalf("schemathesis not found at %s (make tools installs it): %v", st, err)
		}
		t.Skipf("schemathesis not found at %s (make tools installs it)", st)
	}
	artifacts := filepath.Join(root, "artifacts", "apifuzz")
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	// The whole run, start to stop, is bounded; schemathesis itself is
	// bounded by its examples (infra/apifuzz/schemathesis.toml).
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()

	bin := buildCLI(ctx, t)
	key := "cxl_fuzz_" + rand.Text()
	logPath := filepath.Join(artifacts, "cxloop-dev.log")
	dev := exec.Command(bin, "dev", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--demo")
	dev.Env = append(os.Environ(), "CXLOOP_API_KEY="+key)
	base := startDevProcess(ctx, t, dev, logPath)

	seed := seedForFuzz(ctx, t, base, key)
	cfg := writeFuzzConfig(t, root, seed)

	// Moving the clock expires every link, erasing a person revokes
	// theirs, and signing out ends the session the run signs in with:
	// those run after the rest, so the rest meets live ones.
	destructive := []string{"devClockAdvance", "eraseCustomer", "signOut", "dashboardLogout"}
	var first, last []string
	for _, id := range destructive {
		first = append(first, "--exclude-operation-id", id)
		last = append(last, "--include-operation-id", id)
	}
	for i, part := range [][]string{first, last} {
		start := time.Now()
		args := append([]string{"--config-file", cfg, "run", filepath.Join(root, "infra", "openapi.yaml"), "--url", base,
			"--report", "junit", "--report-dir", artifacts}, part...)
		if s := os.Getenv("CXLOOP_APIFUZZ_SEED"); s != "" {
			args = append(args, "--seed", s)
		}
		if n := os.Getenv("CXLOOP_APIFUZZ_EXAMPLES"); n != "" {
			args = append(args, "--max-examples", n) // a deeper run than CI's
		}
		run := exec.CommandContext(ctx, st, args...)
		run.Env = append(os.Environ(), "CXLOOP_APIFUZZ_KEY="+key, "CXLOOP_APIFUZZ_SESSION="+seed.session)
		run.Dir = t.TempDir() // where schemathesis may leave its own files
		out, err := run.CombinedOutput()
		report := filepath.Join(artifacts, fmt.Sprintf("schemathesis-%d.txt", i+1))
		if werr := os.WriteFile(report, out, 0o644); werr != nil {
			t.Error(werr)
		}
		t.Logf("schemathesis run %d of 2 took %s:\n%s", i+1, time.Since(start).Round(time.Second), tail(out, 30))
		if err != nil {
			t.Errorf("schemathesis run %d failed (%v); its report is in %s", i+1, err, report)
		}
	}
	if lines := errorLines(t, logPath); len(lines) > 0 {
		t.Errorf("the server logged %d errors during the run, first: %s", len(lines), lines[0])
	}
}

// fuzzSeed is what exists in the server for schemathesis to aim at.
type fuzzSeed struct {
	taskIDs, customers, people, accounts, phones, messages []string
	surveyTokens, unsubscribeTokens, taskTokens            []string
	session                                                string
}

// seedForFuzz adds to the demo data, through the API only: unhappy
// answers (so there are follow-ups and task links) and a dashboard
// session; and collects the ids and link tokens there are.
func seedForFuzz(ctx context.Context, t *testing.T, base, key string) fuzzSeed {
	t.Helper()
	c := &apiClient{t: t, ctx: ctx, base: base, key: key, http: &http.Client{Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	// An SMS survey sent now, whatever the hour: the demo's may wait for
	// the end of quiet hours.
	var clock struct {
		Now time.Time `json:"now"`
	}
	c.getJSON("/dev/clock", &clock)
	c.postJSON("/v1/interactions", map[string]any{
		"id": "fuzz-sms", "occurred_at": clock.Now.UTC().Format(time.RFC3339), "type": "delivery", "channel": "sms", "survey": "nps",
		"account_id": "acme", "customer": map[string]any{"id": "cust-zoe", "name": "Zoe Park", "phone": fuzzPhone, "timezone": zoneAtNoon(clock.Now)},
	}, http.StatusAccepted)
	c.idle()
	outbox := c.outbox()
	// Ana (NPS) and Ben (CSAT) answer unhappily: two follow-ups.
	answered := 0
	for _, m := range outbox {
		if m.To != "ana@acme.example" && m.To != "ben@globex.example" {
			continue
		}
		link := surveyPath(m.Links)
		if link == "" {
			t.Fatalf("no survey link in %+v", m)
		}
		c.form(link, url.Values{"score": {"1"}, "comment": {"It took a week."}}, http.StatusOK)
		answered++
	}
	if answered != 2 {
		t.Fatalf("answered %d demo surveys, want 2", answered)
	}
	c.idle()

	var s fuzzSeed
	var tasks struct {
		Tasks []struct {
			ID         string `json:"id"`
			CustomerID string `json:"customer_id"`
		} `json:"tasks"`
	}
	c.getJSON("/v1/tasks?status="+string(loop.Open), &tasks)
	for _, tk := range tasks.Tasks {
		s.taskIDs = append(s.taskIDs, tk.ID)
	}
	if len(s.taskIDs) != 2 {
		t.Fatalf("open tasks %+v, want 2", tasks.Tasks)
	}
	for _, m := range c.outbox() {
		s.messages = append(s.messages, m.ID)
		if strings.HasPrefix(m.To, "+") && !slices.Contains(s.phones, m.To) {
			s.phones = append(s.phones, m.To)
		}
		for _, l := range m.Links {
			u, err := url.Parse(l)
			if err != nil {
				t.Fatal(err)
			}
			kind, tok, ok := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
			if !ok {
				continue
			}
			switch kind {
			case "s":
				s.surveyTokens = appendNew(s.surveyTokens, tok)
			case "u":
				s.unsubscribeTokens = appendNew(s.unsubscribeTokens, tok)
			case "t":
				s.taskTokens = appendNew(s.taskTokens, tok)
			}
		}
	}
	if len(s.surveyTokens) == 0 || len(s.unsubscribeTokens) == 0 || len(s.taskTokens) == 0 || !slices.Contains(s.phones, fuzzPhone) {
		t.Fatalf("seed lacks links or a phone: %+v", s)
	}
	s.customers = []string{"cust-ana", "cust-ben", "cust-lucia", "cust-kai", "cust-zoe"}
	s.people = []string{"dana", "maria", "sam"}
	s.accounts = []string{"acme", "globex", "initech"}
	s.session = c.dashboardSession()
	return s
}

// fuzzPhone is the seeded SMS customer's number.
const fuzzPhone = "+14155550123"

// zoneAtNoon returns an IANA zone in which now is about noon, so the SMS
// survey is not held for quiet hours.
func zoneAtNoon(now time.Time) string {
	off := (12 - now.UTC().Hour() + 24) % 24
	if off > 12 {
		off -= 24 // Etc/GMT covers UTC-12..UTC+14
	}
	switch {
	case off > 0:
		return fmt.Sprintf("Etc/GMT-%d", off) // POSIX sign: Etc/GMT-3 is UTC+3
	case off < 0:
		return fmt.Sprintf("Etc/GMT+%d", -off)
	}
	return "UTC"
}

func appendNew(list []string, v string) []string {
	if slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

// surveyPath is the path of a survey email's first score link, without
// its score: where the form posts.
func surveyPath(links []string) string {
	for _, l := range links {
		u, err := url.Parse(l)
		if err == nil && strings.HasPrefix(u.Path, "/s/") {
			return u.Path
		}
	}
	return ""
}

// writeFuzzConfig writes infra/apifuzz/schemathesis.toml with the seed's
// dictionaries added, and returns its path.
func writeFuzzConfig(t *testing.T, root string, s fuzzSeed) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "infra", "apifuzz", "schemathesis.toml"))
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	sb.Write(b)
	for _, d := range []struct {
		name   string
		values []string
	}{
		{"task_ids", s.taskIDs}, {"customers", s.customers}, {"people", s.people}, {"accounts", s.accounts},
		{"phones", s.phones}, {"messages", s.messages}, {"root_causes", loop.DefaultRootCauses()},
		{"survey_tokens", s.surveyTokens}, {"unsubscribe_tokens", s.unsubscribeTokens}, {"task_tokens", s.taskTokens},
	} {
		quoted := make([]string, len(d.values))
		for i, v := range d.values {
			quoted[i] = strconv.Quote(v) // ids and tokens are ASCII: a TOML basic string
		}
		fmt.Fprintf(&sb, "\n[dictionaries.%s]\nvalues = [%s]\n", d.name, strings.Join(quoted, ", "))
	}
	path := filepath.Join(t.TempDir(), "schemathesis.toml")
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// errorLines returns the ERROR lines of the server's JSON log.
func errorLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for line := range strings.SplitSeq(string(b), "\n") {
		var rec struct {
			Level string `json:"level"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Level == "ERROR" {
			out = append(out, line)
		}
	}
	return out
}

func tail(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// apiClient is the seeding's HTTP client.
type apiClient struct {
	t         *testing.T
	ctx       context.Context
	base, key string
	http      *http.Client
}

func (c *apiClient) do(req *http.Request, want int) []byte {
	c.t.Helper()
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	if res.StatusCode != want {
		c.t.Fatalf("%s %s: %d %s, want %d", req.Method, req.URL.Path, res.StatusCode, b, want)
	}
	return b
}

func (c *apiClient) request(method, path, contentType string, body io.Reader) *http.Request {
	c.t.Helper()
	req, err := http.NewRequestWithContext(c.ctx, method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return req
}

func (c *apiClient) getJSON(path string, v any) {
	c.t.Helper()
	req := c.request(http.MethodGet, path, "", nil)
	req.Header.Set("Authorization", "Bearer "+c.key)
	if err := json.Unmarshal(c.do(req, http.StatusOK), v); err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
}

func (c *apiClient) postJSON(path string, v any, want int) {
	c.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	req := c.request(http.MethodPost, path, "application/json", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+c.key)
	c.do(req, want)
}

func (c *apiClient) form(path string, v url.Values, want int) {
	c.t.Helper()
	c.do(c.request(http.MethodPost, path, "application/x-www-form-urlencoded", strings.NewReader(v.Encode())), want)
}

// idle waits for the server's background work (sends, loop steps).
func (c *apiClient) idle() {
	c.t.Helper()
	var v struct {
		Idle bool `json:"idle"`
	}
	c.getJSON("/dev/idle?wait=20s", &v)
	if !v.Idle {
		c.t.Fatal("background work not done after 20s")
	}
}

type outboxMessage struct {
	ID    string   `json:"id"`
	To    string   `json:"to"`
	Links []string `json:"links"`
}

func (c *apiClient) outbox() []outboxMessage {
	c.t.Helper()
	var list []outboxMessage
	c.getJSON("/dev/outbox", &list)
	return list
}

// dashboardSession signs in to the dashboard as a leader would, and
// returns the session cookie.
func (c *apiClient) dashboardSession() string {
	c.t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		c.t.Fatal(err)
	}
	c.http.Jar = jar
	defer func() { c.http.Jar = nil }()
	c.do(c.request(http.MethodGet, "/dashboard", "", nil), http.StatusOK)
	c.form("/dashboard/login", url.Values{"api_key": {c.key}}, http.StatusSeeOther)
	u, err := url.Parse(c.base)
	if err != nil {
		c.t.Fatal(err)
	}
	for _, ck := range jar.Cookies(u) {
		if ck.Name == "cxloop_session" {
			return ck.Value
		}
	}
	c.t.Fatal(errors.New("signed in, but no cxloop_session cookie"))
	return ""
}
