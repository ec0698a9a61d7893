// Package metrics holds every Prometheus figure of Copydesk on its own
// registry (never the global one) and the typed recording methods the HTTP
// layer, the queue, the router and the SSE handler call. Names follow the
// Prometheus conventions: base units in the name (seconds, micros of the
// configured currency, tokens), _total on counters, and only bounded
// labels: route patterns, status classes, configured providers, models,
// task kinds, cache tiers and layers, the closed outcome vocabulary of
// [Outcomes], and customers limited to a configured list (all others are
// "other").
package metrics

import (
	"cmp"
	"context"
	"maps"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every Copydesk metric name.
const Namespace = "copydesk"

// Label values used when a value is not one of the bounded set.
const (
	CustomerOther = "other" // a customer not in Config.Customers
	CustomerNone  = "none"  // work without a customer
)

// MaxCustomers bounds Config.Customers: each listed customer is a label
// value on several families.
const MaxCustomers = 500

// QueueDepth is the number of jobs of one priority in one state.
type QueueDepth struct {
	Priority copydesk.Priority
	// State is the job's state in the queue: "available", "scheduled",
	// "retryable" or "running" (River's names), or copydesk.JobStatus
	// values. Keep the set small: it is a label.
	State string
	Count int
}

// Config configures Metrics. Every func field is optional; a nil one leaves
// its figures out of the scrape.
type Config struct {
	// Customers lists the customer ids that get their own label value on
	// the cost and budget figures (e.g. the top customers by spend); all
	// other customers are counted as "other". At most MaxCustomers.
	Customers []string
	// CacheStats returns the cache's figures; called on each scrape.
	CacheStats func(ctx context.Context) copydesk.CacheStats
	// QueueDepth returns the open jobs by priority and state; called on
	// each scrape and for AlertSample. An error is counted in
	// copydesk_scrape_errors_total and the depth left out.
	QueueDepth func(ctx context.Context) ([]QueueDepth, error)
	// RouterStats returns the endpoints' state (router.(*Router).Stats).
	RouterStats func() []copydesk.EndpointStats
	// StreamRoutes lists the route patterns of long-lived streams (SSE,
	// e.g. "GET /v1/jobs/{id}/events"). ObserveHTTP records their
	// durations in copydesk_sse_stream_duration_seconds instead of the
	// request histogram, so an open stream never counts as a slow answer
	// (nor in the mean-response alert).
	StreamRoutes []string
	// StoreStats returns the store's statements and transactions run;
	// called on each scrape. Nil: no store figures.
	StoreStats func() copydesk.StoreStats
	// Process adds the Go runtime and process collectors. Default false.
	Process bool
	// Redis returns the state of the scale-out mode's Redis; called on
	// each scrape. Nil (no redis_url): no Redis figures.
	Redis func(ctx context.Context) RedisState
}

// RedisState is the scale-out mode's Redis as this instance sees it.
type RedisState struct {
	// Up says whether Redis answers.
	Up bool
	// Fallbacks counts, by component ("ratelimit", "provider_limits"),
	// the decisions this instance made alone because Redis failed.
	Fallbacks map[string]uint64
}

func (c Config) validate() error {
	if len(c.Customers) > MaxCustomers {
		return copydesk.Errorf(copydesk.EINVALID, "metrics Customers lists %d customers, more than the %d allowed; list only the top customers, the rest are counted as %q", len(c.Customers), MaxCustomers, CustomerOther)
	}
	for _, id := range c.Customers {
		if id == "" || id == CustomerOther || id == CustomerNone {
			return copydesk.Errorf(copydesk.EINVALID, "metrics Customers holds the reserved id %q; use real customer ids", id)
		}
	}
	return nil
}

// Buckets of the duration histograms, in seconds.
var (
	// FastBuckets suit the HTTP API and Copydesk's own overhead: 100 µs to 10 s.
	FastBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
	// SlowBuckets suit provider calls and jobs: 10 ms to 10 min.
	SlowBuckets = []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600}
)

