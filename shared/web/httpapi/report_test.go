package httpapi_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/local/devserver"
)

const reportKey = "cxl_test_report_key_0123456789"

// reportDev is a running cxloop dev stack seeded through the HTTP API.
type reportDev struct {
	t   *testing.T
	srv *devserver.Server
}

func startReportDev(t *testing.T) *reportDev {
	t.Helper()
	srv, err := devserver.Start(context.Background(), devserver.Options{
		Addr: "127.0.0.1:0", DataDir: t.TempDir(), APIKey: reportKey, Config: app.DefaultConfig(), Tick: time.Hour,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return &reportDev{t: t, srv: srv}
}

// call sends a request with the API key (unless key is false) and returns
// the status and body.
func (d *reportDev) call(method, path string, body any, header ...string) (*http.Response, []byte) {
	d.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			d.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, d.srv.URL+path, rd)
	if err != nil {
		d.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+reportKey)
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] == "" {
			req.Header.Del(header[i])
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

func (d *reportDev) must(method, path string, body any, want int) []byte {
	d.t.Helper()
	res, b := d.call(method, path, body)
	if res.StatusCode != want {
		d.t.Fatalf("%s %s = %d %s, want %d", method, path, res.StatusCode, b, want)
	}
	return b
}

// unhappy sends an interaction's survey and answers it with 3 out of 10,
// and returns the follow-up task's id.
func (d *reportDev) unhappy(id string) string {
	d.t.Helper()
	d.must("POST", "/v1/interactions", map[string]any{
		"id": id, "occurred_at": time.Now().UTC().Format(time.RFC3339), "type": "support_ticket", "channel": "email", "survey": "nps",
		"account_id": "acme", "customer": map[string]any{"id": "cust-" + id, "name": "Customer " + id, "email": id + "@example.com"},
	}, http.StatusAccepted)
	var box []struct {
		To    string   `json:"to"`
		Links []string `json:"links"`
	}
	if err := json.Unmarshal(d.must("GET", "/dev/outbox", nil, http.StatusOK), &box); err != nil {
		d.t.Fatal(err)
	}
	link := ""
	for _, m := range box {
		if m.To == id+"@example.com" {
			for _, l := range m.Links {
				if strings.Contains(l, "/s/") {
					link, _, _ = strings.Cut(l, "?")
					break
				}
			}
		}
	}
	if link == "" {
		d.t.Fatalf("no survey link for %s in %+v", id, box)
	}
	res, err := http.PostForm(link, url.Values{"score": {"3"}})
	if err != nil {
		d.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		d.t.Fatalf("answer %s: %d", id, res.StatusCode)
	}
	taskID := app.TaskID(app.ResponseID(app.SurveyID(id)))
	for range 50 {
		if res, _ := d.call("GET", "/v1/tasks/"+taskID, nil); res.StatusCode == http.StatusOK {
			return taskID
		}
		d.srv.RunDue(context.Background())
		time.Sleep(10 * time.Millisecond)
	}
	d.t.Fatalf("no task %s after the answer", taskID)
	return ""
}

// seedReportDev builds the brief's scene: three unhappy answers of Ann's
// customers; one closed in time, one closed after the SLA, one handed to
// Bob (whose name is hostile) and left open past its due time.
func seedReportDev(t *testing.T) *reportDev {
	d := startReportDev(t)
	d.must("PUT", "/v1/people/ann", map[string]any{"name": "Ann Lee", "email": "ann@example.com", "team": "North"}, http.StatusCreated)
	d.must("PUT", "/v1/people/bob", map[string]any{"name": `=1+2 <b>Bob</b>, "the" builder`, "email": "bob@example.com", "team": "@South"}, http.StatusCreated)
	d.must("PUT", "/v1/accounts/acme", map[string]any{"name": "Acme", "owner_id": "ann"}, http.StatusCreated)
	inTime, late, handed := d.unhappy("i-1"), d.unhappy("i-2"), d.unhappy("i-3")
	d.must("POST", "/v1/tasks/"+inTime+"/complete", map[string]any{"outcome": "resolved", "root_cause": "billing"}, http.StatusOK)
	d.must("POST", "/v1/tasks/"+handed+"/reassign", map[string]any{"owner_id": "bob", "reason": "billing expert"}, http.StatusOK)
	d.must("POST", "/dev/clock", map[string]any{"advance": "49h"}, http.StatusOK)
	d.must("POST", "/v1/tasks/"+late+"/complete", map[string]any{"outcome": "contacted", "root_cause": "billing"}, http.StatusOK)
	return d
}

type reportJSON struct {
	From, To, AsOf            time.Time
	Unhappy                   int            `json:"unhappy"`
	Closed                    int            `json:"closed"`
	ClosedWithinSLA           int            `json:"closed_within_sla"`
	Open                      int            `json:"open"`
	Overdue                   int            `json:"overdue"`
	CompletionRate            *float64       `json:"completion_rate"`
	SLARate                   *float64       `json:"sla_rate"`
	MedianHoursToFirstContact *float64       `json:"median_hours_to_first_contact"`
	MedianHoursToClose        *float64       `json:"median_hours_to_close"`
	RecoveryRate              *float64       `json:"recovery_rate"`
	RootCauses                map[string]int `json:"root_causes"`
	Groups                    []groupJSON    `json:"groups"`
	Series                    []any          `json:"series"`
}

type groupJSON struct {
	Key     string   `json:"key"`
	Name    string   `json:"name"`
	Held    int      `json:"held"`
	Unhappy int      `json:"unhappy"`
	Closed  int      `json:"closed"`
	Open    int      `json:"open"`
	Overdue int      `json:"overdue"`
	SLARate *float64 `json:"sla_rate"`
}

func TestClosedLoopReportAPI(t *testing.T) {
	t.Parallel()
	d := seedReportDev(t)

	res, _ := d.call("GET", "/v1/reports/closed-loop", nil, "Authorization", "")
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("without the key: %d, want 401", res.StatusCode)
	}

	var raw map[string]json.RawMessage
	body := d.must("GET", "/v1/reports/closed-loop", nil, http.StatusOK)
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"unhappy", "closed", "closed_within_sla", "open", "overdue", "completion_rate", "sla_rate",
		"median_hours_to_first_contact", "median_hours_to_close", "recovery_rate", "root_causes", "groups", "from", "to", "as_of", "series"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("report lacks %q: %s", k, body)
		}
	}
	if string(raw["recovery_rate"]) != "null" {
		t.Errorf("recovery_rate = %s, want null (no recovery answers)", raw["recovery_rate"])
	}
	var r reportJSON
	_ = json.Unmarshal(body, &r)
	if r.Unhappy != 3 || r.Closed != 2 || r.ClosedWithinSLA != 1 || r.Open != 1 || r.Overdue != 1 ||
		r.RootCauses["billing"] != 2 || len(r.Groups) != 0 || len(r.Series) == 0 {
		t.Errorf("report = %s", body)
	}
	if *r.CompletionRate != 2.0/3 || *r.SLARate != 1.0/3 {
		t.Errorf("rates = %v %v, want 2/3 and 1/3", *r.CompletionRate, *r.SLARate)
	}
	if r.MedianHoursToClose == nil || *r.MedianHoursToClose < 24 || *r.MedianHoursToClose > 26 {
		t.Errorf("median hours to close = %v, want about 24.5 (0 and 49)", fmtRate(r.MedianHoursToClose))
	}

	// The API's figures for the as-of instant of the first day only: the
	// brief's example, one closed late and one in time.
	today := r.To.UTC().Format(time.DateOnly)
	body = d.must("GET", "/v1/reports/closed-loop?group_by=owner&to="+url.QueryEscape(r.To.Format(time.RFC3339Nano)), nil, http.StatusOK)
	r = reportJSON{}
	_ = json.Unmarshal(body, &r)
	if len(r.Groups) != 2 {
		t.Fatalf("groups = %s", body)
	}
	ann, bob := r.Groups[1], r.Groups[0] // by name: "=1+2 …" sorts first
	if ann.Key != "ann" || ann.Held != 3 || ann.Unhappy != 2 || ann.Closed != 2 || *ann.SLARate != 0.5 {
		t.Errorf("ann = %+v, want held 3, counted 2, both closed, sla 0.5", ann)
	}
	if bob.Key != "bob" || bob.Held != 1 || bob.Unhappy != 1 || bob.Open != 1 || bob.Overdue != 1 || bob.SLARate == nil || *bob.SLARate != 0 {
		t.Errorf("bob = %+v, want held 1, open and overdue", bob)
	}

	body = d.must("GET", "/v1/reports/closed-loop?group_by=team&from="+today+"&to=2099-01-01", nil, http.StatusBadRequest)
	if !strings.Contains(string(body), `"to"`) {
		t.Errorf("a span over two years: %s", body)
	}
	body = d.must("GET", "/v1/reports/closed-loop?group_by=team", nil, http.StatusOK)
	r = reportJSON{}
	_ = json.Unmarshal(body, &r)
	if len(r.Groups) != 2 || r.Groups[0].Key != "@South" || r.Groups[1].Key != "North" {
		t.Errorf("team groups = %+v", r.Groups)
	}
}

