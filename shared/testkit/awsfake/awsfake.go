// Package awsfake plays the AWS services cxloop's Lambda functions call,
// except DynamoDB (see StartDynalite), on one HTTP server on 127.0.0.1:
// SES v2 SendEmail, End User Messaging SMS SendTextMessage and
// DescribeOptedOutNumbers, Step Functions StartExecution and
// SendTaskSuccess/Failure/Heartbeat, and SQS SendMessage. It answers each
// call in the shape AWS documents, checks what the service itself would
// refuse (a missing required field, an unsigned request) and records every
// call for assertions.
//
// The functions reach it through the SDK's service-specific endpoint
// variables (see Env), so the same binaries that run in AWS run against it.
//
// A service can instead be forwarded (Forward) to an emulator that plays
// it, such as MiniStack: its calls are recorded, faults still apply, and
// everything else goes through to the emulator unchanged. The server
// also answers its own control routes under /_awsfake/ (ControlPath), so
// a test in another process can read the calls and set faults.
package awsfake

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Services, as recorded in Call.Service: the SDK's service id.
const (
	SESv2 = "SESv2"
	SMS   = "Pinpoint SMS Voice V2"
	SFN   = "SFN"
	SQS   = "SQS"
)

// EndpointVars maps each service the server plays to the environment
// variable that points aws-sdk-go-v2 at it: AWS_ENDPOINT_URL_ followed by
// the service id upper-cased with spaces turned into underscores (the
// SDK's config.EnvConfig.GetServiceBaseEndpoint).
var EndpointVars = map[string]string{
	SESv2: "AWS_ENDPOINT_URL_SESV2",
	SMS:   "AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2",
	SFN:   "AWS_ENDPOINT_URL_SFN",
	SQS:   "AWS_ENDPOINT_URL_SQS",
}

// DynamoDBEndpointVar points the SDK's DynamoDB client at an endpoint.
const DynamoDBEndpointVar = "AWS_ENDPOINT_URL_DYNAMODB"

// Call is one request the server answered (or refused).
type Call struct {
	Service   string          // SESv2, SMS, SFN or SQS
	Operation string          // e.g. SendEmail, StartExecution
	Body      json.RawMessage // the request body as sent
	Status    int             // what the server answered
	At        time.Time
}

// Decode unmarshals the call's body into v.
func (c Call) Decode(v any) error {
	if err := json.Unmarshal(c.Body, v); err != nil {
		return fmt.Errorf("%s %s body: %w", c.Service, c.Operation, err)
	}
	return nil
}

// Server is the fake. Its zero value is not usable; see Start, New and NewServer.
type Server struct {
	// URL is the base URL, http://127.0.0.1:PORT.
	URL string

	hs *http.Server
	ln net.Listener

	mu      sync.Mutex
	calls   []Call
	faults  map[string][]Fault // by service.operation; each with its own Match
	forward map[string]*httputil.ReverseProxy
}

// Fault makes an operation fail with an AWS error instead of succeeding.
type Fault struct {
	Status  int    // HTTP status, 400 when zero
	Code    string // e.g. TaskDoesNotExist, ThrottlingException
	Message string
	// Match, when set, limits the fault to the calls whose body contains
	// it (an execution name, a recipient), so that one test's fault does
	// not fail another's calls.
	Match string
}

// Start starts a server on a random port of 127.0.0.1. Close stops it.
func Start() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("awsfake: listen: %w", err)
	}
	s := NewServer()
	s.URL, s.ln = "http://"+ln.Addr().String(), ln
	s.hs = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.hs.Serve(ln) }()
	return s, nil
}

// NewServer returns a fake that is not listening, for a caller that
// serves it (it is an http.Handler); its URL is empty and Close does
// nothing.
func NewServer() *Server {
	return &Server{faults: map[string][]Fault{}, forward: map[string]*httputil.ReverseProxy{}}
}

