// Package config reads cxloop's configuration from the environment, once,
// at start-up, failing fast with the name of any variable that is wrong.
package config

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/domain/survey"
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
	"CXLOOP_SMS_KEYWORDS":         "who answers STOP and HELP texts: provider (End User Messaging, its default) or cxloop (self-managed opt-outs) (cxloop)",
}

// App returns the core's configuration from getenv, defaults filled in.
// An error names the variable and value at fault.
func App(getenv func(string) string) (app.Config, error) {
	c, err := parse(getenv)
	if err != nil {
		return app.Config{}, err
	}
	if err := c.Validate(); err != nil {
		// Find the variable that breaks the configuration on its own.
		names := make([]string, 0, len(Variables))
		for name := range Variables {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			v := getenv(name)
			if v == "" {
				continue
			}
			alone, perr := parse(func(k string) string {
				if k == name {
					return v
				}
				return ""
			})
			if perr != nil {
				continue
			}
			if verr := alone.Validate(); verr != nil {
				return app.Config{}, fmt.Errorf("config: %s=%q: %w", name, v, verr)
			}
		}
		return app.Config{}, fmt.Errorf("config: the CXLOOP_* variables do not fit together: %w", err)
	}
	return c, nil
}

func parse(getenv func(string) string) (app.Config, error) {
	c := app.DefaultConfig()
	r := reader{getenv: getenv}
	c.Org = r.str("CXLOOP_ORG_NAME", c.Org)
	c.BaseURL = r.str("CXLOOP_BASE_URL", c.BaseURL)
	c.FallbackOwnerID = r.str("CXLOOP_FALLBACK_OWNER_ID", "")
	c.Loop.SLA = r.duration("CXLOOP_SLA_HOURS", c.Loop.SLA, time.Hour)
	c.Loop.EscalateEvery = r.duration("CXLOOP_ESCALATE_EVERY_HOURS", c.Loop.EscalateEvery, time.Hour)
	c.Loop.MaxEscalations = r.int("CXLOOP_MAX_ESCALATIONS", c.Loop.MaxEscalations)
	c.Loop.RecoveryAfter = r.duration("CXLOOP_RECOVERY_AFTER_HOURS", c.Loop.RecoveryAfter, time.Hour)
	if v := getenv("CXLOOP_ROOT_CAUSES"); v != "" {
		c.Loop.RootCauses = nil
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				c.Loop.RootCauses = append(c.Loop.RootCauses, s)
			}
		}
	}
	c.Survey.Throttle = r.duration("CXLOOP_THROTTLE_DAYS", c.Survey.Throttle, day)
	c.Survey.ThrottleScope = survey.Scope(r.str("CXLOOP_THROTTLE_SCOPE", string(c.Survey.ThrottleScope)))
	c.Survey.RemindAfter = r.duration("CXLOOP_REMIND_AFTER_HOURS", c.Survey.RemindAfter, time.Hour)
	c.Survey.ExpireAfter = r.duration("CXLOOP_EXPIRE_AFTER_DAYS", c.Survey.ExpireAfter, day)
	c.SMSKeywords = app.SMSKeywords(r.str("CXLOOP_SMS_KEYWORDS", string(c.SMSKeywords)))
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
	return c, r.err
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

const day = 24 * time.Hour

// maxSetting bounds every duration setting: ten years is more than any
// survey or follow-up needs, and keeps the arithmetic far from overflow.
const maxSetting = 10 * 366 * day

// duration reads a number of units (hours or days); def is used when unset.
func (r *reader) duration(name string, def, unit time.Duration) time.Duration {
	v := r.getenv(name)
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || f < 0 || f*float64(unit) > float64(maxSetting) {
		r.fail(name, v, fmt.Sprintf("a number from 0 to %.0f", float64(maxSetting)/float64(unit)))
		return def
	}
	return time.Duration(f * float64(unit))
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
