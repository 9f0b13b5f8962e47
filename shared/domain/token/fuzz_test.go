package token

import (
	"bytes"
	"testing"
	"time"
)

// FuzzVerify: no string other than one the signer made verifies, and
// nothing panics.
func FuzzVerify(f *testing.F) {
	s, err := NewSigner(bytes.Repeat([]byte{7}, KeySize))
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	valid := s.Sign(Survey, "sv_abc", now.Add(time.Hour))
	for _, seed := range []string{valid, valid + "x", "", ".", "MQ.abc", valid[:len(valid)-1]} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		// The only token signed with this key is valid: anything else that
		// verifies would be a forgery or a second spelling of it.
		if _, err := s.Verify(Survey, tok, now); err == nil && tok != valid {
			t.Fatalf("Verify accepted %q, which the signer did not make", tok)
		}
	})
}
