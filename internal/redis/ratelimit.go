package redis

import (
	"context"

	goredis "github.com/redis/go-redis/v9"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/ratelimit"
)

// RateBuckets is a ratelimit.BucketStore whose buckets live in Redis,
// shared by every instance on the database: N instances allow the
// configured rate in total, not N times it. It only keeps the levels: the
// rates and decisions are ratelimit.Shared's, and what to do while Redis
// fails is ratelimit.Fallback's (ratelimit.NewShared builds both).
//
// Each take is one Lua script: all of a request's buckets (key, user and
// customer) are refilled, checked and taken atomically, so that a refusal by
// one takes nothing from the others. Levels are integers: tokens and a
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
type RateBuckets struct {
	client *goredis.Client
	prefix string
	clock  copydesk.Clock // nil: Redis TIME
}

var _ ratelimit.BucketStore = (*RateBuckets)(nil)

// NewRateBuckets returns the rate-limit buckets on c's Redis database and
// key prefix. clock, when set, is the time of the buckets, sent with each
// take: for tests, which move time by hand. With a nil clock the buckets
// run on the Redis server's TIME, read inside the script, so that every
// instance refills them by one clock whatever its own clock says.
func NewRateBuckets(c *Cache, clock copydesk.Clock) *RateBuckets {
	return &RateBuckets{client: c.client, prefix: c.prefix, clock: clock}
}

func (r *RateBuckets) key(b ratelimit.Bucket) string {
	switch b.Scope {
	case "key":
		return r.prefix + "rl:k:" + b.Key
	case "customer":
		return r.prefix + "rl:c:" + b.Key
	case "login":
		return r.prefix + "rl:l:" + b.Key
	}
	return r.prefix + "rl:u:" + b.Key
}

// TakeBuckets refills bs in Redis, sets their Units to the levels before
// the take, and takes a token from each if every one holds its need, in one
// script. Returns EUNAVAILABLE if Redis cannot be reached, EINTERNAL for an
// answer of the wrong shape.
func (r *RateBuckets) TakeBuckets(ctx context.Context, bs []ratelimit.Bucket, needs []int64) (bool, error) {
	if len(needs) != len(bs) {
		return false, copydesk.Errorf(copydesk.EINTERNAL, "redis rate limit: %d needs for %d buckets", len(needs), len(bs))
	}
	keys := make([]string, len(bs))
	args := make([]any, 2, 2+5*len(bs))
	args[0], args[1] = "", ""
	if r.clock != nil {
		now := r.clock.Now()
		args[0], args[1] = now.Unix(), now.Nanosecond()
	}
	for i, b := range bs {
		keys[i] = r.key(b)
		// The key lives until the bucket is full again after this take:
		// Burst tokens at PerMinute, rounded up, plus a second.
		ttl := (int64(b.Rate.Burst)*60_000+int64(b.Rate.PerMinute)-1)/int64(b.Rate.PerMinute) + 1000
		args = append(args, b.Rate.Burst, b.Rate.PerMinute, needs[i]/ratelimit.Unit, needs[i]%ratelimit.Unit, ttl)
	}
	res, err := takeScript.Run(ctx, r.client, keys, args...).Int64Slice()
	if err != nil {
		return false, translate(err)
	}
	if len(res) != 1+2*len(bs) {
		return false, copydesk.Errorf(copydesk.EINTERNAL, "redis rate limit script: got %d values, want %d", len(res), 1+2*len(bs))
	}
	for i := range bs {
		bs[i].Units = res[1+2*i]*ratelimit.Unit + res[2+2*i]
	}
	return res[0] == 1, nil
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
