package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/cxloop/cxloop/shared/core/store"
	"github.com/cxloop/cxloop/shared/domain/customer"
	"github.com/cxloop/cxloop/shared/domain/loop"
	"github.com/cxloop/cxloop/shared/domain/survey"
	"github.com/cxloop/cxloop/shared/domain/token"
)

// MaxComment is the longest comment kept, in characters.
const MaxComment = 2000

// SurveyView is what the survey page shows.
type SurveyView struct {
	Survey  survey.Survey
	Open    bool // still answerable
	Chosen  *int // score preselected: from the link, or the current answer
	Answer  *survey.Response
	Scanner bool // the clicks look like a mail scanner; nothing was recorded
}

// verifySurvey resolves a survey link token; any bad token is NotFound.
func (a *App) verifySurvey(ctx context.Context, p token.Purpose, tok string) (survey.Survey, error) {
	id, err := a.signer.Verify(p, tok, a.Now())
	if err != nil {
		return survey.Survey{}, &Error{Code: NotFound, Message: "this link is not valid", Err: err}
	}
	sv, err := a.store.Surveys.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return survey.Survey{}, &Error{Code: NotFound, Message: "this link is not valid", Err: err}
	}
	if err == nil && sv.Erased {
		return survey.Survey{}, &Error{Code: NotFound, Message: "this link is not valid"}
	}
	return sv, err
}

// OpenSurvey serves GET /s/{token}[?score=N]. A score from a link is only
// recorded as a click (provisional): mail scanners open every link.
func (a *App) OpenSurvey(ctx context.Context, tok string, score *int) (SurveyView, error) {
	sv, err := a.verifySurvey(ctx, token.Survey, tok)
	if err != nil {
		return SurveyView{}, err
	}
	now := a.Now()
	view := SurveyView{Survey: sv, Open: sv.Open(now)}
	if r, err := a.store.Responses.Get(ctx, ResponseID(sv.ID)); err == nil {
		view.Answer, view.Chosen = &r, &r.Score
	} else if !errors.Is(err, store.ErrNotFound) {
		return SurveyView{}, err
	}
	if score == nil || !view.Open || !sv.Kind.Contains(*score) {
		return view, nil
	}
	s := *score
	view.Chosen = &s
	if view.Answer != nil {
		return view, nil // a final answer changes only by the form
	}
	var logScanner bool
	sv, err = a.store.Surveys.Update(ctx, sv.ID, func(x *survey.Survey) error {
		x.Clicks = append(x.Clicks, survey.Click{Score: s, At: now})
		logScanner = x.Clicks.Scanner() && !x.ScannerLogged
		x.ScannerLogged = x.ScannerLogged || logScanner
		return nil
	})
	if err != nil {
		return SurveyView{}, fmt.Errorf("record click on %s: %w", sv.ID, err)
	}
	view.Survey, view.Scanner = sv, sv.Clicks.Scanner()
	if logScanner {
		a.log.WarnContext(ctx, "suspected mail link scanner: several score links opened within a minute; nothing finalised",
			"survey_id", sv.ID, "clicks", len(sv.Clicks))
	}
	return view, nil
}

// SubmitSurvey serves POST /s/{token}: the person's final answer, which
// replaces any earlier one.
func (a *App) SubmitSurvey(ctx context.Context, tok string, score int, comment string) (survey.Response, error) {
	sv, err := a.verifySurvey(ctx, token.Survey, tok)
	if err != nil {
		return survey.Response{}, err
	}
	return a.answer(ctx, sv, score, comment, survey.FromForm)
}

// ErrClosed is returned for answers to a survey that no longer takes them.
var ErrClosed = &Error{Code: Conflict, Message: "this survey has closed"}

