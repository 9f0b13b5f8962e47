// Package survey holds the rules of asking: survey kinds and their scales,
// what counts as unhappy, whether and when a person may be asked, and how a
// click on a score link becomes (or does not become) an answer.
package survey

import (
	"fmt"
	"time"
)

// Kind is a survey question type.
type Kind string

// Survey kinds. Recovery is the single follow-up question asked after an
// owner closed the loop ("Did {owner} put things right?": 0 no, 1 yes).
const (
	NPS      Kind = "nps"
	CSAT     Kind = "csat"
	CES      Kind = "ces"
	Recovery Kind = "recovery"
)

// Scale is the inclusive score range of a kind.
type Scale struct{ Min, Max int }

// Scale returns the kind's score range.
func (k Kind) Scale() Scale {
	switch k {
	case NPS:
		return Scale{0, 10}
	case CSAT:
		return Scale{1, 5}
	case CES:
		return Scale{1, 7}
	case Recovery:
		return Scale{0, 1}
	}
	return Scale{}
}

// Valid reports whether k is a kind customers can be asked.
func (k Kind) Valid() bool { return k.Scale() != Scale{} }

// Contains reports whether score is on the kind's scale.
func (k Kind) Contains(score int) bool {
	s := k.Scale()
	return k.Valid() && score >= s.Min && score <= s.Max
}

// Scores lists the scale's scores in ascending order.
func (k Kind) Scores() []int {
	s := k.Scale()
	out := make([]int, 0, s.Max-s.Min+1)
	for i := s.Min; i <= s.Max && k.Valid(); i++ {
		out = append(out, i)
	}
	return out
}

// Channel is how a person is reached.
type Channel string

// Channels.
const (
	Email Channel = "email"
	SMS   Channel = "sms"
)

// Thresholds holds, per kind, the highest score that counts as unhappy.
type Thresholds map[Kind]int

// DefaultThresholds are the brief's: NPS detractors 0–6, CSAT 1–2, CES 1–3.
func DefaultThresholds() Thresholds {
	return Thresholds{NPS: 6, CSAT: 2, CES: 3}
}

// Unhappy reports whether score is an unhappy answer. Recovery answers never
// are: a "no" is counted in the recovery rate, not looped again.
func (t Thresholds) Unhappy(k Kind, score int) bool {
	if k == Recovery {
		return false
	}
	max, ok := t[k]
	return ok && score <= max
}

// Validate checks every survey kind has a threshold inside its scale.
func (t Thresholds) Validate() error {
	for _, k := range []Kind{NPS, CSAT, CES} {
		v, ok := t[k]
		if !ok {
			return fmt.Errorf("unhappy threshold for %s is missing", k)
		}
		s := k.Scale()
		if v < s.Min || v >= s.Max {
			return fmt.Errorf("unhappy threshold for %s is %d; it must be in %d..%d so some answers are happy", k, v, s.Min, s.Max-1)
		}
	}
	return nil
}

// Config carries the configurable timings of asking.
type Config struct {
	Thresholds    Thresholds
	Throttle      time.Duration // a person is asked at most once per Throttle
	ThrottleScope Scope
	RemindAfter   time.Duration // one reminder to non-responders
	ExpireAfter   time.Duration // answers after this are refused
	QuietFrom     int           // SMS quiet hours start, local hour (21)
	QuietUntil    int           // SMS quiet hours end, local hour (8)
}

// Scope says whom the throttle counts surveys for.
type Scope string

// Throttle scopes.
const (
	PerPerson  Scope = "person"
	PerAccount Scope = "account"
)

// DefaultConfig returns the brief's defaults.
func DefaultConfig() Config {
	return Config{
		Thresholds:    DefaultThresholds(),
		Throttle:      30 * 24 * time.Hour,
		ThrottleScope: PerPerson,
		RemindAfter:   3 * 24 * time.Hour,
		ExpireAfter:   14 * 24 * time.Hour,
		QuietFrom:     21,
		QuietUntil:    8,
	}
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	if err := c.Thresholds.Validate(); err != nil {
		return err
	}
	switch {
	case c.Throttle < 0:
		return fmt.Errorf("throttle must not be negative")
	case c.ThrottleScope != PerPerson && c.ThrottleScope != PerAccount:
		return fmt.Errorf("throttle scope %q must be %q or %q", c.ThrottleScope, PerPerson, PerAccount)
	case c.ExpireAfter <= 0:
		return fmt.Errorf("expiry must be positive")
	case c.RemindAfter <= 0 || c.RemindAfter >= c.ExpireAfter:
		return fmt.Errorf("reminder (%s) must come before expiry (%s)", c.RemindAfter, c.ExpireAfter)
	case c.QuietFrom < 0 || c.QuietFrom > 23 || c.QuietUntil < 0 || c.QuietUntil > 23:
		return fmt.Errorf("quiet hours must be hours 0..23")
	}
	return nil
}
