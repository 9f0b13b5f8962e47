package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/local/devserver"
)

// The load test in its short, bounded CI form, with the work done in the
// background (as `cxloop dev` does) and before each request returns:
// every interaction is emailed once, every answer stored once, every
// unhappy answer looped once.
func TestLoadtestShort(t *testing.T) {
	t.Parallel()
	for _, background := range []bool{true, false} {
		t.Run(fmt.Sprintf("background=%v", background), func(t *testing.T) {
			t.Parallel()
			srv, err := devserver.Start(context.Background(), devserver.Options{
				Addr: "127.0.0.1:0", DataDir: t.TempDir(), APIKey: "load-key", Config: app.DefaultConfig(),
				Logger: slog.New(slog.DiscardHandler), Tick: time.Hour, Background: background,
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = srv.Close() })
			var out bytes.Buffer
			err = runLoadtest(context.Background(), []string{"-url", srv.URL, "-api-key", "load-key", "-n", "150", "-c", "16", "-max-duration", "2m"}, &out, io.Discard)
			t.Log("\n" + out.String())
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), "lost: 0  duplicated: 0") {
				t.Fatalf("load test summary lacks lost 0 / duplicated 0")
			}
		})
	}
}

func TestLoadtestRefusesNonLoopback(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"http://10.0.0.5:8080", "http://example.com", "http://192.168.1.2", "not a url"} {
		err := runLoadtest(context.Background(), []string{"-url", u}, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "url") {
			t.Errorf("-url %s: err = %v, want a refusal", u, err)
		}
	}
	err := runLoadtest(context.Background(), []string{"-url", "http://127.0.0.1:1", "-n", "1000000"}, io.Discard, io.Discard)
	if err == nil {
		t.Error("an unbounded count was accepted")
	}
}
