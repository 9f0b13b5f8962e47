package sms_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"

	"github.com/cxloop/cxloop/shared/aws/sms"
	"github.com/cxloop/cxloop/shared/domain/message"
	"github.com/cxloop/cxloop/shared/testkit/awswire"
)

const namespace = "com.amazonaws.pinpointsmsvoicev2"

var cfg = sms.Config{
	OriginationIdentity: "pool-a1b2c3d4e5f60718293a4b5c6d7e8f90",
	ConfigurationSet:    "cxloop",
	OptOutList:          "cxloop-optouts",
}

func survey() message.SMS {
	return message.SMS{
		To:   "+447700900123",
		Body: "Acme: how likely are you to recommend us? Reply 0-10. Reply STOP to opt out.",
		Tags: map[string]string{"survey_id": "sv_01J0ABCDEF", "kind": "survey"},
	}
}

func newTexter(t *testing.T, c sms.Config, script ...awswire.Response) (*sms.Texter, *awswire.Server) {
	t.Helper()
	srv := awswire.NewServer(t, script...)
	return sms.New(pinpointsmsvoicev2.NewFromConfig(srv.Config()), c), srv
}

func checkJSON10(t *testing.T, r awswire.Request, op string) {
	t.Helper()
	if r.Method != http.MethodPost || r.Path != "/" {
		t.Errorf("request = %s %s, want POST /", r.Method, r.Path)
	}
	if got, want := r.Target(), "PinpointSMSVoiceV2."+op; got != want {
		t.Errorf("X-Amz-Target = %q, want %q", got, want)
	}
	if got := r.Header.Get("Content-Type"); got != "application/x-amz-json-1.0" {
		t.Errorf("Content-Type = %q, want application/x-amz-json-1.0", got)
	}
	if auth := r.Header.Get("Authorization"); !strings.Contains(auth, "/us-east-1/sms-voice/aws4_request") {
		t.Errorf("Authorization = %q, want SigV4 for sms-voice", auth)
	}
}

const sentBody = `{"MessageId":"b7c1a3e2-9f0d-4e8a-a1b2-c3d4e5f6a7b8"}`

func TestSendSMSRequest(t *testing.T) {
	t.Parallel()
	tx, srv := newTexter(t, cfg, awswire.JSON10(sentBody))
	id, err := tx.SendSMS(awswire.Context(t), survey())
	if err != nil {
		t.Fatalf("SendSMS: %v", err)
	}
	if id != "b7c1a3e2-9f0d-4e8a-a1b2-c3d4e5f6a7b8" {
		t.Errorf("message id = %q", id)
	}
	r := srv.Only(t)
	checkJSON10(t, r, "SendTextMessage")
	var got, want any
	if err := json.Unmarshal(r.Body, &got); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join("testdata", "send-text-request.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("request body = %s\nwant testdata/send-text-request.json", r.Body)
	}
}

func TestSendSMSOptionalParts(t *testing.T) {
	t.Parallel()
	tx, srv := newTexter(t, sms.Config{}, awswire.JSON10(sentBody))
	m := survey()
	m.Tags = nil
	if _, err := tx.SendSMS(awswire.Context(t), m); err != nil {
		t.Fatalf("SendSMS: %v", err)
	}
	body := srv.Only(t).JSON(t)
	for _, absent := range []string{"OriginationIdentity", "ConfigurationSetName", "Context"} {
		if _, ok := body[absent]; ok {
			t.Errorf("body has %s, want it left out: %v", absent, body)
		}
	}
}

func validation(reason, field string) awswire.Response {
	extra := map[string]any{"Reason": reason}
	if field != "" {
		extra["Fields"] = []map[string]string{{"Name": field, "Message": "Invalid value"}}
	}
	return awswire.JSON10Error(400, namespace, "ValidationException", "Validation Error Occurred", extra)
}

func conflict(reason string) awswire.Response {
	return awswire.JSON10Error(400, namespace, "ConflictException", "Conflict Occurred", map[string]any{
		"Reason": reason, "ResourceType": "phone-number", "ResourceId": "+447700900123",
	})
}

