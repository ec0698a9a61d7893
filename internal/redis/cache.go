package redis

import (
	"context"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/copydesk/copydesk/internal/cache"
	"github.com/copydesk/copydesk/internal/copydesk"
)

// purgeBatch is how many candidate keys one purge script looks at, so that
// a large purge never blocks Redis for long.
const purgeBatch = 500

// setSample is how many members of each index set a write checks for
// entries Redis expired, which keeps the stale members of a busy set
// bounded (at about a third of its live ones for a sample of four, fewer
// with purges).
const setSample = 4

// setScript stores one entry and its index memberships.
//
// KEYS: 1 the entry, 2-4 its customer, kind and tier index sets.
// ARGV: 1 the index prefix, 2 the entry prefix, 3 the cache key (the sets'
// member), 4 the TTL in ms, 5 the sample size, then the hash fields
// 6 value, 7 customer, 8 kind, 9 tier, 10 expiry, 11 creation, 12 cost,
// 13 owning user.
var setScript = goredis.NewScript(`
local ip, ep, m, ttl = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local old = redis.call('HMGET', KEYS[1], 'c', 'k', 't')
if old[3] then
	local was = {ip .. 'c:' .. old[1], ip .. 'k:' .. old[2], ip .. 't:' .. old[3]}
	for i = 1, 3 do
		if was[i] ~= KEYS[i + 1] then redis.call('SREM', was[i], m) end
	end
end
redis.call('HSET', KEYS[1], 'v', ARGV[6], 'c', ARGV[7], 'k', ARGV[8], 't', ARGV[9], 'x', ARGV[10], 'cr', ARGV[11], 'm', ARGV[12], 'u', ARGV[13])
redis.call('PEXPIRE', KEYS[1], ttl)
for i = 2, 4 do
	local set = KEYS[i]
	redis.call('SADD', set, m)
	if redis.call('PTTL', set) < ttl then redis.call('PEXPIRE', set, ttl) end
	for _, s in ipairs(redis.call('SRANDMEMBER', set, tonumber(ARGV[5]))) do
		if s ~= m and redis.call('EXISTS', ep .. s) == 0 then redis.call('SREM', set, s) end
	end
end
return 1
`)

// purgeScript deletes those of the candidate entries that match the filter
// and returns how many. Candidates that are gone or do not match lose their
// membership of the filter's index sets.
//
// KEYS: the candidate entries. ARGV: 1 the index prefix, 2 the length of the
// entry prefix, 3-5 the filter's customer, kind and tier ("" = any).
var purgeScript = goredis.NewScript(`
local ip, skip = ARGV[1], tonumber(ARGV[2])
local names = {'c:', 'k:', 't:'}
local n = 0
for _, key in ipairs(KEYS) do
	local m = string.sub(key, skip + 1)
	local f = redis.call('HMGET', key, 'c', 'k', 't')
	local match = f[3] ~= false
	for j = 1, 3 do
		local want = ARGV[j + 2]
		if want ~= '' and f[j] ~= want then
			match = false
			redis.call('SREM', ip .. names[j] .. want, m)
		end
	end
	if match then
		redis.call('DEL', key)
		for j = 1, 3 do redis.call('SREM', ip .. names[j] .. f[j], m) end
		n = n + 1
	end
end
return n
`)

func (c *Cache) entryKey(key string) string { return c.prefix + "e:" + key }
func (c *Cache) indexPrefix() string        { return c.prefix + "i:" }
func (c *Cache) customerSet(id string) string {
	return c.prefix + "i:c:" + id
}
func (c *Cache) kindSet(kind string) string        { return c.prefix + "i:k:" + kind }
func (c *Cache) tierSet(tier copydesk.Tier) string { return c.prefix + "i:t:" + string(tier) }

// GetCache returns the entry, or ok=false if it is absent or expired by the
// injected clock. Returns EUNAVAILABLE if Redis cannot be reached.
func (c *Cache) GetCache(ctx context.Context, key string) (*copydesk.CacheEntry, bool, error) {
	vals, err := c.client.HMGet(ctx, c.entryKey(key), entryFields...).Result()
	if err != nil {
		return nil, false, translate(err)
	}
	e, err := c.entry(key, vals)
	return e, e != nil, err
}

