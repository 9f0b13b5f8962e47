//go:build awslocal

package awslocal

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// The suite knows the deployment only from what stack.sh wrote: the
// stacks' outputs, MiniStack's endpoint, the recorder's URL and the API key.
var (
	stateDir = os.Getenv("CXLOOP_AWSLOCAL_DIR")
	endpoint = os.Getenv("CXLOOP_AWSLOCAL_ENDPOINT")
	recorder = os.Getenv("CXLOOP_AWSLOCAL_RECORDER")
	apiKey   = os.Getenv("CXLOOP_API_KEY")
	run      = strconv.FormatInt(time.Now().UnixNano()%(1<<40), 36) // keeps ids apart across runs
)

// Waits: MiniStack runs everything in real time. The SLA, escalation and
// reminder are 36 s, expiry about 2 minutes, the sweeper every minute
// (stack.sh); a cold start of a function is a few hundred ms.
const (
	soon    = 60 * time.Second  // a message, an execution step
	sweep   = 150 * time.Second // what waits for a due time and then a sweep
	expires = 300 * time.Second // the expiry, then a sweep
)

// deployment is one deployed stack.
type deployment struct {
	name string
	sms  bool
	out  map[string]string
}

func load(t *testing.T, stack string) deployment {
	t.Helper()
	if stateDir == "" || endpoint == "" || recorder == "" || apiKey == "" {
		t.Fatal("CXLOOP_AWSLOCAL_DIR, CXLOOP_AWSLOCAL_ENDPOINT, CXLOOP_AWSLOCAL_RECORDER and CXLOOP_API_KEY must be set: run make aws-local-test")
	}
	f, err := os.Open(filepath.Join(stateDir, stack+".env"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := deployment{name: stack, out: map[string]string{}}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			d.out[k] = v
		}
	}
	for _, k := range []string{"ApiUrl", "TableName", "StateMachineArn", "SesEventsTopicArn", "InboundSmsTopicArn", "EmailConfigurationSetName"} {
		if d.out[k] == "" {
			t.Fatalf("%s: output %s missing from %s.env", stack, k, stack)
		}
	}
	return d
}

// web reaches the API's own endpoint, http://<id>.execute-api.localhost:PORT.
// Browsers and curl resolve every *.localhost name to the loopback address
// (RFC 6761); Go's resolver does not, so the dialer does it.
var web = &http.Client{
	Timeout: 40 * time.Second,
	Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err == nil && strings.HasSuffix(host, ".localhost") {
			addr = net.JoinHostPort("127.0.0.1", port)
		}
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}},
}

type reply struct {
	status int
	body   []byte
	header http.Header
}

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("not JSON (%d): %v\n%s", r.status, err, r.body)
	}
	return m
}

func do(t *testing.T, method, u, contentType, body string, auth bool) reply {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if auth {
		req.Header.Set("Authorization", "Bearer "+apiKey)
	}
	res, err := web.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{res.StatusCode, b, res.Header}
}

// api calls a /v1 route with the API key and a JSON body.
func (d deployment) api(t *testing.T, method, path string, body any) reply {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	if body == nil {
		b = nil
	}
	return do(t, method, d.out["ApiUrl"]+path, "application/json", string(b), true)
}

// eventually polls check until it reports done or the wait is over.
func eventually(t *testing.T, wait time.Duration, what string, check func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(wait)
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	last := ""
	for {
		done, state := check()
		if done {
			return
		}
		last = state
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s; last seen: %s", wait, what, last)
		}
		select {
		case <-t.Context().Done():
			t.Fatalf("%s: %v", what, t.Context().Err())
		case <-tick.C:
		}
	}
}

// --- MiniStack's record of sent email ------------------------------------

type sentEmail struct {
	MessageID string   `json:"MessageId"`
	Source    string   `json:"Source"`
	To        []string `json:"To"`
	Subject   string   `json:"Subject"`
	BodyText  string   `json:"BodyText"`
	BodyHTML  string   `json:"BodyHtml"`
}

