package lambdafn

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cxloop/cxloop/shared/aws/ses/sesevent"
	"github.com/cxloop/cxloop/shared/aws/sms/smsinbound"
	"github.com/cxloop/cxloop/shared/aws/sqs/sendmsg"
	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/domain/survey"
)

// Later puts a survey back on the send queue to be sent after a delay
// (shared/aws/sqs.Queue).
type Later interface {
	EnqueueSendAfter(ctx context.Context, m sendmsg.Message, delay time.Duration) error
}

// Throttle backoff: a survey the provider throttled goes back on the queue
// after ThrottleBackoff, doubling with each throttle of the same survey up
// to sqs.MaxDelay (15 minutes, SQS's longest delay).
const (
	ThrottleBackoff = 30 * time.Second
	maxBackoff      = 15 * time.Minute
)

func backoff(throttled int) time.Duration {
	d := ThrottleBackoff
	for i := 1; i < throttled && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

// SendSurveys sends the surveys of an SQS batch. Each message succeeds or
// fails on its own: a failed one is reported in BatchItemFailures and only
// it is redelivered (and, after the queue's maxReceiveCount, moved to the
// dead-letter queue, with its reason in the log).
//
// A survey the provider throttles (app.ErrThrottled: the account is over
// its sending rate, after the SDK's own retries) is not a failure: it and
// the rest of the batch, which would be throttled too, go back on the
// queue through later with a growing delay, as new messages, so throttling
// costs no receive count and never reaches the dead-letter queue. Only
// when that fails is the message reported as failed.
func SendSurveys(a *app.App, later Later, log *slog.Logger) func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
	return func(ctx context.Context, e events.SQSEvent) (events.SQSEventResponse, error) {
		var res events.SQSEventResponse
		throttled := false
		for _, m := range e.Records {
			msg, err := sendmsg.Parse(m.Body)
			switch {
			case err != nil:
			case throttled:
				err = app.ErrThrottled // not tried: it would be throttled too
			default:
				err = a.Send(ctx, msg.SurveyID)
				throttled = errors.Is(err, app.ErrThrottled)
			}
			if err == nil {
				continue
			}
			if errors.Is(err, app.ErrThrottled) {
				msg.Throttled++
				delay := backoff(msg.Throttled)
				if err = later.EnqueueSendAfter(ctx, msg, delay); err == nil {
					log.WarnContext(ctx, "send throttled; survey queued again", "message_id", m.MessageId, "survey_id", msg.SurveyID, "throttled", msg.Throttled, "delay", delay.String())
					continue
				}
			}
			log.ErrorContext(ctx, "send failed; message will be retried", "message_id", m.MessageId, "survey_id", msg.SurveyID, "receive_count", m.Attributes["ApproximateReceiveCount"], "err", err)
			res.BatchItemFailures = append(res.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
		return res, nil
	}
}

// InboundSMS handles two-way SMS replies published to SNS by AWS End User
// Messaging. A failure is returned so SNS retries (and dead-letters) it;
// a redelivered text is recognised by its inbound message id.
func InboundSMS(a *app.App, log *slog.Logger) func(context.Context, events.SNSEvent) error {
	return func(ctx context.Context, e events.SNSEvent) error {
		var errs []error
		for _, r := range e.Records {
			in, err := smsinbound.ParseInbound([]byte(r.SNS.Message))
			if err != nil {
				errs = append(errs, fmt.Errorf("sns message %s: %w", r.SNS.MessageID, err))
				continue
			}
			out, err := a.ReceiveSMS(ctx, app.InboundSMS{From: in.From, Body: in.Body, PreviousMessageID: in.PreviousMessageID, MessageID: in.MessageID})
			if err != nil {
				errs = append(errs, fmt.Errorf("inbound sms %s: %w", in.MessageID, err))
				continue
			}
			log.InfoContext(ctx, "inbound sms handled", "action", out.Action, "survey_id", out.SurveyID)
		}
		return errors.Join(errs...)
	}
}

// SESEvents puts bounced and complaining addresses on the suppression
// list, and follows the owners' notes to customers: SES's send event marks
// a note sent (even if its sender died before it could), its delivery
// event confirms it, and a bounce shows it to a person.
func SESEvents(a *app.App, log *slog.Logger) func(context.Context, events.SNSEvent) error {
	return func(ctx context.Context, e events.SNSEvent) error {
		var errs []error
		for _, r := range e.Records {
			n, err := sesevent.ParseNotification([]byte(r.SNS.Message))
			if err != nil {
				errs = append(errs, fmt.Errorf("sns message %s: %w", r.SNS.MessageID, err))
				continue
			}
			tag := func(k string) string {
				if v := n.Tags[k]; len(v) > 0 {
					return v[0]
				}
				return ""
			}
			if task := tag("task_id"); task != "" && tag("purpose") == "note" {
				if ev, ok := noteEvents[n.Kind]; ok {
					if err := a.NoteReport(ctx, task, n.MessageID, ev); err != nil {
						errs = append(errs, fmt.Errorf("ses %s %s: note of %s: %w", n.Kind, n.MessageID, task, err))
					}
				}
			}
			reason := ""
			switch n.Kind {
			case sesevent.BouncePermanent:
				reason = app.ReasonBounce
			case sesevent.Complaint:
				reason = app.ReasonComplaint
			default:
				log.DebugContext(ctx, "ses event needs no suppression", "kind", string(n.Kind), "message_id", n.MessageID)
				continue
			}
			for _, addr := range n.Addresses {
				if err := a.Undeliverable(ctx, addr, reason, tag("survey_id")); err != nil {
					errs = append(errs, fmt.Errorf("ses %s %s: %w", n.Kind, n.MessageID, err))
				}
			}
		}
		return errors.Join(errs...)
	}
}

// noteEvents maps what SES reports to what it means for a note.
var noteEvents = map[sesevent.Kind]app.NoteEvent{
	sesevent.Send:            app.NoteEventSent,
	sesevent.Delivery:        app.NoteEventDelivered,
	sesevent.BouncePermanent: app.NoteEventBounced,
	sesevent.Complaint:       app.NoteEventDelivered, // it arrived; the complaint suppresses the address
}

// Sweep runs the sweeper on a schedule.
func Sweep(a *app.App) func(context.Context, events.EventBridgeEvent) (app.SweepResult, error) {
	return func(ctx context.Context, _ events.EventBridgeEvent) (app.SweepResult, error) {
		return a.Sweep(ctx)
	}
}

// BadEvent is an event that can never be processed; it is returned (not
// swallowed) so the event ends in the dead-letter queue with its reason.
type BadEvent struct{ Reason string }

func (e *BadEvent) Error() string { return "bad event: " + e.Reason }

// IngestEvent takes an interaction from EventBridge, with the same body as
// POST /v1/interactions in its detail.
func IngestEvent(a *app.App) func(context.Context, events.EventBridgeEvent) (survey.Result, error) {
	return func(ctx context.Context, e events.EventBridgeEvent) (survey.Result, error) {
		var in app.Interaction
		dec := json.NewDecoder(bytes.NewReader(e.Detail))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			return survey.Result{}, &BadEvent{Reason: "detail is not an interaction: " + err.Error()}
		}
		res, _, err := a.Ingest(ctx, in)
		var ae *app.Error
		if errors.As(err, &ae) && ae.Code == app.Invalid {
			return survey.Result{}, &BadEvent{Reason: fmt.Sprintf("%s %v", ae.Message, ae.Fields)}
		}
		return res, err
	}
}