// New starts a server that is closed when the test ends.
func New(tb TB) *Server {
	tb.Helper()
	s, err := Start()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Close stops the server.
func (s *Server) Close() {
	if s.hs != nil {
		_ = s.hs.Close()
	}
}

// ServeHTTP answers one request as the fake.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.serve(w, r) }

// Env returns the KEY=VALUE endpoint variables that send every service the
// server plays to it, sorted by key.
func (s *Server) Env() []string {
	return []string{
		EndpointVars[SMS] + "=" + s.URL,
		EndpointVars[SESv2] + "=" + s.URL,
		EndpointVars[SFN] + "=" + s.URL,
		EndpointVars[SQS] + "=" + s.URL,
	}
}

// Calls returns every call so far, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// CallsTo returns the calls of one operation, in order.
func (s *Server) CallsTo(service, operation string) []Call {
	var out []Call
	for _, c := range s.Calls() {
		if c.Service == service && c.Operation == operation {
			out = append(out, c)
		}
	}
	return out
}

// Since returns the calls after the first n (n as from len(Calls())).
func (s *Server) Since(n int) []Call {
	all := s.Calls()
	if n > len(all) {
		return nil
	}
	return all[n:]
}

// Fail makes every later call of the operation fail with f (only those
// its Match selects), until Recover. Faults with different Match values
// stand side by side; one with the same Match replaces the earlier.
func (s *Server) Fail(service, operation string, f Fault) {
	if f.Status == 0 {
		f.Status = http.StatusBadRequest
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := service + "." + operation
	s.faults[key] = append(slices.DeleteFunc(s.faults[key], func(g Fault) bool { return g.Match == f.Match }), f)
}

// fault returns the fault that applies to a call, if any.
func (s *Server) fault(service, operation string, body []byte) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults[service+"."+operation] {
		if f.Match == "" || bytes.Contains(body, []byte(f.Match)) {
			return f, true
		}
	}
	return Fault{}, false
}

// Forward sends the calls of service (SESv2, SFN, SQS or SMS) to the
// emulator at upstream instead of answering them, recording each one
// with the status the emulator answered. A Fault set for one of its
// operations is answered here instead of forwarding the call.
func (s *Server) Forward(service, upstream string) error {
	if _, ok := EndpointVars[service]; !ok {
		return fmt.Errorf("awsfake: unknown service %q", service)
	}
	u, err := url.Parse(upstream)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("awsfake: forward %s: %q is not an http(s) URL", service, upstream)
	}
	p := httputil.NewSingleHostReverseProxy(u)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forward[service] = p
	return nil
}

// Recover undoes Fail: every fault of the operation when match is empty,
// else the one with that Match.
func (s *Server) Recover(service, operation string, match ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := service + "." + operation
	if len(match) == 0 || match[0] == "" {
		delete(s.faults, key)
		return
	}
	s.faults[key] = slices.DeleteFunc(s.faults[key], func(g Fault) bool { return g.Match == match[0] })
}

