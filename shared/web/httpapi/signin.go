package httpapi

import (
	"net/http"
	"strings"

	"github.com/cxloop/cxloop/shared/core/app"
)

// peopleRoutes adds sign-in, the people's home pages and the admin pages.
// Their forms post only from these pages (CrossOriginProtection, as the
// dashboard's), and the session cookie is SameSite=Strict.
func (s *Server) peopleRoutes() {
	cop := http.NewCrossOriginProtection()
	form := func(h http.HandlerFunc) http.HandlerFunc { return cop.Handler(h).ServeHTTP }
	s.mux.HandleFunc("GET /signin", s.signInForm)
	s.mux.HandleFunc("POST /signin", s.limitPages(form(s.signInRequest)))
	s.mux.HandleFunc("GET /signin/{token}", s.limitPages(s.signInConfirm))
	s.mux.HandleFunc("POST /signin/{token}", s.limitPages(form(s.signInUse)))
	s.mux.HandleFunc("POST /signout", form(s.signOut))
	s.mux.HandleFunc("GET /home", s.home)
	s.mux.Handle("GET /home/tasks/{id}", s.pageIDs(http.HandlerFunc(s.homeTask)))
	s.mux.Handle("POST /home/tasks/{id}", s.pageIDs(form(s.homeTaskAction)))
	s.mux.Handle("GET /home/customers/{id}", s.pageIDs(http.HandlerFunc(s.homeCustomer)))
	s.mux.Handle("GET /admin", http.HandlerFunc(s.admin))
	s.mux.Handle("POST /admin/import/{kind}", form(s.adminImport))
	s.mux.Handle("POST /admin/api-keys", form(s.adminCreateKey))
	s.mux.Handle("POST /admin/api-keys/{id}/revoke", s.pageIDs(form(s.adminRevokeKey)))
}

func (s *Server) signInForm(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.viewer(r); ok {
		http.Redirect(w, r, "/home", http.StatusSeeOther)
		return
	}
	s.sendPage(w, r, http.StatusOK, "en", "Sign in – cxloop", signInPage(s.app.Config().Org, ""))
}

func (s *Server) signInRequest(w http.ResponseWriter, r *http.Request) {
	if !readForm(w, r) {
		s.sendPage(w, r, http.StatusRequestEntityTooLarge, "en", "Sign in – cxloop", signInPage(s.app.Config().Org, "The form was too large."))
		return
	}
	err := s.app.RequestSignIn(r.Context(), r.PostForm.Get("email"))
	if app.CodeOf(err) == app.Invalid {
		s.sendPage(w, r, http.StatusBadRequest, "en", "Sign in – cxloop", signInPage(s.app.Config().Org, "Enter your email address."))
		return
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.sendPage(w, r, http.StatusOK, "en", "Check your email – cxloop", signInSentPage())
}

func (s *Server) signInConfirm(w http.ResponseWriter, r *http.Request) {
	p, err := s.app.SignInFor(r.Context(), r.PathValue("token"))
	if app.CodeOf(err) == app.NotFound {
		s.sendPage(w, r, http.StatusNotFound, "en", "Sign-in link – cxloop", signInGonePage())
		return
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.sendPage(w, r, http.StatusOK, "en", "Sign in – cxloop", signInConfirmPage(p.Name))
}

func (s *Server) signInUse(w http.ResponseWriter, r *http.Request) {
	v, exp, err := s.app.SignIn(r.Context(), r.PathValue("token"))
	if app.CodeOf(err) == app.NotFound {
		s.sendPage(w, r, http.StatusNotFound, "en", "Sign-in link – cxloop", signInGonePage())
		return
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	setSession(w, r, v, exp)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/home", http.StatusSeeOther)
}

// signedIn returns the request's viewer, or sends them to sign in.
func (s *Server) signedIn(w http.ResponseWriter, r *http.Request) (app.Viewer, bool) {
	v, ok := s.viewer(r)
	if !ok {
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return app.Viewer{}, false
	}
	return v, true
}

// forbiddenPage answers a signed-in person asking for a page their roles
// do not open.
func (s *Server) forbiddenPage(w http.ResponseWriter, r *http.Request, what string) {
	s.sendPage(w, r, http.StatusForbidden, "en", "Not for you – cxloop", notAllowedPage(what))
}

// rolesText lists roles for a heading: "owner, manager".
func rolesText(v app.Viewer) string {
	if v.Person.ID == "" {
		return "API key"
	}
	var parts []string
	for _, r := range v.Person.RolesOrDefault() {
		parts = append(parts, string(r))
	}
	return strings.Join(parts, ", ")
}
