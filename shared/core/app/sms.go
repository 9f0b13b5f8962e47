package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/cxloop/cxloop/shared/core/store"
	"github.com/cxloop/cxloop/shared/domain/customer"
	"github.com/cxloop/cxloop/shared/domain/message"
	"github.com/cxloop/cxloop/shared/domain/reply"
	"github.com/cxloop/cxloop/shared/domain/survey"
)

// InboundSMS is a text a person sent to our number.
type InboundSMS struct {
	From string `json:"from" validate:"required,e164"`
	Body string `json:"body" validate:"max=1600"`
	// PreviousMessageID is the id of our message this replies to, when the
	// provider knows it (End User Messaging's previousPublishedMessageId).
	PreviousMessageID string `json:"previous_message_id,omitempty" validate:"omitempty,id"`
	// MessageID is the provider's id of this inbound text; a redelivery
	// with the same id is recognised and does nothing.
	MessageID string `json:"message_id,omitempty" validate:"omitempty,id"`
}

// SMSOutcome says what an inbound text did.
type SMSOutcome struct {
	Action     string `json:"action"` // answered, opted_out, help, unclear, no_survey, closed, out_of_range
	SurveyID   string `json:"survey_id,omitempty"`
	ResponseID string `json:"response_id,omitempty"`
	Reply      string `json:"reply,omitempty"`
}

