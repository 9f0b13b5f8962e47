// Package sendmsg is the format of a message on the send queue: Encode
// builds it on the producer side (shared/aws/sqs) and Parse reads it on the
// consumer side, so the format lives in one place. It has no AWS SDK
// dependency, so the consumer does not link the SQS client to read it.
package sendmsg

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrMalformed means a message body is not a send message; retrying it
// cannot help, so a consumer should drop it (or let it reach the
// dead-letter queue) rather than fail the batch forever.
var ErrMalformed = errors.New("sqs: malformed send message")

// Message is the body of a message on the send queue: the survey to send
// and how many times the provider has throttled it already (the sender
// puts a throttled survey back on the queue, later each time).
type Message struct {
	SurveyID  string `json:"survey_id"`
	Throttled int    `json:"throttled,omitempty"`
}

// Encode returns the body of m: {"survey_id": ...}, with "throttled" when
// it is not zero.
func Encode(m Message) (string, error) {
	b, err := json.Marshal(m)
	return string(b), err
}

// Parse reads a send message body (an SQS record's body). Errors wrap
// ErrMalformed. Unknown fields are ignored so a newer producer can add
// fields without poisoning an older consumer mid-deploy.
func Parse(body string) (Message, error) {
	dec := json.NewDecoder(strings.NewReader(body))
	var m Message
	if err := dec.Decode(&m); err != nil {
		return Message{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); err != io.EOF {
		return Message{}, fmt.Errorf("%w: data after the JSON object", ErrMalformed)
	}
	if m.SurveyID == "" {
		return Message{}, fmt.Errorf("%w: no survey_id", ErrMalformed)
	}
	if m.Throttled < 0 {
		return Message{}, fmt.Errorf("%w: negative throttled count", ErrMalformed)
	}
	return m, nil
}
