// Package awswire is a test helper for the AWS adapters: a recording HTTP
// server on 127.0.0.1 that answers scripted responses in the shapes AWS
// documents, and an aws.Config that points a real SDK v2 client at it with
// static credentials and a retryer that does not sleep.
//
// It lets adapter tests check the request each operation really puts on the
// wire (operation header, JSON body) and prove how the adapter maps service
// errors, without an AWS account.
package awswire

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// MaxAttempts is how many times the test retryer tries a call in all.
const MaxAttempts = 3

// Request is one request the server received.
type Request struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// Target is the X-Amz-Target header (the operation, for the JSON protocols).
func (r Request) Target() string { return r.Header.Get("X-Amz-Target") }

// JSON decodes the body into a generic map, failing the test if it is not a
// JSON object.
func (r Request) JSON(tb TB) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		tb.Fatalf("request body is not a JSON object: %v\n%s", err, r.Body)
	}
	return m
}

// Response is one scripted answer.
type Response struct {
	Status int
	Header map[string]string
	Body   string
}

// OK answers 200 with a JSON body in the given content type.
func OK(contentType, body string) Response {
	return Response{Status: http.StatusOK, Header: map[string]string{"Content-Type": contentType}, Body: body}
}

// JSON10 answers 200 for the awsJson1_0 protocol (DynamoDB, Step Functions,
// SQS, End User Messaging SMS).
func JSON10(body string) Response { return OK("application/x-amz-json-1.0", body) }

// REST answers 200 for the restJson1 protocol (SES v2).
func REST(body string) Response { return OK("application/json", body) }

// JSON10Error answers an awsJson1_0 error: the shape namespace#Code in
// __type, as DynamoDB and Step Functions send it. extra fields (such as
// DynamoDB's Item on a failed condition) are merged into the body.
func JSON10Error(status int, namespace, code, message string, extra map[string]any) Response {
	body := map[string]any{"__type": namespace + "#" + code, "message": message}
	for k, v := range extra {
		body[k] = v
	}
	b, err := json.Marshal(body)
	if err != nil {
		panic(fmt.Sprintf("awswire: marshal error body: %v", err)) // test fixture bug
	}
	return Response{
		Status: status,
		Header: map[string]string{"Content-Type": "application/x-amz-json-1.0"},
		Body:   string(b),
	}
}

// RESTError answers a restJson1 error: the code in the X-Amzn-ErrorType
// header and a body with a message, as SES v2 sends it.
func RESTError(status int, code, message string) Response {
	b, err := json.Marshal(map[string]string{"message": message})
	if err != nil {
		panic(fmt.Sprintf("awswire: marshal error body: %v", err))
	}
	return Response{
		Status: status,
		Header: map[string]string{
			"Content-Type":     "application/json",
			"X-Amzn-ErrorType": code,
		},
		Body: string(b),
	}
}

// WithHeader returns a copy of r that also sends the header k: v, such as
// SQS's x-amzn-query-error.
func (r Response) WithHeader(k, v string) Response {
	h := make(map[string]string, len(r.Header)+1)
	for hk, hv := range r.Header {
		h[hk] = hv
	}
	h[k] = v
	r.Header = h
	return r
}

// Server records requests and answers them in order from a script; once the
// script is used up it repeats the last response.
type Server struct {
	URL string

	mu       sync.Mutex
	requests []Request
	script   []Response
}

// NewServer starts a recording server on 127.0.0.1, closed when the test ends.
func NewServer(tb TB, script ...Response) *Server {
	tb.Helper()
	if len(script) == 0 {
		tb.Fatal("awswire: NewServer needs at least one response")
	}
	s := &Server{script: script}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("awswire: listen: %v", err)
	}
	hs := httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	hs.Listener = ln
	hs.Start()
	tb.Cleanup(hs.Close)
	s.URL = hs.URL
	return s
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	n := len(s.requests)
	s.requests = append(s.requests, Request{
		Method: r.Method,
		Path:   r.URL.Path,
		Header: r.Header.Clone(),
		Body:   body,
	})
	resp := s.script[min(n, len(s.script)-1)]
	s.mu.Unlock()

	for k, v := range resp.Header {
		w.Header().Set(k, v)
	}
	w.Header().Set("X-Amzn-RequestId", fmt.Sprintf("req-%d", n+1))
	w.WriteHeader(resp.Status)
	_, _ = io.WriteString(w, resp.Body)
}

// Requests returns what the server received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Only returns the single request the server received, failing the test
// when there were none or several.
func (s *Server) Only(tb TB) Request {
	tb.Helper()
	reqs := s.Requests()
	if len(reqs) != 1 {
		tb.Fatalf("server got %d requests, want 1", len(reqs))
	}
	return reqs[0]
}

// Config is an aws.Config for a real SDK client talking to the server:
// BaseEndpoint is the server, region us-east-1, static credentials, and a
// standard retryer (MaxAttempts tries) that retries without sleeping.
func (s *Server) Config() aws.Config {
	return Config(s.URL)
}

// Config is the aws.Config described on Server.Config, for any endpoint.
func Config(endpoint string) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		BaseEndpoint: aws.String(endpoint),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = MaxAttempts
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
				o.RateLimiter = ratelimit.None
			})
		},
	}
}

// Context is a context that ends with the test, with a deadline so a hung
// call fails instead of blocking.
func Context(tb TB) context.Context {
	tb.Helper()
	ctx, cancel := context.WithTimeout(tb.Context(), 2*time.Minute)
	tb.Cleanup(cancel)
	return ctx
}
