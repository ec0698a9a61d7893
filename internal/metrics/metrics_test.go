package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/metrics"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// MustScrape GETs the handler and parses the text exposition.
func MustScrape(tb testing.TB, h http.Handler) map[string]*dto.MetricFamily {
	tb.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("GET /metrics: got status %d, want 200", resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		tb.Fatalf("parse scrape: %v", err)
	}
	return fams
}

// value returns the value of the series of family name whose labels
// include want ("k=v" pairs); histograms give their sample count.
func value(tb testing.TB, fams map[string]*dto.MetricFamily, name string, want ...string) float64 {
	tb.Helper()
	f, ok := fams[name]
	if !ok {
		tb.Fatalf("family %s missing from the scrape", name)
	}
	var total float64
	found := false
next:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for _, kv := range want {
			k, v, _ := strings.Cut(kv, "=")
			if have[k] != v {
				continue next
			}
		}
		found = true
		switch {
		case m.Counter != nil:
			total += m.Counter.GetValue()
		case m.Gauge != nil:
			total += m.Gauge.GetValue()
		case m.Histogram != nil:
			total += float64(m.Histogram.GetSampleCount())
		}
	}
	if !found {
		tb.Fatalf("%s%v: no such series", name, want)
	}
	return total
}

func MustNew(tb testing.TB, cfg metrics.Config) *metrics.Metrics {
	tb.Helper()
	m, err := metrics.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

func TestScriptedWorkload(t *testing.T) {
	t.Parallel()
	snap := copydesk.CacheStats{Tiers: []copydesk.CacheTierStats{
		{Tier: copydesk.TierPermanent, Requests: 10, Computed: 3, ProviderCalls: 3, CostSaved: 7000, CostSpent: 3000,
			L1: copydesk.CacheLayerStats{Hits: 5, Misses: 5, UsageKnown: true, Entries: 8, Bytes: 4096},
			L2: copydesk.CacheLayerStats{Hits: 2, Misses: 3}},
		{Tier: copydesk.TierRealtime, Requests: 1, Failures: 1, L1: copydesk.CacheLayerStats{Misses: 1}},
	}}
	snap.Total = copydesk.CacheTierStats{CallsSaved: 7, Computed: 3}
	queue := []metrics.QueueDepth{
		{Priority: copydesk.PriorityCritical, State: "available", Count: 4},
		{Priority: copydesk.PriorityLow, State: "running", Count: 2},
		{Priority: copydesk.PriorityLow, State: "running", Count: 1},
	}
	m := MustNew(t, metrics.Config{
		Customers:    []string{"acme"},
		StreamRoutes: []string{"GET /v1/jobs/{id}/events"},
		CacheStats:   func(context.Context) copydesk.CacheStats { return snap },
		QueueDepth:   func(context.Context) ([]metrics.QueueDepth, error) { return queue, nil },
		RouterStats: func() []copydesk.EndpointStats {
			return []copydesk.EndpointStats{
				{Name: "oa", Provider: "openai", Model: "gpt", InFlight: 2, Load: 0.5, Breakers: []string{"closed", "open"}},
				{Name: "an", Provider: "anthropic", Model: "claude", Breakers: []string{"open"}},
			}
		},
		Redis: func(context.Context) metrics.RedisState {
			return metrics.RedisState{Up: true, Fallbacks: map[string]uint64{"ratelimit": 3, "provider_limits": 1}}
		},
		StoreStats: func() copydesk.StoreStats {
			return copydesk.StoreStats{Statements: 41, Transactions: 9, RoundTrips: 47, LedgerRows: 5}
		},
	})

	// HTTP: three 2xx, one 4xx, one 5xx.
	for _, s := range []int{200, 200, 202, 404, 500} {
		m.ObserveHTTP("POST /v1/analyses", s, 3*time.Millisecond)
	}
	m.ObserveHTTP("", 0, time.Millisecond)
	m.ObserveHTTP("GET /v1/jobs/{id}/events", 200, 10*time.Minute) // a stream: not a slow answer

	// Provider: one call that hit a 429 then succeeded, one that failed.
	ok := copydesk.UsageRecord{
		CustomerID: "acme", Provider: "openai", Model: "gpt", InputTokens: 100, OutputTokens: 40, CachedTokens: 30,
		Cost: 1234, Currency: "EUR", Latency: 900 * time.Millisecond, TTFT: 200 * time.Millisecond,
		Decision: copydesk.RouteDecision{Attempts: []copydesk.RouteAttempt{
			{Endpoint: "oa", Provider: "openai", Outcome: copydesk.OutcomeError, ErrorKind: copydesk.ProviderRateLimited, Duration: 100 * time.Millisecond},
			{Endpoint: "an", Provider: "anthropic", Outcome: copydesk.OutcomeBreakerOpen},
			{Endpoint: "oa", Provider: "openai", Outcome: copydesk.OutcomeOK, Wait: 200 * time.Millisecond, Duration: 500 * time.Millisecond},
		}},
	}
	m.ObserveProviderCall(ok, metrics.OutcomeOK)
	other := ok
	other.CustomerID, other.Cost, other.Decision = "bigco", 66, copydesk.RouteDecision{}
	m.ObserveProviderCall(other, metrics.OutcomeOK)
	failed := copydesk.UsageRecord{Provider: "openai", Model: "gpt", Decision: copydesk.RouteDecision{Attempts: []copydesk.RouteAttempt{
		{Endpoint: "oa", Provider: "openai", Outcome: copydesk.OutcomeError, ErrorKind: copydesk.ProviderTimeout, Duration: time.Second},
	}}}
	m.ObserveProviderCall(failed, metrics.Outcome(&copydesk.ProviderError{Kind: copydesk.ProviderTimeout}))
	m.ObserveProviderCall(copydesk.UsageRecord{}, "made_up")

	// Jobs, SSE, first result, budget.
	m.JobStarted(copydesk.PriorityHigh, time.Second)
	m.JobAttempt("analysis", copydesk.JobQueued, time.Second, &copydesk.ProviderError{Kind: copydesk.ProviderServer})
	m.JobAttempt("analysis", copydesk.JobFailed, time.Second, copydesk.Errorf(copydesk.EBUDGETEXCEEDED, "x"))
	m.JobAttempt("analysis", copydesk.JobSucceeded, time.Second, nil)
	close1 := m.StreamOpened()
	close2 := m.StreamOpened()
	_ = m.StreamOpened()
	close1()
	close1() // a second close is ignored
	close2()
	m.ObserveFirstResult("analysis", 50*time.Millisecond)
	m.ObserveDone("analysis", copydesk.JobSucceeded, time.Second)
	m.ObserveDone("analysis", copydesk.JobFailed, time.Second)
	m.SetBudget("acme", 900_000, 1_000_000)
	m.SetBudget("bigco", 5, 10)

	fams := MustScrape(t, m.Handler())
	tests := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"copydesk_cache_lookups_total", []string{"tier=permanent", "layer=l1", "result=hit"}, 5},
		{"copydesk_cache_lookups_total", []string{"tier=permanent", "layer=l2", "result=hit"}, 2},
		{"copydesk_cache_lookups_total", []string{"tier=permanent", "result=hit"}, 7},
		{"copydesk_cache_requests_total", []string{"tier=permanent", "result=computed"}, 3},
		{"copydesk_cache_requests_total", []string{"tier=realtime", "result=failed"}, 1},
		{"copydesk_cache_entries", []string{"tier=permanent", "layer=l1"}, 8},
		{"copydesk_cache_cost_saved_micros_total", []string{"tier=permanent"}, 7000},
		{"copydesk_http_request_duration_seconds", []string{"route=POST /v1/analyses", "code=2xx"}, 3},
		{"copydesk_http_request_duration_seconds", []string{"code=4xx"}, 1},
		{"copydesk_http_request_duration_seconds", []string{"code=5xx"}, 1},
		{"copydesk_http_request_duration_seconds", []string{"route=unmatched", "code=0xx"}, 1},
		{"copydesk_provider_requests_total", []string{"provider=openai", "outcome=ok"}, 2},
		{"copydesk_provider_requests_total", []string{"provider=openai", "outcome=provider_timeout"}, 1},
		{"copydesk_provider_requests_total", []string{"provider=none", "outcome=internal"}, 1},
		{"copydesk_provider_attempts_total", []string{"endpoint=oa", "result=provider_rate_limited"}, 1},
		{"copydesk_provider_attempts_total", []string{"endpoint=oa", "result=provider_timeout"}, 1},
		{"copydesk_provider_attempts_total", []string{"endpoint=oa", "result=ok"}, 1},
		{"copydesk_provider_attempts_total", []string{"endpoint=an", "result=skipped_breaker_open"}, 1},
		{"copydesk_provider_tokens_total", []string{"type=input"}, 200},
		{"copydesk_provider_tokens_total", []string{"type=output"}, 80},
		{"copydesk_provider_tokens_total", []string{"type=cached"}, 60},
		{"copydesk_provider_ttft_seconds", []string{"model=gpt"}, 2},
		{"copydesk_provider_upstream_seconds", []string{"model=gpt"}, 2}, // the failed call has no latency
		{"copydesk_cost_micros_total", []string{"model=gpt", "currency=EUR"}, 1300},
		{"copydesk_customer_cost_micros_total", []string{"customer=acme"}, 1234},
		{"copydesk_customer_cost_micros_total", []string{"customer=other"}, 66},
		{"copydesk_queue_jobs", []string{"priority=CRITICAL", "state=available"}, 4},
		{"copydesk_queue_jobs", []string{"priority=LOW", "state=running"}, 3},
		{"copydesk_job_queue_wait_seconds", []string{"priority=HIGH"}, 1},
		{"copydesk_job_duration_seconds", []string{"kind=analysis"}, 3},
		{"copydesk_job_retries_total", []string{"kind=analysis", "reason=provider_server"}, 1},
		{"copydesk_job_failures_total", []string{"kind=analysis", "reason=policy_budget_exceeded"}, 1},
		{"copydesk_sse_streams_open", nil, 1},
		{"copydesk_sse_streams_total", nil, 3},
		{"copydesk_sse_stream_duration_seconds", []string{"route=GET /v1/jobs/{id}/events"}, 1},
		{"copydesk_request_first_result_seconds", []string{"kind=analysis"}, 1},
		{"copydesk_request_done_seconds", []string{"status=succeeded"}, 1},
		{"copydesk_request_done_seconds", []string{"status=failed"}, 1},
		{"copydesk_customer_budget_used_ratio", []string{"customer=acme"}, 0.9},
		{"copydesk_router_endpoint_up", []string{"endpoint=oa"}, 1},
		{"copydesk_router_endpoint_up", []string{"endpoint=an"}, 0},
		{"copydesk_router_keys", []string{"endpoint=oa", "state=open"}, 1},
		{"copydesk_router_inflight_calls", []string{"endpoint=oa"}, 2},
		{"copydesk_redis_up", nil, 1},
		{"copydesk_redis_fallbacks_total", []string{"component=ratelimit"}, 3},
		{"copydesk_redis_fallbacks_total", []string{"component=provider_limits"}, 1},
		{"copydesk_store_statements_total", nil, 41},
		{"copydesk_store_transactions_total", nil, 9},
		{"copydesk_store_round_trips_total", nil, 47},
		{"copydesk_ledger_rows_written_total", nil, 5},
	}
	for _, tt := range tests {
		if got := value(t, fams, tt.name, tt.labels...); got != tt.want {
			t.Errorf("%s%v: got %v, want %v", tt.name, tt.labels, got, tt.want)
		}
	}
	// Customers not listed never become a label value.
	for _, f := range fams {
		for _, mt := range f.Metric {
			for _, l := range mt.Label {
				if l.GetValue() == "bigco" {
					t.Errorf("%s: unlisted customer bigco used as a label value", f.GetName())
				}
			}
		}
	}
	// Every family Names lists is in the scrape, and nothing else of ours.
	names := metrics.Names()
	for _, n := range names {
		if _, ok := fams[n]; !ok && n != "copydesk_scrape_errors_total" {
			t.Errorf("Names lists %s, missing from the scrape", n)
		}
	}
	for n := range fams {
		if strings.HasPrefix(n, "copydesk_") && !slices.Contains(names, n) {
			t.Errorf("scrape has %s, missing from Names", n)
		}
	}

	// The alert sample agrees with what happened.
	s, err := m.AlertSample(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s.CacheSaved != 7 || s.CacheComputed != 3 {
		t.Errorf("AlertSample cache: got %d saved %d computed, want 7 and 3", s.CacheSaved, s.CacheComputed)
	}
	if s.ProviderAttempts != 3 || s.ProviderErrors != 2 {
		t.Errorf("AlertSample provider: got %d attempts %d errors, want 3 and 2", s.ProviderAttempts, s.ProviderErrors)
	}
	if s.Requests != 6 || s.QueueDepth != 7 {
		t.Errorf("AlertSample: got %d requests, queue %d; want 6 and 7", s.Requests, s.QueueDepth)
	}
	if want := (5*3*time.Millisecond + time.Millisecond).Seconds(); fmt.Sprintf("%.6f", s.RequestSeconds) != fmt.Sprintf("%.6f", want) {
		t.Errorf("AlertSample RequestSeconds: got %v, want %v", s.RequestSeconds, want)
	}
	if len(s.Budgets) != 2 || s.Budgets[0].CustomerID != "acme" || s.Budgets[1].CustomerID != "bigco" {
		t.Errorf("AlertSample budgets: got %+v, want acme and bigco", s.Budgets)
	}
	if len(s.Endpoints) != 2 || s.Endpoints[0].Name != "oa" || s.Endpoints[0].Down || s.Endpoints[0].RateLimited != 1 || !s.Endpoints[1].Down {
		t.Errorf("AlertSample endpoints: got %+v, want oa up with 1 rate limit, an down", s.Endpoints)
	}
}

