// Package sms sends cxloop's text messages through AWS End User Messaging
// SMS (the pinpoint-sms-voice-v2 API) and checks its opt-out list. Texter
// implements app.Texter on an injected SDK v2 client. The inbound (two-way)
// messages it publishes to SNS are read by the SDK-free smsinbound package.
package sms

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"

	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/domain/message"
)

// Client is the part of *pinpointsmsvoicev2.Client the Texter uses.
type Client interface {
	SendTextMessage(ctx context.Context, in *pinpointsmsvoicev2.SendTextMessageInput, optFns ...func(*pinpointsmsvoicev2.Options)) (*pinpointsmsvoicev2.SendTextMessageOutput, error)
	DescribeOptedOutNumbers(ctx context.Context, in *pinpointsmsvoicev2.DescribeOptedOutNumbersInput, optFns ...func(*pinpointsmsvoicev2.Options)) (*pinpointsmsvoicev2.DescribeOptedOutNumbersOutput, error)
}

var _ Client = (*pinpointsmsvoicev2.Client)(nil)

var (
	// ErrInvalidNumber means the destination is not a phone number the
	// service can text (not E.164, or refused by the service as invalid):
	// the contact's number needs fixing; retrying will not help.
	ErrInvalidNumber = fmt.Errorf("sms: invalid phone number: %w", app.ErrInvalidAddress)
	// ErrOptedOut means the person has opted out of texts from this
	// sender (replied STOP); the service will not deliver to them.
	ErrOptedOut = fmt.Errorf("sms: destination opted out: %w", app.ErrProviderOptOut)
	// ErrThrottled means the service refused the text because the account
	// is over its sending rate (ThrottlingException), after the SDK's own
	// retries; nothing was sent, and it may be sent later.
	ErrThrottled = fmt.Errorf("sms: sending rate exceeded: %w", app.ErrThrottled)
)

// Config is what a Texter needs besides the client.
type Config struct {
	// OriginationIdentity is the sending phone number, pool id or ARN.
	OriginationIdentity string
	// ConfigurationSet routes delivery events; may be empty.
	ConfigurationSet string
	// OptOutList is the opt-out list's name or ARN, used by OptedOut.
	OptOutList string
}

// Texter sends text messages with SendTextMessage.
type Texter struct {
	client Client
	cfg    Config
}

var _ app.Texter = (*Texter)(nil)

// New returns a Texter sending from cfg.OriginationIdentity.
func New(client Client, cfg Config) *Texter {
	return &Texter{client: client, cfg: cfg}
}

// e164 is the number format the service accepts: "+", a country code not
// starting with 0, at most 15 digits in all.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)

// SendSMS sends m as a TRANSACTIONAL text (survey invitations and follow-up
// notes are expected by the person, not marketing) and returns the
// service's message id. m.Tags travel as the message Context, which the
// service copies to its delivery events.
func (t *Texter) SendSMS(ctx context.Context, m message.SMS) (string, error) {
	to := MaskNumber(m.To)
	if !e164.MatchString(m.To) {
		return "", fmt.Errorf("sms: send text to %s: %w: not in E.164 form", to, ErrInvalidNumber)
	}
	if strings.TrimSpace(m.Body) == "" {
		return "", fmt.Errorf("sms: send text to %s: empty body", to)
	}
	in := &pinpointsmsvoicev2.SendTextMessageInput{
		DestinationPhoneNumber: aws.String(m.To),
		MessageBody:            aws.String(m.Body),
		MessageType:            types.MessageTypeTransactional,
	}
	if t.cfg.OriginationIdentity != "" {
		in.OriginationIdentity = aws.String(t.cfg.OriginationIdentity)
	}
	if t.cfg.ConfigurationSet != "" {
		in.ConfigurationSetName = aws.String(t.cfg.ConfigurationSet)
	}
	if len(m.Tags) > 0 {
		in.Context = m.Tags
	}
	out, err := t.client.SendTextMessage(ctx, in)
	if err != nil {
		return "", fmt.Errorf("sms: send text to %s: %w", to, classify(err))
	}
	return aws.ToString(out.MessageId), nil
}

// OptedOut reports whether number is on the configured opt-out list.
func (t *Texter) OptedOut(ctx context.Context, number string) (bool, error) {
	masked := MaskNumber(number)
	if !e164.MatchString(number) {
		return false, fmt.Errorf("sms: check opt-out of %s: %w: not in E.164 form", masked, ErrInvalidNumber)
	}
	out, err := t.client.DescribeOptedOutNumbers(ctx, &pinpointsmsvoicev2.DescribeOptedOutNumbersInput{
		OptOutListName:  aws.String(t.cfg.OptOutList),
		OptedOutNumbers: []string{number},
	})
	var missing *types.ResourceNotFoundException
	if errors.As(err, &missing) && missing.ResourceType == types.ResourceTypeOptedOutNumber {
		// The service may answer a number that is not on the list this way.
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("sms: check opt-out of %s: %w", masked, classify(err))
	}
	for _, n := range out.OptedOutNumbers {
		if aws.ToString(n.OptedOutNumber) == number {
			return true, nil
		}
	}
	return false, nil
}

// numberReasons are the ValidationException reasons that, on the
// destination number field, mean the number itself is wrong. Others
// (COUNTRY_NOT_ENABLED, DESTINATION_COUNTRY_BLOCKED, ...) are about the
// account's setup, not the contact.
var numberReasons = map[types.ValidationExceptionReason]bool{
	types.ValidationExceptionReasonCannotParse:           true,
	types.ValidationExceptionReasonFieldValidationFailed: true,
	types.ValidationExceptionReasonInvalidParameter:      true,
}

// classify marks the service errors callers act on, keeping the SDK error
// in the chain for errors.As.
func classify(err error) error {
	var (
		invalid   *types.ValidationException
		conflict  *types.ConflictException
		throttled *types.ThrottlingException
	)
	switch {
	case errors.As(err, &throttled):
		return fmt.Errorf("%w: %w", ErrThrottled, err)
	case errors.As(err, &invalid) && numberReasons[invalid.Reason] && aboutNumber(invalid):
		return fmt.Errorf("%w: %w", ErrInvalidNumber, err)
	case errors.As(err, &conflict) && conflict.Reason == types.ConflictExceptionReasonDestinationPhoneNumberOptedOut:
		return fmt.Errorf("%w: %w", ErrOptedOut, err)
	default:
		return err
	}
}

// aboutNumber reports whether a validation error names a phone number field.
func aboutNumber(e *types.ValidationException) bool {
	for _, f := range e.Fields {
		switch strings.ToLower(aws.ToString(f.Name)) {
		case "destinationphonenumber", "optedoutnumbers", "optedoutnumber":
			return true
		}
	}
	return false
}

// MaskNumber hides all but the last two digits of a phone number, for
// errors and logs: "+447700900123" becomes "+**********23".
func MaskNumber(n string) string {
	if len(n) <= 2 {
		return strings.Repeat("*", len(n))
	}
	var b strings.Builder
	for i, r := range n {
		switch {
		case i >= len(n)-2:
			b.WriteRune(r)
		case i == 0 && r == '+':
			b.WriteRune(r)
		default:
			b.WriteByte('*')
		}
	}
	return b.String()
}
