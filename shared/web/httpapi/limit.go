package httpapi

import (
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// pageLimiter bounds how often one client address may hit the link pages
// (survey, unsubscribe, task, sign-in): enough for any person, too little
// to guess or hammer links. Memory is bounded: the table is reset when it
// grows past maxClients, which at worst forgives some clients early.
type pageLimiter struct {
	mu      sync.Mutex
	perMin  int
	clients map[string]*bucket
	now     func() time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

const maxClients = 100_000

func newPageLimiter(perMinute int, now func() time.Time) *pageLimiter {
	return &pageLimiter{perMin: perMinute, clients: map[string]*bucket{}, now: now}
}

// allow takes a token for addr; it refills at perMin per minute up to perMin.
func (l *pageLimiter) allow(addr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.clients[addr]
	if !ok {
		if len(l.clients) >= maxClients {
			l.clients = map[string]*bucket{}
		}
		b = &bucket{tokens: float64(l.perMin), last: now}
		l.clients[addr] = b
	}
	b.tokens = min(float64(l.perMin), b.tokens+now.Sub(b.last).Minutes()*float64(l.perMin))
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// limitPages wraps a page handler with the limiter (when one is set).
func (s *Server) limitPages(h http.HandlerFunc) http.HandlerFunc {
	if s.limiter == nil {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) {
		addr := r.RemoteAddr
		if host, _, err := net.SplitHostPort(addr); err == nil {
			addr = host
		}
		if !s.limiter.allow(addr) {
			w.Header().Set("Retry-After", strconv.Itoa(60/max(1, s.limiter.perMin)+1))
			http.Error(w, "Too many requests. Please wait a minute and try again.", http.StatusTooManyRequests)
			return
		}
		h(w, r)
	}
}
