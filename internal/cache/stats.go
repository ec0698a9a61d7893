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

// Snapshot is a point-in-time copy of the cache's figures, per tier and in
// total. It is a plain struct for the metrics code to read.
type Snapshot struct {
	// Tiers holds one entry per tier, in the order of the Tiers variable.
	Tiers []TierStats
	// Total sums the tiers. Its ProviderCalls counts each call once even when
	// one DoBlocks call computed blocks of several tiers.
	Total TierStats
}

// Tier returns the figures of tier t (zero figures for an unknown tier).
func (s Snapshot) Tier(t copydesk.Tier) TierStats {
	for _, ts := range s.Tiers {
		if ts.Tier == t {
			return ts
		}
	}
	return TierStats{Tier: t}
}

// TierStats are the figures of one tier (or of all, in Snapshot.Total).
type TierStats struct {
	// Tier is the tier, "" in Snapshot.Total.
	Tier copydesk.Tier
	// Requests counts answers asked for: each Do call and each block of a
	// DoBlocks call.
	Requests int64
	// L1 and L2 are the figures of each layer. L2 lookups are those L1
	// could not answer; L2 is all zero when no L2 is configured.
	L1, L2 LayerStats
	// Shared counts requests that waited on another caller's provider call
	// instead of making their own.
	Shared int64
	// Computed counts work items the provider function produced (misses).
	Computed int64
	// ProviderCalls counts invocations of the provider function; one
	// DoBlocks invocation computes several items.
	ProviderCalls int64
	// Failures counts requests answered with an error (including callers
	// that gave up waiting).
	Failures int64
	// CallsSaved is L1.Hits + L2.Hits + Shared: work items not paid for.
	CallsSaved int64
	// HitRate is CallsSaved over CallsSaved + Computed; 0 when both are 0.
	HitRate float64
	// CostSpent is what the computed items cost; CostSaved is the cost of
	// the items served without a provider call.
	CostSpent, CostSaved copydesk.Micros
}

// LayerStats are one layer's figures within a tier.
type LayerStats struct {
	// Hits and Misses count lookups in this layer.
	Hits, Misses int64
	// HitRate is Hits over Hits + Misses; 0 without lookups.
	HitRate float64
	// UsageKnown says whether the layer reports its contents (it implements
	// UsageReporter); the four fields below are zero when it does not.
	UsageKnown bool
	// Entries and Bytes are what the layer holds of the tier now.
	Entries, Bytes int64
	// Evictions counts entries dropped to stay under the layer's bound;
	// Expirations those dropped because their TTL ran out.
	Evictions, Expirations int64
}

// Stats returns the cache's figures. Layers that implement UsageReporter add
// their entries, bytes and evictions; a layer whose report fails is logged
// and left with UsageKnown false.
func (c *Cache) Stats(ctx context.Context) Snapshot {
	u1 := c.usage(ctx, c.l1, "l1")
	u2 := c.usage(ctx, c.l2, "l2")
	var s Snapshot
	for i, t := range Tiers {
		k := &c.stats[i]
		ts := TierStats{
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
			ts.L1.setUsage(u)
		}
		if u, ok := u2[t]; ok {
			ts.L2.setUsage(u)
		}
		ts.finish()
		s.Tiers = append(s.Tiers, ts)

		tot := &s.Total
		tot.Requests += ts.Requests
		tot.L1.add(ts.L1)
		tot.L2.add(ts.L2)
		tot.Shared += ts.Shared
		tot.Computed += ts.Computed
		tot.Failures += ts.Failures
		tot.CostSpent += ts.CostSpent
		tot.CostSaved += ts.CostSaved
	}
	s.Total.ProviderCalls = c.totalCalls.Load()
	s.Total.finish()
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

func (l *LayerStats) setUsage(u Usage) {
	l.UsageKnown = true
	l.Entries, l.Bytes, l.Evictions, l.Expirations = u.Entries, u.Bytes, u.Evictions, u.Expirations
}

func (l *LayerStats) add(o LayerStats) {
	l.Hits += o.Hits
	l.Misses += o.Misses
	l.UsageKnown = l.UsageKnown || o.UsageKnown
	l.Entries += o.Entries
	l.Bytes += o.Bytes
	l.Evictions += o.Evictions
	l.Expirations += o.Expirations
}

// finish derives the rates and CallsSaved.
func (ts *TierStats) finish() {
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
