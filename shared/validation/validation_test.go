package validation_test

import (
	"errors"
	"testing"

	"github.com/cxloop/cxloop/shared/app"
	"github.com/cxloop/cxloop/shared/validation"
)

// E.164 numbers carry their leading "+": "4155550123" is a national
// number without a country code, and a text to it goes nowhere (or to
// the wrong person); an inbound "from" without "+" never matches the
// "+…" number a survey was sent to.
func TestValidatorE164NeedsPlus(t *testing.T) {
	t.Parallel()
	v := validation.New()
	contact := func(phone string) app.Contact { return app.Contact{ID: "c1", Name: "Kai", Phone: phone} }
	tests := []struct {
		name  string
		value any
		ok    bool
		field string
	}{
		{"contact with +", contact("+14155550123"), true, ""},
		{"contact without +", contact("14155550123"), false, "phone"},
		{"contact national", contact("4155550123"), false, "phone"},
		{"contact spaces", contact("+1 415 555 0123"), false, "phone"},
		{"contact leading zero", contact("+04155550123"), false, "phone"},
		{"person without +", app.PersonInput{Name: "P", Email: "p@example.com", Phone: "447700900123"}, false, "phone"},
		{"inbound without +", app.InboundSMS{From: "14155550123", Body: "9"}, false, "from"},
		{"inbound with +", app.InboundSMS{From: "+14155550123", Body: "9"}, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := v.Struct(tt.value)
			if tt.ok {
				if err != nil {
					t.Errorf("refused: %v", err)
				}
				return
			}
			var e *app.Error
			if err == nil {
				t.Fatalf("%+v accepted", tt.value)
			}
			if !errors.As(err, &e) || e.Code != app.Invalid || e.Fields[tt.field] == "" {
				t.Errorf("error %v does not name %q", err, tt.field)
			}
		})
	}
}
