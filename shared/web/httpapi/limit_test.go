package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestPageLimiter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	l := newPageLimiter(3, func() time.Time { return now })
	for i := range 3 {
		if !l.allow("203.0.113.1") {
			t.Fatalf("request %d refused within the limit", i+1)
		}
	}
	if l.allow("203.0.113.1") {
		t.Fatal("fourth request in a minute allowed")
	}
	if !l.allow("203.0.113.2") {
		t.Fatal("another address was limited too")
	}
	now = now.Add(20 * time.Second) // a third of a minute refills one token
	if !l.allow("203.0.113.1") {
		t.Fatal("no token after 20 s at 3 per minute")
	}
	if l.allow("203.0.113.1") {
		t.Fatal("more than one token after 20 s")
	}
}

func TestLimitPagesAnswers429(t *testing.T) {
	t.Parallel()
	s := &Server{limiter: newPageLimiter(1, time.Now)}
	h := s.limitPages(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	codes := []int{}
	for range 2 {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodGet, "/s/x", nil)
		r.RemoteAddr = "198.51.100.7:5555"
		h(w, r)
		codes = append(codes, w.Code)
		if w.Code == http.StatusTooManyRequests && w.Header().Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
	if codes[0] != http.StatusOK || codes[1] != http.StatusTooManyRequests {
		t.Fatalf("codes = %v, want [200 429]", codes)
	}
}
