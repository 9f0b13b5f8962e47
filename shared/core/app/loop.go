package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/cxloop/cxloop/shared/core/store"
	"github.com/cxloop/cxloop/shared/domain/customer"
	"github.com/cxloop/cxloop/shared/domain/directory"
	"github.com/cxloop/cxloop/shared/domain/loop"
	"github.com/cxloop/cxloop/shared/domain/message"
	"github.com/cxloop/cxloop/shared/domain/survey"
)

// The state machine's tasks. Each is idempotent: Step Functions retries
// them and the local interpreter re-runs one interrupted by a restart.

// LoopInput is what the state machine passes to every loop task.
type LoopInput struct {
	ResponseID string `json:"response_id,omitempty"`
	TaskID     string `json:"task_id"`
	// SLAHours comes from the state machine definition (a SAM substitution).
	SLAHours string `json:"sla_hours,omitempty"`
	Token    string `json:"token,omitempty"`
	Error    string `json:"error,omitempty"`
	Cause    string `json:"cause,omitempty"`
}

// LoopState is what loop tasks return for the state machine's choices.
type LoopState struct {
	TaskID      string `json:"task_id"`
	WaitSeconds int64  `json:"wait_seconds"`
	Final       bool   `json:"final"`
	Note        bool   `json:"note"`
	Recovery    bool   `json:"recovery"`
	// RecoveryWaitSeconds is how long to wait before the recovery check.
	RecoveryWaitSeconds int64 `json:"recovery_wait_seconds"`
}

// TaskClosed is returned to the state machine by tasks that find the
// follow-up already closed (an owner completed it while the workflow was
// between waits). Its Go type name is the ASL error name.
type TaskClosed struct{ TaskID string }

func (e *TaskClosed) Error() string { return "task " + e.TaskID + " is already closed" }

func (a *App) state(t loop.Task) LoopState {
	wait, final := a.loopPolicy.Wait(t, a.Now())
	return LoopState{
		TaskID: t.ID, WaitSeconds: wait, Final: final,
		Note: t.MessageToCustomer != "" && t.Status == loop.Done, Recovery: t.RecoveryCheck && t.Status == loop.Done,
		RecoveryWaitSeconds: int64(a.loopPolicy.RecoveryAfter.Seconds()),
	}
}

// AssignOwner creates the follow-up task for an unhappy response, owned by
// a named person, due SLA after the answer.
func (a *App) AssignOwner(ctx context.Context, in LoopInput) (LoopState, error) {
	if t, err := a.store.Tasks.Get(ctx, in.TaskID); err == nil {
		return a.state(t), nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return LoopState{}, err
	}
	r, err := a.store.Responses.Get(ctx, in.ResponseID)
	if err != nil {
		return LoopState{}, fmt.Errorf("assign %s: %w", in.TaskID, err)
	}
	sla := a.loopPolicy.SLA
	if in.SLAHours != "" {
		h, err := strconv.ParseFloat(in.SLAHours, 64)
		if err != nil || h <= 0 {
			return LoopState{}, fmt.Errorf("assign %s: sla_hours %q is not a positive number", in.TaskID, in.SLAHours)
		}
		sla = time.Duration(h * float64(time.Hour))
	}
	owner, err := a.loopOwner(ctx, r)
	if err != nil {
		return LoopState{}, fmt.Errorf("assign %s: %w", in.TaskID, err)
	}
	now := a.Now()
	t := loop.Task{
		ID: in.TaskID, ResponseID: r.ID, SurveyID: r.SurveyID, CustomerID: r.CustomerID, AccountID: r.AccountID,
		Kind: r.Kind, Score: loopScore(r), CreatedAt: now, AnsweredAt: r.FirstAnsweredAt, DueAt: r.FirstAnsweredAt.Add(sla),
		Status: loop.Open, Owners: []loop.Holding{{OwnerID: owner.ID, OwnerName: owner.Name, Team: owner.Team, From: now}},
	}
	t.Record(now, loop.Assigned, loop.System, "to "+owner.Name)
	// The holding first: a crash after it leaves a pointer the owner's list
	// skips, never a task missing from it.
	if err := a.hold(ctx, owner.ID, t); err != nil {
		return LoopState{}, fmt.Errorf("assign %s: %w", in.TaskID, err)
	}
	if err := a.store.Tasks.Create(ctx, t); err != nil && !errors.Is(err, store.ErrConflict) {
		return LoopState{}, fmt.Errorf("assign %s: %w", in.TaskID, err)
	}
	// The person may have changed their answer since it was read: an
	// answer written before the task existed found no task to update.
	if t, err = a.syncTaskAnswer(ctx, r.ID); err != nil {
		return LoopState{}, fmt.Errorf("assign %s: %w", in.TaskID, err)
	}
	a.log.InfoContext(ctx, "follow-up assigned", "task_id", t.ID, "response_id", r.ID, "owner_id", t.Owner().OwnerID, "due_at", t.DueAt)
	return a.state(t), nil
}

