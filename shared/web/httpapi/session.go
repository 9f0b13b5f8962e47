package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/cxloop/cxloop/shared/core/app"
)

// People sign in with a link emailed to them; a leader may also exchange
// an API key that can read for a dashboard session. Either way the session
// is kept by the core (app.SessionTTL), so signing out ends it at once and
// everywhere; the cookie only names it, under the link signer.
const sessionCookie = "cxloop_session"

// secure reports whether the request reached us over TLS, directly or
// through a proxy (API Gateway sets X-Forwarded-Proto).
func secure(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto")), "https")
}

// setSession sets the session cookie to v until exp ("" clears it).
func setSession(w http.ResponseWriter, r *http.Request, v string, exp time.Time) {
	c := &http.Cookie{
		Name: sessionCookie, Value: v, Path: "/", Expires: exp, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: secure(r),
	}
	if v == "" {
		c.MaxAge = -1
	} else {
		c.MaxAge = int(app.SessionTTL / time.Second) // the session's own life, set by the core
	}
	http.SetCookie(w, c)
}

// viewer returns who the request's session is for, if it has a live one.
func (s *Server) viewer(r *http.Request) (app.Viewer, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return app.Viewer{}, false
	}
	v, err := s.app.ViewerOf(r.Context(), c.Value)
	if err != nil {
		if app.CodeOf(err) != app.Unauthorized {
			logger(r.Context()).ErrorContext(r.Context(), "session lookup failed", "err", err)
		}
		return app.Viewer{}, false
	}
	return v, true
}

// signOut ends the request's session (if any) and clears the cookie.
func (s *Server) signOut(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := s.app.SignOut(r.Context(), c.Value); err != nil {
			s.pageError(w, r, err)
			return
		}
	}
	setSession(w, r, "", time.Time{})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}