// jsonTargets maps an awsJson1_0 X-Amz-Target prefix to its service.
var jsonTargets = map[string]string{
	"AWSStepFunctions":   SFN,
	"AmazonSQS":          SQS,
	"PinpointSMSVoiceV2": SMS,
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, ControlPath) {
		s.control(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	service, op, rest := route(r)
	s.mu.Lock()
	proxy, forwarded := s.forward[service]
	s.mu.Unlock()
	f, faulty := s.fault(service, op, body)
	if forwarded && !faulty {
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		proxy.ServeHTTP(rec, r)
		s.record(Call{Service: service, Operation: op, Body: body, Status: rec.status})
		return
	}
	if forwarded {
		s.record(Call{Service: service, Operation: op, Body: body, Status: f.Status})
		writeError(w, rest, f.Status, f.Code, f.Message)
		return
	}
	if service == "" {
		s.record(Call{Service: "unknown", Operation: r.Method + " " + r.URL.Path, Body: body, Status: http.StatusNotFound})
		writeError(w, rest, http.StatusNotFound, "UnknownOperationException", "awsfake does not play "+r.Method+" "+r.URL.Path+" "+r.Header.Get("X-Amz-Target"))
		return
	}
	call := Call{Service: service, Operation: op, Body: body}
	status, resp, code, msg := s.answer(r, call)
	call.Status = status
	s.record(call)
	if code != "" {
		writeError(w, rest, status, code, msg)
		return
	}
	w.Header().Set("Content-Type", contentType(rest))
	w.Header().Set("X-Amzn-RequestId", newID())
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(resp)
}

func (s *Server) record(c Call) {
	c.At = time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
}

// statusRecorder keeps the status a forwarded call was answered with.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// route names the service and operation of a request; rest is true for
// restJson1 (SES v2), false for awsJson1_0. Other SES v2 operations are
// named by method and path: only a forwarded SES v2 answers them.
func route(r *http.Request) (service, op string, rest bool) {
	if t := r.Header.Get("X-Amz-Target"); t != "" && r.Method == http.MethodPost {
		prefix, op, ok := strings.Cut(t, ".")
		if svc := jsonTargets[prefix]; ok && svc != "" {
			return svc, op, false
		}
		return "", "", false
	}
	if r.Method == http.MethodPost && r.URL.Path == "/v2/email/outbound-emails" {
		return SESv2, "SendEmail", true
	}
	if strings.HasPrefix(r.URL.Path, "/v2/email/") {
		return SESv2, r.Method + " " + r.URL.Path, true
	}
	return "", "", strings.HasPrefix(r.URL.Path, "/v2/")
}

// ControlPath is where the server answers its own routes:
//
//	GET    /_awsfake/calls   every call so far, as a JSON array of Call
//	PUT    /_awsfake/faults  {"service","operation","fault":{...}}: Fail
//	DELETE /_awsfake/faults  {"service","operation","fault":{"Match"}}: Recover (that Match's fault, or all)
const ControlPath = "/_awsfake/"

// FaultRequest is the body of the faults control route.
type FaultRequest struct {
	Service   string `json:"service"`
	Operation string `json:"operation"`
	Fault     Fault  `json:"fault"`
}

func (s *Server) control(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.URL.Path == ControlPath+"calls" && r.Method == http.MethodGet:
		_ = json.NewEncoder(w).Encode(s.Calls())
	case r.URL.Path == ControlPath+"faults" && (r.Method == http.MethodPut || r.Method == http.MethodDelete):
		var f FaultRequest
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&f); err != nil || f.Service == "" || f.Operation == "" {
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "want {\"service\",\"operation\",\"fault\"}"})
			return
		}
		if r.Method == http.MethodPut {
			s.Fail(f.Service, f.Operation, f.Fault)
		} else {
			s.Recover(f.Service, f.Operation, f.Fault.Match)
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		w.WriteHeader(http.StatusNotFound)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "no such control route: " + r.Method + " " + r.URL.Path})
	}
}

