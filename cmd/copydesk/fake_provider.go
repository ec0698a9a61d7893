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
	batchDelay := fs.Duration("batch-delay", 0, "how long a provider batch stays in progress after it is created")
	batchFailEvery := fs.Int("batch-fail-every", 0, "fail every Nth request of a provider batch with a server error (0: none)")
	batchExpire := fs.Bool("batch-expire", false, "end every provider batch as expired after --batch-delay, with no answers")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case *errorRate < 0 || *errorRate > 1:
		return &UsageError{Message: fmt.Sprintf("--error-rate %v is outside 0…1", *errorRate)}
	case *batchDelay < 0 || *batchFailEvery < 0:
		return &UsageError{Message: "--batch-delay and --batch-fail-every cannot be negative"}
	}
	srv := simulator.NewServer(simulator.Options{Latency: *latency, TTFT: *ttft, ErrorRate: *errorRate, Seed: *seed})
	srv.SetBatch(simulator.BatchBehaviour{Delay: *batchDelay, FailEvery: *batchFailEvery, Expire: *batchExpire})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stderr, "simulated provider on http://%s (OpenAI: /v1/chat/completions and /v1/batches, Anthropic: /v1/messages and /v1/messages/batches, Gemini: /v1beta/models/{model}:generateContent and :batchGenerateContent); every answer is labelled simulated\n", ln.Addr())
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
