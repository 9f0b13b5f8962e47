package outbox_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/core/store"
	"github.com/cxloop/cxloop/shared/domain/message"
	"github.com/cxloop/cxloop/shared/local/embedded"
	"github.com/cxloop/cxloop/shared/local/outbox"
)

type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Second)
	return c.now
}

func open(t *testing.T, path string) (*outbox.Outbox, *embedded.Table) {
	t.Helper()
	tbl, err := embedded.Open(path)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	clk := &stepClock{now: time.Date(2026, 5, 12, 9, 0, 0, 0, time.FixedZone("CEST", 2*3600))}
	return outbox.New(tbl, clk), tbl
}

func TestOutbox(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := t.TempDir()
	box, tbl := open(t, path)

	emailID, err := box.SendEmail(ctx, message.Email{
		To: "ana@example.com", Subject: "A quick question", Text: "hi", HTML: "<p>hi</p>",
		Headers: map[string]string{"List-Unsubscribe": "<https://x/u/1>"},
		Links:   []string{"https://x/s/1?score=0", "https://x/u/1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	smsID, err := box.SendSMS(ctx, message.SMS{To: "+14155550100", Body: "Reply 0-10. Details: https://x/s/2 or http://y/z. Reply STOP to opt out"})
	if err != nil {
		t.Fatal(err)
	}
	plainID, err := box.SendSMS(ctx, message.SMS{To: "+14155550100", Body: "Thanks"})
	if err != nil {
		t.Fatal(err)
	}
	if emailID == smsID || smsID == plainID {
		t.Fatalf("ids not unique: %s %s %s", emailID, smsID, plainID)
	}

	check := func(box *outbox.Outbox) {
		t.Helper()
		list, err := box.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 3 {
			t.Fatalf("List: %d messages, want 3", len(list))
		}
		if ids := []string{list[0].ID, list[1].ID, list[2].ID}; !slices.Equal(ids, []string{emailID, smsID, plainID}) {
			t.Errorf("List order %v, want oldest first", ids)
		}
		em := list[0]
		if em.Channel != "email" || em.To != "ana@example.com" || em.Subject != "A quick question" ||
			em.BodyText != "hi" || em.BodyHTML != "<p>hi</p>" || em.Headers["List-Unsubscribe"] != "<https://x/u/1>" ||
			len(em.Links) != 2 || em.SentAt.Location() != time.UTC {
			t.Errorf("email kept as %+v", em)
		}
		sms := list[1]
		if sms.Channel != "sms" || sms.To != "+14155550100" || !slices.Equal(sms.Links, []string{"https://x/s/2", "http://y/z."}) && !slices.Equal(sms.Links, []string{"https://x/s/2", "http://y/z"}) {
			t.Errorf("sms kept as %+v", sms)
		}
		if list[2].Links == nil || len(list[2].Links) != 0 {
			t.Errorf("sms without links: Links = %#v, want empty, not nil (JSON [] not null)", list[2].Links)
		}
		got, err := box.Get(ctx, smsID)
		if err != nil || got.BodyText != sms.BodyText {
			t.Errorf("Get(%s) = %+v, %v", smsID, got, err)
		}
		if _, err := box.Get(ctx, "em-nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get(unknown) error = %v, want store.ErrNotFound", err)
		}
	}
	check(box)

	// Kept on disk: a reopened store has the same messages.
	if err := tbl.Close(); err != nil {
		t.Fatal(err)
	}
	box2, tbl2 := open(t, path)
	t.Cleanup(func() { tbl2.Close() })
	check(box2)
}
