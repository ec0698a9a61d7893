package metrics

import (
	"context"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/prometheus/client_golang/prometheus"
)

// scrapeTimeout bounds the sources read on a scrape.
const scrapeTimeout = 5 * time.Second

var cacheNames = []string{
	"cache_lookups_total", "cache_requests_total", "cache_provider_calls_total",
	"cache_entries", "cache_bytes", "cache_evictions_total", "cache_expirations_total",
	"cache_cost_saved_micros_total", "cache_cost_spent_micros_total",
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", name), help, labels, nil)
}

// cacheCollector turns a copydesk.CacheStats into figures on each scrape.
type cacheCollector struct {
	stats                                  func(ctx context.Context) copydesk.CacheStats
	lookups, requests, calls               *prometheus.Desc
	entries, bytes, evictions, expirations *prometheus.Desc
	saved, spent                           *prometheus.Desc
}

func newCacheCollector(stats func(ctx context.Context) copydesk.CacheStats) *cacheCollector {
	return &cacheCollector{
		stats:       stats,
		lookups:     desc("cache_lookups_total", "Cache layer lookups by tier, layer (l1, l2) and result (hit, miss).", "tier", "layer", "result"),
		requests:    desc("cache_requests_total", "Answers asked of the cache by tier and how they were served: l1_hit, l2_hit, shared (waited on a concurrent identical call), computed (a provider call), failed.", "tier", "result"),
		calls:       desc("cache_provider_calls_total", "Invocations of the provider function behind the cache, by tier.", "tier"),
		entries:     desc("cache_entries", "Entries held now, by tier and layer (layers that report their contents).", "tier", "layer"),
		bytes:       desc("cache_bytes", "Bytes held now, by tier and layer (layers that report their contents).", "tier", "layer"),
		evictions:   desc("cache_evictions_total", "Entries dropped to stay under the layer's bound, by tier and layer.", "tier", "layer"),
		expirations: desc("cache_expirations_total", "Entries dropped because their TTL ran out, by tier and layer.", "tier", "layer"),
		saved:       desc("cache_cost_saved_micros_total", "Cost of the answers served without a provider call, in micro-units, by tier.", "tier"),
		spent:       desc("cache_cost_spent_micros_total", "Cost of the answers computed by a provider call, in micro-units, by tier.", "tier"),
	}
}

// Describe implements prometheus.Collector.
func (c *cacheCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.lookups, c.requests, c.calls, c.entries, c.bytes, c.evictions, c.expirations, c.saved, c.spent} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *cacheCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	snap := c.stats(ctx)
	counter := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	for _, ts := range snap.Tiers {
		tier := string(ts.Tier)
		for _, l := range []struct {
			name  string
			stats copydesk.CacheLayerStats
		}{{"l1", ts.L1}, {"l2", ts.L2}} {
			counter(c.lookups, l.stats.Hits, tier, l.name, "hit")
			counter(c.lookups, l.stats.Misses, tier, l.name, "miss")
			if l.stats.UsageKnown {
				ch <- prometheus.MustNewConstMetric(c.entries, prometheus.GaugeValue, float64(l.stats.Entries), tier, l.name)
				ch <- prometheus.MustNewConstMetric(c.bytes, prometheus.GaugeValue, float64(l.stats.Bytes), tier, l.name)
				counter(c.evictions, l.stats.Evictions, tier, l.name)
				counter(c.expirations, l.stats.Expirations, tier, l.name)
			}
		}
		counter(c.requests, ts.L1.Hits, tier, "l1_hit")
		counter(c.requests, ts.L2.Hits, tier, "l2_hit")
		counter(c.requests, ts.Shared, tier, "shared")
		counter(c.requests, ts.Computed, tier, "computed")
		counter(c.requests, ts.Failures, tier, "failed")
		counter(c.calls, ts.ProviderCalls, tier)
		counter(c.saved, int64(ts.CostSaved), tier)
		counter(c.spent, int64(ts.CostSpent), tier)
	}
}

var queueNames = []string{"queue_jobs"}

// queueCollector reports the queue's depth by priority and state.
type queueCollector struct {
	m *Metrics
}

var queueDesc = desc("queue_jobs", "Open jobs in the queue by priority and state.", "priority", "state")

