package survey_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/domain/survey"
)

func TestKindScale(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind   survey.Kind
		scale  survey.Scale
		valid  bool
		scores []int
	}{
		{survey.NPS, survey.Scale{Min: 0, Max: 10}, true, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{survey.CSAT, survey.Scale{Min: 1, Max: 5}, true, []int{1, 2, 3, 4, 5}},
		{survey.CES, survey.Scale{Min: 1, Max: 7}, true, []int{1, 2, 3, 4, 5, 6, 7}},
		{survey.Recovery, survey.Scale{Min: 0, Max: 1}, true, []int{0, 1}},
		{"", survey.Scale{}, false, []int{}},
		{"NPS", survey.Scale{}, false, []int{}},
		{"star", survey.Scale{}, false, []int{}},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			t.Parallel()
			if got := tt.kind.Scale(); got != tt.scale {
				t.Errorf("Scale() = %+v, want %+v", got, tt.scale)
			}
			if got := tt.kind.Valid(); got != tt.valid {
				t.Errorf("Valid() = %v, want %v", got, tt.valid)
			}
			if got := tt.kind.Scores(); !slices.Equal(got, tt.scores) {
				t.Errorf("Scores() = %v, want %v", got, tt.scores)
			}
		})
	}
}

func TestKindContains(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind  survey.Kind
		score int
		want  bool
	}{
		{survey.NPS, -1, false},
		{survey.NPS, 0, true},
		{survey.NPS, 10, true},
		{survey.NPS, 11, false},
		{survey.CSAT, 0, false},
		{survey.CSAT, 1, true},
		{survey.CSAT, 5, true},
		{survey.CSAT, 6, false},
		{survey.CES, 0, false},
		{survey.CES, 1, true},
		{survey.CES, 7, true},
		{survey.CES, 8, false},
		{survey.Recovery, 0, true},
		{survey.Recovery, 1, true},
		{survey.Recovery, 2, false},
		{"bogus", 0, false}, // the zero Scale{0,0} must not make 0 valid
	}
	for _, tt := range tests {
		if got := tt.kind.Contains(tt.score); got != tt.want {
			t.Errorf("%s.Contains(%d) = %v, want %v", tt.kind, tt.score, got, tt.want)
		}
	}
}

func TestThresholdsUnhappy(t *testing.T) {
	t.Parallel()
	d := survey.DefaultThresholds()
	tests := []struct {
		kind  survey.Kind
		score int
		want  bool
	}{
		{survey.NPS, 0, true},
		{survey.NPS, 6, true},
		{survey.NPS, 7, false},
		{survey.NPS, 10, false},
		{survey.CSAT, 1, true},
		{survey.CSAT, 2, true},
		{survey.CSAT, 3, false},
		{survey.CSAT, 5, false},
		{survey.CES, 1, true},
		{survey.CES, 3, true},
		{survey.CES, 4, false},
		{survey.CES, 7, false},
		{survey.Recovery, 0, false},
		{survey.Recovery, 1, false},
		{"bogus", 0, false},
	}
	for _, tt := range tests {
		if got := d.Unhappy(tt.kind, tt.score); got != tt.want {
			t.Errorf("DefaultThresholds().Unhappy(%s, %d) = %v, want %v", tt.kind, tt.score, got, tt.want)
		}
	}
}

// The doc promises recovery answers are never unhappy, whatever the map holds
// (config accepts "recovery=N" since Recovery is a valid kind).
func TestThresholdsUnhappyNeverForRecovery(t *testing.T) {
	t.Parallel()
	th := survey.DefaultThresholds()
	th[survey.Recovery] = 0
	if th.Unhappy(survey.Recovery, 0) {
		t.Error("Unhappy(recovery, 0) = true with a recovery threshold set; recovery answers are never unhappy")
	}
}

