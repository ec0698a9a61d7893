package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/copydesk/copydesk/internal/simulator"
)

// runFakeProvider serves the simulated provider on its own, for demos and
// load tests. Every answer says it is simulated.
func runFakeProvider(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("fake-provider", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:9900", "listen address")
	latency := fs.Duration("latency", 0, "total answer time")
	ttft := fs.Duration("ttft", 0, "time to first token of streamed answers")
	errorRate := fs.Float64("error-rate", 0, "share of requests answered with a random provider error (0-1)")
	seed := fs.Int64("seed", 1, "random seed for the error draw")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *errorRate < 0 || *errorRate > 1 {
		return &UsageError{Message: fmt.Sprintf("--error-rate %v is outside 0…1", *errorRate)}
	}
	srv := simulator.NewServer(simulator.Options{Latency: *latency, TTFT: *ttft, ErrorRate: *errorRate, Seed: *seed})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stderr, "simulated provider on http://%s (OpenAI: /v1/chat/completions, Anthropic: /v1/messages, Gemini: /v1beta/models/{model}:generateContent); every answer is labelled simulated\n", ln.Addr())
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	}()
	if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
