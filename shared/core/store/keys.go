package store

import (
	"strings"
	"time"

	"github.com/cxloop/cxloop/shared/domain/access"
	"github.com/cxloop/cxloop/shared/domain/customer"
	"github.com/cxloop/cxloop/shared/domain/directory"
	"github.com/cxloop/cxloop/shared/domain/loop"
	"github.com/cxloop/cxloop/shared/domain/message"
	"github.com/cxloop/cxloop/shared/domain/survey"
)

// Every key of the single table is built in this file.
//
// Access patterns (P = primary, G1 = due, G2 = customer, G3 = listing):
//
//	person / account / customer by id     P  PERSON#id | ACCOUNT#id | CUSTOMER#id, "#"
//	suppressed address                    P  ADDRESS#addr, "#"
//	interaction by id (ingest replay)     P  INTERACTION#id, "#"
//	survey, response by id                P  SURVEY#id | RESPONSE#id, "#"
//	message by provider id (SMS replies)  P  MESSAGE#id, "#"
//	task by id                            P  TASK#id, "#"
//	everything due by now (sweeper)       G1 DUE, <= ts(now)
//	a person's timeline, erasure          G2 CUST#id, all
//	answers between two times             G3 ANSWERS#yyyy-mm, between ts(from) and ts(to)
//	newest open SMS survey for a number   G3 PHONE#e164, newest first, limit 1
//	tasks by status, in due time order    G1 TASKS#open | TASKS#done | TASKS#failed
//	loops by unhappy answer time (report) G3 LOOPS#yyyy-mm, between ts(from) and ts(to)
//	people, accounts by name (and prefix) G3 PEOPLE | ACCOUNTS, name#id
//	customers by email                    G3 CUSTEMAIL#email, id
//	API key by id                         P  APIKEY#id, "#"
//	API keys, oldest first                G3 APIKEYS, ts(created)#id
//	session, sign-in link, sign-in window P  SESSION#id | SIGNIN#id | SIGNINRATE#hash, "#" (TTL)
//	the follow-ups a person holds         P  HOLDS#person, task id
//	a manager's direct reports            G1 REPORTS#manager, name#id
//	people by email (sign-in)             G2 PERSONEMAIL#email, id
const (
	self         = "#"
	duePK        = "DUE"
	tsLayout     = "2006-01-02T15:04:05.000000000Z"
	monthFmt     = "2006-01"
	keyPerson    = "PERSON#"
	keyAcct      = "ACCOUNT#"
	keyCust      = "CUSTOMER#"
	keyAddr      = "ADDRESS#"
	keyInter     = "INTERACTION#"
	keySurvey    = "SURVEY#"
	keyResp      = "RESPONSE#"
	keyMsg       = "MESSAGE#"
	keyTask      = "TASK#"
	keyOutbox    = "OUTBOX"
	keyAPIKey    = "APIKEY#"
	keySession   = "SESSION#"
	keySignIn    = "SIGNIN#"
	keySignInWin = "SIGNINRATE#"
	keyHolds     = "HOLDS#"
)

// TS formats a time as a sort key: fixed width, so byte order is time order.
func TS(t time.Time) string { return t.UTC().Format(tsLayout) }

func id(prefix string) func(string) Key {
	return func(id string) Key { return Key{PK: prefix + id, SK: self} }
}

func due(at time.Time, kind, id string) Key {
	if at.IsZero() {
		return Key{}
	}
	return Key{PK: duePK, SK: TS(at) + "#" + kind + "#" + id}
}

func timeline(customerID string, at time.Time, kind, id string) Key {
	if customerID == "" {
		return Key{}
	}
	return Key{PK: "CUST#" + customerID, SK: TS(at) + "#" + kind + "#" + id}
}

func personItem(p *directory.Person) Item {
	it := Item{
		Key:  id(keyPerson)(p.ID),
		GSI2: Key{PK: "PERSONEMAIL#" + addressKey(p.Email), SK: p.ID},
		GSI3: Key{PK: "PEOPLE", SK: NameKey(p.Name) + "#" + p.ID},
	}
	if p.ManagerID != "" {
		it.GSI1 = Key{PK: "REPORTS#" + p.ManagerID, SK: NameKey(p.Name) + "#" + p.ID}
	}
	return it
}

func accountItem(a *directory.Account) Item {
	return Item{Key: id(keyAcct)(a.ID), GSI3: Key{PK: "ACCOUNTS", SK: NameKey(a.Name) + "#" + a.ID}}
}

