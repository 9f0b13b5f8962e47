// Package lambdafn adapts AWS event sources to the application core: API
// Gateway HTTP API requests to the same http.Handler `cxloop dev` serves,
// SQS batches to the sender with partial batch failures, SNS-wrapped SMS
// replies and SES events, scheduled sweeps and EventBridge interactions.
package lambdafn

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// HTTP serves API Gateway HTTP API (payload format 2.0) requests with h.
func HTTP(h http.Handler) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return func(ctx context.Context, e events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		r, err := toRequest(ctx, e)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{
				StatusCode: http.StatusBadRequest,
				Headers:    map[string]string{"Content-Type": "application/json"},
				Body:       `{"error":{"code":"invalid","message":"the request could not be read"}}`,
			}, nil
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return toResponse(rec), nil
	}
}

func toRequest(ctx context.Context, e events.APIGatewayV2HTTPRequest) (*http.Request, error) {
	body := []byte(e.Body)
	if e.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(e.Body)
		if err != nil {
			return nil, fmt.Errorf("decode body: %w", err)
		}
		body = b
	}
	path := e.RawPath
	if path == "" {
		path = "/"
	}
	target := path
	if e.RawQueryString != "" {
		target += "?" + e.RawQueryString
	}
	method := e.RequestContext.HTTP.Method
	if method == "" {
		return nil, fmt.Errorf("no method")
	}
	r, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	for k, v := range e.Headers {
		r.Header.Set(k, v)
	}
	if len(e.Cookies) > 0 {
		r.Header.Set("Cookie", strings.Join(e.Cookies, "; "))
	}
	if host := r.Header.Get("Host"); host != "" {
		r.Host = host
	} else {
		r.Host = e.RequestContext.DomainName
	}
	r.RemoteAddr = e.RequestContext.HTTP.SourceIP
	if rid := e.RequestContext.RequestID; rid != "" && r.Header.Get("X-Request-Id") == "" {
		r.Header.Set("X-Request-Id", rid)
	}
	r.ContentLength = int64(len(body))
	return r, nil
}

func toResponse(rec *httptest.ResponseRecorder) events.APIGatewayV2HTTPResponse {
	res := events.APIGatewayV2HTTPResponse{StatusCode: rec.Code, Headers: map[string]string{}}
	for k, vs := range rec.Header() {
		if http.CanonicalHeaderKey(k) == "Set-Cookie" {
			res.Cookies = append(res.Cookies, vs...)
			continue
		}
		res.Headers[k] = strings.Join(vs, ", ")
	}
	b := rec.Body.Bytes()
	if utf8.Valid(b) {
		res.Body = string(b)
	} else {
		res.Body, res.IsBase64Encoded = base64.StdEncoding.EncodeToString(b), true
	}
	return res
}
