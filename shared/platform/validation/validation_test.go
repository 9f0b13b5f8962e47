package validation_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/platform/validation"
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

// Every string field, at any depth, is refused with a stray control
// character; tabs and line breaks are fine, and a field's own tag speaks
// first.
func TestValidatorRefusesStrayControls(t *testing.T) {
	t.Parallel()
	v := validation.New()
	ok := app.Interaction{
		ID: "int-1", OccurredAt: "2026-05-12T09:00:00Z", Type: "support_ticket", Channel: "email", Survey: "nps",
		Customer: app.Contact{ID: "c1", Name: "Ana", Email: "ana@example.com", Locale: "en_GB"}, AccountID: "acme",
	}
	if err := v.Struct(ok); err != nil {
		t.Fatalf("valid interaction refused: %v", err)
	}
	tests := []struct {
		name, field, problem string
		value                any
	}{
		{"notes with NUL", "notes", "control characters", app.CompleteInput{Outcome: "resolved", RootCause: "other", Notes: "a\x00b"}},
		{"note to customer with ESC", "message_to_customer", "control characters", app.CompleteInput{Outcome: "resolved", RootCause: "other", MessageToCustomer: "\x1b[2J"}},
		{"nested name", "customer.name", "line breaks", func() app.Interaction { in := ok; in.Customer.Name = "A\nna"; return in }()},
		{"nested C1", "customer.name", "control", func() app.Interaction { in := ok; in.Customer.Name = "A\u0085na"; return in }()},
		{"offset 24h", "occurred_at", "offset under 24 hours", func() app.Interaction { in := ok; in.OccurredAt = "2026-05-12T09:00:00+24:00"; return in }()},
		{"dot id", "id", "not", func() app.Interaction { in := ok; in.ID = ".."; return in }()},
		{"bad locale", "customer.locale", "BCP 47", func() app.Interaction { in := ok; in.Customer.Locale = "en GB"; return in }()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var e *app.Error
			if err := v.Struct(tt.value); !errors.As(err, &e) || e.Code != app.Invalid || !strings.Contains(e.Fields[tt.field], tt.problem) {
				t.Errorf("Struct = %v, want %s: ...%s...", err, tt.field, tt.problem)
			}
		})
	}
	multi := app.CompleteInput{Outcome: "resolved", RootCause: "other", Notes: "called\r\n\tsorted", MessageToCustomer: "Hi,\n\nsorted."}
	if err := v.Struct(multi); err != nil {
		t.Errorf("multi-line notes refused: %v", err)
	}
}

func TestValidatorLocale(t *testing.T) {
	t.Parallel()
	v := validation.New()
	for in, want := range map[string]string{"en_GB": "en-GB", "en-gb": "en-GB", "EN": "en", "pt_br": "pt-BR", "es-419": "es-419", "zh-Hant-TW": "zh-Hant-TW"} {
		if got, ok := v.Locale(in); !ok || got != want {
			t.Errorf("CanonicalLocale(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "not a locale", "en_GB_x_y_z_", "12"} {
		if got, ok := v.Locale(bad); ok {
			t.Errorf("CanonicalLocale(%q) = %q, want refused", bad, got)
		}
	}
}
