// Package config reads cxloop's configuration from the environment, once,
// at start-up, failing fast with the name of any variable that is wrong.
package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cxloop/cxloop/shared/app"
	"github.com/cxloop/cxloop/shared/survey"
)

// Variables lists every variable App reads, with its meaning, for the
// README and the template check.
var Variables = map[string]string{
	"CXLOOP_ORG_NAME":             "organisation name customers know (Example Co)",
	"CXLOOP_BASE_URL":             "public base URL of the survey, unsubscribe and task pages",
	"CXLOOP_FALLBACK_OWNER_ID":    "person who follows up when an account has no owner",
	"CXLOOP_SLA_HOURS":            "follow-up due time after an unhappy answer (48)",
	"CXLOOP_ESCALATE_EVERY_HOURS": "time between escalation levels after the due time (24)",
	"CXLOOP_MAX_ESCALATIONS":      "escalation levels before the task just stays overdue (2)",
	"CXLOOP_RECOVERY_AFTER_HOURS": "delay before the optional recovery check (72)",
	"CXLOOP_ROOT_CAUSES":          "comma-separated root causes owners choose from",
	"CXLOOP_THROTTLE_DAYS":        "ask a person at most once per this many days (30)",
	"CXLOOP_THROTTLE_SCOPE":       "person or account (person)",
	"CXLOOP_REMIND_AFTER_HOURS":   "one reminder to non-responders after (72)",
	"CXLOOP_EXPIRE_AFTER_DAYS":    "surveys stop taking answers after (14)",
	"CXLOOP_QUIET_HOURS":          "SMS quiet hours in the customer's timezone, from-until (21-8)",
	"CXLOOP_UNHAPPY_THRESHOLDS":   "highest unhappy score per kind (nps=6,csat=2,ces=3)",
}

// App returns the core's configuration from getenv, defaults filled in.
func App(getenv func(string) string) (app.Config, error) {
	c := app.DefaultConfig()
	r := reader{getenv: getenv}
	c.Org = r.str("CXLOOP_ORG_NAME", c.Org)
	c.BaseURL = r.str("CXLOOP_BASE_URL", c.BaseURL)
	c.FallbackOwnerID = r.str("CXLOOP_FALLBACK_OWNER_ID", "")
	c.Loop.SLA = r.hours("CXLOOP_SLA_HOURS", c.Loop.SLA)
	c.Loop.EscalateEvery = r.hours("CXLOOP_ESCALATE_EVERY_HOURS", c.Loop.EscalateEvery)
	c.Loop.MaxEscalations = r.int("CXLOOP_MAX_ESCALATIONS", c.Loop.MaxEscalations)
	c.Loop.RecoveryAfter = r.hours("CXLOOP_RECOVERY_AFTER_HOURS", c.Loop.RecoveryAfter)
	if v := getenv("CXLOOP_ROOT_CAUSES"); v != "" {
		c.Loop.RootCauses = nil
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				c.Loop.RootCauses = append(c.Loop.RootCauses, s)
			}
		}
	}
	c.Survey.Throttle = r.hours("CXLOOP_THROTTLE_DAYS", c.Survey.Throttle/24) * 24
	c.Survey.ThrottleScope = survey.Scope(r.str("CXLOOP_THROTTLE_SCOPE", string(c.Survey.ThrottleScope)))
	c.Survey.RemindAfter = r.hours("CXLOOP_REMIND_AFTER_HOURS", c.Survey.RemindAfter)
	c.Survey.ExpireAfter = r.hours("CXLOOP_EXPIRE_AFTER_DAYS", c.Survey.ExpireAfter/24) * 24
	if v := getenv("CXLOOP_QUIET_HOURS"); v != "" {
		from, until, ok := strings.Cut(v, "-")
		f, err1 := strconv.Atoi(strings.TrimSpace(from))
		u, err2 := strconv.Atoi(strings.TrimSpace(until))
		if !ok || err1 != nil || err2 != nil {
			r.fail("CXLOOP_QUIET_HOURS", v, "from-until hours, like 21-8")
		}
		c.Survey.QuietFrom, c.Survey.QuietUntil = f, u
	}
	if v := getenv("CXLOOP_UNHAPPY_THRESHOLDS"); v != "" {
		for _, kv := range strings.Split(v, ",") {
			k, n, ok := strings.Cut(strings.TrimSpace(kv), "=")
			score, err := strconv.Atoi(n)
			if !ok || err != nil || !survey.Kind(k).Valid() {
				r.fail("CXLOOP_UNHAPPY_THRESHOLDS", v, "kind=score pairs, like nps=6,csat=2,ces=3")
				break
			}
			c.Survey.Thresholds[survey.Kind(k)] = score
		}
	}
	if r.err != nil {
		return app.Config{}, r.err
	}
	if err := c.Validate(); err != nil {
		return app.Config{}, fmt.Errorf("config: %w", err)
	}
	return c, nil
}

type reader struct {
	getenv func(string) string
	err    error
}

func (r *reader) fail(name, v, want string) {
	if r.err == nil {
		r.err = fmt.Errorf("config: %s=%q: want %s", name, v, want)
	}
}

func (r *reader) str(name, def string) string {
	if v := r.getenv(name); v != "" {
		return v
	}
	return def
}

// hours reads a number of hours (or days, scaled by the caller); def and
// the result are durations in hours.
func (r *reader) hours(name string, def time.Duration) time.Duration {
	v := r.getenv(name)
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 {
		r.fail(name, v, "a non-negative number")
		return def
	}
	return time.Duration(f * float64(time.Hour))
}

func (r *reader) int(name string, def int) int {
	v := r.getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		r.fail(name, v, "a whole number")
		return def
	}
	return n
}