func TestThresholdsValidate(t *testing.T) {
	t.Parallel()
	with := func(k survey.Kind, v int) survey.Thresholds {
		th := survey.DefaultThresholds()
		th[k] = v
		return th
	}
	without := func(k survey.Kind) survey.Thresholds {
		th := survey.DefaultThresholds()
		delete(th, k)
		return th
	}
	tests := []struct {
		name    string
		th      survey.Thresholds
		wantErr string // "" for valid
	}{
		{"defaults", survey.DefaultThresholds(), ""},
		{"nps lowest", with(survey.NPS, 0), ""},
		{"nps highest allowed", with(survey.NPS, 9), ""},
		{"nps whole scale", with(survey.NPS, 10), "nps"},
		{"nps below scale", with(survey.NPS, -1), "nps"},
		{"csat below scale", with(survey.CSAT, 0), "csat"},
		{"csat highest allowed", with(survey.CSAT, 4), ""},
		{"csat whole scale", with(survey.CSAT, 5), "csat"},
		{"ces highest allowed", with(survey.CES, 6), ""},
		{"ces whole scale", with(survey.CES, 7), "ces"},
		{"nps missing", without(survey.NPS), "nps"},
		{"csat missing", without(survey.CSAT), "csat"},
		{"ces missing", without(survey.CES), "ces"},
		{"nil", nil, "missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.th.Validate()
			checkErr(t, err, tt.wantErr)
		})
	}
}

func TestDefaultThresholdsMatchBrief(t *testing.T) {
	t.Parallel()
	d := survey.DefaultThresholds()
	want := map[survey.Kind]int{survey.NPS: 6, survey.CSAT: 2, survey.CES: 3}
	for k, v := range want {
		if d[k] != v {
			t.Errorf("default threshold %s = %d, want %d", k, d[k], v)
		}
	}
	// Each call returns a fresh map: changing one must not change the defaults.
	d[survey.NPS] = 1
	if survey.DefaultThresholds()[survey.NPS] != 6 {
		t.Error("DefaultThresholds shares its map between calls")
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	mod := func(f func(*survey.Config)) survey.Config {
		c := survey.DefaultConfig()
		f(&c)
		return c
	}
	tests := []struct {
		name    string
		cfg     survey.Config
		wantErr string
	}{
		{"defaults", survey.DefaultConfig(), ""},
		{"no throttle", mod(func(c *survey.Config) { c.Throttle = 0 }), ""},
		{"per account", mod(func(c *survey.Config) { c.ThrottleScope = survey.PerAccount }), ""},
		{"quiet hours off", mod(func(c *survey.Config) { c.QuietFrom, c.QuietUntil = 0, 0 }), ""},
		{"bad threshold", mod(func(c *survey.Config) { c.Thresholds[survey.NPS] = 10 }), "nps"},
		{"negative throttle", mod(func(c *survey.Config) { c.Throttle = -time.Hour }), "throttle"},
		{"bad scope", mod(func(c *survey.Config) { c.ThrottleScope = "team" }), "team"},
		{"empty scope", mod(func(c *survey.Config) { c.ThrottleScope = "" }), "scope"},
		{"zero expiry", mod(func(c *survey.Config) { c.ExpireAfter = 0 }), "expiry"},
		{"zero reminder", mod(func(c *survey.Config) { c.RemindAfter = 0 }), "reminder"},
		{"reminder at expiry", mod(func(c *survey.Config) { c.RemindAfter = c.ExpireAfter }), "reminder"},
		{"reminder after expiry", mod(func(c *survey.Config) { c.RemindAfter = c.ExpireAfter + time.Hour }), "reminder"},
		{"quiet from 24", mod(func(c *survey.Config) { c.QuietFrom = 24 }), "quiet"},
		{"quiet until -1", mod(func(c *survey.Config) { c.QuietUntil = -1 }), "quiet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkErr(t, tt.cfg.Validate(), tt.wantErr)
		})
	}
}

func TestDefaultConfigMatchesBrief(t *testing.T) {
	t.Parallel()
	c := survey.DefaultConfig()
	if c.Throttle != 30*24*time.Hour || c.ThrottleScope != survey.PerPerson ||
		c.RemindAfter != 72*time.Hour || c.ExpireAfter != 14*24*time.Hour ||
		c.QuietFrom != 21 || c.QuietUntil != 8 {
		t.Errorf("DefaultConfig() = %+v, want the brief's 30d per person, remind 3d, expire 14d, quiet 21-8", c)
	}
}

// checkErr wants no error when want is "", else an error containing want.
func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("unexpected error: %v", err)
	case want != "" && err == nil:
		t.Errorf("no error, want one mentioning %q", want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Errorf("error %q does not mention %q", err, want)
	}
}