// Describe implements prometheus.Collector.
func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- queueDesc }

// Collect implements prometheus.Collector.
func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	depths, err := c.m.cfg.QueueDepth(ctx)
	if err != nil {
		c.m.scrapeErrors.WithLabelValues("queue").Inc()
		return
	}
	sums := make(map[[2]string]int)
	var order [][2]string
	for _, d := range depths {
		k := [2]string{d.Priority.String(), d.State}
		if _, ok := sums[k]; !ok {
			order = append(order, k)
		}
		sums[k] += d.Count
	}
	for _, k := range order {
		ch <- prometheus.MustNewConstMetric(queueDesc, prometheus.GaugeValue, float64(sums[k]), k[0], k[1])
	}
}

var routerNames = []string{"router_inflight_calls", "router_queued_calls", "router_load_ratio", "router_keys", "router_endpoint_up"}

var (
	inflightDesc = desc("router_inflight_calls", "Provider calls running now, by endpoint.", "endpoint", "provider", "model")
	queuedDesc   = desc("router_queued_calls", "Calls waiting in an endpoint's limiter.", "endpoint", "provider", "model")
	loadDesc     = desc("router_load_ratio", "Calls in flight over the endpoint's concurrency cap.", "endpoint", "provider", "model")
	keysDesc     = desc("router_keys", "An endpoint's keys by state: closed, open, half_open (circuit breaker) or dead (auth failure).", "endpoint", "state")
	upDesc       = desc("router_endpoint_up", "1 when at least one key of the endpoint can take a call, 0 when it is down.", "endpoint", "provider", "model")
)

// routerCollector reports the router's endpoints.
type routerCollector struct {
	stats func() []copydesk.EndpointStats
}

// Describe implements prometheus.Collector.
func (c *routerCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{inflightDesc, queuedDesc, loadDesc, keysDesc, upDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *routerCollector) Collect(ch chan<- prometheus.Metric) {
	for _, ep := range c.stats() {
		gauge := func(d *prometheus.Desc, v float64, labels ...string) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
		}
		gauge(inflightDesc, float64(ep.InFlight), ep.Name, ep.Provider, ep.Model)
		gauge(queuedDesc, float64(ep.Queued), ep.Name, ep.Provider, ep.Model)
		gauge(loadDesc, ep.Load, ep.Name, ep.Provider, ep.Model)
		states := map[string]int{copydesk.BreakerClosed: 0, copydesk.BreakerOpen: 0, copydesk.BreakerHalfOpen: 0, "dead": len(ep.DeadKeys)}
		for _, b := range ep.Breakers {
			states[b]++
		}
		for _, st := range []string{copydesk.BreakerClosed, copydesk.BreakerOpen, copydesk.BreakerHalfOpen, "dead"} {
			gauge(keysDesc, float64(states[st]), ep.Name, st)
		}
		up := 1.0
		if endpointDown(ep) {
			up = 0
		}
		gauge(upDesc, up, ep.Name, ep.Provider, ep.Model)
	}
}

var redisNames = []string{"redis_up", "redis_fallbacks_total"}

// redisCollector reports the scale-out mode's Redis on each scrape.
type redisCollector struct {
	state         func(ctx context.Context) RedisState
	up, fallbacks *prometheus.Desc
}

func newRedisCollector(state func(ctx context.Context) RedisState) *redisCollector {
	return &redisCollector{
		state:     state,
		up:        desc("redis_up", "1 while Redis (shared cache, claims, rate and provider limits) answers this instance, 0 while it serves without it (degraded)."),
		fallbacks: desc("redis_fallbacks_total", "Decisions this instance made alone because Redis failed, by component (ratelimit, provider_limits, cache: reads that missed and writes skipped).", "component"),
	}
}

// Describe implements prometheus.Collector.
func (c *redisCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.up
	ch <- c.fallbacks
}

// Collect implements prometheus.Collector.
func (c *redisCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	st := c.state(ctx)
	up := 0.0
	if st.Up {
		up = 1
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, up)
	for component, n := range st.Fallbacks {
		ch <- prometheus.MustNewConstMetric(c.fallbacks, prometheus.CounterValue, float64(n), component)
	}
}
