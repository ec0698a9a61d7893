package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/copydesk/copydesk/internal/alert"
	"github.com/copydesk/copydesk/internal/analysis"
	"github.com/copydesk/copydesk/internal/auth"
	"github.com/copydesk/copydesk/internal/batchtier"
	"github.com/copydesk/copydesk/internal/budget"
	"github.com/copydesk/copydesk/internal/cache"
	"github.com/copydesk/copydesk/internal/chain"
	"github.com/copydesk/copydesk/internal/copydesk"
	cdhttp "github.com/copydesk/copydesk/internal/http"
	"github.com/copydesk/copydesk/internal/jobs"
	"github.com/copydesk/copydesk/internal/ledger"
	"github.com/copydesk/copydesk/internal/lograte"
	"github.com/copydesk/copydesk/internal/metrics"
	"github.com/copydesk/copydesk/internal/postgres"
	"github.com/copydesk/copydesk/internal/providerlimit"
	"github.com/copydesk/copydesk/internal/ratelimit"
	"github.com/copydesk/copydesk/internal/redis"
	"github.com/copydesk/copydesk/internal/river"
	"github.com/copydesk/copydesk/internal/router"
	"github.com/copydesk/copydesk/internal/sentry"
	"github.com/copydesk/copydesk/internal/sqlite"
	"github.com/copydesk/copydesk/internal/trace"
	"github.com/copydesk/copydesk/internal/webui"
)

// store is what Main needs of a storage backend.
type store interface {
	copydesk.JobStore
	copydesk.CacheStore
	copydesk.AccessStore
	copydesk.BudgetStore
	copydesk.BudgetJournal
	copydesk.LedgerStore
	copydesk.TranslationStore
	copydesk.BatchStore
	copydesk.CostStore
	Ping(ctx context.Context) error
	DeleteExpiredCache(ctx context.Context) (int, error)
	StoreStats() copydesk.StoreStats
}

// queue is what Main needs of the job queue.
type queue interface {
	copydesk.Queue
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	Close() error
	Depth(ctx context.Context) ([]river.Depth, error)
	Waiting(ctx context.Context) (int, error)
}

var (
	_ queue = (*river.Queue[*sql.Tx])(nil)
	_ queue = (*river.Queue[pgx.Tx])(nil)
)

// Main is the running program: configuration in, wired services out. Tests
// run it on port 0 with a temporary data directory.
type Main struct {
	Config Config
	Logger *slog.Logger
	Clock  copydesk.Clock

	// Routed overrides the routed model service built from the
	// configuration (tests point it at fake providers); the chain is built
	// around it as around the configured one.
	Routed *router.Service

	Store   store
	sqlite  *sqlite.DB      // the store in the embedded mode
	pg      *postgres.DB    // the store in the PostgreSQL mode
	samples *clusterSamples // scale-out mode: alert samples shared by the instances
	Cache   *cache.Cache
	Metrics *metrics.Metrics
	Alerts  *alert.Engine
	// Tracing records OpenTelemetry spans; nil: set up from the OTEL_*
	// environment (off unless an exporter is configured).
	Tracing *trace.Tracing
	access  *auth.CachingStore // the access store with verified credentials remembered
	routed  *router.Service    // the routed model service built from the configuration

	batchPoller *batchtier.Poller // submits and collects provider batches (leader only); nil without batch APIs
	hits        *ledger.Hits      // cache-hit savings summed for the ledger
	ledger      *ledger.Reader    // the ledger, read after what is held back is written
	Queue       queue
	Jobs        *jobs.Service
	HTTP        *cdhttp.Server
	// Auth authenticates API callers; Limiter rate-limits them (in Redis,
	// shared by the instances, when redis_url is set); Budget guards every
	// provider call with the customer's budget.
	Auth     *auth.Authenticator
	Limiter  ratelimit.Service
	Budget   *budget.Service
	closers  []func() error
	unlockFn func()
	redis    *redis.Cache // the L2 and claims when redis_url is set
	// providerLimits, sharedLimiter and sharedCache are the provider
	// limits, the rate limits and the L2 shared in Redis when redis_url is
	// set.
	providerLimits *redis.ProviderLimits
	sharedLimiter  *ratelimit.Fallback
	sharedCache    *cache.FallbackStore
	// redisPrefix starts Redis keys; tests set a fresh one. Default
	// redis.DefaultPrefix.
	redisPrefix string
}