// Metrics is the set of Copydesk's Prometheus figures. Its methods are safe
// for concurrent use.
type Metrics struct {
	cfg       Config
	reg       *prometheus.Registry
	names     []string
	customers map[string]bool
	streams   map[string]bool

	httpDuration   *prometheus.HistogramVec
	streamDuration *prometheus.HistogramVec

	providerRequests *prometheus.CounterVec
	providerAttempts *prometheus.CounterVec
	upstream         *prometheus.HistogramVec
	ttft             *prometheus.HistogramVec
	overhead         *prometheus.HistogramVec
	routerWait       *prometheus.HistogramVec
	tokens           *prometheus.CounterVec
	costModel        *prometheus.CounterVec
	costCustomer     *prometheus.CounterVec

	jobWait     *prometheus.HistogramVec
	jobDuration *prometheus.HistogramVec
	jobRetries  *prometheus.CounterVec
	jobFailures *prometheus.CounterVec

	sseOpen  prometheus.Gauge
	sseTotal prometheus.Counter

	firstResult *prometheus.HistogramVec
	done        *prometheus.HistogramVec

	budgetSpent *prometheus.GaugeVec
	budgetLimit *prometheus.GaugeVec
	budgetUsed  *prometheus.GaugeVec

	scrapeErrors *prometheus.CounterVec

	// Cumulative tallies for AlertSample.
	requests      atomic.Int64
	requestNanos  atomic.Int64
	attempts      atomic.Int64
	attemptErrors atomic.Int64
	mu            sync.Mutex
	rateLimited   map[string]int64 // by endpoint
	budgets       map[string]copydesk.BudgetUse
}