// ReceiveSMS handles a text: a score (with an optional comment) answers the
// survey it replies to; STOP opts out, confirmed once; HELP explains;
// anything else gets a short clarifying reply and stores nothing. Once a
// number has opted out, its texts store nothing and get no answer but the
// one to HELP.
//
// With the provider answering keywords (End User Messaging's default),
// cxloop records STOP but sends neither its confirmation nor the HELP
// text: the provider already did, and the two would each answer.
//
// The reply is at least once: it is kept with the inbound text's record
// before it is sent, and a redelivery of a text whose reply was not sent
// sends it (and does nothing else).
func (a *App) ReceiveSMS(ctx context.Context, in InboundSMS) (SMSOutcome, error) {
	// A person's text is never refused for what is in it: stray control
	// characters are dropped, not stored, and the rest is read.
	in.Body = CleanText(in.Body)
	if err := a.check(in); err != nil {
		return SMSOutcome{}, err
	}
	inboundID := ""
	if in.MessageID != "" {
		inboundID = "inbound-" + in.MessageID
		if _, err := a.store.Messages.Get(ctx, inboundID); err == nil {
			return SMSOutcome{Action: "duplicate"}, a.replyOwed(ctx, inboundID)
		} else if !errors.Is(err, store.ErrNotFound) {
			return SMSOutcome{}, err
		}
	}
	parsed := reply.Parse(in.Body)
	sv, found, err := a.surveyForReply(ctx, in)
	if err != nil {
		return SMSOutcome{}, err
	}
	optedOut, err := a.textsStopped(ctx, in.From, sv, found)
	if err != nil {
		return SMSOutcome{}, err
	}
	cat := message.For(sv.Locale)
	vars := map[string]string{"org": a.cfg.Org}
	if found {
		sc := sv.Kind.Scale()
		vars["min"], vars["max"] = strconv.Itoa(sc.Min), strconv.Itoa(sc.Max)
	} else {
		vars["min"], vars["max"] = "0", "10"
	}
	ours := a.cfg.SMSKeywords == KeywordsCxloop
	out := SMSOutcome{SurveyID: sv.ID}
	switch {
	case parsed.Kind == reply.Help:
		out.Action = "help"
		if ours {
			out.Reply = message.Fill(cat.SMSHelp, vars)
		}
	case parsed.Kind == reply.Stop:
		first, err := a.stopSMS(ctx, in.From, sv, found)
		if err != nil {
			return SMSOutcome{}, err
		}
		out.Action = "opted_out"
		if first && !optedOut && ours {
			out.Reply = message.Fill(cat.SMSStopped, vars)
		}
	case optedOut:
		// They said STOP: nothing more is sent to them, and what they
		// send is not taken as an answer.
		out.Action = "ignored_opted_out"
	case parsed.Kind == reply.Score:
		switch {
		case !found:
			out.Action, out.Reply = "no_survey", message.Fill(cat.SMSNoSurvey, vars)
		case !sv.Open(a.Now()):
			out.Action, out.Reply = "closed", message.Fill(cat.Closed, vars)+"."
		case !sv.Kind.Contains(parsed.Score) || parsed.OutOf != 0 && parsed.OutOf != sv.Kind.Scale().Max:
			// "4/5" to a 0-10 question is not a 4 on it: ask again.
			out.Action, out.Reply = "out_of_range", message.Fill(cat.SMSOutOfRange, vars)
		default:
			r, err := a.answer(ctx, sv, parsed.Score, parsed.Comment, survey.FromSMS)
			if err != nil {
				return SMSOutcome{}, err
			}
			out.Action, out.ResponseID, out.Reply = "answered", r.ID, message.Fill(cat.SMSThanks, vars)
		}
	default:
		out.Action, out.Reply = "unclear", message.Fill(cat.SMSUnclear, vars)
	}
	a.log.InfoContext(ctx, "inbound sms", "action", out.Action, "survey_id", out.SurveyID)
	rec := message.Record{ID: inboundID, Channel: string(survey.SMS), To: in.From, Purpose: "inbound", CustomerID: sv.CustomerID, SurveyID: sv.ID, SentAt: a.Now(), Reply: out.Reply, ReplyFor: out.Action}
	if out.Reply != "" {
		// This delivery holds the reply; if it dies, the sweeper (or a
		// redelivery) sends it once the claim runs out.
		rec.ReplyUntil = a.Now().Add(a.cfg.SendClaim)
	}
	if inboundID == "" {
		// Without the provider's id a redelivery cannot be recognised:
		// the reply is sent once, and a failure is not retried.
		if out.Reply != "" {
			if err := a.sendReply(ctx, rec); err != nil {
				a.log.WarnContext(ctx, "sms reply not sent", "err", err)
			}
		}
		return out, nil
	}
	// Marked after the work: a crash before this point repeats the
	// (idempotent) work rather than losing the answer; of concurrent
	// deliveries, only the one that marks it replies.
	if err := a.store.Messages.Create(ctx, rec); errors.Is(err, store.ErrConflict) {
		return SMSOutcome{Action: "duplicate"}, nil
	} else if err != nil {
		return SMSOutcome{}, fmt.Errorf("inbound sms: mark %s: %w", inboundID, err)
	}
	if out.Reply != "" {
		if err := a.sendReply(ctx, rec); err != nil {
			// The text's work is done and marked: the provider's
			// redelivery only sends the reply.
			return out, fmt.Errorf("inbound sms %s: reply: %w", inboundID, err)
		}
	}
	return out, nil
}

