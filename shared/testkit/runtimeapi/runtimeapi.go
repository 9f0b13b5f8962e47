// Package runtimeapi runs a Lambda function binary (a `bootstrap`) locally
// the way the Lambda service does, without Docker: it serves the Lambda
// Runtime API (version 2018-06-01) on 127.0.0.1, starts the binary as a
// child process pointed at it, and feeds it events one at a time — what
// `sam local invoke -e` does.
//
//	h, err := runtimeapi.Start(ctx, runtimeapi.Config{Binary: "bin/api", FunctionName: "api"})
//	if err != nil { ... }            // *InitError when the function failed to start
//	defer h.Close()
//	res, err := h.Invoke(ctx, event) // res.Payload, or res.Error (errorType, errorMessage)
//	h.InitDuration()                 // process start → first `next` request
//
// Runtime API routes served:
//
//	GET  /2018-06-01/runtime/invocation/next
//	POST /2018-06-01/runtime/invocation/{id}/response
//	POST /2018-06-01/runtime/invocation/{id}/error
//	POST /2018-06-01/runtime/init/error
package runtimeapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Defaults for Config.
const (
	DefaultTimeout     = 30 * time.Second
	DefaultInitTimeout = 10 * time.Second
	// MaxResponseSize is Lambda's limit on a synchronous response.
	MaxResponseSize = 6 << 20
)

// Region, account and fake credentials given to every function.
const (
	Region    = "us-east-1"
	AccountID = "123456789012"
)

// ErrTimeout is wrapped by Invoke's error when the function did not answer
// within Config.Timeout; the process is then killed, as Lambda does.
var ErrTimeout = errors.New("task timed out")

// ErrExited is wrapped by Invoke's error when the function process is no
// longer running (it crashed, or an earlier invocation timed out).
var ErrExited = errors.New("function process is not running")

// Config says what to run.
type Config struct {
	// Binary is the path to the function's executable (its bootstrap).
	Binary string
	// FunctionName is AWS_LAMBDA_FUNCTION_NAME; the binary's name when empty.
	FunctionName string
	// Env is KEY=VALUE pairs added to the function's environment after the
	// defaults, which they override. The harness's own environment is not
	// passed on, so the host's AWS settings cannot leak in.
	Env []string
	// Timeout is the function timeout of each invocation (the
	// Lambda-Runtime-Deadline-Ms the function sees); DefaultTimeout when 0.
	Timeout time.Duration
	// InitTimeout bounds the wait for the first `next` request;
	// DefaultInitTimeout when 0.
	InitTimeout time.Duration
	// LogOutput, when set, also receives the function's stdout and stderr
	// as they are written, from another goroutine: if the caller writes
	// to it too, it must be safe for concurrent use. Start and Invoke
	// return only after it has received the output so far.
	LogOutput io.Writer
}

// Result is one invocation's outcome.
type Result struct {
	RequestID string
	// Payload is the response body the function posted; nil on error.
	Payload json.RawMessage
	// Error is the error the function posted; nil on success.
	Error *FunctionError
	// Duration runs from handing out the event to receiving the answer.
	Duration time.Duration
	// Logs is what the function wrote to stdout and stderr while handling
	// the event.
	Logs []byte
}

// FunctionError is an invocation error as the runtime reports it.
type FunctionError struct {
	Type       string          `json:"errorType"`
	Message    string          `json:"errorMessage"`
	StackTrace json.RawMessage `json:"stackTrace,omitempty"`
}

func (e *FunctionError) Error() string { return e.Type + ": " + e.Message }

// InitError is Start's error when the function could not initialise: it
// exited, posted to /runtime/init/error, or never asked for an event.
type InitError struct {
	Function string
	// Reason says what happened, e.g. "exited with exit status 1 before
	// asking for an event".
	Reason string
	// Posted is the error the runtime posted to /runtime/init/error, if any.
	Posted *FunctionError
	// Logs is everything the process wrote.
	Logs []byte
}

func (e *InitError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "function %s failed to initialise: %s", e.Function, e.Reason)
	if e.Posted != nil {
		fmt.Fprintf(&b, " (%s)", e.Posted)
	}
	if tail := lastLines(e.Logs, 10); tail != "" {
		b.WriteString("; last output:\n" + tail)
	}
	return b.String()
}

