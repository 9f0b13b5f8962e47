// Package sesevent reads the bounce, complaint and delivery events SES
// publishes through SNS. It has no AWS SDK dependency, so the function
// that consumes the events does not link the SES client to parse them.
package sesevent

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Kind is what a notification reports.
type Kind string

// The kinds of notification cxloop acts on, and Other for the rest.
const (
	// BouncePermanent: the address does not accept mail; stop sending to it.
	BouncePermanent Kind = "bounce-permanent"
	// BounceTransient: delivery failed for now (mailbox full, message too
	// large, or SES could not tell: bounceType Undetermined).
	BounceTransient Kind = "bounce-transient"
	// Complaint: the person marked the message as spam; stop sending to them.
	Complaint Kind = "complaint"
	// Delivery: the receiving server accepted the message.
	Delivery Kind = "delivery"
	// Send: SES accepted the message for sending (published even when the
	// caller of SendEmail died before it read the reply).
	Send Kind = "send"
	// Other: any other event SES can publish (Reject, Open, Click,
	// DeliveryDelay, Rendering Failure, Subscription); nothing to do.
	Other Kind = "other"
)

// ErrMalformedNotification means the body is not an SES notification; a
// redelivery will not change that.
var ErrMalformedNotification = errors.New("ses: malformed notification")

// Notification is the part of an SES event cxloop uses.
type Notification struct {
	Kind Kind
	// Addresses are the recipients the event is about: the bounced or
	// complaining recipients, or those delivered to.
	Addresses []string
	// MessageID is SES's id for the message, as SendEmail returned it.
	MessageID string
	// Tags are the message's tags (from event publishing through a
	// configuration set; feedback notifications carry none), including the
	// ones SES adds, such as ses:configuration-set.
	Tags map[string][]string
}

// notification is the JSON SES publishes: eventType with event publishing
// through a configuration set, notificationType with identity feedback
// notifications; the rest of the shape is shared.
type notification struct {
	EventType        string `json:"eventType"`
	NotificationType string `json:"notificationType"`
	Mail             struct {
		MessageID string              `json:"messageId"`
		Tags      map[string][]string `json:"tags"`
	} `json:"mail"`
	Bounce *struct {
		BounceType        string      `json:"bounceType"`
		BouncedRecipients []recipient `json:"bouncedRecipients"`
	} `json:"bounce"`
	Complaint *struct {
		ComplainedRecipients []recipient `json:"complainedRecipients"`
	} `json:"complaint"`
	Delivery *struct {
		Recipients []string `json:"recipients"`
	} `json:"delivery"`
}

type recipient struct {
	EmailAddress string `json:"emailAddress"`
}

// snsEnvelope is an SNS notification as delivered to an HTTP or SQS
// subscriber without raw message delivery.
type snsEnvelope struct {
	Type    string `json:"Type"`
	Message string `json:"Message"`
}

// ParseNotification reads one SES event: the Message of an SNS record (what
// a Lambda subscribed to the topic gets in Records[].Sns.Message), or the
// whole SNS envelope around it. Errors wrap ErrMalformedNotification.
func ParseNotification(body []byte) (Notification, error) {
	var env snsEnvelope
	if err := json.Unmarshal(body, &env); err == nil && env.Type == "Notification" && env.Message != "" {
		body = []byte(env.Message)
	}
	var n notification
	if err := json.Unmarshal(body, &n); err != nil {
		return Notification{}, fmt.Errorf("%w: %w", ErrMalformedNotification, err)
	}
	eventType := n.EventType
	if eventType == "" {
		eventType = n.NotificationType
	}
	if eventType == "" {
		return Notification{}, fmt.Errorf("%w: no eventType or notificationType", ErrMalformedNotification)
	}
	if n.Mail.MessageID == "" {
		return Notification{}, fmt.Errorf("%w: %s without mail.messageId", ErrMalformedNotification, eventType)
	}
	out := Notification{Kind: Other, MessageID: n.Mail.MessageID, Tags: n.Mail.Tags}
	switch eventType {
	case "Bounce":
		if n.Bounce == nil {
			return Notification{}, fmt.Errorf("%w: Bounce %s without bounce", ErrMalformedNotification, out.MessageID)
		}
		out.Kind = BounceTransient
		if n.Bounce.BounceType == "Permanent" {
			out.Kind = BouncePermanent
		}
		out.Addresses = addresses(n.Bounce.BouncedRecipients)
	case "Complaint":
		if n.Complaint == nil {
			return Notification{}, fmt.Errorf("%w: Complaint %s without complaint", ErrMalformedNotification, out.MessageID)
		}
		out.Kind = Complaint
		out.Addresses = addresses(n.Complaint.ComplainedRecipients)
	case "Send":
		out.Kind = Send
	case "Delivery":
		out.Kind = Delivery
		if n.Delivery != nil {
			out.Addresses = n.Delivery.Recipients
		}
	}
	return out, nil
}

func addresses(rs []recipient) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		if r.EmailAddress != "" {
			out = append(out, r.EmailAddress)
		}
	}
	return out
}