func TestClosedLoopReportAPIValidation(t *testing.T) {
	t.Parallel()
	d := startReportDev(t)
	tests := []struct {
		query, field string
	}{
		{"from=yesterday", "from"},
		{"to=2026-13-01", "to"},
		{"from=2026-05-02&to=2026-05-01", "from"},
		{"from=2020-01-01&to=2026-01-01", "to"},
		{"group_by=account", "group_by"},
		{"tz=Mars/Olympus", "tz"},
		{"tz=Local", "tz"},
		{"format=xml", "format"},
		// The API takes values as given (schemathesis found "from=+", a
		// space, taken as no from at all).
		{"from=+", "from"},
		{"to=%202026-05-01", "to"},
		{"tz=Europe/Madrid%20", "tz"},
	}
	for _, tc := range tests {
		res, body := d.call("GET", "/v1/reports/closed-loop?"+tc.query, nil)
		var e struct {
			Error struct {
				Code   string            `json:"code"`
				Fields map[string]string `json:"fields"`
			} `json:"error"`
		}
		_ = json.Unmarshal(body, &e)
		if res.StatusCode != http.StatusBadRequest || e.Error.Code != "invalid" || e.Error.Fields[tc.field] == "" {
			t.Errorf("%s: %d %s, want 400 naming %s", tc.query, res.StatusCode, body, tc.field)
		}
	}
	// Dates are midnights in tz; the report shows its times there.
	body := d.must("GET", "/v1/reports/closed-loop?from=2026-03-01&to=2026-04-01&tz=Europe/Madrid", nil, http.StatusOK)
	var r struct {
		From, To string
		TZ       string `json:"tz"`
	}
	_ = json.Unmarshal(body, &r)
	if r.From != "2026-03-01T00:00:00+01:00" || r.To != "2026-04-01T00:00:00+02:00" || r.TZ != "Europe/Madrid" {
		t.Errorf("Madrid range = %s – %s (%s)", r.From, r.To, r.TZ)
	}
}

