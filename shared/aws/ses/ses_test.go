package ses_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/cxloop/cxloop/shared/aws/ses"
	"github.com/cxloop/cxloop/shared/domain/message"
	"github.com/cxloop/cxloop/shared/testkit/awswire"
)

var cfg = ses.Config{From: "Acme Feedback <feedback@acme.example>", ConfigurationSet: "cxloop"}

func survey() message.Email {
	return message.Email{
		To:      "jane@customer.example",
		Subject: "How did we do, Jane? ⭐",
		Text:    "Reply with a score from 0 to 10.\nhttps://cx.acme.example/s/tok?score=10",
		HTML:    `<p>How likely are you to recommend us?</p><a href="https://cx.acme.example/s/tok?score=10">10</a>`,
		Headers: map[string]string{
			"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
			"List-Unsubscribe":      "<https://cx.acme.example/u/tok>",
		},
		Tags:  map[string]string{"survey_id": "sv_01J0ABCDEF", "kind": "survey"},
		Links: []string{"https://cx.acme.example/s/tok?score=10"},
	}
}

const sentBody = `{"MessageId":"0100018e0a1b1f00-5c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f-000000"}`

func readJSON(t *testing.T, name string) any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

func TestSendEmailRequest(t *testing.T) {
	t.Parallel()
	srv := awswire.NewServer(t, awswire.REST(sentBody))
	m := ses.New(sesv2.NewFromConfig(srv.Config()), cfg)
	id, err := m.SendEmail(awswire.Context(t), survey())
	if err != nil {
		t.Fatalf("SendEmail: %v", err)
	}
	if id != "0100018e0a1b1f00-5c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f-000000" {
		t.Errorf("message id = %q", id)
	}
	r := srv.Only(t)
	if r.Method != http.MethodPost || r.Path != "/v2/email/outbound-emails" {
		t.Errorf("request = %s %s, want POST /v2/email/outbound-emails", r.Method, r.Path)
	}
	if got := r.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", got)
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") ||
		!strings.Contains(r.Header.Get("Authorization"), "/us-east-1/ses/aws4_request") {
		t.Errorf("Authorization = %q, want SigV4 for ses in us-east-1", r.Header.Get("Authorization"))
	}
	var got any
	if err := json.Unmarshal(r.Body, &got); err != nil {
		t.Fatal(err)
	}
	if want := readJSON(t, "send-email-request.json"); !reflect.DeepEqual(got, want) {
		gotJSON, _ := json.MarshalIndent(got, "", "  ")
		t.Errorf("request body =\n%s\nwant testdata/send-email-request.json", gotJSON)
	}
}

func TestSendEmailOptionalParts(t *testing.T) {
	t.Parallel()
	srv := awswire.NewServer(t, awswire.REST(sentBody))
	m := ses.New(sesv2.NewFromConfig(srv.Config()), ses.Config{From: "feedback@acme.example"})
	_, err := m.SendEmail(awswire.Context(t), message.Email{To: "jane@customer.example", Subject: "Hi", Text: "plain only"})
	if err != nil {
		t.Fatalf("SendEmail: %v", err)
	}
	body := srv.Only(t).JSON(t)
	for _, absent := range []string{"ConfigurationSetName", "EmailTags", "ReplyToAddresses"} {
		if _, ok := body[absent]; ok {
			t.Errorf("body has %s, want it left out: %v", absent, body)
		}
	}
	simple := body["Content"].(map[string]any)["Simple"].(map[string]any)
	if _, ok := simple["Headers"]; ok {
		t.Errorf("Simple has Headers, want none: %v", simple)
	}
	if _, ok := simple["Body"].(map[string]any)["Html"]; ok {
		t.Errorf("Body has Html, want only Text: %v", simple["Body"])
	}
}

// A reply to a note goes to whoever wrote it: ReplyToAddresses, as SES v2
// documents it.
func TestSendEmailReplyTo(t *testing.T) {
	t.Parallel()
	srv := awswire.NewServer(t, awswire.REST(sentBody))
	m := ses.New(sesv2.NewFromConfig(srv.Config()), cfg)
	if _, err := m.SendEmail(awswire.Context(t), message.Email{To: "jane@customer.example", Subject: "Hi", Text: "a note", ReplyTo: "maria@acme.example"}); err != nil {
		t.Fatalf("SendEmail: %v", err)
	}
	got, _ := srv.Only(t).JSON(t)["ReplyToAddresses"].([]any)
	if len(got) != 1 || got[0] != "maria@acme.example" {
		t.Errorf("ReplyToAddresses = %v, want [maria@acme.example]", got)
	}
}

