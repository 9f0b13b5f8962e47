// Command recorder runs cxloop's recording AWS fake (shared/testkit/awsfake) for
// the MiniStack stack: MiniStack has no End User Messaging SMS, so the
// fake answers the SMS calls itself, and it forwards SES v2 and Step
// Functions to MiniStack, recording each call on the way (MiniStack keeps
// no headers, configuration set or tags of a sent email) and failing the
// operations a test asks it to (PUT /_awsfake/faults). The functions
// reach it through the AWS_ENDPOINT_URL_<SERVICE> variables MiniStack
// passes on from its own environment (infra/awslocal/stack.sh).
//
//	recorder -addr 127.0.0.1:0 -forward http://127.0.0.1:4566 -url-file FILE
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/cxloop/cxloop/shared/testkit/awsfake"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "recorder:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on (loopback only)")
	forward := flag.String("forward", "", "MiniStack's URL, where SES v2 and Step Functions calls go on to")
	urlFile := flag.String("url-file", "", "file to write the recorder's URL to once it listens")
	flag.Parse()
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return fmt.Errorf("-addr: %w", err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-addr %s: listen on a loopback address only", *addr)
	}
	if *forward == "" {
		return errors.New("-forward is required")
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fake := awsfake.NewServer()
	for _, svc := range []string{awsfake.SESv2, awsfake.SFN} {
		if err := fake.Forward(svc, *forward); err != nil {
			return err
		}
	}
	url := "http://" + ln.Addr().String()
	if *urlFile != "" {
		if err := os.WriteFile(*urlFile, []byte(url+"\n"), 0o644); err != nil {
			return err
		}
	}
	slog.Info("recording AWS fake", "url", url, "forward", *forward)
	srv := &http.Server{Handler: fake, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
