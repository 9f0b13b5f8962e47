package runtimeapi_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/testkit/awsfake"
	"github.com/cxloop/cxloop/shared/testkit/runtimeapi"
)

// TestSendSurveyQueuesThrottledSurveysAgain runs the real send-survey
// binary against the recording fake with SES over its sending rate
// (TooManyRequestsException): the throttled survey and the rest of the
// batch, not tried, go back on the queue with a delay and a throttle
// count, and none is reported failed, so throttling never moves a message
// towards the dead-letter queue. Once SES takes mail again, the messages
// put back send the surveys, each once.
func TestSendSurveyQueuesThrottledSurveysAgain(t *testing.T) {
	bins := functionBinaries(t)
	stack := awsfake.NewStack(t, "cxloop-throttle")
	root := moduleRoot(t)
	// No SDK retries: the fake answers at once, and the handler's own
	// backoff is what is under test.
	env := append(stack.Env(), "AWS_MAX_ATTEMPTS=1")
	start := func(fn string) *runtimeapi.Harness {
		h, err := runtimeapi.Start(t.Context(), runtimeapi.Config{Binary: bins[fn], FunctionName: fn, Env: env, Timeout: 20 * time.Second})
		if err != nil {
			t.Fatalf("start %s: %v", fn, err)
		}
		t.Cleanup(h.Close)
		return h
	}
	api, sender := start("api"), start("send-survey")
	invoke := func(h *runtimeapi.Harness, event []byte) []byte {
		t.Helper()
		res, err := h.Invoke(t.Context(), event)
		if err != nil {
			t.Fatal(err)
		}
		if res.Error != nil {
			t.Fatalf("function error %s\nlogs:\n%s", res.Error, res.Logs)
		}
		return res.Payload
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(root, "events", "api", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for _, f := range []string{"put-person-dana.json", "put-person-maria.json", "put-account-acme.json"} {
		invoke(api, []byte(read(f)))
	}
	// Two surveys for two people: the sample interaction and a copy of it.
	interaction := read("post-interaction.json")
	var surveys []string
	for _, ev := range []string{interaction, strings.NewReplacer("ticket-1001", "ticket-3001", "cust-ana", "cust-bo", "ana@acme.example", "bo@acme.example").Replace(interaction)} {
		var res apiResponse
		if err := json.Unmarshal(invoke(api, []byte(ev)), &res); err != nil || res.StatusCode != 202 {
			t.Fatalf("POST /v1/interactions: %v %+v", err, res)
		}
		var body struct {
			SurveyID string `json:"survey_id"`
		}
		if err := json.Unmarshal([]byte(res.Body), &body); err != nil || body.SurveyID == "" {
			t.Fatalf("interaction body %q: %v", res.Body, err)
		}
		surveys = append(surveys, body.SurveyID)
	}
	batch := func(bodies ...string) []byte {
		var recs []map[string]any
		for i, b := range bodies {
			recs = append(recs, map[string]any{"messageId": "m" + string(rune('1'+i)), "body": b,
				"attributes": map[string]string{"ApproximateReceiveCount": "1"}, "eventSource": "aws:sqs"})
		}
		b, err := json.Marshal(map[string]any{"Records": recs})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	failures := func(payload []byte) int {
		t.Helper()
		var r struct {
			BatchItemFailures []any `json:"batchItemFailures"`
		}
		if err := json.Unmarshal(payload, &r); err != nil {
			t.Fatal(err)
		}
		return len(r.BatchItemFailures)
	}

	stack.Fake.Fail(awsfake.SESv2, "SendEmail", awsfake.Fault{Status: 429, Code: "TooManyRequestsException", Message: "Maximum sending rate exceeded."})
	before := len(stack.Fake.Calls())
	out := invoke(sender, batch(`{"survey_id":"`+surveys[0]+`"}`, `{"survey_id":"`+surveys[1]+`"}`))
	if n := failures(out); n != 0 {
		t.Errorf("%d batch item failures while throttled, want none (they would count towards the DLQ)", n)
	}
	var again []string
	var emails int
	for _, c := range stack.Fake.Since(before) {
		switch c.Service + "." + c.Operation {
		case "SESv2.SendEmail":
			emails++
		case "SQS.SendMessage":
			var m struct {
				MessageBody  string
				DelaySeconds int
			}
			if err := c.Decode(&m); err != nil {
				t.Fatal(err)
			}
			if m.DelaySeconds != 30 {
				t.Errorf("queued again with DelaySeconds %d, want 30 (the first throttle's backoff)", m.DelaySeconds)
			}
			again = append(again, m.MessageBody)
		}
	}
	if emails != 1 {
		t.Errorf("%d SendEmail calls while throttled, want 1: after a throttle the rest of the batch waits", emails)
	}
	want := []string{`{"survey_id":"` + surveys[0] + `","throttled":1}`, `{"survey_id":"` + surveys[1] + `","throttled":1}`}
	if strings.Join(again, " ") != strings.Join(want, " ") {
		t.Fatalf("queued again: %v, want %v", again, want)
	}

	stack.Fake.Recover(awsfake.SESv2, "SendEmail")
	before = len(stack.Fake.Calls())
	if n := failures(invoke(sender, batch(again...))); n != 0 {
		t.Errorf("%d batch item failures after SES recovered", n)
	}
	var to []string
	for _, c := range stack.Fake.Since(before) {
		if c.Service == awsfake.SESv2 && c.Operation == "SendEmail" {
			var m struct {
				Destination struct{ ToAddresses []string }
			}
			if err := c.Decode(&m); err != nil {
				t.Fatal(err)
			}
			to = append(to, m.Destination.ToAddresses...)
		}
	}
	if strings.Join(to, ",") != "ana@acme.example,bo@acme.example" {
		t.Errorf("sent after recovery to %v, want each survey once", to)
	}
}
