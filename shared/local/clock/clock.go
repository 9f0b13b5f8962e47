// Package clock is cxloop dev's virtual clock: the machine's clock plus an
// offset that can be moved forward, so SLAs, reminders and expiries can be
// shown in a minute. (In AWS the functions read the system clock.)
package clock

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Virtual is the machine's clock plus an offset that only grows. The
// offset is persisted, so a restart never moves time backwards.
type Virtual struct {
	mu     sync.Mutex
	offset time.Duration
	path   string
	now    func() time.Time
}

type state struct {
	Offset string `json:"offset"`
}

// OpenVirtual loads the offset kept at path ("" keeps it in memory only).
func OpenVirtual(path string) (*Virtual, error) {
	v := &Virtual{path: path, now: time.Now}
	if path == "" {
		return v, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return v, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read clock %s: %w", path, err)
	}
	var s state
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("read clock %s: %w", path, err)
	}
	if v.offset, err = time.ParseDuration(s.Offset); err != nil {
		return nil, fmt.Errorf("read clock %s: %w", path, err)
	}
	return v, nil
}

// Now returns the virtual time.
func (v *Virtual) Now() time.Time {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.now().UTC().Add(v.offset)
}

// Offset is how far the clock is ahead of the machine's.
func (v *Virtual) Offset() time.Duration {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.offset
}

// Advance moves the clock forward by d and persists the new offset.
func (v *Virtual) Advance(d time.Duration) (time.Time, error) {
	if d <= 0 {
		return time.Time{}, fmt.Errorf("the clock only moves forward: %s is not positive", d)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	next := v.offset + d
	if v.path != "" {
		b, _ := json.Marshal(state{Offset: next.String()})
		if err := writeFileAtomic(v.path, b); err != nil {
			return time.Time{}, fmt.Errorf("save clock: %w", err)
		}
	}
	v.offset = next
	return v.now().UTC().Add(next), nil
}

// writeFileAtomic replaces path with b so a crash leaves the old or the
// new content, never a torn file.
func writeFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".clock-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