// loopScore is the answer that started the loop.
func loopScore(r survey.Response) int {
	if r.UnhappyScore != nil {
		return *r.UnhappyScore
	}
	return r.Score
}

// syncTaskAnswer brings a response's task up to date with the answer as
// it is now, and returns the task (ErrNotFound if there is none yet). An
// owner already told of the task is told of the change.
func (a *App) syncTaskAnswer(ctx context.Context, responseID string) (loop.Task, error) {
	r, err := a.store.Responses.Get(ctx, responseID)
	if err != nil {
		return loop.Task{}, err
	}
	changed := false
	t, err := a.store.Tasks.Update(ctx, TaskID(responseID), func(t *loop.Task) error {
		changed = t.SetScore(r.Score, r.AnsweredAt)
		if !changed {
			return store.ErrNoChange
		}
		return nil
	})
	if err != nil || !changed || t.Status != loop.Open || t.NotifiedOwner == "" {
		return t, err
	}
	owner, err := a.store.People.Get(ctx, t.Owner().OwnerID)
	if err == nil {
		var n message.TaskNotice
		if n, err = a.notice(ctx, t, owner.ID); err == nil {
			var m message.Email
			if m, err = message.AnswerChangedEmail(owner.Email, n); err == nil {
				err = a.sendStaff(ctx, m, "answer_changed", t)
			}
		}
	}
	if err != nil {
		// The task shows the answer as it is now; only the heads-up is missing.
		a.log.WarnContext(ctx, "owner not told of a changed answer", "task_id", t.ID, "err", err)
	}
	return t, nil
}

// loopOwner is the owner resolved at ingest, or, if that person has since
// left the directory, the chain resolved again: never nobody.
func (a *App) loopOwner(ctx context.Context, r survey.Response) (directory.Person, error) {
	if p, err := a.store.People.Get(ctx, r.OwnerID); err == nil {
		return p, nil
	}
	return a.resolveOwner(ctx, Interaction{AccountID: r.AccountID})
}

// NotifyOwner runs when the state machine starts waiting for the owner:
// it keeps the task token and, the first time an owner holds the task,
// sends them the task email. The email is at-least-once: it is marked sent
// (NotifiedOwner) after the send, because an owner who never hears of the
// task is worse than one who hears twice; a mark lost to a failed write
// means one more email at the next wait.
func (a *App) NotifyOwner(ctx context.Context, in LoopInput) error {
	var send bool
	t, err := a.store.Tasks.Update(ctx, in.TaskID, func(t *loop.Task) error {
		if t.Status != loop.Open {
			return store.ErrNoChange
		}
		t.Token = in.Token
		send = t.NotifiedOwner != t.Owner().OwnerID
		return nil
	})
	if err != nil {
		return fmt.Errorf("notify %s: %w", in.TaskID, err)
	}
	if t.Status != loop.Open {
		return &TaskClosed{TaskID: t.ID}
	}
	if !send {
		return nil
	}
	if err := a.sendTaskEmail(ctx, t); err != nil {
		return err
	}
	if _, err := a.store.Tasks.Update(ctx, t.ID, func(x *loop.Task) error {
		x.NotifiedOwner = t.Owner().OwnerID
		return nil
	}); err != nil {
		// The email went out: failing now would make the retry send it again.
		a.log.WarnContext(ctx, "task email sent but not marked", "task_id", t.ID, "err", err)
	}
	return nil
}

