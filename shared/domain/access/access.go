// Package access says who may do what: the scopes of API keys and how a
// key is made, kept and checked. A key's secret is shown once, when it is
// made, and kept only as a hash.
package access

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"slices"
	"strings"
	"time"
)

// Scope is what an API key may do.
type Scope string

// The scopes.
const (
	// Ingest: report interactions (POST /v1/interactions) and inbound hooks.
	Ingest Scope = "ingest"
	// Read: responses, tasks, reports and timelines.
	Read Scope = "read"
	// Tasks: act on follow-ups (complete, reassign, acknowledge, resend a link).
	Tasks Scope = "tasks"
	// Admin: everything, including people, accounts, keys, settings and erasure.
	Admin Scope = "admin"
)

// Scopes lists every scope, in the order documentation shows them.
func Scopes() []Scope { return []Scope{Ingest, Read, Tasks, Admin} }

// Valid reports whether s is a known scope.
func (s Scope) Valid() bool { return slices.Contains(Scopes(), s) }

// Key is an API key as it is stored: its secret only as a hash.
type Key struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Scopes    []Scope   `json:"scopes"`
	Hash      string    `json:"hash"`
	CreatedAt time.Time `json:"created_at"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

// Allows reports whether the key may act with scope s: it holds s, or admin.
func (k Key) Allows(s Scope) bool {
	return slices.Contains(k.Scopes, s) || slices.Contains(k.Scopes, Admin)
}

// Revoked reports whether the key was revoked.
func (k Key) Revoked() bool { return !k.RevokedAt.IsZero() }

// InitialKeyID is the id of the key the deployment is configured with
// (CXLOOP_API_KEY): an admin key, kept like any other so that it can be
// revoked, and checked against the configured secret.
const InitialKeyID = "initial"

// prefix starts every key made here, so a key can be told from the
// initial key (any string of at least 16 characters) without a lookup.
const prefix = "cxk_"

// NewKey makes a key for id: the secret to show once, and its hash to keep.
// The secret carries the id, so that checking it is one read.
func NewKey(id string) (secret, hash string) {
	secret = prefix + id + "_" + rand.Text() + rand.Text()
	return secret, Hash(secret)
}

// NewID returns a fresh key id.
func NewID() string { return strings.ToLower(rand.Text()[:16]) }

// IDOf returns the id a secret names, or InitialKeyID for a secret not
// made here (the configured initial key).
func IDOf(secret string) string {
	rest, ok := strings.CutPrefix(secret, prefix)
	if !ok {
		return InitialKeyID
	}
	id, _, ok := strings.Cut(rest, "_")
	if !ok || id == "" {
		return InitialKeyID
	}
	return id
}

// Hash is what is kept of a secret. Keys are random (256 bits), so one
// SHA-256 is enough: there is nothing to guess that a slow hash would
// protect.
func Hash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// Matches reports, in constant time, whether secret is the key's.
func (k Key) Matches(secret string) bool {
	return subtle.ConstantTimeCompare([]byte(Hash(secret)), []byte(k.Hash)) == 1
}

// Session is a signed-in visit to the pages: a person who signed in with
// a link emailed to them, or an API key exchanged at the dashboard. It is
// kept, so that signing out ends it everywhere at once.
type Session struct {
	ID string `json:"id"`
	// PersonID is who signed in; KeyID the API key, for a key's session.
	PersonID  string    `json:"person_id,omitempty"`
	KeyID     string    `json:"key_id,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

// Live reports whether the session still works at now.
func (s Session) Live(now time.Time) bool { return s.RevokedAt.IsZero() && now.Before(s.ExpiresAt) }

// SignIn is a single-use sign-in link emailed to a person.
type SignIn struct {
	ID        string    `json:"id"`
	PersonID  string    `json:"person_id"`
	ExpiresAt time.Time `json:"expires_at"`
	UsedAt    time.Time `json:"used_at,omitzero"`
}

// SignInWindow counts a person's sign-in emails, to limit them.
type SignInWindow struct {
	// Address is the hash of the email address the links were asked for.
	Address string      `json:"address"`
	Sent    []time.Time `json:"sent"`
}

// Allow reports whether another email may go at now, at most max in the
// window before it, and records it if so (older ones are forgotten).
func (w *SignInWindow) Allow(now time.Time, window time.Duration, max int) bool {
	kept := w.Sent[:0]
	for _, t := range w.Sent {
		if now.Sub(t) < window {
			kept = append(kept, t)
		}
	}
	w.Sent = kept
	if len(w.Sent) >= max {
		return false
	}
	w.Sent = append(w.Sent, now)
	return true
}
