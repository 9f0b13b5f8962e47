package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cxloop/cxloop/shared/core/store"
	"github.com/cxloop/cxloop/shared/domain/access"
	"github.com/cxloop/cxloop/shared/domain/directory"
	"github.com/cxloop/cxloop/shared/domain/loop"
	"github.com/cxloop/cxloop/shared/domain/message"
	"github.com/cxloop/cxloop/shared/domain/token"
)

// People sign in without passwords: a link emailed to them, single-use and
// valid for SignInTTL, opens a session of SessionTTL, kept in the store so
// that signing out ends it at once, everywhere.
const (
	SignInTTL  = 15 * time.Minute
	SessionTTL = 12 * time.Hour
	// At most SignInsPerWindow links go to one address per SignInWindow.
	SignInsPerWindow = 3
	SignInWindow     = 15 * time.Minute
)

// ErrNoSession is returned for a missing, forged, expired or ended session.
var ErrNoSession = &Error{Code: Unauthorized, Message: "please sign in"}

// Viewer is who a page is for: a person signed in with a link, or an API
// key exchanged for a session at the dashboard.
type Viewer struct {
	Session access.Session
	Person  directory.Person // a person's session
	Key     access.Key       // a key's session
}

// Is reports whether the viewer acts in role r: a person's roles; a key
// with admin scope is an admin, one with read scope a leader.
func (v Viewer) Is(r directory.Role) bool {
	if v.Session.PersonID != "" {
		return v.Person.Is(r)
	}
	switch r {
	case directory.Admin:
		return v.Key.Allows(access.Admin)
	case directory.Leader:
		return v.Key.Allows(access.Read)
	}
	return false
}

// Actor is the viewer as the author of an action.
func (v Viewer) Actor() loop.Actor {
	if v.Session.PersonID != "" {
		return loop.Actor{PersonID: v.Person.ID, Name: v.Person.Name, Via: loop.ViaPage}
	}
	return loop.Actor{KeyID: v.Key.ID, Name: "API key " + v.Key.Name, Via: loop.ViaPage}
}

// Location is where the viewer's times are written.
func (v Viewer) Location() *time.Location { return v.Person.Location() }

// RequestSignIn emails a sign-in link to the person with that address, if
// there is one and they have not had SignInsPerWindow links lately. It
// says nothing about whether there was: the caller answers the same page
// either way, so an address cannot be probed.
func (a *App) RequestSignIn(ctx context.Context, email string) error {
	email = strings.TrimSpace(email)
	if email == "" || len(email) > 254 || strings.ContainsFunc(email, StrayControl) {
		return FieldError("email", "is required: your email address")
	}
	people, err := a.store.PeopleByEmail(ctx, email)
	if err != nil {
		return fmt.Errorf("sign in: %w", err)
	}
	if len(people) != 1 {
		// Nobody, or an address several people share: no link, since it
		// could not say whose session to open.
		a.log.InfoContext(ctx, "sign-in asked for an address that is not one person's", "people", len(people))
		return nil
	}
	p := people[0]
	now := a.Now()
	sum := sha256.Sum256([]byte(strings.ToLower(email)))
	allowed := false
	if _, err := a.store.SignInLimits.Upsert(ctx, hex.EncodeToString(sum[:16]), func(w *access.SignInWindow, _ bool) error {
		w.Address = hex.EncodeToString(sum[:16])
		allowed = w.Allow(now, SignInWindow, SignInsPerWindow)
		if !allowed {
			return store.ErrNoChange
		}
		return nil
	}); err != nil {
		return fmt.Errorf("sign in: %w", err)
	}
	if !allowed {
		a.log.WarnContext(ctx, "sign-in links limited for an address", "person_id", p.ID)
		return nil
	}
	in := access.SignIn{ID: rand.Text(), PersonID: p.ID, ExpiresAt: now.Add(SignInTTL)}
	if err := a.store.SignIns.Create(ctx, in); err != nil {
		return fmt.Errorf("sign in: %w", err)
	}
	link := a.cfg.BaseURL + "/signin/" + a.signer.Sign(token.SignIn, in.ID, in.ExpiresAt)
	m, err := message.SignInEmail(p.Email, p.Name, a.cfg.Org, link, SignInTTL)
	if err != nil {
		return err
	}
	m.Tags = map[string]string{"purpose": "signin"}
	id, err := a.mail.SendEmail(ctx, m)
	if err != nil {
		return fmt.Errorf("sign in: send the link: %w", err)
	}
	a.logMessage(ctx, message.Record{ID: id, Channel: "email", To: p.Email, Purpose: "signin", Subject: m.Subject})
	a.log.InfoContext(ctx, "sign-in link sent", "person_id", p.ID)
	return nil
}

