// Package app is cxloop's application core: it takes interactions, asks
// people, records their answers and starts the closed loop, using the
// domain packages for every rule and the ports for everything outside.
// HTTP handlers, Lambda handlers and the local dev server all call it.
package app

import (
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/cxloop/cxloop/shared/core/store"
	"github.com/cxloop/cxloop/shared/domain/loop"
	"github.com/cxloop/cxloop/shared/domain/survey"
	"github.com/cxloop/cxloop/shared/domain/token"
)

// Config is the deployment's configuration of the core.
type Config struct {
	Org string // the organisation's name, as customers know it
	// BaseURL is where the survey, unsubscribe and task pages are served.
	BaseURL         string
	Survey          survey.Config
	FallbackOwnerID string
	// SendClaim is how long a sender holds a survey before another may retry it.
	SendClaim time.Duration
	// TaskLinkTTL is how long an owner's task link works.
	TaskLinkTTL time.Duration
	Loop        loop.Policy
	// SMSKeywords says who answers STOP and HELP texts.
	SMSKeywords SMSKeywords
	// InitialAPIKey is the deployment's configured key (CXLOOP_API_KEY):
	// the first admin key. Empty: only keys made through the API work.
	InitialAPIKey string
	// SMSOff: the deployment has no SMS sender (no origination identity).
	// SMS interactions are then skipped with survey.SMSNotConfigured, SMS
	// surveys scheduled earlier are cancelled instead of sent, and a note
	// to a customer reachable only by SMS is not attempted; email works
	// as ever.
	SMSOff bool
}

// SMSKeywords says who answers the STOP and HELP keywords.
type SMSKeywords string

// Who answers keywords.
const (
	// KeywordsProvider: AWS End User Messaging answers STOP and HELP and
	// keeps its opt-out list (its default); cxloop records the opt-out
	// and sends no keyword reply of its own.
	KeywordsProvider SMSKeywords = "provider"
	// KeywordsCxloop: cxloop answers them (self-managed opt-outs at the
	// provider, and cxloop dev, which has no provider).
	KeywordsCxloop SMSKeywords = "cxloop"
)

// DefaultConfig returns the brief's defaults.
func DefaultConfig() Config {
	return Config{
		Org:         "Example Co",
		BaseURL:     "http://127.0.0.1:8080",
		Survey:      survey.DefaultConfig(),
		SendClaim:   2 * time.Minute,
		TaskLinkTTL: 30 * 24 * time.Hour,
		Loop:        loop.DefaultPolicy(),
		SMSKeywords: KeywordsCxloop,
	}
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("base URL %q must be an absolute http(s) URL", c.BaseURL)
	}
	if c.Org == "" {
		return fmt.Errorf("organisation name is empty")
	}
	if c.SendClaim <= 0 || c.TaskLinkTTL <= 0 {
		return fmt.Errorf("send claim and task link lifetime must be positive")
	}
	if c.SMSKeywords != KeywordsProvider && c.SMSKeywords != KeywordsCxloop {
		return fmt.Errorf("SMS keywords must be answered by %q or %q, not %q", KeywordsProvider, KeywordsCxloop, c.SMSKeywords)
	}
	if err := c.Loop.Validate(); err != nil {
		return err
	}
	return c.Survey.Validate()
}

// Deps are the ports the core uses.
type Deps struct {
	Store    *store.Store
	Mailer   Mailer
	Texter   Texter
	Workflow Workflow
	Queue    Queue
	Clock    Clock
	Signer   *token.Signer
	Logger   *slog.Logger
	// Validator checks inputs from outside. Only functions that take such
	// input need it: without one, the methods that validate return an
	// Internal error instead of skipping the check.
	Validator Validator
}

// App is the application core.
type App struct {
	cfg        Config
	store      *store.Store
	mail       Mailer
	sms        Texter
	flow       Workflow
	queue      Queue
	clock      Clock
	signer     *token.Signer
	log        *slog.Logger
	policy     survey.Policy
	loopPolicy loop.Policy
	validate   Validator
}

// New returns the core, or an error naming what is missing or wrong.
func New(cfg Config, d Deps) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	switch {
	case d.Store == nil, d.Mailer == nil, d.Texter == nil, d.Workflow == nil, d.Queue == nil, d.Clock == nil, d.Signer == nil:
		return nil, fmt.Errorf("app: every port must be set")
	}
	log := d.Logger
	if log == nil {
		log = slog.Default()
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return &App{
		cfg: cfg, store: d.Store, mail: d.Mailer, sms: d.Texter, flow: d.Workflow,
		queue: d.Queue, clock: d.Clock, signer: d.Signer, log: log,
		policy: survey.Policy{Config: cfg.Survey}, loopPolicy: cfg.Loop, validate: d.Validator,
	}, nil
}

// Config returns the core's configuration.
func (a *App) Config() Config { return a.cfg }

// Store returns the typed store, for read-only views.
func (a *App) Store() *store.Store { return a.store }

// Now is the current time on the app's clock.
func (a *App) Now() time.Time { return a.clock.Now().UTC() }

// Ids derived from other ids make every step of a flow idempotent: a retry
// computes the same survey for the same interaction, the same response for
// the same survey, the same task and execution for the same response.
func derive(prefix, from string) string {
	sum := sha256.Sum256([]byte(from))
	return prefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:15]))
}

// SurveyID is the survey for an interaction.
func SurveyID(interactionID string) string { return derive("sv_", "interaction:"+interactionID) }

// ResponseID is the one response a survey can have.
func ResponseID(surveyID string) string { return "rs_" + strings.TrimPrefix(surveyID, "sv_") }

// TaskID is the follow-up task of an unhappy response.
func TaskID(responseID string) string { return "tk_" + strings.TrimPrefix(responseID, "rs_") }

// ExecutionName is the closed-loop execution of a response.
func ExecutionName(responseID string) string { return "loop-" + strings.TrimPrefix(responseID, "rs_") }

// RecoverySurveyID is the recovery check asked after a task closed.
func RecoverySurveyID(taskID string) string { return derive("sv_", "recovery:"+taskID) }

// link builds an absolute URL of a signed page.
func (a *App) link(p token.Purpose, subject string, ttl time.Duration) string {
	return a.cfg.BaseURL + "/" + string(p) + "/" + a.signer.Sign(p, subject, a.Now().Add(ttl))
}
