package metrics_test

import (
	"context"
	"io"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/cache"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/metrics"
)

// BenchmarkObserveHTTP is the cost the request middleware pays per request.
func BenchmarkObserveHTTP(b *testing.B) {
	m := MustNew(b, metrics.Config{})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.ObserveHTTP("POST /v1/analyses", 200, 3*time.Millisecond)
		}
	})
}

// BenchmarkObserveProviderCall is the cost per model call.
func BenchmarkObserveProviderCall(b *testing.B) {
	m := MustNew(b, metrics.Config{Customers: []string{"acme"}})
	rec := copydesk.UsageRecord{
		CustomerID: "acme", Provider: "openai", Model: "gpt", InputTokens: 100, OutputTokens: 40, CachedTokens: 30,
		Cost: 1234, Currency: "EUR", Latency: 900 * time.Millisecond, TTFT: 200 * time.Millisecond,
		Decision: copydesk.RouteDecision{Attempts: []copydesk.RouteAttempt{
			{Endpoint: "oa", Provider: "openai", Outcome: copydesk.OutcomeOK, Duration: 500 * time.Millisecond},
		}},
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.ObserveProviderCall(rec, metrics.OutcomeOK)
		}
	})
}

// BenchmarkScrape is one GET /metrics after a varied workload.
func BenchmarkScrape(b *testing.B) {
	snap := copydesk.CacheStats{}
	for _, t := range cache.Tiers {
		snap.Tiers = append(snap.Tiers, copydesk.CacheTierStats{Tier: t, L1: copydesk.CacheLayerStats{Hits: 5, Misses: 5}})
	}
	m := MustNew(b, metrics.Config{CacheStats: func(context.Context) copydesk.CacheStats { return snap }})
	for i, route := range []string{"POST /v1/analyses", "GET /v1/jobs/{id}", "GET /v1/jobs/{id}/events", "POST /v1/generations"} {
		for s := range 5 {
			m.ObserveHTTP(route, 100*(s+1), time.Duration(i+1)*time.Millisecond)
		}
	}
	h := m.Handler()
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
		if w.Code != 200 || w.Body.Len() == 0 {
			b.Fatalf("GET /metrics: status %d, %d bytes; want 200 with the figures", w.Code, w.Body.Len())
		}
		_, _ = io.Copy(io.Discard, w.Body)
	}
}