// SignInFor resolves a sign-in link without using it, for the page that
// asks the person to confirm: mail scanners open links, and a link opened
// by one must still work for the person.
func (a *App) SignInFor(ctx context.Context, tok string) (directory.Person, error) {
	in, err := a.signInOf(ctx, tok)
	if err != nil {
		return directory.Person{}, err
	}
	p, err := a.store.People.Get(ctx, in.PersonID)
	if err != nil {
		return directory.Person{}, &Error{Code: NotFound, Message: "this sign-in link is not valid", Err: err}
	}
	return p, nil
}

func (a *App) signInOf(ctx context.Context, tok string) (access.SignIn, error) {
	id, err := a.signer.Verify(token.SignIn, tok, a.Now())
	if err != nil {
		return access.SignIn{}, &Error{Code: NotFound, Message: "this sign-in link is not valid", Err: err}
	}
	in, err := a.store.SignIns.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (!in.UsedAt.IsZero() || !a.Now().Before(in.ExpiresAt))) {
		return access.SignIn{}, &Error{Code: NotFound, Message: "this sign-in link is used or has expired: ask for a new one"}
	}
	return in, err
}

// SignIn uses a sign-in link, once, and opens a session: it returns the
// session cookie's value and when it expires.
func (a *App) SignIn(ctx context.Context, tok string) (string, time.Time, error) {
	in, err := a.signInOf(ctx, tok)
	if err != nil {
		return "", time.Time{}, err
	}
	now := a.Now()
	if _, err := a.store.SignIns.Update(ctx, in.ID, func(x *access.SignIn) error {
		if !x.UsedAt.IsZero() {
			return &Error{Code: NotFound, Message: "this sign-in link is used or has expired: ask for a new one"}
		}
		x.UsedAt = now
		return nil
	}); err != nil {
		return "", time.Time{}, err
	}
	a.log.InfoContext(ctx, "signed in", "person_id", in.PersonID)
	return a.openSession(ctx, access.Session{PersonID: in.PersonID})
}

// KeySession opens a dashboard session for an API key that may read.
func (a *App) KeySession(ctx context.Context, secret string) (string, time.Time, error) {
	k, err := a.Authenticate(ctx, secret)
	if err != nil {
		return "", time.Time{}, err
	}
	if !k.Allows(access.Read) {
		return "", time.Time{}, Errorf(Forbidden, "this API key may not read the reports")
	}
	return a.openSession(ctx, access.Session{KeyID: k.ID})
}

func (a *App) openSession(ctx context.Context, s access.Session) (string, time.Time, error) {
	now := a.Now()
	s.ID, s.CreatedAt, s.ExpiresAt = rand.Text(), now, now.Add(SessionTTL).Truncate(time.Second)
	if err := a.store.Sessions.Create(ctx, s); err != nil {
		return "", time.Time{}, fmt.Errorf("open session: %w", err)
	}
	return a.signer.Sign(token.Session, s.ID, s.ExpiresAt), s.ExpiresAt, nil
}

// ViewerOf returns who a session cookie is for; ErrNoSession unless it is
// a live session of a person still in the directory, or of a key not
// revoked.
func (a *App) ViewerOf(ctx context.Context, cookie string) (Viewer, error) {
	now := a.Now()
	id, err := a.signer.Verify(token.Session, cookie, now)
	if err != nil {
		return Viewer{}, ErrNoSession
	}
	s, err := a.store.Sessions.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !s.Live(now)) {
		return Viewer{}, ErrNoSession
	}
	if err != nil {
		return Viewer{}, fmt.Errorf("session: %w", err)
	}
	v := Viewer{Session: s}
	if s.PersonID != "" {
		if v.Person, err = a.store.People.Get(ctx, s.PersonID); err != nil {
			return Viewer{}, ErrNoSession
		}
		return v, nil
	}
	if v.Key, err = a.store.APIKeys.Get(ctx, s.KeyID); err != nil || v.Key.Revoked() {
		return Viewer{}, ErrNoSession
	}
	return v, nil
}

// SignOut ends the session of a cookie, for good. Ending one that is not
// live is harmless.
func (a *App) SignOut(ctx context.Context, cookie string) error {
	id, err := a.signer.Verify(token.Session, cookie, a.Now())
	if err != nil {
		return nil
	}
	now := a.Now()
	_, err = a.store.Sessions.Update(ctx, id, func(s *access.Session) error {
		if !s.RevokedAt.IsZero() {
			return store.ErrNoChange
		}
		s.RevokedAt = now
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}