func (a *App) sendTaskEmail(ctx context.Context, t loop.Task) error {
	owner, err := a.store.People.Get(ctx, t.Owner().OwnerID)
	if err != nil {
		return fmt.Errorf("notify %s: owner: %w", t.ID, err)
	}
	n, err := a.notice(ctx, t, owner.ID)
	if err != nil {
		return err
	}
	m, err := message.TaskEmail(owner.Email, n)
	if err != nil {
		return err
	}
	return a.sendStaff(ctx, m, "task", t)
}

// Escalate runs when the owner's due time (or the next escalation's) has
// passed: it reminds the owner, tells the next manager up, and raises the level.
func (a *App) Escalate(ctx context.Context, in LoopInput) (LoopState, error) {
	now := a.Now()
	raised := false
	t, err := a.store.Tasks.Update(ctx, in.TaskID, func(t *loop.Task) error {
		raised = false
		if t.Status != loop.Open {
			return store.ErrNoChange
		}
		// A retried Escalate must not raise the level twice for one timeout.
		if n := len(t.Escalations); n > 0 && now.Sub(t.Escalations[n-1]) < a.loopPolicy.EscalateEvery/2 {
			return store.ErrNoChange
		}
		t.Level++
		t.Escalations = append(t.Escalations, now)
		t.Record(now, loop.Escalated, loop.System, "level "+strconv.Itoa(t.Level))
		raised = true
		return nil
	})
	if err != nil {
		return LoopState{}, fmt.Errorf("escalate %s: %w", in.TaskID, err)
	}
	if t.Status != loop.Open {
		return LoopState{}, &TaskClosed{TaskID: t.ID}
	}
	if !raised && t.EscalationsNotified >= t.Level {
		return a.state(t), nil
	}
	owner, err := a.store.People.Get(ctx, t.Owner().OwnerID)
	if err != nil {
		return LoopState{}, fmt.Errorf("escalate %s: owner: %w", t.ID, err)
	}
	n, err := a.notice(ctx, t, owner.ID)
	if err != nil {
		return LoopState{}, err
	}
	if a.loopPolicy.RemindOwner(t) {
		m, err := message.ReminderEmail(owner.Email, n)
		if err == nil {
			err = a.sendStaff(ctx, m, "reminder", t)
		}
		if err != nil {
			a.log.WarnContext(ctx, "owner reminder not sent", "task_id", t.ID, "err", err)
		}
	}
	manager, ok, err := a.managerAt(ctx, owner, t.Level)
	if err != nil {
		return LoopState{}, fmt.Errorf("escalate %s: %w", t.ID, err)
	}
	if ok {
		// The manager's notice is their own: its link acts as them, its
		// times are in their zone.
		mn, err := a.notice(ctx, t, manager.ID)
		if err != nil {
			return LoopState{}, err
		}
		m, err := message.EscalationEmail(manager.Email, manager.Name, mn)
		if err == nil {
			err = a.sendStaff(ctx, m, "escalation", t)
		}
		if err != nil {
			return LoopState{}, fmt.Errorf("escalate %s: %w", t.ID, err)
		}
	} else {
		a.log.WarnContext(ctx, "owner has no manager to escalate to", "task_id", t.ID, "owner_id", owner.ID)
	}
	if _, err := a.store.Tasks.Update(ctx, t.ID, func(x *loop.Task) error {
		x.EscalationsNotified = max(x.EscalationsNotified, t.Level)
		return nil
	}); err != nil {
		a.log.WarnContext(ctx, "escalation sent but not marked", "task_id", t.ID, "err", err)
	}
	a.log.InfoContext(ctx, "follow-up escalated", "task_id", t.ID, "level", t.Level, "manager_id", manager.ID)
	return a.state(t), nil
}

// managerAt walks level steps up the management chain, stopping at the top.
func (a *App) managerAt(ctx context.Context, p directory.Person, level int) (directory.Person, bool, error) {
	found := false
	cur := p
	for i := 0; i < level && cur.ManagerID != ""; i++ {
		m, err := a.store.People.Get(ctx, cur.ManagerID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return directory.Person{}, false, err
		}
		if err != nil || m.ID == p.ID {
			break
		}
		cur, found = m, true
	}
	return cur, found, nil
}