// mailTo returns the emails MiniStack's SES recorded for an address, in order.
func mailTo(t *testing.T, addr string) []sentEmail {
	t.Helper()
	res, err := web.Get(endpoint + "/_ministack/ses/messages")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var all struct {
		Messages map[string][]sentEmail `json:"messages"`
	}
	if err := json.NewDecoder(res.Body).Decode(&all); err != nil {
		t.Fatal(err)
	}
	var out []sentEmail
	for _, msgs := range all.Messages {
		for _, m := range msgs {
			if slices.Contains(m.To, addr) {
				out = append(out, m)
			}
		}
	}
	return out
}

// waitMail waits until addr has an email whose subject starts with prefix.
func waitMail(t *testing.T, wait time.Duration, addr, prefix string) sentEmail {
	t.Helper()
	var got sentEmail
	eventually(t, wait, fmt.Sprintf("an email %q… to %s", prefix, addr), func() (bool, string) {
		var subjects []string
		for _, m := range mailTo(t, addr) {
			if strings.HasPrefix(m.Subject, prefix) {
				got = m
				return true, ""
			}
			subjects = append(subjects, m.Subject)
		}
		return false, fmt.Sprintf("subjects %q", subjects)
	})
	return got
}

var scoreLink = regexp.MustCompile(`(https?://\S+/s/[A-Za-z0-9._~-]+)\?score=(\d+)`)

// surveyLink is the survey page link of an email (without ?score=).
func surveyLink(t *testing.T, m sentEmail) string {
	t.Helper()
	ms := scoreLink.FindStringSubmatch(m.BodyText)
	if ms == nil {
		t.Fatalf("no score link in the email %q:\n%s", m.Subject, m.BodyText)
	}
	return ms[1]
}

// --- the recorder's record of AWS calls --------------------------------------

type call struct {
	Service, Operation string
	Body               json.RawMessage
	Status             int
}

func calls(t *testing.T) []call {
	t.Helper()
	res, err := http.Get(recorder + "/_awsfake/calls")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var cs []call
	if err := json.NewDecoder(res.Body).Decode(&cs); err != nil {
		t.Fatal(err)
	}
	return cs
}

// callsWith returns the recorded calls of an operation whose body holds s
// (for an address or a name, quoted(s): one id must not find another
// that ends with it).
func callsWith(t *testing.T, service, op, s string) []call {
	t.Helper()
	var out []call
	for _, c := range calls(t) {
		if c.Service == service && c.Operation == op && strings.Contains(string(c.Body), s) {
			out = append(out, c)
		}
	}
	return out
}

func quoted(s string) string { return `"` + s + `"` }

func fault(t *testing.T, method, service, op, match string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"service": service, "operation": op,
		"fault": map[string]any{"Status": 400, "Code": "ExecutionLimitExceeded", "Message": "maximum running executions (test fault)", "Match": match}})
	req, err := http.NewRequestWithContext(t.Context(), method, recorder+"/_awsfake/faults", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("%s fault: %d", method, res.StatusCode)
	}
}

// --- the emulator's AWS APIs ---------------------------------------------

func awsConfig(t *testing.T) aws.Config {
	t.Helper()
	cfg, err := awsconfig.LoadDefaultConfig(t.Context()) // AWS_ENDPOINT_URL: MiniStack
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// item reads one record of the deployed table by its key (the layout is in
// shared/core/store/keys.go) and decodes its JSON data.
func (d deployment) item(t *testing.T, pk string) (map[string]any, bool) {
	t.Helper()
	out, err := dynamodb.NewFromConfig(awsConfig(t)).GetItem(t.Context(), &dynamodb.GetItemInput{
		TableName: aws.String(d.out["TableName"]), ConsistentRead: aws.Bool(true),
		Key: map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: pk}, "sk": &ddbtypes.AttributeValueMemberS{Value: "#"}},
	})
	if err != nil {
		t.Fatalf("GetItem %s: %v", pk, err)
	}
	if out.Item == nil {
		return nil, false
	}
	data, ok := out.Item["data"].(*ddbtypes.AttributeValueMemberB)
	if !ok {
		t.Fatalf("item %s has no binary data attribute: %v", pk, out.Item)
	}
	var m map[string]any
	if err := json.Unmarshal(data.Value, &m); err != nil {
		t.Fatalf("item %s: %v", pk, err)
	}
	return m, true
}

