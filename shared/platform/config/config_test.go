package config_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/domain/survey"
	"github.com/cxloop/cxloop/shared/platform/config"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestAppDefaults(t *testing.T) {
	t.Parallel()
	got, err := config.App(env(nil))
	if err != nil {
		t.Fatalf("App with no variables: %v", err)
	}
	if want := app.DefaultConfig(); !reflect.DeepEqual(got, want) {
		t.Errorf("App with no variables:\n got %+v\nwant %+v", got, want)
	}
	// The brief's defaults, spelled out.
	switch {
	case got.Loop.SLA != 48*time.Hour,
		got.Survey.Throttle != 30*24*time.Hour,
		got.Survey.ThrottleScope != survey.PerPerson,
		got.Survey.RemindAfter != 72*time.Hour,
		got.Survey.ExpireAfter != 14*24*time.Hour,
		got.Survey.QuietFrom != 21, got.Survey.QuietUntil != 8,
		got.Survey.Thresholds[survey.NPS] != 6, got.Survey.Thresholds[survey.CSAT] != 2, got.Survey.Thresholds[survey.CES] != 3,
		got.FallbackOwnerID != "":
		t.Errorf("defaults differ from the brief: %+v", got)
	}
}

func TestAppEachVariable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, value string
		check       func(app.Config) bool
	}{
		{"CXLOOP_ORG_NAME", "Acme Ltd", func(c app.Config) bool { return c.Org == "Acme Ltd" }},
		{"CXLOOP_BASE_URL", "https://cx.example.com", func(c app.Config) bool { return c.BaseURL == "https://cx.example.com" }},
		{"CXLOOP_FALLBACK_OWNER_ID", "dana", func(c app.Config) bool { return c.FallbackOwnerID == "dana" }},
		{"CXLOOP_SLA_HOURS", "24", func(c app.Config) bool { return c.Loop.SLA == 24*time.Hour }},
		{"CXLOOP_SLA_HOURS", "1.5", func(c app.Config) bool { return c.Loop.SLA == 90*time.Minute }},
		{"CXLOOP_ESCALATE_EVERY_HOURS", "12", func(c app.Config) bool { return c.Loop.EscalateEvery == 12*time.Hour }},
		{"CXLOOP_MAX_ESCALATIONS", "4", func(c app.Config) bool { return c.Loop.MaxEscalations == 4 }},
		{"CXLOOP_RECOVERY_AFTER_HOURS", "0", func(c app.Config) bool { return c.Loop.RecoveryAfter == 0 }},
		{"CXLOOP_RECOVERY_AFTER_HOURS", "96", func(c app.Config) bool { return c.Loop.RecoveryAfter == 96*time.Hour }},
		{"CXLOOP_ROOT_CAUSES", " billing, delivery ,,product ", func(c app.Config) bool {
			return slices.Equal(c.Loop.RootCauses, []string{"billing", "delivery", "product"})
		}},
		{"CXLOOP_THROTTLE_DAYS", "7", func(c app.Config) bool { return c.Survey.Throttle == 7*24*time.Hour }},
		{"CXLOOP_THROTTLE_DAYS", "0", func(c app.Config) bool { return c.Survey.Throttle == 0 }},
		{"CXLOOP_THROTTLE_SCOPE", "account", func(c app.Config) bool { return c.Survey.ThrottleScope == survey.PerAccount }},
		{"CXLOOP_REMIND_AFTER_HOURS", "48", func(c app.Config) bool { return c.Survey.RemindAfter == 48*time.Hour }},
		{"CXLOOP_EXPIRE_AFTER_DAYS", "7", func(c app.Config) bool { return c.Survey.ExpireAfter == 7*24*time.Hour }},
		{"CXLOOP_QUIET_HOURS", "22-7", func(c app.Config) bool { return c.Survey.QuietFrom == 22 && c.Survey.QuietUntil == 7 }},
		{"CXLOOP_QUIET_HOURS", " 20 - 9 ", func(c app.Config) bool { return c.Survey.QuietFrom == 20 && c.Survey.QuietUntil == 9 }},
		{"CXLOOP_QUIET_HOURS", "0-0", func(c app.Config) bool { return c.Survey.QuietFrom == 0 && c.Survey.QuietUntil == 0 }},
		{"CXLOOP_UNHAPPY_THRESHOLDS", "nps=5, csat=1", func(c app.Config) bool {
			th := c.Survey.Thresholds
			return th[survey.NPS] == 5 && th[survey.CSAT] == 1 && th[survey.CES] == 3
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			t.Parallel()
			if _, ok := config.Variables[tt.name]; !ok {
				t.Errorf("%s is read but not listed in config.Variables", tt.name)
			}
			got, err := config.App(env(map[string]string{tt.name: tt.value}))
			if err != nil {
				t.Fatalf("App: %v", err)
			}
			if !tt.check(got) {
				t.Errorf("%s=%q not applied: %+v", tt.name, tt.value, got)
			}
		})
	}
}

