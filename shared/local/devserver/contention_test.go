package devserver_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
)

// Many interactions for one person at once, each with its own id: every
// request gets its own correct answer, one survey is scheduled and the
// rest are skipped as throttled. Nothing fails for the contention.
func TestConcurrentInteractionsForOnePerson(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// rename gives each interaction another spelling of the name, so
		// that every one of them must write the person's record.
		rename bool
	}{{"same details", false}, {"each with new details", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			concurrentInteractions(t, tc.rename)
		})
	}
}

func concurrentInteractions(t *testing.T, rename bool) {
	d := startDev(t)
	d.seed()
	const n = 50
	body := func(i int) map[string]any {
		b := emailInteraction(fmt.Sprintf("burst-%d", i))
		if rename {
			b["customer"].(map[string]any)["name"] = fmt.Sprintf("Ana Lopez %d", i)
		}
		return b
	}
	var wg sync.WaitGroup
	replies := make([]reply, n)
	for i := range n {
		wg.Go(func() {
			b, _ := json.Marshal(body(i))
			req, _ := http.NewRequest(http.MethodPost, d.URL+"/v1/interactions", bytes.NewReader(b))
			req.Header.Set("Authorization", "Bearer "+apiKey)
			req.Header.Set("Content-Type", "application/json")
			resp, err := d.client.Do(req)
			if err != nil {
				t.Errorf("interaction %d: %v", i, err)
				return
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Errorf("interaction %d: %v", i, err)
			}
			replies[i] = reply{Status: resp.StatusCode, Header: resp.Header, Body: body}
		})
	}
	wg.Wait()
	scheduled := 0
	for i, r := range replies {
		if r.Status != http.StatusAccepted {
			t.Errorf("interaction %d: %s, want 202", i, r)
			continue
		}
		var out struct {
			Status string `json:"status"`
			Reason string `json:"reason"`
		}
		if err := json.Unmarshal(r.Body, &out); err != nil {
			t.Fatalf("interaction %d: %s: %v", i, r, err)
		}
		switch {
		case out.Status == "scheduled":
			scheduled++
		case out.Status == "skipped" && out.Reason == "throttled":
		default:
			t.Errorf("interaction %d: %s, want scheduled or skipped as throttled", i, r)
		}
	}
	if scheduled != 1 {
		t.Errorf("%d surveys scheduled, want exactly 1", scheduled)
	}
	if got := len(d.sentTo(customerEmail)); got != 1 {
		t.Errorf("%d surveys sent, want 1", got)
	}
	// Each replay gets its first answer back.
	for i := range n {
		r := d.ingest(body(i))
		if r.Status != http.StatusOK || string(r.Body) != string(replies[i].Body) {
			t.Errorf("replay %d: %s, want 200 with %s", i, r, replies[i].Body)
		}
	}
}
