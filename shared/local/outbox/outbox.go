// Package outbox is the local mailer and SMS sender: instead of delivering,
// it keeps every message in the local store, where `cxloop dev` shows it
// as JSON (/dev/outbox) and as pages a person can click through.
package outbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"time"

	"github.com/cxloop/cxloop/shared/core/store"
	"github.com/cxloop/cxloop/shared/domain/message"
)

// Message is one captured message.
type Message struct {
	ID       string            `json:"id"`
	Channel  string            `json:"channel"` // email or sms
	To       string            `json:"to"`
	Subject  string            `json:"subject,omitempty"`
	ReplyTo  string            `json:"reply_to,omitempty"`
	BodyText string            `json:"body_text"`
	BodyHTML string            `json:"body_html,omitempty"`
	Headers  map[string]string `json:"headers,omitempty"`
	Tags     map[string]string `json:"tags,omitempty"`
	Links    []string          `json:"links"`
	SentAt   time.Time         `json:"sent_at"`
}

// Clock tells the time messages are sent at.
type Clock interface{ Now() time.Time }

// Outbox captures messages in a store table.
type Outbox struct {
	table store.Table
	clock Clock
}

// New returns an outbox over t.
func New(t store.Table, c Clock) *Outbox { return &Outbox{table: t, clock: c} }

const listPK = "OUTBOX"

func key(id string) store.Key { return store.Key{PK: "OUTBOXMSG#" + id, SK: "#"} }

// SendEmail captures an email.
func (o *Outbox) SendEmail(ctx context.Context, m message.Email) (string, error) {
	return o.put(ctx, Message{
		ID: "em-" + newID(), Channel: "email", To: m.To, Subject: m.Subject, ReplyTo: m.ReplyTo, BodyText: m.Text,
		BodyHTML: m.HTML, Headers: m.Headers, Tags: m.Tags, Links: m.Links,
	})
}

var urlRE = regexp.MustCompile(`https?://[^\s<>"]+`)

// SendSMS captures a text; its links are whatever URLs the body holds.
func (o *Outbox) SendSMS(ctx context.Context, m message.SMS) (string, error) {
	links := urlRE.FindAllString(m.Body, -1)
	if links == nil {
		links = []string{}
	}
	return o.put(ctx, Message{ID: "sms-" + newID(), Channel: "sms", To: m.To, BodyText: m.Body, Tags: m.Tags, Links: links})
}

func (o *Outbox) put(ctx context.Context, m Message) (string, error) {
	m.SentAt = o.clock.Now().UTC()
	data, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("outbox: encode %s: %w", m.ID, err)
	}
	it := store.Item{Key: key(m.ID), GSI3: store.Key{PK: listPK, SK: store.TS(m.SentAt) + "#" + m.ID}, Data: data}
	if _, err := o.table.Put(ctx, it, store.IfAbsent()); err != nil {
		return "", fmt.Errorf("outbox: keep %s to %s: %w", m.Channel, m.To, err)
	}
	return m.ID, nil
}

// List returns the captured messages, oldest first.
func (o *Outbox) List(ctx context.Context) ([]Message, error) {
	items, err := o.table.Query(ctx, store.Query{Index: store.Listing, PK: listPK})
	if err != nil {
		return nil, fmt.Errorf("outbox: list: %w", err)
	}
	out := make([]Message, 0, len(items))
	for _, it := range items {
		var m Message
		if err := json.Unmarshal(it.Data, &m); err != nil {
			return nil, fmt.Errorf("outbox: decode %s: %w", it.PK, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// Get returns one message; store.ErrNotFound if none has id.
func (o *Outbox) Get(ctx context.Context, id string) (Message, error) {
	it, err := o.table.Get(ctx, key(id))
	if err != nil {
		return Message{}, fmt.Errorf("outbox: get %s: %w", id, err)
	}
	var m Message
	if err := json.Unmarshal(it.Data, &m); err != nil {
		return Message{}, fmt.Errorf("outbox: decode %s: %w", id, err)
	}
	return m, nil
}

func newID() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