// NewMain returns a Main with the default configuration.
func NewMain() *Main {
	return &Main{Config: DefaultConfig(), Clock: copydesk.SystemClock{}}
}

// startup carries what one step of Run hands to the later ones.
type startup struct {
	reporter *sentry.Reporter
	ln       net.Listener
	// shared holds the provider limits of all instances (Redis), nil for
	// this instance's own.
	shared providerlimit.Shared
	// calls and blocks are the model services behind the budget, the cache
	// and the ledger: nil without a provider.
	calls, blocks copydesk.ModelService
	directory     copydesk.ModelDirectory
	tokens        copydesk.TokenCounter
	content       *contentServices
}

// startStep is one named step of Run.
type startStep struct {
	name string
	run  func(ctx context.Context, s *startup) error
}

// startSteps are the steps of Run in the order they run. Each step uses
// only what the steps before it set up (in Main or in startup).
func (m *Main) startSteps() []startStep {
	return []startStep{
		{"tracing and error reporting", m.openReporting},
		{"debug server", func(context.Context, *startup) error { return m.openDebug() }},
		// Listen before anything starts, so that a taken port is one clear
		// error and not a store, a queue and a failure.
		{"listen", m.listen},
		{"store", func(ctx context.Context, _ *startup) error { return m.openStore(ctx) }},
		{"access", func(ctx context.Context, _ *startup) error { return m.openAccess(ctx) }},
		{"jobs", m.newJobs},
		{"redis", m.openRedis},
		{"model router", m.openModels},
		{"cache and rate limits", m.openCache},
		{"model-call chain", m.openChain},
		{"content services", m.openContent},
		{"queue and observability", m.openQueueAndMetrics},
		{"http server", m.newHTTPServer},
		{"start", m.start},
	}
}

