package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/copydesk/copydesk/internal/alert"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/postgres"
)

// Publishing of alert samples in the scale-out mode.
const (
	// SamplePublishInterval is how often an instance publishes its sample.
	SamplePublishInterval = 5 * time.Second
	// sampleLive is how recent a published sample must be for its
	// instance to count as running (its budgets and endpoint states).
	sampleLive = 30 * time.Second
)

// clusterSamples makes the alert rules read the whole cluster: every
// instance publishes its own sample to the shared store, and the leader's
// engine reads the combination of all of them (alert.Combine), not only
// its own traffic. Counters of an instance that stopped publishing (it
// died or shut down) keep counting with their last values, so the sums
// never go backwards; its budgets and endpoint states no longer count.
type clusterSamples struct {
	db     *postgres.DB
	local  func(ctx context.Context) (copydesk.HealthSample, error)
	logger *slog.Logger

	mu   sync.Mutex
	seen map[string]copydesk.HealthSample // every other instance's latest sample
}

// publish writes this instance's sample every SamplePublishInterval until
// ctx ends.
func (c *clusterSamples) publish(ctx context.Context) {
	t := time.NewTicker(SamplePublishInterval)
	defer t.Stop()
	for {
		if s, err := c.local(ctx); err == nil {
			if b, err := json.Marshal(s); err == nil {
				if err := c.db.PutInstanceSample(ctx, c.db.Instance(), b); err != nil && ctx.Err() == nil {
					c.logger.Warn("alerts: publishing this instance's sample failed", "err", err)
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Sample is the engine's source on the leader: this instance's sample
// combined with the other instances' latest.
func (c *clusterSamples) Sample(ctx context.Context) (copydesk.HealthSample, error) {
	own, err := c.local(ctx)
	if err != nil {
		return own, err
	}
	rows, err := c.db.InstanceSamples(ctx, time.Now().Add(-24*time.Hour))
	if err != nil {
		c.logger.Warn("alerts: reading the other instances' samples failed; judging on what was read before", "err", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = map[string]copydesk.HealthSample{}
	}
	live := []copydesk.HealthSample{own}
	for _, r := range rows {
		if r.Instance == c.db.Instance() {
			continue
		}
		var s copydesk.HealthSample
		if json.Unmarshal(r.Sample, &s) != nil {
			continue
		}
		c.seen[r.Instance] = s
		if time.Since(r.At) <= sampleLive {
			live = append(live, s)
		}
	}
	all := []copydesk.HealthSample{own}
	for _, s := range c.seen {
		all = append(all, s)
	}
	out, sums := alert.Combine(live...), alert.Combine(all...)
	out.CacheSaved, out.CacheComputed = sums.CacheSaved, sums.CacheComputed
	out.ProviderAttempts, out.ProviderErrors = sums.ProviderAttempts, sums.ProviderErrors
	out.Requests, out.RequestSeconds = sums.Requests, sums.RequestSeconds
	limited := map[string]int64{}
	for _, e := range sums.Endpoints {
		limited[e.Name] = e.RateLimited
	}
	for i := range out.Endpoints {
		out.Endpoints[i].RateLimited = limited[out.Endpoints[i].Name]
	}
	return out, nil
}
