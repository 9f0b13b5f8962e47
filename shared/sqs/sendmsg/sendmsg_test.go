package sendmsg_test

import (
	"errors"
	"testing"

	"github.com/cxloop/cxloop/shared/sqs/sendmsg"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body    string
		want    string
		wantErr bool
	}{
		{body: `{"survey_id":"sv_1"}`, want: "sv_1"},
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
		if got != tt.want {
			t.Errorf("Parse(%q) = %q, want %q", tt.body, got, tt.want)
		}
	}
}

// Parse reads exactly what Encode writes.
func TestEncodeParse(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"sv_1", `sv "quoted" \ ü`} {
		body, err := sendmsg.Encode(id)
		if err != nil {
			t.Fatalf("Encode(%q): %v", id, err)
		}
		if got, err := sendmsg.Parse(body); err != nil || got != id {
			t.Errorf("Parse(%s) = %q, %v; want %q", body, got, err, id)
		}
	}
}