// Run opens the store and the queue, starts the workers and the HTTP
// server, and returns once it serves. Close stops everything. The work is
// done in the steps of startSteps, in their order; on an error what was
// opened is closed.
func (m *Main) Run(ctx context.Context) (err error) {
	if err := m.Config.Validate(); err != nil {
		return err
	}
	if m.Logger == nil {
		m.Logger = slog.New(slog.DiscardHandler)
	}
	if m.Clock == nil {
		m.Clock = copydesk.SystemClock{}
	}
	defer func() {
		if err != nil {
			m.closeResources()
		}
	}()
	s := &startup{}
	for _, step := range m.startSteps() {
		if err := step.run(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// openReporting sets up tracing (unless a test gave its own) and the Sentry
// reporter.
func (m *Main) openReporting(ctx context.Context, s *startup) error {
	if m.Tracing == nil {
		t, err := trace.Setup(ctx, trace.Config{Version: version})
		if err != nil {
			return &ConfigError{Field: "OTEL_*", Message: copydesk.ErrorMessage(err)}
		}
		m.Tracing = t
	}
	m.closers = append(m.closers, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return m.Tracing.Shutdown(ctx)
	})
	reporter, err := sentry.Setup(sentry.Config{Release: version})
	if err != nil {
		return &ConfigError{Field: "SENTRY_DSN", Message: copydesk.ErrorMessage(err)}
	}
	m.closers = append(m.closers, func() error { reporter.Flush(2 * time.Second); return nil })
	s.reporter = reporter
	return nil
}

// listen takes the configured address.
func (m *Main) listen(_ context.Context, s *startup) error {
	ln, err := net.Listen("tcp", m.Config.Addr)
	if err != nil {
		return listenError(m.Config.Addr, err)
	}
	m.closers = append(m.closers, func() error { _ = ln.Close(); return nil })
	s.ln = ln
	return nil
}

// newJobs builds the job service on the store (its queue and observer
// come with the queue step).
func (m *Main) newJobs(_ context.Context, s *startup) error {
	m.Jobs = &jobs.Service{
		Store: m.Store, Broker: jobs.NewBroker(), Clock: m.Clock,
		Logger: m.Logger, MaxAttempts: m.Config.Queue.MaxAttempts,
		OnPanic: s.reporter.ReportPanic,
	}
	if m.Tracing.Enabled() {
		m.Jobs.Tracer = m.Tracing
	}
	return nil
}

// openRedis connects to redis_url, if set: Redis then holds the shared L2,
// the cache claims, the rate limits and the provider limits of the
// instances.
func (m *Main) openRedis(ctx context.Context, s *startup) error {
	if m.Config.RedisURL == "" {
		return nil
	}
	// A Redis that does not answer at start does not stop the start:
	// the instance serves degraded, as in an outage, until it answers.
	rc, err := redis.Open(ctx, m.Config.RedisURL, redis.Options{Clock: m.Clock, Prefix: m.redisPrefix, StartDown: true})
	if rc == nil {
		return fmt.Errorf("open redis cache: %w", err)
	}
	if err != nil {
		m.Logger.Warn("redis does not answer: serving degraded (cache misses, limits per instance) until it does", "err", copydesk.ErrorMessage(err))
	}
	m.closers = append(m.closers, rc.Close)
	m.redis = rc
	m.providerLimits = redis.NewProviderLimits(rc, redis.ProviderLimitsOptions{Logger: m.Logger.With("component", "provider_limits")})
	m.closers = append(m.closers, func() error { m.providerLimits.Stop(); return nil })
	s.shared = m.providerLimits
	return nil
}

// openModels builds the routed model service from the configuration,
// unless a test gave one (Routed).
func (m *Main) openModels(_ context.Context, s *startup) error {
	m.routed = m.Routed
	if m.routed == nil {
		svc, stop, err := buildSharedModels(&m.Config, s.shared)
		if err != nil {
			return err
		}
		m.closers = append(m.closers, stop)
		m.routed = svc
		if m.Config.Simulate {
			m.Logger.Warn("simulated model provider in use: model results are simulated, not real")
		}
	}
	return nil
}

// openCache builds the result cache (L1 in memory, L2 in the store or
// Redis) and, with Redis, the shared rate limits.
func (m *Main) openCache(context.Context, *startup) error {
	l1 := cache.NewMemoryStore(cache.MemoryOptions{MaxBytes: uint64(m.Config.CacheMemory), Clock: m.Clock})
	m.closers = append(m.closers, func() error { l1.Close(); return nil })
	tiers := cache.DefaultTiers()
	for kind, tier := range m.Config.CacheTiers {
		tiers[kind] = tier
	}
	// In the PostgreSQL mode several instances share the L2: claims make
	// one of them compute a key while the others wait for its answer.
	// With redis_url, Redis is that shared L2 and holds the claims.
	var l2 copydesk.CacheStore = m.Store
	claims, _ := m.Store.(cache.Claimer)
	if rc := m.redis; rc != nil {
		// While Redis is out the L2 misses and skips writes.
		m.sharedCache = cache.NewFallbackStore(rc, cache.FallbackOptions{Logger: m.Logger.With("component", "cache")})
		l2, claims = m.sharedCache, rc
		// The rate limits too are shared: buckets in Redis, on its clock;
		// this instance's own buckets decide while Redis fails.
		local, err := ratelimit.New(m.Config.Access.RateLimits, m.Clock)
		if err != nil {
			return &ConfigError{Field: "access.rate_limits", Message: copydesk.ErrorMessage(err)}
		}
		m.sharedLimiter = ratelimit.NewShared(redis.NewRateBuckets(rc, nil), local, ratelimit.FallbackOptions{Logger: m.Logger.With("component", "ratelimit")})
		m.Limiter = m.sharedLimiter
	}
	// In the embedded mode the realtime tier (live chat and suggestions,
	// minutes of life) stays in memory: no instance shares it, and a
	// restart costs less than a durable write per answer.
	var memOnly []copydesk.Tier
	if m.Config.embedded() {
		memOnly = []copydesk.Tier{copydesk.TierRealtime}
	}
	// The store stays the source of truth: with Redis as the L2, the
	// reports clients fetch by key are kept in the store too, so that they
	// are served while Redis is down and after it lost them.
	var durable copydesk.CacheStore
	var durableKinds []string
	if m.redis != nil {
		durable, durableKinds = m.Store, []string{analysis.ReportKind}
	}
	c, err := cache.New(cache.Config{
		L1: l1, L2: l2, Tiers: tiers, TTLs: cache.TTLs(m.Config.CacheTTLs), MemoryOnly: memOnly,
		Claims: claims, Clock: m.Clock, Logger: m.Logger.With("component", "cache"),
		Durable: durable, DurableKinds: durableKinds,
	})
	if err != nil {
		return &ConfigError{Field: "cache_tiers / cache_ttls", Message: copydesk.ErrorMessage(err)}
	}
	m.Cache = c
	// Closers run last first: the answers still being stored reach L2
	// before the store (or Redis) closes.
	m.closers = append(m.closers, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return c.Wait(ctx)
	})
	return nil
}

// openChain builds the model-call chain (budget, cache, ledger) around the
// routed model service, and the ledger reader. Without a model service
// calls stay nil.
func (m *Main) openChain(ctx context.Context, s *startup) error {
	// The router names the models (GET /v1/models, per-key model lists)
	// and counts tokens (POST /v1/messages/count_tokens).
	if m.routed != nil {
		s.directory, s.tokens = m.routed.Router, m.routed.Router
		m.routed.BudgetLeft = m.Budget.BudgetLeft
		if m.Tracing.Enabled() {
			m.routed.Tracer = m.Tracing
		}
	}
	m.ledger = &ledger.Reader{Store: m.Store, Costs: m.Store, Pending: []ledger.Flusher{m.Budget}, Logger: m.Logger.With("component", "ledger")}
	if m.routed == nil {
		return nil
	}
	m.hits = &ledger.Hits{Store: m.Store, Clock: m.Clock, Logger: m.Logger.With("component", "ledger")}
	m.ledger.Pending = append(m.ledger.Pending, m.hits)
	if err := m.hits.Start(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	m.closers = append(m.closers, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return m.hits.Stop(ctx)
	})
	ch, err := chain.New(chain.Config{
		Next: m.routed, Budget: m.Budget, OnBudgetEvents: m.publishBudgetEvents, OnSettled: m.budgetSettled,
		Cache: m.Cache, ModelSet: m.modelSet(), Hits: m.hits, Logger: m.Logger.With("component", "budget"),
		Batch: m.batchTier(),
	})
	if err != nil {
		return err
	}
	s.calls, s.blocks = ch.Calls, ch.Blocks
	return nil
}

// openContent registers the content services (analysis, generation,
// translation, suggestions, batches) on the chain.
func (m *Main) openContent(_ context.Context, s *startup) error {
	content, err := m.registerContent(s.calls, s.blocks)
	if err != nil {
		return err
	}
	s.content = content
	return nil
}

// openQueueAndMetrics opens the queue (its workers run the content
// services' jobs), hands it to the job service and sets up metrics and
// alerts, which read its depth.
func (m *Main) openQueueAndMetrics(ctx context.Context, _ *startup) error {
	if err := m.openQueue(ctx); err != nil {
		return err
	}
	m.Jobs.Queue = m.Queue
	m.Jobs.MaxWaiting, m.Jobs.Waiting = m.Config.Queue.MaxWaiting, m.Queue.Waiting
	if err := m.openObservability(m.Queue.Depth); err != nil {
		return err
	}
	m.Jobs.Observer = m.Metrics
	return nil
}

// newHTTPServer builds the HTTP server on the listener over everything
// opened before.
func (m *Main) newHTTPServer(_ context.Context, s *startup) error {
	// Streams wake on the broker when this process writes events. Only the
	// PostgreSQL mode has other processes writing them, so only there does a
	// stream poll the store often; in the embedded mode the poll is a rare
	// safety net (10,000 idle streams polling every 2 s cost a third of a
	// core, BENCHMARKS.md).
	streamPoll := ScaleOutStreamPoll
	if m.Config.embedded() {
		streamPoll = EmbeddedStreamPoll
	} else {
		m.watchEvents()
	}
	content := s.content
	m.HTTP = &cdhttp.Server{
		StreamPoll:     streamPoll,
		Addr:           m.Config.Addr,
		Listener:       s.ln,
		BodyLimit:      m.Config.BodyLimit,
		Logger:         m.Logger,
		Version:        version,
		Jobs:           m.Jobs,
		Models:         s.calls,
		Directory:      s.directory,
		Tokens:         s.tokens,
		Analysis:       content.analysis,
		Generation:     content.generation,
		Translation:    content.translation,
		Suggestions:    content.suggestions,
		Batches:        content.batches,
		BatchBodyLimit: m.Config.Batches.BodyLimit,
		Observer:       m.Metrics,
		Tracer:         m.Tracing,
		OnPanic:        s.reporter.ReportPanic,
		MetricsHandler: m.Metrics.Handler(),
		Currency:       m.Config.Pricing.Currency,
		JobList:        m.Store.FindJobs,
		Alerts: func() any {
			return map[string]any{"active": m.Alerts.Active(), "recent": m.Alerts.Recent(50), "readings": m.Alerts.Readings(),
				"rules": m.Alerts.Rules(), "notifiers": m.Alerts.Notifiers()}
		},
		Prices:      m.priceList,
		DailyReport: func(ctx context.Context) (any, error) { return m.Alerts.DailyReport(ctx) },
		UI:          webui.New(),
		Cache: cdhttp.CacheOps{
			Stats: func(ctx context.Context) any { return m.Cache.Stats(ctx) },
			Purge: func(ctx context.Context, f copydesk.CacheFilter) (any, error) { return m.Cache.Purge(ctx, f) },
		},
		Auth:        m.Auth,
		Limiter:     m.Limiter,
		Access:      m.access,
		Budgets:     m.Budget,
		Ledger:      m.ledger,
		Clock:       m.Clock,
		ResultOwner: m.Cache.Owner,
		Ready: func(ctx context.Context) error {
			return errors.Join(m.Store.Ping(ctx), m.Queue.Ping(ctx))
		},
	}
	if m.redis != nil {
		// Without Redis an instance serves on, degraded: the cache misses,
		// rate limits are decided per instance, reports come from the store.
		m.HTTP.Degradable = []cdhttp.Dependency{{Name: "redis", Check: m.redis.Ping}}
	}
	return nil
}

// start checks every open job against the queue, then starts the queue,
// the HTTP server and the leader's work.
func (m *Main) start(ctx context.Context, s *startup) error {
	// Every open job must have its queue row: check them before working.
	if n, err := m.Jobs.Reconcile(ctx); err != nil {
		return fmt.Errorf("reconcile open jobs with the queue: %w", err)
	} else if n > 0 {
		m.Logger.Info("open jobs checked against the queue", "jobs", n)
	}
	if err := m.Queue.Start(ctx); err != nil {
		return fmt.Errorf("start queue: %w", err)
	}
	if err := m.HTTP.Open(); err != nil {
		return err
	}
	m.startLeaderWork()
	m.Logger.Info("copydesk serving", "url", m.HTTP.URL(), "version", version,
		"store", m.storeName(), "model_provider", s.calls != nil)
	return nil
}

// startLeaderWork runs, until Close, the work one instance does for all:
// alert evaluation and webhooks, the daily digest, and the sweeps of
// expired cache entries, sessions and stale budget reservations. In the
// PostgreSQL mode the instances elect one leader for it (an advisory lock;
// another takes over within seconds when it dies); in the embedded mode
// this process always leads.
func (m *Main) startLeaderWork() {
	work := func(ctx context.Context) {
		if err := m.Alerts.Start(ctx); err != nil {
			m.Logger.Error("start alerts", "err", err)
		}
		sw := &budget.Sweeper{Service: m.Budget, TTL: m.Config.Access.ReservationTTL}
		if err := sw.Start(ctx); err != nil {
			m.Logger.Error("start the budget sweeper", "err", err)
		}
		defer sw.Stop()
		if m.batchPoller != nil {
			if err := m.batchPoller.Start(ctx); err != nil {
				m.Logger.Error("start the batch tier poller", "err", err)
			}
			defer m.batchPoller.Stop()
		}
		m.sweep(ctx)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	if m.samples != nil {
		published := make(chan struct{})
		go func() { defer close(published); m.samples.publish(ctx) }()
		m.closers = append(m.closers, func() error { cancel(); <-published; return nil })
	}
	go func() {
		defer close(done)
		if m.pg != nil {
			m.pg.Lead(ctx, "leader", work)
			return
		}
		work(ctx)
	}()
	m.closers = append(m.closers, func() error {
		cancel()
		<-done
		m.Alerts.Stop()
		return nil
	})
}

// sweep runs sweepOnce every SweepInterval until ctx ends.
func (m *Main) sweep(ctx context.Context) {
	t := time.NewTicker(SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			m.sweepOnce(ctx)
		}
	}
}

// sweepOnce deletes expired cache entries and sessions, and the finished
// jobs past queue.retention. Each sweep has a minute; what one leaves
// (a large backlog) the next one continues.
func (m *Main) sweepOnce(ctx context.Context) {
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	if n, err := m.Store.DeleteExpiredCache(sctx); err != nil {
		m.Logger.Warn("cache sweep failed", "err", err)
	} else if n > 0 {
		m.Logger.Debug("cache sweep", "deleted", n)
	}
	if _, err := m.access.DeleteExpiredSessions(sctx); err != nil {
		m.Logger.Warn("session sweep failed", "err", err)
	}
	cancel()
	if r := m.Config.Queue.Retention; r > 0 {
		sctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		before := m.Clock.Now().Add(-r)
		if n, err := m.Store.DeleteFinishedJobs(sctx, before); err != nil {
			m.Logger.Warn("job retention sweep failed", "deleted", n, "err", err)
		} else if n > 0 {
			m.Logger.Info("deleted finished jobs past retention", "deleted", n, "created_before", before.UTC().Format(time.RFC3339))
		}
	}
}

// modelSet names the configured models for cache keys, so answers of one
// set of models (or of the simulated provider) are never served for another.
func (m *Main) modelSet() string {
	if m.Config.Simulate && len(m.Config.Providers) == 0 {
		return "simulated"
	}
	b, _ := json.Marshal(struct {
		P []ProviderConfig
		R any
	}{redactKeys(m.Config.Providers), m.Config.Routing})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// redactKeys drops the keys: they do not change answers.
func redactKeys(ps []ProviderConfig) []ProviderConfig {
	out := make([]ProviderConfig, len(ps))
	for i, p := range ps {
		p.APIKeys, p.APIKeyEnv = nil, ""
		out[i] = p
	}
	return out
}

// EmbeddedStreamPoll is how often an SSE stream reads the store without a
// wake-up in the embedded mode, where every event is written by this process.
const EmbeddedStreamPoll = 30 * time.Second

// ScaleOutStreamPoll is the same safety net in the PostgreSQL mode, where
// LISTEN/NOTIFY wakes a stream at once when another instance stores events
// of its job.
const ScaleOutStreamPoll = 5 * time.Second

// watchEvents wakes this instance's streams of the jobs whose events other
// instances store (PostgreSQL LISTEN/NOTIFY), until Close.
func (m *Main) watchEvents() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.pg.WatchEvents(ctx, func(jobID string) {
			if jobID == "" {
				m.Jobs.Broker.WakeAll()
				return
			}
			m.Jobs.Broker.Wake(jobID)
		})
	}()
	m.closers = append(m.closers, func() error { cancel(); <-done; return nil })
}

