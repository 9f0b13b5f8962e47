//go:build localstack

package localstack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/cxloop/cxloop/shared/aws/dynamo"
	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/core/store"
	"github.com/cxloop/cxloop/shared/domain/survey"
)

// env is what deploy.sh wrote to .aws-sam/localstack.env.
type env struct {
	apiURL, apiKey, table, endpoint string
}

func mustEnv(t *testing.T) env {
	t.Helper()
	e := env{
		apiURL:   strings.TrimRight(os.Getenv("CXLOOP_API_URL"), "/"),
		apiKey:   os.Getenv("CXLOOP_API_KEY"),
		table:    os.Getenv("CXLOOP_TABLE_NAME"),
		endpoint: os.Getenv("AWS_ENDPOINT_URL"),
	}
	if e.apiURL == "" || e.apiKey == "" || e.table == "" || e.endpoint == "" {
		t.Fatal("CXLOOP_API_URL, CXLOOP_API_KEY, CXLOOP_TABLE_NAME and AWS_ENDPOINT_URL must be set (infra/localstack/test.sh sets them)")
	}
	return e
}

// mustStore opens the deployed table through cxloop's own DynamoDB adapter;
// the SDK reaches LocalStack through AWS_ENDPOINT_URL.
func mustStore(t *testing.T, e env) *store.Store {
	t.Helper()
	cfg, err := awsconfig.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return store.New(dynamo.New(dynamodb.NewFromConfig(cfg), e.table))
}

type client struct {
	t   *testing.T
	e   env
	key string
}

// do sends a JSON request and returns the status and the decoded body.
func (c client) do(method, path string, body any) (int, map[string]any) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.e.apiURL+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	res, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			c.t.Fatalf("%s %s: %d, body is not JSON: %s", method, path, res.StatusCode, raw)
		}
	}
	return res.StatusCode, out
}

func (c client) want(code int, method, path string, body any) map[string]any {
	c.t.Helper()
	got, out := c.do(method, path, body)
	if got != code {
		c.t.Fatalf("%s %s: status %d, want %d; body %v", method, path, got, code, out)
	}
	return out
}

// TestClosedLoopOnLocalStack drives the deployed API over HTTP and checks
// what it stored with the SDK: directory, ingest (idempotent), the queue
// and the sender (the survey leaves "scheduled"), and the error contract.
func TestClosedLoopOnLocalStack(t *testing.T) {
	e := mustEnv(t)
	st := mustStore(t, e)
	api := client{t: t, e: e, key: e.apiKey}
	anon := client{t: t, e: e}
	run := time.Now().UTC().Format("20060102t150405")

	// The error contract, before anything else.
	if code, body := anon.do("GET", "/v1/tasks?status=open", nil); code != http.StatusUnauthorized || path(body, "error", "code") != "unauthorized" {
		t.Fatalf("no key: %d %v, want 401 unauthorized", code, body)
	}
	if code, body := api.do("GET", "/v1/no-such-route", nil); code != http.StatusNotFound {
		t.Fatalf("unknown route: %d %v, want 404", code, body)
	}

	// Directory.
	api.do("PUT", "/v1/people/dana", map[string]any{"name": "Dana Whitfield", "email": "dana@example.com", "team": "Customer Success"})
	api.do("PUT", "/v1/people/maria", map[string]any{"name": "María García", "email": "maria@example.com", "manager_id": "dana", "team": "Customer Success"})
	acct := api.want(http.StatusOK, "PUT", "/v1/accounts/acme", map[string]any{"name": "Acme Logistics", "owner_id": "maria"})
	if acct["owner_id"] != "maria" {
		t.Fatalf("account: %v", acct)
	}
	if _, err := st.People.Get(context.Background(), "maria"); err != nil {
		t.Fatalf("maria is not in the table: %v", err)
	}

	// Ingest: 202 scheduled, then 200 with the same body.
	interaction := map[string]any{
		"id": "ls-" + run, "occurred_at": time.Now().UTC().Add(-time.Minute).Format(time.RFC3339),
		"type": "support_ticket", "channel": "email", "survey": "nps", "account_id": "acme",
		"customer": map[string]any{"id": "cust-" + run, "name": "Ana Lopez", "email": "ana+" + run + "@example.com", "locale": "en-GB", "timezone": "Europe/London"},
	}
	first := api.want(http.StatusAccepted, "POST", "/v1/interactions", interaction)
	if first["status"] != "scheduled" {
		t.Fatalf("ingest: %v, want scheduled", first)
	}
	again := api.want(http.StatusOK, "POST", "/v1/interactions", interaction)
	if fmt.Sprint(again) != fmt.Sprint(first) {
		t.Fatalf("replayed ingest: %v, want %v", again, first)
	}
	surveyID, _ := first["survey_id"].(string)
	if surveyID != app.SurveyID(interaction["id"].(string)) {
		t.Fatalf("survey_id %q, want %q", surveyID, app.SurveyID(interaction["id"].(string)))
	}

	// The survey is in DynamoDB, and the sender (SQS → send-survey → SES)
	// moves it on from scheduled.
	deadline := time.Now().Add(90 * time.Second)
	var sv survey.Survey
	for {
		var err error
		sv, err = st.Surveys.Get(context.Background(), surveyID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
		if err == nil && sv.Status != survey.Scheduled && sv.Status != survey.Sending {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("survey %s still %q after 90s (err %v): is send-survey running?", surveyID, sv.Status, err)
		}
		time.Sleep(2 * time.Second)
	}
	if sv.Status != survey.Sent {
		t.Fatalf("survey %s is %q, want sent", surveyID, sv.Status)
	}
	if sv.OwnerID != "maria" {
		t.Errorf("survey owner %q, want maria (the account's owner)", sv.OwnerID)
	}

	// LocalStack keeps what SES sent at /_aws/ses.
	if !sesSent(t, e.endpoint, "ana+"+run+"@example.com") {
		t.Errorf("no email to ana+%s@example.com in LocalStack's SES outbox", run)
	}

	// Listing endpoints answer with their shapes.
	if out := api.want(http.StatusOK, "GET", "/v1/tasks?status=open", nil); out["tasks"] == nil {
		t.Errorf("GET /v1/tasks: %v", out)
	}
	if out := api.want(http.StatusOK, "GET", "/v1/responses", nil); out["responses"] == nil {
		t.Errorf("GET /v1/responses: %v", out)
	}

	// Bad input is a 400 with the error shape and changes nothing.
	code, body := api.do("POST", "/v1/interactions", map[string]any{"id": "ls-bad-" + run, "channel": "fax"})
	if code != http.StatusBadRequest || path(body, "error", "code") != "invalid" {
		t.Fatalf("invalid interaction: %d %v, want 400 invalid", code, body)
	}
	if _, err := st.Surveys.Get(context.Background(), app.SurveyID("ls-bad-"+run)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an invalid interaction stored a survey (err %v)", err)
	}
}

// sesSent reports whether LocalStack's SES endpoint lists a message to addr.
func sesSent(t *testing.T, endpoint, addr string) bool {
	t.Helper()
	res, err := http.Get(strings.TrimRight(endpoint, "/") + "/_aws/ses")
	if err != nil {
		t.Logf("LocalStack SES outbox: %v", err)
		return false
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Contains(b, []byte(addr))
}

func path(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}
