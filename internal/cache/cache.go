package cache

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/maypok86/otter/v2"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// DefaultCallTimeout bounds a provider call once it runs detached from the
// callers waiting on it.
const DefaultCallTimeout = 10 * time.Minute

// Config configures a Cache.
type Config struct {
	// L1 is the in-process layer. Default: a MemoryStore of
	// DefaultMemoryBytes using Clock.
	L1 copydesk.CacheStore
	// L2 is the shared, durable layer (embedded store, later Redis).
	// Optional: without it the cache is L1 only.
	L2 copydesk.CacheStore
	// Tiers maps task kinds to tiers. Default DefaultTiers().
	Tiers TierConfig
	// TTLs overrides tier TTLs; the realtime TTL must stay within 5 to 15
	// minutes. Default: the plan's TTLs (copydesk.Tier.TTL).
	TTLs TTLs
	// Clock stamps entries and decides expiry. Default copydesk.SystemClock.
	Clock copydesk.Clock
	// Logger receives L2 failures and provider-function panics. Default: a
	// logger that discards.
	Logger *slog.Logger
	// CallTimeout bounds a provider call, which runs detached from the
	// cancellation of any one caller. Default DefaultCallTimeout.
	CallTimeout time.Duration
	// MemoryOnly are the tiers kept in L1 only: their entries live minutes,
	// so writing them to a durable L2 costs more than recomputing them
	// after a restart. Leave it empty when the L2 is shared by instances
	// (their deduplication goes through it). Default: none.
	MemoryOnly []copydesk.Tier
	// ClaimLease is how long a claim lives unrenewed. Default
	// ClaimLeaseDefault.
	ClaimLease time.Duration
	// Claims, when set, deduplicates across processes sharing L2: the
	// process holding a key's claim computes it, the others wait for it to
	// appear in L2 (the PostgreSQL store implements it). Optional.
	Claims Claimer
	// Durable is the source of truth for the kinds in DurableKinds when L2
	// is not (Redis, whose entries a restart or an outage may take away):
	// their entries are written to it as well as to L2, and a lookup that
	// L2 cannot answer, because it misses or fails, reads it. Optional.
	Durable copydesk.CacheStore
	// DurableKinds are the task kinds kept in Durable too: answers that
	// cannot be computed again from their key alone, such as a report
	// fetched by its key. Exact kinds, no prefixes. Default: none.
	DurableKinds []string
}

// Claimer hands out, across processes, the right to compute a key.
type Claimer interface {
	// ClaimCache reports whether the caller now holds the key's claim for
	// ttl (the key was unclaimed, or its claim expired).
	ClaimCache(ctx context.Context, key string, ttl time.Duration) (bool, error)
	// RenewCache extends a claim the caller holds to ttl from now and
	// reports whether it still held it.
	RenewCache(ctx context.Context, key string, ttl time.Duration) (bool, error)
	// ReleaseCache gives up a claim the caller holds.
	ReleaseCache(ctx context.Context, key string) error
}

// ClaimPoll is how often a process waiting on another's claim looks for
// the answer in L2.
const ClaimPoll = 50 * time.Millisecond

// ClaimLeaseDefault is how long a claim lives without being renewed: the
// process computing a key renews its claims every third of it, so a claim
// of a process that died is free again within a lease, not after the
// whole call timeout.
const ClaimLeaseDefault = 15 * time.Second

// validate names the first bad field.
func (cfg *Config) validate() error {
	if cfg.CallTimeout < 0 {
		return copydesk.Errorf(copydesk.EINVALID, "cache CallTimeout cannot be negative, got %s", cfg.CallTimeout)
	}
	if err := cfg.Tiers.validate(); err != nil {
		return err
	}
	return cfg.TTLs.validate()
}

// Source says where an answer came from.
type Source string

// Sources of an answer.
const (
	SourceL1     Source = "l1"     // in-process layer
	SourceL2     Source = "l2"     // shared layer (then promoted to L1)
	SourceMiss   Source = "miss"   // this caller's provider call
	SourceShared Source = "shared" // another caller's concurrent provider call
)

// Outcome describes one answer.
type Outcome struct {
	// Source is where the answer came from.
	Source Source
	// Tier is the answer's tier.
	Tier copydesk.Tier
	// CreatedAt and ExpiresAt are the cached value's birth and end of life
	// (what an HTTP layer needs for Cache-Control).
	CreatedAt, ExpiresAt time.Time
	// Cost is what producing the answer cost: spent on a miss, saved otherwise.
	Cost copydesk.Micros
}

