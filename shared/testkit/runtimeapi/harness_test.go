package runtimeapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/cxloop/cxloop/shared/testkit/runtimeapi"
)

// fakeModeEnv turns the test binary itself into a Lambda function, so the
// harness's own tests need no build.
const fakeModeEnv = "RUNTIMEAPI_FAKE_FUNCTION"

func TestMain(m *testing.M) {
	if mode := os.Getenv(fakeModeEnv); mode != "" {
		fakeFunction(mode)
		return
	}
	code := m.Run()
	if built.dir != "" {
		_ = os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// Refused is the fake function's typed error; the runtime reports its
// name as errorType.
type Refused struct{ Why string }

func (e *Refused) Error() string { return "refused: " + e.Why }

type fakeEvent struct {
	Fail    string `json:"fail"`
	Panic   bool   `json:"panic"`
	SleepMS int    `json:"sleep_ms"`
	Log     string `json:"log"`
}

func fakeFunction(mode string) {
	switch mode {
	case "exit":
		fmt.Fprintln(os.Stderr, `{"level":"ERROR","msg":"cannot start","err":"environment variable TABLE_NAME is not set"}`)
		os.Exit(3)
	case "init-error":
		body := strings.NewReader(`{"errorMessage":"config is broken","errorType":"ConfigError"}`)
		resp, err := http.Post("http://"+os.Getenv("AWS_LAMBDA_RUNTIME_API")+"/2018-06-01/runtime/init/error", "application/json", body)
		if err == nil {
			resp.Body.Close()
		}
		os.Exit(1)
	case "hang":
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	var opts []lambda.Option
	if mode == "sigterm" {
		opts = append(opts, lambda.WithEnableSIGTERM(func() {
			_ = os.WriteFile(os.Getenv("SIGTERM_FILE"), []byte("got SIGTERM"), 0o600)
		}))
	}
	lambda.StartWithOptions(func(ctx context.Context, e fakeEvent) (map[string]any, error) {
		lc, _ := lambdacontext.FromContext(ctx)
		deadline, _ := ctx.Deadline()
		if e.Log != "" {
			fmt.Fprintln(os.Stdout, "stdout: "+e.Log)
			fmt.Fprintln(os.Stderr, "stderr: "+e.Log)
		}
		if e.SleepMS > 0 {
			time.Sleep(time.Duration(e.SleepMS) * time.Millisecond)
		}
		if e.Panic {
			panic("boom")
		}
		if e.Fail != "" {
			return nil, &Refused{Why: e.Fail}
		}
		return map[string]any{
			"function":      lambdacontext.FunctionName,
			"request_id":    lc.AwsRequestID,
			"arn":           lc.InvokedFunctionArn,
			"deadline_left": time.Until(deadline).Seconds(),
			"trace":         ctx.Value("x-amzn-trace-id"),
			"region":        os.Getenv("AWS_REGION"),
			"key":           os.Getenv("AWS_ACCESS_KEY_ID"),
			"log_format":    os.Getenv("AWS_LAMBDA_LOG_FORMAT"),
			"handler":       os.Getenv("_HANDLER"),
			"extra":         os.Getenv("EXTRA"),
			"home":          os.Getenv("CXLOOP_HOST_ONLY"),
		}, nil
	}, opts...)
}

func startFake(t *testing.T, mode string, cfg runtimeapi.Config) (*runtimeapi.Harness, error) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Binary = self
	cfg.Env = append(cfg.Env, fakeModeEnv+"="+mode)
	if cfg.FunctionName == "" {
		cfg.FunctionName = "fake"
	}
	h, err := runtimeapi.Start(t.Context(), cfg)
	if h != nil {
		t.Cleanup(h.Close)
	}
	return h, err
}

func TestInvokeSequence(t *testing.T) {
	t.Setenv("CXLOOP_HOST_ONLY", "leak") // must not reach the function
	h, err := startFake(t, "serve", runtimeapi.Config{Env: []string{"EXTRA=x", "AWS_REGION=eu-west-1"}, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if h.InitDuration() <= 0 {
		t.Errorf("InitDuration = %v", h.InitDuration())
	}
	ctx := t.Context()

	res, err := h.Invoke(ctx, []byte(`{"log":"hello"}`))
	if err != nil {
		t.Fatal(err)
	}
	if res.Error != nil {
		t.Fatalf("unexpected function error %v", res.Error)
	}
	var got map[string]any
	if err := json.Unmarshal(res.Payload, &got); err != nil {
		t.Fatalf("payload %s: %v", res.Payload, err)
	}
	want := map[string]any{
		"function": "fake", "request_id": res.RequestID,
		"arn":    "arn:aws:lambda:us-east-1:123456789012:function:fake",
		"region": "eu-west-1", "key": "test", "log_format": "JSON", "handler": "bootstrap",
		"extra": "x", "home": "",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if left, _ := got["deadline_left"].(float64); left < 3 || left > 5 {
		t.Errorf("deadline is %vs away, want about 5s", left)
	}
	if tr, _ := got["trace"].(string); !strings.HasPrefix(tr, "Root=1-") {
		t.Errorf("trace id = %q", tr)
	}
	if logs := string(res.Logs); !strings.Contains(logs, "stdout: hello") || !strings.Contains(logs, "stderr: hello") {
		t.Errorf("invocation logs = %q", logs)
	}

	// A typed error, then the same process keeps serving.
	res, err = h.Invoke(ctx, []byte(`{"fail":"no such survey"}`))
	if err != nil {
		t.Fatal(err)
	}
	if res.Error == nil || res.Error.Type != "Refused" || res.Error.Message != "refused: no such survey" || res.Payload != nil {
		t.Errorf("error invocation = %+v, error %+v", res, res.Error)
	}
	if strings.Contains(string(res.Logs), "hello") {
		t.Errorf("second invocation's logs include the first's: %q", res.Logs)
	}
	res, err = h.Invoke(ctx, []byte(`{}`))
	if err != nil || res.Error != nil {
		t.Fatalf("third invocation: %v %+v", err, res)
	}
}

func TestInvokeTimeoutKillsProcess(t *testing.T) {
	t.Parallel()
	h, err := startFake(t, "serve", runtimeapi.Config{Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.Invoke(t.Context(), []byte(`{"sleep_ms":5000}`))
	if !errors.Is(err, runtimeapi.ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	_, err = h.Invoke(t.Context(), []byte(`{}`))
	if !errors.Is(err, runtimeapi.ErrExited) {
		t.Fatalf("after a timeout err = %v, want ErrExited", err)
	}
}

func TestInvokePanic(t *testing.T) {
	t.Parallel()
	h, err := startFake(t, "serve", runtimeapi.Config{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := h.Invoke(t.Context(), []byte(`{"panic":true}`))
	if err != nil {
		t.Fatal(err)
	}
	if res.Error == nil || res.Error.Type != "string" || res.Error.Message != "boom" || len(res.Error.StackTrace) == 0 {
		t.Errorf("panic reported as %+v", res.Error)
	}
	// aws-lambda-go exits after reporting a panic.
	if _, err := h.Invoke(t.Context(), []byte(`{}`)); !errors.Is(err, runtimeapi.ErrExited) {
		t.Errorf("after a panic err = %v, want ErrExited", err)
	}
}

func TestInitErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		mode, want string
		posted     bool
	}{
		{mode: "exit", want: "exited: exit status 3 before asking for an event"},
		{mode: "init-error", want: "posted /runtime/init/error", posted: true},
		{mode: "hang", want: "did not ask for an event within 500ms"},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			t.Parallel()
			cfg := runtimeapi.Config{InitTimeout: 10 * time.Second}
			if tt.mode == "hang" {
				cfg.InitTimeout = 500 * time.Millisecond
			}
			h, err := startFake(t, tt.mode, cfg)
			var ie *runtimeapi.InitError
			if h != nil || !errors.As(err, &ie) {
				t.Fatalf("Start = %v, %v; want an *InitError", h, err)
			}
			if !strings.Contains(ie.Reason, tt.want) || ie.Function != "fake" {
				t.Errorf("reason = %q, want it to contain %q", ie.Reason, tt.want)
			}
			if tt.posted && (ie.Posted == nil || ie.Posted.Type != "ConfigError" || ie.Posted.Message != "config is broken") {
				t.Errorf("posted = %+v", ie.Posted)
			}
			if tt.mode == "exit" && !strings.Contains(err.Error(), "TABLE_NAME is not set") {
				t.Errorf("error does not show the function's output: %v", err)
			}
		})
	}
}

func TestRuntimeAPIRefusesUnknownRequest(t *testing.T) {
	t.Parallel()
	h, err := startFake(t, "serve", runtimeapi.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/2018-06-01/runtime/invocation/nope/response", "/2018-06-01/runtime/invocation/nope/error", "/2018-06-01/runtime/other"} {
		resp, err := http.Post("http://"+h.Addr()+path, "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusNotFound {
			t.Errorf("POST %s = %d, want 400 or 404", path, resp.StatusCode)
		}
	}
	// The function is unharmed.
	if res, err := h.Invoke(t.Context(), []byte(`{}`)); err != nil || res.Error != nil {
		t.Errorf("invoke after bad requests: %v %+v", err, res)
	}
}

func TestCloseIsIdempotentAndStopsInvokes(t *testing.T) {
	t.Parallel()
	h, err := startFake(t, "serve", runtimeapi.Config{})
	if err != nil {
		t.Fatal(err)
	}
	h.Close()
	h.Close()
	if _, err := h.Invoke(context.Background(), []byte(`{}`)); !errors.Is(err, runtimeapi.ErrExited) {
		t.Errorf("Invoke after Close = %v, want ErrExited", err)
	}
}

func TestCloseSendsSIGTERMToFunctionsThatAskForIt(t *testing.T) {
	t.Parallel()
	marker := filepath.Join(t.TempDir(), "sigterm")
	h, err := startFake(t, "sigterm", runtimeapi.Config{Env: []string{"SIGTERM_FILE=" + marker}})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := h.Invoke(t.Context(), []byte(`{}`)); err != nil || res.Error != nil {
		t.Fatalf("invoke: %v %+v", err, res)
	}
	if got := h.Extensions(); len(got) != 1 || got[0] != "GoLangEnableSIGTERM" {
		t.Errorf("extensions = %v", got)
	}
	logs := h.Logs
	h.Close()
	if b, err := os.ReadFile(marker); err != nil || string(b) != "got SIGTERM" {
		t.Errorf("SIGTERM handler did not run: %q %v\n%s", b, err, logs())
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestLogOutputHasTheInvocationsLogsWhenInvokeReturns(t *testing.T) {
	t.Parallel()
	var out syncBuffer
	h, err := startFake(t, "serve", runtimeapi.Config{LogOutput: &out})
	if err != nil {
		t.Fatal(err)
	}
	for _, word := range []string{"first", "second"} {
		if _, err := h.Invoke(t.Context(), []byte(`{"log":"`+word+`"}`)); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "stderr: "+word) {
			t.Fatalf("LogOutput lacks %q right after Invoke: %q", word, out.String())
		}
	}
}
