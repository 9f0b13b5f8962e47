package survey

import "time"

// Mail security scanners fetch every link of a message within seconds, so a
// score link is only a provisional answer. These windows tell a person from
// a scanner.
const (
	// ScannerWindow: different score links opened this close together are a scanner.
	ScannerWindow = time.Minute
	// SettleAfter: a lone score click with nothing after it for this long is final.
	SettleAfter = 10 * time.Minute
)

// Click is one fetch of a score link.
type Click struct {
	Score int       `json:"score"`
	At    time.Time `json:"at"`
}

// Clicks is the history of score-link fetches of one survey message.
type Clicks []Click

// scannerMarks reports, per click, whether it was part of a scanner burst:
// another click of a different score within ScannerWindow of it.
func (c Clicks) scannerMarks() []bool {
	marks := make([]bool, len(c))
	for i := range c {
		for j := range c {
			if i != j && c[i].Score != c[j].Score && absDuration(c[i].At.Sub(c[j].At)) <= ScannerWindow {
				marks[i] = true
				break
			}
		}
	}
	return marks
}

// Scanner reports whether the clicks show the scanner pattern.
func (c Clicks) Scanner() bool {
	for _, m := range c.scannerMarks() {
		if m {
			return true
		}
	}
	return false
}

// Settled returns the score a person chose by clicking alone: exactly one
// distinct score among the clicks that were not part of a scanner burst, and
// no click at all for SettleAfter since the last one. It also returns when
// that will be (or was) the case, so a timer can be set.
func (c Clicks) Settled(now time.Time) (score int, at time.Time, ok bool) {
	if len(c) == 0 {
		return 0, time.Time{}, false
	}
	marks := c.scannerMarks()
	distinct := map[int]bool{}
	var last time.Time
	for i, k := range c {
		if k.At.After(last) {
			last = k.At
		}
		if !marks[i] {
			distinct[k.Score] = true
			score = k.Score
		}
	}
	if len(distinct) != 1 {
		return 0, time.Time{}, false
	}
	at = last.Add(SettleAfter)
	return score, at, !now.Before(at)
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