func (d deployment) execution(t *testing.T, name string) (*sfn.DescribeExecutionOutput, bool) {
	t.Helper()
	arn := strings.Replace(d.out["StateMachineArn"], ":stateMachine:", ":execution:", 1) + ":" + name
	out, err := sfn.NewFromConfig(awsConfig(t)).DescribeExecution(t.Context(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		return nil, false
	}
	return out, true
}

func (d deployment) history(t *testing.T, name string) []sfntypes.HistoryEvent {
	t.Helper()
	arn := strings.Replace(d.out["StateMachineArn"], ":stateMachine:", ":execution:", 1) + ":" + name
	out, err := sfn.NewFromConfig(awsConfig(t)).GetExecutionHistory(t.Context(), &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), MaxResults: 1000})
	if err != nil {
		t.Fatalf("GetExecutionHistory %s: %v", name, err)
	}
	return out.Events
}

func publish(t *testing.T, topic string, message any) {
	t.Helper()
	b, err := json.Marshal(message)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sns.NewFromConfig(awsConfig(t)).Publish(t.Context(), &sns.PublishInput{TopicArn: aws.String(topic), Message: aws.String(string(b))}); err != nil {
		t.Fatalf("SNS Publish to %s: %v", topic, err)
	}
}

// --- the people and their interactions ----------------------------------

// org is one deployment's directory: an owner, her manager and an account.
type org struct {
	d                       deployment
	owner, manager, account string
}

func (d deployment) setup(t *testing.T) org {
	t.Helper()
	o := org{d: d, owner: "maria-" + run, manager: "dana-" + run, account: "acme-" + run}
	for _, p := range []struct {
		id   string
		body map[string]any
	}{
		{o.manager, map[string]any{"name": "Dana Whitfield", "email": o.manager + "@example.com", "team": "Customer Success"}},
		{o.owner, map[string]any{"name": "María García", "email": o.owner + "@example.com", "manager_id": o.manager, "team": "Customer Success"}},
	} {
		if r := d.api(t, http.MethodPut, "/v1/people/"+p.id, p.body); r.status != http.StatusCreated && r.status != http.StatusOK {
			t.Fatalf("PUT person %s: %d %s", p.id, r.status, r.body)
		}
	}
	if r := d.api(t, http.MethodPut, "/v1/accounts/"+o.account, map[string]any{"name": "Acme", "owner_id": o.owner}); r.status >= 300 {
		t.Fatalf("PUT account: %d %s", r.status, r.body)
	}
	return o
}

// customer is one person asked in one scenario.
type customer struct {
	id, email, phone, tz string
}

func (o org) customer(name string) customer {
	id := name + "-" + run + "-" + o.d.name
	return customer{id: id, email: id + "@example.com"}
}

// ask reports a finished interaction and returns the ingest answer.
func (o org) ask(t *testing.T, c customer, channel, interactionID string) map[string]any {
	t.Helper()
	contact := map[string]any{"id": c.id, "name": "Ana " + c.id[:3]}
	if c.email != "" {
		contact["email"] = c.email
	}
	if c.phone != "" {
		contact["phone"], contact["timezone"] = c.phone, c.tz
	}
	r := o.d.api(t, http.MethodPost, "/v1/interactions", map[string]any{
		"id": interactionID, "occurred_at": time.Now().UTC().Add(-time.Minute).Format(time.RFC3339), "type": "support_ticket",
		"channel": channel, "survey": "nps", "account_id": o.account, "customer": contact,
	})
	if r.status != http.StatusAccepted {
		t.Fatalf("POST /v1/interactions %s: %d %s", interactionID, r.status, r.body)
	}
	return r.json(t)
}