// Reassigned returns the waiting time for the task's new owner.
func (a *App) Reassigned(ctx context.Context, in LoopInput) (LoopState, error) {
	t, err := a.store.Tasks.Get(ctx, in.TaskID)
	if err != nil {
		return LoopState{}, fmt.Errorf("reassigned %s: %w", in.TaskID, err)
	}
	return a.state(t), nil
}

// RecordOutcome runs when the owner completed the task: the person no
// longer has an open follow-up, so they may be asked again in future.
func (a *App) RecordOutcome(ctx context.Context, in LoopInput) (LoopState, error) {
	t, err := a.store.Tasks.Get(ctx, in.TaskID)
	if err != nil {
		return LoopState{}, fmt.Errorf("record outcome %s: %w", in.TaskID, err)
	}
	if t.Status != loop.Done {
		return LoopState{}, fmt.Errorf("record outcome %s: task is %s, not done", t.ID, t.Status)
	}
	if _, err := a.store.Customers.Update(ctx, t.CustomerID, func(c *customer.Customer) error {
		c.CloseTask(t.ID)
		return nil
	}); err != nil && !errors.Is(err, store.ErrNotFound) {
		return LoopState{}, fmt.Errorf("record outcome %s: %w", t.ID, err)
	}
	a.log.InfoContext(ctx, "follow-up closed", "task_id", t.ID, "outcome", string(t.Outcome), "within_sla", t.WithinSLA())
	return a.state(t), nil
}

// NoteInFlight is returned to the state machine while another attempt
// holds the note: the workflow retries after the claim runs out (its Go
// type name is the ASL error name).
type NoteInFlight struct {
	TaskID string
	Until  time.Time
}

func (e *NoteInFlight) Error() string {
	return "the note of " + e.TaskID + " is being sent until " + e.Until.UTC().Format(time.RFC3339)
}

// NotifyCustomer sends the owner's personal note to the person, signed
// by whoever closed the follow-up. It is at least once: the note is
// claimed for SendClaim, sent, then marked sent, so a sender that died in
// between leaves a claim that runs out and the next attempt (the
// workflow's retry) sends it again. The provider's own confirmation, where
// it has one (SES send events), marks the note sent even when the sender
// died before it could. A note that cannot be sent is shown to a person:
// the task records why, it is listed on the dashboard, and the owner is
// told.
func (a *App) NotifyCustomer(ctx context.Context, in LoopInput) error {
	t, err := a.store.Tasks.Get(ctx, in.TaskID)
	if err != nil {
		return fmt.Errorf("notify customer %s: %w", in.TaskID, err)
	}
	if !t.NoteOwed() {
		return nil
	}
	sv, err := a.store.Surveys.Get(ctx, t.SurveyID)
	if err != nil {
		return fmt.Errorf("notify customer %s: %w", t.ID, err)
	}
	c, err := a.store.Customers.Get(ctx, t.CustomerID)
	if err != nil {
		return fmt.Errorf("notify customer %s: %w", t.ID, err)
	}
	channel, to := survey.Email, c.Email
	// By text when the survey went by text (or there is no email), and
	// never by text without SMS.
	if c.Phone != "" && !a.cfg.SMSOff && (to == "" || sv.Channel == survey.SMS) {
		channel, to = survey.SMS, c.Phone
	}
	if to == "" {
		problem := loop.NoteNoAddress
		if c.Phone != "" {
			problem = loop.NoteNoChannel
		}
		return a.noteProblem(ctx, t.ID, problem)
	}
	if suppressed, err := a.store.Suppressed(ctx, to); err != nil {
		return err
	} else if suppressed {
		return a.noteProblem(ctx, t.ID, loop.NoteUndeliverable)
	}
	now := a.Now()
	claimed := false
	t, err = a.store.Tasks.Update(ctx, t.ID, func(x *loop.Task) error {
		claimed = false
		if !x.NoteOwed() {
			return store.ErrNoChange
		}
		if claimed = take(&x.Note.ClaimedUntil, x.NoteSentAt, now, a.cfg.SendClaim); !claimed {
			return &NoteInFlight{TaskID: x.ID, Until: x.Note.ClaimedUntil}
		}
		if x.Note.Attempts > 0 {
			// A claim ran out unmarked: its sender died, before or after
			// handing the note over. Sending again may send it twice.
			a.log.WarnContext(ctx, "note claimed earlier and never marked sent; sending it again", "task_id", x.ID, "attempts", x.Note.Attempts)
		}
		x.Note.Attempts++
		return nil
	})
	if err != nil || !claimed {
		return err
	}
	tags := map[string]string{"task_id": t.ID, "purpose": "note"}
	var id string
	if channel == survey.Email {
		var m message.Email
		if m, err = message.CustomerNote(to, c.Name, t.Signer(), a.cfg.Org, t.MessageToCustomer); err == nil {
			m.Tags = tags
			// A reply reaches whoever wrote the note, not a shared mailbox.
			m.ReplyTo = a.writerEmail(ctx, t)
			id, err = a.mail.SendEmail(ctx, m)
		}
	} else {
		m := message.CustomerNoteSMS(to, t.Signer(), a.cfg.Org, t.MessageToCustomer)
		m.Tags = tags
		id, err = a.sms.SendSMS(ctx, m)
	}
	if errors.Is(err, ErrInvalidAddress) || errors.Is(err, ErrProviderOptOut) {
		return a.noteProblem(ctx, t.ID, loop.NoteUndeliverable)
	}
	if err != nil {
		_, rerr := a.store.Tasks.Update(ctx, t.ID, func(x *loop.Task) error {
			if !x.NoteOwed() {
				return store.ErrNoChange
			}
			x.Note.ClaimedUntil = time.Time{} // the next attempt need not wait
			return nil
		})
		return errors.Join(fmt.Errorf("notify customer %s: %w", t.ID, err), rerr)
	}
	a.logMessage(ctx, message.Record{ID: id, Channel: string(channel), To: to, Purpose: "note", CustomerID: c.ID, TaskID: t.ID, SurveyID: sv.ID})
	// The note is out: marking it is retried here, not by the workflow,
	// whose retry would send it again.
	var markErr error
	for range 3 {
		if markErr = a.NoteSent(ctx, t.ID, id); markErr == nil {
			break
		}
	}
	if markErr != nil {
		// The provider's send event may still mark it.
		a.log.WarnContext(ctx, "note sent but not marked", "task_id", t.ID, "message_id", id, "err", markErr)
	}
	a.log.InfoContext(ctx, "close-the-loop note sent", "task_id", t.ID, "message_id", id)
	return nil
}

