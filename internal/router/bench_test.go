package router

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/providerlimit"
)

// sink keeps benchmark results alive so the compiler cannot drop the
// provider's allocation.
var sink atomic.Pointer[copydesk.ModelResponse]

// zeroProvider answers at once from memory: what is left is the router.
type zeroProvider struct{}

func (zeroProvider) Name() string { return "zero" }

func (zeroProvider) Complete(ctx context.Context, req copydesk.ModelRequest) (*copydesk.ModelResponse, error) {
	return &copydesk.ModelResponse{Text: "ok", Model: req.Model, FinishReason: "stop", Usage: copydesk.Usage{InputTokens: 900, OutputTokens: 300, CachedTokens: 100}}, nil
}

func (p zeroProvider) Stream(ctx context.Context, req copydesk.ModelRequest, onDelta func(string) error) (*copydesk.ModelResponse, error) {
	if err := onDelta("ok"); err != nil {
		return nil, err
	}
	return p.Complete(ctx, req)
}

func benchRouter(b *testing.B) *Router {
	b.Helper()
	r, err := New(Config{
		Endpoints: map[string]EndpointConfig{
			// No rate limits: a benchmark makes far more than 500 calls a
			// minute. The concurrency cap and the limiter's bookkeeping stay.
			"a": {Provider: "zero", Model: "gpt-4.1-mini", Limits: providerlimit.Config{Concurrency: 1000, RequestsPerMinute: -1}},
			"b": {Provider: "zero", Model: "claude-haiku-4-5", Limits: providerlimit.Config{RequestsPerMinute: -1}},
		},
		Classes: map[string][]string{ClassQuality: {"a", "b"}, ClassFast: {"a", "b"}, ClassBudget: {"a", "b"}},
	}, Options{
		Providers: map[string][]copydesk.Provider{"zero": {zeroProvider{}, zeroProvider{}}},
		Prices:    testPrices(),
	})
	if err != nil {
		b.Fatal(err)
	}
	return r
}

// BenchmarkRouterComplete measures the router's added cost over calling a
// zero-latency provider directly, at concurrency 1 and in parallel.
func BenchmarkRouterComplete(b *testing.B) {
	call := userCall("translation", copydesk.PriorityHigh)
	call.EstInputTokens = 1000
	ctx := context.Background()
	b.Run("direct/c=1", func(b *testing.B) {
		var p copydesk.Provider = zeroProvider{} // through the interface, as the router calls it
		req := call.Request
		req.Model = "gpt-4.1-mini"
		b.ReportAllocs()
		for b.Loop() {
			resp, err := p.Complete(ctx, req)
			if err != nil {
				b.Fatal(err)
			}
			sink.Store(resp)
		}
	})
	b.Run("router/c=1", func(b *testing.B) {
		r := benchRouter(b)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := r.Complete(ctx, call); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("direct/parallel", func(b *testing.B) {
		var p copydesk.Provider = zeroProvider{} // through the interface, as the router calls it
		req := call.Request
		req.Model = "gpt-4.1-mini"
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				resp, err := p.Complete(ctx, req)
				if err != nil {
					b.Error(err)
					return
				}
				sink.Store(resp)
			}
		})
	})
	b.Run("router/parallel", func(b *testing.B) {
		r := benchRouter(b)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := r.Complete(ctx, call); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkRouterStream measures the streaming path with one delta.
func BenchmarkRouterStream(b *testing.B) {
	r := benchRouter(b)
	call := userCall("translation", copydesk.PriorityHigh)
	ctx := context.Background()
	onDelta := func(string) error { return nil }
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Stream(ctx, call, onDelta); err != nil {
			b.Fatal(err)
		}
	}
}