// Harness is one running execution environment: a Runtime API server and
// the function process. Invoke may be called from several goroutines; the
// invocations are run one after the other, as in one Lambda sandbox.
type Harness struct {
	cfg      Config
	function string
	arn      string

	srv     *http.Server
	addr    string
	cmd     *exec.Cmd
	logFile *os.File
	logPath string
	tail    *tailer

	started   time.Time
	initDur   time.Duration
	readyOnce sync.Once
	ready     chan struct{} // closed on the first `next`
	exited    chan struct{} // closed when the process has exited
	closing   chan struct{} // closed by Close
	exitErr   error         // set before exited is closed
	initErrC  chan *FunctionError

	invokeMu   sync.Mutex       // one invocation at a time
	pending    chan *invocation // events waiting for `next`
	mu         sync.Mutex       // guards below
	inflight   map[string]*invocation
	extensions []string
	closed     bool
	once       sync.Once
}

type invocation struct {
	id       string
	event    []byte
	deadline time.Time
	sentAt   time.Time
	done     chan answer
}

type answer struct {
	payload []byte
	err     *FunctionError
	at      time.Time
}

// Start starts the Runtime API server and the function, and waits until
// the function has initialised (its first `next` request). Its error is
// an *InitError when the function failed to initialise.
func Start(ctx context.Context, cfg Config) (*Harness, error) {
	if cfg.Binary == "" {
		return nil, errors.New("runtimeapi: Config.Binary is required")
	}
	bin, err := filepath.Abs(cfg.Binary)
	if err != nil {
		return nil, fmt.Errorf("runtimeapi: %w", err)
	}
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("runtimeapi: %w", err)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.InitTimeout <= 0 {
		cfg.InitTimeout = DefaultInitTimeout
	}
	name := cfg.FunctionName
	if name == "" {
		name = filepath.Base(bin)
	}
	h := &Harness{
		cfg:      cfg,
		function: name,
		arn:      fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", Region, AccountID, name),
		ready:    make(chan struct{}),
		exited:   make(chan struct{}),
		closing:  make(chan struct{}),
		initErrC: make(chan *FunctionError, 1),
		pending:  make(chan *invocation),
		inflight: map[string]*invocation{},
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("runtimeapi: listen: %w", err)
	}
	h.addr = ln.Addr().String()
	h.srv = &http.Server{Handler: h.routes(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = h.srv.Serve(ln) }()

	// The process writes to a file, not a pipe: a write has landed in the
	// file before the runtime posts its answer, so each invocation's logs
	// can be cut out exactly.
	h.logFile, err = os.CreateTemp("", "runtimeapi-"+safeName(name)+"-*.log")
	if err != nil {
		_ = h.srv.Close()
		return nil, fmt.Errorf("runtimeapi: log file: %w", err)
	}
	h.logPath = h.logFile.Name()

	h.cmd = exec.Command(bin)
	h.cmd.Dir = filepath.Dir(bin)
	h.cmd.Env = h.environment(filepath.Dir(bin))
	h.cmd.Stdout, h.cmd.Stderr = h.logFile, h.logFile
	dieWithParent(h.cmd)
	if cfg.LogOutput != nil {
		h.tail = tail(h.logPath, cfg.LogOutput)
	}
	h.mu.Lock() // the `next` handler reads started
	h.started = time.Now()
	err = h.cmd.Start()
	h.mu.Unlock()
	if err != nil {
		if h.tail != nil {
			h.tail.Stop()
		}
		h.Close()
		return nil, fmt.Errorf("runtimeapi: start %s: %w", bin, err)
	}
	go func() {
		err := h.cmd.Wait()
		h.mu.Lock()
		h.exitErr = err
		h.mu.Unlock()
		if h.tail != nil {
			h.tail.Stop() // LogOutput has everything once exited is closed
		}
		close(h.exited)
	}()

	fail := func(reason string, posted *FunctionError) error {
		h.kill()
		<-h.exited // all output is in the file
		logs := h.readLogs(0)
		h.Close()
		return &InitError{Function: name, Reason: reason, Posted: posted, Logs: logs}
	}
	timer := time.NewTimer(cfg.InitTimeout)
	defer timer.Stop()
	select {
	case <-h.ready:
		h.flushLogs()
		return h, nil
	case posted := <-h.initErrC:
		return nil, fail("it posted /runtime/init/error", posted)
	case <-h.exited:
		select {
		case posted := <-h.initErrC:
			return nil, fail("it posted /runtime/init/error and "+h.exitReason(), posted)
		default:
		}
		return nil, fail(h.exitReason()+" before asking for an event", nil)
	case <-timer.C:
		return nil, fail(fmt.Sprintf("it did not ask for an event within %s", cfg.InitTimeout), nil)
	case <-ctx.Done():
		return nil, fail(ctx.Err().Error(), nil)
	}
}

// Addr is the Runtime API's host:port (AWS_LAMBDA_RUNTIME_API).
func (h *Harness) Addr() string { return h.addr }

// InitDuration is the time from starting the process to its first `next`
// request: the function's cold-start initialisation.
func (h *Harness) InitDuration() time.Duration { return h.initDur }

// Logs returns everything the process has written so far.
func (h *Harness) Logs() []byte { return h.readLogs(0) }

// Invoke hands the function one event and waits for its answer. A
// function error is a successful invocation with Result.Error set; the
// error return is for the harness: the context ended, the function timed
// out (ErrTimeout, and the process is killed), or the process is gone
// (ErrExited).
func (h *Harness) Invoke(ctx context.Context, event []byte) (*Result, error) {
	h.invokeMu.Lock()
	defer h.invokeMu.Unlock()
	select {
	case <-h.exited:
		return nil, fmt.Errorf("%w: %s", ErrExited, h.exitReason())
	case <-h.closing:
		return nil, fmt.Errorf("%w: the harness is closed", ErrExited)
	default:
	}
	inv := &invocation{id: newRequestID(), event: event, done: make(chan answer, 1)}
	logStart := h.logSize()
	timer := time.NewTimer(h.cfg.Timeout)
	defer timer.Stop()
	inv.deadline = time.Now().Add(h.cfg.Timeout)
	h.mu.Lock()
	h.inflight[inv.id] = inv
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		delete(h.inflight, inv.id)
		h.mu.Unlock()
	}()

	// Hand the event to the `next` request that is (or will be) waiting.
	select {
	case h.pending <- inv:
	case <-h.exited:
		return nil, fmt.Errorf("%w: %s", ErrExited, h.exitReason())
	case <-timer.C:
		h.kill()
		return nil, fmt.Errorf("%w: the function did not ask for the event within %s", ErrTimeout, h.cfg.Timeout)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case a := <-inv.done:
		h.flushLogs()
		return &Result{
			RequestID: inv.id, Payload: a.payload, Error: a.err,
			Duration: a.at.Sub(inv.sentAt), Logs: h.readLogs(logStart),
		}, nil
	case <-h.exited:
		// A runtime may post its error and then exit (a panic does).
		select {
		case a := <-inv.done:
			return &Result{RequestID: inv.id, Payload: a.payload, Error: a.err, Duration: a.at.Sub(inv.sentAt), Logs: h.readLogs(logStart)}, nil
		default:
		}
		return nil, fmt.Errorf("%w: %s while handling request %s; output:\n%s", ErrExited, h.exitReason(), inv.id, lastLines(h.readLogs(logStart), 20))
	case <-timer.C:
		h.kill()
		return nil, fmt.Errorf("%w after %s (request %s); output:\n%s", ErrTimeout, h.cfg.Timeout, inv.id, lastLines(h.readLogs(logStart), 20))
	case <-ctx.Done():
		// The sandbox cannot be trusted with a half-done invocation.
		h.kill()
		return nil, ctx.Err()
	}
}