// surveyed asks c by email and returns the survey id and the email.
func (o org) surveyed(t *testing.T, c customer) (string, sentEmail) {
	t.Helper()
	res := o.ask(t, c, "email", "int-"+c.id)
	if res["status"] != "scheduled" {
		t.Fatalf("interaction for %s: %v, want scheduled", c.id, res)
	}
	return res["survey_id"].(string), waitMail(t, soon, c.email, "A quick question from")
}

// answer sends the survey form with a score, as the person's browser does
// after following the score link.
func answer(t *testing.T, link string, score int, comment string) {
	t.Helper()
	if r := do(t, http.MethodGet, link+"?score="+strconv.Itoa(score), "", "", false); r.status != http.StatusOK {
		t.Fatalf("GET score link: %d %s", r.status, r.body)
	}
	form := url.Values{"score": {strconv.Itoa(score)}, "comment": {comment}}
	if r := do(t, http.MethodPost, link, "application/x-www-form-urlencoded", form.Encode(), false); r.status != http.StatusOK {
		t.Fatalf("POST survey form: %d %s", r.status, r.body)
	}
}

func suffix(surveyID string) string { return strings.TrimPrefix(surveyID, "sv_") }

// --- the suite ------------------------------------------------------------

func TestDeployed(t *testing.T) {
	for _, d := range []deployment{load(t, "cxloop-email"), load(t, "cxloop-sms")} {
		d.sms = d.name == "cxloop-sms"
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			o := d.setup(t)
			t.Run("survey email through the queue, sender and SES", o.testSurveyEmail)
			t.Run("unhappy answer, owner's task, complete, note", o.testCloseTheLoop)
			t.Run("SLA passes: reminder and escalation", o.testEscalation)
			t.Run("sweeper: reminder and expiry", o.testReminderAndExpiry)
			t.Run("sweeper starts a loop that failed to start", o.testReconcile)
			t.Run("SES bounce through SNS suppresses the address", o.testBounce)
			t.Run("one-click unsubscribe", o.testUnsubscribe)
			if d.sms {
				t.Run("SMS survey and reply", o.testSMS)
			} else {
				t.Run("SMS interaction without SMS is skipped", o.testNoSMS)
			}
		})
	}
}

