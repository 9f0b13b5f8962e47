package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/cxloop/cxloop/shared/core/store"
	"github.com/cxloop/cxloop/shared/domain/message"
	"github.com/cxloop/cxloop/shared/domain/survey"
	"github.com/cxloop/cxloop/shared/domain/token"
	"time"
)

// Send delivers a scheduled survey. It is safe to call any number of times
// for the same survey (SQS redelivery, the sweeper): a claim with a lease
// lets one sender at a time through, and a sent survey is never sent again.
func (a *App) Send(ctx context.Context, surveyID string) error {
	now := a.Now()
	claimed := false
	sv, err := a.store.Surveys.Update(ctx, surveyID, func(sv *survey.Survey) error {
		claimed = false
		switch {
		case sv.Status == survey.Scheduled && !now.Before(sv.SendAt):
		case sv.Status == survey.Sending && !now.Before(sv.SendingUntil):
			// The previous sender died mid-send; at-least-once from here.
		default:
			return store.ErrNoChange
		}
		sv.Status, sv.SendingUntil, claimed = survey.Sending, now.Add(a.cfg.SendClaim), true
		if sv.AttemptedAt.IsZero() {
			sv.AttemptedAt, sv.ExpiresAt = now, now.Add(a.cfg.Survey.ExpireAfter)
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		a.log.WarnContext(ctx, "send: no such survey", "survey_id", surveyID)
		return nil // a message about nothing is not worth retrying
	}
	if err != nil || !claimed {
		return err
	}
	log := a.log.With("survey_id", sv.ID, "customer_id", sv.CustomerID, "channel", string(sv.Channel))

	if reason, blocked, err := a.blocked(ctx, sv); err != nil {
		return a.releaseSend(ctx, sv.ID, err)
	} else if blocked {
		_, err := a.store.Surveys.Update(ctx, sv.ID, func(s *survey.Survey) error {
			s.Status = survey.Cancelled
			return nil
		})
		log.InfoContext(ctx, "survey cancelled before sending", "reason", string(reason))
		return err
	}
	msgID, err := a.deliverSurvey(ctx, sv, false)
	if errors.Is(err, ErrInvalidAddress) || errors.Is(err, ErrProviderOptOut) {
		return a.undeliverableSend(ctx, sv, err)
	}
	if err != nil {
		return a.releaseSend(ctx, sv.ID, err)
	}
	sentAt := a.Now()
	_, err = a.store.Surveys.Update(ctx, sv.ID, func(s *survey.Survey) error {
		if s.Status == survey.Sending { // not if the person already answered
			s.Status = survey.Sent
		}
		s.SentAt, s.SendingUntil = sentAt, sentAt
		s.RemindAt = sentAt.Add(a.cfg.Survey.RemindAfter)
		s.ExpiresAt = sentAt.Add(a.cfg.Survey.ExpireAfter)
		s.MessageIDs = append(s.MessageIDs, msgID)
		return nil
	})
	if err != nil {
		return fmt.Errorf("send %s: mark sent: %w", sv.ID, err)
	}
	log.InfoContext(ctx, "survey sent", "message_id", msgID)
	return nil
}

// releaseSend gives the claim back after a failed attempt so the next
// retry need not wait for the lease, and returns cause.
func (a *App) releaseSend(ctx context.Context, id string, cause error) error {
	_, err := a.store.Surveys.Update(ctx, id, func(s *survey.Survey) error {
		if s.Status != survey.Sending {
			return store.ErrNoChange
		}
		s.Status = survey.Scheduled
		return nil
	})
	return errors.Join(fmt.Errorf("send %s: %w", id, cause), err)
}

// blocked re-checks, at the moment of sending, what may have changed since
// the survey was scheduled: SMS switched off, opt-outs and suppressions.
func (a *App) blocked(ctx context.Context, sv survey.Survey) (survey.Reason, bool, error) {
	if sv.Channel == survey.SMS && a.cfg.SMSOff {
		return survey.SMSNotConfigured, true, nil
	}
	c, err := a.store.Customers.Get(ctx, sv.CustomerID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", false, err
	}
	if c.OptOut.Has(sv.Channel) {
		return survey.OptedOut, true, nil
	}
	suppressed, err := a.store.Suppressed(ctx, sv.To)
	if err != nil {
		return "", false, err
	}
	if suppressed {
		return survey.SuppressedAddress, true, nil
	}
	return "", false, nil
}

// deliverSurvey renders the survey (or its reminder) for its channel, sends
// it and logs the message for the person's timeline.
func (a *App) deliverSurvey(ctx context.Context, sv survey.Survey, reminder bool) (string, error) {
	// ExpiresAt is set when the send is claimed. Links outlive the survey a
	// little so a late click sees "closed", not 404.
	ttl := sv.ExpiresAt.Sub(a.Now()) + 7*24*time.Hour
	in := message.Invite{
		Kind: sv.Kind, Name: sv.Name, Org: a.cfg.Org, OwnerName: sv.OwnerName, Locale: sv.Locale,
		Reminder:       reminder,
		SurveyURL:      a.link(token.Survey, sv.ID, ttl),
		UnsubscribeURL: a.link(token.Unsubscribe, sv.ID, ttl+a.cfg.Survey.Throttle),
		Tags:           map[string]string{"survey_id": sv.ID, "purpose": purposeOf(reminder)},
	}
	var (
		id, subject string
		err         error
	)
	switch sv.Channel {
	case survey.SMS:
		m := message.SurveySMS(sv.To, in)
		id, err = a.sms.SendSMS(ctx, m)
	default:
		var m message.Email
		if m, err = message.SurveyEmail(sv.To, in); err == nil {
			subject = m.Subject
			id, err = a.mail.SendEmail(ctx, m)
		}
	}
	if err != nil {
		return "", fmt.Errorf("deliver survey %s by %s: %w", sv.ID, sv.Channel, err)
	}
	a.logMessage(ctx, message.Record{
		ID: id, Channel: string(sv.Channel), To: sv.To, Purpose: purposeOf(reminder), Subject: subject,
		CustomerID: sv.CustomerID, SurveyID: sv.ID,
	})
	return id, nil
}

func purposeOf(reminder bool) string {
	if reminder {
		return "reminder"
	}
	return "survey"
}

// logMessage records a sent message. Failing to log must not fail or
// repeat the send that already happened, so it is only reported.
func (a *App) logMessage(ctx context.Context, m message.Record) {
	m.SentAt = a.Now()
	if err := a.store.Messages.Create(ctx, m); err != nil && !errors.Is(err, store.ErrConflict) {
		a.log.WarnContext(ctx, "message sent but not logged", "message_id", m.ID, "err", err)
		return
	}
	// A loop still running when its customer was erased must not leave
	// their address behind: Erase may have read the timeline before this
	// record was written.
	if m.CustomerID == "" {
		return
	}
	c, err := a.store.Customers.Get(ctx, m.CustomerID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		a.log.WarnContext(ctx, "message logged; could not check whether its customer was erased", "message_id", m.ID, "err", err)
	}
	if err != nil || !c.Erased {
		return
	}
	if _, err := a.store.Messages.Update(ctx, m.ID, func(r *message.Record) error { r.ErasePersonalData(); return nil }); err != nil {
		a.log.WarnContext(ctx, "message to an erased customer not scrubbed", "message_id", m.ID, "err", err)
	}
}
