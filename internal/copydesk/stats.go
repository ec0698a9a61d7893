package copydesk

import "time"

// The figures below cross from the parts that count them (cache, router,
// metrics) to the parts that report or judge them (metrics, alert): plain
// values, so that neither side imports the other.

// CacheStats is a point-in-time copy of the result cache's figures, per
// tier and in total (cache.(*Cache).Stats).
type CacheStats struct {
	// Tiers holds one entry per tier, longest-lived first (permanent,
	// stable, dynamic, realtime).
	Tiers []CacheTierStats
	// Total sums the tiers. Its ProviderCalls counts each call once even when
	// one call computed blocks of several tiers.
	Total CacheTierStats
}

// Tier returns the figures of tier t (zero figures for an unknown tier).
func (s CacheStats) Tier(t Tier) CacheTierStats {
	for _, ts := range s.Tiers {
		if ts.Tier == t {
			return ts
		}
	}
	return CacheTierStats{Tier: t}
}

// CacheTierStats are the figures of one cache tier (or of all, in
// CacheStats.Total).
type CacheTierStats struct {
	// Tier is the tier, "" in CacheStats.Total.
	Tier Tier
	// Requests counts answers asked for: each lookup-or-compute and each
	// block of a block-level one.
	Requests int64
	// L1 and L2 are the figures of each layer. L2 lookups are those L1
	// could not answer; L2 is all zero when no L2 is configured.
	L1, L2 CacheLayerStats
	// Shared counts requests that waited on another caller's provider call
	// instead of making their own.
	Shared int64
	// Computed counts work items the provider function produced (misses).
	Computed int64
	// ProviderCalls counts invocations of the provider function; one
	// block-level invocation computes several items.
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
	CostSpent, CostSaved Micros
}

// CacheLayerStats are one cache layer's figures within a tier.
type CacheLayerStats struct {
	// Hits and Misses count lookups in this layer.
	Hits, Misses int64
	// HitRate is Hits over Hits + Misses; 0 without lookups.
	HitRate float64
	// UsageKnown says whether the layer reports its contents; the four
	// fields below are zero when it does not.
	UsageKnown bool
	// Entries and Bytes are what the layer holds of the tier now.
	Entries, Bytes int64
	// Evictions counts entries dropped to stay under the layer's bound;
	// Expirations those dropped because their TTL ran out.
	Evictions, Expirations int64
}

// Circuit breaker states of a provider key, as in EndpointStats.Breakers.
const (
	BreakerClosed   = "closed"
	BreakerOpen     = "open"
	BreakerHalfOpen = "half_open"
)

// EndpointStats is the state of one routing endpoint now
// (router.(*Router).Stats), for metrics and dashboards.
type EndpointStats struct {
	Name     string   // endpoint name
	Provider string   // provider instance
	Model    string   // model name
	InFlight int      // calls running now
	Queued   int      // calls waiting in the limiter's queue
	Load     float64  // InFlight / concurrency cap
	Breakers []string // per key: BreakerClosed, BreakerOpen or BreakerHalfOpen
	DeadKeys []int    // indexes of keys skipped after an auth failure
}

// HealthSample is one reading of the figures the alert rules watch
// (metrics.(*Metrics).AlertSample fills one, alert.Engine judges it).
// Counters are cumulative since the process started (the engine takes
// differences over each rule's window, as Prometheus' increase does); the
// rest are values at the time of the reading.
type HealthSample struct {
	// At is when the reading was taken; the engine's clock when zero.
	At time.Time

	// CacheSaved counts work items answered without a provider call (L1
	// and L2 hits and deduplicated waits); CacheComputed those that needed
	// one. The hit rate is saved over saved + computed.
	CacheSaved, CacheComputed int64
	// ProviderAttempts counts provider calls made (failovers included);
	// ProviderErrors those that failed.
	ProviderAttempts, ProviderErrors int64
	// Requests counts HTTP requests answered and RequestSeconds their
	// summed duration: the mean response is their ratio.
	Requests       int64
	RequestSeconds float64

	// QueueDepth is the number of open (queued, scheduled, retrying or
	// running) jobs; -1 when unknown.
	QueueDepth int
	// Budgets holds the budget use of each customer that has a budget.
	Budgets []BudgetUse
	// Endpoints holds the state of each provider endpoint.
	Endpoints []EndpointHealth
}

// BudgetUse is a customer's spending against its monthly limit.
type BudgetUse struct {
	CustomerID string
	Spent      Micros // spent this period
	Limit      Micros // the monthly limit; 0 means none (ignored)
}

// EndpointHealth is the health of one provider endpoint.
type EndpointHealth struct {
	// Name is the endpoint's name, as in the routing configuration.
	Name string
	// Down is true when no key of the endpoint can be used: every breaker
	// open or every key dead.
	Down bool
	// RateLimited counts the provider's 429 answers, cumulative.
	RateLimited int64
}

// StoreStats counts the work a store sent to its database since it was
// opened, cumulative: divided over the requests or jobs of a period, it
// gives the statements and transactions each one cost.
type StoreStats struct {
	// Statements counts the SQL statements run, the queue's included;
	// BEGIN, COMMIT and ROLLBACK are not counted.
	Statements int64
	// Transactions counts the explicit transactions begun (BEGIN),
	// read-only ones included. On PostgreSQL a statement outside one is a
	// transaction of its own, which this does not count.
	Transactions int64
	// RoundTrips counts the requests sent to a database server and waited
	// for: each statement, BEGIN and COMMIT sent alone, and each pipelined
	// batch once. Zero for an embedded database (SQLite), which has none.
	RoundTrips int64
	// LedgerRows counts the ledger rows written (committed): a call's
	// cost row, a settled reservation's, a minute's summed cache hits.
	// The ledger grows by this many rows.
	LedgerRows int64
}