func TestClosedLoopReportCSV(t *testing.T) {
	t.Parallel()
	d := seedReportDev(t)
	for _, how := range []struct {
		name, query string
		header      []string
	}{
		{"format=csv", "?group_by=owner&format=csv", nil},
		{"Accept", "?group_by=owner", []string{"Accept", "text/csv"}},
	} {
		t.Run(how.name, func(t *testing.T) {
			res, body := d.call("GET", "/v1/reports/closed-loop"+how.query, nil, how.header...)
			if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
				t.Fatalf("status %d, type %q: %s", res.StatusCode, res.Header.Get("Content-Type"), body)
			}
			cd := res.Header.Get("Content-Disposition")
			if !strings.HasPrefix(cd, `attachment; filename="closed-loop-`) || !strings.HasSuffix(cd, `.csv"`) {
				t.Errorf("Content-Disposition = %q", cd)
			}
			if !bytes.Contains(body, []byte("\r\n")) {
				t.Errorf("rows do not end in CRLF")
			}
			rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
			if err != nil {
				t.Fatalf("not RFC 4180: %v\n%s", err, body)
			}
			if len(rows) != 3 {
				t.Fatalf("rows = %q, want header and 2 owners", rows)
			}
			col := map[string]int{}
			for i, h := range rows[0] {
				col[h] = i
			}
			for _, h := range []string{"key", "name", "held", "unhappy", "closed", "closed_within_sla", "open", "overdue", "completion_rate", "sla_rate",
				"median_hours_to_first_contact", "median_hours_to_close", "recovery_rate", "root_causes"} {
				if _, ok := col[h]; !ok {
					t.Errorf("header %q lacks %s", rows[0], h)
				}
			}
			ann, bob := rows[2], rows[1] // by name: "=1+2 …" sorts first
			if ann[col["key"]] != "ann" || ann[col["held"]] != "3" || ann[col["sla_rate"]] != "0.5" || ann[col["root_causes"]] != "billing=2" || ann[col["recovery_rate"]] != "" {
				t.Errorf("ann = %q", ann)
			}
			// The hostile name survives the round trip (quotes, comma) and
			// is defused as a formula.
			if got := bob[col["name"]]; got != `'=1+2 <b>Bob</b>, "the" builder` {
				t.Errorf("bob's name cell = %q", got)
			}
			if bob[col["median_hours_to_close"]] != "" || bob[col["completion_rate"]] != "0" {
				t.Errorf("bob = %q", bob)
			}
		})
	}
	res, body := d.call("GET", "/v1/reports/closed-loop?group_by=team&format=csv", nil)
	rows, _ := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if res.StatusCode != http.StatusOK || len(rows) != 3 || rows[1][4] != "'@South" {
		t.Errorf("team CSV = %q", rows)
	}
	_, body = d.call("GET", "/v1/reports/closed-loop?format=csv", nil)
	rows, _ = csv.NewReader(bytes.NewReader(body)).ReadAll()
	if len(rows) != 2 || rows[1][5] != "all" || rows[1][7] != "3" {
		t.Errorf("total CSV = %q", rows)
	}
	res, _ = d.call("GET", "/v1/reports/closed-loop", nil, "Accept", "text/csv;q=0.5, application/json")
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Errorf("JSON preferred by Accept, got %q", res.Header.Get("Content-Type"))
	}
}

func fmtRate(p *float64) any {
	if p == nil {
		return "null"
	}
	return *p
}
