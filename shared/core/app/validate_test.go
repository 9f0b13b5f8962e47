package app_test

import (
	"strings"
	"testing"

	"github.com/cxloop/cxloop/shared/core/app"
)

func TestValidID(t *testing.T) {
	t.Parallel()
	for id, want := range map[string]bool{
		"int-1": true, "a": true, "A_b.c:d@e": true,
		"": false, "a b": false, "a/b": false, "a?b": false, "a#b": false, "a%b": false, `a\b`: false, `a"b`: false,
		"é": false, "a\x7f": false, ".": false, "..": false, "...": true, ".a": true,
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

func TestParseTime(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"2026-11-23T10:00:00Z": true, "2026-11-23T10:00:00.5+01:00": true, "2026-11-23T10:00:00+23:59": true,
		"2026-11-23T10:00:00-23:59": true, "2026-11-23T10:00:00+24:00": false, "2026-11-23T10:00:00-24:00": false,
		"2026-11-23T10:00:00+25:30": false, "2026-11-23T10:00:00": false, "2026-11-23": false, "": false,
	} {
		if _, ok := app.ParseTime(s); ok != want {
			t.Errorf("ParseTime(%q) ok = %v, want %v", s, ok, want)
		}
	}
}

func TestCleanText(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"plain":              "plain",
		"a\x00b":             "ab",
		"line\r\nbreak\rold": "line\nbreak\nold",
		"tab\tkept":          "tab\tkept",
		"\x1b[31mred\x1b[0m": "[31mred[0m",
		"c1\u0085\u009b":     "c1",
		"emoji 👍 ok":         "emoji 👍 ok",
	} {
		if got := app.CleanText(in); got != want {
			t.Errorf("CleanText(%q) = %q, want %q", in, got, want)
		}
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
