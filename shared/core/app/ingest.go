package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cxloop/cxloop/shared/core/store"
	"github.com/cxloop/cxloop/shared/domain/customer"
	"github.com/cxloop/cxloop/shared/domain/directory"
	"github.com/cxloop/cxloop/shared/domain/survey"
)

// Interaction is a finished interaction as a source system reports it
// (POST /v1/interactions, or an EventBridge event with the same body).
type Interaction struct {
	ID         string         `json:"id" validate:"required,id"`
	OccurredAt string         `json:"occurred_at" validate:"required,rfc3339"`
	Type       string         `json:"type" validate:"required,max=64,nocontrol"`
	Channel    survey.Channel `json:"channel" validate:"required,oneof=email sms"`
	Survey     survey.Kind    `json:"survey" validate:"required,oneof=nps csat ces"`
	Customer   Contact        `json:"customer" validate:"required"`
	AccountID  string         `json:"account_id" validate:"required,id"`
	OwnerID    string         `json:"owner_id,omitempty" validate:"omitempty,id"`
}

// Contact is the person to ask.
type Contact struct {
	ID       string `json:"id" validate:"required,id"`
	Name     string `json:"name" validate:"required,max=200,nocontrol"`
	Email    string `json:"email,omitempty" validate:"omitempty,email,max=254"`
	Phone    string `json:"phone,omitempty" validate:"omitempty,e164"`
	Locale   string `json:"locale,omitempty" validate:"omitempty,locale"`
	Timezone string `json:"timezone,omitempty" validate:"omitempty,iana_tz"`
}

// Statuses of an ingest result.
const (
	StatusScheduled = "scheduled"
	StatusSkipped   = "skipped"
)

