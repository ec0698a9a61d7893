package alert

import (
	"cmp"
	"slices"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// Combine adds up the samples of the instances of one cluster into the
// cluster's sample, for the leader to evaluate: counters (cache, provider
// calls, requests, rate limits) are summed, since each instance counts
// only its own work; the queue depth is the largest (the instances share
// one queue, and each reads all of it); a customer's budget use is the
// most spent any instance read; an endpoint is down only where every
// instance that uses it finds it down. At is left zero (the engine's
// clock).
func Combine(samples ...copydesk.HealthSample) copydesk.HealthSample {
	var out copydesk.HealthSample
	out.QueueDepth = -1
	budgets := map[string]copydesk.BudgetUse{}
	type ep struct {
		down        bool
		rateLimited int64
	}
	endpoints := map[string]ep{}
	for _, s := range samples {
		out.CacheSaved += s.CacheSaved
		out.CacheComputed += s.CacheComputed
		out.ProviderAttempts += s.ProviderAttempts
		out.ProviderErrors += s.ProviderErrors
		out.Requests += s.Requests
		out.RequestSeconds += s.RequestSeconds
		out.QueueDepth = max(out.QueueDepth, s.QueueDepth)
		for _, b := range s.Budgets {
			if have, ok := budgets[b.CustomerID]; !ok || b.Spent > have.Spent {
				budgets[b.CustomerID] = b
			}
		}
		for _, e := range s.Endpoints {
			have, ok := endpoints[e.Name]
			if !ok {
				have.down = true
			}
			have.down = have.down && e.Down
			have.rateLimited += e.RateLimited
			endpoints[e.Name] = have
		}
	}
	for _, b := range budgets {
		out.Budgets = append(out.Budgets, b)
	}
	slices.SortFunc(out.Budgets, func(a, b copydesk.BudgetUse) int { return cmp.Compare(a.CustomerID, b.CustomerID) })
	for name, e := range endpoints {
		out.Endpoints = append(out.Endpoints, copydesk.EndpointHealth{Name: name, Down: e.down, RateLimited: e.rateLimited})
	}
	slices.SortFunc(out.Endpoints, func(a, b copydesk.EndpointHealth) int { return cmp.Compare(a.Name, b.Name) })
	return out
}
