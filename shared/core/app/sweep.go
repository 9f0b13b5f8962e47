package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cxloop/cxloop/shared/core/store"
	"github.com/cxloop/cxloop/shared/domain/survey"
)

// SweepBatch bounds the work of one sweep; the next sweep takes the rest.
const SweepBatch = 500

// SweepResult counts what a sweep did.
type SweepResult struct {
	Due    int `json:"due"`
	Failed int `json:"failed"`
}

// Sweep does everything that is due by now and that no event triggers:
// delayed and lost sends, reminders, expiries, lone clicks settling,
// closed loops whose start failed, and erasures' second pass. It runs on a
// schedule in AWS and on a ticker (and after every clock change) in dev.
// Each item is independent: one failure is logged and retried next time,
// never blocking the rest.
func (a *App) Sweep(ctx context.Context) (SweepResult, error) {
	due, err := a.store.DueBy(ctx, a.Now(), SweepBatch)
	if err != nil {
		return SweepResult{}, fmt.Errorf("sweep: %w", err)
	}
	res := SweepResult{Due: len(due)}
	for _, d := range due {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		var err error
		switch d.Kind {
		case "survey":
			err = a.Advance(ctx, d.ID)
		case "response":
			err = a.StartLoop(ctx, d.ID)
		case "customer":
			err = a.recheckErasure(ctx, d.ID)
		default:
			err = a.advanceOther(ctx, d)
		}
		if err != nil {
			res.Failed++
			a.log.WarnContext(ctx, "sweep item failed; will retry", "kind", d.Kind, "id", d.ID, "err", err)
		}
	}
	return res, nil
}

// NextDue returns when the sweeper next has something to do (after now);
// false when nothing is scheduled. A virtual clock jumps from one such
// time to the next.
func (a *App) NextDue(ctx context.Context) (time.Time, bool, error) {
	return a.store.NextDueAfter(ctx, a.Now())
}

// Advance does what is due for one survey at now.
func (a *App) Advance(ctx context.Context, surveyID string) error {
	sv, err := a.store.Surveys.Get(ctx, surveyID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	now := a.Now()
	switch sv.Status {
	case survey.Scheduled, survey.Sending:
		return a.Send(ctx, sv.ID)
	case survey.Sent:
	default:
		return nil
	}
	if !now.Before(sv.ExpiresAt) {
		_, err := a.store.Surveys.Update(ctx, sv.ID, func(x *survey.Survey) error {
			if x.Status != survey.Sent {
				return store.ErrNoChange
			}
			x.Status = survey.Expired
			return nil
		})
		if err == nil {
			a.log.InfoContext(ctx, "survey expired unanswered", "survey_id", sv.ID)
		}
		return err
	}
	if score, _, ok := sv.Clicks.Settled(now); ok {
		if _, err := a.answer(ctx, sv, score, "", survey.FromClick); err != nil {
			return fmt.Errorf("settle click on %s: %w", sv.ID, err)
		}
		return nil
	}
	if sv.RemindedAt.IsZero() && !sv.RemindAt.IsZero() && !now.Before(sv.RemindAt) {
		return a.remind(ctx, sv)
	}
	return nil
}

// remind sends the one reminder, at least once: it is claimed for
// SendClaim, sent, then marked, so a sweep that died in between leaves a
// claim that runs out and a later sweep sends it again. A failed send
// gives the claim back and the next sweep tries again, until the survey
// expires.
func (a *App) remind(ctx context.Context, sv survey.Survey) error {
	now := a.Now()
	claimed := false
	sv, err := a.store.Surveys.Update(ctx, sv.ID, func(x *survey.Survey) error {
		claimed = false
		if claimed = x.Status == survey.Sent && take(&x.RemindingUntil, x.RemindedAt, now, a.cfg.SendClaim); !claimed {
			return store.ErrNoChange
		}
		return nil
	})
	if err != nil || !claimed {
		return err
	}
	done := func(sentID string) error {
		_, err := a.store.Surveys.Update(ctx, sv.ID, func(x *survey.Survey) error {
			x.RemindedAt, x.RemindingUntil = a.Now(), time.Time{}
			if sentID != "" {
				x.MessageIDs = append(x.MessageIDs, sentID)
			}
			return nil
		})
		return err
	}
	if reason, blocked, err := a.blocked(ctx, sv); err != nil {
		return err
	} else if blocked {
		a.log.InfoContext(ctx, "reminder not sent", "survey_id", sv.ID, "reason", string(reason))
		return done("")
	}
	// An answer whose survey update was lost to a crash still counts.
	if _, err := a.store.Responses.Get(ctx, ResponseID(sv.ID)); err == nil {
		return done("")
	}
	id, err := a.deliverSurvey(ctx, sv, true)
	if err != nil {
		// Nothing went out: give the claim back for the next sweep.
		_, rerr := a.store.Surveys.Update(ctx, sv.ID, func(x *survey.Survey) error {
			x.RemindingUntil = time.Time{}
			return nil
		})
		if errors.Is(err, ErrThrottled) && rerr == nil {
			// Not a failure of this sweep: SES asked us to slow down.
			a.log.WarnContext(ctx, "reminder throttled; the next sweep sends it", "survey_id", sv.ID, "err", err)
			return nil
		}
		return errors.Join(fmt.Errorf("remind %s: %w", sv.ID, err), rerr)
	}
	a.log.InfoContext(ctx, "reminder sent", "survey_id", sv.ID, "message_id", id)
	if err := done(id); err != nil {
		// Sent: a failed mark means the next sweep after the claim sends
		// it again, which is what at-least-once allows.
		return fmt.Errorf("remind %s: mark sent: %w", sv.ID, err)
	}
	return nil
}

// advanceOther handles due records of the closed loop.
func (a *App) advanceOther(ctx context.Context, d store.DueItem) error {
	switch d.Kind {
	case "reply":
		return a.replyOwed(ctx, d.ID)
	}
	return fmt.Errorf("sweep: unknown due kind %q for %s", d.Kind, d.ID)
}
