package sesevent_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/cxloop/cxloop/shared/aws/ses/sesevent"
)

func TestParseNotification(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want sesevent.Notification
	}{
		{"event-bounce-permanent.json", sesevent.Notification{
			Kind:      sesevent.BouncePermanent,
			Addresses: []string{"nobody@customer.example"},
			MessageID: "0100018e0a1b1f00-5c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f-000000",
			Tags: map[string][]string{
				"ses:configuration-set": {"cxloop"},
				"ses:source-ip":         {"192.0.2.10"},
				"ses:from-domain":       {"acme.example"},
				"ses:caller-identity":   {"cxloop-send-survey-role"},
				"survey_id":             {"sv_01J0ABCDEF"},
				"kind":                  {"survey"},
			},
		}},
		{"event-bounce-transient.json", sesevent.Notification{
			Kind:      sesevent.BounceTransient,
			Addresses: []string{"full@customer.example"},
			MessageID: "0100018e0a4c0000-aaaabbbb-cccc-4ddd-8eee-ffff00001111-000000",
			Tags: map[string][]string{
				"ses:configuration-set": {"cxloop"},
				"survey_id":             {"sv_01J0TRANSIENT"},
				"kind":                  {"reminder"},
			},
		}},
		{"event-bounce-undetermined.json", sesevent.Notification{
			Kind:      sesevent.BounceTransient,
			Addresses: []string{"maybe@customer.example"},
			MessageID: "0100018e0a9e0000-99990000-aaaa-4bbb-8ccc-ddddeeeeffff-000000",
			Tags:      map[string][]string{"ses:configuration-set": {"cxloop"}},
		}},
		{"event-complaint.json", sesevent.Notification{
			Kind:      sesevent.Complaint,
			Addresses: []string{"annoyed@customer.example"},
			MessageID: "0100018e0a1b1f01-6d7e8f90-a1b2-4c3d-8e4f-5a6b7c8d9e0f-000000",
			Tags: map[string][]string{
				"ses:configuration-set": {"cxloop"},
				"ses:source-ip":         {"192.0.2.10"},
				"ses:from-domain":       {"acme.example"},
				"ses:caller-identity":   {"cxloop-send-survey-role"},
				"survey_id":             {"sv_01J0COMPLAIN"},
				"kind":                  {"survey"},
			},
		}},
		{"event-delivery.json", sesevent.Notification{
			Kind:      sesevent.Delivery,
			Addresses: []string{"happy@customer.example"},
			MessageID: "0100018e0a1b1f02-7e8f9001-b2c3-4d4e-8f50-6b7c8d9e0f10-000000",
			Tags: map[string][]string{
				"ses:configuration-set": {"cxloop"},
				"ses:outgoing-ip":       {"198.51.100.7"},
				"survey_id":             {"sv_01J0DELIVER"},
				"kind":                  {"survey"},
			},
		}},
		{"event-send.json", sesevent.Notification{
			Kind:      sesevent.Send,
			MessageID: "0100018e0a1b1f02-7e8f9001-b2c3-4d4e-8f50-6b7c8d9e0f10-000000",
			Tags: map[string][]string{
				"ses:configuration-set": {"cxloop"},
				"ses:outgoing-ip":       {"198.51.100.7"},
				"survey_id":             {"sv_01J0DELIVER"},
				"kind":                  {"survey"},
			},
		}},
		{"event-open.json", sesevent.Notification{
			Kind:      sesevent.Other,
			MessageID: "0100018e0a1b1f02-7e8f9001-b2c3-4d4e-8f50-6b7c8d9e0f10-000000",
			Tags:      map[string][]string{"ses:configuration-set": {"cxloop"}, "survey_id": {"sv_01J0DELIVER"}},
		}},
		{"feedback-bounce-permanent.json", sesevent.Notification{
			Kind:      sesevent.BouncePermanent,
			Addresses: []string{"gone@customer.example", "alsogone@customer.example"},
			MessageID: "0100018e15a90000-33334444-5555-4666-8777-888899990000-000000",
		}},
		{"feedback-complaint.json", sesevent.Notification{
			Kind:      sesevent.Complaint,
			Addresses: []string{"spam-clicker@customer.example"},
			MessageID: "0100018e15af0000-12121212-3434-4565-8787-989898989898-000000",
		}},
		{"feedback-delivery.json", sesevent.Notification{
			Kind:      sesevent.Delivery,
			Addresses: []string{"owner@acme.example"},
			MessageID: "0100018e15c00000-56565656-7878-4909-8a1a-2b2b3c3c4d4d-000000",
		}},
		{"sns-envelope-complaint.json", sesevent.Notification{
			Kind:      sesevent.Complaint,
			Addresses: []string{"annoyed@customer.example"},
			MessageID: "0100018e0a1b1f01-6d7e8f90-a1b2-4c3d-8e4f-5a6b7c8d9e0f-000000",
			Tags: map[string][]string{
				"ses:configuration-set": {"cxloop"},
				"ses:source-ip":         {"192.0.2.10"},
				"ses:from-domain":       {"acme.example"},
				"ses:caller-identity":   {"cxloop-send-survey-role"},
				"survey_id":             {"sv_01J0COMPLAIN"},
				"kind":                  {"survey"},
			},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			body, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := sesevent.ParseNotification(body)
			if err != nil {
				t.Fatalf("ParseNotification: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseNotification =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestParseNotificationMalformed(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		``,
		`not json`,
		`[]`,
		`{}`,
		`{"eventType":"Bounce","mail":{}}`,
		`{"eventType":"Bounce","mail":{"messageId":"m1"}}`,
		`{"notificationType":"Complaint","mail":{"messageId":"m1"}}`,
		`{"mail":{"messageId":"m1"},"bounce":{"bounceType":"Permanent"}}`,
		`{"eventType":"Bounce","mail":{"messageId":"m1"},"bounce":{"bouncedRecipients":"x"}}`,
		`{"Type":"Notification","Message":"{}"}`,
	} {
		if n, err := sesevent.ParseNotification([]byte(body)); !errors.Is(err, sesevent.ErrMalformedNotification) {
			t.Errorf("ParseNotification(%q) = %+v, %v; want ErrMalformedNotification", body, n, err)
		}
	}
}
