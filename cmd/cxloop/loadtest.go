package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// burstSize is how many interactions for one person arrive at once.
const burstSize = 100

// Bounds keep a load test a test: it never runs longer or sends more than this.
const (
	maxLoadCount    = 100_000
	maxLoadDuration = 10 * time.Minute
)

// runLoadtest drives a running `cxloop dev` on loopback with interactions,
// answers and task completions, then checks every count against what it
// sent: nothing lost, nothing duplicated.
func runLoadtest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("url", "http://127.0.0.1:8080", "cxloop dev URL (loopback only)")
	key := fs.String("api-key", "", "API key (default $CXLOOP_API_KEY)")
	count := fs.Int("n", 2000, "interactions to send")
	conc := fs.Int("c", 32, "concurrent clients")
	limit := fs.Duration("max-duration", 2*time.Minute, "stop after this long, whatever is left")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *key == "" {
		*key = os.Getenv("CXLOOP_API_KEY")
	}
	if err := checkLoopback(*base); err != nil {
		return err
	}
	if *count < 1 || *count > maxLoadCount || *conc < 1 || *conc > 512 || *limit <= 0 || *limit > maxLoadDuration {
		return usageError(fmt.Sprintf("need 1 <= -n <= %d, 1 <= -c <= 512, 0 < -max-duration <= %s", maxLoadCount, maxLoadDuration))
	}
	ctx, cancel := context.WithTimeout(ctx, *limit)
	defer cancel()
	lt := &loadTest{base: strings.TrimRight(*base, "/"), key: *key, conc: *conc, run: strconv.FormatInt(time.Now().UnixNano(), 36),
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: *conc}}}
	return lt.do(ctx, *count, stdout)
}

type loadTest struct {
	base, key, run string
	conc           int
	client         *http.Client
}

// phase is one measured step: how many requests, how long each took.
type phase struct {
	name    string
	errors  int
	elapsed time.Duration
	// of holds the latency of each successful call i; the others are absent.
	of map[int]time.Duration
	// settled is how long the server took after the last call to finish
	// the work the phase left in the background.
	settled time.Duration
}

func (p *phase) settle(ctx context.Context, lt *loadTest) error {
	d, err := lt.settle(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", p.name, err)
	}
	p.settled = d
	return nil
}

// ok counts the successful calls.
func (p *phase) ok() int { return len(p.of) }

// latencies returns how many of the successful calls in holds for and
// their median and 99th percentile latency.
func (p *phase) latencies(in func(i int) bool) (n int, p50, p99 time.Duration) {
	var part []time.Duration
	for i, d := range p.of {
		if in(i) {
			part = append(part, d)
		}
	}
	if len(part) == 0 {
		return 0, 0, 0
	}
	slices.Sort(part)
	q := func(f float64) time.Duration { return part[int(f*float64(len(part)-1))] }
	return len(part), q(0.5), q(0.99)
}

func (p *phase) report(w io.Writer) {
	n, p50, p99 := p.latencies(func(int) bool { return true })
	fmt.Fprintf(w, "%-12s %6d ok %4d errors  %8.0f/s  p50 %7.2fms  p99 %7.2fms  settled %7.2fms later\n", p.name, n, p.errors,
		float64(n)/p.elapsed.Seconds(), ms(p50), ms(p99), ms(p.settled))
}

