package httpapi

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/domain/access"
	"github.com/cxloop/cxloop/shared/domain/directory"
)

// adminView is what the admin page shows.
type adminView struct {
	Flash, Query, Next string
	NewKey, NewKeyName string // a key just made: its secret, shown once
	People             []personRow
	Keys               []keyRow
	Import             *importView
}

type personRow struct{ Name, Email, Team, Roles, Manager, TZ string }

type keyRow struct{ ID, Name, Scopes, Created, Revoked string }

type importView struct {
	Title, Problem, Summary string
	Errors                  []importRow
}

type importRow struct{ Row, Field, Message string }

// admin serves the directory, its imports and the API keys to admins.
func (s *Server) admin(w http.ResponseWriter, r *http.Request) {
	v, ok := s.adminViewer(w, r)
	if !ok {
		return
	}
	s.renderAdmin(w, r, v, http.StatusOK, adminView{Flash: r.URL.Query().Get("done")})
}

// adminViewer is the request's viewer, if an admin; it answers otherwise.
func (s *Server) adminViewer(w http.ResponseWriter, r *http.Request) (app.Viewer, bool) {
	v, ok := s.signedIn(w, r)
	if !ok {
		return v, false
	}
	if !v.Is(directory.Admin) {
		s.forbiddenPage(w, r, "The directory, imports and API keys are for admins.")
		return v, false
	}
	return v, true
}

// renderAdmin fills the lists into av and sends the page.
func (s *Server) renderAdmin(w http.ResponseWriter, r *http.Request, v app.Viewer, code int, av adminView) {
	ctx := r.Context()
	q := r.URL.Query()
	p, err := pageParams(r)
	if err != nil {
		p = pageRequest{limit: DefaultPage}
	}
	av.Query = q.Get("q")
	people, next, err := s.app.People(ctx, av.Query, p.after, p.limit)
	if app.CodeOf(err) == app.Invalid {
		av.Flash, av.Query, code = "Search for the start of a name: "+problemText(err), "", http.StatusBadRequest
		people, next, err = s.app.People(ctx, "", "", DefaultPage)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	loc := v.Location()
	for _, pe := range people {
		roles := make([]string, 0, len(pe.Roles))
		for _, ro := range pe.RolesOrDefault() {
			roles = append(roles, string(ro))
		}
		av.People = append(av.People, personRow{Name: pe.Name, Email: pe.Email, Team: pe.Team, Roles: strings.Join(roles, ", "), Manager: pe.ManagerID, TZ: pe.Timezone})
	}
	if next != "" {
		nq := url.Values{"q": {av.Query}, "cursor": {cursorOf(next)}}
		av.Next = "/admin?" + nq.Encode()
	}
	keys, _, err := s.app.APIKeys(ctx, "", MaxPage)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	for _, k := range keys {
		scopes := make([]string, 0, len(k.Scopes))
		for _, sc := range k.Scopes {
			scopes = append(scopes, string(sc))
		}
		row := keyRow{ID: k.ID, Name: k.Name, Scopes: strings.Join(scopes, ", "), Created: k.CreatedAt.In(loc).Format("2 Jan 2006 15:04")}
		if k.Revoked() {
			row.Revoked = k.RevokedAt.In(loc).Format("2 Jan 2006 15:04")
		}
		av.Keys = append(av.Keys, row)
	}
	w.Header().Add("Vary", "Cookie")
	s.sendPage(w, r, code, "en", "Directory and access – cxloop", adminPage(av))
}

// adminImport imports people or accounts from an uploaded CSV file.
func (s *Server) adminImport(w http.ResponseWriter, r *http.Request) {
	v, ok := s.adminViewer(w, r)
	if !ok {
		return
	}
	kind := r.PathValue("kind")
	if kind != "people" && kind != "accounts" {
		s.notFound(w, r, http.StatusNotFound, "Not found")
		return
	}
	report := importView{Title: "Import of " + kind}
	body, err := uploadedFile(w, r)
	var res app.ImportResult
	var bad []app.RowError
	if err == nil {
		var rows []csvRow
		if kind == "people" {
			if rows, bad, err = parseCSV(body, personColumns, personRequired); err == nil {
				res, err = s.importPeopleRows(r.Context(), rows)
			}
		} else {
			if rows, bad, err = parseCSV(body, accountColumns, accountColumns); err == nil {
				res, err = s.importAccountRows(r.Context(), rows)
			}
		}
	}
	code := http.StatusOK
	switch {
	case err != nil && app.CodeOf(err) == app.Internal:
		s.pageError(w, r, err)
		return
	case err != nil:
		report.Problem, code = fieldProblem(err), http.StatusBadRequest
	default:
		res = withBadRows(res, bad)
		report.Summary = fmt.Sprintf("%d rows imported (%d new, %d changed, %d as they were); %d not imported.",
			res.Imported, res.Created, res.Updated, res.Unchanged, len(res.Errors))
		for _, e := range res.Errors {
			report.Errors = append(report.Errors, importRow{Row: strconv.Itoa(e.Row), Field: e.Field, Message: e.Message})
		}
	}
	s.renderAdmin(w, r, v, code, adminView{Import: &report})
}

// uploadedFile reads the form's "file", within MaxImportBody.
func uploadedFile(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxImportBody+64<<10)
	if err := r.ParseMultipartForm(MaxImportBody); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, app.Errorf(app.Invalid, "the file is larger than %d bytes", MaxImportBody)
		}
		return nil, app.Errorf(app.Invalid, "choose a CSV file to import")
	}
	f, _, err := r.FormFile("file")
	if err != nil {
		return nil, app.Errorf(app.Invalid, "choose a CSV file to import")
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxImportBody+1))
	if err != nil {
		return nil, app.Errorf(app.Invalid, "the file could not be read")
	}
	if len(b) > MaxImportBody {
		return nil, app.Errorf(app.Invalid, "the file is larger than %d bytes", MaxImportBody)
	}
	return b, nil
}

func (s *Server) adminCreateKey(w http.ResponseWriter, r *http.Request) {
	v, ok := s.adminViewer(w, r)
	if !ok {
		return
	}
	if !readForm(w, r) {
		s.renderAdmin(w, r, v, http.StatusRequestEntityTooLarge, adminView{Flash: "The form was too large."})
		return
	}
	in := app.APIKeyInput{Name: r.PostForm.Get("name")}
	for _, sc := range r.PostForm["scopes"] {
		in.Scopes = append(in.Scopes, access.Scope(sc))
	}
	k, secret, err := s.app.CreateAPIKey(r.Context(), in)
	if app.CodeOf(err) == app.Invalid {
		s.renderAdmin(w, r, v, http.StatusBadRequest, adminView{Flash: "The key was not made: " + fieldProblem(err)})
		return
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	s.renderAdmin(w, r, v, http.StatusCreated, adminView{NewKey: secret, NewKeyName: k.Name})
}

func (s *Server) adminRevokeKey(w http.ResponseWriter, r *http.Request) {
	v, ok := s.adminViewer(w, r)
	if !ok {
		return
	}
	k, err := s.app.RevokeAPIKey(r.Context(), r.PathValue("id"), v.Actor())
	if app.CodeOf(err) == app.Conflict {
		s.renderAdmin(w, r, v, http.StatusConflict, adminView{Flash: "The key was not revoked: " + problemText(err)})
		return
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin?"+url.Values{"done": {"Revoked the key “" + k.Name + "”: it stopped working."}}.Encode(), http.StatusSeeOther)
}
