// Package token makes and checks the signed links that open the survey,
// unsubscribe and task pages: HMAC-SHA256 over purpose, subject and expiry,
// compared in constant time, so a link cannot be forged, altered, reused for
// another page or used after it expires.
package token

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Purpose binds a token to one kind of page.
type Purpose string

// Purposes.
const (
	Survey      Purpose = "s"
	Unsubscribe Purpose = "u"
	Task        Purpose = "t"
	// SignIn is a sign-in link emailed to a person; Session a session cookie.
	SignIn  Purpose = "signin"
	Session Purpose = "session"
)

// ErrInvalid is returned for every token that must not be honoured:
// malformed, tampered, expired or of another purpose. Callers answer 404
// without saying which, so probing learns nothing.
var ErrInvalid = errors.New("invalid link token")

// KeySize is the signing key's length in bytes.
const KeySize = 32

const version = "1"

// Signer signs and verifies tokens with one secret key.
type Signer struct{ key []byte }

// NewSigner returns a Signer for key, which must be KeySize random bytes.
func NewSigner(key []byte) (*Signer, error) {
	if len(key) < KeySize {
		return nil, fmt.Errorf("signing key is %d bytes; it must be at least %d", len(key), KeySize)
	}
	return &Signer{key: append([]byte(nil), key...)}, nil
}

// NewKey returns a fresh random signing key.
func NewKey() ([]byte, error) {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	return k, nil
}

// sep separates the payload's fields; subjects are ids and never hold it.
const sep = "\n"

// Sign returns a token for subject that is valid for p until expires.
func (s *Signer) Sign(p Purpose, subject string, expires time.Time) string {
	payload := version + sep + string(p) + sep + subject + sep + strconv.FormatInt(expires.Unix(), 36)
	return base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + s.mac(payload)
}

// Verify returns the subject of a valid token of purpose p at now.
func (s *Signer) Verify(p Purpose, tok string, now time.Time) (string, error) {
	// Only the alphabet Sign writes: the base64 decoder would skip line
	// breaks, letting other spellings of a token verify.
	if len(tok) > 512 || strings.IndexFunc(tok, notTokenChar) >= 0 {
		return "", ErrInvalid
	}
	enc, sig, ok := strings.Cut(tok, ".")
	if !ok {
		return "", ErrInvalid
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(enc)
	if err != nil {
		return "", ErrInvalid
	}
	payload := string(raw)
	if !hmac.Equal([]byte(sig), []byte(s.mac(payload))) {
		return "", ErrInvalid
	}
	parts := strings.Split(payload, sep)
	if len(parts) != 4 || parts[0] != version || parts[1] != string(p) || parts[2] == "" {
		return "", ErrInvalid
	}
	exp, err := strconv.ParseInt(parts[3], 36, 64)
	if err != nil || !now.Before(time.Unix(exp, 0)) {
		return "", ErrInvalid
	}
	return parts[2], nil
}

func notTokenChar(r rune) bool {
	return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
}

// Redact shortens a token for logs: enough to correlate, never enough to use.
func Redact(tok string) string {
	if len(tok) <= 8 {
		return "…"
	}
	return tok[:8] + "…"
}

func (s *Signer) mac(payload string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