// New returns Metrics registered on a new registry.
// Returns EINVALID if cfg is invalid.
func New(cfg Config) (*Metrics, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	m := &Metrics{
		cfg:         cfg,
		reg:         prometheus.NewRegistry(),
		customers:   make(map[string]bool, len(cfg.Customers)),
		rateLimited: make(map[string]int64),
		budgets:     make(map[string]copydesk.BudgetUse),
	}
	for _, id := range cfg.Customers {
		m.customers[id] = true
	}
	m.streams = make(map[string]bool, len(cfg.StreamRoutes))
	for _, r := range cfg.StreamRoutes {
		m.streams[r] = true
	}

	m.httpDuration = m.histogram("http_request_duration_seconds", "Time to answer an HTTP request, by route pattern and status class (2xx, 4xx…).", FastBuckets, "route", "code")

	m.providerRequests = m.counter("provider_requests_total", "Model calls by the provider and model that served (or last failed) them and their outcome.", "provider", "model", "outcome")
	m.providerAttempts = m.counter("provider_attempts_total", "Steps the router took: provider calls by result (ok or provider_<kind>) and skipped candidates (skipped_<reason>).", "provider", "endpoint", "result")
	m.upstream = m.histogram("provider_upstream_seconds", "Time spent inside provider calls of a successful model call (all attempts).", SlowBuckets, "provider", "model")
	m.ttft = m.histogram("provider_ttft_seconds", "Time from the start of a streamed model call to its first token.", SlowBuckets, "provider", "model")
	m.overhead = m.histogram("provider_overhead_seconds", "Copydesk's own time in a model call: routing, accounting and retries' bookkeeping, without provider time and limiter waits.", FastBuckets, "provider", "model")
	m.routerWait = m.histogram("provider_wait_seconds", "Time a model call waited for Copydesk's limiters and backoff before its attempts.", SlowBuckets, "provider", "model")
	m.tokens = m.counter("provider_tokens_total", "Tokens the providers reported, by type: input (cached included), output, cached.", "provider", "model", "type")
	m.costModel = m.counter("cost_micros_total", "Cost of model calls in micro-units of the currency, by model.", "provider", "model", "currency")
	m.costCustomer = m.counter("customer_cost_micros_total", "Cost of model calls in micro-units of the currency, by customer (listed customers, else other).", "customer", "currency")

	m.jobWait = m.histogram("job_queue_wait_seconds", "Time from a job's acceptance to the start of its first attempt, by priority.", SlowBuckets, "priority")
	m.jobDuration = m.histogram("job_duration_seconds", "Time one job attempt ran, by task kind and resulting status.", SlowBuckets, "kind", "status")
	m.jobRetries = m.counter("job_retries_total", "Job attempts that will be retried, by task kind and reason.", "kind", "reason")
	m.jobFailures = m.counter("job_failures_total", "Jobs that failed for good, by task kind and reason.", "kind", "reason")

	m.sseOpen = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "sse_streams_open", Help: "Server-Sent Event streams open now."})
	m.register(m.sseOpen, "sse_streams_open")
	m.streamDuration = m.histogram("sse_stream_duration_seconds", "How long Server-Sent Event streams stayed open, by route pattern (Config.StreamRoutes).", []float64{0.1, 1, 10, 30, 60, 300, 900, 1800, 3600, 4 * 3600}, "route")
	m.sseTotal = prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: "sse_streams_total", Help: "Server-Sent Event streams opened."})
	m.register(m.sseTotal, "sse_streams_total")

	m.firstResult = m.histogram("request_first_result_seconds", "Time from a request's acceptance to its first result reaching the client, by task kind.", SlowBuckets, "kind")
	m.done = m.histogram("request_done_seconds", "Time from a request's acceptance to its final outcome, by task kind and final status (succeeded, partial, failed, cancelled).", SlowBuckets, "kind", "status")

	m.budgetSpent = m.gauge("customer_budget_spent_micros", "Spent in the current budget period, by listed customer.", "customer")
	m.budgetLimit = m.gauge("customer_budget_limit_micros", "Budget limit of the current period, by listed customer.", "customer")
	m.budgetUsed = m.gauge("customer_budget_used_ratio", "Spent over limit (1 = budget used up), by listed customer.", "customer")

	m.scrapeErrors = m.counter("scrape_errors_total", "Figures that could not be read during a scrape, by source.", "source")

	if cfg.CacheStats != nil {
		m.register(newCacheCollector(cfg.CacheStats), cacheNames...)
	}
	if cfg.QueueDepth != nil {
		m.register(&queueCollector{m: m}, queueNames...)
		m.scrapeErrors.WithLabelValues("queue")
	}
	if cfg.RouterStats != nil {
		m.register(&routerCollector{stats: cfg.RouterStats}, routerNames...)
	}
	if cfg.Redis != nil {
		m.register(newRedisCollector(cfg.Redis), redisNames...)
	}
	if cfg.StoreStats != nil {
		stats := cfg.StoreStats
		m.register(prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: Namespace, Name: "store_statements_total",
			Help: "SQL statements the store ran on its database (the job queue's included; BEGIN, COMMIT and ROLLBACK not counted)."},
			func() float64 { return float64(stats().Statements) }), "store_statements_total")
		m.register(prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: Namespace, Name: "store_transactions_total",
			Help: "Explicit transactions the store began on its database (the job queue's and read-only ones included; on PostgreSQL a statement outside one is a transaction of its own, not counted here)."},
			func() float64 { return float64(stats().Transactions) }), "store_transactions_total")
		m.register(prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: Namespace, Name: "store_round_trips_total",
			Help: "Requests the store sent to its database server and waited for (each statement, BEGIN and COMMIT sent alone, a pipelined batch once; the job queue's included). Always 0 on SQLite, which runs in the process."},
			func() float64 { return float64(stats().RoundTrips) }), "store_round_trips_total")
		m.register(prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: Namespace, Name: "ledger_rows_written_total",
			Help: "Cost-ledger rows the store committed (a call's cost, a settled reservation, a minute's summed cache hits): how the ledger grows."},
			func() float64 { return float64(stats().LedgerRows) }), "ledger_rows_written_total")
	}
	if cfg.Process {
		m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	slices.Sort(m.names)
	return m, nil
}