func TestSendEmailErrors(t *testing.T) {
	t.Parallel()
	throttled := awswire.RESTError(429, "TooManyRequestsException", "Maximum sending rate exceeded.")
	tests := []struct {
		name     string
		script   []awswire.Response
		calls    int
		wantErr  error // nil: success
		wantType any
	}{
		{name: "throttled then sent", script: []awswire.Response{throttled, awswire.REST(sentBody)}, calls: 2},
		{name: "throttled past the retries", script: []awswire.Response{throttled}, calls: awswire.MaxAttempts,
			wantErr: errAny, wantType: new(*types.TooManyRequestsException)},
		{name: "message rejected", script: []awswire.Response{
			awswire.RESTError(400, "MessageRejected", "Email address is not verified. The following identities failed the check in region US-EAST-1: jane@customer.example"),
		}, calls: 1, wantErr: ses.ErrRejected, wantType: new(*types.MessageRejected)},
		{name: "account suspended", script: []awswire.Response{
			awswire.RESTError(400, "AccountSuspendedException", "Your account has been suspended."),
		}, calls: 1, wantErr: ses.ErrSendingPaused, wantType: new(*types.AccountSuspendedException)},
		{name: "sending paused", script: []awswire.Response{
			awswire.RESTError(400, "SendingPausedException", "Sending is paused for this configuration set."),
		}, calls: 1, wantErr: ses.ErrSendingPaused, wantType: new(*types.SendingPausedException)},
		{name: "missing configuration set", script: []awswire.Response{
			awswire.RESTError(404, "NotFoundException", "Configuration set <cxloop> does not exist."),
		}, calls: 1, wantErr: errAny, wantType: new(*types.NotFoundException)},
		{name: "server error retried", script: []awswire.Response{
			awswire.RESTError(500, "InternalFailure", "internal"), awswire.REST(sentBody),
		}, calls: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := awswire.NewServer(t, tt.script...)
			m := ses.New(sesv2.NewFromConfig(srv.Config()), cfg)
			id, err := m.SendEmail(awswire.Context(t), survey())
			if got := len(srv.Requests()); got != tt.calls {
				t.Errorf("server got %d requests, want %d", got, tt.calls)
			}
			if tt.wantErr == nil {
				if err != nil || id == "" {
					t.Fatalf("SendEmail = %q, %v; want a message id", id, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("SendEmail succeeded, want an error")
			}
			if tt.wantErr != errAny && !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v is not %v", err, tt.wantErr)
			}
			if tt.wantErr == errAny && (errors.Is(err, ses.ErrRejected) || errors.Is(err, ses.ErrSendingPaused)) {
				t.Errorf("error %v is marked rejected or paused, want neither", err)
			}
			if tt.wantType != nil && !errors.As(err, tt.wantType) {
				t.Errorf("error %v is not %T", err, tt.wantType)
			}
			msg := err.Error()
			if !strings.Contains(msg, "send email to j***@customer.example") {
				t.Errorf("error %q does not name the operation and masked recipient", msg)
			}
			if strings.Contains(strings.Split(msg, ": ")[1], "jane@") {
				t.Errorf("error context %q carries the full address", msg)
			}
		})
	}
}

// errAny stands for "some error, not one of the package's sentinels".
var errAny = errors.New("any error")

func TestSendEmailRefusesInjection(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		modify func(*message.Email)
	}{
		{"CRLF in recipient", func(m *message.Email) { m.To = "jane@customer.example\r\nBcc: all@victim.example" }},
		{"LF in recipient", func(m *message.Email) { m.To = "jane@customer.example\nBcc: all@victim.example" }},
		{"CR in subject", func(m *message.Email) { m.Subject = "Hi\rBcc: all@victim.example" }},
		{"LF in subject", func(m *message.Email) { m.Subject = "Hi\nBcc: all@victim.example" }},
		{"CRLF in header value", func(m *message.Email) {
			m.Headers["List-Unsubscribe"] = "<https://x.example>\r\nBcc: all@victim.example"
		}},
		{"LF in header name", func(m *message.Email) { m.Headers["X-A\nBcc"] = "v" }},
		{"colon in header name", func(m *message.Email) { m.Headers["X-Cx:Bcc"] = "v" }},
		{"space in header name", func(m *message.Email) { m.Headers["X Cx"] = "v" }},
		{"non-ASCII header value", func(m *message.Email) { m.Headers["X-Cx"] = "café" }},
		{"empty header value", func(m *message.Email) { m.Headers["X-Cx"] = "" }},
		{"long header value", func(m *message.Email) { m.Headers["X-Cx"] = strings.Repeat("a", 871) }},
		{"long header name", func(m *message.Email) { m.Headers[strings.Repeat("X", 127)] = "v" }},
		{"reserved header", func(m *message.Email) { m.Headers["bcc"] = "all@victim.example" }},
		{"reserved header, other case", func(m *message.Email) { m.Headers["Content-Type"] = "text/plain" }},
		{"no recipient", func(m *message.Email) { m.To = " " }},
		{"no body", func(m *message.Email) { m.Text, m.HTML = "", "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := awswire.NewServer(t, awswire.REST(sentBody))
			m := ses.New(sesv2.NewFromConfig(srv.Config()), cfg)
			e := survey()
			tt.modify(&e)
			_, err := m.SendEmail(awswire.Context(t), e)
			if !errors.Is(err, ses.ErrInvalid) {
				t.Errorf("SendEmail error = %v, want ErrInvalid", err)
			}
			if n := len(srv.Requests()); n != 0 {
				t.Errorf("server got %d requests, want none", n)
			}
		})
	}
}

func TestTags(t *testing.T) {
	t.Parallel()
	got := ses.Tags(map[string]string{
		"survey_id":   "sv_01J0ABCDEF",
		"kind":        "survey reminder",
		"owner.email": "ann@acme.example",
		"émoji":       "ok ✓",
		"empty":       "",
		"survey~id":   "dropped: survey_id sorts first",
		"long":        strings.Repeat("x", 300),
	})
	want := map[string]string{
		"kind":        "survey_reminder",
		"long":        strings.Repeat("x", 256),
		"owner_email": "ann_acme_example",
		"survey_id":   "sv_01J0ABCDEF",
		"_moji":       "ok__",
	}
	gotMap := map[string]string{}
	var names []string
	for _, tag := range got {
		gotMap[*tag.Name] = *tag.Value
		names = append(names, *tag.Name)
	}
	if !reflect.DeepEqual(gotMap, want) {
		t.Errorf("Tags = %v, want %v", gotMap, want)
	}
	for i := 1; i < len(names); i++ {
		if names[i-1] > names[i] {
			t.Errorf("tags not in name order: %v", names)
		}
	}
	if ses.Tags(nil) != nil {
		t.Error("Tags(nil) is not nil")
	}
}