// GetCaches returns the entries of keys in one round trip (a pipeline),
// in the keys' order: nil for a key absent or expired. See
// copydesk.CacheBatchGetter.
func (c *Cache) GetCaches(ctx context.Context, keys []string) ([]*copydesk.CacheEntry, error) {
	cmds := make([]*goredis.SliceCmd, len(keys))
	_, err := c.client.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, key := range keys {
			cmds[i] = p.HMGet(ctx, c.entryKey(key), entryFields...)
		}
		return nil
	})
	if err != nil {
		return nil, translate(err)
	}
	out := make([]*copydesk.CacheEntry, len(keys))
	for i, cmd := range cmds {
		if out[i], err = c.entry(keys[i], cmd.Val()); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// entryFields are the hash fields of an entry, in entry's order.
var entryFields = []string{"v", "c", "k", "t", "x", "cr", "m", "u"}

// entry decodes the HMGET of key's entryFields: nil for an absent or
// expired entry, EINTERNAL for a malformed one.
func (c *Cache) entry(key string, vals []any) (*copydesk.CacheEntry, error) {
	if len(vals) != 8 || vals[0] == nil {
		return nil, nil
	}
	var s [8]string
	for i, v := range vals {
		str, ok := v.(string)
		if !ok && !(i == 7 && v == nil) { // entries written before owners have no "u"
			return nil, copydesk.Errorf(copydesk.EINTERNAL, "redis: cache entry %s is malformed", key)
		}
		s[i] = str
	}
	expires, err1 := strconv.ParseInt(s[4], 10, 64)
	created, err2 := strconv.ParseInt(s[5], 10, 64)
	cost, err3 := strconv.ParseInt(s[6], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return nil, copydesk.Errorf(copydesk.EINTERNAL, "redis: cache entry %s is malformed", key)
	}
	e := &copydesk.CacheEntry{
		Key:        key,
		CustomerID: s[1],
		UserID:     s[7],
		Kind:       s[2],
		Tier:       copydesk.Tier(s[3]),
		Value:      []byte(s[0]),
		ExpiresAt:  time.Unix(0, expires).UTC(),
		CreatedAt:  time.Unix(0, created).UTC(),
		CostMicros: copydesk.Micros(cost),
	}
	if !e.ExpiresAt.After(c.clock.Now()) {
		return nil, nil
	}
	return e, nil
}

// SetCache stores the entry, replacing any with the same key, with a Redis
// TTL that ends it at its ExpiresAt; an entry already expired by the clock
// only removes the old one. A zero CreatedAt becomes the clock's now and is
// set on entry. Returns EINVALID for an empty key, an unknown tier, a missing
// expiry or a negative cost, ETOOLARGE for a value over MaxValueBytes,
// EUNAVAILABLE if Redis cannot be reached.
func (c *Cache) SetCache(ctx context.Context, e *copydesk.CacheEntry) error {
	now := c.clock.Now()
	if err := e.Prepare(now.UTC()); err != nil {
		return err
	}
	if len(e.Value) > c.maxValue {
		return copydesk.Errorf(copydesk.ETOOLARGE, "cache value of %d bytes is over the Redis store's limit of %d", len(e.Value), c.maxValue)
	}
	ttl := e.ExpiresAt.Sub(now).Milliseconds()
	if ttl <= 0 {
		if !e.ExpiresAt.After(now) {
			_, err := c.purgeKeys(ctx, []string{c.entryKey(e.Key)}, copydesk.CacheFilter{})
			return err
		}
		ttl = 1
	}
	keys := []string{c.entryKey(e.Key), c.customerSet(e.CustomerID), c.kindSet(e.Kind), c.tierSet(e.Tier)}
	err := setScript.Run(ctx, c.client, keys,
		c.indexPrefix(), c.prefix+"e:", e.Key, ttl, setSample,
		e.Value, e.CustomerID, e.Kind, string(e.Tier),
		e.ExpiresAt.UnixNano(), e.CreatedAt.UnixNano(), int64(e.CostMicros), e.UserID).Err()
	return translate(err)
}

// PurgeCache deletes the entries matching filter and returns how many. A
// filter with a key looks at that entry alone; one with a customer, kind or
// tier walks the smallest of their index sets in batches; the empty filter
// removes every entry and index set under the prefix (SCAN and UNLINK).
// Entries set while it runs may survive it. Returns EUNAVAILABLE if Redis
// cannot be reached.
func (c *Cache) PurgeCache(ctx context.Context, f copydesk.CacheFilter) (int, error) {
	if f.Key != "" {
		return c.purgeKeys(ctx, []string{c.entryKey(f.Key)}, f)
	}
	var sets []string
	if f.CustomerID != "" {
		sets = append(sets, c.customerSet(f.CustomerID))
	}
	if f.Kind != "" {
		sets = append(sets, c.kindSet(f.Kind))
	}
	if f.Tier != "" {
		sets = append(sets, c.tierSet(f.Tier))
	}
	if len(sets) == 0 {
		return c.purgeAll(ctx)
	}
	smallest, err := c.smallest(ctx, sets)
	if err != nil || smallest == "" {
		return 0, err
	}
	total := 0
	var cursor uint64
	for {
		members, next, err := c.client.SScan(ctx, smallest, cursor, "", purgeBatch).Result()
		if err != nil {
			return total, translate(err)
		}
		keys := make([]string, len(members))
		for i, m := range members {
			keys[i] = c.entryKey(m)
		}
		n, err := c.purgeKeys(ctx, keys, f)
		total += n
		if err != nil {
			return total, err
		}
		if cursor = next; cursor == 0 {
			return total, nil
		}
	}
}

// smallest returns the set of sets with the fewest members, or "" if one
// of them is empty (nothing can match).
func (c *Cache) smallest(ctx context.Context, sets []string) (string, error) {
	pipe := c.client.Pipeline()
	cards := make([]*goredis.IntCmd, len(sets))
	for i, s := range sets {
		cards[i] = pipe.SCard(ctx, s)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return "", translate(err)
	}
	best := ""
	var bestN int64
	for i, cmd := range cards {
		n := cmd.Val()
		if n == 0 {
			return "", nil
		}
		if best == "" || n < bestN {
			best, bestN = sets[i], n
		}
	}
	return best, nil
}

// purgeKeys runs purgeScript on the entry keys.
func (c *Cache) purgeKeys(ctx context.Context, keys []string, f copydesk.CacheFilter) (int, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	n, err := purgeScript.Run(ctx, c.client, keys,
		c.indexPrefix(), len(c.prefix)+len("e:"), f.CustomerID, f.Kind, string(f.Tier)).Int()
	return n, translate(err)
}

// purgeAll removes the index sets, then every entry. In that order an entry
// written meanwhile never survives without its index memberships (which
// would hide it from later purges by customer, kind or tier).
func (c *Cache) purgeAll(ctx context.Context) (int, error) {
	if err := c.scan(ctx, c.indexPrefix(), func(keys []string) error {
		return c.client.Unlink(ctx, keys...).Err()
	}); err != nil {
		return 0, err
	}
	total := 0
	err := c.scan(ctx, c.prefix+"e:", func(keys []string) error {
		n, err := c.purgeKeys(ctx, keys, copydesk.CacheFilter{})
		total += n
		return err
	})
	return total, err
}

// scan calls fn with the batches of keys starting with prefix.
func (c *Cache) scan(ctx context.Context, prefix string, fn func(keys []string) error) error {
	var cursor uint64
	for {
		keys, next, err := c.client.Scan(ctx, cursor, globEscape(prefix)+"*", purgeBatch).Result()
		if err != nil {
			return translate(err)
		}
		if len(keys) > 0 {
			if err := fn(keys); err != nil {
				return translate(err)
			}
		}
		if cursor = next; cursor == 0 {
			return nil
		}
	}
}

// globEscape quotes the glob characters of s for SCAN MATCH.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '*', '?', '[', ']', '\\', '^', '-':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

var _ cache.UsageReporter = (*Cache)(nil)

// CacheUsage returns the entries per tier, counted by the tier index sets
// (one SCARD each, in one round trip): an entry Redis has expired counts
// until a write's sample or a purge drops it from its set, so the figure
// may run a little above the live entries. Bytes, evictions and
// expirations are not kept per tier in Redis and are reported as 0.
// Returns EUNAVAILABLE if Redis cannot be reached.
func (c *Cache) CacheUsage(ctx context.Context) (map[copydesk.Tier]cache.Usage, error) {
	pipe := c.client.Pipeline()
	cards := make([]*goredis.IntCmd, len(cache.Tiers))
	for i, t := range cache.Tiers {
		cards[i] = pipe.SCard(ctx, c.tierSet(t))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, translate(err)
	}
	u := make(map[copydesk.Tier]cache.Usage, len(cache.Tiers))
	for i, t := range cache.Tiers {
		u[t] = cache.Usage{Entries: cards[i].Val()}
	}
	return u, nil
}
