//go:build browser

package devserver_test

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestBrowserStory runs infra/tools/browser/story.mjs against a fresh
// `cxloop dev`: real headless Chromium through the whole closed loop, by
// mouse and by keyboard, at 360 px, with axe-core audits. Screenshots and
// axe results go to $CXLOOP_ARTIFACTS, or <repo>/artifacts/browser.
//
//	go test -count=1 -tags browser -run Browser ./shared/local/devserver/
//
// Without node, the npm tools (cd infra/tools && npm ci) or Chromium
// ($CHROMIUM, default /usr/bin/chromium) the test skips, unless
// CXLOOP_REQUIRE_BROWSER=1 (as in CI), which makes it fail.
func TestBrowserStory(t *testing.T) {
	root := repoRoot(t)
	node, chromium := browserTools(t, root)

	dir := os.Getenv("CXLOOP_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(root, "artifacts", "browser")
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}

	d := startDev(t)
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join("infra", "tools", "browser", "story.mjs"), d.URL, apiKey, "--artifacts", dir)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CHROMIUM="+chromium)
	cmd.WaitDelay = 10 * time.Second
	out := &lineLogger{t: t}
	cmd.Stdout, cmd.Stderr = out, out
	t.Logf("running %s against %s", strings.Join(cmd.Args, " "), d.URL)
	err = cmd.Run()
	out.Flush()
	if ctx.Err() != nil {
		t.Fatalf("the browser story did not finish in time; screenshots so far in %s", dir)
	}
	if err != nil {
		t.Fatalf("the browser story failed (%v); see its output above, and the screenshots, axe results and summary.json in %s", err, dir)
	}
}

// repoRoot is two levels up from this package's directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Clean(filepath.Join(wd, "..", "..", ".."))
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root %s has no go.mod: %v", root, err)
	}
	return root
}

// browserTools finds node and Chromium and checks the npm tools are
// installed; it skips (or fails under CXLOOP_REQUIRE_BROWSER=1) otherwise.
func browserTools(t *testing.T, root string) (node, chromium string) {
	t.Helper()
	missing := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("CXLOOP_REQUIRE_BROWSER") == "1" {
			t.Fatalf("CXLOOP_REQUIRE_BROWSER=1 but "+format, args...)
		}
		t.Skipf("skipping the browser story: "+format, args...)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not on PATH (install Node 20)")
	}
	mods := filepath.Join(root, "infra", "tools", "node_modules")
	for _, f := range []string{"playwright-core/package.json", "axe-core/axe.min.js"} {
		if _, err := os.Stat(filepath.Join(mods, filepath.FromSlash(f))); err != nil {
			missing("%s is missing (run: cd infra/tools && npm ci)", filepath.Join(mods, filepath.FromSlash(f)))
		}
	}
	chromium = os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if st, err := os.Stat(chromium); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
		missing("Chromium is not at %s (apt-get install chromium, or set CHROMIUM)", chromium)
	}
	return node, chromium
}

// lineLogger passes the script's output to t.Log line by line, so it
// streams under -v and shows in full when the test fails.
type lineLogger struct {
	t   *testing.T
	mu  sync.Mutex
	buf []byte
}

func (l *lineLogger) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := strings.IndexByte(string(l.buf), '\n')
		if i < 0 {
			return len(p), nil
		}
		l.t.Log(string(l.buf[:i]))
		l.buf = l.buf[i+1:]
	}
}

// Flush logs a last line without a newline.
func (l *lineLogger) Flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) > 0 {
		l.t.Log(string(l.buf))
		l.buf = nil
	}
}

var _ io.Writer = (*lineLogger)(nil)