// API Gateway → api → SQS → send-survey → SES v2; then the score link and
// the form through API Gateway → the answer in the table.
func (o org) testSurveyEmail(t *testing.T) {
	t.Parallel()
	c := o.customer("happy")
	surveyID, m := o.surveyed(t, c)
	if !strings.Contains(m.Source, "feedback@example.com") {
		t.Errorf("From = %q", m.Source)
	}
	for _, part := range []struct{ name, body string }{{"text", m.BodyText}, {"HTML", m.BodyHTML}} {
		if !strings.Contains(part.body, "/s/") || !strings.Contains(part.body, "/u/") {
			t.Errorf("%s part has no survey or unsubscribe link:\n%s", part.name, part.body)
		}
	}
	if !strings.Contains(m.BodyHTML, "<html") {
		t.Errorf("HTML part is not HTML: %.200s", m.BodyHTML)
	}
	// MiniStack keeps no headers, configuration set or tags of an email,
	// and no raw MIME for one SES assembles: those are checked on the
	// request SES received, as the recorder saw it on its way to MiniStack.
	sends := callsWith(t, "SESv2", "SendEmail", quoted(c.email))
	if len(sends) != 1 {
		t.Fatalf("%d SendEmail calls to %s, want exactly 1 (the sender is idempotent)", len(sends), c.email)
	}
	var req struct {
		ConfigurationSetName string
		EmailTags            []struct{ Name, Value string }
		Content              struct {
			Simple struct {
				Headers []struct{ Name, Value string }
				Body    struct{ Text, Html struct{ Data string } }
			}
		}
	}
	if err := json.Unmarshal(sends[0].Body, &req); err != nil {
		t.Fatal(err)
	}
	if req.ConfigurationSetName != o.d.out["EmailConfigurationSetName"] {
		t.Errorf("ConfigurationSetName = %q, want %q", req.ConfigurationSetName, o.d.out["EmailConfigurationSetName"])
	}
	tags := map[string]string{}
	for _, tg := range req.EmailTags {
		tags[tg.Name] = tg.Value
	}
	if tags["survey_id"] != surveyID || tags["purpose"] != "survey" {
		t.Errorf("EmailTags = %v, want survey_id=%s purpose=survey", tags, surveyID)
	}
	headers := map[string]string{}
	for _, h := range req.Content.Simple.Headers {
		headers[h.Name] = h.Value
	}
	if u := headers["List-Unsubscribe"]; !strings.HasPrefix(u, "<"+o.d.out["ApiUrl"]+"/u/") || !strings.HasSuffix(u, ">") {
		t.Errorf("List-Unsubscribe = %q, want <%s/u/…>", u, o.d.out["ApiUrl"])
	}
	if p := headers["List-Unsubscribe-Post"]; p != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post = %q", p)
	}
	if req.Content.Simple.Body.Text.Data != m.BodyText || req.Content.Simple.Body.Html.Data != m.BodyHTML {
		t.Error("the parts MiniStack recorded differ from the parts sent")
	}

	answer(t, surveyLink(t, m), 9, "quick and friendly")
	r, ok := o.d.item(t, "RESPONSE#rs_"+suffix(surveyID))
	if !ok {
		t.Fatal("no response in the table after the form was sent")
	}
	if r["score"] != float64(9) || r["comment"] != "quick and friendly" {
		t.Errorf("stored response = %v, want score 9 with the comment", r)
	}
	list := o.d.api(t, http.MethodGet, "/v1/responses", nil)
	if !strings.Contains(string(list.body), "rs_"+suffix(surveyID)) {
		t.Errorf("GET /v1/responses does not list the answer: %s", list.body)
	}
}

// An unhappy answer starts the real state machine, which emails the owner
// and waits on a task token; completing through the API sends
// SendTaskSuccess, the outcome is recorded and the customer gets the
// owner's note, signed with her name.
func (o org) testCloseTheLoop(t *testing.T) {
	t.Parallel()
	c := o.customer("unhappy")
	surveyID, m := o.surveyed(t, c)
	answer(t, surveyLink(t, m), 3, "took a week to answer")
	exec, taskID := "loop-"+suffix(surveyID), "tk_"+suffix(surveyID)
	waitMail(t, soon, o.owner+"@example.com", "Follow up with")
	eventually(t, soon, "the execution waiting on the owner's task token", func() (bool, string) {
		e, ok := o.d.execution(t, exec)
		if !ok {
			return false, "no execution " + exec
		}
		for _, ev := range o.d.history(t, exec) {
			if ev.Type == sfntypes.HistoryEventTypeTaskScheduled && ev.TaskScheduledEventDetails != nil &&
				strings.Contains(aws.ToString(ev.TaskScheduledEventDetails.Resource), "invoke.waitForTaskToken") {
				return e.Status == sfntypes.ExecutionStatusRunning, string(e.Status)
			}
		}
		return false, "no waitForTaskToken task scheduled yet (" + string(e.Status) + ")"
	})
	r := o.d.api(t, http.MethodPost, "/v1/tasks/"+taskID+"/complete", map[string]any{
		"outcome": "resolved", "root_cause": "slow_response", "notes": "called her",
		"message_to_customer": "Sorry for the wait, Ana. Your replacement ships today.",
	})
	if r.status != http.StatusOK {
		t.Fatalf("complete: %d %s", r.status, r.body)
	}
	if n := len(callsWith(t, "SFN", "SendTaskSuccess", taskID)); n == 0 {
		t.Error("no SendTaskSuccess reached Step Functions")
	}
	eventually(t, soon, "the execution to succeed", func() (bool, string) {
		e, ok := o.d.execution(t, exec)
		if !ok {
			return false, "gone"
		}
		return e.Status == sfntypes.ExecutionStatusSucceeded, string(e.Status)
	})
	task := o.d.api(t, http.MethodGet, "/v1/tasks/"+taskID, nil).json(t)
	if task["status"] != "done" || task["outcome"] != "resolved" {
		t.Errorf("task after completion = %v, want done and resolved", task)
	}
	note := waitMail(t, soon, c.email, "About your feedback to")
	if !strings.Contains(note.BodyText, "Your replacement ships today.") || !strings.Contains(note.BodyText, "María García") {
		t.Errorf("the note is not the owner's message signed with her name:\n%s", note.BodyText)
	}
}