// Close kills the function process, stops the server and removes the log
// file. It is safe to call more than once.
func (h *Harness) Close() {
	h.once.Do(func() {
		h.mu.Lock()
		h.closed = true
		h.mu.Unlock()
		// The runtime's `next` keeps waiting during shutdown, as in Lambda;
		// answering it would make the runtime exit on its own first.
		if h.cmd != nil && h.cmd.Process != nil {
			h.shutdown()
		}
		close(h.closing)
		_ = h.srv.Close()
		if h.logFile != nil {
			_ = h.logFile.Close()
			_ = os.Remove(h.logPath)
		}
	})
}

// ShutdownGrace is how long Close waits after SIGTERM before SIGKILL, as
// Lambda does for a function that registered an extension.
const ShutdownGrace = 500 * time.Millisecond

func (h *Harness) shutdown() {
	if len(h.Extensions()) > 0 {
		_ = h.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-h.exited:
			return
		case <-time.After(ShutdownGrace):
		}
	}
	h.kill()
	<-h.exited
}

func (h *Harness) kill() {
	if h.cmd != nil && h.cmd.Process != nil {
		_ = h.cmd.Process.Kill()
	}
}

func (h *Harness) exitReason() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.exitErr == nil {
		return "the process exited with status 0"
	}
	return "the process exited: " + h.exitErr.Error()
}

