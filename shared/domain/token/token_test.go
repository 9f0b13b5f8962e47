package token_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/domain/token"
)

var (
	now     = time.Date(2026, 5, 12, 9, 0, 0, 0, time.UTC)
	expires = now.Add(21 * 24 * time.Hour)
)

func newSigner(t *testing.T, seed byte) *token.Signer {
	t.Helper()
	s, err := token.NewSigner(bytes.Repeat([]byte{seed}, token.KeySize))
	if err != nil {
		t.Fatalf("NewSigner: %v", err)
	}
	return s
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	s := newSigner(t, 1)
	for _, p := range []token.Purpose{token.Survey, token.Unsubscribe, token.Task} {
		for _, subject := range []string{"sv_abc", "tk_x-y_z.1", strings.Repeat("a", 128)} {
			tok := s.Sign(p, subject, expires)
			got, err := s.Verify(p, tok, now)
			if err != nil || got != subject {
				t.Errorf("Verify(%s, Sign(%q)) = %q, %v", p, subject, got, err)
			}
			if strings.ContainsAny(tok, "/?#%+= \n") {
				t.Errorf("token %q is not URL-path safe", tok)
			}
		}
	}
}

func TestVerifyRefuses(t *testing.T) {
	t.Parallel()
	s := newSigner(t, 1)
	other := newSigner(t, 2)
	good := s.Sign(token.Survey, "sv_abc", expires)
	payload, sig, _ := strings.Cut(good, ".")
	flip := func(str string, i int) string {
		b := []byte(str)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	tests := []struct {
		name string
		tok  string
		p    token.Purpose
		at   time.Time
	}{
		{"tampered payload", flip(payload, 2) + "." + sig, token.Survey, now},
		{"tampered signature", payload + "." + flip(sig, 5), token.Survey, now},
		{"signature of another payload", other.Sign(token.Survey, "sv_abc", expires), token.Survey, now},
		{"swapped subject, kept signature", strings.Split(s.Sign(token.Survey, "sv_evil", expires), ".")[0] + "." + sig, token.Survey, now},
		{"truncated signature", good[:len(good)-1], token.Survey, now},
		{"truncated to payload", payload, token.Survey, now},
		{"truncated to payload and dot", payload + ".", token.Survey, now},
		{"truncated payload", payload[1:] + "." + sig, token.Survey, now},
		{"extra dot", good + ".x", token.Survey, now},
		{"wrong purpose: unsubscribe", good, token.Unsubscribe, now},
		{"wrong purpose: task", good, token.Task, now},
		{"wrong purpose: unknown", good, "x", now},
		{"expired at exactly the expiry instant", good, token.Survey, expires},
		{"expired after", good, token.Survey, expires.Add(time.Hour)},
		{"other key", good, token.Survey, now},
		{"garbage", "not-a-token", token.Survey, now},
		{"garbage with dot", "!!!.???", token.Survey, now},
		{"empty", "", token.Survey, now},
		{"only a dot", ".", token.Survey, now},
		{"too long", good + strings.Repeat("A", 600), token.Survey, now},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			signer := s
			if tt.name == "other key" {
				signer = other
			}
			got, err := signer.Verify(tt.p, tt.tok, tt.at)
			if !errors.Is(err, token.ErrInvalid) || got != "" {
				t.Errorf("Verify = %q, %v; want \"\", ErrInvalid", got, err)
			}
		})
	}
}

// Every single-character change of a token must be refused: no two strings
// are the same link (base64 padding bits would allow that when decoding is
// not strict).
func TestVerifyRefusesEveryOneCharacterChange(t *testing.T) {
	t.Parallel()
	s := newSigner(t, 1)
	for _, subject := range []string{"sv_a", "sv_ab", "sv_abc", "sv_abcd"} {
		good := s.Sign(token.Survey, subject, expires)
		for i := range len(good) {
			for _, c := range []byte("AQgwBCDabc-_0.") {
				if good[i] == c {
					continue
				}
				b := []byte(good)
				b[i] = c
				if got, err := s.Verify(token.Survey, string(b), now); err == nil {
					t.Errorf("token %q changed at %d to %q still verifies (subject %q)", good, i, c, got)
				}
			}
		}
	}
}

func TestVerifyJustBeforeExpiry(t *testing.T) {
	t.Parallel()
	s := newSigner(t, 1)
	tok := s.Sign(token.Task, "tk_1", expires)
	if _, err := s.Verify(token.Task, tok, expires.Add(-time.Nanosecond)); err != nil {
		t.Errorf("1ns before expiry: %v", err)
	}
}

func TestEmptySubjectRefused(t *testing.T) {
	t.Parallel()
	s := newSigner(t, 1)
	if _, err := s.Verify(token.Survey, s.Sign(token.Survey, "", expires), now); !errors.Is(err, token.ErrInvalid) {
		t.Errorf("empty subject: %v, want ErrInvalid", err)
	}
}

func TestNewSigner(t *testing.T) {
	t.Parallel()
	if _, err := token.NewSigner(make([]byte, token.KeySize-1)); err == nil {
		t.Error("short key accepted")
	}
	if _, err := token.NewSigner(nil); err == nil {
		t.Error("nil key accepted")
	}
	// The signer keeps its own copy of the key.
	key := bytes.Repeat([]byte{7}, token.KeySize)
	s, err := token.NewSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	tok := s.Sign(token.Survey, "sv_1", expires)
	key[0] = 8
	if _, err := s.Verify(token.Survey, tok, now); err != nil {
		t.Errorf("changing the caller's key slice changed the signer: %v", err)
	}
}

func TestNewKey(t *testing.T) {
	t.Parallel()
	a, err := token.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	b, err := token.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != token.KeySize || bytes.Equal(a, b) {
		t.Errorf("NewKey: len %d, two keys equal: %v", len(a), bytes.Equal(a, b))
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	s := newSigner(t, 1)
	for _, tok := range []string{"", "a", "12345678", "123456789", s.Sign(token.Survey, "sv_abc", expires)} {
		got := token.Redact(tok)
		if tok != "" && strings.Contains(got, tok) {
			t.Errorf("Redact(%q) = %q contains the whole token", tok, got)
		}
		if len(tok) > 8 && !strings.HasPrefix(got, tok[:8]) {
			t.Errorf("Redact(%q) = %q; want the first 8 characters to correlate", tok, got)
		}
	}
}
