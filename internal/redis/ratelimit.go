package redis

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/ratelimit"
)

// Defaults of RateLimiterOptions.
const (
	FallbackCooldownDefault = time.Second
	WarnIntervalDefault     = time.Minute
)

// RateLimiterOptions configures a RateLimiter.
type RateLimiterOptions struct {
	// Clock, when set, is the time of the buckets, sent with each decision:
	// for tests, which move time by hand. Default nil: the Redis server's
	// TIME, read inside the script, so that every instance refills the
	// buckets by one clock whatever its own clock says.
	Clock copydesk.Clock
	// Logger receives the warnings when Redis fails and the fallback
	// decides. Default: discard.
	Logger *slog.Logger
	// FallbackCooldown is how long after a failure of Redis the decisions
	// go straight to the fallback without trying Redis, so that an outage
	// costs one timeout per cooldown, not one per request. Default
	// FallbackCooldownDefault.
	FallbackCooldown time.Duration
	// WarnInterval is the least time between two warnings of failures;
	// the ones in between are counted in the next. Default
	// WarnIntervalDefault.
	WarnInterval time.Duration
}

// RateLimiter is a ratelimit.Service whose buckets live in Redis, shared by
// every instance on the database: N instances allow the configured rate in
// total, not N times it. Its rates and the decisions' fields come from a
// ratelimit.Limiter (BucketsFor, Need, Decide), so that its answers, headers
// and errors are those of the in-process limiter for the same state.
//
// Each decision is one Lua script: both of a request's buckets (user and
// customer) are refilled, checked and taken atomically, so that a refusal by
// one takes nothing from the other. Levels are integers: tokens and a
// remainder below one token in ratelimit.Unit (Lua numbers are doubles,
// exact only below 2^53), and time as seconds and nanoseconds. A bucket's
// key expires when it would be full again, so that idle buckets vanish:
//
//	<prefix>rl:k:<key id>       an API key's own bucket (a key with a rate limit)
//	<prefix>rl:u:<user id>      a user's bucket
//	<prefix>rl:c:<customer id>  a customer's bucket
//	<prefix>rl:l:<login key>    a login bucket
//
// each a hash of t (tokens), f (remainder in units), s and n (when it was
// refilled: Unix seconds and nanoseconds), r and b (the rate it was refilled
// at: per minute and burst).
//
// When Redis fails (unreachable, closed, a script error), the decision falls
// back to the in-process limiter of this instance: an outage of the cache
// does not become an outage of the API, and each instance then limits on
// its own (N instances allow up to N times the rate until Redis is back).
// Each fallback is counted (Fallbacks), and a warning is logged at most
// once per WarnInterval.
type RateLimiter struct {
	client   *goredis.Client
	prefix   string
	fallback *ratelimit.Limiter
	clock    copydesk.Clock // nil: Redis TIME
	logger   *slog.Logger
	cooldown time.Duration
	warnGap  time.Duration

	fallbacks atomic.Uint64
	downUntil atomic.Int64 // Unix ns, by the system clock: skip Redis until then

	mu         sync.Mutex
	lastWarn   time.Time
	unreported uint64
}

var _ ratelimit.Service = (*RateLimiter)(nil)

// NewRateLimiter returns a RateLimiter on c's Redis database and key prefix,
// with the rates of fallback, which also decides when Redis fails.
func NewRateLimiter(c *Cache, fallback *ratelimit.Limiter, opts RateLimiterOptions) *RateLimiter {
	return &RateLimiter{
		client:   c.client,
		prefix:   c.prefix,
		fallback: fallback,
		clock:    opts.Clock,
		logger:   cmp.Or(opts.Logger, slog.New(slog.DiscardHandler)),
		cooldown: cmp.Or(opts.FallbackCooldown, FallbackCooldownDefault),
		warnGap:  cmp.Or(opts.WarnInterval, WarnIntervalDefault),
	}
}

