package httpapi

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/cxloop/cxloop/shared/core/app"
)

// Every list pages: ?limit= (1 to MaxPage, DefaultPage if absent) and
// ?cursor=, the next_cursor of the page before.
const (
	DefaultPage = 100
	MaxPage     = 500
)

type pageRequest struct {
	after string // the store's sort key to start after
	limit int
}

// pageParams reads ?limit and ?cursor. A cursor is the opaque next_cursor
// a page gave; one that does not decode is refused rather than read from
// the start, which would repeat items.
func pageParams(r *http.Request) (pageRequest, error) { return pagesOf(r, DefaultPage, MaxPage) }

// pagesOf is pageParams with pages of def items unless ?limit says (up to max).
func pagesOf(r *http.Request, def, max int) (pageRequest, error) {
	q := r.URL.Query()
	p := pageRequest{limit: def}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > max {
			return pageRequest{}, app.FieldError("limit", "must be a whole number from 1 to "+strconv.Itoa(max))
		}
		p.limit = n
	}
	if v := q.Get("cursor"); v != "" {
		b, err := base64.RawURLEncoding.DecodeString(v)
		// Only a key the store gave: text, no control characters (which
		// DynamoDB and the embedded store refuse in a key).
		if err != nil || len(b) == 0 || len(b) > 1024 || !utf8.Valid(b) || bytes.ContainsFunc(b, unicode.IsControl) {
			return pageRequest{}, app.FieldError("cursor", "must be a next_cursor from an earlier page")
		}
		p.after = string(b)
	}
	return p, nil
}

// cursorOf encodes the store's sort key for next_cursor ("" at the end).
func cursorOf(after string) string {
	if after == "" {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(after))
}

// listPage is a page of a list: {"items": [...], "next_cursor": "..."}.
type listPage[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

func pageOf[T any](items []T, after string) listPage[T] {
	if items == nil {
		items = []T{} // an empty page lists nothing, "items": []
	}
	return listPage[T]{Items: items, NextCursor: cursorOf(after)}
}

// withCursor adds next_cursor to a list's body when there is a next page.
func withCursor(body map[string]any, after string) map[string]any {
	if after != "" {
		body["next_cursor"] = cursorOf(after)
	}
	return body
}
