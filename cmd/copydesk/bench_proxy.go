package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"time"
)

// benchProxyCommand is the hidden subcommand copydesk bench starts as the
// Go proxy floor of the chat and latency rows.
const benchProxyCommand = "bench-proxy"

// runBenchProxy serves a bare reverse proxy (net/http/httputil, nothing
// done per call: no authentication, no decoding, no accounting) from --addr
// to --upstream until ctx ends. copydesk bench starts it as a child process
// so that its CPU time is its own: what any Go gateway spends at least to
// pass a call through, on the same machine in the same run.
func runBenchProxy(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet(benchProxyCommand, flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	upstream := fs.String("upstream", "", "base URL of the upstream")
	if err := fs.Parse(args); err != nil {
		return err
	}
	u, err := url.Parse(*upstream)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &UsageError{Message: fmt.Sprintf("--upstream %q is not an http:// URL", *upstream)}
	}
	p := httputil.NewSingleHostReverseProxy(u)
	p.Transport = &http.Transport{MaxIdleConnsPerHost: 1024, IdleConnTimeout: time.Minute}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// benchProxy is a running Go proxy floor.
type benchProxy struct {
	url    string
	pid    int
	cmd    *exec.Cmd
	out    bytes.Buffer // its output; read only once it exited
	exited chan struct{}
}

// startBenchProxy starts this binary's bench-proxy to upstreamURL and waits
// until it answers.
func startBenchProxy(ctx context.Context, upstreamURL string, log io.Writer) (*benchProxy, error) {
	bin, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("bench: find this binary to start the Go proxy: %w (or give --go-proxy=false)", err)
	}
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	p := &benchProxy{url: "http://" + addr, exited: make(chan struct{})}
	p.cmd = exec.Command(bin, benchProxyCommand, "--addr", addr, "--upstream", upstreamURL)
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	p.cmd.SysProcAttr = benchSysProcAttr()
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: start the Go proxy: %w", err)
	}
	p.pid = p.cmd.Process.Pid
	go func() {
		_ = p.cmd.Wait()
		close(p.exited)
	}()
	hc := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-p.exited:
			return nil, fmt.Errorf("bench: the Go proxy %s exited before it was ready (or give --go-proxy=false): %s", bin, strings.TrimSpace(p.out.String()))
		case <-ctx.Done():
			p.close()
			return nil, ctx.Err()
		default:
		}
		// Any answer from the upstream through the proxy means it is up.
		if resp, err := hc.Get(p.url + "/"); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			fmt.Fprintf(log, "bench: started the Go proxy floor (pid %d) on %s\n", p.pid, p.url)
			return p, nil
		}
		if time.Now().After(deadline) {
			p.close()
			return nil, errors.New("bench: the Go proxy did not answer within 10s (or give --go-proxy=false)")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *benchProxy) close() {
	_ = p.cmd.Process.Kill()
	<-p.exited
}