// Names returns the full name of every Copydesk metric family that Metrics
// with every source configured exposes, sorted. Histograms are listed by
// their family name (without _bucket, _sum, _count).
func Names() []string {
	m, _ := New(Config{
		CacheStats:  func(context.Context) copydesk.CacheStats { return copydesk.CacheStats{} },
		QueueDepth:  func(context.Context) ([]QueueDepth, error) { return nil, nil },
		RouterStats: func() []copydesk.EndpointStats { return nil },
		Redis:       func(context.Context) RedisState { return RedisState{} },
		StoreStats:  func() copydesk.StoreStats { return copydesk.StoreStats{} },
	})
	return slices.Clone(m.names)
}

// Registry returns the registry holding every figure, for tests or to add
// collectors of other packages.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the figures in the Prometheus text (or OpenMetrics)
// format, for GET /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, EnableOpenMetrics: true})
}

func (m *Metrics) register(c prometheus.Collector, names ...string) {
	m.reg.MustRegister(c)
	for _, n := range names {
		m.names = append(m.names, Namespace+"_"+n)
	}
}

func (m *Metrics) counter(name, help string, labels ...string) *prometheus.CounterVec {
	v := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help}, labels)
	m.register(v, name)
	return v
}

func (m *Metrics) gauge(name, help string, labels ...string) *prometheus.GaugeVec {
	v := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: Namespace, Name: name, Help: help}, labels)
	m.register(v, name)
	return v
}

func (m *Metrics) histogram(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	v := prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: name, Help: help, Buckets: buckets}, labels)
	m.register(v, name)
	return v
}

// customer returns the bounded label value of a customer id.
func (m *Metrics) customer(id string) string {
	switch {
	case id == "":
		return CustomerNone
	case m.customers[id]:
		return id
	}
	return CustomerOther
}

// StatusClass returns "1xx" … "5xx" for an HTTP status, "0xx" for a
// status that was never written (0), and "other" outside 100-599.
func StatusClass(status int) string {
	switch {
	case status == 0:
		return "0xx"
	case status < 100 || status > 599:
		return "other"
	}
	return statusClasses[status/100-1]
}

var statusClasses = [...]string{"1xx", "2xx", "3xx", "4xx", "5xx"}

// ObserveHTTP records one answered HTTP request. route is the mux pattern
// that matched (r.Pattern, e.g. "POST /v1/analyses") or "unmatched" —
// never the raw path, which would make the label unbounded. Call it from
// the request-logging middleware for every request; streams listed in
// Config.StreamRoutes are told apart here.
func (m *Metrics) ObserveHTTP(route string, status int, d time.Duration) {
	if m.streams[route] {
		m.streamDuration.WithLabelValues(route).Observe(d.Seconds())
		return
	}
	m.httpDuration.WithLabelValues(cmp.Or(route, "unmatched"), StatusClass(status)).Observe(d.Seconds())
	m.requests.Add(1)
	m.requestNanos.Add(int64(d))
}

// ObserveModelCall records one model call of the routed model service
// (router.Observer): ObserveProviderCall with Outcome(err).
func (m *Metrics) ObserveModelCall(rec copydesk.UsageRecord, err error) {
	m.ObserveProviderCall(rec, Outcome(err))
}

