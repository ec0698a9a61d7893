package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// runHealthcheck asks the server on this machine whether it is alive
// (GET /healthz) and exits 0 if it answers 200, 1 otherwise: a container
// HEALTHCHECK for an image without curl or a shell. The server's address
// comes from --addr, else COPYDESK_ADDR, else the default; a wildcard host
// (0.0.0.0, ::, empty) is asked on loopback.
func runHealthcheck(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", cmp.Or(getenv("COPYDESK_ADDR"), DefaultConfig().Addr), "the server's listen address (env COPYDESK_ADDR)")
	path := fs.String("path", "/healthz", "the path to ask: /healthz (alive) or /readyz (ready to serve)")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &UsageError{Message: fmt.Sprintf("unexpected argument %q", fs.Arg(0)), Hint: "run copydesk healthcheck -h for the flags"}
	}
	if *path != "/healthz" && *path != "/readyz" {
		return &UsageError{Message: fmt.Sprintf("--path %q is not /healthz or /readyz", *path)}
	}
	host, port, err := net.SplitHostPort(*addr)
	if err != nil {
		return &UsageError{Message: fmt.Sprintf("--addr %q is not host:port (e.g. 0.0.0.0:8080)", *addr)}
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	url := "http://" + net.JoinHostPort(strings.Trim(host, "[]"), port) + *path
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck %s: %d %s", url, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	fmt.Fprintln(stdout, strings.TrimSpace(string(body)))
	return nil
}