// writerEmail is the address of whoever closed the task (else its
// holder), for replies to their note; "" if they left the directory.
func (a *App) writerEmail(ctx context.Context, t loop.Task) string {
	p, err := a.store.People.Get(ctx, t.Writer())
	if err != nil {
		return ""
	}
	return p.Email
}

// NoteSent marks a task's note as handed to the provider, by the sender
// or by the provider's own send event, whichever comes first.
func (a *App) NoteSent(ctx context.Context, taskID, messageID string) error {
	now := a.Now()
	_, err := a.store.Tasks.Update(ctx, taskID, func(x *loop.Task) error {
		if !x.NoteSentAt.IsZero() {
			return store.ErrNoChange
		}
		x.NoteSentAt, x.Note.MessageID, x.Note.ClaimedUntil = now, messageID, time.Time{}
		return nil
	})
	return err
}

// noteProblem records why a note may not have reached its customer and
// tells the owner, once (at least once: the mark follows the email). The
// workflow goes on: the loop is closed, and a person knows.
func (a *App) noteProblem(ctx context.Context, taskID string, problem loop.NoteProblem) error {
	now := a.Now()
	t, err := a.store.Tasks.Update(ctx, taskID, func(x *loop.Task) error {
		if x.MessageToCustomer == "" || x.Note.Problem != "" {
			return store.ErrNoChange
		}
		x.Note.Problem, x.Note.ProblemAt, x.Note.ClaimedUntil = problem, now, time.Time{}
		return nil
	})
	if err != nil {
		return fmt.Errorf("note problem %s: %w", taskID, err)
	}
	a.log.WarnContext(ctx, "close-the-loop note may not have reached the customer", "task_id", t.ID, "problem", string(t.Note.Problem))
	if !t.Note.OwnerToldAt.IsZero() || t.Note.Problem == "" {
		return nil
	}
	p, err := a.store.People.Get(ctx, t.Writer())
	if err != nil {
		return fmt.Errorf("note problem %s: who wrote it: %w", t.ID, err)
	}
	c, _ := a.store.Customers.Get(ctx, t.CustomerID)
	m, err := message.NoteProblemEmail(p.Email, p.Name, c.Name, noteProblemText[t.Note.Problem], a.taskLink(t.ID, p.ID))
	if err != nil {
		return err
	}
	if err := a.sendStaff(ctx, m, "note_problem", t); err != nil {
		return err
	}
	_, err = a.store.Tasks.Update(ctx, t.ID, func(x *loop.Task) error {
		x.Note.OwnerToldAt = a.Now()
		return nil
	})
	return err
}

