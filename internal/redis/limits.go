package redis

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/providerlimit"
)

// LeaseDefault is how long a shared concurrency slot lives unrenewed: the
// instance holding it renews it every third of it while the call runs, so
// the slots of an instance that died are free again within a lease.
const LeaseDefault = 30 * time.Second

// WarnIntervalDefault is the default least time between two warnings of
// failures (ProviderLimitsOptions.WarnInterval).
const WarnIntervalDefault = time.Minute

// ProviderLimitsOptions configures ProviderLimits.
type ProviderLimitsOptions struct {
	// Logger receives the warnings when Redis fails and each instance
	// limits alone. Default: discard.
	Logger *slog.Logger
	// Lease is how long a concurrency slot lives unrenewed. Default
	// LeaseDefault.
	Lease time.Duration
	// WarnInterval is the least time between two warnings of failures.
	// Default WarnIntervalDefault.
	WarnInterval time.Duration
}

// ProviderLimits is the provider limits (requests and tokens per minute,
// calls at once) of every endpoint, shared in Redis by the instances: a
// providerlimit.Shared. Each providerlimit.Limiter admits a call on its own limits first
// (priority order, its own queue), then takes it here, so that N instances
// allow the configured limits in total, not N times them.
//
// One Lua script decides a call over the endpoint's three keys on the Redis
// server's clock (TIME), so that instances whose clocks differ agree:
//
//	<prefix>pl:<endpoint>:r   requests-per-minute bucket: hash of l (level), t (ms)
//	<prefix>pl:<endpoint>:t   tokens-per-minute bucket: the same
//	<prefix>pl:<endpoint>:c   calls in flight: sorted set of lease ids by expiry (ms)
//
// A bucket holds a minute of capacity, refilled continuously; its level is
// in tokens × 60,000 (a token per minute refills one unit per millisecond),
// whole numbers that stay below 2^53 (and below the 14 digits Redis keeps
// of a Lua number) for rates up to limit's maximum. A bucket's key expires
// when it would be full again. A call's concurrency slot is a lease renewed
// every third of Lease by the instance holding it, so a crashed instance's
// slots free themselves.
//
// When Redis fails, Take returns its error and the limiter decides alone:
// each instance then allows the configured limits on its own (N instances
// up to N times them) until Redis answers; a warning is logged at most once
// per WarnInterval.
type ProviderLimits struct {
	client  *goredis.Client
	prefix  string
	logger  *slog.Logger
	lease   time.Duration
	warnGap time.Duration

	fallbacks atomic.Uint64

	mu         sync.Mutex
	held       map[string]string // lease id → concurrency key, while the call runs
	lastWarn   time.Time
	unreported uint64

	stopOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
}

var _ providerlimit.Shared = (*ProviderLimits)(nil)

// NewProviderLimits returns the shared provider limits on c's Redis
// database and key prefix, renewing the leases it hands out until Stop.
func NewProviderLimits(c *Cache, opts ProviderLimitsOptions) *ProviderLimits {
	p := &ProviderLimits{
		client:  c.client,
		prefix:  c.prefix,
		logger:  cmp.Or(opts.Logger, slog.New(slog.DiscardHandler)),
		lease:   cmp.Or(opts.Lease, LeaseDefault),
		warnGap: cmp.Or(opts.WarnInterval, WarnIntervalDefault),
		held:    map[string]string{},
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	go p.renew()
	return p
}

// Stop ends the lease renewal. Safe to call twice.
func (p *ProviderLimits) Stop() {
	p.stopOnce.Do(func() { close(p.stop) })
	<-p.done
}

// Fallbacks returns how many calls were decided without Redis because it
// failed (a counter for metrics and tests).
func (p *ProviderLimits) Fallbacks() uint64 { return p.fallbacks.Load() }

// Held returns how many concurrency slots this instance holds now.
func (p *ProviderLimits) Held() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.held)
}

func (p *ProviderLimits) key(name, part string) string {
	return p.prefix + "pl:" + name + ":" + part
}

