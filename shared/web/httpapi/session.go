package httpapi

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"github.com/cxloop/cxloop/shared/domain/token"
)

// Leaders sign in to the dashboard with the API key and get a session
// cookie. Sessions are stateless: the cookie is a token of package token's
// Signer, the one that signs the links, for a random session id and
// expiring with the session, under its own key derived from the API key,
// so rotating the API key ends every session. Signing out clears the cookie in that browser; a copied cookie
// stays valid until it expires.
const (
	sessionCookie = "cxloop_session"
	sessionTTL    = 12 * time.Hour
)

// sessionPurpose keeps session tokens apart from link tokens, which are
// signed under another key too.
const sessionPurpose token.Purpose = "dashboard"

// sessions signs and checks dashboard sessions.
type sessions struct {
	signer *token.Signer // nil: sign-in is impossible (no API key configured)
	keySum [32]byte
	now    func() time.Time
}

func newSessions(apiKey string, now func() time.Time) *sessions {
	s := &sessions{now: now}
	if apiKey == "" {
		return s
	}
	key, err := hkdf.Key(sha256.New, []byte(apiKey), nil, "cxloop dashboard session", token.KeySize)
	if err == nil {
		s.signer, err = token.NewSigner(key)
	}
	if err != nil {
		// hkdf.Key fails only for keys over 255 hashes long, NewSigner
		// only for keys under KeySize: neither can happen here.
		panic("dashboard session key: " + err.Error())
	}
	s.keySum = sha256.Sum256([]byte(apiKey))
	return s
}

// checkKey compares a submitted API key in constant time (over hashes, so
// not even the key's length leaks).
func (s *sessions) checkKey(got string) bool {
	if s.signer == nil {
		return false
	}
	sum := sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(sum[:], s.keySum[:]) == 1
}

// issue returns a new session cookie value and its expiry.
func (s *sessions) issue() (string, time.Time) {
	exp := s.now().Add(sessionTTL).Truncate(time.Second)
	return s.signer.Sign(sessionPurpose, rand.Text(), exp), exp
}

// verify reports whether v is a valid, unexpired session cookie value.
func (s *sessions) verify(v string) bool {
	if s.signer == nil {
		return false
	}
	_, err := s.signer.Verify(sessionPurpose, v, s.now())
	return err == nil
}

// secure reports whether the request reached us over TLS, directly or
// through a proxy (API Gateway sets X-Forwarded-Proto).
func secure(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto")), "https")
}

// setSession sets the session cookie to v for maxAge seconds (-1: clears it).
func setSession(w http.ResponseWriter, r *http.Request, v string, exp time.Time, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: v, Path: "/", Expires: exp, MaxAge: maxAge, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: secure(r),
	})
}