// Allow takes a token from p's user and customer buckets in Redis if the
// request, at priority prio, fits both, and says so. When Redis fails, the
// in-process fallback decides.
func (l *RateLimiter) Allow(ctx context.Context, p copydesk.Principal, prio copydesk.Priority) ratelimit.Decision {
	bs := l.fallback.BucketsFor(p)
	if len(bs) == 0 {
		return ratelimit.Decision{Allowed: true}
	}
	d, err := l.take(ctx, bs, prio)
	if err != nil {
		l.failed(ctx, err)
		return l.fallback.Allow(ctx, p, prio)
	}
	return d
}

// AllowLogin takes a token from the login bucket of key in Redis and says
// whether the attempt may go ahead. When Redis fails, the in-process
// fallback decides.
func (l *RateLimiter) AllowLogin(ctx context.Context, key string) ratelimit.Decision {
	b, ok := l.fallback.LoginBucket(key)
	if !ok {
		return ratelimit.Decision{Allowed: true}
	}
	d, err := l.take(ctx, []ratelimit.Bucket{b}, copydesk.PriorityHigh)
	if err != nil {
		l.failed(ctx, err)
		return l.fallback.AllowLogin(ctx, key)
	}
	return d
}

// Fallbacks returns how many decisions the in-process fallback made because
// Redis failed (a counter for metrics).
func (l *RateLimiter) Fallbacks() uint64 { return l.fallbacks.Load() }

// errSkipped says Redis was not tried: a failure is recent.
var errSkipped = copydesk.Errorf(copydesk.EUNAVAILABLE, "redis failed less than the fallback cooldown ago")

func (l *RateLimiter) key(b ratelimit.Bucket) string {
	switch b.Scope {
	case "key":
		return l.prefix + "rl:k:" + b.Key
	case "customer":
		return l.prefix + "rl:c:" + b.Key
	case "login":
		return l.prefix + "rl:l:" + b.Key
	}
	return l.prefix + "rl:u:" + b.Key
}

// take runs the script for bs and decides from the levels it returns.
func (l *RateLimiter) take(ctx context.Context, bs []ratelimit.Bucket, prio copydesk.Priority) (ratelimit.Decision, error) {
	if time.Now().UnixNano() < l.downUntil.Load() {
		return ratelimit.Decision{}, errSkipped
	}
	keys := make([]string, len(bs))
	args := make([]any, 2, 2+5*len(bs))
	args[0], args[1] = "", ""
	if l.clock != nil {
		now := l.clock.Now()
		args[0], args[1] = now.Unix(), now.Nanosecond()
	}
	for i, b := range bs {
		keys[i] = l.key(b)
		need := l.fallback.Need(b, prio)
		// The key lives until the bucket is full again after this take:
		// Burst tokens at PerMinute, rounded up, plus a second.
		ttl := (int64(b.Rate.Burst)*60_000+int64(b.Rate.PerMinute)-1)/int64(b.Rate.PerMinute) + 1000
		args = append(args, b.Rate.Burst, b.Rate.PerMinute, need/ratelimit.Unit, need%ratelimit.Unit, ttl)
	}
	res, err := takeScript.Run(ctx, l.client, keys, args...).Int64Slice()
	if err != nil {
		return ratelimit.Decision{}, translate(err)
	}
	if len(res) != 1+2*len(bs) {
		return ratelimit.Decision{}, copydesk.Errorf(copydesk.EINTERNAL, "redis rate limit script: got %d values, want %d", len(res), 1+2*len(bs))
	}
	for i := range bs {
		bs[i].Units = res[1+2*i]*ratelimit.Unit + res[2+2*i]
	}
	d := l.fallback.Decide(bs, prio)
	if d.Allowed != (res[0] == 1) { // the script and Decide check the same integers
		return ratelimit.Decision{}, copydesk.Errorf(copydesk.EINTERNAL, "redis rate limit script: allowed %d but the levels say %t", res[0], d.Allowed)
	}
	return d, nil
}

