package cache

import (
	"context"
	"sync/atomic"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// counters are the live figures of one tier.
type counters struct {
	l1Hits, l2Hits, l2Misses   atomic.Int64
	shared, computed, failures atomic.Int64
	calls                      atomic.Int64
	costSaved, costSpent       atomic.Int64
}

// Stats returns the cache's figures. Layers that implement UsageReporter add
// their entries, bytes and evictions; a layer whose report fails is logged
// and left with UsageKnown false.
func (c *Cache) Stats(ctx context.Context) copydesk.CacheStats {
	u1 := c.usage(ctx, c.l1, "l1")
	u2 := c.usage(ctx, c.l2, "l2")
	var s copydesk.CacheStats
	for i, t := range Tiers {
		k := &c.stats[i]
		ts := copydesk.CacheTierStats{
			Tier:          t,
			Shared:        k.shared.Load(),
			Computed:      k.computed.Load(),
			ProviderCalls: k.calls.Load(),
			Failures:      k.failures.Load(),
			CostSpent:     copydesk.Micros(k.costSpent.Load()),
			CostSaved:     copydesk.Micros(k.costSaved.Load()),
		}
		ts.L1.Hits = k.l1Hits.Load()
		ts.L2.Hits = k.l2Hits.Load()
		ts.L2.Misses = k.l2Misses.Load()
		ts.Requests = ts.L1.Hits + ts.L2.Hits + ts.Shared + ts.Computed + ts.Failures
		ts.L1.Misses = ts.Requests - ts.L1.Hits
		if u, ok := u1[t]; ok {
			setUsage(&ts.L1, u)
		}
		if u, ok := u2[t]; ok {
			setUsage(&ts.L2, u)
		}
		finish(&ts)
		s.Tiers = append(s.Tiers, ts)

		tot := &s.Total
		tot.Requests += ts.Requests
		addLayer(&tot.L1, ts.L1)
		addLayer(&tot.L2, ts.L2)
		tot.Shared += ts.Shared
		tot.Computed += ts.Computed
		tot.Failures += ts.Failures
		tot.CostSpent += ts.CostSpent
		tot.CostSaved += ts.CostSaved
	}
	s.Total.ProviderCalls = c.totalCalls.Load()
	finish(&s.Total)
	return s
}

// usage asks a layer for its contents, if it can tell.
func (c *Cache) usage(ctx context.Context, store copydesk.CacheStore, layer string) map[copydesk.Tier]Usage {
	r, ok := store.(UsageReporter)
	if !ok || store == nil {
		return nil
	}
	u, err := r.CacheUsage(ctx)
	if err != nil {
		c.logger.WarnContext(ctx, "cache layer usage unavailable", "layer", layer, "error", err)
		return nil
	}
	return u
}

// setUsage fills l's contents from a layer's report.
func setUsage(l *copydesk.CacheLayerStats, u Usage) {
	l.UsageKnown = true
	l.Entries, l.Bytes, l.Evictions, l.Expirations = u.Entries, u.Bytes, u.Evictions, u.Expirations
}

// addLayer adds o's figures to l.
func addLayer(l *copydesk.CacheLayerStats, o copydesk.CacheLayerStats) {
	l.Hits += o.Hits
	l.Misses += o.Misses
	l.UsageKnown = l.UsageKnown || o.UsageKnown
	l.Entries += o.Entries
	l.Bytes += o.Bytes
	l.Evictions += o.Evictions
	l.Expirations += o.Expirations
}

// finish derives ts's rates and CallsSaved.
func finish(ts *copydesk.CacheTierStats) {
	ts.CallsSaved = ts.L1.Hits + ts.L2.Hits + ts.Shared
	ts.HitRate = ratio(ts.CallsSaved, ts.CallsSaved+ts.Computed)
	ts.L1.HitRate = ratio(ts.L1.Hits, ts.L1.Hits+ts.L1.Misses)
	ts.L2.HitRate = ratio(ts.L2.Hits, ts.L2.Hits+ts.L2.Misses)
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// record counts one answered request of tier index ti.
func (c *Cache) record(ti int, o Outcome, err error) {
	k := &c.stats[ti]
	if err != nil {
		k.failures.Add(1)
		if c.l2 != nil {
			k.l2Misses.Add(1)
		}
		return
	}
	switch o.Source {
	case SourceL1:
		k.l1Hits.Add(1)
		k.costSaved.Add(int64(o.Cost))
		return
	case SourceL2:
		k.l2Hits.Add(1)
		k.costSaved.Add(int64(o.Cost))
		return
	case SourceShared:
		k.shared.Add(1)
		k.costSaved.Add(int64(o.Cost))
	case SourceMiss:
		k.computed.Add(1)
		k.costSpent.Add(int64(o.Cost))
	}
	if c.l2 != nil {
		k.l2Misses.Add(1)
	}
}
