package runtimeapi_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/testkit/awsfake"
	"github.com/cxloop/cxloop/shared/testkit/runtimeapi"
)

// built is the one build of every function for this machine, shared by
// the tests and removed by TestMain.
var built struct {
	once sync.Once
	dir  string
	bins map[string]string
	// floor is the empty reference function's executable.
	floor string
	skip  string
	err   error
	took  time.Duration
}

// floorName is the empty reference function built with the functions
// (testdata/emptyfn): the least init time an aws-lambda-go binary takes.
const floorName = "emptyfn"

// functionBinaries builds every function under functions/ once, with the
// release flags (lambda.norpc, trimpath, stripped) for this OS and
// architecture, and returns their paths by name. The same build makes the
// floor reference (built.floor).
func functionBinaries(t *testing.T) map[string]string {
	t.Helper()
	built.once.Do(func() {
		if _, err := exec.LookPath("go"); err != nil {
			built.skip = "the go command is not on PATH: " + err.Error()
			return
		}
		root, err := awsfake.ModuleRoot()
		if err != nil {
			built.err = err
			return
		}
		if built.dir, err = os.MkdirTemp("", "runtimeapi-functions-"); err != nil {
			built.err = err
			return
		}
		start := time.Now()
		built.bins, built.err = runtimeapi.Build{
			ModuleRoot: root, OutDir: built.dir, Version: "test",
			Extra: []string{"./shared/testkit/runtimeapi/testdata/" + floorName},
		}.Run(t.Context())
		built.took = time.Since(start)
		built.floor = built.bins[floorName]
		delete(built.bins, floorName)
	})
	if built.skip != "" {
		t.Skipf("skipping: cannot build the functions: %s", built.skip)
	}
	if built.err != nil {
		t.Fatalf("build functions: %v", built.err)
	}
	return built.bins
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := awsfake.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// apiResponse is the part of an API Gateway HTTP API response checked.
type apiResponse struct {
	StatusCode int               `json:"statusCode"`
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body"`
}

// step is one event file and what invoking it must give.
type step struct {
	// event is the path under events/: <function>/<case>.json.
	event string
	// seed, instead of an events file, builds an event for function fn
	// from what earlier steps did (e.g. a link from a recorded email).
	seed func(t *testing.T, stack *awsfake.Stack) (fn string, event []byte)
	// status: an api event's HTTP status.
	status int
	// errorType: the function must fail with this errorType.
	errorType string
	// calls: the AWS calls (Service.Operation) the invocation must make,
	// in order; nil means none.
	calls []string
	// check: further checks of the payload (nil unless the step succeeds).
	check check
}

type check func(t *testing.T, payload []byte, calls []awsfake.Call)

// flow runs every event in events/ in the order of a real closed loop,
// each function staying warm between its events. Every events file must
// be listed here, so a new event cannot go untested.
var flow = []step{
	// The directory and the account: maria owns acme, dana manages maria.
	{event: "api/put-person-dana.json", status: 201, check: apiBody(`{"id":"dana","team":"Customer Success"}`)},
	{event: "api/put-person-maria.json", status: 201, check: apiBody(`{"id":"maria","manager_id":"dana"}`)},
	{event: "api/put-account-acme.json", status: 201, check: apiBody(`{"id":"acme","owner_id":"maria"}`)},
	// ticket-1001: an email NPS survey for ana, queued for the sender.
	{event: "api/post-interaction.json", status: 202, calls: []string{"SQS.SendMessage"}, check: all(
		apiBody(`{"survey_id":"`+surveyID+`","status":"scheduled"}`),
		callBody(0, `{"QueueUrl":"https://sqs.us-east-1.amazonaws.com/123456789012/cxloop-send","MessageBody":"{\"survey_id\":\"`+surveyID+`\"}"}`),
	)},
	{event: "api/no-auth-401.json", status: 401, check: apiBody(`{"error":{"code":"unauthorized"}}`)},
	{event: "api/malformed-json-400.json", status: 400, check: apiBody(`{"error":{"code":"invalid"}}`)},
	// ticket-1002 for the same person within the 30-day throttle: skipped.
	{event: "ingest-event/interaction.json", check: payloadIs(`{"status":"skipped","reason":"throttled"}`)},
	// The batch holds ticket-1001's survey and ticket-1002's, which was
	// never created: the first is emailed, the second dropped (logged, not
	// retried), so no item fails.
	{event: "send-survey/batch.json", calls: []string{"SESv2.SendEmail"}, check: all(
		payloadIs(`{"batchItemFailures":null}`),
		emailsTo("ana@acme.example"),
		callBody(0, `{"FromEmailAddress":"surveys@example.com","ConfigurationSetName":"cxloop"}`),
		callContains(0, "List-Unsubscribe-Post", "https://api.example.com/s/"),
	)},
	// ana answers 3 on the survey page: unhappy, the closed loop starts.
	{seed: answerSurveyByEmail, status: 200, calls: []string{"SFN.StartExecution"}, check: all(
		callBody(0, `{"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:cxloop-closed-loop","name":"loop-`+idPart+`"}`),
		callContains(0, responseID),
	)},
	// A text from ana's number, but she has no SMS survey (ticket-1002 was
	// throttled): she is told so.
	{event: "inbound-sms/reply.json", calls: []string{"Pinpoint SMS Voice V2.SendTextMessage"}, check: all(
		payloadIs(`null`),
		callBody(0, `{"DestinationPhoneNumber":"+447700900123","OriginationIdentity":"+15550100000","ConfigurationSetName":"cxloop"}`),
	)},
	// The loop's tasks, as the state machine calls them.
	{event: "assign-owner/input.json", check: all(
		payloadHas(`{"task_id":"`+taskID+`","final":false,"note":false,"recovery":false}`),
		waitAbout(48*time.Hour),
	)},
	{event: "notify-owner/input.json", calls: []string{"SESv2.SendEmail"}, check: all(
		payloadIs(`{}`), emailsTo("maria@example.com"), callContains(0, "https://api.example.com/t/"),
	)},
	{event: "escalate/input.json", calls: []string{"SESv2.SendEmail", "SESv2.SendEmail"}, check: all(
		payloadHas(`{"task_id":"`+taskID+`","final":false}`), emailsTo("maria@example.com", "dana@example.com"),
	)},
	{event: "reassigned/input.json", check: payloadHas(`{"task_id":"` + taskID + `","final":false}`)},
	{event: "api/get-tasks-open.json", status: 200, check: apiBody(`{"tasks":[{"id":"` + taskID + `","owner":{"id":"maria"},"status":"open","response":{"id":"` + responseID + `","score":3}}]}`)},
	// The report events ask for November 2026 (UTC): they show the
	// answer only when the test runs then, and must be empty otherwise.
	{event: "api/get-responses.json", status: 200, check: nowIn("2026-11-01", "2026-11-30",
		apiBody(`{"responses":[{"id":"`+responseID+`","survey_id":"`+surveyID+`","customer_id":"cust-ana","score":3,"unhappy":true}]}`),
		apiBody(`{"responses":[]}`),
	)},
	// maria completes the task through the API: the waiting execution is
	// resumed with the task token notify-owner stored.
	{event: "api/post-task-complete.json", status: 200, calls: []string{"SFN.SendTaskSuccess"}, check: all(
		apiBody(`{"id":"`+taskID+`","status":"done","outcome":"resolved","root_cause":"slow_response","within_sla":true}`),
		callBody(0, `{"taskToken":"AQB8AAAAKgAAAAMAAAAAAAAAAdN3ZGhlLXNhbXBsZS10YXNrLXRva2VuLWZvci10ZXN0cw=="}`),
	)},
	{event: "record-outcome/input.json", check: payloadHas(`{"task_id":"` + taskID + `","note":true,"recovery":true}`)},
	{event: "notify-customer/input.json", calls: []string{"SESv2.SendEmail"}, check: all(
		payloadIs(`{}`), emailsTo("ana@acme.example"), callContains(0, "the fee is refunded"),
	)},
	{event: "ask-recovery/input.json", calls: []string{"SESv2.SendEmail"}, check: all(
		payloadIs(`{}`), emailsTo("ana@acme.example"), callContains(0, "https://api.example.com/s/"),
	)},
	// A failure reported for the (closed) task is recorded and logged.
	{event: "record-failure/input.json", check: payloadIs(`{}`)},
	{event: "api/get-report.json", status: 200, check: nowIn("2026-11-01", "2026-11-30",
		apiBody(`{"unhappy":1,"closed":1,"closed_within_sla":1,"open":0,"overdue":0,"completion_rate":1,"root_causes":{"slow_response":1}}`),
		apiBody(`{"unhappy":0,"closed":0,"open":0}`),
	)},
	// STOP opts the number out, with the confirmation text.
	{event: "inbound-sms/stop.json", calls: []string{"Pinpoint SMS Voice V2.SendTextMessage"}, check: all(
		payloadIs(`null`), callBody(0, `{"DestinationPhoneNumber":"+447700900123"}`),
	)},
	// ana's address bounces: it is suppressed and the loop's owner told.
	{event: "ses-events/bounce.json", calls: []string{"SESv2.SendEmail"}, check: all(payloadIs(`null`), emailsTo("maria@example.com"))},
	// A complaint about an already suppressed address changes nothing.
	{event: "ses-events/complaint.json", check: payloadIs(`null`)},
	// Nothing is due yet.
	{event: "sweeper/scheduled.json", check: payloadIs(`{"due":0,"failed":0}`)},
}

// The ids the events use, derived from ticket-1001 (app.SurveyID etc.).
const (
	idPart     = "2vqhh326fhgzrpq4roixoz77"
	surveyID   = "sv_" + idPart
	responseID = "rs_" + idPart
	taskID     = "tk_" + idPart
)

func TestEveryEventThroughItsFunction(t *testing.T) {
	bins := functionBinaries(t)
	stack := awsfake.NewStack(t, "cxloop-runtimeapi")
	root := moduleRoot(t)

	files, err := filepath.Glob(filepath.Join(root, "events", "*", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, s := range flow {
		if s.event != "" {
			listed[s.event] = true
		}
	}
	onDisk := map[string]bool{}
	for _, f := range files {
		rel, _ := filepath.Rel(filepath.Join(root, "events"), f)
		rel = filepath.ToSlash(rel)
		onDisk[rel] = true
		if !listed[rel] {
			t.Errorf("events/%s has no step in the flow: add one saying what it must return", rel)
		}
	}
	for ev := range listed {
		if !onDisk[ev] {
			t.Errorf("the flow lists events/%s, which does not exist", ev)
		}
	}

	harnesses := map[string]*runtimeapi.Harness{}
	// Each function's cold start: its init and its first invocation.
	var coldOrder []string
	firstInvoke := map[string]time.Duration{}
	harness := func(t *testing.T, fn string) *runtimeapi.Harness {
		if h := harnesses[fn]; h != nil {
			return h
		}
		bin := bins[fn]
		if bin == "" {
			t.Fatalf("no function %s under functions/", fn)
		}
		h, err := runtimeapi.Start(t.Context(), runtimeapi.Config{
			Binary: bin, FunctionName: fn, Env: stack.Env(), Timeout: 20 * time.Second,
		})
		if err != nil {
			t.Fatalf("start %s: %v", fn, err)
		}
		harnesses[fn] = h
		coldOrder = append(coldOrder, fn)
		return h
	}
	defer func() {
		for _, h := range harnesses {
			h.Close()
		}
	}()
	defer func() {
		var b strings.Builder
		fmt.Fprintf(&b, "%-16s %9s %16s\n", "function", "init_ms", "first_invoke_ms")
		for _, fn := range coldOrder {
			fmt.Fprintf(&b, "%-16s %9.1f %16.1f\n", fn, float64(harnesses[fn].InitDuration().Microseconds())/1000, float64(firstInvoke[fn].Microseconds())/1000)
		}
		t.Logf("cold starts (one each, in flow order; the first invocation runs against the local fakes):\n%s", b.String())
	}()

	dump := os.Getenv("RUNTIMEAPI_DUMP") != ""
	for _, s := range flow {
		name := strings.TrimSuffix(s.event, ".json")
		if s.seed != nil {
			name = "seed"
		}
		ok := t.Run(name, func(t *testing.T) {
			var fn string
			var event []byte
			if s.seed != nil {
				fn, event = s.seed(t, stack)
			} else {
				fn, _, _ = strings.Cut(s.event, "/")
				if event, err = os.ReadFile(filepath.Join(root, "events", filepath.FromSlash(s.event))); err != nil {
					t.Fatal(err)
				}
			}
			h := harness(t, fn)
			before := len(stack.Fake.Calls())
			res, err := h.Invoke(t.Context(), event)
			if err != nil {
				t.Fatalf("invoke: %v", err)
			}
			if _, ok := firstInvoke[fn]; !ok {
				firstInvoke[fn] = res.Duration
			}
			calls := stack.Fake.Since(before)
			if dump {
				t.Logf("payload %s\nerror %+v\ncalls %v\nlogs:\n%s", res.Payload, res.Error, callNames(calls), res.Logs)
			}
			checkStep(t, s, res, calls)
		})
		if !ok {
			t.Logf("the steps after a failed one may fail only because of it")
		}
	}
}

func checkStep(t *testing.T, s step, res *runtimeapi.Result, calls []awsfake.Call) {
	t.Helper()
	if s.errorType != "" {
		if res.Error == nil || res.Error.Type != s.errorType {
			t.Fatalf("got %s / %+v, want errorType %s\nlogs:\n%s", res.Payload, res.Error, s.errorType, res.Logs)
		}
	} else if res.Error != nil {
		t.Fatalf("function error %s\nlogs:\n%s", res.Error, res.Logs)
	}
	if got, want := strings.Join(callNames(calls), " "), strings.Join(s.calls, " "); got != want {
		t.Errorf("AWS calls:\n got [%s]\nwant [%s]", got, want)
	}
	for _, c := range calls {
		if c.Status != 200 {
			t.Errorf("%s %s was refused with %d: %s", c.Service, c.Operation, c.Status, c.Body)
		}
	}
	if s.status != 0 {
		var r apiResponse
		if err := json.Unmarshal(res.Payload, &r); err != nil {
			t.Fatalf("not an API Gateway response: %v\n%s", err, res.Payload)
		}
		if r.StatusCode != s.status {
			t.Errorf("status %d, want %d; body %s", r.StatusCode, s.status, r.Body)
		}
	}
	if s.check != nil && res.Error == nil {
		s.check(t, res.Payload, calls)
	}
}

func callNames(calls []awsfake.Call) []string {
	var out []string
	for _, c := range calls {
		out = append(out, c.Service+"."+c.Operation)
	}
	return out
}

// TestMissingEnvironmentIsAnInitError starts a function without its
// configuration: it must exit before asking for an event and say why.
func TestMissingEnvironmentIsAnInitError(t *testing.T) {
	t.Parallel()
	bins := functionBinaries(t)
	_, err := runtimeapi.Start(t.Context(), runtimeapi.Config{Binary: bins["record-failure"], FunctionName: "record-failure"})
	var ie *runtimeapi.InitError
	if err == nil || !errors.As(err, &ie) {
		t.Fatalf("Start = %v, want an *InitError", err)
	}
	if !strings.Contains(ie.Reason, "exit status 1 before asking for an event") || !strings.Contains(string(ie.Logs), "TABLE_NAME") {
		t.Errorf("init error = %v", err)
	}
}

// TestReportSizesAndInitTimes logs each function's binary size and cold
// init time (process start to first `next`), next to the floor: an
// aws-lambda-go function that does nothing (testdata/emptyfn), built and
// started the same way. The build is not timed, and the binaries it has
// just written are in the page cache, as a warm Lambda host's are. Every
// round starts each binary once, in a shuffled order, so a busy machine
// slows all of them alike; the median and the fastest of the rounds are
// reported. It only reports; the targets (under 12 MB, under 15 ms) are
// for people to judge on the release build: `make build` prints the
// arm64 sizes.
func TestReportSizesAndInitTimes(t *testing.T) {
	bins := functionBinaries(t)
	stack := awsfake.NewStack(t, "cxloop-init")
	names := make([]string, 0, len(bins)+1)
	for n := range bins {
		names = append(names, n)
	}
	sort.Strings(names)
	names = append([]string{floorName}, names...)
	path := func(n string) string {
		if n == floorName {
			return built.floor
		}
		return bins[n]
	}
	const rounds = 9
	inits := map[string][]time.Duration{}
	for range rounds {
		for _, i := range rand.Perm(len(names)) {
			n := names[i]
			h, err := runtimeapi.Start(t.Context(), runtimeapi.Config{Binary: path(n), FunctionName: n, Env: stack.Env()})
			if err != nil {
				t.Fatalf("start %s: %v", n, err)
			}
			inits[n] = append(inits[n], h.InitDuration())
			h.Close()
		}
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	median := func(n string) time.Duration {
		d := slices.Clone(inits[n])
		slices.Sort(d)
		return d[len(d)/2]
	}
	floor := median(floorName)
	var b strings.Builder
	fmt.Fprintf(&b, "built %d functions in %s; init: median and fastest of %d rounds; floor: %s, an empty aws-lambda-go function\n",
		len(bins), built.took.Round(time.Millisecond), rounds, floorName)
	fmt.Fprintf(&b, "%-16s %12s %9s %9s %14s\n", "function", "size_bytes", "init_ms", "min_ms", "over_floor_ms")
	for _, n := range names {
		fi, err := os.Stat(path(n))
		if err != nil {
			t.Fatal(err)
		}
		m := median(n)
		fmt.Fprintf(&b, "%-16s %12d %9.1f %9.1f %14.1f\n", n, fi.Size(), ms(m), ms(slices.Min(inits[n])), ms(m-floor))
	}
	t.Logf("%s/%s release-flag build:\n%s", runtime.GOOS, runtime.GOARCH, b.String())
}

// answerSurveyByEmail posts score 3 to the survey page linked from the
// last survey email, as the customer would: an unhappy answer that starts
// the closed loop the loop events (tk_...) refer to.
func answerSurveyByEmail(t *testing.T, stack *awsfake.Stack) (string, []byte) {
	t.Helper()
	emails := stack.Fake.CallsTo(awsfake.SESv2, "SendEmail")
	if len(emails) == 0 {
		t.Fatal("no survey email was sent")
	}
	m := surveyLink.FindStringSubmatch(string(emails[len(emails)-1].Body))
	if m == nil {
		t.Fatalf("no survey link in the email: %s", emails[len(emails)-1].Body)
	}
	return "api", apiEvent(t, "POST", "/s/"+m[1], "", "application/x-www-form-urlencoded", "score=3&comment=The+driver+came+two+days+late")
}

var surveyLink = regexp.MustCompile(`https://api\.example\.com/s/([A-Za-z0-9._~-]+)`)

// apiEvent is an API Gateway HTTP API (payload 2.0) request event.
func apiEvent(t *testing.T, method, path, query, contentType, body string) []byte {
	t.Helper()
	headers := map[string]string{"host": "api.example.com", "user-agent": "runtimeapi-test"}
	if contentType != "" {
		headers["content-type"] = contentType
	}
	e := map[string]any{
		"version": "2.0", "routeKey": "ANY /{proxy+}", "rawPath": path, "rawQueryString": query,
		"headers": headers, "body": body, "isBase64Encoded": false,
		"requestContext": map[string]any{
			"accountId": "123456789012", "apiId": "local", "domainName": "api.example.com", "requestId": "seed-" + path[len(path)-6:],
			"http": map[string]any{"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "198.51.100.23", "userAgent": "runtimeapi-test"},
		},
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func all(checks ...check) check {
	return func(t *testing.T, payload []byte, calls []awsfake.Call) {
		t.Helper()
		for _, c := range checks {
			c(t, payload, calls)
		}
	}
}

// payloadIs: the response is exactly this JSON.
func payloadIs(want string) check {
	return func(t *testing.T, payload []byte, _ []awsfake.Call) {
		t.Helper()
		var got, w any
		if err := json.Unmarshal(payload, &got); err != nil {
			t.Fatalf("payload is not JSON: %v\n%s", err, payload)
		}
		if err := json.Unmarshal([]byte(want), &w); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("payload %s, want %s", payload, want)
		}
	}
}

// payloadHas: the response holds these members (recursively).
func payloadHas(want string) check {
	return func(t *testing.T, payload []byte, _ []awsfake.Call) {
		t.Helper()
		subset(t, "payload", payload, want)
	}
}

// apiBody: the API response's JSON body holds these members.
func apiBody(want string) check {
	return func(t *testing.T, payload []byte, _ []awsfake.Call) {
		t.Helper()
		var r apiResponse
		if err := json.Unmarshal(payload, &r); err != nil {
			t.Fatal(err)
		}
		subset(t, "body", []byte(r.Body), want)
	}
}

// callBody: the i-th AWS call's request holds these members.
func callBody(i int, want string) check {
	return func(t *testing.T, _ []byte, calls []awsfake.Call) {
		t.Helper()
		if i >= len(calls) {
			t.Fatalf("no call %d", i)
		}
		subset(t, calls[i].Service+" "+calls[i].Operation, calls[i].Body, want)
	}
}

// callContains: the i-th AWS call's request contains each string.
func callContains(i int, want ...string) check {
	return func(t *testing.T, _ []byte, calls []awsfake.Call) {
		t.Helper()
		if i >= len(calls) {
			t.Fatalf("no call %d", i)
		}
		// Undo JSON's escaping of <, > and & so text compares as written.
		var v any
		_ = json.Unmarshal(calls[i].Body, &v)
		text := fmt.Sprint(v)
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s %s does not contain %q: %s", calls[i].Service, calls[i].Operation, w, calls[i].Body)
			}
		}
	}
}

// emailsTo: the SendEmail calls went to these addresses, in order.
func emailsTo(want ...string) check {
	return func(t *testing.T, _ []byte, calls []awsfake.Call) {
		t.Helper()
		var got []string
		for _, c := range calls {
			if c.Service != awsfake.SESv2 {
				continue
			}
			var in struct {
				Destination struct{ ToAddresses []string }
			}
			if err := c.Decode(&in); err != nil {
				t.Fatal(err)
			}
			got = append(got, strings.Join(in.Destination.ToAddresses, ","))
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("emails to %v, want %v", got, want)
		}
	}
}

// nowIn runs inside when the test runs in [from, to) (UTC dates), else
// outside.
func nowIn(from, to string, inside, outside check) check {
	return func(t *testing.T, payload []byte, calls []awsfake.Call) {
		t.Helper()
		f, err1 := time.Parse(time.DateOnly, from)
		u, err2 := time.Parse(time.DateOnly, to)
		if err1 != nil || err2 != nil {
			t.Fatalf("bad window %s..%s", from, to)
		}
		if now := time.Now(); !now.Before(f) && now.Before(u) {
			inside(t, payload, calls)
			return
		}
		t.Logf("now is outside %s..%s: expecting no data", from, to)
		outside(t, payload, calls)
	}
}

// waitAbout: the loop state waits about d (the SLA) before escalating.
func waitAbout(d time.Duration) check {
	return func(t *testing.T, payload []byte, _ []awsfake.Call) {
		t.Helper()
		var st struct {
			WaitSeconds int64 `json:"wait_seconds"`
		}
		if err := json.Unmarshal(payload, &st); err != nil {
			t.Fatal(err)
		}
		if got := time.Duration(st.WaitSeconds) * time.Second; got > d || got < d-time.Hour {
			t.Errorf("wait_seconds = %d (%s), want about %s", st.WaitSeconds, got, d)
		}
	}
}

// subset fails unless every member of want is in got, objects compared
// member by member and arrays element by element.
func subset(t *testing.T, what string, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s is not JSON: %v\n%s", what, err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad expectation %s: %v", want, err)
	}
	if path, ok := contains(g, w, "$"); !ok {
		t.Errorf("%s differs at %s:\n got %s\nwant %s", what, path, got, want)
	}
}

func contains(got, want any, path string) (string, bool) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return path, false
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				return path + "." + k, false
			}
			if p, ok := contains(gv, wv, path+"."+k); !ok {
				return p, false
			}
		}
		return "", true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return path, false
		}
		for i := range w {
			if p, ok := contains(g[i], w[i], fmt.Sprintf("%s[%d]", path, i)); !ok {
				return p, false
			}
		}
		return "", true
	}
	return path, reflect.DeepEqual(got, want)
}
