// Package ses sends cxloop's email through Amazon SES v2. Mailer
// implements app.Mailer on an injected SDK v2 client. The events SES
// publishes back through SNS are read by the SDK-free sesevent package.
package ses

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/domain/message"
)

// Client is the part of *sesv2.Client the Mailer uses.
type Client interface {
	SendEmail(ctx context.Context, in *sesv2.SendEmailInput, optFns ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

var _ Client = (*sesv2.Client)(nil)

var (
	// ErrInvalid means the email cannot be sent as given (a CR or LF in
	// the recipient, subject or a header, a header SES would refuse);
	// nothing was sent.
	ErrInvalid = errors.New("ses: invalid email")
	// ErrRejected means SES refused this message (MessageRejected, for
	// example an unverified sender in the sandbox or a virus); sending it
	// again will fail the same way.
	ErrRejected = errors.New("ses: message rejected")
	// ErrSendingPaused means the account or configuration set may not send
	// at all (AccountSuspendedException, SendingPausedException) until an
	// operator acts; no message will go out until then.
	ErrSendingPaused = errors.New("ses: sending paused")
	// ErrThrottled means SES refused the message because the account is
	// over its sending rate (TooManyRequestsException) or quota
	// (LimitExceededException), after the SDK's own retries; nothing was
	// sent, and the same message may be sent later.
	ErrThrottled = fmt.Errorf("ses: sending rate exceeded: %w", app.ErrThrottled)
)

// Config is what a Mailer needs besides the client.
type Config struct {
	// From is the verified sender, e.g. "Acme Feedback <feedback@acme.example>".
	From string
	// ConfigurationSet publishes the sending events (bounce, complaint,
	// delivery) to the SNS topic ParseNotification reads. May be empty.
	ConfigurationSet string
}

// Mailer sends email with SES v2 SendEmail.
type Mailer struct {
	client Client
	cfg    Config
}

var _ app.Mailer = (*Mailer)(nil)

// New returns a Mailer sending from cfg.From.
func New(client Client, cfg Config) *Mailer {
	return &Mailer{client: client, cfg: cfg}
}

const charset = "UTF-8"

// SendEmail sends m as a simple (SES-assembled) message with a text and an
// HTML part, m.Headers as extra headers and m.Tags as message tags, and
// returns SES's message id. A recipient, subject or header with CR or LF is
// refused with ErrInvalid before anything is sent.
func (s *Mailer) SendEmail(ctx context.Context, m message.Email) (string, error) {
	to := maskAddress(m.To)
	if err := validate(m); err != nil {
		return "", fmt.Errorf("ses: send email to %s: %w", to, err)
	}
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(s.cfg.From),
		Destination:      &types.Destination{ToAddresses: []string{m.To}},
		Content: &types.EmailContent{
			Simple: &types.Message{
				Subject: &types.Content{Data: aws.String(m.Subject), Charset: aws.String(charset)},
				Body:    body(m),
				Headers: headers(m.Headers),
			},
		},
		EmailTags: Tags(m.Tags),
	}
	if s.cfg.ConfigurationSet != "" {
		in.ConfigurationSetName = aws.String(s.cfg.ConfigurationSet)
	}
	if m.ReplyTo != "" {
		in.ReplyToAddresses = []string{m.ReplyTo}
	}
	out, err := s.client.SendEmail(ctx, in)
	if err != nil {
		return "", fmt.Errorf("ses: send email to %s: %w", to, classify(err))
	}
	// SES always answers with a message id; if it ever did not, the email
	// was still accepted, so report success rather than invite a resend.
	return aws.ToString(out.MessageId), nil
}

func body(m message.Email) *types.Body {
	b := &types.Body{}
	if m.Text != "" {
		b.Text = &types.Content{Data: aws.String(m.Text), Charset: aws.String(charset)}
	}
	if m.HTML != "" {
		b.Html = &types.Content{Data: aws.String(m.HTML), Charset: aws.String(charset)}
	}
	return b
}

// headers turns the map into SES's list, sorted by name so requests are
// deterministic.
func headers(h map[string]string) []types.MessageHeader {
	if len(h) == 0 {
		return nil
	}
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	sort.Strings(names)
	out := make([]types.MessageHeader, 0, len(names))
	for _, name := range names {
		out = append(out, types.MessageHeader{Name: aws.String(name), Value: aws.String(h[name])})
	}
	return out
}

// classify marks the SES errors callers must treat differently, keeping the
// SDK error in the chain for errors.As.
func classify(err error) error {
	var (
		rejected  *types.MessageRejected
		suspended *types.AccountSuspendedException
		paused    *types.SendingPausedException
		tooMany   *types.TooManyRequestsException
		limit     *types.LimitExceededException
	)
	switch {
	case errors.As(err, &tooMany), errors.As(err, &limit):
		return fmt.Errorf("%w: %w", ErrThrottled, err)
	case errors.As(err, &rejected):
		return fmt.Errorf("%w: %w", ErrRejected, err)
	case errors.As(err, &suspended), errors.As(err, &paused):
		return fmt.Errorf("%w: %w", ErrSendingPaused, err)
	default:
		return err
	}
}

// SES v2's limits on MessageHeader (API reference, MessageHeader).
const (
	maxHeaderName  = 126
	maxHeaderValue = 870
)

func validate(m message.Email) error {
	if strings.TrimSpace(m.To) == "" {
		return fmt.Errorf("%w: no recipient", ErrInvalid)
	}
	if strings.ContainsAny(m.To, "\r\n") {
		return fmt.Errorf("%w: line break in recipient", ErrInvalid)
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return fmt.Errorf("%w: line break in subject", ErrInvalid)
	}
	if m.Text == "" && m.HTML == "" {
		return fmt.Errorf("%w: no body", ErrInvalid)
	}
	for name, value := range m.Headers {
		if err := validHeader(name, value); err != nil {
			return err
		}
	}
	return nil
}

// reserved are headers SES writes from the request's other fields (or
// overwrites); a message must not set them through Headers, where a To,
// Cc or Bcc would reach people the caller did not name as recipients.
var reserved = map[string]bool{
	"from": true, "to": true, "cc": true, "bcc": true, "subject": true,
	"sender": true, "reply-to": true, "return-path": true, "date": true, "message-id": true,
	"mime-version": true, "content-type": true, "content-transfer-encoding": true,
}

// validHeader applies SES's MessageHeader rules: a name of 1–126 printable
// ASCII characters other than ":" and a value of 1–870 printable ASCII
// characters. CR and LF get their own message: they are how header
// injection is attempted.
func validHeader(name, value string) error {
	if strings.ContainsAny(name, "\r\n") || strings.ContainsAny(value, "\r\n") {
		return fmt.Errorf("%w: line break in header %q", ErrInvalid, strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(name))
	}
	if reserved[strings.ToLower(name)] {
		return fmt.Errorf("%w: header %s is set by the mailer, not by the message", ErrInvalid, name)
	}
	if name == "" || len(name) > maxHeaderName {
		return fmt.Errorf("%w: header name %q must have 1 to %d characters", ErrInvalid, name, maxHeaderName)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < '!' || c > '~' || c == ':' {
			return fmt.Errorf("%w: header name %q has a character SES refuses", ErrInvalid, name)
		}
	}
	if value == "" || len(value) > maxHeaderValue {
		return fmt.Errorf("%w: header %s value must have 1 to %d characters", ErrInvalid, name, maxHeaderValue)
	}
	for i := 0; i < len(value); i++ {
		if c := value[i]; c < ' ' || c > '~' {
			return fmt.Errorf("%w: header %s value has a character that is not printable ASCII", ErrInvalid, name)
		}
	}
	return nil
}

// maxTagLen is SES's limit on a message tag's name and value.
const maxTagLen = 256

// Tags turns message tags into SES EmailTags, sorted by name. SES allows
// only ASCII letters, digits, "_" and "-" in tag names and values, up to
// 256 characters: every other character becomes "_" and longer text is
// cut. A tag whose name or value is empty is dropped (SES requires both),
// and when two names sanitise to the same text only the first (in the
// original names' order) is kept.
func Tags(tags map[string]string) []types.MessageTag {
	if len(tags) == 0 {
		return nil
	}
	names := make([]string, 0, len(tags))
	for name := range tags {
		names = append(names, name)
	}
	sort.Strings(names)
	seen := make(map[string]bool, len(names))
	out := make([]types.MessageTag, 0, len(names))
	for _, name := range names {
		n, v := sanitizeTag(name), sanitizeTag(tags[name])
		if n == "" || v == "" || seen[n] {
			continue
		}
		seen[n] = true
		out = append(out, types.MessageTag{Name: aws.String(n), Value: aws.String(v)})
	}
	sort.Slice(out, func(i, j int) bool { return *out[i].Name < *out[j].Name })
	return out
}

func sanitizeTag(s string) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= maxTagLen {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// maskAddress keeps enough of an address to tell messages apart in an
// error without putting the person's address in logs: "j***@example.com".
func maskAddress(addr string) string {
	addr = strings.NewReplacer("\r", "", "\n", "").Replace(addr)
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 {
		return "***"
	}
	local, domain := addr[:at], addr[at+1:]
	first := []rune(local)[0]
	return string(first) + "***@" + domain
}
