package sendmsg_test

import (
	"errors"
	"testing"

	"github.com/cxloop/cxloop/shared/aws/sqs/sendmsg"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body    string
		want    string
		retries int
		wantErr bool
	}{
		{body: `{"survey_id":"sv_1"}`, want: "sv_1"},
		{body: `{"survey_id":"sv_1","throttled":3}`, want: "sv_1", retries: 3},
		{body: `{"survey_id":"sv_1","throttled":-1}`, wantErr: true},
		{body: " {\"survey_id\":\"sv_1\",\"added_later\":true}\n", want: "sv_1"},
		{body: `{}`, wantErr: true},
		{body: `{"survey_id":""}`, wantErr: true},
		{body: `null`, wantErr: true},
		{body: `"sv_1"`, wantErr: true},
		{body: `{"survey_id":1}`, wantErr: true},
		{body: `{"survey_id":"sv_1"} {"survey_id":"sv_2"}`, wantErr: true},
		{body: `{"survey_id":"sv_1"}}`, wantErr: true},
		{body: ``, wantErr: true},
	}
	for _, tt := range tests {
		got, err := sendmsg.Parse(tt.body)
		if (err != nil) != tt.wantErr {
			t.Errorf("Parse(%q) error = %v, want error %v", tt.body, err, tt.wantErr)
			continue
		}
		if err != nil && !errors.Is(err, sendmsg.ErrMalformed) {
			t.Errorf("Parse(%q) error %v is not ErrMalformed", tt.body, err)
		}
		if got.SurveyID != tt.want || got.Throttled != tt.retries {
			t.Errorf("Parse(%q) = %+v, want survey %q throttled %d", tt.body, got, tt.want, tt.retries)
		}
	}
}

// Parse reads exactly what Encode writes.
func TestEncodeParse(t *testing.T) {
	t.Parallel()
	for _, m := range []sendmsg.Message{{SurveyID: "sv_1"}, {SurveyID: `sv "quoted" \ ü`, Throttled: 2}} {
		body, err := sendmsg.Encode(m)
		if err != nil {
			t.Fatalf("Encode(%+v): %v", m, err)
		}
		if got, err := sendmsg.Parse(body); err != nil || got != m {
			t.Errorf("Parse(%s) = %+v, %v; want %+v", body, got, err, m)
		}
	}
}