// environment is what Lambda sets for a provided.al2023 function, with
// fake credentials, then cfg.Env.
func (h *Harness) environment(taskRoot string) []string {
	env := []string{
		"AWS_LAMBDA_RUNTIME_API=" + h.addr,
		"AWS_LAMBDA_FUNCTION_NAME=" + h.function,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + h.function,
		"AWS_LAMBDA_LOG_STREAM_NAME=local/[$LATEST]runtimeapi",
		"AWS_LAMBDA_LOG_FORMAT=JSON",
		"AWS_EXECUTION_ENV=AWS_Lambda_provided.al2023",
		"AWS_REGION=" + Region,
		"AWS_DEFAULT_REGION=" + Region,
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_SESSION_TOKEN=test",
		"AWS_EC2_METADATA_DISABLED=true",
		"_HANDLER=bootstrap",
		"LAMBDA_TASK_ROOT=" + taskRoot,
		"LAMBDA_RUNTIME_DIR=" + taskRoot,
		"TZ=:UTC",
		"LANG=en_US.UTF-8",
		"PATH=/usr/local/bin:/usr/bin:/bin",
	}
	return mergeEnv(env, h.cfg.Env)
}

// mergeEnv appends extra to base, a later KEY replacing an earlier one.
func mergeEnv(base, extra []string) []string {
	idx := map[string]int{}
	var out []string
	for _, kv := range append(append([]string(nil), base...), extra...) {
		k, _, _ := strings.Cut(kv, "=")
		if i, ok := idx[k]; ok {
			out[i] = kv
			continue
		}
		idx[k] = len(out)
		out = append(out, kv)
	}
	return out
}

const (
	apiPrefix = "/2018-06-01/runtime"
	extPrefix = "/2020-01-01/extension"
)

func (h *Harness) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+apiPrefix+"/invocation/next", h.next)
	mux.HandleFunc("POST "+apiPrefix+"/invocation/{id}/response", h.response)
	mux.HandleFunc("POST "+apiPrefix+"/invocation/{id}/error", h.invocationError)
	mux.HandleFunc("POST "+apiPrefix+"/init/error", h.initError)
	mux.HandleFunc("POST "+extPrefix+"/register", h.registerExtension)
	mux.HandleFunc("GET "+extPrefix+"/event/next", h.extensionNext)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		apiError(w, http.StatusNotFound, "InvalidRequest", "no such Runtime API route: "+r.Method+" "+r.URL.Path)
	})
	return mux
}

func (h *Harness) next(w http.ResponseWriter, r *http.Request) {
	h.readyOnce.Do(func() {
		h.mu.Lock()
		h.initDur = time.Since(h.started) // written before ready is closed
		h.mu.Unlock()
		close(h.ready)
	})
	var inv *invocation
	select {
	case inv = <-h.pending:
	case <-h.closing:
		apiError(w, http.StatusInternalServerError, "ServiceException", "the harness is closing")
		return
	case <-r.Context().Done():
		return
	}
	h.mu.Lock()
	inv.sentAt = time.Now()
	sentAt := inv.sentAt
	h.mu.Unlock()
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
	hd.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
	hd.Set("Lambda-Runtime-Invoked-Function-Arn", h.arn)
	hd.Set("Lambda-Runtime-Trace-Id", traceID(sentAt))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(inv.event)
}

// registerExtension serves the Extensions API's register call, which
// aws-lambda-go's lambda.WithEnableSIGTERM makes to have the process get
// SIGTERM before SIGKILL at shutdown (see Close).
func (h *Harness) registerExtension(w http.ResponseWriter, r *http.Request) {
	name := r.Header.Get("Lambda-Extension-Name")
	if name == "" {
		apiError(w, http.StatusBadRequest, "InvalidRequest", "Lambda-Extension-Name header is required")
		return
	}
	h.mu.Lock()
	h.extensions = append(h.extensions, name)
	h.mu.Unlock()
	w.Header().Set("Lambda-Extension-Identifier", newRequestID())
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{
		"functionName": h.function, "functionVersion": "$LATEST", "handler": "bootstrap",
	})
}

// extensionNext blocks: the harness sends extensions no INVOKE events,
// and ends with SIGTERM rather than a SHUTDOWN event.
func (h *Harness) extensionNext(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Lambda-Extension-Identifier") == "" {
		apiError(w, http.StatusForbidden, "Extension.Unregistered", "Lambda-Extension-Identifier header is required")
		return
	}
	select {
	case <-h.closing:
	case <-r.Context().Done():
	}
}

// Extensions lists the extensions the process registered.
func (h *Harness) Extensions() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.extensions...)
}