// SweepInterval is how often expired cache entries and sessions, and
// finished jobs past queue.retention, are deleted from the store.
const SweepInterval = 10 * time.Minute

func (m *Main) storeName() string {
	if m.Config.embedded() {
		return "sqlite:" + m.Config.sqlitePath()
	}
	return "postgres"
}

func (m *Main) openStore(ctx context.Context) error {
	if !m.Config.embedded() {
		db, err := postgres.Open(ctx, m.Config.DatabaseURL, postgres.Options{Clock: m.Clock, Logger: m.Logger, Schema: m.Config.DatabaseSchema})
		if err != nil {
			return fmt.Errorf("open postgres store: %w", err)
		}
		m.Store, m.pg = db, db
		m.closers = append(m.closers, func() error { db.Close(); return nil })
		return nil
	}
	if err := os.MkdirAll(m.Config.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	unlock, err := lockDataDir(m.Config.DataDir)
	if err != nil {
		return err
	}
	m.unlockFn = unlock
	db, err := sqlite.Open(ctx, m.Config.sqlitePath(), sqlite.Options{Clock: m.Clock, Logger: m.Logger, SoleCacheWriter: true})
	if err != nil {
		return fmt.Errorf("open sqlite store: %w", err)
	}
	m.Store, m.sqlite = db, db
	m.closers = append(m.closers, db.Close)
	return nil
}

func (m *Main) openQueue(ctx context.Context) error {
	cfg := river.Config{
		Workers:           m.Config.Queue.Workers,
		JobTimeout:        m.Config.Queue.JobTimeout,
		RescueAfter:       m.Config.Queue.RescueAfter,
		FetchPollInterval: m.Config.Queue.PollInterval,
		Schema:            m.Config.DatabaseSchema,
		Inject:            m.Tracing.Inject,
		Extract:           m.Tracing.Extract,
		Logger:            m.Logger.With("component", "queue"),
	}
	if m.Config.embedded() {
		q, err := river.OpenSQLite(ctx, m.sqlite.WritePool(), m.Jobs, cfg)
		if err != nil {
			return fmt.Errorf("open queue: %w", err)
		}
		m.Queue = q
		return nil
	}
	q, err := river.OpenPostgres(ctx, m.pg.Pool(), m.Jobs, cfg)
	if err != nil {
		return fmt.Errorf("open queue: %w", err)
	}
	m.Queue = q
	return nil
}

// Close stops accepting requests and ends streams with a shutdown event,
// lets running jobs finish within the grace period (the rest return to the
// queue), then closes the stores. Safe to call twice.
func (m *Main) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownGrace)
	defer cancel()
	var errs []error
	if m.HTTP != nil {
		if err := m.HTTP.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop http: %w", err))
		}
	}
	if m.Queue != nil {
		if err := m.Queue.Stop(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if err := m.closeResources(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (m *Main) closeResources() error {
	var errs []error
	if m.Queue != nil {
		errs = append(errs, m.Queue.Close())
		m.Queue = nil
	}
	for i := len(m.closers) - 1; i >= 0; i-- {
		errs = append(errs, m.closers[i]())
	}
	m.closers = nil
	if m.unlockFn != nil {
		m.unlockFn()
		m.unlockFn = nil
	}
	return errors.Join(errs...)
}

// noModels is the model service when no provider is configured: the
// analysis service refuses model work up front with ENOPROVIDER, and a job
// accepted earlier by a process that had one fails visibly.
type noModels struct{}

func (noModels) Stream(context.Context, copydesk.ModelCall, func(string) error) (*copydesk.ModelResult, error) {
	return nil, copydesk.Errorf(copydesk.ENOPROVIDER, "no model provider is configured")
}

// newLogger returns the JSON logger of cfg: its level, and repeated
// warnings and errors held back to one line per LogRepeatInterval with a
// count (lograte).
func newLogger(w io.Writer, cfg Config) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(cfg.LogLevel))
	return slog.New(lograte.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}), lograte.Options{Interval: cfg.LogRepeatInterval}))
}