// ObserveProviderCall records one model call as the router finished it:
// rec is the result's Usage on success, or a record with Provider, Model,
// CustomerID, Kind and Decision filled from a router error; outcome is
// Outcome(err) — a value outside the vocabulary is counted as internal.
// Tokens, cost, upstream time, TTFT and overhead are recorded for every
// call; each attempt and skipped candidate of rec.Decision is counted too.
func (m *Metrics) ObserveProviderCall(rec copydesk.UsageRecord, outcome string) {
	if !ValidOutcome(outcome) {
		outcome = OutcomeInternal
	}
	provider, model := cmp.Or(rec.Provider, "none"), cmp.Or(rec.Model, "none")
	m.providerRequests.WithLabelValues(provider, model, outcome).Inc()

	var upstream, wait time.Duration
	for _, a := range rec.Decision.Attempts {
		upstream += a.Duration
		wait += a.Wait
		result := attemptResult(a)
		m.providerAttempts.WithLabelValues(cmp.Or(a.Provider, "none"), cmp.Or(a.Endpoint, "none"), result).Inc()
		switch {
		case a.Outcome == copydesk.OutcomeOK:
			m.attempts.Add(1)
		case a.Outcome == copydesk.OutcomeError:
			m.attempts.Add(1)
			m.attemptErrors.Add(1)
			if a.ErrorKind == copydesk.ProviderRateLimited {
				m.mu.Lock()
				m.rateLimited[a.Endpoint]++
				m.mu.Unlock()
			}
		}
	}
	if rec.Latency > 0 {
		m.upstream.WithLabelValues(provider, model).Observe(upstream.Seconds())
		m.routerWait.WithLabelValues(provider, model).Observe(wait.Seconds())
		m.overhead.WithLabelValues(provider, model).Observe(max(0, rec.Latency-upstream-wait).Seconds())
	}
	if rec.TTFT > 0 {
		m.ttft.WithLabelValues(provider, model).Observe(rec.TTFT.Seconds())
	}
	if rec.InputTokens > 0 || rec.OutputTokens > 0 || rec.CachedTokens > 0 {
		m.tokens.WithLabelValues(provider, model, "input").Add(float64(rec.InputTokens))
		m.tokens.WithLabelValues(provider, model, "output").Add(float64(rec.OutputTokens))
		m.tokens.WithLabelValues(provider, model, "cached").Add(float64(rec.CachedTokens))
	}
	if rec.Cost > 0 {
		cur := cmp.Or(rec.Currency, "none")
		m.costModel.WithLabelValues(provider, model, cur).Add(float64(rec.Cost))
		m.costCustomer.WithLabelValues(m.customer(rec.CustomerID), cur).Add(float64(rec.Cost))
	}
}

// attemptResult is the bounded result label of one route attempt.
func attemptResult(a copydesk.RouteAttempt) string {
	switch a.Outcome {
	case copydesk.OutcomeOK:
		return OutcomeOK
	case copydesk.OutcomeError:
		if o := "provider_" + string(a.ErrorKind); ValidOutcome(o) {
			return o
		}
		return OutcomeProviderServer
	case copydesk.OutcomeLimited, copydesk.OutcomeBreakerOpen, copydesk.OutcomeKeyDead, copydesk.OutcomeKeyCooling:
		return "skipped_" + a.Outcome
	}
	return "skipped_other"
}

// JobStarted records that a job's first attempt started wait after the
// job was accepted. Call it from the job runner.
func (m *Metrics) JobStarted(priority copydesk.Priority, wait time.Duration) {
	m.jobWait.WithLabelValues(priority.String()).Observe(wait.Seconds())
}

// JobAttempt records one finished job attempt of kind that ran for d.
// status is the job's status after the attempt: a final status, or
// JobQueued when the attempt failed and will be retried; err is the
// attempt's error (nil on success). A retry counts in
// copydesk_job_retries_total, a JobFailed in copydesk_job_failures_total,
// both with Outcome(err) as reason.
func (m *Metrics) JobAttempt(kind string, status copydesk.JobStatus, d time.Duration, err error) {
	kind = cmp.Or(kind, "none")
	label := string(status)
	if !status.Final() {
		label = "retry"
	}
	m.jobDuration.WithLabelValues(kind, label).Observe(d.Seconds())
	switch {
	case !status.Final():
		m.jobRetries.WithLabelValues(kind, Outcome(err)).Inc()
	case status == copydesk.JobFailed:
		reason := Outcome(err)
		if err == nil {
			reason = OutcomeInternal
		}
		m.jobFailures.WithLabelValues(kind, reason).Inc()
	}
}

// StreamOpened records an SSE stream opening; call the returned function
// exactly once when it closes (defer it). Extra calls are ignored.
func (m *Metrics) StreamOpened() (closed func()) {
	m.sseOpen.Inc()
	m.sseTotal.Inc()
	var once sync.Once
	return func() { once.Do(m.sseOpen.Dec) }
}

