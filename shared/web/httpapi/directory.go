package httpapi

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/domain/directory"
)

// MaxImportBody bounds a CSV import's body: room for MaxImportRows rows.
const MaxImportBody = 4 << 20

func (s *Server) listPeople(w http.ResponseWriter, r *http.Request) {
	p, err := pageParams(r)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	people, next, err := s.app.People(r.Context(), r.URL.Query().Get("q"), p.after, p.limit)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, pageOf(people, next))
}

func (s *Server) listAccounts(w http.ResponseWriter, r *http.Request) {
	p, err := pageParams(r)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	accounts, next, err := s.app.Accounts(r.Context(), r.URL.Query().Get("q"), p.after, p.limit)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, pageOf(accounts, next))
}

func (s *Server) findCustomers(w http.ResponseWriter, r *http.Request) {
	list, err := s.app.CustomersByEmail(r.Context(), r.URL.Query().Get("email"))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, pageOf(list, ""))
}

// The columns of the two imports; the others are optional.
var (
	personColumns  = []string{"id", "name", "email", "phone", "manager_id", "team", "roles", "timezone"}
	personRequired = []string{"id", "name", "email"}
	accountColumns = []string{"id", "name", "owner_id"}
)

func (s *Server) importPeople(w http.ResponseWriter, r *http.Request) {
	rows, bad, err := readCSV(w, r, personColumns, personRequired)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	res, err := s.importPeopleRows(r.Context(), rows)
	writeImport(w, r, res, bad, err)
}

func (s *Server) importPeopleRows(ctx context.Context, rows []csvRow) (app.ImportResult, error) {
	in := make([]app.PersonRow, 0, len(rows))
	for _, row := range rows {
		c := row.cells
		in = append(in, app.PersonRow{Line: row.line, ID: c["id"], PersonInput: app.PersonInput{
			Name: c["name"], Email: c["email"], Phone: c["phone"], ManagerID: c["manager_id"], Team: c["team"],
			Roles: rolesCell(c["roles"]), Timezone: c["timezone"],
		}})
	}
	return s.app.ImportPeople(ctx, in)
}

// rolesCell reads a roles cell: roles separated by spaces, commas,
// semicolons or bars ("owner; manager").
func rolesCell(v string) []directory.Role {
	var out []directory.Role
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' || r == ';' || r == '|' }) {
		out = append(out, directory.Role(strings.ToLower(f)))
	}
	return out
}

func (s *Server) importAccounts(w http.ResponseWriter, r *http.Request) {
	rows, bad, err := readCSV(w, r, accountColumns, accountColumns)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	res, err := s.importAccountRows(r.Context(), rows)
	writeImport(w, r, res, bad, err)
}

func (s *Server) importAccountRows(ctx context.Context, rows []csvRow) (app.ImportResult, error) {
	in := make([]app.AccountRow, 0, len(rows))
	for _, row := range rows {
		c := row.cells
		in = append(in, app.AccountRow{Line: row.line, ID: c["id"], AccountInput: app.AccountInput{Name: c["name"], OwnerID: c["owner_id"]}})
	}
	return s.app.ImportAccounts(ctx, in)
}

// writeImport answers an import with its result.
func writeImport(w http.ResponseWriter, r *http.Request, res app.ImportResult, bad []app.RowError, err error) {
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, withBadRows(res, bad))
}

// withBadRows puts the rows that were not even CSV among an import's
// errors, in row order.
func withBadRows(res app.ImportResult, bad []app.RowError) app.ImportResult {
	res.Errors = append(res.Errors, bad...)
	slices.SortStableFunc(res.Errors, func(a, b app.RowError) int { return a.Row - b.Row })
	if res.Errors == nil {
		res.Errors = []app.RowError{}
	}
	return res
}

// csvRow is one data row of an import, by column name, with its row
// number as a spreadsheet shows it (the header is row 1).
type csvRow struct {
	line  int
	cells map[string]string
}

// readCSV reads a text/csv body with a header row naming its columns,
// each one of known, and required among them. Cells are trimmed; blank
// rows are skipped; a UTF-8 byte order mark (as spreadsheets write) is
// dropped. A row that is not valid CSV, or has more cells than columns,
// is returned among bad rather than refusing the file.
func readCSV(w http.ResponseWriter, r *http.Request, known, required []string) (rows []csvRow, bad []app.RowError, err error) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "text/csv" {
		return nil, nil, app.Errorf(app.Invalid, "the body must be CSV: Content-Type: text/csv")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxImportBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, nil, &app.Error{Code: codeTooLarge, Message: fmt.Sprintf("the body is larger than %d bytes", MaxImportBody)}
	}
	if err != nil {
		return nil, nil, app.Errorf(app.Invalid, "the body could not be read")
	}
	return parseCSV(body, known, required)
}

// parseCSV is readCSV on a CSV already read.
func parseCSV(body []byte, known, required []string) (rows []csvRow, bad []app.RowError, err error) {
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff"))))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err == io.EOF {
		return nil, nil, app.Errorf(app.Invalid, "the CSV is empty: its first row must name the columns (%s)", strings.Join(known, ", "))
	}
	if err != nil {
		return nil, nil, app.Errorf(app.Invalid, "the CSV's header row is not valid CSV: %v", err)
	}
	for i := range header {
		header[i] = strings.ToLower(strings.TrimSpace(header[i]))
		switch {
		case !slices.Contains(known, header[i]):
			return nil, nil, app.FieldError(header[i], "is not a column of this import; the columns are "+strings.Join(known, ", "))
		case slices.Contains(header[:i], header[i]):
			return nil, nil, app.FieldError(header[i], "is named twice in the header row")
		}
	}
	for _, c := range required {
		if !slices.Contains(header, c) {
			return nil, nil, app.FieldError(c, "is a required column")
		}
	}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return rows, bad, nil
		}
		if len(rows)+len(bad) == app.MaxImportRows {
			return nil, nil, app.Errorf(app.Invalid, "an import takes at most %d rows", app.MaxImportRows)
		}
		var perr *csv.ParseError
		switch {
		case errors.As(err, &perr):
			bad = append(bad, app.RowError{Row: line, Message: "is not valid CSV: " + perr.Err.Error()})
			continue
		case err != nil:
			return nil, nil, app.Errorf(app.Invalid, "row %d could not be read", line)
		case len(rec) == 1 && strings.TrimSpace(rec[0]) == "":
			continue
		case len(rec) > len(header):
			bad = append(bad, app.RowError{Row: line, Message: fmt.Sprintf("has %d cells; the header names %d columns", len(rec), len(header))})
			continue
		}
		row := csvRow{line: line, cells: make(map[string]string, len(header))}
		for i, v := range rec {
			row.cells[header[i]] = strings.TrimSpace(v)
		}
		rows = append(rows, row)
	}
}