// setProcessLoggers makes the loggers of the process's libraries write
// through logger: the standard library's log package (what a dependency
// prints with log.Printf becomes a JSON line) and the go-redis client's
// own (plain text on stderr otherwise). Both are process-wide: only the
// commands that run a server call it, once.
func setProcessLoggers(logger *slog.Logger) {
	slog.SetDefault(logger)
	redis.SetLogger(logger.With("component", "redis"))
}

// loadConfig builds the configuration for a subcommand: defaults, then the
// config file (--config or COPYDESK_CONFIG), then the environment, then the
// flags that were set.
func loadConfig(fs *flag.FlagSet, args []string, getenv func(string) string, bind func(fs *flag.FlagSet, c *Config)) (Config, error) {
	cfg := DefaultConfig()
	var fromFlags Config
	configPath := fs.String("config", getenv("COPYDESK_CONFIG"), "YAML config file (env COPYDESK_CONFIG)")
	bind(fs, &fromFlags)
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, &UsageError{Message: fmt.Sprintf("unexpected argument %q", fs.Arg(0)), Hint: "run with -h for the flags"}
	}
	if *configPath != "" {
		if err := cfg.loadFile(*configPath); err != nil {
			return cfg, err
		}
	}
	if err := cfg.loadEnv(getenv); err != nil {
		return cfg, err
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "addr":
			cfg.Addr = fromFlags.Addr
		case "data":
			cfg.DataDir = fromFlags.DataDir
		case "database":
			cfg.DatabaseURL = fromFlags.DatabaseURL
		case "log-level":
			cfg.LogLevel = fromFlags.LogLevel
		case "simulate":
			cfg.Simulate = fromFlags.Simulate
		}
	})
	return cfg, cfg.Validate()
}