// Ingest decides about one interaction and, if the person may be asked,
// schedules the survey. The same id again returns the first result with
// replay true. occurred_at must lie between EarliestOccurred and
// MaxClockSkew from now; the locale is kept in its canonical BCP 47 form. Each step is idempotent, so a retry after a crash at any
// point ends in the same state as one clean run.
func (a *App) Ingest(ctx context.Context, in Interaction) (survey.Result, bool, error) {
	if err := a.check(in); err != nil {
		return survey.Result{}, false, err
	}
	if err := checkReachable(in); err != nil {
		return survey.Result{}, false, err
	}
	occurred, _ := ParseTime(in.OccurredAt) // validated above
	if err := checkOccurred(occurred, a.Now()); err != nil {
		return survey.Result{}, false, err
	}
	if in.Customer.Locale != "" {
		in.Customer.Locale, _ = a.validate.Locale(in.Customer.Locale) // validated above
	}
	if prior, err := a.store.Interactions.Get(ctx, in.ID); err == nil {
		return prior.Result, true, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return survey.Result{}, false, err
	}
	owner, err := a.resolveOwner(ctx, in)
	if err != nil {
		return survey.Result{}, false, err
	}
	now := a.Now()
	tz := time.UTC
	if in.Customer.Timezone != "" {
		tz, _ = time.LoadLocation(in.Customer.Timezone) // validated above
	}
	surveyID := SurveyID(in.ID)
	to := in.Customer.Email
	if in.Channel == survey.SMS {
		to = in.Customer.Phone
	}
	suppressed, err := a.store.Suppressed(ctx, to)
	if err != nil {
		return survey.Result{}, false, err
	}
	_, err = a.store.Surveys.Get(ctx, surveyID)
	resumed := err == nil // an earlier attempt got as far as the survey
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return survey.Result{}, false, err
	}

	var decision survey.Decision
	// The customer record carries the throttle claim; its conditional write
	// makes two concurrent interactions for one person send one survey.
	_, err = a.store.Customers.Upsert(ctx, in.Customer.ID, func(c *customer.Customer, _ bool) error {
		before := *c
		c.ID = in.Customer.ID
		c.Name, c.Email, c.Phone = in.Customer.Name, in.Customer.Email, in.Customer.Phone
		c.Locale, c.Timezone, c.Erased = in.Customer.Locale, in.Customer.Timezone, false
		if c.Contact() != before.Contact() || before.Erased {
			// Only a change is a write: interactions that find the
			// person as they were (a throttled burst) leave the record
			// alone instead of contending for it.
			c.UpdatedAt = now
		}
		standing := survey.Standing{
			ChannelOff:    in.Channel == survey.SMS && a.cfg.SMSOff,
			OptedOut:      c.OptOut.Has(in.Channel),
			Suppressed:    suppressed,
			LastAsked:     c.Asked(a.cfg.Survey.ThrottleScope, in.AccountID),
			OpenFollowUps: len(c.OpenTasks),
		}
		decision = a.policy.Decide(now, surveyID, in.Channel, tz, standing)
		if resumed {
			decision = survey.Decision{Send: true, SendAt: now}
		}
		if decision.Send {
			c.RecordAsked(in.AccountID, survey.Asked{SurveyID: surveyID, At: now})
		}
		return nil
	})
	if err != nil {
		return survey.Result{}, false, fmt.Errorf("ingest %s: customer %s: %w", in.ID, in.Customer.ID, err)
	}

	result := survey.Result{Status: StatusSkipped, Reason: decision.Reason}
	if decision.Send {
		result = survey.Result{Status: StatusScheduled, SurveyID: surveyID}
		if decision.SendAt.After(now) {
			result.SendAt = decision.SendAt.Format(time.RFC3339)
		}
		sv := survey.Survey{
			ID: surveyID, InteractionID: in.ID, CustomerID: in.Customer.ID, AccountID: in.AccountID,
			OwnerID: owner.ID, Kind: in.Survey, Channel: in.Channel, To: to, Name: in.Customer.Name,
			Locale: in.Customer.Locale, Timezone: in.Customer.Timezone,
			Status: survey.Scheduled, CreatedAt: now, SendAt: decision.SendAt,
		}
		if err := a.store.Surveys.Create(ctx, sv); err != nil && !errors.Is(err, store.ErrConflict) {
			return survey.Result{}, false, fmt.Errorf("ingest %s: %w", in.ID, err)
		}
	}
	rec := survey.Interaction{
		ID: in.ID, Type: in.Type, Channel: in.Channel, Kind: in.Survey, OccurredAt: occurred.UTC(),
		ReceivedAt: now, CustomerID: in.Customer.ID, AccountID: in.AccountID, OwnerID: owner.ID, Result: result,
	}
	if err := a.store.Interactions.Create(ctx, rec); errors.Is(err, store.ErrConflict) {
		// A concurrent duplicate won the race; its answer is the answer.
		prior, err := a.store.Interactions.Get(ctx, in.ID)
		if err != nil {
			return survey.Result{}, false, err
		}
		return prior.Result, true, nil
	} else if err != nil {
		return survey.Result{}, false, fmt.Errorf("ingest %s: %w", in.ID, err)
	}
	log := a.log.With("interaction_id", in.ID, "survey_id", result.SurveyID, "customer_id", in.Customer.ID)
	if !decision.Send {
		log.InfoContext(ctx, "survey skipped", "reason", string(result.Reason))
		return result, false, nil
	}
	log.InfoContext(ctx, "survey scheduled", "channel", string(in.Channel), "send_at", decision.SendAt)
	if !decision.SendAt.After(now) {
		if err := a.queue.EnqueueSend(ctx, surveyID); err != nil {
			// Not lost: the survey is due in the store and the sweeper sends it.
			log.WarnContext(ctx, "enqueue send failed; the sweeper will send it", "err", err)
		}
	}
	return result, false, nil
}

// checkReachable refuses an interaction whose channel has no address.
func checkReachable(in Interaction) error {
	if in.Channel == survey.Email && in.Customer.Email == "" {
		return FieldError("customer.email", "is required for the email channel")
	}
	if in.Channel == survey.SMS && in.Customer.Phone == "" {
		return FieldError("customer.phone", "is required for the sms channel")
	}
	return nil
}

// resolveOwner names who follows up if the answer is unhappy; an
// interaction nobody would follow up is refused now, not lost later.
func (a *App) resolveOwner(ctx context.Context, in Interaction) (directory.Person, error) {
	chain := directory.OwnerChain{Explicit: in.OwnerID, Fallback: a.cfg.FallbackOwnerID}
	acct, err := a.store.Accounts.Get(ctx, in.AccountID)
	switch {
	case err == nil:
		chain.Account = acct.OwnerID
	case !errors.Is(err, store.ErrNotFound):
		return directory.Person{}, err
	}
	var lookupErr error
	p, err := chain.Resolve(func(id string) (directory.Person, bool) {
		p, err := a.store.People.Get(ctx, id)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			lookupErr = err
		}
		return p, err == nil
	})
	if lookupErr != nil {
		return directory.Person{}, lookupErr
	}
	if err != nil {
		field := "account_id"
		if in.OwnerID != "" {
			field = "owner_id"
		}
		return directory.Person{}, &Error{Code: Invalid, Message: "no owner would follow up this interaction", Fields: map[string]string{field: err.Error()}, Err: err}
	}
	return p, nil
}
