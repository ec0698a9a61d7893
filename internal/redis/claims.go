package redis

import (
	"context"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// releaseScript deletes a claim only if the caller holds it.
//
// KEYS: 1 the claim. ARGV: 1 the holder's id.
var releaseScript = goredis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// renewScript extends a claim only if the caller holds it.
//
// KEYS: 1 the claim. ARGV: 1 the holder's id, 2 the lease in milliseconds.
var renewScript = goredis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`)

func (c *Cache) claimKey(key string) string { return c.prefix + "claim:" + key }

// RenewCache extends a claim this instance holds to ttl from now and
// reports whether it still held it. Returns EUNAVAILABLE if Redis cannot be
// reached.
func (c *Cache) RenewCache(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	n, err := renewScript.Run(ctx, c.client, []string{c.claimKey(key)}, c.id, ttl.Milliseconds()).Int()
	if err != nil {
		return false, translate(err)
	}
	return n == 1, nil
}

// ClaimCache claims the computation of a cache key for ttl (SET NX PX, with
// this instance's id as the value). It reports true when this instance now
// holds the claim: the key was unclaimed or its claim had expired; false
// when any instance, this one included, holds it. Instances sharing the
// Redis database use it so that one of them calls the provider and the
// others wait for the answer. Returns EINVALID for a ttl under a
// millisecond, EUNAVAILABLE if Redis cannot be reached.
func (c *Cache) ClaimCache(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if ttl < time.Millisecond {
		return false, copydesk.Errorf(copydesk.EINVALID, "cache claim TTL must be at least 1ms, got %s", ttl)
	}
	ok, err := c.client.SetNX(ctx, c.claimKey(key), c.id, ttl).Result()
	if err != nil {
		return false, translate(err)
	}
	return ok, nil
}

// ReleaseCache gives up a claim this instance holds; a claim another
// instance took (after this one's expired) stays. Returns EUNAVAILABLE if
// Redis cannot be reached.
func (c *Cache) ReleaseCache(ctx context.Context, key string) error {
	return translate(releaseScript.Run(ctx, c.client, []string{c.claimKey(key)}, c.id).Err())
}