func TestSendSMSErrors(t *testing.T) {
	t.Parallel()
	throttled := awswire.JSON10Error(400, namespace, "ThrottlingException", "Rate exceeded", nil)
	tests := []struct {
		name     string
		script   []awswire.Response
		calls    int
		ok       bool
		sentinel error
		wantType any
	}{
		{name: "throttled then sent", script: []awswire.Response{throttled, awswire.JSON10(sentBody)}, calls: 2, ok: true},
		{name: "throttled past the retries", script: []awswire.Response{throttled}, calls: awswire.MaxAttempts,
			wantType: new(*types.ThrottlingException)},
		{name: "invalid destination", script: []awswire.Response{validation("INVALID_PARAMETER", "DestinationPhoneNumber")}, calls: 1,
			sentinel: sms.ErrInvalidNumber, wantType: new(*types.ValidationException)},
		{name: "unparseable destination", script: []awswire.Response{validation("CANNOT_PARSE", "destinationPhoneNumber")}, calls: 1,
			sentinel: sms.ErrInvalidNumber},
		{name: "country not enabled is setup, not the contact", script: []awswire.Response{validation("COUNTRY_NOT_ENABLED", "DestinationPhoneNumber")}, calls: 1,
			wantType: new(*types.ValidationException)},
		{name: "other validation", script: []awswire.Response{validation("FIELD_VALIDATION_FAILED", "MessageBody")}, calls: 1,
			wantType: new(*types.ValidationException)},
		{name: "opted out", script: []awswire.Response{conflict("DESTINATION_PHONE_NUMBER_OPTED_OUT")}, calls: 1,
			sentinel: sms.ErrOptedOut, wantType: new(*types.ConflictException)},
		{name: "other conflict", script: []awswire.Response{conflict("RESOURCE_NOT_ACTIVE")}, calls: 1,
			wantType: new(*types.ConflictException)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tx, srv := newTexter(t, cfg, tt.script...)
			id, err := tx.SendSMS(awswire.Context(t), survey())
			if got := len(srv.Requests()); got != tt.calls {
				t.Errorf("server got %d requests, want %d", got, tt.calls)
			}
			if tt.ok {
				if err != nil || id == "" {
					t.Fatalf("SendSMS = %q, %v; want a message id", id, err)
				}
				return
			}
			if err == nil {
				t.Fatal("SendSMS succeeded, want an error")
			}
			for _, s := range []error{sms.ErrInvalidNumber, sms.ErrOptedOut} {
				if got, want := errors.Is(err, s), s == tt.sentinel; got != want {
					t.Errorf("errors.Is(%v, %v) = %v, want %v", err, s, got, want)
				}
			}
			if tt.wantType != nil && !errors.As(err, tt.wantType) {
				t.Errorf("error %v is not %T", err, tt.wantType)
			}
			if msg := err.Error(); !strings.Contains(msg, "send text to +**********23") || strings.Contains(msg, "+447700900123") {
				t.Errorf("error %q does not name the masked number, or carries the whole number", msg)
			}
		})
	}
}

func TestSendSMSRefusesBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		to, body   string
		wantNumber bool
	}{
		{"no plus", "447700900123", "hi", true},
		{"letters", "+44 7700 900123", "hi", true},
		{"leading zero", "+0447700900123", "hi", true},
		{"too long", "+4477009001234567", "hi", true},
		{"empty", "", "hi", true},
		{"newline", "+447700900123\n", "hi", true},
		{"empty body", "+447700900123", "  ", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tx, srv := newTexter(t, cfg, awswire.JSON10(sentBody))
			_, err := tx.SendSMS(awswire.Context(t), message.SMS{To: tt.to, Body: tt.body})
			if err == nil {
				t.Fatal("SendSMS succeeded, want an error")
			}
			if got := errors.Is(err, sms.ErrInvalidNumber); got != tt.wantNumber {
				t.Errorf("errors.Is(%v, ErrInvalidNumber) = %v, want %v", err, got, tt.wantNumber)
			}
			if n := len(srv.Requests()); n != 0 {
				t.Errorf("server got %d requests, want none", n)
			}
		})
	}
}

func TestOptedOut(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		resp    awswire.Response
		want    bool
		wantErr bool
	}{
		{name: "on the list", resp: awswire.JSON10(`{"OptOutListArn":"arn:aws:sms-voice:us-east-1:123456789012:opt-out-list/ool-1","OptOutListName":"cxloop-optouts",
			"OptedOutNumbers":[{"OptedOutNumber":"+447700900123","OptedOutTimestamp":1.7e9,"EndUserOptedOut":true}]}`), want: true},
		{name: "not on the list", resp: awswire.JSON10(`{"OptOutListName":"cxloop-optouts","OptedOutNumbers":[]}`)},
		{name: "not found as a number", resp: awswire.JSON10Error(400, namespace, "ResourceNotFoundException", "Resource Not Found",
			map[string]any{"ResourceType": "opted-out-number", "ResourceId": "+447700900123"})},
		{name: "list missing", resp: awswire.JSON10Error(400, namespace, "ResourceNotFoundException", "Resource Not Found",
			map[string]any{"ResourceType": "opt-out-list", "ResourceId": "cxloop-optouts"}), wantErr: true},
		{name: "access denied", resp: awswire.JSON10Error(400, namespace, "AccessDeniedException", "denied", nil), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tx, srv := newTexter(t, cfg, tt.resp)
			got, err := tx.OptedOut(awswire.Context(t), "+447700900123")
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("OptedOut = %v, %v; want %v, error %v", got, err, tt.want, tt.wantErr)
			}
			r := srv.Only(t)
			checkJSON10(t, r, "DescribeOptedOutNumbers")
			body := r.JSON(t)
			if body["OptOutListName"] != "cxloop-optouts" || !reflect.DeepEqual(body["OptedOutNumbers"], []any{"+447700900123"}) {
				t.Errorf("body = %v, want OptOutListName cxloop-optouts and OptedOutNumbers [+447700900123]", body)
			}
		})
	}
}

func TestOptedOutRefusesBadNumber(t *testing.T) {
	t.Parallel()
	tx, srv := newTexter(t, cfg, awswire.JSON10(`{}`))
	if _, err := tx.OptedOut(awswire.Context(t), "07700 900123"); !errors.Is(err, sms.ErrInvalidNumber) {
		t.Errorf("OptedOut error = %v, want ErrInvalidNumber", err)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("server got %d requests, want none", n)
	}
}

func TestMaskNumber(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"+447700900123": "+**********23",
		"+12":           "+12",
		"12":            "**",
		"":              "",
		"5551234":       "*****34",
	} {
		if got := sms.MaskNumber(in); got != want {
			t.Errorf("MaskNumber(%q) = %q, want %q", in, got, want)
		}
	}
}
