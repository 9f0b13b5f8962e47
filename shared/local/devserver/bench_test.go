package devserver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/local/devserver"
)

// benchDev starts cxloop dev for a benchmark, with the demo's owner and account.
func benchDev(b *testing.B) (*devserver.Server, *http.Client) {
	b.Helper()
	srv, err := devserver.Start(context.Background(), devserver.Options{
		Addr: "127.0.0.1:0", DataDir: b.TempDir(), APIKey: apiKey, Config: app.DefaultConfig(),
		Logger: slog.New(slog.DiscardHandler), Tick: time.Hour,
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = srv.Close() })
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	for _, r := range []struct{ path, body string }{
		{"/v1/people/maria", `{"name":"María García","email":"maria@example.com"}`},
		{"/v1/accounts/acme", `{"name":"Acme","owner_id":"maria"}`},
	} {
		if code := benchCall(b, c, http.MethodPut, srv.URL+r.path, "application/json", r.body); code != http.StatusCreated {
			b.Fatalf("PUT %s: %d", r.path, code)
		}
	}
	return srv, c
}

func benchCall(b *testing.B, c *http.Client, method, u, contentType, body string) int {
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+apiKey)
	req.Header.Set("Content-Type", contentType)
	res, err := c.Do(req)
	if err != nil {
		b.Error(err)
		return 0
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

var benchSeq atomic.Int64

func benchInteraction(i int64) string {
	b, _ := json.Marshal(map[string]any{
		"id": fmt.Sprintf("bench-%d", i), "occurred_at": "2026-11-23T10:00:00Z", "type": "bench", "channel": "email", "survey": "nps",
		"account_id": "acme", "customer": map[string]any{"id": fmt.Sprintf("bc-%d", i), "name": "Bench Person", "email": fmt.Sprintf("b%d@bench.example", i)},
	})
	return string(b)
}

// BenchmarkIngest posts interactions (each for a new person, so each also
// sends a survey) to a real `cxloop dev` over loopback from parallel clients.
func BenchmarkIngest(b *testing.B) {
	srv, c := benchDev(b)
	b.ReportAllocs()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if code := benchCall(b, c, http.MethodPost, srv.URL+"/v1/interactions", "application/json", benchInteraction(benchSeq.Add(1))); code != http.StatusAccepted {
				b.Errorf("POST /v1/interactions: %d", code)
			}
		}
	})
}

// BenchmarkAnswer sends the survey form for happy answers (an unhappy one
// would also start a loop; that is the loop's cost, measured by the
// interpreter's benchmarks).
func BenchmarkAnswer(b *testing.B) {
	srv, c := benchDev(b)
	for i := 0; i < b.N; i++ {
		benchCall(b, c, http.MethodPost, srv.URL+"/v1/interactions", "application/json", benchInteraction(benchSeq.Add(1)))
	}
	msgs, err := srv.Outbox.List(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	pages := make([]string, 0, len(msgs))
	for _, m := range msgs {
		if len(m.Links) > 0 && strings.HasSuffix(m.To, "@bench.example") {
			pages = append(pages, strings.SplitN(m.Links[0], "?", 2)[0])
		}
	}
	var next atomic.Int64
	form := url.Values{"score": {"9"}, "comment": {"quick and kind"}}.Encode()
	b.ReportAllocs()
	b.ResetTimer()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(next.Add(1)-1) % len(pages)
			if code := benchCall(b, c, http.MethodPost, pages[i], "application/x-www-form-urlencoded", form); code != http.StatusOK {
				b.Errorf("POST survey form: %d", code)
			}
		}
	})
}