// ObserveFirstResult records the time from a request's acceptance to the
// first result its client received (an inline answer, a cache hit, or the
// first task.result or delta event of its job).
func (m *Metrics) ObserveFirstResult(kind string, d time.Duration) {
	m.firstResult.WithLabelValues(cmp.Or(kind, "none")).Observe(d.Seconds())
}

// ObserveDone records the time from a request's acceptance to its final
// status. The counts by status give the completion rate.
func (m *Metrics) ObserveDone(kind string, status copydesk.JobStatus, d time.Duration) {
	m.done.WithLabelValues(cmp.Or(kind, "none"), string(status)).Observe(d.Seconds())
}

// SetBudget records a customer's spending in the current period against
// its limit (0: no limit). Listed customers get their own gauges; every
// customer is watched by the alert rules through AlertSample.
func (m *Metrics) SetBudget(customerID string, spent, limit copydesk.Micros) {
	m.mu.Lock()
	if limit > 0 {
		m.budgets[customerID] = copydesk.BudgetUse{CustomerID: customerID, Spent: spent, Limit: limit}
	} else {
		delete(m.budgets, customerID)
	}
	m.mu.Unlock()
	if !m.customers[customerID] {
		return
	}
	m.budgetSpent.WithLabelValues(customerID).Set(float64(spent))
	m.budgetLimit.WithLabelValues(customerID).Set(float64(limit))
	if limit > 0 {
		m.budgetUsed.WithLabelValues(customerID).Set(float64(spent) / float64(limit))
	} else {
		m.budgetUsed.DeleteLabelValues(customerID)
	}
}

// AlertSample reads the figures the alert rules watch: the HTTP, provider
// and cache tallies since start, the queue depth now, every customer's
// budget and every endpoint's health. It is the Source of an alert.Engine.
func (m *Metrics) AlertSample(ctx context.Context) (copydesk.HealthSample, error) {
	s := copydesk.HealthSample{
		Requests:         m.requests.Load(),
		RequestSeconds:   time.Duration(m.requestNanos.Load()).Seconds(),
		ProviderAttempts: m.attempts.Load(),
		ProviderErrors:   m.attemptErrors.Load(),
		QueueDepth:       -1,
	}
	if m.cfg.CacheStats != nil {
		t := m.cfg.CacheStats(ctx).Total
		s.CacheSaved, s.CacheComputed = t.CallsSaved, t.Computed
	}
	if m.cfg.QueueDepth != nil {
		if depths, err := m.cfg.QueueDepth(ctx); err == nil {
			s.QueueDepth = 0
			for _, d := range depths {
				s.QueueDepth += d.Count
			}
		}
	}
	m.mu.Lock()
	for _, b := range m.budgets {
		s.Budgets = append(s.Budgets, b)
	}
	rl := make(map[string]int64, len(m.rateLimited))
	for k, v := range m.rateLimited {
		rl[k] = v
	}
	m.mu.Unlock()
	slices.SortFunc(s.Budgets, func(a, b copydesk.BudgetUse) int { return cmp.Compare(a.CustomerID, b.CustomerID) })
	if m.cfg.RouterStats != nil {
		for _, ep := range m.cfg.RouterStats() {
			s.Endpoints = append(s.Endpoints, copydesk.EndpointHealth{Name: ep.Name, Down: endpointDown(ep), RateLimited: rl[ep.Name]})
			delete(rl, ep.Name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(rl)) {
		s.Endpoints = append(s.Endpoints, copydesk.EndpointHealth{Name: name, RateLimited: rl[name]})
	}
	return s, nil
}

// endpointDown reports whether no key of the endpoint can take a call.
func endpointDown(ep copydesk.EndpointStats) bool {
	if len(ep.Breakers) == 0 {
		return false
	}
	dead := make(map[int]bool, len(ep.DeadKeys))
	for _, k := range ep.DeadKeys {
		dead[k] = true
	}
	for k, b := range ep.Breakers {
		if b != copydesk.BreakerOpen && !dead[k] {
			return false
		}
	}
	return true
}
