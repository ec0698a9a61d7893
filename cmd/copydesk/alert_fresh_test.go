package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/storetest"
)

// TestFreshInstallNoAlert runs the real program on a clock the test moves:
// fifteen minutes of light use of a fresh install (a cold cache: new
// analyses and a few repeats, about 60 % of the work computed) announce no
// alert, and the cache hit rate rule reads exactly the figure the cache
// panel shows (over its window, which on a fresh install is the whole
// life), marked as not judged below its minimum sample.
func TestFreshInstallNoAlert(t *testing.T) {
	t.Parallel()
	clock := storetest.NewClock(time.Now())
	m := MustRunMain(t, func(m *Main) { m.Clock = clock })
	base := m.HTTP.URL()
	key := MustAdminKey(t, m)
	ctx := context.Background()
	m.Alerts.Tick(ctx) // the first sample Start takes
	n := 0
	for minute := range 15 {
		// Per minute: three new pages and two repeats (cache hits).
		for i := range 5 {
			page := n
			if i >= 3 {
				page = n - 1
			} else {
				n++
			}
			r := call(t, base, "POST", "/v1/analyses", key, map[string]any{
				"content": fmt.Sprintf("Page %d. Our bakery bakes fresh bread every morning in minute %d.", page, minute), "language": "en"})
			if r.Status != 200 {
				t.Fatalf("analysis: status %d: %s", r.Status, r.Body)
			}
		}
		for range 4 { // the engine reads a sample every 15 s
			clock.Add(15 * time.Second)
			m.Alerts.Tick(ctx)
		}
	}
	if a := m.Alerts.Recent(0); len(a) != 0 {
		t.Errorf("a fresh install announced %d alerts after 15 minutes of light use, want none: %+v", len(a), a)
	}
	var alerts struct {
		Active   []any `json:"active"`
		Readings []struct {
			Rule      string  `json:"rule"`
			Value     float64 `json:"value"`
			Events    int64   `json:"events"`
			MinEvents int64   `json:"min_events"`
			Judged    bool    `json:"judged"`
		} `json:"readings"`
	}
	call(t, base, "GET", "/v1/alerts", key, nil).json(t, &alerts)
	var stats struct {
		Total struct {
			HitRate    float64
			CallsSaved int64
			Computed   int64
		}
	}
	call(t, base, "GET", "/v1/cache/stats", key, nil).json(t, &stats)
	if len(alerts.Active) != 0 {
		t.Errorf("active alerts %v, want none", alerts.Active)
	}
	found := false
	for _, r := range alerts.Readings {
		if r.Rule != "cache_hit_rate" {
			continue
		}
		found = true
		if r.Value != stats.Total.HitRate || r.Events != stats.Total.CallsSaved+stats.Total.Computed || r.Judged {
			t.Errorf("cache_hit_rate reads %v over %d events (judged %v); the panel shows %v of %d; want the same figure, not judged",
				r.Value, r.Events, r.Judged, stats.Total.HitRate, stats.Total.CallsSaved+stats.Total.Computed)
		}
		if r.Events < 50 || r.Value >= 0.8 {
			t.Errorf("the light use was %d events at %v: want more than the old minimum sample (50) and under the critical 80 %%, or the test proves nothing", r.Events, r.Value)
		}
	}
	if !found {
		t.Errorf("GET /v1/alerts has no cache_hit_rate reading: %+v", alerts.Readings)
	}
}