func bindStoreFlags(fs *flag.FlagSet, c *Config) {
	fs.StringVar(&c.DataDir, "data", "./data", "data directory of the embedded store (env COPYDESK_DATA_DIR)")
	fs.StringVar(&c.DatabaseURL, "database", "", "PostgreSQL URL instead of the embedded store (env COPYDESK_DATABASE_URL)")
	fs.StringVar(&c.LogLevel, "log-level", "info", "debug, info, warn or error (env COPYDESK_LOG_LEVEL)")
}

func runServe(ctx context.Context, args []string, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg, err := loadConfig(fs, args, getenv, func(fs *flag.FlagSet, c *Config) {
		fs.StringVar(&c.Addr, "addr", "127.0.0.1:8080", "listen address (env COPYDESK_ADDR)")
		fs.BoolVar(&c.Simulate, "simulate", false, "run the simulated model provider in-process; its output is labelled simulated")
		bindStoreFlags(fs, c)
	})
	if err != nil {
		return err
	}
	m := NewMain()
	m.Config = cfg
	logs := newBufferedLog(stderr)
	defer logs.Close()
	m.Logger = newLogger(logs, cfg)
	setProcessLoggers(m.Logger)
	m.Logger.Info("garbage collector", "gc", tuneGC(cfg, getenv, hostMemory).logValue())
	if err := m.Run(ctx); err != nil {
		m.Logger.Error("start failed", "err", err)
		return err
	}
	<-ctx.Done()
	m.Logger.Info("shutting down", "grace", cfg.ShutdownGrace.String())
	start := time.Now()
	if err := m.Close(); err != nil {
		m.Logger.Error("shutdown", "err", err)
		return err
	}
	m.Logger.Info("stopped", "took_ms", time.Since(start).Milliseconds())
	return nil
}

// listenError explains a failed listen: a taken port names the setting to
// change.
func listenError(addr string, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return &ConfigError{Field: "addr", Message: fmt.Sprintf("%s is already in use (another copydesk or another server listens there): stop it, or choose another address with --addr or COPYDESK_ADDR", addr)}
	}
	return &ConfigError{Field: "addr", Message: fmt.Sprintf("cannot listen on %s: %v", addr, err)}
}
