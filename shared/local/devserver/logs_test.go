package devserver_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/local/devserver"
)

// syncBuffer is a log sink shared by the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// No log line carries a secret: the API key, a signed link token or a
// workflow task token — whatever the flow, at debug level.
func TestLogsHoldNoSecrets(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	srv, err := devserver.Start(context.Background(), devserver.Options{
		Addr: "127.0.0.1:0", DataDir: t.TempDir(), APIKey: apiKey, Config: app.DefaultConfig(),
		Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})), Tick: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	d := &dev{t: t, srv: srv, URL: srv.URL, client: &http.Client{Timeout: 30 * time.Second}}
	t.Cleanup(d.Close)
	d.seed()
	m := d.surveyEmail("secret-1")
	d.get(scoreLink(m, 2))
	want(t, d.postForm(pagePath(scoreLink(m, 2)), answer(2, "slow")), http.StatusOK, "answer")
	d.get(pagePath(m.Links[0]) + "tampered")
	task := d.sentTo(ownerEmail)[0].Links[0]
	d.get(task)
	open := d.tasks("status=open")
	if len(open) != 1 {
		t.Fatalf("open tasks = %d, want 1", len(open))
	}
	stored, err := srv.App.Store().Tasks.Get(context.Background(), open[0].ID)
	if err != nil || stored.Token == "" {
		t.Fatalf("task %s has no workflow token: %v", open[0].ID, err)
	}
	want(t, d.postForm(task, url.Values{"action": {"complete"}, "outcome": {"resolved"}, "root_cause": {"billing"}}), http.StatusOK, "complete")
	d.raw(http.MethodGet, "/v1/tasks", "", "wrong-key", nil)

	secrets := map[string]string{"API key": apiKey, "workflow task token": stored.Token}
	for _, l := range append(m.Links, task) {
		u, err := url.Parse(l)
		if err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(u.Path, "/")
		secrets["link token "+parts[1]] = parts[2]
	}
	out := logs.String()
	if !strings.Contains(out, `"route":"/s/{token}"`) {
		t.Fatalf("expected request logs; got:\n%s", out)
	}
	for what, secret := range secrets {
		if strings.Contains(out, secret) {
			t.Errorf("a log line holds the %s", what)
		}
		// Half a token is still too much to print.
		if len(secret) > 16 && strings.Contains(out, secret[:len(secret)/2]) {
			t.Errorf("a log line holds half of the %s", what)
		}
	}
}
