package clock

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

var base = time.Date(2026, 5, 12, 9, 0, 0, 0, time.UTC)

// fixed returns a Virtual over a frozen machine clock.
func fixed(t *testing.T, path string) *Virtual {
	t.Helper()
	v, err := OpenVirtual(path)
	if err != nil {
		t.Fatalf("OpenVirtual(%q): %v", path, err)
	}
	v.now = func() time.Time { return base }
	return v
}

func TestVirtualAdvance(t *testing.T) {
	t.Parallel()
	v := fixed(t, "")
	if got := v.Now(); !got.Equal(base) || got.Location() != time.UTC {
		t.Fatalf("Now = %v, want %v UTC", got, base)
	}
	got, err := v.Advance(49 * time.Hour)
	if err != nil || !got.Equal(base.Add(49*time.Hour)) {
		t.Fatalf("Advance(49h) = %v, %v", got, err)
	}
	if _, err := v.Advance(10 * time.Minute); err != nil {
		t.Fatal(err)
	}
	if got := v.Offset(); got != 49*time.Hour+10*time.Minute {
		t.Errorf("Offset = %s", got)
	}
	if got := v.Now(); !got.Equal(base.Add(49*time.Hour + 10*time.Minute)) {
		t.Errorf("Now = %v", got)
	}
}

func TestVirtualOnlyMovesForward(t *testing.T) {
	t.Parallel()
	v := fixed(t, "")
	for _, d := range []time.Duration{0, -time.Nanosecond, -time.Hour} {
		if _, err := v.Advance(d); err == nil {
			t.Errorf("Advance(%s) accepted", d)
		}
	}
	if v.Offset() != 0 {
		t.Errorf("refused advances moved the clock: %s", v.Offset())
	}
}

func TestVirtualPersists(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "clock.json")
	v := fixed(t, path)
	if v.Offset() != 0 {
		t.Fatalf("new clock offset = %s", v.Offset())
	}
	if _, err := v.Advance(721 * time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Advance(90 * time.Second); err != nil {
		t.Fatal(err)
	}
	again := fixed(t, path)
	if got, want := again.Offset(), 721*time.Hour+90*time.Second; got != want {
		t.Errorf("reopened offset = %s, want %s", got, want)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestOpenVirtualCorrupt(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, content := range map[string]string{
		"notjson.json": "offset=3h",
		"badoffset":    `{"offset":"three hours"}`,
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := OpenVirtual(path); err == nil {
			t.Errorf("OpenVirtual(%s) accepted %q", name, content)
		}
	}
}

func TestVirtualAdvanceUnwritable(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "missing-dir", "clock.json")
	v := fixed(t, path)
	if _, err := v.Advance(time.Hour); err == nil {
		t.Fatal("Advance saved to a directory that does not exist")
	}
	if v.Offset() != 0 {
		t.Errorf("a failed save still moved the clock to %s", v.Offset())
	}
}
