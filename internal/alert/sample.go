package alert

import (
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// Sample is one reading of the figures the rules watch. Counters are
// cumulative since the process started (the engine takes differences over
// each rule's window, as Prometheus' increase does); the rest are values at
// the time of the reading. metrics.(*Metrics).AlertSample fills one.
type Sample struct {
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
	Budgets []Budget
	// Endpoints holds the state of each provider endpoint.
	Endpoints []Endpoint
}

// Budget is a customer's spending against its monthly limit.
type Budget struct {
	CustomerID string
	Spent      copydesk.Micros // spent this period
	Limit      copydesk.Micros // the monthly limit; 0 means none (ignored)
}

// Endpoint is the health of one provider endpoint.
type Endpoint struct {
	// Name is the endpoint's name, as in the routing configuration.
	Name string
	// Down is true when no key of the endpoint can be used: every breaker
	// open or every key dead.
	Down bool
	// RateLimited counts the provider's 429 answers, cumulative.
	RateLimited int64
}
