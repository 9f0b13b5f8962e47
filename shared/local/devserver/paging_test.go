package devserver_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Every list pages with limit and cursor, and answers and tasks export as
// CSV, through the API only.
func TestListsPageAndExportCSV(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.seed()
	const n = 5
	for i := range n {
		d.answerAs(fmt.Sprintf("pg-%d", i), fmt.Sprintf("cust-pg-%d", i), fmt.Sprintf("pg%d@acme.example", i), 2)
	}
	now := d.now()
	span := url.Values{"from": {now.Add(-time.Hour).Format(time.RFC3339)}, "to": {now.Add(time.Hour).Format(time.RFC3339)}}

	// Pages of two: 2, 2, 1, each id once, the last without a cursor.
	for _, list := range []struct{ path, field string }{
		{"/v1/responses?" + span.Encode(), "responses"},
		{"/v1/tasks?status=open", "tasks"},
	} {
		seen := map[string]bool{}
		path, pages := list.path+"&limit=2", 0
		for {
			r := d.raw(http.MethodGet, path, "", apiKey, nil)
			want(t, r, http.StatusOK, "GET "+path)
			page := decodeJSON[map[string]any](t, r)
			items, _ := page[list.field].([]any)
			pages++
			for _, it := range items {
				id := it.(map[string]any)["id"].(string)
				if seen[id] {
					t.Errorf("%s: %s on two pages", list.field, id)
				}
				seen[id] = true
			}
			next, ok := page["next_cursor"].(string)
			if !ok {
				break
			}
			if pages > n {
				t.Fatalf("%s: more pages than items", list.field)
			}
			path = list.path + "&limit=2&cursor=" + url.QueryEscape(next)
		}
		if len(seen) != n || pages != 3 {
			t.Errorf("%s: %d items on %d pages, want %d on 3", list.field, len(seen), pages, n)
		}
	}

	// CSV: a header and a row per item.
	for _, c := range []struct{ path, header string }{
		{"/v1/responses?format=csv&" + span.Encode(), "id,survey_id,customer_id,account_id,survey,channel,score,comment,unhappy,source,answered_at"},
		{"/v1/tasks?status=open&format=csv", "id,status,owner_id,owner_name,team,customer_id,account_id,survey,score,answered_at,due_at"},
	} {
		r := d.raw(http.MethodGet, c.path, "", apiKey, nil)
		want(t, r, http.StatusOK, "GET "+c.path)
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Errorf("%s: Content-Type %q, want text/csv", c.path, ct)
		}
		rows, err := csv.NewReader(strings.NewReader(r.Text())).ReadAll()
		if err != nil || len(rows) != n+1 || !strings.HasPrefix(strings.Join(rows[0], ","), c.header) {
			t.Errorf("%s: %d rows (%v), header %v; want a header and %d rows", c.path, len(rows), err, rows, n)
		}
	}
	// A CSV page names the next one in a Link header.
	r := d.raw(http.MethodGet, "/v1/tasks?status=open&format=csv&limit=2", "", apiKey, nil)
	if link := r.Header.Get("Link"); !strings.Contains(link, `rel="next"`) || !strings.Contains(link, "cursor=") {
		t.Errorf("Link = %q, want the next page", link)
	}
	// Bad paging is refused.
	for _, q := range []string{"limit=0", "limit=501", "limit=x", "cursor=QQ%3D%3D", "cursor=!!"} {
		wantAPIError(t, d.raw(http.MethodGet, "/v1/tasks?"+q, "", apiKey, nil), http.StatusBadRequest, "invalid", "")
	}
	wantAPIError(t, d.raw(http.MethodGet, "/v1/tasks?format=xml", "", apiKey, nil), http.StatusBadRequest, "invalid", "format")
}