// answer records a final answer and, if it is unhappy, starts the loop.
func (a *App) answer(ctx context.Context, sv survey.Survey, score int, comment string, src survey.Source) (survey.Response, error) {
	now := a.Now()
	if sv.Erased {
		return survey.Response{}, &Error{Code: NotFound, Message: "this survey is no longer open"}
	}
	if !sv.Open(now) {
		return survey.Response{}, ErrClosed
	}
	if !sv.Kind.Contains(score) {
		sc := sv.Kind.Scale()
		return survey.Response{}, FieldError("score", fmt.Sprintf("must be a whole number from %d to %d", sc.Min, sc.Max))
	}
	if !utf8.ValidString(comment) {
		return survey.Response{}, FieldError("comment", "must be UTF-8 text")
	}
	comment = strings.TrimSpace(CleanText(comment))
	if utf8.RuneCountInString(comment) > MaxComment {
		return survey.Response{}, FieldError("comment", fmt.Sprintf("must be at most %d characters", MaxComment))
	}
	unhappy := a.cfg.Survey.Thresholds.Unhappy(sv.Kind, score)
	changed := false
	r, err := a.store.Responses.Upsert(ctx, ResponseID(sv.ID), func(r *survey.Response, exists bool) error {
		changed = exists
		if !exists {
			*r = survey.Response{
				ID: ResponseID(sv.ID), SurveyID: sv.ID, CustomerID: sv.CustomerID, AccountID: sv.AccountID,
				OwnerID: sv.OwnerID, Kind: sv.Kind, Channel: sv.Channel, FirstAnsweredAt: now, TaskID: sv.TaskID,
			}
		}
		r.Score, r.Comment, r.Source, r.AnsweredAt = score, comment, src, now
		if unhappy && r.UnhappyScore == nil {
			r.UnhappyScore = &score
		}
		// Once a loop has started it runs to the end even if the person
		// changes their mind: someone still owes them a reply.
		r.Unhappy = unhappy || r.LoopStarted
		return nil
	})
	if err != nil {
		return survey.Response{}, fmt.Errorf("answer %s: %w", sv.ID, err)
	}
	erased := false
	if _, err := a.store.Surveys.Update(ctx, sv.ID, func(x *survey.Survey) error {
		if erased = x.Erased; erased {
			return store.ErrNoChange
		}
		if x.Status == survey.Answered && x.ResponseID == r.ID {
			return store.ErrNoChange
		}
		x.Status, x.ResponseID = survey.Answered, r.ID
		return nil
	}); err != nil {
		return survey.Response{}, fmt.Errorf("answer %s: mark answered: %w", sv.ID, err)
	}
	if erased {
		// The person was erased while this answer came in (the erasure
		// may have scrubbed before it landed): a new answer is dropped,
		// a changed one keeps no words.
		var err error
		if changed {
			_, err = a.store.Responses.Update(ctx, r.ID, func(x *survey.Response) error { x.ErasePersonalData(); return nil })
		} else {
			err = a.store.Responses.Delete(ctx, r.ID)
		}
		if err != nil {
			return survey.Response{}, fmt.Errorf("answer %s: drop an answer that came in during its erasure: %w", sv.ID, err)
		}
		return survey.Response{}, &Error{Code: NotFound, Message: "this survey is no longer open"}
	}
	a.log.InfoContext(ctx, "answer recorded", "survey_id", sv.ID, "response_id", r.ID,
		"score", r.Score, "unhappy", r.Unhappy, "source", string(src))
	if changed {
		// The follow-up shows the answer as it is now. A task created
		// after this finds the new answer itself (AssignOwner reads it
		// again once the task exists).
		if _, err := a.syncTaskAnswer(ctx, r.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return survey.Response{}, fmt.Errorf("answer %s: update the follow-up: %w", sv.ID, err)
		}
	}
	if r.Unhappy && !r.LoopStarted {
		if err := a.StartLoop(ctx, r.ID); err != nil {
			// Not lost: the response is due in the store and the sweeper retries.
			a.log.WarnContext(ctx, "closed loop start failed; the sweeper will retry", "response_id", r.ID, "err", err)
		}
	}
	return r, nil
}

