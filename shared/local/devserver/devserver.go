// Package devserver runs the whole of cxloop in one process for local use:
// the same HTTP handlers and application core as in AWS, an embedded
// persistent store, the real state machine file run by the local ASL
// interpreter, an outbox instead of email and SMS, and a virtual clock.
package devserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cxloop/cxloop/infra/statemachine"
	"github.com/cxloop/cxloop/shared/aws/looptask"
	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/core/store"
	"github.com/cxloop/cxloop/shared/domain/token"
	"github.com/cxloop/cxloop/shared/local/asl"
	"github.com/cxloop/cxloop/shared/local/clock"
	"github.com/cxloop/cxloop/shared/local/embedded"
	"github.com/cxloop/cxloop/shared/local/localflow"
	"github.com/cxloop/cxloop/shared/local/outbox"
	"github.com/cxloop/cxloop/shared/platform/validation"
	"github.com/cxloop/cxloop/shared/web/httpapi"
)

// Machine is the local name of the closed-loop state machine.
const Machine = "closed-loop"

// Options configure a dev server.
type Options struct {
	Addr    string // host:port; port 0 picks a free one
	DataDir string
	APIKey  string // empty: read DATA/api.key, or generate it
	Config  app.Config
	Logger  *slog.Logger
	// Tick is how often timers and the sweeper run in real time.
	Tick time.Duration
	// Wrap, if set, replaces the core's ports just before app.New; it exists for fault-injection tests.
	Wrap func(app.Deps) app.Deps
	// WrapTable, if set, wraps the table under the store, outbox and executions; it exists for fault-injection tests.
	WrapTable func(store.Table) store.Table
	// Background sends surveys, and runs closed loops on from each start
	// or task completion, after the request that caused it has been
	// answered, as SQS and Step Functions do in AWS. Without it (tests)
	// every request returns with its work done.
	Background bool
}

// Server is a running local cxloop.
type Server struct {
	App      *app.App
	Outbox   *outbox.Outbox
	Clock    *clock.Virtual
	Engine   *asl.Engine
	APIKey   string
	URL      string
	log      *slog.Logger
	table    *embedded.Table
	http     *http.Server
	listener net.Listener
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	sender   *sender // nil unless Options.Background
	// mu serialises time-driven work (ticks and clock advances).
	mu      sync.Mutex
	ticking atomic.Int64 // RunDue calls waiting or running
}

// Start opens the data directory, resumes every waiting loop and serves.
func Start(ctx context.Context, opts Options) (*Server, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	if opts.Tick <= 0 {
		opts.Tick = time.Second
	}
	if err := os.MkdirAll(opts.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", opts.Addr, err)
	}
	url := "http://" + ln.Addr().String()
	cfg := opts.Config
	if cfg.BaseURL == "" || cfg.BaseURL == app.DefaultConfig().BaseURL {
		cfg.BaseURL = url
	}
	s, err := build(ctx, opts, cfg, log)
	if err != nil {
		ln.Close()
		return nil, err
	}
	s.URL, s.listener = url, ln
	srv := httpapi.New(s.App, httpapi.Config{APIKey: s.APIKey, Logger: log})
	s.routes(srv)
	s.http = &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http server stopped", "err", err)
		}
	}()
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(opts.Tick)
		defer t.Stop()
		for {
			select {
			case <-runCtx.Done():
				return
			case <-t.C:
				s.RunDue(runCtx)
			}
		}
	}()
	return s, nil
}

func build(ctx context.Context, opts Options, cfg app.Config, log *slog.Logger) (*Server, error) {
	key, err := loadOrCreate(filepath.Join(opts.DataDir, "signing.key"), func() (string, error) {
		k, err := token.NewKey()
		return hex.EncodeToString(k), err
	})
	if err != nil {
		return nil, err
	}
	rawKey, err := hex.DecodeString(key)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	signer, err := token.NewSigner(rawKey)
	if err != nil {
		return nil, err
	}
	apiKey := opts.APIKey
	if apiKey == "" {
		if apiKey, err = loadOrCreate(filepath.Join(opts.DataDir, "api.key"), func() (string, error) {
			b := make([]byte, 24)
			_, err := rand.Read(b)
			return "cxl_" + hex.EncodeToString(b), err
		}); err != nil {
			return nil, err
		}
	}
	clk, err := clock.OpenVirtual(filepath.Join(opts.DataDir, "clock.json"))
	if err != nil {
		return nil, err
	}
	table, err := embedded.Open(opts.DataDir)
	if err != nil {
		return nil, err
	}
	if done := table.Converted(); done != "" {
		log.Info("the data directory was in the store's earlier format: " + done)
	}
	var tbl store.Table = table
	if opts.WrapTable != nil {
		tbl = opts.WrapTable(tbl)
	}
	execs := localflow.NewTableStore(tbl)
	box := outbox.New(tbl, clk)
	s := &Server{Outbox: box, Clock: clk, APIKey: apiKey, log: log, table: table}
	handlers := map[string]looptask.Handler{}
	s.Engine = asl.NewEngine(asl.Config{Store: execs, Clock: clk, Invoker: localflow.Invoker(handlers), Logger: log, Background: opts.Background})
	subs := looptask.LocalSubstitutions(strconv.FormatFloat(cfg.Loop.SLA.Hours(), 'f', -1, 64))
	def, err := looptask.Substitute(statemachine.ClosedLoop, subs)
	if err == nil {
		var parsed *asl.Definition
		if parsed, err = asl.Parse(def); err == nil {
			s.Engine.Register(Machine, parsed)
		}
	}
	if err != nil {
		table.Close()
		return nil, fmt.Errorf("closed-loop state machine: %w", err)
	}
	deps := app.Deps{
		Store: store.New(tbl), Mailer: box, Texter: box, Workflow: localflow.New(s.Engine, Machine),
		Queue: sendNow{s}, Clock: clk, Signer: signer, Logger: log, Validator: validation.New(),
	}
	if opts.Background {
		s.sender = newSender(func() *app.App { return s.App }, log)
		deps.Queue = s.sender
	}
	if opts.Wrap != nil {
		deps = opts.Wrap(deps)
	}
	cfg.InitialAPIKey = apiKey
	s.App, err = app.New(cfg, deps)
	if err != nil {
		s.stopBackground()
		table.Close()
		return nil, err
	}
	for name, h := range looptask.Handlers(s.App) {
		handlers[name] = h
	}
	if err := s.Engine.Resume(ctx); err != nil {
		s.stopBackground()
		table.Close()
		return nil, fmt.Errorf("resume executions: %w", err)
	}
	return s, nil
}