// Take takes one call of tokens from the endpoint's shared limits. Returns
// a *providerlimit.RejectedError when a limit refuses (RetryAfter when a rate frees
// up; 0 for the concurrency cap), EUNAVAILABLE when Redis fails.
func (p *ProviderLimits) Take(ctx context.Context, name string, cfg providerlimit.Config, tokens int) (providerlimit.Release, error) {
	b := make([]byte, 9)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	rpm := max(cfg.RequestsPerMinute, 0)
	keys := []string{p.key(name, "r"), p.key(name, "t"), p.key(name, "c")}
	res, err := takeLimitScript.Run(ctx, p.client, keys,
		rpm, cfg.TokensPerMinute, cfg.Concurrency, max(tokens, 0), id, p.lease.Milliseconds()).Int64Slice()
	if err == nil && len(res) != 3 {
		err = copydesk.Errorf(copydesk.EINTERNAL, "redis provider limit script: got %d values, want 3", len(res))
	}
	if err != nil {
		p.failed(ctx, err)
		return nil, translate(err)
	}
	if res[0] == 0 {
		reason := map[int64]string{1: providerlimit.ReasonConcurrency, 2: providerlimit.ReasonRequestsPerMinute, 3: providerlimit.ReasonTokensPerMinute}[res[1]]
		return nil, &providerlimit.RejectedError{Reason: reason, RetryAfter: time.Duration(res[2]) * time.Millisecond}
	}
	charged := res[1]
	p.mu.Lock()
	p.held[id] = keys[2]
	p.mu.Unlock()
	var once sync.Once
	return func(actual int) {
		once.Do(func() {
			p.mu.Lock()
			delete(p.held, id)
			p.mu.Unlock()
			ctx, cancel := context.WithTimeout(context.Background(), 2*IOTimeout)
			defer cancel()
			diff := int64(max(actual, 0)) - charged
			if err := releaseLimitScript.Run(ctx, p.client, []string{keys[1], keys[2]}, id, cfg.TokensPerMinute, diff).Err(); err != nil {
				// The lease ends by itself; the tokens stay as estimated.
				p.failed(ctx, err)
			}
		})
	}, nil
}

// renew extends the leases of the calls running here every third of a
// lease, until Stop.
func (p *ProviderLimits) renew() {
	defer close(p.done)
	t := time.NewTicker(p.lease / 3)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
		}
		p.mu.Lock()
		keys := make([]string, 0, len(p.held))
		args := make([]any, 1, 1+len(p.held))
		args[0] = p.lease.Milliseconds()
		for id, key := range p.held {
			keys = append(keys, key)
			args = append(args, id)
		}
		p.mu.Unlock()
		for len(keys) > 0 {
			n := min(len(keys), 500)
			ctx, cancel := context.WithTimeout(context.Background(), 2*IOTimeout)
			err := renewLimitScript.Run(ctx, p.client, keys[:n], append([]any{args[0]}, args[1:1+n]...)...).Err()
			cancel()
			if err != nil {
				p.failed(context.Background(), err)
				break
			}
			keys, args = keys[n:], append(args[:1], args[1+n:]...)
		}
	}
}

// failed counts a fallback and warns, at most once per WarnInterval. A call
// cut short by its own caller says nothing about Redis.
func (p *ProviderLimits) failed(ctx context.Context, err error) {
	p.fallbacks.Add(1)
	if ctx.Err() != nil {
		return
	}
	now := time.Now()
	p.mu.Lock()
	p.unreported++
	if now.Sub(p.lastWarn) < p.warnGap {
		p.mu.Unlock()
		return
	}
	n := p.unreported
	p.lastWarn, p.unreported = now, 0
	p.mu.Unlock()
	p.logger.Warn("redis provider limits failed; this instance applies the provider limits on its own until Redis answers",
		"error", copydesk.ErrorMessage(translate(err)), "failures_since_last_warning", n, "fallbacks_total", p.fallbacks.Load())
}

