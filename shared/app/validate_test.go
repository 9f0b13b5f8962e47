package app_test

import (
	"strings"
	"testing"

	"github.com/cxloop/cxloop/shared/app"
)

func TestValidID(t *testing.T) {
	t.Parallel()
	for id, want := range map[string]bool{
		"int-1": true, "a": true, "A_b.c:d@e": true,
		"": false, "a b": false, "a/b": false, "a?b": false, "a#b": false, "a%b": false, `a\b`: false, `a"b`: false,
		"é": false, "a\x7f": false,
	} {
		if got := app.ValidID(id); got != want {
			t.Errorf("ValidID(%q) = %v, want %v", id, got, want)
		}
	}
	long := make([]byte, 129)
	for i := range long {
		long[i] = 'a'
	}
	if app.ValidID(string(long)) || !app.ValidID(string(long[:128])) {
		t.Error("ValidID length limit is not 128")
	}
}

// A core without a Validator refuses the input it would have validated
// instead of taking it unchecked.
func TestNoValidatorRefusesInput(t *testing.T) {
	t.Parallel()
	a, _ := reportApp(t, reportNow)
	_, err := a.ReceiveSMS(t.Context(), app.InboundSMS{From: "+14155550123", Body: "9"})
	if app.CodeOf(err) != app.Internal || err == nil || !strings.Contains(err.Error(), "not set up to validate input") {
		t.Errorf("ReceiveSMS without a validator = %v, want an internal error saying so", err)
	}
	if _, _, err := a.PutPerson(t.Context(), "p1", app.PersonInput{Name: "P", Email: "p@example.com"}); app.CodeOf(err) != app.Internal {
		t.Errorf("PutPerson without a validator = %v, want an internal error", err)
	}
}