// answer checks a call and returns the status and either the response or
// an error code and message.
func (s *Server) answer(r *http.Request, c Call) (status int, resp any, code, msg string) {
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		return http.StatusForbidden, nil, "MissingAuthenticationTokenException", "request is not signed with SigV4"
	}
	f, faulty := s.fault(c.Service, c.Operation, c.Body)
	var in map[string]any
	if err := json.Unmarshal(c.Body, &in); err != nil {
		return http.StatusBadRequest, nil, "SerializationException", "body is not a JSON object: " + err.Error()
	}
	if missing := missingFields(c.Service, c.Operation, in); len(missing) > 0 {
		return http.StatusBadRequest, nil, "ValidationException", fmt.Sprintf("%s %s: missing required %s", c.Service, c.Operation, strings.Join(missing, ", "))
	}
	if faulty {
		return f.Status, nil, f.Code, f.Message
	}
	switch c.Service + "." + c.Operation {
	case SESv2 + ".SendEmail":
		return http.StatusOK, map[string]string{"MessageId": newID()}, "", ""
	case SMS + ".SendTextMessage":
		return http.StatusOK, map[string]string{"MessageId": newID()}, "", ""
	case SMS + ".DescribeOptedOutNumbers":
		return http.StatusOK, map[string]any{
			"OptOutListArn":   "arn:aws:sms-voice:us-east-1:123456789012:opt-out-list/" + str(in, "OptOutListName"),
			"OptOutListName":  str(in, "OptOutListName"),
			"OptedOutNumbers": []any{},
		}, "", ""
	case SFN + ".StartExecution":
		name := str(in, "name")
		if name == "" {
			name = newID()
		}
		arn := strings.Replace(str(in, "stateMachineArn"), ":stateMachine:", ":execution:", 1) + ":" + name
		return http.StatusOK, map[string]any{"executionArn": arn, "startDate": float64(time.Now().UnixMilli()) / 1000}, "", ""
	case SFN + ".SendTaskSuccess":
		if !json.Valid([]byte(str(in, "output"))) {
			return http.StatusBadRequest, nil, "InvalidOutput", "output is not JSON"
		}
		return http.StatusOK, map[string]any{}, "", ""
	case SFN + ".SendTaskFailure", SFN + ".SendTaskHeartbeat":
		return http.StatusOK, map[string]any{}, "", ""
	case SQS + ".SendMessage":
		sum := md5.Sum([]byte(str(in, "MessageBody")))
		return http.StatusOK, map[string]string{"MessageId": newID(), "MD5OfMessageBody": hex.EncodeToString(sum[:])}, "", ""
	}
	return http.StatusBadRequest, nil, "UnknownOperationException", "awsfake does not play " + c.Service + " " + c.Operation
}

// required lists each operation's required members, as the API reference
// documents them.
var required = map[string][]string{
	SESv2 + ".SendEmail":             {"Content"},
	SMS + ".SendTextMessage":         {"DestinationPhoneNumber"},
	SMS + ".DescribeOptedOutNumbers": {"OptOutListName"},
	SFN + ".StartExecution":          {"stateMachineArn"},
	SFN + ".SendTaskSuccess":         {"taskToken", "output"},
	SFN + ".SendTaskFailure":         {"taskToken"},
	SFN + ".SendTaskHeartbeat":       {"taskToken"},
	SQS + ".SendMessage":             {"QueueUrl", "MessageBody"},
}

func missingFields(service, op string, in map[string]any) []string {
	var missing []string
	for _, k := range required[service+"."+op] {
		if v, ok := in[k]; !ok || v == nil || v == "" {
			missing = append(missing, k)
		}
	}
	if service == SESv2 && op == "SendEmail" {
		if to, _ := in["Destination"].(map[string]any); to == nil || len(anySlice(to["ToAddresses"])) == 0 {
			missing = append(missing, "Destination.ToAddresses")
		}
	}
	return missing
}

func anySlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func contentType(rest bool) string {
	if rest {
		return "application/json"
	}
	return "application/x-amz-json-1.0"
}

// writeError answers an error the way each protocol carries it: the code
// in X-Amzn-ErrorType for restJson1, in __type for awsJson1_0 (plus SQS's
// x-amzn-query-error, which the SDK prefers when present).
func writeError(w http.ResponseWriter, rest bool, status int, code, msg string) {
	w.Header().Set("Content-Type", contentType(rest))
	w.Header().Set("X-Amzn-RequestId", newID())
	body := map[string]string{"message": msg}
	if rest {
		w.Header().Set("X-Amzn-ErrorType", code)
	} else {
		body["__type"] = "com.amazonaws.awsfake#" + code
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// newID is a random UUID-shaped id.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
