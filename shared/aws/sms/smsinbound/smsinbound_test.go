package smsinbound_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/cxloop/cxloop/shared/aws/sms/smsinbound"
)

func TestParseInbound(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want smsinbound.Inbound
	}{
		{"inbound-score.json", smsinbound.Inbound{
			From: "+447700900123", To: "+447700900999", Body: "9 thanks, quick and friendly",
			Keyword:           "KEYWORD_123456789012",
			PreviousMessageID: "b7c1a3e2-9f0d-4e8a-a1b2-c3d4e5f6a7b8", MessageID: "6f1e0c2a-3b4d-5e6f-8a9b-0c1d2e3f4a5b",
		}},
		{"inbound-stop.json", smsinbound.Inbound{
			From: "+14255550182", To: "+12125550101", Body: "STOP", Keyword: "STOP",
			PreviousMessageID: "4a2c6e8f-1b3d-4f5a-8c7e-9d0b1a2c3e4f", MessageID: "0c5d2f64-2a7e-5b1e-9f35-4c8e6a1d9b70",
		}},
		{"inbound-unprompted.json", smsinbound.Inbound{
			From: "+61491570156", To: "+61491570999", Body: "Who is this? 🤔",
			MessageID: "9e8d7c6b-5a4f-5e3d-8c2b-1a0f9e8d7c6b",
		}},
		{"sns-envelope-score.json", smsinbound.Inbound{
			From: "+447700900123", To: "+447700900999", Body: "9 thanks, quick and friendly",
			Keyword:           "KEYWORD_123456789012",
			PreviousMessageID: "b7c1a3e2-9f0d-4e8a-a1b2-c3d4e5f6a7b8", MessageID: "6f1e0c2a-3b4d-5e6f-8a9b-0c1d2e3f4a5b",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			body, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := smsinbound.ParseInbound(body)
			if err != nil {
				t.Fatalf("ParseInbound: %v", err)
			}
			if got != tt.want {
				t.Errorf("ParseInbound =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestParseInboundMalformed(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		``,
		`nope`,
		`[]`,
		`{}`,
		`{"destinationNumber":"+12125550101","inboundMessageId":"x","messageBody":"hi"}`,
		`{"originationNumber":"+14255550182","inboundMessageId":"x","messageBody":"hi"}`,
		`{"originationNumber":"+14255550182","destinationNumber":"+12125550101","messageBody":"hi"}`,
		`{"originationNumber":14255550182,"destinationNumber":"+12125550101","inboundMessageId":"x"}`,
		`{"Type":"Notification","Message":"{}"}`,
	} {
		if in, err := smsinbound.ParseInbound([]byte(body)); !errors.Is(err, smsinbound.ErrMalformedInbound) {
			t.Errorf("ParseInbound(%q) = %+v, %v; want ErrMalformedInbound", body, in, err)
		}
	}
}