func TestQueueErrorCounted(t *testing.T) {
	t.Parallel()
	m := MustNew(t, metrics.Config{QueueDepth: func(context.Context) ([]metrics.QueueDepth, error) {
		return nil, errors.New("db down")
	}})
	_ = MustScrape(t, m.Handler())
	// The counter is collected concurrently with the queue: the first
	// scrape's failure shows by the second.
	fams := MustScrape(t, m.Handler())
	if got := value(t, fams, "copydesk_scrape_errors_total", "source=queue"); got < 1 {
		t.Errorf("scrape errors: got %v, want at least 1", got)
	}
	if _, ok := fams["copydesk_queue_jobs"]; ok {
		t.Error("queue depth exposed although its source failed")
	}
	s, _ := m.AlertSample(context.Background())
	if s.QueueDepth != -1 {
		t.Errorf("AlertSample QueueDepth with a failing source: got %d, want -1", s.QueueDepth)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	many := make([]string, metrics.MaxCustomers+1)
	for i := range many {
		many[i] = fmt.Sprint("c", i)
	}
	for _, tt := range []struct {
		name      string
		customers []string
	}{
		{"too many", many},
		{"empty id", []string{""}},
		{"reserved other", []string{"other"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := metrics.New(metrics.Config{Customers: tt.customers})
			if got := copydesk.ErrorCode(err); got != copydesk.EINVALID {
				t.Errorf("got code %q, want %q", got, copydesk.EINVALID)
			}
		})
	}
}

func TestOutcome(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		err  error
		want string
	}{
		{nil, "ok"},
		{&copydesk.ProviderError{Kind: copydesk.ProviderRateLimited}, "provider_rate_limited"},
		{fmt.Errorf("wrapped: %w", &copydesk.ProviderError{Kind: copydesk.ProviderTimeout}), "provider_timeout"},
		{&copydesk.ProviderError{Kind: "strange"}, "provider_server"},
		{copydesk.Errorf(copydesk.EBUDGETEXCEEDED, "x"), "policy_budget_exceeded"},
		{copydesk.Errorf(copydesk.ERATELIMITED, "x"), "policy_rate_limited"},
		{copydesk.Errorf(copydesk.ENOPROVIDER, "x"), "policy_no_provider"},
		{copydesk.Errorf(copydesk.EINVALID, "x"), "caller_invalid"},
		{copydesk.Errorf(copydesk.EUNAVAILABLE, "x"), "provider_unavailable"},
		{copydesk.Errorf(copydesk.EINTERNAL, "x"), "internal"},
		{context.Canceled, "caller_cancelled"},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), "provider_timeout"},
		{errors.New("boom"), "internal"},
	} {
		if got := metrics.Outcome(tt.err); got != tt.want {
			t.Errorf("Outcome(%v): got %q, want %q", tt.err, got, tt.want)
		}
		if !metrics.ValidOutcome(metrics.Outcome(tt.err)) {
			t.Errorf("Outcome(%v) outside the vocabulary", tt.err)
		}
	}
	if got := metrics.OutcomeOfCode(copydesk.FailureCode(&copydesk.ProviderError{Kind: copydesk.ProviderAuth})); got != "provider_auth" {
		t.Errorf("OutcomeOfCode(provider_auth): got %q, want provider_auth", got)
	}
}

func TestStatusClass(t *testing.T) {
	t.Parallel()
	for in, want := range map[int]string{0: "0xx", 99: "other", 101: "1xx", 200: "2xx", 304: "3xx", 429: "4xx", 503: "5xx", 600: "other"} {
		if got := metrics.StatusClass(in); got != want {
			t.Errorf("StatusClass(%d): got %q, want %q", in, got, want)
		}
	}
}
