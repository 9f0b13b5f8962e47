package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/cxloop/cxloop/shared/local/devserver"
	"github.com/cxloop/cxloop/shared/platform/config"
)

func runDev(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on (host:port)")
	data := fs.String("data", ".cxloop", "directory for the local store, keys and waiting loops")
	demo := fs.Bool("demo", false, "load demo people, accounts and interactions on start")
	background := fs.Bool("background", true, "send surveys and run closed loops after the request that started them returns, as AWS does (false: before it returns)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError(fmt.Sprintf("dev takes no arguments, got %q", fs.Args()))
	}
	cfg, err := config.App(os.Getenv)
	if err != nil {
		return err
	}
	srv, err := devserver.Start(ctx, devserver.Options{
		Addr: *addr, DataDir: *data, APIKey: os.Getenv("CXLOOP_API_KEY"), Config: cfg, Logger: jsonLogger(stderr),
		Background: *background,
	})
	if err != nil {
		return err
	}
	defer srv.Close()
	if *demo {
		if err := srv.LoadDemo(ctx); err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
	}
	fmt.Fprintf(stdout, "cxloop dev is serving %s\n", srv.URL)
	fmt.Fprintf(stdout, "  outbox:    %s/dev/outbox\n", srv.URL)
	fmt.Fprintf(stdout, "  dashboard: %s/dashboard   (leaders; sign in with the API key)\n", srv.URL)
	fmt.Fprintf(stdout, "  sign in:   %s/signin      (people in the directory; the link arrives in the outbox)\n", srv.URL)
	if *demo {
		fmt.Fprintln(stdout, "             demo people: maria@example.com (owner), dana@example.com (her manager, a leader), alex@example.com (admin)")
	}
	if os.Getenv("CXLOOP_API_KEY") == "" {
		fmt.Fprintf(stdout, "  API key:   %s   (kept in %s/api.key; set CXLOOP_API_KEY to choose one)\n", srv.APIKey, *data)
	}
	fmt.Fprintf(stdout, "  data:      %s (a restart with the same --data loses nothing)\nPress Ctrl+C to stop.\n", *data)
	<-ctx.Done()
	fmt.Fprintln(stdout, "stopping")
	return nil
}
