package devserver_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// Every invalid input is refused with a 4xx JSON error naming the field,
// and nothing is kept: no answer, no message, and the same interaction id,
// corrected, is still new (202, not a 200 replay).
func TestDevInvalidInputsRefusedAndNothingStored(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	mod := func(f func(body, cust map[string]any)) func(id string) []byte {
		return func(id string) []byte {
			body := emailInteraction(id)
			f(body, body["customer"].(map[string]any))
			b, err := json.Marshal(body)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	valid := mod(func(map[string]any, map[string]any) {})
	fixed := func(b string) func(string) []byte { return func(string) []byte { return []byte(b) } }
	withSuffix := func(suffix string) func(string) []byte {
		return func(id string) []byte { return append(valid(id), suffix...) }
	}
	tests := []struct {
		name   string
		body   func(id string) []byte
		key    string // "" means the right key, "-" none
		status int
		code   string
		field  string
	}{
		{"bad email", mod(func(_, c map[string]any) { c["email"] = "ana at acme" }), "", 400, "invalid", "customer.email"},
		{"bad E.164 phone", mod(func(_, c map[string]any) { c["phone"] = "0415 555 0123" }), "", 400, "invalid", "customer.phone"},
		{"bad E.164 phone for sms", mod(func(b, c map[string]any) { b["channel"] = "sms"; c["phone"] = "4155550123" }), "", 400, "invalid", "customer.phone"},
		{"bad IANA timezone", mod(func(_, c map[string]any) { c["timezone"] = "Mars/Base" }), "", 400, "invalid", "customer.timezone"},
		{"Local is not a timezone", mod(func(_, c map[string]any) { c["timezone"] = "Local" }), "", 400, "invalid", "customer.timezone"},
		{"bad BCP 47 locale", mod(func(_, c map[string]any) { c["locale"] = "not a locale!" }), "", 400, "invalid", "customer.locale"},
		{"bad channel", mod(func(b, _ map[string]any) { b["channel"] = "fax" }), "", 400, "invalid", "channel"},
		{"bad survey kind", mod(func(b, _ map[string]any) { b["survey"] = "stars" }), "", 400, "invalid", "survey"},
		{"recovery is not asked by source systems", mod(func(b, _ map[string]any) { b["survey"] = "recovery" }), "", 400, "invalid", "survey"},
		{"email channel without email", mod(func(_, c map[string]any) { delete(c, "email") }), "", 400, "invalid", "customer.email"},
		{"sms channel without phone", mod(func(b, _ map[string]any) { b["channel"] = "sms" }), "", 400, "invalid", "customer.phone"},
		{"missing id", mod(func(b, _ map[string]any) { delete(b, "id") }), "", 400, "invalid", "id"},
		{"id with a slash", mod(func(b, _ map[string]any) { b["id"] = "int/1" }), "", 400, "invalid", "id"},
		{"missing customer id", mod(func(_, c map[string]any) { delete(c, "id") }), "", 400, "invalid", "customer.id"},
		{"bad occurred_at", mod(func(b, _ map[string]any) { b["occurred_at"] = "yesterday" }), "", 400, "invalid", "occurred_at"},
		{"occurred_at without zone", mod(func(b, _ map[string]any) { b["occurred_at"] = "2026-05-12T09:00:00" }), "", 400, "invalid", "occurred_at"},
		{"wrong JSON type", mod(func(b, _ map[string]any) { b["type"] = 7 }), "", 400, "invalid", "type"},
		{"malformed JSON", fixed(`{"id":"int-malformed",`), "", 400, "invalid", ""},
		{"not an object", fixed(`["int-1"]`), "", 400, "invalid", ""},
		{"empty body", fixed(""), "", 400, "invalid", ""},
		{"unknown field", mod(func(b, _ map[string]any) { b["colour"] = "red" }), "", 400, "invalid", "colour"},
		{"body over 64 KiB", mod(func(b, _ map[string]any) { b["type"] = strings.Repeat("x", 65<<10) }), "", 413, "too_large", ""},
		{"trailing garbage", withSuffix(` {"id":"int-2"}`), "", 400, "invalid", ""},
		{"trailing text", withSuffix(`garbage`), "", 400, "invalid", ""},
		{"no API key", valid, "-", 401, "unauthorized", ""},
		{"wrong API key", valid, "cxl_wrong", 401, "unauthorized", ""},
		{"API key with a suffix", valid, apiKey + "x", 401, "unauthorized", ""},
		{"unknown account, no owner, no fallback", mod(func(b, _ map[string]any) { b["account_id"] = "nobody-owns-this" }), "", 400, "invalid", "account_id"},
		{"unknown explicit owner", mod(func(b, _ map[string]any) { b["owner_id"] = "ghost" }), "", 400, "invalid", "owner_id"},
	}
	ids := make([]string, len(tests))
	for i, tt := range tests {
		ids[i] = fmt.Sprintf("int-%d", i)
		t.Run(tt.name, func(t *testing.T) {
			key := apiKey
			if tt.key != "" {
				key = tt.key
			}
			r := d.raw(http.MethodPost, "/v1/interactions", "application/json", key, tt.body(ids[i]))
			e := wantAPIError(t, r, tt.status, tt.code, tt.field)
			if tt.status == http.StatusUnauthorized && r.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("401 without WWW-Authenticate")
			}
			if strings.Contains(strings.ToLower(e.Error.Message), "goroutine") || strings.Contains(e.Error.Message, ".go:") {
				t.Errorf("error message leaks internals: %q", e.Error.Message)
			}
		})
	}

	if got := d.outbox(); len(got) != 0 {
		t.Errorf("refused interactions sent %d messages: %+v", len(got), got)
	}
	if got := d.responses(); len(got) != 0 {
		t.Errorf("refused interactions stored answers: %+v", got)
	}
	// Nothing was kept under any id: each corrected interaction is new
	// (the first is sent, the others are throttled, but none is a replay).
	for i, id := range ids {
		r := d.raw(http.MethodPost, "/v1/interactions", "application/json", apiKey, valid(id))
		if r.Status != http.StatusAccepted {
			t.Errorf("corrected interaction %s (was %q): %s, want 202 as a new interaction", id, tests[i].name, r)
		}
	}
	if got := d.sentTo(customerEmail); len(got) != 1 {
		t.Errorf("after the corrected interactions: %d emails to the customer, want one survey", len(got))
	}
}

// The directory refuses bad people and accounts the same way.
func TestDevInvalidDirectoryInputs(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	tests := []struct {
		name, path string
		body       any
		status     int
		field      string
	}{
		{"person without email", "/v1/people/sam", map[string]any{"name": "Sam"}, 400, "email"},
		{"person with bad email", "/v1/people/sam", map[string]any{"name": "Sam", "email": "sam"}, 400, "email"},
		{"person with bad phone", "/v1/people/sam", map[string]any{"name": "Sam", "email": "sam@example.com", "phone": "555"}, 400, "phone"},
		{"person as own manager", "/v1/people/sam", map[string]any{"name": "Sam", "email": "sam@example.com", "manager_id": "sam"}, 400, "manager_id"},
		{"person unknown field", "/v1/people/sam", map[string]any{"name": "Sam", "email": "sam@example.com", "mail": "x"}, 400, "mail"},
		{"account with unknown owner", "/v1/accounts/globex", map[string]any{"name": "Globex", "owner_id": "ghost"}, 400, "owner_id"},
		{"account without owner", "/v1/accounts/globex", map[string]any{"name": "Globex"}, 400, "owner_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantAPIError(t, d.api(http.MethodPut, tt.path, tt.body), tt.status, "invalid", tt.field)
		})
	}
	// Nothing was created: the first valid PUTs are creations (201).
	want(t, d.api(http.MethodPut, "/v1/people/sam", map[string]any{"name": "Sam Okafor", "email": "sam@example.com"}), http.StatusCreated, "PUT sam")
	want(t, d.api(http.MethodPut, "/v1/accounts/globex", map[string]any{"name": "Globex", "owner_id": "sam"}), http.StatusCreated, "PUT globex")
}

// Unknown routes under /v1 are JSON 404s (after the key check); the dev
// clock refuses a bad advance.
func TestDevUnknownRoutesAndBadClock(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	wantAPIError(t, d.raw(http.MethodGet, "/v1/nothing-here", "", apiKey, nil), http.StatusNotFound, "not_found", "")
	wantAPIError(t, d.raw(http.MethodGet, "/v1/nothing-here", "", "-", nil), http.StatusUnauthorized, "unauthorized", "")
	for _, body := range []string{`{"advance":"-1h"}`, `{"advance":"0s"}`, `{"advance":"soon"}`, `{"advance":"9000h"}`, `{"by":"1h"}`} {
		r := d.raw(http.MethodPost, "/dev/clock", "application/json", "-", []byte(body))
		if r.Status != http.StatusBadRequest {
			t.Errorf("POST /dev/clock %s: %s, want 400", body, r)
		}
	}
}
