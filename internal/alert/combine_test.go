package alert_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/copydesk/copydesk/internal/alert"
	"github.com/copydesk/copydesk/internal/copydesk"
)

func TestCombine(t *testing.T) {
	t.Parallel()
	a := copydesk.HealthSample{CacheSaved: 10, CacheComputed: 5, ProviderAttempts: 7, ProviderErrors: 1, Requests: 100, RequestSeconds: 2, QueueDepth: 4,
		Budgets:   []copydesk.BudgetUse{{CustomerID: "cus_b", Spent: 50, Limit: 100}, {CustomerID: "cus_a", Spent: 10, Limit: 20}},
		Endpoints: []copydesk.EndpointHealth{{Name: "openai", Down: true, RateLimited: 3}, {Name: "claude", Down: true}}}
	b := copydesk.HealthSample{CacheSaved: 1, CacheComputed: 2, ProviderAttempts: 3, ProviderErrors: 3, Requests: 50, RequestSeconds: 1, QueueDepth: 6,
		Budgets:   []copydesk.BudgetUse{{CustomerID: "cus_b", Spent: 70, Limit: 100}},
		Endpoints: []copydesk.EndpointHealth{{Name: "openai", Down: false, RateLimited: 2}}}
	want := copydesk.HealthSample{CacheSaved: 11, CacheComputed: 7, ProviderAttempts: 10, ProviderErrors: 4, Requests: 150, RequestSeconds: 3, QueueDepth: 6,
		Budgets: []copydesk.BudgetUse{{CustomerID: "cus_a", Spent: 10, Limit: 20}, {CustomerID: "cus_b", Spent: 70, Limit: 100}},
		// openai is up on one instance: not down for the cluster; claude is
		// known to one instance only, which finds it down.
		Endpoints: []copydesk.EndpointHealth{{Name: "claude", Down: true}, {Name: "openai", Down: false, RateLimited: 5}}}
	if diff := cmp.Diff(want, alert.Combine(a, b)); diff != "" {
		t.Errorf("Combine (-want +got):\n%s", diff)
	}
	if got := alert.Combine(); got.QueueDepth != -1 || got.Requests != 0 {
		t.Errorf("Combine() = %+v, want an empty sample with an unknown queue depth", got)
	}
}
