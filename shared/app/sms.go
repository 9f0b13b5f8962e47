package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/cxloop/cxloop/shared/customer"
	"github.com/cxloop/cxloop/shared/message"
	"github.com/cxloop/cxloop/shared/reply"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/survey"
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
// anything else gets a short clarifying reply and stores nothing.
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
			return SMSOutcome{Action: "duplicate"}, nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return SMSOutcome{}, err
		}
	}
	parsed := reply.Parse(in.Body)
	sv, found, err := a.surveyForReply(ctx, in)
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
	out := SMSOutcome{SurveyID: sv.ID}
	switch parsed.Kind {
	case reply.Stop:
		first, err := a.stopSMS(ctx, in.From, sv, found)
		if err != nil {
			return SMSOutcome{}, err
		}
		out.Action = "opted_out"
		if first {
			out.Reply = message.Fill(cat.SMSStopped, vars)
		}
	case reply.Help:
		out.Action, out.Reply = "help", message.Fill(cat.SMSHelp, vars)
	case reply.Score:
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
	if inboundID != "" {
		// Marked after the work: a crash before this point repeats the
		// (idempotent) work rather than losing the answer; of concurrent
		// deliveries, only the one that marks it replies.
		err := a.store.Messages.Create(ctx, message.Record{ID: inboundID, Channel: string(survey.SMS), To: in.From, Purpose: "inbound", CustomerID: sv.CustomerID, SurveyID: sv.ID, SentAt: a.Now()})
		if errors.Is(err, store.ErrConflict) {
			return SMSOutcome{Action: "duplicate"}, nil
		} else if err != nil {
			a.log.WarnContext(ctx, "inbound sms not marked", "err", err)
		}
	}
	if out.Reply != "" {
		id, err := a.sms.SendSMS(ctx, message.SMS{To: in.From, Body: out.Reply, Tags: map[string]string{"purpose": "reply"}})
		if err != nil {
			// The answer is stored; a missing courtesy reply is not worth a retry
			// that would process the text twice.
			a.log.WarnContext(ctx, "sms reply not sent", "err", err)
		} else {
			a.logMessage(ctx, message.Record{ID: id, Channel: string(survey.SMS), To: in.From, Purpose: "reply", CustomerID: sv.CustomerID, SurveyID: sv.ID})
		}
	}
	return out, nil
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