// noteProblemText says what happened to a note, for its writer.
var noteProblemText = map[loop.NoteProblem]string{
	loop.NoteNotSent:       "could not be sent: every attempt failed",
	loop.NoteBounced:       "was refused by their mail server (it bounced)",
	loop.NoteUndeliverable: "could not be delivered: their address no longer accepts our messages",
	loop.NoteNoAddress:     "could not be sent: we have no address for them any more",
	loop.NoteNoChannel:     "could not be sent: they can only be reached by text, and SMS is not set up",
}

// NoteEvent is what the provider reports about a message it was given.
type NoteEvent string

// What a provider reports about a note.
const (
	NoteEventSent      NoteEvent = "sent"
	NoteEventDelivered NoteEvent = "delivered"
	NoteEventBounced   NoteEvent = "bounced"
)

// NoteReport applies the provider's report about a task's note (SES
// publishes send, delivery and bounce events for tagged messages).
func (a *App) NoteReport(ctx context.Context, taskID, messageID string, ev NoteEvent) error {
	var err error
	switch ev {
	case NoteEventSent:
		err = a.NoteSent(ctx, taskID, messageID)
	case NoteEventDelivered:
		if err = a.NoteSent(ctx, taskID, messageID); err == nil {
			now := a.Now()
			_, err = a.store.Tasks.Update(ctx, taskID, func(x *loop.Task) error {
				if !x.Note.DeliveredAt.IsZero() {
					return store.ErrNoChange
				}
				x.Note.DeliveredAt = now
				return nil
			})
		}
	case NoteEventBounced:
		err = a.noteProblem(ctx, taskID, loop.NoteBounced)
	}
	if errors.Is(err, store.ErrNotFound) {
		a.log.WarnContext(ctx, "provider report about an unknown task's note", "task_id", taskID, "event", string(ev))
		return nil
	}
	return err
}

// AskRecovery schedules the one-question recovery check: "Did {owner} put
// things right?". It is exempt from the throttle (it is about this loop,
// not a new survey) but not from opt-outs.
func (a *App) AskRecovery(ctx context.Context, in LoopInput) error {
	t, err := a.store.Tasks.Get(ctx, in.TaskID)
	if err != nil {
		return fmt.Errorf("ask recovery %s: %w", in.TaskID, err)
	}
	orig, err := a.store.Surveys.Get(ctx, t.SurveyID)
	if err != nil {
		return fmt.Errorf("ask recovery %s: %w", in.TaskID, err)
	}
	c, err := a.store.Customers.Get(ctx, t.CustomerID)
	if err != nil {
		return fmt.Errorf("ask recovery %s: %w", in.TaskID, err)
	}
	now := a.Now()
	id := RecoverySurveyID(t.ID)
	to := c.Address(orig.Channel)
	suppressed, err := a.store.Suppressed(ctx, to)
	if err != nil {
		return err
	}
	tz, _ := time.LoadLocation(c.Timezone)
	d := a.policy.Decide(now, id, orig.Channel, tz, survey.Standing{
		ChannelOff: orig.Channel == survey.SMS && a.cfg.SMSOff,
		OptedOut:   c.OptOut.Has(orig.Channel), Suppressed: suppressed || to == "", ExemptThrottle: true,
	})
	if !d.Send {
		a.log.InfoContext(ctx, "recovery check skipped", "task_id", t.ID, "reason", string(d.Reason))
		return nil
	}
	sv := survey.Survey{
		ID: id, InteractionID: orig.InteractionID, CustomerID: c.ID, AccountID: t.AccountID, OwnerID: t.Owner().OwnerID,
		Kind: survey.Recovery, Channel: orig.Channel, To: to, Name: c.Name, Locale: c.Locale, Timezone: c.Timezone,
		Status: survey.Scheduled, CreatedAt: now, SendAt: d.SendAt, TaskID: t.ID, OwnerName: t.Signer(),
	}
	if err := a.store.Surveys.Create(ctx, sv); err != nil && !errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("ask recovery %s: %w", t.ID, err)
	}
	if _, err := a.store.Tasks.Update(ctx, t.ID, func(x *loop.Task) error {
		x.RecoverySurveyID = id
		return nil
	}); err != nil {
		return err
	}
	if !d.SendAt.After(now) {
		return a.Send(ctx, id)
	}
	return nil
}