// limitLevel is the Lua function that refills a bucket to now (ms): its
// level in tokens × 60000, at most a minute of capacity.
const limitLevel = `
local W = 60000
local function level(key, rate, now)
  local h = redis.call('HMGET', key, 'l', 't')
  if not h[1] then return rate * W end
  local el = now - tonumber(h[2])
  if el < 0 then el = 0 end
  if el > 2 * W then el = 2 * W end
  return math.min(tonumber(h[1]) + el * rate, rate * W)
end
local tm = redis.call('TIME')
local now = tonumber(tm[1]) * 1000 + math.floor(tonumber(tm[2]) / 1000)
`

// takeLimitScript decides and takes one call.
//
// KEYS: 1 the requests bucket, 2 the tokens bucket, 3 the leases. ARGV: 1
// requests per minute (0: none), 2 tokens per minute (0: none), 3 the
// concurrency cap, 4 the call's tokens, 5 its lease id, 6 the lease in ms.
// Returns {1, tokens charged, 0} when taken, else {0, reason (1
// concurrency, 2 requests, 3 tokens), ms until the rate frees (0: unknown)}.
var takeLimitScript = goredis.NewScript(limitLevel + `
local rpm, tpm, conc = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tokens, lease = tonumber(ARGV[4]), tonumber(ARGV[6])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
if redis.call('ZCARD', KEYS[3]) >= conc then return {0, 1, 0} end
local rl, tl, cost = 0, 0, 0
if rpm > 0 then
  rl = level(KEYS[1], rpm, now)
  if rl < W then return {0, 2, math.ceil((W - rl) / rpm)} end
end
if tpm > 0 then
  cost = math.min(tokens, tpm)
  tl = level(KEYS[2], tpm, now)
  if tl < cost * W then return {0, 3, math.ceil((cost * W - tl) / tpm)} end
end
if rpm > 0 then
  redis.call('HSET', KEYS[1], 'l', rl - W, 't', now)
  redis.call('PEXPIRE', KEYS[1], W + 1000)
end
if tpm > 0 then
  redis.call('HSET', KEYS[2], 'l', tl - cost * W, 't', now)
  redis.call('PEXPIRE', KEYS[2], 2 * W + 1000)
end
redis.call('ZADD', KEYS[3], now + lease, ARGV[5])
redis.call('PEXPIRE', KEYS[3], 2 * lease)
return {1, cost, 0}
`)

// releaseLimitScript ends a call: its lease goes, and the tokens bucket is
// corrected by what the call used beyond (or below) its estimate, keeping
// the level between a minute of debt and a full bucket.
//
// KEYS: 1 the tokens bucket, 2 the leases. ARGV: 1 the lease id, 2 tokens
// per minute (0: none), 3 actual less charged tokens.
var releaseLimitScript = goredis.NewScript(limitLevel + `
redis.call('ZREM', KEYS[2], ARGV[1])
local tpm, diff = tonumber(ARGV[2]), tonumber(ARGV[3])
if tpm > 0 and diff ~= 0 then
  diff = math.max(-tpm, math.min(tpm, diff))
  local l = math.max(-tpm * W, math.min(tpm * W, level(KEYS[1], tpm, now) - diff * W))
  redis.call('HSET', KEYS[1], 'l', l, 't', now)
  redis.call('PEXPIRE', KEYS[1], 2 * W + 1000)
end
return 1
`)

// renewLimitScript extends the leases that still exist.
//
// KEYS: the leases sets, ARGV: 1 the lease in ms, then the lease id of each
// key. Returns how many were renewed.
var renewLimitScript = goredis.NewScript(limitLevel + `
local n = 0
for i, key in ipairs(KEYS) do
  n = n + redis.call('ZADD', key, 'XX', 'CH', now + tonumber(ARGV[1]), ARGV[i + 1])
  redis.call('PEXPIRE', key, 2 * tonumber(ARGV[1]))
end
return n
`)