// StartLoop starts the closed loop of an unhappy response, once. The person
// counts as having an open follow-up from this moment, so no new survey
// reaches them before someone has followed up.
func (a *App) StartLoop(ctx context.Context, responseID string) error {
	r, err := a.store.Responses.Get(ctx, responseID)
	if err != nil {
		return err
	}
	if !r.Unhappy || r.LoopStarted {
		return nil
	}
	taskID := TaskID(r.ID)
	if t, err := a.store.Tasks.Get(ctx, taskID); err == nil && t.Status != loop.Open {
		// The loop ran (an earlier Start took effect) and is closed already.
		_, err := a.store.Responses.Update(ctx, r.ID, func(x *survey.Response) error { x.LoopStarted = true; return nil })
		return err
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if _, err := a.store.Customers.Update(ctx, r.CustomerID, func(c *customer.Customer) error {
		c.AddOpenTask(taskID)
		return nil
	}); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("start loop %s: %w", r.ID, err)
	}
	input := fmt.Appendf(nil, `{"response_id":%q,"task_id":%q}`, r.ID, taskID)
	if err := a.flow.Start(ctx, ExecutionName(r.ID), input); err != nil {
		return fmt.Errorf("start loop %s: %w", r.ID, err)
	}
	if _, err := a.store.Responses.Update(ctx, r.ID, func(x *survey.Response) error {
		// Unhappy too: a changed answer written while the loop was
		// starting must not hide the loop it started.
		x.LoopStarted, x.Unhappy = true, true
		return nil
	}); err != nil {
		return fmt.Errorf("start loop %s: mark started: %w", r.ID, err)
	}
	a.log.InfoContext(ctx, "closed loop started", "response_id", r.ID, "execution", ExecutionName(r.ID))
	return nil
}

// UnsubscribeView is what the unsubscribe page shows.
type UnsubscribeView struct {
	Survey survey.Survey
	Done   bool
}

// OpenUnsubscribe serves GET /u/{token}: a confirmation page; nothing changes.
func (a *App) OpenUnsubscribe(ctx context.Context, tok string) (UnsubscribeView, error) {
	sv, err := a.verifySurvey(ctx, token.Unsubscribe, tok)
	if err != nil {
		return UnsubscribeView{}, err
	}
	c, err := a.store.Customers.Get(ctx, sv.CustomerID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return UnsubscribeView{}, err
	}
	return UnsubscribeView{Survey: sv, Done: c.OptOut.Has(sv.Channel)}, nil
}

// Unsubscribe serves POST /u/{token} (the page's button, or a mail
// client's RFC 8058 one-click POST): the person is not asked on this
// channel again, effective at once.
func (a *App) Unsubscribe(ctx context.Context, tok string) (UnsubscribeView, error) {
	sv, err := a.verifySurvey(ctx, token.Unsubscribe, tok)
	if err != nil {
		return UnsubscribeView{}, err
	}
	if err := a.optOut(ctx, sv.CustomerID, sv.Channel); err != nil {
		return UnsubscribeView{}, err
	}
	a.log.InfoContext(ctx, "person opted out", "customer_id", sv.CustomerID, "channel", string(sv.Channel))
	return UnsubscribeView{Survey: sv, Done: true}, nil
}

func (a *App) optOut(ctx context.Context, customerID string, ch survey.Channel) error {
	now := a.Now()
	_, err := a.store.Customers.Upsert(ctx, customerID, func(c *customer.Customer, _ bool) error {
		c.ID = customerID
		if c.OptOut.Has(ch) {
			return store.ErrNoChange
		}
		switch ch {
		case survey.SMS:
			c.OptOut.SMS = true
		default:
			c.OptOut.Email = true
		}
		c.OptOut.At, c.UpdatedAt = now, now
		return nil
	})
	if err != nil {
		return fmt.Errorf("opt out %s from %s: %w", customerID, ch, err)
	}
	return nil
}