// RecordFailure marks a loop whose workflow failed, so it shows on the
// dashboard for a person to pick up.
func (a *App) RecordFailure(ctx context.Context, in LoopInput) error {
	t, err := a.store.Tasks.Update(ctx, in.TaskID, func(t *loop.Task) error {
		if t.Status == loop.Done {
			return store.ErrNoChange
		}
		t.Status, t.Failure = loop.Failed, in.Error+": "+in.Cause
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		a.log.ErrorContext(ctx, "closed loop failed before its task existed", "task_id", in.TaskID, "error", in.Error, "cause", in.Cause)
		return nil
	}
	a.log.ErrorContext(ctx, "closed loop failed", "task_id", in.TaskID, "error", in.Error, "cause", in.Cause)
	if err == nil && t.Status == loop.Done && t.NoteOwed() {
		// The loop failed after the owner closed it, on the way to the
		// customer: the note they wrote is shown, and they are told.
		return a.noteProblem(ctx, t.ID, loop.NoteNotSent)
	}
	return err
}

// notice describes a task for a staff email to one person.
func (a *App) notice(ctx context.Context, t loop.Task, recipientID string) (message.TaskNotice, error) {
	r, err := a.store.Responses.Get(ctx, t.ResponseID)
	if err != nil {
		return message.TaskNotice{}, fmt.Errorf("task %s: %w", t.ID, err)
	}
	c, _ := a.store.Customers.Get(ctx, t.CustomerID)
	acct, _ := a.store.Accounts.Get(ctx, t.AccountID)
	sv, _ := a.store.Surveys.Get(ctx, t.SurveyID)
	name := c.Name
	if name == "" {
		name = "A customer"
	}
	reader, _ := a.store.People.Get(ctx, recipientID) // their zone; UTC if they left
	return message.TaskNotice{
		OwnerName: t.Owner().OwnerName, CustomerName: name, AccountName: acct.Name,
		Question: message.Invite{Kind: t.Kind, Org: a.cfg.Org, Locale: "en", OwnerName: sv.OwnerName}.Question(),
		Score:    fmt.Sprintf("%d / %d", r.Score, t.Kind.Scale().Max), Comment: r.Comment, Changed: changedText(r),
		DueAt: t.DueAt, Loc: reader.Location(), Level: t.Level, Acknowledged: !t.AcknowledgedAt.IsZero(),
		URL: a.taskLink(t.ID, recipientID),
	}, nil
}

// changedText describes, for staff emails, how the person changed the
// answer that started the loop; read from the response itself, so an email
// written while the task was being brought up to date still says it.
func changedText(r survey.Response) string {
	if r.UnhappyScore == nil || *r.UnhappyScore == r.Score {
		return ""
	}
	return fmt.Sprintf("from %d / %d on %s", *r.UnhappyScore, r.Kind.Scale().Max, r.AnsweredAt.UTC().Format("Mon 2 Jan 15:04 MST"))
}

func (a *App) sendStaff(ctx context.Context, m message.Email, purpose string, t loop.Task) error {
	m.Tags = map[string]string{"task_id": t.ID, "purpose": purpose}
	id, err := a.mail.SendEmail(ctx, m)
	if err != nil {
		return fmt.Errorf("send %s email for %s: %w", purpose, t.ID, err)
	}
	a.logMessage(ctx, message.Record{ID: id, Channel: "email", To: m.To, Purpose: purpose, Subject: m.Subject, CustomerID: t.CustomerID, TaskID: t.ID})
	return nil
}
