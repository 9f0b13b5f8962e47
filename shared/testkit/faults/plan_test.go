package faults_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/core/store"
	"github.com/cxloop/cxloop/shared/domain/message"
	"github.com/cxloop/cxloop/shared/local/embedded"
	"github.com/cxloop/cxloop/shared/testkit/faults"
)

type countingMailer struct {
	mu   sync.Mutex
	sent int
}

func (m *countingMailer) SendEmail(context.Context, message.Email) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent++
	return "id", nil
}

func TestMailerFailsTheNthCallOnly(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		kind     faults.Kind
		sent     int // of 3 calls
		deadline bool
	}{
		{faults.Fail, 2, false},
		{faults.Timeout, 2, true},
		{faults.Ambiguous, 3, true},
	} {
		inner := &countingMailer{}
		plan := faults.NewPlan(faults.Rule{Port: faults.MailerPort, Call: 2, Kind: tc.kind})
		m := faults.Mailer(inner, plan)
		var errs []error
		for range 3 {
			_, err := m.SendEmail(context.Background(), message.Email{To: "a@example.com"})
			errs = append(errs, err)
		}
		if errs[0] != nil || errs[2] != nil || !errors.Is(errs[1], faults.ErrInjected) {
			t.Errorf("%s: errors %v, want only the 2nd", tc.kind, errs)
		}
		if got := errors.Is(errs[1], context.DeadlineExceeded); got != tc.deadline {
			t.Errorf("%s: DeadlineExceeded = %v, want %v", tc.kind, got, tc.deadline)
		}
		if inner.sent != tc.sent {
			t.Errorf("%s: %d sent, want %d", tc.kind, inner.sent, tc.sent)
		}
		if h := plan.Hits(); len(h) != 1 || h[0].Call != 2 || plan.Calls(faults.MailerPort) != 3 {
			t.Errorf("%s: hits %v, calls %d", tc.kind, h, plan.Calls(faults.MailerPort))
		}
	}
}

func TestCombinedCounterAndStickyAndStop(t *testing.T) {
	t.Parallel()
	inner := &countingMailer{}
	plan := faults.NewPlan(faults.Rule{Port: faults.Any, Call: 3, Kind: faults.Fail, Sticky: true})
	m := faults.Mailer(inner, plan)
	clk := faults.Clock(fixed{}, plan)
	var failed int
	for range 5 {
		clk.Now() // the clock is not on the combined counter
		if _, err := m.SendEmail(context.Background(), message.Email{}); err != nil {
			failed++
		}
	}
	if failed != 3 || inner.sent != 2 || plan.Calls(faults.Any) != 5 || plan.Calls(faults.ClockPort) != 5 {
		t.Errorf("failed %d sent %d any %d clock %d; want calls 3-5 failed", failed, inner.sent, plan.Calls(faults.Any), plan.Calls(faults.ClockPort))
	}
	plan.Stop()
	if _, err := m.SendEmail(context.Background(), message.Email{}); err != nil || plan.Calls(faults.Any) != 5 {
		t.Errorf("after Stop: %v, %d calls", err, plan.Calls(faults.Any))
	}
}

type fixed struct{}

func (fixed) Now() time.Time { return time.Date(2026, 5, 12, 9, 0, 0, 0, time.UTC) }

func TestClockSkewsOnce(t *testing.T) {
	t.Parallel()
	c := faults.Clock(fixed{}, faults.NewPlan(faults.Rule{Port: faults.ClockPort, Call: 2, Kind: faults.Skew}))
	want := fixed{}.Now()
	got := []time.Time{c.Now(), c.Now(), c.Now()}
	if !got[0].Equal(want) || !got[1].Equal(want.Add(-faults.SkewBy)) || !got[2].Equal(want) {
		t.Errorf("times %v, want only the 2nd %s earlier", got, faults.SkewBy)
	}
}

// An ambiguous Put lands; a plain failure does not; skipped prefixes are
// neither counted nor failed.
func TestTableAmbiguousWriteLands(t *testing.T) {
	t.Parallel()
	raw, err := embedded.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	plan := faults.NewPlan(
		faults.Rule{Port: faults.TablePort, Call: 1, Kind: faults.Fail},
		faults.Rule{Port: faults.TablePort, Call: 2, Kind: faults.Ambiguous},
	)
	tb := faults.Table(raw, plan, faults.LocalPrefixes...)
	ctx := context.Background()
	put := func(pk string) error {
		_, err := tb.Put(ctx, store.Item{Key: store.Key{PK: pk, SK: "#"}, Data: []byte(`{}`)}, store.IfAbsent())
		return err
	}
	if err := put("OUTBOXMSG#x"); err != nil {
		t.Fatalf("skipped prefix: %v", err)
	}
	if err := put("A"); !errors.Is(err, faults.ErrInjected) {
		t.Fatalf("1st: %v", err)
	}
	if _, err := raw.Get(ctx, store.Key{PK: "A", SK: "#"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("failed put landed: %v", err)
	}
	if err := put("B"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("2nd: %v", err)
	}
	if _, err := raw.Get(ctx, store.Key{PK: "B", SK: "#"}); err != nil {
		t.Errorf("ambiguous put did not land: %v", err)
	}
	if err := put("B"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("retry of the landed put: %v, want a conflict", err)
	}
	if n := plan.Calls(faults.TablePort); n != 3 {
		t.Errorf("%d table calls counted, want 3", n)
	}
}

// Many goroutines, one injected fault: the plan is safe and exact.
func TestPlanIsConcurrencySafe(t *testing.T) {
	t.Parallel()
	inner := &countingMailer{}
	plan := faults.NewPlan(faults.Rule{Port: faults.MailerPort, Call: 50, Kind: faults.Fail})
	m := faults.Mailer(inner, plan)
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := 0
	for range 100 {
		wg.Go(func() {
			if _, err := m.SendEmail(context.Background(), message.Email{}); err != nil {
				mu.Lock()
				failed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if failed != 1 || inner.sent != 99 || len(plan.Hits()) != 1 {
		t.Errorf("failed %d sent %d hits %v", failed, inner.sent, plan.Hits())
	}
}