// Nobody acts: the SLA passes, the owner is reminded and her manager gets
// the escalation, and the task shows overdue.
//
// MiniStack's Step Functions ignores TimeoutSecondsPath (it honours only
// TimeoutSeconds, and waits 99999 s without it), so the owner's wait would
// not end at the due time. Once the task is overdue, the suite ends that
// wait as Step Functions would, failing the task token with States.Timeout;
// what follows (Escalate, its emails, the next wait) is the real state
// machine and functions.
func (o org) testEscalation(t *testing.T) {
	t.Parallel()
	c := o.customer("late")
	surveyID, m := o.surveyed(t, c)
	answer(t, surveyLink(t, m), 1, "nobody called back")
	taskID := "tk_" + suffix(surveyID)
	waitMail(t, soon, o.owner+"@example.com", "Follow up with")
	eventually(t, sweep, "the task to be overdue", func() (bool, string) {
		r := o.d.api(t, http.MethodGet, "/v1/tasks?status=overdue", nil)
		return strings.Contains(string(r.body), taskID), "not overdue yet"
	})
	task, ok := o.d.item(t, "TASK#"+taskID)
	token, _ := task["token"].(string)
	if !ok || token == "" {
		t.Fatalf("task %s has no task token in the table: %v", taskID, task)
	}
	_, err := sfn.NewFromConfig(awsConfig(t)).SendTaskFailure(t.Context(), &sfn.SendTaskFailureInput{
		TaskToken: aws.String(token), Error: aws.String("States.Timeout"),
		Cause: aws.String("the due time passed (MiniStack ignores TimeoutSecondsPath; see infra/README.md)"),
	})
	if err != nil {
		t.Fatalf("end the owner's wait: %v", err)
	}
	esc := waitMail(t, soon, o.manager+"@example.com", "Escalation: María's follow-up")
	if !strings.Contains(esc.BodyText, "/t/") {
		t.Errorf("the escalation has no task link:\n%s", esc.BodyText)
	}
	waitMail(t, soon, o.owner+"@example.com", "Overdue: follow up with")
	eventually(t, soon, "the escalation level in the task", func() (bool, string) {
		task := o.d.api(t, http.MethodGet, "/v1/tasks/"+taskID, nil).json(t)
		return task["escalation_level"] == float64(1) && task["status"] == "overdue", fmt.Sprint(task["escalation_level"], task["status"])
	})
}

// EventBridge Scheduler fires the sweeper: the one reminder to a person
// who has not answered, then the survey's expiry.
func (o org) testReminderAndExpiry(t *testing.T) {
	t.Parallel()
	c := o.customer("silent")
	surveyID, _ := o.surveyed(t, c)
	waitMail(t, sweep, c.email, "Reminder: A quick question from")
	eventually(t, expires, "the survey to expire", func() (bool, string) {
		sv, ok := o.d.item(t, "SURVEY#"+surveyID)
		if !ok {
			return false, "no survey item"
		}
		return sv["status"] == "expired", fmt.Sprint(sv["status"])
	})
	if n := len(mailTo(t, c.email)); n != 2 {
		t.Errorf("%d emails to the silent person, want 2 (the survey and one reminder)", n)
	}
}

