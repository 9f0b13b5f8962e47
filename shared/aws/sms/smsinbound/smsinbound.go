// Package smsinbound reads the inbound (two-way) text messages AWS End
// User Messaging SMS publishes to SNS. It has no AWS SDK dependency, so
// the function that handles replies does not link more than it sends with.
package smsinbound

import (
	"encoding/json"
	"errors"
	"fmt"
)

// ErrMalformedInbound means a body is not an inbound text message; a
// redelivery will not change that.
var ErrMalformedInbound = errors.New("sms: malformed inbound message")

// Inbound is a text a person sent to one of our numbers.
type Inbound struct {
	// From is the person's number (originationNumber), E.164.
	From string
	// To is our number that received it (destinationNumber).
	To string
	// Body is what they wrote (messageBody).
	Body string
	// Keyword is the registered keyword the service matched (messageKeyword),
	// such as STOP or HELP; empty when none matched.
	Keyword string
	// PreviousMessageID is the id of our message they are answering
	// (previousPublishedMessageId), when the service knows it.
	PreviousMessageID string
	// MessageID is the service's id for this inbound message (inboundMessageId).
	MessageID string
}

// inbound is the JSON End User Messaging SMS publishes to the two-way SNS topic.
type inbound struct {
	OriginationNumber          string `json:"originationNumber"`
	DestinationNumber          string `json:"destinationNumber"`
	MessageKeyword             string `json:"messageKeyword"`
	MessageBody                string `json:"messageBody"`
	InboundMessageID           string `json:"inboundMessageId"`
	PreviousPublishedMessageID string `json:"previousPublishedMessageId"`
}

// snsEnvelope is an SNS notification as delivered to an HTTP or SQS
// subscriber without raw message delivery.
type snsEnvelope struct {
	Type    string `json:"Type"`
	Message string `json:"Message"`
}

// ParseInbound reads one inbound text: the Message of an SNS record (what a
// Lambda subscribed to the two-way topic gets in Records[].Sns.Message), or
// the whole SNS envelope around it. Errors wrap ErrMalformedInbound.
func ParseInbound(body []byte) (Inbound, error) {
	var env snsEnvelope
	if err := json.Unmarshal(body, &env); err == nil && env.Type == "Notification" && env.Message != "" {
		body = []byte(env.Message)
	}
	var in inbound
	if err := json.Unmarshal(body, &in); err != nil {
		return Inbound{}, fmt.Errorf("%w: %w", ErrMalformedInbound, err)
	}
	switch {
	case in.OriginationNumber == "":
		return Inbound{}, fmt.Errorf("%w: no originationNumber", ErrMalformedInbound)
	case in.DestinationNumber == "":
		return Inbound{}, fmt.Errorf("%w: no destinationNumber", ErrMalformedInbound)
	case in.InboundMessageID == "":
		return Inbound{}, fmt.Errorf("%w: no inboundMessageId", ErrMalformedInbound)
	}
	return Inbound{
		From:              in.OriginationNumber,
		To:                in.DestinationNumber,
		Body:              in.MessageBody,
		Keyword:           in.MessageKeyword,
		PreviousMessageID: in.PreviousPublishedMessageID,
		MessageID:         in.InboundMessageID,
	}, nil
}