// Hit reports whether the answer was served without a provider call.
func (o Outcome) Hit() bool { return o.Source != SourceMiss && o.Source != "" }

// Request names one answer.
type Request struct {
	// Key is the answer's key, from Key. Required.
	Key string
	// Kind is the task kind; it selects the tier. Required.
	Kind string
	// CustomerID is the partition stored with the entry, for purges by
	// customer. Ignored when Shared is set.
	CustomerID string
	// Shared marks an entry of the shared partition (see KeyParts.Shared).
	Shared bool
	// UserID is the entry's owner within the customer (see
	// KeyParts.UserID). Ignored when Shared is set.
	UserID string
	// Tier overrides the tier configured for Kind. Optional.
	Tier copydesk.Tier
}

// NewRequest returns the Request for p.
func NewRequest(p KeyParts) Request {
	return Request{Key: Key(p), Kind: p.Kind, CustomerID: p.CustomerID, Shared: p.Shared, UserID: p.UserID}
}

// Func produces one answer: the encoded value and what it cost. A non-nil
// error means the value is not cached; every caller waiting on the call gets
// that same error, except a *NoStore, whose value they all get but the
// cache does not keep.
type Func func(ctx context.Context) (value []byte, cost copydesk.Micros, err error)

// NoStore is what a Func returns for an answer its callers get but the
// cache must not keep (one cut short by a budget).
type NoStore struct {
	Value []byte
	Cost  copydesk.Micros
}

// Error implements error.
func (*NoStore) Error() string { return "cache: an answer not to be kept" }

// BlockFunc produces the blocks missing[i] (indexes into the requests given
// to DoBlocks): values[i] and costs[i] belong to missing[i]. costs may be nil.
// A nil values[i] fails that block alone; a non-nil error fails them all.
type BlockFunc func(ctx context.Context, missing []int) (values [][]byte, costs []copydesk.Micros, err error)

// Cache is the tiered cache with request deduplication. Safe for concurrent
// use.
type Cache struct {
	l1, l2      copydesk.CacheStore
	tiers       TierConfig
	ttls        TTLs
	clock       copydesk.Clock
	logger      *slog.Logger
	callTimeout time.Duration
	claimLease  time.Duration
	claims      Claimer

	mu      sync.Mutex
	flights map[string]*flight
	storing atomic.Int64 // computations storing their answers (Wait)

	purges     atomic.Uint64 // bumped by each Purge: in-flight results then are not stored
	stats      [4]counters
	totalCalls atomic.Int64

	memo    *otter.Cache[string, memoVal] // decoded L1 values (DoDecoded)
	memOnly [4]bool                       // tiers not written to or read from L2

	durable      copydesk.CacheStore // Config.Durable
	durableKinds map[string]bool     // Config.DurableKinds

	workers *workers // the goroutines of detached calls (run)
}

// flight is one in-progress lookup-or-compute of a key that callers wait on.
type flight struct {
	done chan struct{} // closed when the fields below are final
	val  []byte
	out  Outcome // Source is L1, L2 or Miss: where the leader got it
	err  error
	// purges is Cache.purges when the flight began.
	purges uint64
}

// stale reports whether f has landed with an answer whose life is over or
// that a purge since its start deleted. A landed flight stays registered
// until L2 holds its answer; a caller that comes after the answer expired
// (a short TTL, a slow L2 write) or was purged must not be handed it, but
// start a flight of its own. A flight still running is joined across a
// purge: its answer is returned to its callers, not stored.
func (c *Cache) stale(f *flight) bool {
	select {
	case <-f.done:
		return f.err == nil && (f.purges != c.purges.Load() || !c.clock.Now().Before(f.out.ExpiresAt))
	default:
		return false
	}
}