// The API cannot start the execution of an unhappy answer (Step Functions
// refuses it); the answer is kept, and the sweeper starts the loop later.
func (o org) testReconcile(t *testing.T) {
	t.Parallel()
	c := o.customer("unstarted")
	surveyID, m := o.surveyed(t, c)
	exec := "loop-" + suffix(surveyID)
	fault(t, http.MethodPut, "SFN", "StartExecution", quoted(exec))
	answer(t, surveyLink(t, m), 2, "still broken")
	eventually(t, soon, "the API's StartExecution to fail", func() (bool, string) {
		cs := callsWith(t, "SFN", "StartExecution", quoted(exec))
		return len(cs) > 0 && cs[0].Status == http.StatusBadRequest, fmt.Sprintf("%d calls", len(cs))
	})
	if _, ok := o.d.execution(t, exec); ok {
		t.Fatal("an execution exists though StartExecution failed")
	}
	if _, ok := o.d.item(t, "RESPONSE#rs_"+suffix(surveyID)); !ok {
		t.Fatal("the unhappy answer was not kept when the loop could not start")
	}
	fault(t, http.MethodDelete, "SFN", "StartExecution", quoted(exec))
	eventually(t, sweep, "the sweeper to start the execution", func() (bool, string) {
		_, ok := o.d.execution(t, exec)
		return ok, "no execution"
	})
	waitMail(t, soon, o.owner+"@example.com", "Follow up with")
}

// SES publishes a permanent bounce through the configuration set's SNS
// topic; ses-events suppresses the address and tells the owner.
func (o org) testBounce(t *testing.T) {
	t.Parallel()
	c := o.customer("bounced")
	surveyID, m := o.surveyed(t, c)
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	// The event SES documents for a configuration set's SNS destination
	// (MiniStack's SES v2 publishes none: see infra/README.md).
	publish(t, o.d.out["SesEventsTopicArn"], map[string]any{
		"eventType": "Bounce",
		"bounce": map[string]any{"bounceType": "Permanent", "bounceSubType": "General", "timestamp": now,
			"feedbackId": "fb-" + c.id, "reportingMTA": "dsn; a1-23.smtp-out.amazonses.com",
			"bouncedRecipients": []any{map[string]any{"emailAddress": c.email, "action": "failed", "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1 user unknown"}}},
		"mail": map[string]any{"timestamp": now, "source": m.Source, "sendingAccountId": "000000000000", "messageId": strings.TrimSuffix(m.MessageID, "@email.amazonses.com"),
			"destination": []any{c.email}, "headersTruncated": false,
			"tags": map[string]any{"ses:configuration-set": []any{o.d.out["EmailConfigurationSetName"]}, "survey_id": []any{surveyID}, "purpose": []any{"survey"}}},
	})
	eventually(t, soon, "the address to be suppressed", func() (bool, string) {
		s, ok := o.d.item(t, "ADDRESS#"+c.email)
		return ok && s["reason"] == "bounce", fmt.Sprint(s)
	})
	r := o.ask(t, customer{id: c.id + "-again", email: c.email}, "email", "int-"+c.id+"-again")
	if r["status"] != "skipped" || r["reason"] != "suppressed_address" {
		t.Errorf("a new interaction for the bounced address = %v, want skipped: suppressed_address", r)
	}
}

// RFC 8058: a POST of List-Unsubscribe=One-Click to the List-Unsubscribe
// URL opts the person out.
func (o org) testUnsubscribe(t *testing.T) {
	t.Parallel()
	c := o.customer("leaving")
	o.surveyed(t, c)
	var u string
	for _, call := range callsWith(t, "SESv2", "SendEmail", quoted(c.email)) {
		var req struct {
			Content struct {
				Simple struct {
					Headers []struct{ Name, Value string }
				}
			}
		}
		if err := json.Unmarshal(call.Body, &req); err != nil {
			t.Fatal(err)
		}
		for _, h := range req.Content.Simple.Headers {
			if h.Name == "List-Unsubscribe" {
				u = strings.Trim(h.Value, "<>")
			}
		}
	}
	if u == "" {
		t.Fatal("no List-Unsubscribe header was sent")
	}
	if r := do(t, http.MethodPost, u, "application/x-www-form-urlencoded", "List-Unsubscribe=One-Click", false); r.status != http.StatusOK {
		t.Fatalf("one-click unsubscribe: %d %s", r.status, r.body)
	}
	r := o.ask(t, c, "email", "int-"+c.id+"-again")
	if r["status"] != "skipped" || r["reason"] != "opted_out" {
		t.Errorf("a new interaction after unsubscribing = %v, want skipped: opted_out", r)
	}
}