// failed counts a fallback, starts the cooldown and warns, at most once per
// WarnInterval. A decision cut short by its own request's cancellation (a
// client that went away) says nothing about Redis: it starts no cooldown.
func (l *RateLimiter) failed(ctx context.Context, err error) {
	l.fallbacks.Add(1)
	if err == errSkipped || errors.Is(err, errBroken) || ctx.Err() != nil {
		return
	}
	now := time.Now()
	l.downUntil.Store(now.Add(l.cooldown).UnixNano())
	l.mu.Lock()
	l.unreported++
	if now.Sub(l.lastWarn) < l.warnGap {
		l.mu.Unlock()
		return
	}
	n := l.unreported
	l.lastWarn, l.unreported = now, 0
	l.mu.Unlock()
	l.logger.Warn("redis rate limiter failed; this instance limits on its own until Redis answers",
		"error", copydesk.ErrorMessage(err), "code", copydesk.ErrorCode(err),
		"failures_since_last_warning", n, "fallbacks_total", l.fallbacks.Load())
}

// takeScript refills, checks and takes the buckets of one decision.
//
// KEYS: the buckets (1 to 3). ARGV: 1, 2 now as Unix seconds and
// nanoseconds, both "" to use the server's TIME; then per bucket: burst,
// per minute, the need in tokens and in the remainder (units below one
// token), the key's TTL in ms. Returns {allowed (0 or 1), then per bucket
// its tokens and remainder before the take, refilled to now}.
//
// A bucket is refilled by d ns × per-minute units, capped at its burst: d
// is split into seconds (ds × per-minute / 60 whole tokens, remainder × 1e9
// units) and nanoseconds (dn × per-minute units), so that no number reaches
// 2^53. A clock behind the bucket's refills nothing. The state is written
// only when the request is allowed: a refill is the same whether taken in one
// step or several.
var takeScript = goredis.NewScript(`
local U = 60000000000
local s, n
if ARGV[1] == '' then
  local tm = redis.call('TIME')
  s, n = tonumber(tm[1]), tonumber(tm[2]) * 1000
else
  s, n = tonumber(ARGV[1]), tonumber(ARGV[2])
end
local ok = 1
local st = {}
for i = 1, #KEYS do
  local o = 2 + (i - 1) * 5
  local burst, rate = tonumber(ARGV[o + 1]), tonumber(ARGV[o + 2])
  local nt, nf = tonumber(ARGV[o + 3]), tonumber(ARGV[o + 4])
  local h = redis.call('HMGET', KEYS[i], 't', 'f', 's', 'n', 'r', 'b')
  local t, f, bs, bn
  if h[1] then
    t, f, bs, bn = tonumber(h[1]), tonumber(h[2]), tonumber(h[3]), tonumber(h[4])
    local r, b = tonumber(h[5]), tonumber(h[6])
    local ds, dn = s - bs, n - bn
    if dn < 0 then ds, dn = ds - 1, dn + 1000000000 end
    if ds > 0 or (ds == 0 and dn > 0) then
      if ds > 100000000 then ds = 100000000 end
      local a = ds * r
      local q = math.floor(a / 60)
      t = t + q
      f = f + (a - q * 60) * 1000000000 + dn * r
      local c = math.floor(f / U)
      t, f = t + c, f - c * U
      if t >= b then t, f = b, 0 end
      bs, bn = s, n
    end
    if t >= burst then t, f = burst, 0 end
  else
    t, f, bs, bn = burst, 0, s, n
  end
  if t < nt or (t == nt and f < nf) then ok = 0 end
  st[i] = {t, f, bs, bn, burst, rate}
end
local out = {ok}
for i = 1, #KEYS do
  local b = st[i]
  out[2 * i], out[2 * i + 1] = b[1], b[2]
  if ok == 1 then
    redis.call('HSET', KEYS[i], 't', b[1] - 1, 'f', b[2], 's', b[3], 'n', b[4], 'r', b[6], 'b', b[5])
    redis.call('PEXPIRE', KEYS[i], ARGV[2 + (i - 1) * 5 + 5])
  end
end
return out
`)