// reportPart prints the latencies of the calls for which in is true, as a
// part of the phase (no throughput of its own: they ran mixed with the rest).
func (p *phase) reportPart(w io.Writer, name string, in func(i int) bool) {
	if n, p50, p99 := p.latencies(in); n > 0 {
		fmt.Fprintf(w, "  %-10s %6d ok %22s  p50 %7.2fms  p99 %7.2fms\n", name, n, "", ms(p50), ms(p99))
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// parallel runs fn for 0..n-1 on the test's clients and times each call.
func (lt *loadTest) parallel(ctx context.Context, name string, n int, fn func(ctx context.Context, i int) error) *phase {
	p := &phase{name: name, of: make(map[int]time.Duration, n)}
	var mu sync.Mutex
	var next atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for range lt.conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				err := fn(ctx, i)
				d := time.Since(t0)
				mu.Lock()
				if err != nil {
					p.errors++
				} else {
					p.of[i] = d
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	p.elapsed = time.Since(start)
	return p
}

func (lt *loadTest) call(ctx context.Context, method, path, contentType string, body []byte, want int, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if strings.HasPrefix(path, lt.base+"/v1/") {
		req.Header.Set("Authorization", "Bearer "+lt.key)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := lt.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != want {
		return fmt.Errorf("%s %s: status %d, want %d: %.200s", method, strings.TrimPrefix(path, lt.base), res.StatusCode, want, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// pages reads every page of a list, from path on, handing each body to add.
func (lt *loadTest) pages(ctx context.Context, path string, add func([]byte) error) error {
	for {
		var raw json.RawMessage
		if err := lt.call(ctx, "GET", lt.base+path, "", nil, http.StatusOK, &raw); err != nil {
			return err
		}
		if err := add(raw); err != nil {
			return err
		}
		var page struct {
			NextCursor string `json:"next_cursor"`
		}
		if err := json.Unmarshal(raw, &page); err != nil {
			return err
		}
		if page.NextCursor == "" {
			return nil
		}
		u, err := url.Parse(path)
		if err != nil {
			return err
		}
		q := u.Query()
		q.Set("cursor", page.NextCursor)
		u.RawQuery = q.Encode()
		path = u.String()
	}
}

// settle waits until the server has done the background work the last
// phase left (sends, loop steps) and says how long that took. It asks
// again while the server is busy, within the test's time limit.
func (lt *loadTest) settle(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	for {
		var res struct {
			Idle bool `json:"idle"`
		}
		if err := lt.call(ctx, "GET", lt.base+"/dev/idle?wait=15s", "", nil, http.StatusOK, &res); err != nil {
			return 0, fmt.Errorf("wait for background work: %w", err)
		}
		if res.Idle {
			return time.Since(start), nil
		}
	}
}

func (lt *loadTest) do(ctx context.Context, n int, w io.Writer) error {
	owner := "load-owner-" + lt.run
	acct := "load-acct-" + lt.run
	if err := lt.call(ctx, "PUT", lt.base+"/v1/people/"+owner, "application/json", []byte(`{"name":"Load Owner","email":"owner@load.example"}`), http.StatusCreated, nil); err != nil {
		return fmt.Errorf("set up owner: %w", err)
	}
	if err := lt.call(ctx, "PUT", lt.base+"/v1/accounts/"+acct, "application/json", []byte(`{"name":"Load Co","owner_id":"`+owner+`"}`), http.StatusCreated, nil); err != nil {
		return fmt.Errorf("set up account: %w", err)
	}
	surveys := make([]string, n)
	ingest := lt.parallel(ctx, "interactions", n, func(ctx context.Context, i int) error {
		body := fmt.Appendf(nil, `{"id":"load-%s-%d","occurred_at":"2026-11-23T10:00:00Z","type":"load","channel":"email","survey":"nps",`+
			`"customer":{"id":"lc-%s-%d","name":"Load Person %d","email":"p%d-%s@load.example"},"account_id":%q}`, lt.run, i, lt.run, i, i, i, lt.run, acct)
		var res struct {
			SurveyID string `json:"survey_id"`
			Status   string `json:"status"`
		}
		if err := lt.call(ctx, "POST", lt.base+"/v1/interactions", "application/json", body, http.StatusAccepted, &res); err != nil {
			return err
		}
		if res.Status != "scheduled" {
			return fmt.Errorf("interaction %d: %s", i, res.Status)
		}
		surveys[i] = res.SurveyID
		return nil
	})
	if err := ingest.settle(ctx, lt); err != nil {
		return err
	}
	// A burst for one person, every interaction with its own id: one
	// survey is scheduled, the rest are skipped as throttled, none fails.
	var scheduled atomic.Int64
	burst := lt.parallel(ctx, "one person", burstSize, func(ctx context.Context, i int) error {
		body := fmt.Appendf(nil, `{"id":"load-%s-burst-%d","occurred_at":"2026-11-23T10:00:00Z","type":"load","channel":"email","survey":"nps",`+
			`"customer":{"id":"lc-%s-burst","name":"Load Person %d","email":"burst-%s@burst.example"},"account_id":%q}`, lt.run, i, lt.run, i, lt.run, acct)
		var res struct {
			Status string `json:"status"`
			Reason string `json:"reason"`
		}
		if err := lt.call(ctx, "POST", lt.base+"/v1/interactions", "application/json", body, http.StatusAccepted, &res); err != nil {
			return err
		}
		switch {
		case res.Status == "scheduled":
			scheduled.Add(1)
		case res.Status != "skipped" || res.Reason != "throttled":
			return fmt.Errorf("burst interaction %d: %s %s", i, res.Status, res.Reason)
		}
		return nil
	})
	if err := burst.settle(ctx, lt); err != nil {
		return err
	}

	var outbox []struct {
		To    string   `json:"to"`
		Links []string `json:"links"`
	}
	if err := lt.call(ctx, "GET", lt.base+"/dev/outbox", "", nil, http.StatusOK, &outbox); err != nil {
		return fmt.Errorf("read outbox: %w", err)
	}
	links := map[string]string{} // address → survey page
	emails := map[string]int{}
	for _, m := range outbox {
		if strings.HasSuffix(m.To, "-"+lt.run+"@load.example") && len(m.Links) > 0 {
			emails[m.To]++
			links[m.To] = strings.SplitN(m.Links[0], "?", 2)[0]
		}
	}
	// Every third answer is unhappy, so the loop has work to do.
	unhappy := func(i int) bool { return i%3 == 0 }
	score := func(i int) int {
		if unhappy(i) {
			return 3
		}
		return 9
	}
	answers := lt.parallel(ctx, "answers", n, func(ctx context.Context, i int) error {
		page, ok := links[fmt.Sprintf("p%d-%s@load.example", i, lt.run)]
		if !ok {
			return fmt.Errorf("no survey email for interaction %d", i)
		}
		form := url.Values{"score": {strconv.Itoa(score(i))}, "comment": {"load"}}
		return lt.call(ctx, "POST", page, "application/x-www-form-urlencoded", []byte(form.Encode()), http.StatusOK, nil)
	})
	if err := answers.settle(ctx, lt); err != nil {
		return err
	}

	var open struct {
		Tasks []struct {
			ID string `json:"id"`
		} `json:"tasks"`
	}
	if err := lt.pages(ctx, "/v1/tasks?status=open&limit=500&owner_id="+owner, func(b []byte) error {
		var page struct {
			Tasks []struct {
				ID string `json:"id"`
			} `json:"tasks"`
		}
		err := json.Unmarshal(b, &page)
		open.Tasks = append(open.Tasks, page.Tasks...)
		return err
	}); err != nil {
		return fmt.Errorf("list tasks: %w", err)
	}
	completions := lt.parallel(ctx, "completions", len(open.Tasks), func(ctx context.Context, i int) error {
		return lt.call(ctx, "POST", lt.base+"/v1/tasks/"+open.Tasks[i].ID+"/complete", "application/json",
			[]byte(`{"outcome":"resolved","root_cause":"other","notes":"load"}`), http.StatusOK, nil)
	})
	if err := completions.settle(ctx, lt); err != nil {
		return err
	}

	var clock struct {
		Now time.Time `json:"now"`
	}
	if err := lt.call(ctx, "GET", lt.base+"/dev/clock", "", nil, http.StatusOK, &clock); err != nil {
		return fmt.Errorf("read clock: %w", err)
	}
	var stored struct {
		Responses []struct {
			CustomerID string `json:"customer_id"`
		} `json:"responses"`
	}
	span := url.Values{"from": {clock.Now.Add(-time.Hour).Format(time.RFC3339)}, "to": {clock.Now.Add(time.Hour).Format(time.RFC3339)}, "limit": {"500"}}
	if err := lt.pages(ctx, "/v1/responses?"+span.Encode(), func(b []byte) error {
		var page struct {
			Responses []struct {
				CustomerID string `json:"customer_id"`
			} `json:"responses"`
		}
		err := json.Unmarshal(b, &page)
		stored.Responses = append(stored.Responses, page.Responses...)
		return err
	}); err != nil {
		return fmt.Errorf("list responses: %w", err)
	}
	perCustomer := map[string]int{}
	for _, r := range stored.Responses {
		if strings.HasPrefix(r.CustomerID, "lc-"+lt.run+"-") {
			perCustomer[r.CustomerID]++
		}
	}
	wantUnhappy := (n + 2) / 3
	dupEmails, dupAnswers := 0, 0
	for _, c := range emails {
		dupEmails += c - 1
	}
	for _, c := range perCustomer {
		dupAnswers += c - 1
	}
	lostAnswers := answers.ok() - len(perCustomer)
	lostLoops := wantUnhappy - len(open.Tasks)
	fmt.Fprintf(w, "cxloop loadtest against %s: %d interactions, %d clients\n", lt.base, n, lt.conc)
	ingest.report(w)
	burst.report(w)
	answers.report(w)
	answers.reportPart(w, "happy", func(i int) bool { return !unhappy(i) })
	answers.reportPart(w, "unhappy", unhappy)
	completions.report(w)
	fmt.Fprintf(w, "surveys emailed %d/%d  answers stored %d/%d  loops %d/%d\n", len(emails), ingest.ok(), len(perCustomer), answers.ok(), len(open.Tasks), wantUnhappy)
	fmt.Fprintf(w, "lost: %d  duplicated: %d\n", max(lostAnswers, 0)+max(lostLoops, 0)+ingest.ok()-len(emails), dupEmails+dupAnswers)
	if ctx.Err() != nil {
		return fmt.Errorf("stopped at the time limit before finishing")
	}
	fmt.Fprintf(w, "one person: %d of %d interactions scheduled a survey, want 1\n", scheduled.Load(), burst.ok())
	if lostAnswers != 0 || lostLoops != 0 || dupEmails+dupAnswers != 0 || len(emails) != ingest.ok() || scheduled.Load() != 1 ||
		ingest.errors+burst.errors+answers.errors+completions.errors != 0 {
		return errors.New("load test found lost, duplicated or failed work")
	}
	return nil
}

// checkLoopback refuses any target but this machine.
func checkLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return usageError(fmt.Sprintf("-url %q is not a URL", raw))
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return usageError(fmt.Sprintf("-url %q: the load test only targets loopback (127.0.0.1, ::1, localhost)", raw))
}