// sendNow is the local queue without Options.Background: a survey is sent
// before the request returns; if that fails, the sweeper sends it later,
// as it would after a lost SQS message.
type sendNow struct{ s *Server }

func (q sendNow) EnqueueSend(ctx context.Context, surveyID string) error {
	return q.s.App.Send(ctx, surveyID)
}

// RunDue runs the timers that are due on the virtual clock: workflow
// waits and timeouts, then the sweeper.
func (s *Server) RunDue(ctx context.Context) {
	s.ticking.Add(1)
	defer s.ticking.Add(-1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.Engine.Tick(ctx); err != nil {
		s.log.WarnContext(ctx, "workflow tick", "err", err)
	}
	for range 10 { // a sweep can make more work due (a settled answer starts a loop)
		res, err := s.App.Sweep(ctx)
		if err != nil {
			s.log.WarnContext(ctx, "sweep", "err", err)
			return
		}
		if res.Due == res.Failed {
			return
		}
	}
}

// Settle waits until the background work (queued sends, loop runs, and a
// tick of timers and the sweeper in progress) is done, or ctx is; it
// returns ctx's error in the latter case.
func (s *Server) Settle(ctx context.Context) error {
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for s.pending() > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

// pending counts the background work not yet done.
func (s *Server) pending() int64 {
	n := s.Engine.Busy() + s.ticking.Load()
	if s.sender != nil {
		n += s.sender.pending.Load()
	}
	return n
}

// stopBackground waits for the background work and starts no more: sends
// are refused (the sweeper sends them after the next start), loop runs
// happen in their caller.
func (s *Server) stopBackground() {
	if s.sender != nil {
		s.sender.close()
	}
	s.Engine.Stop()
}

// maxSettle bounds how long moving the clock waits for background work.
const maxSettle = 10 * time.Second

// settleBeforeMoving waits for the background work before the clock moves
// on: a loop started by the last step must take its own steps at the time
// they were due, not at a later one.
func (s *Server) settleBeforeMoving(ctx context.Context) error {
	settle, cancel := context.WithTimeout(ctx, maxSettle)
	defer cancel()
	if err := s.Settle(settle); err != nil {
		return fmt.Errorf("background work still running after %s: %w", maxSettle, err)
	}
	return nil
}

// nextWakeup is the earliest of the next workflow deadline and the next
// thing the sweeper has to do.
func (s *Server) nextWakeup(ctx context.Context) (time.Time, bool) {
	next, ok := s.Engine.NextWakeup()
	due, dueOK, err := s.App.NextDue(ctx)
	if err != nil {
		s.log.WarnContext(ctx, "next due", "err", err)
	}
	if dueOK && (!ok || due.Before(next)) {
		next, ok = due, true
	}
	return next, ok
}

// Advance moves the virtual clock forward and runs everything that became
// due, in order: each workflow deadline and each sweep is reached in turn,
// so a jump of days plays out as the days would have. Work already
// accepted runs first, at the time it was accepted.
func (s *Server) Advance(ctx context.Context, d time.Duration) (time.Time, error) {
	if err := s.settleBeforeMoving(ctx); err != nil {
		return time.Time{}, err
	}
	target := s.Clock.Now().Add(d)
	for {
		next, ok := s.nextWakeup(ctx)
		if !ok || !next.Before(target) {
			break
		}
		if step := next.Sub(s.Clock.Now()); step > 0 {
			if _, err := s.Clock.Advance(step); err != nil {
				return time.Time{}, err
			}
		}
		s.RunDue(ctx)
		if err := s.settleBeforeMoving(ctx); err != nil {
			return time.Time{}, err
		}
	}
	if step := target.Sub(s.Clock.Now()); step > 0 {
		if _, err := s.Clock.Advance(step); err != nil {
			return time.Time{}, err
		}
	}
	s.RunDue(ctx)
	return s.Clock.Now(), nil
}

// Close stops serving and closes the store; waiting loops stay on disk.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.http.Shutdown(ctx)
	s.cancel()
	s.wg.Wait()
	s.stopBackground()
	return errors.Join(err, s.table.Close())
}

// loadOrCreate reads a secret kept in a file, creating it once.
func loadOrCreate(path string, create func() (string, error)) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	v, err := create()
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(path, []byte(v+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return v, nil
}