// New returns a Cache. Returns EINVALID naming the bad field of cfg.
func New(cfg Config) (*Cache, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	clock := cmp.Or[copydesk.Clock](cfg.Clock, copydesk.SystemClock{})
	l1 := cfg.L1
	if l1 == nil {
		l1 = NewMemoryStore(MemoryOptions{Clock: clock})
	}
	tiers := cfg.Tiers
	if tiers == nil {
		tiers = DefaultTiers()
	}
	var memOnly [4]bool
	for _, t := range cfg.MemoryOnly {
		if !validTier(t) {
			return nil, copydesk.Errorf(copydesk.EINVALID, "cache MemoryOnly tier %q is not one of permanent, stable, dynamic, realtime", t)
		}
		memOnly[tierIndex(t)] = true
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	var durableKinds map[string]bool
	if cfg.Durable != nil {
		durableKinds = make(map[string]bool, len(cfg.DurableKinds))
		for _, k := range cfg.DurableKinds {
			durableKinds[k] = true
		}
	}
	return &Cache{
		durable:      cfg.Durable,
		workers:      newWorkers(),
		durableKinds: durableKinds,
		l1:           l1,
		l2:           cfg.L2,
		tiers:        tiers,
		ttls:         cfg.TTLs,
		clock:        clock,
		logger:       logger,
		callTimeout:  cmp.Or(cfg.CallTimeout, DefaultCallTimeout),
		claimLease:   cmp.Or(cfg.ClaimLease, ClaimLeaseDefault),
		claims:       cfg.Claims,
		flights:      make(map[string]*flight),
		memo:         newMemo(MemoSizeDefault),
		memOnly:      memOnly,
	}, nil
}

// TTL returns the time to live the cache gives entries of tier t.
func (c *Cache) TTL(t copydesk.Tier) time.Duration { return c.ttls.TTL(t) }

// Tier returns the tier of req: its override, or the one configured for its
// kind. Returns EINVALID for a malformed request.
func (c *Cache) Tier(req Request) (copydesk.Tier, error) {
	if !validKey(req.Key) {
		return "", copydesk.Errorf(copydesk.EINVALID, "cache key %q is not a hex SHA-256; build it with cache.Key", truncate(req.Key, 80))
	}
	if req.Kind == "" {
		return "", copydesk.Errorf(copydesk.EINVALID, "cache request for key %s has no task kind", req.Key)
	}
	if req.Tier != "" {
		if !validTier(req.Tier) {
			return "", copydesk.Errorf(copydesk.EINVALID, "cache tier %q is not one of permanent, stable, dynamic, realtime", req.Tier)
		}
		return req.Tier, nil
	}
	return c.tiers.Tier(req.Kind)
}

func validKey(k string) bool {
	if len(k) != 64 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Do returns the answer for req: from L1, else from L2 (copied into L1), else
// from fn, whose successful value is stored in both layers with the tier's
// TTL. Concurrent calls for the same key share one lookup and at most one fn
// call; fn runs detached from the cancellation of any single caller, bounded
// by Config.CallTimeout, so a caller whose ctx ends leaves (with an
// ECANCELLED or EUNAVAILABLE error) while the others keep waiting. Errors of
// fn are returned as they are, to every waiting caller, and never cached.
// Returns EINVALID for a malformed request.
func (c *Cache) Do(ctx context.Context, req Request, fn Func) ([]byte, Outcome, error) {
	tier, err := c.Tier(req)
	if err != nil {
		return nil, Outcome{}, err
	}
	ti := tierIndex(tier)
	if e, ok := c.getL1(ctx, req.Key); ok {
		o := outcomeOf(e, SourceL1)
		c.record(ti, o, nil)
		return e.Value, o, nil
	}
	f, leader := c.join(req.Key)
	if leader {
		c.runDetached(ctx, []Request{req}, []copydesk.Tier{tier}, []*flight{f}, func(ctx context.Context, _ []int) ([][]byte, []copydesk.Micros, error) {
			v, cost, err := fn(ctx)
			if err != nil {
				return nil, nil, err // a *NoStore too: run unwraps it
			}
			return [][]byte{v}, []copydesk.Micros{cost}, nil
		})
	}
	val, o, err := c.wait(ctx, f, leader)
	c.record(ti, o, err)
	return val, o, err
}

// Get returns the cached answer for req from L1 or L2 (copying an L2 hit into
// L1), or ok=false. It never calls a provider and is not counted in the
// figures. Returns EINVALID for a malformed request.
func (c *Cache) Get(ctx context.Context, req Request) (value []byte, o Outcome, ok bool, err error) {
	tier, err := c.Tier(req)
	if err != nil {
		return nil, Outcome{}, false, err
	}
	if e, ok := c.getL1(ctx, req.Key); ok {
		return e.Value, outcomeOf(e, SourceL1), true, nil
	}
	if e, ok := c.getL2(ctx, req.Key, tier); ok {
		return e.Value, outcomeOf(e, SourceL2), true, nil
	}
	if e, ok := c.getDurable(ctx, req.Key, req.Kind); ok {
		return e.Value, outcomeOf(e, SourceL2), true, nil
	}
	return nil, Outcome{}, false, nil
}

// Owner returns the customer partition of the entry under key ("" for a
// shared entry) and its owning user ("" when it is the whole customer's),
// from L1, else L2, else the durable store, and ok false when none holds
// it. An L2 that fails is read as a miss when a durable store backs it;
// otherwise its error is returned.
func (c *Cache) Owner(ctx context.Context, key string) (customerID, userID string, ok bool, err error) {
	if e, ok := c.getL1(ctx, key); ok {
		return e.CustomerID, e.UserID, true, nil
	}
	if c.l2 != nil {
		e, ok, err := c.l2.GetCache(ctx, key)
		switch {
		case err != nil && c.durable == nil:
			return "", "", false, err
		case err != nil:
			c.logger.WarnContext(ctx, "cache L2 read failed; reading the durable store", "key", key, "error", err)
		case ok && c.clock.Now().Before(e.ExpiresAt):
			return e.CustomerID, e.UserID, true, nil
		}
	}
	if c.durable == nil {
		return "", "", false, nil
	}
	e, ok, err := c.durable.GetCache(ctx, key)
	if err != nil || !ok || !c.clock.Now().Before(e.ExpiresAt) || !c.durableKinds[e.Kind] {
		return "", "", false, err
	}
	return e.CustomerID, e.UserID, true, nil
}

// Set stores a finished, validated answer for req in both layers with the
// tier's TTL, as if fn had produced it at cost. Returns EINVALID for a
// malformed request, or the L1 store's error; an L2 failure is logged.
func (c *Cache) Set(ctx context.Context, req Request, value []byte, cost copydesk.Micros) (Outcome, error) {
	tier, err := c.Tier(req)
	if err != nil {
		return Outcome{}, err
	}
	e := c.newEntry(req, tier, value, cost)
	if err := c.l1.SetCache(ctx, e); err != nil {
		return Outcome{}, err
	}
	c.setDurable(ctx, e)
	c.setL2(ctx, e)
	return outcomeOf(e, SourceMiss), nil
}

// PurgeCounts says how many entries a purge deleted in each layer.
type PurgeCounts struct {
	L1, L2 int
	// Durable counts the entries deleted from the durable store
	// (Config.Durable); 0 without one.
	Durable int `json:",omitempty"`
}

// Purge deletes the entries matching filter from both layers. Answers being
// computed while it runs are returned to their callers but not stored.
// Returns the L2 store's error, if any, after purging L1.
func (c *Cache) Purge(ctx context.Context, filter copydesk.CacheFilter) (PurgeCounts, error) {
	if filter.Tier != "" && !validTier(filter.Tier) {
		return PurgeCounts{}, copydesk.Errorf(copydesk.EINVALID, "cache tier %q is not one of permanent, stable, dynamic, realtime", filter.Tier)
	}
	c.purges.Add(1)
	c.memo.InvalidateAll()
	var n PurgeCounts
	var err error
	if n.L1, err = c.l1.PurgeCache(ctx, filter); err != nil {
		return n, err
	}
	if c.l2 != nil {
		if n.L2, err = c.l2.PurgeCache(ctx, filter); err != nil {
			return n, err
		}
	}
	if c.durable != nil {
		if n.Durable, err = c.durable.PurgeCache(ctx, filter); err != nil {
			return n, err
		}
	}
	return n, nil
}

func outcomeOf(e *copydesk.CacheEntry, src Source) Outcome {
	return Outcome{Source: src, Tier: e.Tier, CreatedAt: e.CreatedAt, ExpiresAt: e.ExpiresAt, Cost: e.CostMicros}
}

func (c *Cache) newEntry(req Request, tier copydesk.Tier, value []byte, cost copydesk.Micros) *copydesk.CacheEntry {
	now := c.clock.Now()
	customer, user := req.CustomerID, req.UserID
	if req.Shared {
		customer, user = "", ""
	}
	return &copydesk.CacheEntry{
		Key:        req.Key,
		CustomerID: customer,
		UserID:     user,
		Kind:       req.Kind,
		Tier:       tier,
		Value:      value,
		ExpiresAt:  now.Add(c.ttls.TTL(tier)),
		CreatedAt:  now,
		CostMicros: cost,
	}
}

// getL1 reads L1; a failing L1 is logged and read as a miss.
func (c *Cache) getL1(ctx context.Context, key string) (*copydesk.CacheEntry, bool) {
	if m, ok := c.l1.(*MemoryStore); ok {
		return m.get(key)
	}
	e, ok, err := c.l1.GetCache(ctx, key)
	if err != nil {
		c.logger.WarnContext(ctx, "cache L1 read failed", "key", key, "error", err)
		return nil, false
	}
	return e, ok
}

// getL2 reads L2, checks expiry by the cache's clock and copies a hit into
// L1. A failing L2 is logged and read as a miss.
func (c *Cache) getL2(ctx context.Context, key string, tier copydesk.Tier) (*copydesk.CacheEntry, bool) {
	if c.l2 == nil || c.memOnly[tierIndex(tier)] {
		return nil, false
	}
	e, ok, err := c.l2.GetCache(ctx, key)
	if err != nil {
		c.logger.WarnContext(ctx, "cache L2 read failed", "key", key, "error", err)
		return nil, false
	}
	if !ok || !c.clock.Now().Before(e.ExpiresAt) {
		return nil, false
	}
	if err := c.l1.SetCache(ctx, e); err != nil {
		c.logger.WarnContext(ctx, "cache L1 write failed", "key", key, "error", err)
	}
	return e, true
}

// getL2Many is getL2 for the requests at idx, in one round trip when L2
// reads many keys at once (copydesk.CacheBatchGetter): a page's blocks
// cost one read, not one per block. It returns the entries in idx's
// order, nil for a miss.
func (c *Cache) getL2Many(ctx context.Context, reqs []Request, tiers []copydesk.Tier, idx []int) []*copydesk.CacheEntry {
	out := make([]*copydesk.CacheEntry, len(idx))
	bg, batch := c.l2.(copydesk.CacheBatchGetter)
	if c.l2 == nil || !batch || len(idx) < 2 {
		for j, i := range idx {
			out[j], _ = c.getL2(ctx, reqs[i].Key, tiers[i])
		}
		return out
	}
	var keys []string
	var at []int // positions in out of keys
	for j, i := range idx {
		if !c.memOnly[tierIndex(tiers[i])] {
			keys, at = append(keys, reqs[i].Key), append(at, j)
		}
	}
	if len(keys) == 0 {
		return out
	}
	es, err := bg.GetCaches(ctx, keys)
	if err != nil {
		c.logger.WarnContext(ctx, "cache L2 read failed", "keys", len(keys), "error", err)
		return out
	}
	now := c.clock.Now()
	for n, e := range es {
		if e == nil || !now.Before(e.ExpiresAt) {
			continue
		}
		if err := c.l1.SetCache(ctx, e); err != nil {
			c.logger.WarnContext(ctx, "cache L1 write failed", "key", e.Key, "error", err)
		}
		out[at[n]] = e
	}
	return out
}

// getDurable reads the durable store for an entry of a durable kind that
// L2 could not give, copies it into L1, and into L2 too (which may have
// lost it). A failing durable store is logged and read as a miss.
func (c *Cache) getDurable(ctx context.Context, key, kind string) (*copydesk.CacheEntry, bool) {
	if c.durable == nil || !c.durableKinds[kind] {
		return nil, false
	}
	e, ok, err := c.durable.GetCache(ctx, key)
	if err != nil {
		c.logger.WarnContext(ctx, "cache durable read failed", "key", key, "error", err)
		return nil, false
	}
	if !ok || e.Kind != kind || !c.clock.Now().Before(e.ExpiresAt) {
		return nil, false
	}
	if err := c.l1.SetCache(ctx, e); err != nil {
		c.logger.WarnContext(ctx, "cache L1 write failed", "key", key, "error", err)
	}
	if c.l2 != nil && !c.memOnly[tierIndex(e.Tier)] {
		if err := c.l2.SetCache(ctx, e); err != nil {
			c.logger.DebugContext(ctx, "cache L2 refill failed", "key", key, "error", err)
		}
	}
	return e, true
}

// setDurable writes e to the durable store if its kind is kept there. A
// failure is logged: the answer is served all the same.
func (c *Cache) setDurable(ctx context.Context, e *copydesk.CacheEntry) {
	if c.durable == nil || !c.durableKinds[e.Kind] {
		return
	}
	if err := c.durable.SetCache(ctx, e); err != nil {
		c.logger.WarnContext(ctx, "cache durable write failed", "key", e.Key, "error", err)
	}
}

// setL2 writes e to L2. A failure is logged: the answer is served all the
// same.
func (c *Cache) setL2(ctx context.Context, e *copydesk.CacheEntry) {
	if c.l2 == nil || c.memOnly[tierIndex(e.Tier)] {
		return
	}
	if err := c.l2.SetCache(ctx, e); err != nil {
		c.logger.WarnContext(ctx, "cache L2 write failed", "key", e.Key, "error", err)
	}
}

// join returns the flight of key, creating it (leader=true) if none runs.
func (c *Cache) join(key string) (f *flight, leader bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.joinLocked(key)
}

// joinLocked is join with c.mu held.
func (c *Cache) joinLocked(key string) (f *flight, leader bool) {
	if f, ok := c.flights[key]; ok && !c.stale(f) {
		return f, false
	}
	f = &flight{done: make(chan struct{}), purges: c.purges.Load()}
	c.flights[key] = f
	return f, true
}

// land publishes a flight's result: after it has been stored, so that a
// caller missing L1 after this point either finds the value there or starts
// a flight that finds it in its L1 re-check.
func (c *Cache) land(key string, f *flight) {
	c.mu.Lock()
	if c.flights[key] == f {
		delete(c.flights, key)
	}
	c.mu.Unlock()
	close(f.done)
}

// wait waits for f or for ctx to end.
func (c *Cache) wait(ctx context.Context, f *flight, leader bool) ([]byte, Outcome, error) {
	select {
	case <-f.done:
	case <-ctx.Done():
		return nil, Outcome{}, ctxError(ctx)
	}
	o := f.out
	if f.err != nil {
		return nil, o, f.err
	}
	if o.Source == SourceMiss && !leader {
		o.Source = SourceShared
	}
	return f.val, o, nil
}

// ctxError turns a caller's ended context into a domain error that still
// wraps the context's error.
func ctxError(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", copydesk.Errorf(copydesk.EUNAVAILABLE, "the answer was not ready before the request's deadline; try again later"), ctx.Err())
	}
	return fmt.Errorf("%w: %w", copydesk.Errorf(copydesk.ECANCELLED, "the request was cancelled while waiting for the answer"), ctx.Err())
}

// Wait waits until every answer computed so far is stored in the layers,
// or until ctx ends (then it returns ctx's error). Callers get an answer
// before L2 has it; a process that shuts down calls Wait before it closes
// the L2's store, so that the last answers it paid for are still there
// after a restart. A computation still waiting for its provider is not
// waited for: it may take as long as its call timeout.
func (c *Cache) Wait(ctx context.Context) error {
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for c.storing.Load() > 0 {
		select {
		case <-t.C:
		case <-ctx.Done():
			return fmt.Errorf("cache: answers still being stored: %w", ctx.Err())
		}
	}
	return nil
}

// runDetached runs run on a worker, with ctx's values but none of its
// cancellation.
func (c *Cache) runDetached(ctx context.Context, reqs []Request, tiers []copydesk.Tier, fs []*flight, fn BlockFunc) {
	detached := context.WithoutCancel(ctx)
	c.workers.run(func() { c.run(detached, reqs, tiers, fs, fn) })
}

// run resolves the flights fs (one per request, this caller leads all of
// them): L1 re-check, then L2, then one call of fn for the rest. Every flight
// is landed whatever happens, also when fn panics. ctx carries the first
// caller's values but none of its cancellation.
func (c *Cache) run(ctx context.Context, reqs []Request, tiers []copydesk.Tier, fs []*flight, fn BlockFunc) {
	landed := make([]bool, len(fs))
	defer func() {
		if p := recover(); p != nil {
			c.logger.ErrorContext(ctx, "cache provider function panicked", "panic", fmt.Sprint(p))
			for i, f := range fs {
				if !landed[i] {
					f.err = copydesk.Errorf(copydesk.EINTERNAL, "internal error")
					c.land(reqs[i].Key, f)
				}
			}
		}
	}()
	finish := func(i int) {
		landed[i] = true
		c.land(reqs[i].Key, fs[i])
	}

	var inL2 []int // positions in reqs
	for i, req := range reqs {
		if e, ok := c.getL1(ctx, req.Key); ok {
			fs[i].val, fs[i].out = e.Value, outcomeOf(e, SourceL1)
			finish(i)
		} else {
			inL2 = append(inL2, i)
		}
	}
	var missing []int
	for j, e := range c.getL2Many(ctx, reqs, tiers, inL2) {
		i := inL2[j]
		if e == nil {
			e, _ = c.getDurable(ctx, reqs[i].Key, reqs[i].Kind)
		}
		if e != nil {
			fs[i].val, fs[i].out = e.Value, outcomeOf(e, SourceL2)
			finish(i)
		} else {
			missing = append(missing, i)
		}
	}
	if len(missing) == 0 {
		return
	}

	purges := c.purges.Load()
	callCtx, cancel := context.WithTimeout(ctx, c.callTimeout)
	defer cancel()
	var waiting []int
	if c.claims != nil {
		var release []string
		missing, waiting, release = c.claimKeys(callCtx, reqs, missing)
		stopRenew := c.renewClaims(ctx, release)
		defer func() {
			stopRenew()
			c.eachAtOnce(len(release), func(j int) { c.releaseClaim(ctx, release[j]) })
		}()
		// Another process may have stored a key and released its claim
		// between this process's L2 miss and its claim: look again.
		missing = c.sharedSince(ctx, reqs, tiers, fs, missing, finish)
	}
	compute := func(missing []int) {
		seen := [4]bool{}
		for _, i := range missing {
			if ti := tierIndex(tiers[i]); !seen[ti] {
				seen[ti] = true
				c.stats[ti].calls.Add(1)
			}
		}
		c.totalCalls.Add(1)
		vals, costs, err := fn(callCtx, missing)
		noStore := false
		var ns *NoStore
		if errors.As(err, &ns) && len(missing) == 1 {
			// An answer for the callers waiting now, not for the cache.
			vals, costs, err, noStore = [][]byte{ns.Value}, []copydesk.Micros{ns.Cost}, nil, true
		}
		if err == nil && (len(vals) != len(missing) || (costs != nil && len(costs) != len(missing))) {
			c.logger.ErrorContext(ctx, "cache provider function broke its contract", "missing", len(missing), "values", len(vals), "costs", len(costs))
			err = copydesk.Errorf(copydesk.EINTERNAL, "internal error")
		}
		if err != nil {
			for _, i := range missing {
				fs[i].err = err
				finish(i)
			}
			return
		}

		c.storing.Add(1) // before any caller has the answer
		defer c.storing.Add(-1)
		var stored []*copydesk.CacheEntry
		for j, i := range missing {
			f := fs[i]
			if vals[j] == nil {
				f.err = copydesk.Errorf(copydesk.EUNAVAILABLE, "the provider returned no answer for this block; try again")
				continue
			}
			var cost copydesk.Micros
			if costs != nil {
				cost = costs[j]
			}
			e := c.newEntry(reqs[i], tiers[i], vals[j], cost)
			f.val, f.out = vals[j], outcomeOf(e, SourceMiss)
			if noStore || c.purges.Load() != purges {
				continue // not for keeping, or a purge ran during the call
			}
			if err := c.l1.SetCache(ctx, e); err != nil {
				c.logger.WarnContext(ctx, "cache L1 write failed", "key", e.Key, "error", err)
			}
			// What is fetched by key (a report's URL) is in the store
			// before its caller has the answer, so that any instance
			// serves the URL at once, Redis or not.
			c.setDurable(ctx, e)
			stored = append(stored, e)
		}
		// The waiters go on as soon as L1 holds the answers; the durable L2
		// write (a database round trip) is off their path. The flights stay
		// registered until L2 has the answers too, so a caller that misses an
		// evicted L1 entry meanwhile joins the finished flight instead of
		// calling the provider again.
		for _, i := range missing {
			landed[i] = true
			close(fs[i].done)
		}
		for _, e := range stored {
			c.setL2(ctx, e)
			if c.purges.Load() != purges { // a purge raced the write: undo it
				c.unstore(ctx, e.Key)
			}
		}
		c.mu.Lock()
		for _, i := range missing {
			if c.flights[reqs[i].Key] == fs[i] {
				delete(c.flights, reqs[i].Key)
			}
		}
		c.mu.Unlock()
	}
	if len(missing) > 0 {
		compute(missing)
	}
	// Keys another process computes: wait for them in L2, or compute them
	// here once that process's claim lapses. This process's own claims were
	// computed first, so two processes never wait on each other.
	for len(waiting) > 0 {
		var mine []int
		select {
		case <-callCtx.Done():
			mine, waiting = waiting, nil
		case <-time.After(ClaimPoll):
			still := waiting[:0]
			for _, i := range waiting {
				if e, ok := c.getL2(ctx, reqs[i].Key, tiers[i]); ok {
					fs[i].val, fs[i].out = e.Value, outcomeOf(e, SourceShared)
					finish(i)
				} else if won, release := c.claimOne(callCtx, reqs[i].Key); won {
					if release {
						stop := c.renewClaims(ctx, []string{reqs[i].Key})
						defer func() { stop(); c.releaseClaim(ctx, reqs[i].Key) }()
					}
					// The holder may have stored it and let go between
					// the L2 read above and this claim.
					mine = append(mine, c.sharedSince(ctx, reqs, tiers, fs, []int{i}, finish)...)
				} else {
					still = append(still, i)
				}
			}
			waiting = still
		}
		if len(mine) > 0 {
			compute(mine)
		}
	}
}

// sharedSince finishes the keys among idx that another process stored in
// L2 meanwhile and returns the rest.
func (c *Cache) sharedSince(ctx context.Context, reqs []Request, tiers []copydesk.Tier, fs []*flight, idx []int, finish func(int)) []int {
	rest := idx[:0:0]
	for j, e := range c.getL2Many(ctx, reqs, tiers, idx) {
		i := idx[j]
		if e != nil {
			fs[i].val, fs[i].out = e.Value, outcomeOf(e, SourceShared)
			finish(i)
			continue
		}
		rest = append(rest, i)
	}
	return rest
}

// unstore removes key from both layers.
func (c *Cache) unstore(ctx context.Context, key string) {
	if _, err := c.l1.PurgeCache(ctx, copydesk.CacheFilter{Key: key}); err != nil {
		c.logger.WarnContext(ctx, "cache L1 purge failed", "key", key, "error", err)
	}
	for _, s := range []copydesk.CacheStore{c.l2, c.durable} {
		if s == nil {
			continue
		}
		if _, err := s.PurgeCache(ctx, copydesk.CacheFilter{Key: key}); err != nil {
			c.logger.WarnContext(ctx, "cache L2 purge failed", "key", key, "error", err)
		}
	}
}

// claimKeys claims the missing keys across processes: it returns the keys
// this process computes, those another process holds, and the claims to
// release when done.
func (c *Cache) claimKeys(ctx context.Context, reqs []Request, missing []int) (compute, waiting []int, release []string) {
	won, held := make([]bool, len(missing)), make([]bool, len(missing))
	// At once, so that a store that commits concurrent writes together
	// takes a page's claims in one transaction.
	c.eachAtOnce(len(missing), func(j int) { won[j], held[j] = c.claimOne(ctx, reqs[missing[j]].Key) })
	for j, i := range missing {
		if held[j] {
			release = append(release, reqs[i].Key)
		}
		if won[j] {
			compute = append(compute, i)
		} else {
			waiting = append(waiting, i)
		}
	}
	return compute, waiting, release
}

// eachAtOnce runs f(0) … f(n-1) concurrently and returns when all have.
func (c *Cache) eachAtOnce(n int, f func(j int)) {
	if n == 1 {
		f(0)
		return
	}
	var wg sync.WaitGroup
	for j := range n {
		wg.Go(func() { f(j) })
	}
	wg.Wait()
}

// claimOne tries to claim key. won says whether to compute it here; held
// whether a claim was taken (a failing claim store computes without one).
func (c *Cache) claimOne(ctx context.Context, key string) (won, held bool) {
	ok, err := c.claims.ClaimCache(ctx, key, c.claimLease)
	if err != nil {
		c.logger.WarnContext(ctx, "cache claim failed; computing here", "key", key, "error", err)
		return true, false
	}
	return ok, ok
}

// renewClaims renews the claims on keys every third of the lease until
// the returned function is called.
func (c *Cache) renewClaims(ctx context.Context, keys []string) (stop func()) {
	if len(keys) == 0 {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(c.claimLease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				for _, key := range keys {
					if held, err := c.claims.RenewCache(context.WithoutCancel(ctx), key, c.claimLease); err != nil {
						c.logger.WarnContext(ctx, "cache claim renewal failed", "key", key, "error", err)
					} else if !held {
						c.logger.WarnContext(ctx, "cache claim lost while computing: another process may compute the key too", "key", key)
					}
				}
			}
		}
	}()
	return func() { close(done); <-finished }
}

func (c *Cache) releaseClaim(ctx context.Context, key string) {
	if err := c.claims.ReleaseCache(context.WithoutCancel(ctx), key); err != nil {
		c.logger.WarnContext(ctx, "cache claim release failed", "key", key, "error", err)
	}
}
