// Package sendmsg is the format of a message on the send queue: Encode
// builds it on the producer side (shared/sqs) and Parse reads it on the
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

// message is the body of a message on the send queue.
type message struct {
	SurveyID string `json:"survey_id"`
}

// Encode returns the body of the send message for surveyID:
// {"survey_id": surveyID}.
func Encode(surveyID string) (string, error) {
	b, err := json.Marshal(message{SurveyID: surveyID})
	return string(b), err
}

// Parse returns the survey id of a send message body (an SQS record's
// body). Errors wrap ErrMalformed. Unknown fields are ignored so a newer
// producer can add fields without poisoning an older consumer mid-deploy.
func Parse(body string) (string, error) {
	dec := json.NewDecoder(strings.NewReader(body))
	var m message
	if err := dec.Decode(&m); err != nil {
		return "", fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); err != io.EOF {
		return "", fmt.Errorf("%w: data after the JSON object", ErrMalformed)
	}
	if m.SurveyID == "" {
		return "", fmt.Errorf("%w: no survey_id", ErrMalformed)
	}
	return m.SurveyID, nil
}