// Reading one variable must not change the defaults another caller sees.
func TestAppDoesNotShareDefaults(t *testing.T) {
	t.Parallel()
	if _, err := config.App(env(map[string]string{"CXLOOP_UNHAPPY_THRESHOLDS": "nps=2"})); err != nil {
		t.Fatal(err)
	}
	if got := app.DefaultConfig().Survey.Thresholds[survey.NPS]; got != 6 {
		t.Errorf("default NPS threshold became %d", got)
	}
}

// Every bad value fails start-up with an error naming the variable and its value.
func TestAppBadValueNamed(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, value string }{
		{"CXLOOP_SLA_HOURS", "two days"},
		{"CXLOOP_SLA_HOURS", "-1"},
		{"CXLOOP_ESCALATE_EVERY_HOURS", "x"},
		{"CXLOOP_MAX_ESCALATIONS", "1.5"},
		{"CXLOOP_MAX_ESCALATIONS", "many"},
		{"CXLOOP_RECOVERY_AFTER_HOURS", "soon"},
		{"CXLOOP_THROTTLE_DAYS", "30d"},
		{"CXLOOP_THROTTLE_DAYS", "-3"},
		{"CXLOOP_REMIND_AFTER_HOURS", "3 days"},
		{"CXLOOP_EXPIRE_AFTER_DAYS", "two weeks"},
		{"CXLOOP_QUIET_HOURS", "21"},
		{"CXLOOP_QUIET_HOURS", "nine-eight"},
		{"CXLOOP_QUIET_HOURS", "21:00-08:00"},
		{"CXLOOP_UNHAPPY_THRESHOLDS", "nps"},
		{"CXLOOP_UNHAPPY_THRESHOLDS", "nps=six"},
		{"CXLOOP_UNHAPPY_THRESHOLDS", "stars=3"},
		{"CXLOOP_UNHAPPY_THRESHOLDS", "nps=6;csat=2"},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			t.Parallel()
			checkNamed(t, tt.name, tt.value)
		})
	}
}

// Numbers that are not finite or do not fit a time.Duration must be
// refused, not wrapped around: NaN or 1e300 days used to become a throttle
// of 0 (every interaction surveyed), 300000 days one of about 236 years.
func TestAppOutOfRangeNumbersRefused(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, value string }{
		{"CXLOOP_THROTTLE_DAYS", "NaN"},
		{"CXLOOP_THROTTLE_DAYS", "1e300"},
		{"CXLOOP_THROTTLE_DAYS", "300000"},
		{"CXLOOP_THROTTLE_DAYS", "+Inf"},
		{"CXLOOP_EXPIRE_AFTER_DAYS", "NaN"},
		{"CXLOOP_RECOVERY_AFTER_HOURS", "NaN"},
		{"CXLOOP_SLA_HOURS", "Inf"},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			t.Parallel()
			checkNamed(t, tt.name, tt.value)
		})
	}
}

// Values that parse but cannot work must also name the variable, as the
// package promises ("failing fast with the name of any variable that is
// wrong").
func TestAppInvalidValueNamed(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, value string }{
		{"CXLOOP_BASE_URL", "cx.example.com"},
		{"CXLOOP_SLA_HOURS", "0"},
		{"CXLOOP_ESCALATE_EVERY_HOURS", "0"},
		{"CXLOOP_MAX_ESCALATIONS", "0"},
		{"CXLOOP_ROOT_CAUSES", " , "},
		{"CXLOOP_THROTTLE_SCOPE", "team"},
		{"CXLOOP_REMIND_AFTER_HOURS", "400"}, // after the 14-day expiry
		{"CXLOOP_EXPIRE_AFTER_DAYS", "0"},
		{"CXLOOP_QUIET_HOURS", "25-8"},
		{"CXLOOP_UNHAPPY_THRESHOLDS", "nps=10"},
		{"CXLOOP_UNHAPPY_THRESHOLDS", "csat=0"},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			t.Parallel()
			checkNamed(t, tt.name, tt.value)
		})
	}
}

func checkNamed(t *testing.T, name, value string) {
	t.Helper()
	c, err := config.App(env(map[string]string{name: value}))
	if err == nil {
		t.Fatalf("%s=%q accepted: %+v", name, value, c)
	}
	if !strings.Contains(err.Error(), name) {
		t.Errorf("error %q does not name %s", err, name)
	}
	if !strings.Contains(err.Error(), strings.TrimSpace(value)) {
		t.Errorf("error %q does not show the value %q", err, value)
	}
}

func TestVariablesDocumented(t *testing.T) {
	t.Parallel()
	for name, doc := range config.Variables {
		if !strings.HasPrefix(name, "CXLOOP_") || strings.TrimSpace(doc) == "" {
			t.Errorf("variable %s: %q", name, doc)
		}
	}
}
