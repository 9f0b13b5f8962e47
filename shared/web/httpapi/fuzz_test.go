package httpapi

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cxloop/cxloop/shared/core/app"
)

// FuzzDecodeInteraction: any body either decodes into an interaction or
// is refused with a client error code — never a panic, never Internal.
func FuzzDecodeInteraction(f *testing.F) {
	for _, seed := range []string{
		`{"id":"i1","occurred_at":"2026-11-23T10:00:00Z","type":"ticket","channel":"email","survey":"nps","customer":{"id":"c1","name":"Ana","email":"a@example.com"},"account_id":"acme"}`,
		`{}`, `[]`, `null`, `{"id":1}`, `{"customer":{"id":{}}}`, `{"nope":true}`, `{"id":"a"}{"id":"b"}`, `{"id":"a"`, "\xff",
		`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/v1/interactions", bytes.NewReader(body))
		w := httptest.NewRecorder()
		var in app.Interaction
		err := DecodeJSON(w, r, &in)
		if err == nil {
			return
		}
		switch code := app.CodeOf(err); code {
		case app.Invalid, codeTooLarge:
		default:
			t.Fatalf("DecodeJSON(%q) = %v (code %s), want a client error", body, err, code)
		}
	})
}