func (h *Harness) lookup(w http.ResponseWriter, r *http.Request) *invocation {
	id := r.PathValue("id")
	h.mu.Lock()
	inv := h.inflight[id]
	h.mu.Unlock()
	if inv == nil || inv.sentAt.IsZero() {
		apiError(w, http.StatusBadRequest, "InvalidRequestID", "no invocation in flight with request id "+id)
		return nil
	}
	return inv
}

func (h *Harness) response(w http.ResponseWriter, r *http.Request) {
	inv := h.lookup(w, r)
	if inv == nil {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxResponseSize+1))
	if err != nil {
		apiError(w, http.StatusBadRequest, "InvalidRequest", "read response: "+err.Error())
		return
	}
	if len(body) > MaxResponseSize {
		apiError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", fmt.Sprintf("response is larger than %d bytes", MaxResponseSize))
		deliver(inv, answer{err: &FunctionError{Type: "Function.ResponseSizeTooLarge", Message: "response payload size exceeded maximum allowed payload size"}, at: time.Now()})
		return
	}
	accepted(w)
	deliver(inv, answer{payload: body, at: time.Now()})
}

func (h *Harness) invocationError(w http.ResponseWriter, r *http.Request) {
	inv := h.lookup(w, r)
	if inv == nil {
		return
	}
	fe, err := readError(r)
	if err != nil {
		apiError(w, http.StatusBadRequest, "InvalidRequest", err.Error())
		return
	}
	accepted(w)
	deliver(inv, answer{err: fe, at: time.Now()})
}

func (h *Harness) initError(w http.ResponseWriter, r *http.Request) {
	fe, err := readError(r)
	if err != nil {
		apiError(w, http.StatusBadRequest, "InvalidRequest", err.Error())
		return
	}
	accepted(w)
	select {
	case h.initErrC <- fe:
	default:
	}
}

// readError reads an error body ({"errorMessage","errorType"}); the
// Lambda-Runtime-Function-Error-Type header or trailer names the type
// when the body does not.
func readError(r *http.Request) (*FunctionError, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("read error body: %w", err)
	}
	fe := &FunctionError{}
	if len(bytes.TrimSpace(body)) > 0 && json.Unmarshal(body, fe) != nil {
		fe = &FunctionError{Type: "Unknown", Message: string(body)}
	}
	if fe.Type == "" {
		fe.Type = r.Header.Get("Lambda-Runtime-Function-Error-Type")
	}
	if fe.Type == "" {
		fe.Type = r.Trailer.Get("Lambda-Runtime-Function-Error-Type")
	}
	if fe.Type == "" {
		fe.Type = "Unknown"
	}
	return fe, nil
}

func deliver(inv *invocation, a answer) {
	select {
	case inv.done <- a:
	default: // a second answer for the same request is ignored
	}
}

func accepted(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

func apiError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"errorType": typ, "errorMessage": msg})
}

// flushLogs has LogOutput receive everything written so far.
func (h *Harness) flushLogs() {
	if h.tail != nil {
		h.tail.Flush()
	}
}

func (h *Harness) logSize() int64 {
	fi, err := os.Stat(h.logPath)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func (h *Harness) readLogs(from int64) []byte {
	b, err := os.ReadFile(h.logPath)
	if err != nil || from > int64(len(b)) {
		return nil
	}
	return b[from:]
}

// tailer copies what is appended to a file to a writer, every 20 ms and
// on demand.
type tailer struct {
	flushes chan chan struct{}
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
}

func tail(path string, w io.Writer) *tailer {
	t := &tailer{flushes: make(chan chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(t.done)
		f, err := os.Open(path)
		if err != nil {
			return
		}
		defer f.Close()
		for {
			select {
			case <-t.stop:
				_, _ = io.Copy(w, f)
				return
			case ack := <-t.flushes:
				_, _ = io.Copy(w, f)
				close(ack)
			case <-time.After(20 * time.Millisecond):
				_, _ = io.Copy(w, f)
			}
		}
	}()
	return t
}

// Flush copies everything written so far before returning.
func (t *tailer) Flush() {
	ack := make(chan struct{})
	select {
	case t.flushes <- ack:
		<-ack
	case <-t.done:
	}
}

// Stop copies the rest and stops.
func (t *tailer) Stop() {
	t.once.Do(func() { close(t.stop) })
	<-t.done
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	x := hex.EncodeToString(b[:])
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
}

// traceID is an X-Ray trace header, not sampled.
func traceID(t time.Time) string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	x := hex.EncodeToString(b[:])
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0", t.Unix(), x[:24], x[24:40])
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, s)
}