// The email-only deployment has no SMS: an SMS interaction is skipped
// with the reason, not accepted and never sent.
func (o org) testNoSMS(t *testing.T) {
	t.Parallel()
	c := o.customer("texter")
	c.email, c.phone, c.tz = "", "+1415555"+fmt.Sprintf("%04d", time.Now().UnixNano()%10000), "UTC"
	r := o.ask(t, c, "sms", "int-"+c.id)
	if r["status"] != "skipped" || r["reason"] != "sms_not_configured" {
		t.Errorf("SMS interaction without SMS = %v, want skipped: sms_not_configured", r)
	}
}

// daytime is a timezone where it is now 09:00–19:59, outside the SMS
// quiet hours (21–8), so the survey text goes at once.
func daytime() string {
	for _, tz := range []string{"UTC", "America/New_York", "America/Los_Angeles", "Asia/Tokyo", "Asia/Kolkata", "Europe/Berlin", "Australia/Sydney", "Pacific/Auckland"} {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			continue
		}
		if h := time.Now().In(loc).Hour(); h >= 9 && h < 20 {
			return tz
		}
	}
	return "UTC"
}

// With SMS configured, the survey text goes to End User Messaging (the
// recording fake: MiniStack has no SMS), and a reply published through the
// inbound SNS topic answers it and starts the loop.
func (o org) testSMS(t *testing.T) {
	t.Parallel()
	c := o.customer("texter")
	c.phone, c.tz = "+1415555"+fmt.Sprintf("%04d", time.Now().UnixNano()%10000), daytime()
	res := o.ask(t, c, "sms", "int-"+c.id)
	if res["status"] != "scheduled" {
		t.Fatalf("SMS interaction = %v, want scheduled", res)
	}
	surveyID := res["survey_id"].(string)
	var text struct{ DestinationPhoneNumber, MessageBody, OriginationIdentity, ConfigurationSetName string }
	eventually(t, soon, "the survey text", func() (bool, string) {
		cs := callsWith(t, "Pinpoint SMS Voice V2", "SendTextMessage", quoted(c.phone))
		if len(cs) == 0 {
			return false, "no SendTextMessage"
		}
		return json.Unmarshal(cs[0].Body, &text) == nil, string(cs[0].Body)
	})
	if text.OriginationIdentity != "+15550100000" || text.ConfigurationSetName != "cxloop-sms" || !strings.Contains(text.MessageBody, "0-10") {
		t.Errorf("survey text = %+v, want it from +15550100000 with configuration set cxloop-sms", text)
	}
	publish(t, o.d.out["InboundSmsTopicArn"], map[string]any{
		"originationNumber": c.phone, "destinationNumber": "+15550100000", "messageKeyword": "KEYWORD_000000000000",
		"messageBody": "3 the driver never came", "inboundMessageId": "in-" + c.id,
	})
	eventually(t, soon, "the reply to be stored", func() (bool, string) {
		r, ok := o.d.item(t, "RESPONSE#rs_"+suffix(surveyID))
		return ok && r["score"] == float64(3), fmt.Sprint(r)
	})
	waitMail(t, soon, o.owner+"@example.com", "Follow up with")
	eventually(t, soon, "the thank-you text", func() (bool, string) {
		n := len(callsWith(t, "Pinpoint SMS Voice V2", "SendTextMessage", quoted(c.phone)))
		return n == 2, fmt.Sprintf("%d texts", n)
	})
}
