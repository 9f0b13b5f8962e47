package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cxloop/cxloop/shared/core/store"
	"github.com/cxloop/cxloop/shared/domain/customer"
	"github.com/cxloop/cxloop/shared/domain/message"
	"github.com/cxloop/cxloop/shared/domain/survey"
)

// Errors a Mailer or Texter returns (wrapped) when an address can never
// be delivered to; the core suppresses the address instead of retrying.
var (
	ErrInvalidAddress = errors.New("address cannot receive messages")
	ErrProviderOptOut = errors.New("recipient opted out at the provider")
)

// ErrThrottled is what a Mailer or Texter returns (wrapped) when the
// provider refused a message for now because the account is over its
// sending rate or quota: the message was not sent and may be sent later.
var ErrThrottled = errors.New("provider is over its sending rate; try later")

// Reasons an address is suppressed.
const (
	ReasonBounce    = "bounce"
	ReasonComplaint = "complaint"
	ReasonInvalid   = "invalid_address"
	ReasonOptedOut  = "opted_out"
)

// Undeliverable suppresses an address so nothing is sent to it again. A
// hard bounce or an invalid number also tells the account owner that the
// person's contact details need fixing: the person is still owed a voice.
// That email is at least once: it is marked on the suppression after it
// is sent, and a repeat of the event sends it if it is not. surveyID (from
// the message's tags) may be empty.
func (a *App) Undeliverable(ctx context.Context, address, reason, surveyID string) error {
	if address == "" {
		return FieldError("address", "is required")
	}
	sup := customer.Suppression{Address: address, Reason: reason, At: a.Now()}
	err := a.store.Suppressions.Create(ctx, sup)
	if errors.Is(err, store.ErrConflict) {
		if sup, err = a.store.Suppressions.Get(ctx, address); err != nil {
			return fmt.Errorf("suppress address: %w", err)
		}
	} else if err != nil {
		return fmt.Errorf("suppress address: %w", err)
	} else {
		a.log.InfoContext(ctx, "address suppressed", "reason", reason, "survey_id", surveyID)
	}
	if (sup.Reason != ReasonBounce && sup.Reason != ReasonInvalid) || surveyID == "" || !sup.OwnerToldAt.IsZero() {
		return nil
	}
	now, claimed := a.Now(), false
	if _, err := a.store.Suppressions.Update(ctx, address, func(s *customer.Suppression) error {
		if claimed = take(&s.OwnerTellingUntil, s.OwnerToldAt, now, a.cfg.SendClaim); !claimed {
			return store.ErrNoChange
		}
		return nil
	}); err != nil || !claimed {
		return err // another delivery of the event is telling them
	}
	sv, err := a.store.Surveys.Get(ctx, surveyID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	owner, err := a.store.People.Get(ctx, sv.OwnerID)
	if err != nil {
		a.log.WarnContext(ctx, "no owner to tell about an undeliverable contact", "survey_id", sv.ID, "err", err)
		return nil
	}
	acct, _ := a.store.Accounts.Get(ctx, sv.AccountID)
	m, err := message.ContactFixEmail(owner.Email, owner.Name, sv.Name, acct.Name, string(sv.Channel), address)
	if err != nil {
		return err
	}
	m.Tags = map[string]string{"survey_id": sv.ID, "purpose": "contact_fix"}
	id, err := a.mail.SendEmail(ctx, m)
	if err != nil {
		_, rerr := a.store.Suppressions.Update(ctx, address, func(s *customer.Suppression) error {
			s.OwnerTellingUntil = time.Time{}
			return nil
		})
		return errors.Join(fmt.Errorf("tell owner about undeliverable contact: %w", err), rerr)
	}
	a.logMessage(ctx, message.Record{ID: id, Channel: "email", To: owner.Email, Purpose: "contact_fix", Subject: m.Subject, CustomerID: sv.CustomerID, SurveyID: sv.ID})
	if _, err := a.store.Suppressions.Update(ctx, address, func(s *customer.Suppression) error {
		s.OwnerToldAt, s.OwnerTellingUntil = a.Now(), time.Time{}
		return nil
	}); err != nil {
		// Sent: failing now would make the event's retry send it again.
		a.log.WarnContext(ctx, "owner told of an undeliverable contact, but not marked", "survey_id", sv.ID, "err", err)
	}
	return nil
}

// take claims a message for one sender until now+lease; false if it was
// sent, or another sender holds it. A claim that ran out without the
// message marked sent was a sender that died: taking it again sends the
// message again (at least once, never lost).
func take(until *time.Time, sent, now time.Time, lease time.Duration) bool {
	if !sent.IsZero() || now.Before(*until) {
		return false
	}
	*until = now.Add(lease)
	return true
}

// undeliverableSend handles a send the provider refused for good: the
// survey is cancelled and the address suppressed.
func (a *App) undeliverableSend(ctx context.Context, sv survey.Survey, cause error) error {
	reason := ReasonInvalid
	if errors.Is(cause, ErrProviderOptOut) {
		reason = ReasonOptedOut
	}
	if _, err := a.store.Surveys.Update(ctx, sv.ID, func(s *survey.Survey) error {
		s.Status = survey.Cancelled
		return nil
	}); err != nil {
		return err
	}
	a.log.WarnContext(ctx, "survey cancelled: address undeliverable", "survey_id", sv.ID, "reason", reason)
	return a.Undeliverable(ctx, sv.To, reason, sv.ID)
}
