package devserver_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

type importResult struct {
	Imported  int `json:"imported"`
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Errors    []struct {
		Row     int    `json:"row"`
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

func (d *dev) importCSV(path, body string) importResult {
	d.t.Helper()
	r := d.raw(http.MethodPost, path, "text/csv", apiKey, []byte(body))
	want(d.t, r, http.StatusOK, "POST "+path)
	return decodeJSON[importResult](d.t, r)
}

// A directory of 1,000 people and 1,000 accounts imports from CSV with
// its bad rows reported and nothing stored from them; importing the same
// files again changes nothing. The directory then lists, searches and
// pages.
func TestImportDirectoryCSV(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	const n = 1000
	var people, accounts strings.Builder
	people.WriteString("\ufeffid,name,email,manager_id,team\r\n") // as a spreadsheet saves it
	accounts.WriteString("id,name,owner_id\n")
	bad := map[int]string{} // row (the header is row 1) -> field
	for i := range n {
		row := i + 2
		id, email, manager := fmt.Sprintf("p%04d", i), fmt.Sprintf("p%04d@example.com", i), ""
		if i > 0 {
			manager = "p0000"
		}
		switch i {
		case 10:
			email, bad[row] = "not-an-email", "email"
		case 20:
			manager, bad[row] = "nobody", "manager_id"
		case 30:
			id, bad[row] = "a/b", "id"
		}
		fmt.Fprintf(&people, "%s,Person %04d,%s,%s,Team %d\n", id, i, email, manager, i%7)
		owner := id
		if i == 40 {
			owner, bad[n+1+row] = "p0030", "owner_id" // the refused person is not known
		}
		fmt.Fprintf(&accounts, "acct%04d,Account %04d,%s\n", i, i, owner)
	}
	people.WriteString("p0999,Duplicate,dup@example.com,,\n")
	bad[n+2] = "id"

	got := d.importCSV("/v1/people/import", people.String())
	if got.Imported != n-3 || got.Created != n-3 || len(got.Errors) != 4 {
		t.Fatalf("people import = imported %d created %d, errors %+v; want %d created and 4 errors", got.Imported, got.Created, got.Errors, n-3)
	}
	for _, e := range got.Errors {
		if bad[e.Row] != e.Field || e.Message == "" {
			t.Errorf("error %+v: want field %q on that row", e, bad[e.Row])
		}
	}
	acc := d.importCSV("/v1/accounts/import", accounts.String())
	// the accounts of the three refused people, and account 40, have no known owner
	if acc.Imported != n-4 || len(acc.Errors) != 4 {
		t.Errorf("accounts import = imported %d, errors %+v; want %d and 4 errors", acc.Imported, acc.Errors, n-4)
	}
	for _, e := range acc.Errors {
		if e.Field != "owner_id" {
			t.Errorf("account error %+v, want owner_id", e)
		}
	}

	// Again: nothing changes.
	again := d.importCSV("/v1/people/import", people.String())
	if again.Unchanged != n-3 || again.Created+again.Updated != 0 || len(again.Errors) != 4 {
		t.Errorf("second people import = %+v, want %d unchanged and the same 4 errors", again, n-3)
	}
	if again := d.importCSV("/v1/accounts/import", accounts.String()); again.Unchanged != n-4 || again.Created+again.Updated != 0 {
		t.Errorf("second accounts import = %+v, want %d unchanged", again, n-4)
	}

	// List, search (any case) and page.
	type person struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	r := d.raw(http.MethodGet, "/v1/people?q=person%2000&limit=50", "", apiKey, nil)
	want(t, r, http.StatusOK, "search people")
	page := decodeJSON[struct {
		Items []person `json:"items"`
		Next  string   `json:"next_cursor"`
	}](t, r)
	if len(page.Items) != 50 || page.Items[0].Name != "Person 0000" || page.Next == "" {
		t.Fatalf("search = %d items from %+v, next %q; want 50 from Person 0000 and more", len(page.Items), page.Items[:min(1, len(page.Items))], page.Next)
	}
	total := len(page.Items)
	for page.Next != "" {
		r := d.raw(http.MethodGet, "/v1/people?q=PERSON%2000&limit=50&cursor="+url.QueryEscape(page.Next), "", apiKey, nil)
		want(t, r, http.StatusOK, "next page")
		page = decodeJSON[struct {
			Items []person `json:"items"`
			Next  string   `json:"next_cursor"`
		}](t, r)
		total += len(page.Items)
	}
	if total != 97 { // "person 00" is Person 0000-0099, but for the three refused rows
		t.Errorf("search for \"person 00\" found %d, want 97 (0000-0099 without the 3 refused)", total)
	}

	// A search that finds nobody is an empty list; one no name could
	// match, or a cursor the store never gave, is refused.
	r = d.raw(http.MethodGet, "/v1/accounts?q=nobody-at-all", "", apiKey, nil)
	want(t, r, http.StatusOK, "search accounts")
	if b := strings.TrimSpace(string(r.Body)); b != `{"items":[]}` {
		t.Errorf("an empty search = %s, want {\"items\":[]}", b)
	}
	for _, c := range []struct{ query, field string }{
		{"q=a%00b", "q"},
		{"q=" + strings.Repeat("x", 201), "q"},
		{"cursor=" + base64.RawURLEncoding.EncodeToString([]byte("PEOPLE#\x00")), "cursor"},
		{"cursor=" + base64.RawURLEncoding.EncodeToString([]byte{0xff, 0xfe}), "cursor"},
	} {
		wantAPIError(t, d.raw(http.MethodGet, "/v1/people?"+c.query, "", apiKey, nil), http.StatusBadRequest, "invalid", c.field)
	}

	// Bad files are refused whole, and store nothing.
	for _, c := range []struct{ body, field string }{
		{"id,name,colour\nx,X,red\n", "colour"},
		{"name,email\nX,x@example.com\n", "id"},
		{"", ""},
	} {
		wantAPIError(t, d.raw(http.MethodPost, "/v1/people/import", "text/csv", apiKey, []byte(c.body)), http.StatusBadRequest, "invalid", c.field)
	}
	wantAPIError(t, d.raw(http.MethodPost, "/v1/people/import", "application/json", apiKey, []byte(`{}`)), http.StatusBadRequest, "invalid", "")
}

// A customer is found by email, whatever its case.
func TestFindCustomerByEmail(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	d.surveyEmail("f-1")
	r := d.raw(http.MethodGet, "/v1/customers?email=ANA@acme.example", "", apiKey, nil)
	want(t, r, http.StatusOK, "find by email")
	if !strings.Contains(r.Text(), `"id":"cust-ana"`) {
		t.Errorf("found %s, want cust-ana", r)
	}
	wantAPIError(t, d.raw(http.MethodGet, "/v1/customers", "", apiKey, nil), http.StatusBadRequest, "invalid", "email")
}