// replyOwed sends the reply an inbound text is still owed: an earlier
// delivery recorded it and died, or failed, before sending it. A reply
// another delivery holds now is left to it.
func (a *App) replyOwed(ctx context.Context, inboundID string) error {
	now := a.Now()
	claimed := false
	rec, err := a.store.Messages.Update(ctx, inboundID, func(r *message.Record) error {
		if r.Reply != "" && r.To == "" {
			r.Reply, claimed = "", false // the person was erased: no one is owed it
			return nil
		}
		if claimed = r.Reply != "" && take(&r.ReplyUntil, r.RepliedAt, now, a.cfg.SendClaim); !claimed {
			return store.ErrNoChange
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil || !claimed {
		return err
	}
	// A number that opted out since gets only the confirmation of that
	// STOP or the answer to HELP.
	if rec.ReplyFor != "opted_out" && rec.ReplyFor != "help" {
		stopped, err := a.store.Suppressed(ctx, rec.To)
		if err != nil {
			return err
		}
		if stopped {
			_, err := a.store.Messages.Update(ctx, rec.ID, func(r *message.Record) error {
				r.Reply = "" // not owed any more
				return nil
			})
			return err
		}
	}
	return a.sendReply(ctx, rec)
}

// sendReply texts the reply kept with an inbound record, which this
// caller holds, and marks it sent; a failed send gives the claim back, so
// the next attempt need not wait for it to run out.
func (a *App) sendReply(ctx context.Context, inbound message.Record) error {
	id, err := a.sms.SendSMS(ctx, message.SMS{To: inbound.To, Body: inbound.Reply, Tags: map[string]string{"purpose": "reply"}})
	if err != nil {
		if inbound.ID != "" {
			_, rerr := a.store.Messages.Update(ctx, inbound.ID, func(r *message.Record) error {
				r.ReplyUntil = a.Now()
				return nil
			})
			err = errors.Join(err, rerr)
		}
		return err
	}
	a.logMessage(ctx, message.Record{ID: id, Channel: string(survey.SMS), To: inbound.To, Purpose: "reply", CustomerID: inbound.CustomerID, SurveyID: inbound.SurveyID})
	if inbound.ID == "" {
		return nil
	}
	if _, err := a.store.Messages.Update(ctx, inbound.ID, func(r *message.Record) error {
		r.RepliedAt, r.ReplyUntil = a.Now(), time.Time{}
		return nil
	}); err != nil {
		// Sent: failing now would make the redelivery send it again.
		a.log.WarnContext(ctx, "sms reply sent but not marked", "inbound_id", inbound.ID, "err", err)
	}
	return nil
}

// textsStopped reports whether the number has opted out of texts (or is
// suppressed): by STOP, at the provider, or as the person behind the survey.
func (a *App) textsStopped(ctx context.Context, phone string, sv survey.Survey, found bool) (bool, error) {
	suppressed, err := a.store.Suppressed(ctx, phone)
	if err != nil || suppressed || !found {
		return suppressed, err
	}
	c, err := a.store.Customers.Get(ctx, sv.CustomerID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return c.OptOut.Has(survey.SMS), err
}

// surveyForReply finds the survey a text answers: the one the provider says
// it replies to, else the newest open SMS survey sent to that number.
func (a *App) surveyForReply(ctx context.Context, in InboundSMS) (survey.Survey, bool, error) {
	if in.PreviousMessageID != "" {
		m, err := a.store.Messages.Get(ctx, in.PreviousMessageID)
		if err == nil && m.SurveyID != "" && m.To == in.From {
			sv, err := a.store.Surveys.Get(ctx, m.SurveyID)
			if err == nil {
				return sv, true, nil
			}
			if !errors.Is(err, store.ErrNotFound) {
				return survey.Survey{}, false, err
			}
		} else if err != nil && !errors.Is(err, store.ErrNotFound) {
			return survey.Survey{}, false, err
		}
	}
	sv, err := a.store.OpenSMSSurvey(ctx, in.From, a.Now())
	if errors.Is(err, store.ErrNotFound) {
		return survey.Survey{}, false, nil
	}
	return sv, err == nil, err
}

// stopSMS opts the number out: the address is suppressed for every person
// using it, and the person behind the survey opts out of texts. It reports
// whether this was the first STOP, so the confirmation is sent once.
func (a *App) stopSMS(ctx context.Context, phone string, sv survey.Survey, found bool) (bool, error) {
	err := a.store.Suppressions.Create(ctx, customer.Suppression{Address: phone, Reason: "opted_out", At: a.Now()})
	first := err == nil
	if err != nil && !errors.Is(err, store.ErrConflict) {
		return false, fmt.Errorf("stop %s: %w", phone, err)
	}
	if found {
		if err := a.optOut(ctx, sv.CustomerID, survey.SMS); err != nil {
			return false, err
		}
	}
	a.log.InfoContext(ctx, "number opted out of texts", "customer_id", sv.CustomerID, "first", first)
	return first, nil
}
