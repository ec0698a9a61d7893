package metrics_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/copydesk/copydesk/internal/cache"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/metrics"
)

// TestRealCacheHitsAndMisses runs a real cache: 3 distinct analyses
// computed once each, then 7 repeats answered from L1. The scrape says 7
// hits and 3 misses, and the alert sample a 70 % hit rate.
func TestRealCacheHitsAndMisses(t *testing.T) {
	t.Parallel()
	c, err := cache.New(cache.Config{})
	if err != nil {
		t.Fatal(err)
	}
	m := MustNew(t, metrics.Config{CacheStats: c.Stats})
	ctx := context.Background()
	calls := 0
	fn := func(context.Context) ([]byte, copydesk.Micros, error) {
		calls++
		return []byte(`{"score":1}`), 100, nil
	}
	for i := range 10 {
		req := cache.NewRequest(cache.KeyParts{CustomerID: "acme", Kind: "analysis", Input: fmt.Sprint("page ", i%3), Version: "1"})
		if _, _, err := c.Do(ctx, req, fn); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 3 {
		t.Fatalf("provider function called %d times, want 3", calls)
	}
	fams := MustScrape(t, m.Handler())
	for _, tt := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"copydesk_cache_lookups_total", []string{"tier=permanent", "layer=l1", "result=hit"}, 7},
		{"copydesk_cache_lookups_total", []string{"tier=permanent", "layer=l1", "result=miss"}, 3},
		{"copydesk_cache_requests_total", []string{"tier=permanent", "result=l1_hit"}, 7},
		{"copydesk_cache_requests_total", []string{"tier=permanent", "result=computed"}, 3},
		{"copydesk_cache_requests_total", []string{"tier=stable"}, 0},
		{"copydesk_cache_provider_calls_total", []string{"tier=permanent"}, 3},
		{"copydesk_cache_cost_saved_micros_total", []string{"tier=permanent"}, 700},
		{"copydesk_cache_cost_spent_micros_total", []string{"tier=permanent"}, 300},
		{"copydesk_cache_entries", []string{"tier=permanent", "layer=l1"}, 3},
	} {
		if got := value(t, fams, tt.name, tt.labels...); got != tt.want {
			t.Errorf("%s%v: got %v, want %v", tt.name, tt.labels, got, tt.want)
		}
	}
	s, err := m.AlertSample(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.CacheSaved != 7 || s.CacheComputed != 3 {
		t.Errorf("AlertSample: got %d saved, %d computed; want 7 and 3", s.CacheSaved, s.CacheComputed)
	}
}
