package httpapi

import (
	"encoding/csv"
	"net/http"
	"strings"

	"github.com/cxloop/cxloop/shared/core/app"
)

// MaxCSVPage bounds the rows of one CSV page; the Link header names the next.
const MaxCSVPage = 10_000

// wantsCSV reads format=csv|json, or else the Accept header.
func wantsCSV(r *http.Request) (bool, error) {
	switch r.URL.Query().Get("format") {
	case "csv":
		return true, nil
	case "json":
		return false, nil
	case "":
		return acceptsCSV(r.Header.Get("Accept")), nil
	}
	return false, app.FieldError("format", "must be json or csv")
}

// csvPageParams reads a CSV export's paging: as a list's, with pages of up
// to MaxCSVPage rows (all of them, by default).
func csvPageParams(r *http.Request) (pageRequest, error) { return pagesOf(r, MaxCSVPage, MaxCSVPage) }

// writeCSV sends rows as an RFC 4180 attachment (CRLF line ends), every
// cell defused against spreadsheet formulas. next, when set, is the
// cursor of the next page, given in a Link header as RFC 8288 says.
func writeCSV(w http.ResponseWriter, r *http.Request, filename string, header []string, rows [][]string, next string) {
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if next != "" {
		q := r.URL.Query()
		q.Set("cursor", cursorOf(next))
		h.Set("Link", "<"+r.URL.Path+"?"+q.Encode()+`>; rel="next"`)
	}
	w.WriteHeader(http.StatusOK)
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	_ = cw.Write(header)
	for _, rec := range rows {
		for i := range rec {
			rec[i] = csvSafe(rec[i])
		}
		_ = cw.Write(rec)
	}
	cw.Flush()
}

// csvSafe defuses spreadsheet formulas (CSV injection): a cell that starts
// with =, +, -, @, tab or carriage return is prefixed with a single quote,
// so a spreadsheet shows it as text instead of evaluating it.
func csvSafe(v string) string {
	if v != "" && strings.IndexByte("=+-@\t\r", v[0]) >= 0 {
		return "'" + v
	}
	return v
}