func customerItem(c *customer.Customer) Item {
	it := Item{Key: id(keyCust)(c.ID), GSI1: due(c.EraseCheckAt, "customer", c.ID)}
	if c.Email != "" {
		it.GSI3 = Key{PK: "CUSTEMAIL#" + addressKey(c.Email), SK: c.ID}
	}
	return it
}

// NameKey is how a name sorts and is searched: case folded, so a search
// for "mar" finds "María".
func NameKey(name string) string {
	return strings.ToLower(strings.Join(strings.Fields(name), " "))
}

// Addresses are case-insensitive for email; phone numbers are E.164.
func addressKey(addr string) string { return strings.ToLower(strings.TrimSpace(addr)) }

func suppressionItem(s *customer.Suppression) Item {
	return Item{Key: id(keyAddr)(addressKey(s.Address))}
}

func interactionItem(in *survey.Interaction) Item {
	return Item{
		Key:  id(keyInter)(in.ID),
		GSI2: timeline(in.CustomerID, in.ReceivedAt, "interaction", in.ID),
	}
}

func surveyItem(s *survey.Survey) Item {
	it := Item{
		Key:  id(keySurvey)(s.ID),
		GSI1: due(s.NextDue(), "survey", s.ID),
		GSI2: timeline(s.CustomerID, s.CreatedAt, "survey", s.ID),
	}
	if s.Channel == survey.SMS && s.To != "" && s.Delivered() {
		it.GSI3 = Key{PK: "PHONE#" + s.To, SK: TS(s.SentAt) + "#" + s.ID}
	}
	return it
}

func responseItem(r *survey.Response) Item {
	it := Item{
		Key:  id(keyResp)(r.ID),
		GSI2: timeline(r.CustomerID, r.FirstAnsweredAt, "response", r.ID),
		GSI3: Key{PK: "ANSWERS#" + r.AnsweredAt.UTC().Format(monthFmt), SK: TS(r.AnsweredAt) + "#" + r.ID},
	}
	if r.Unhappy && !r.LoopStarted {
		// The sweeper starts the loop of any unhappy answer whose start failed.
		it.GSI1 = due(r.AnsweredAt, "response", r.ID)
	}
	return it
}

func messageItem(m *message.Record) Item {
	return Item{
		Key: id(keyMsg)(m.ID),
		// An inbound text's reply that its delivery did not send.
		GSI1: due(m.ReplyDue(), "reply", m.ID),
		GSI2: timeline(m.CustomerID, m.SentAt, "message", m.ID),
	}
}

func apiKeyItem(k *access.Key) Item {
	return Item{Key: id(keyAPIKey)(k.ID), GSI3: Key{PK: "APIKEYS", SK: TS(k.CreatedAt) + "#" + k.ID}}
}

func sessionItem(s *access.Session) Item {
	return Item{Key: id(keySession)(s.ID), ExpiresAt: s.ExpiresAt.Add(24 * time.Hour).Unix()}
}

func signInItem(s *access.SignIn) Item {
	return Item{Key: id(keySignIn)(s.ID), ExpiresAt: s.ExpiresAt.Add(24 * time.Hour).Unix()}
}

func signInWindowItem(w *access.SignInWindow) Item {
	it := Item{Key: id(keySignInWin)(w.Address)}
	if n := len(w.Sent); n > 0 {
		it.ExpiresAt = w.Sent[n-1].Add(24 * time.Hour).Unix()
	}
	return it
}

// holdingKey addresses a holding by "<person id>:<task id>", in the
// person's partition.
func holdingKey(id string) Key {
	person, task, _ := strings.Cut(id, ":")
	return Key{PK: keyHolds + person, SK: task}
}

func holdingItem(h *Holding) Item { return Item{Key: holdingKey(HoldingID(h.PersonID, h.TaskID))} }

func taskItem(t *loop.Task) Item {
	return Item{
		Key:  id(keyTask)(t.ID),
		GSI1: Key{PK: "TASKS#" + string(t.Status), SK: TS(t.DueAt) + "#task#" + t.ID},
		GSI2: timeline(t.CustomerID, t.CreatedAt, "task", t.ID),
		GSI3: Key{PK: "LOOPS#" + t.AnsweredAt.UTC().Format(monthFmt), SK: TS(t.AnsweredAt) + "#" + t.ID},
	}
}
