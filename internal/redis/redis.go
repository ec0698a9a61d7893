// Package redis is the Redis adapter of the scale-out mode: a
// copydesk.CacheStore that instances share as their L2 cache layer, a
// cache.Claimer that lets one instance compute a key while the others wait,
// the rate-limit buckets (a ratelimit.BucketStore) and the provider limits
// (a providerlimit.Shared). Its calls return domain errors (EUNAVAILABLE
// while Redis does not answer); what to do meanwhile is decided outside it
// (cache.FallbackStore, ratelimit.Fallback, providerlimit.Limiter), though
// ProviderLimits still counts and warns of its own failures.
//
// Every key starts with Options.Prefix (default "copydesk:"):
//
//	<prefix>e:<key>         hash of one entry: v value, c customer, k kind,
//	                        t tier, x expiry and cr creation (Unix ns), m cost;
//	                        a Redis TTL ends it at its ExpiresAt
//	<prefix>i:c:<customer>  set of the keys of a customer ("" = shared)
//	<prefix>i:k:<kind>      set of the keys of a task kind
//	<prefix>i:t:<tier>      set of the keys of a tier
//	<prefix>claim:<key>     a claim: the holding instance's id, with a TTL
//
// The index sets let PurgeCache find entries by customer, kind and tier. They
// are kept in the same Lua script as the entry, carry a TTL at least as long
// as their longest entry's, and lose the members of entries Redis expired
// lazily: on purge, and by a small sample checked on each write. The client
// is a single-node one (a server, or one behind Sentinel); Redis Cluster is
// not supported, since the scripts touch keys they compute from the prefix.
// An allkeys-* eviction policy may evict index sets and make purges miss
// entries: use noeviction or a volatile-* policy.
package redis

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/copydesk/copydesk/internal/cache"
	"github.com/copydesk/copydesk/internal/copydesk"
)

// DefaultPrefix starts every key the store writes.
const DefaultPrefix = "copydesk:"

// DefaultMaxValueBytes is the default bound of one entry's value: 32 MiB.
const DefaultMaxValueBytes = 32 << 20

// Options configures a Cache.
type Options struct {
	// Prefix starts every key, so that several deployments (or tests) can
	// share one Redis database. Default DefaultPrefix.
	Prefix string
	// Clock decides expiry: an entry's Redis TTL is its ExpiresAt less the
	// clock's now, and reads check ExpiresAt against it too. Default
	// copydesk.SystemClock.
	Clock copydesk.Clock
	// MaxValueBytes bounds one entry's value; SetCache refuses larger ones
	// with ETOOLARGE. Default DefaultMaxValueBytes.
	MaxValueBytes int
	// StartDown makes Open return the client even when Redis does not
	// answer yet, with the error as well: the client connects once Redis
	// answers, and meanwhile every call fails fast as in an outage. For an
	// instance that serves without Redis (degraded) rather than not at
	// all. Default false: Open fails.
	StartDown bool
}

// Cache is a copydesk.CacheStore and cache.Claimer on one Redis database.
// Safe for concurrent use.
type Cache struct {
	client   *goredis.Client
	clock    copydesk.Clock
	prefix   string
	maxValue int
	// id is this instance's claim token: the value of the claims it holds,
	// so that it releases only its own.
	id string
}

var (
	_ copydesk.CacheStore       = (*Cache)(nil)
	_ copydesk.CacheBatchGetter = (*Cache)(nil)
	_ cache.Claimer             = (*Cache)(nil)
)

// Default timeouts of a Redis connection (see Open).
const (
	DialTimeout = 2 * time.Second
	IOTimeout   = time.Second
)

// Open connects to the Redis server at rawURL (redis:// or rediss://, e.g.
// redis://:password@host:6379/0) and checks that it answers. Returns
// EINVALID for a malformed URL or options, EUNAVAILABLE if Redis does not
// answer (with Options.StartDown, the client as well). Unless the URL sets
// them (dial_timeout, read_timeout, write_timeout, pool_timeout,
// max_retries), a connection waits at most
// DialTimeout to open and IOTimeout for an answer, a timed-out command is
// retried once, and a request's own deadline applies too. After Redis failed
// to answer, the client sends nothing for BreakerCooldown: meanwhile the
// cache misses and the rate limiter decides on this instance at once, so a
// hung Redis slows requests only until the first one has timed out.
func Open(ctx context.Context, rawURL string, opts Options) (*Cache, error) {
	if opts.MaxValueBytes < 0 {
		return nil, copydesk.Errorf(copydesk.EINVALID, "redis MaxValueBytes cannot be negative, got %d", opts.MaxValueBytes)
	}
	if !strings.HasPrefix(rawURL, "redis://") && !strings.HasPrefix(rawURL, "rediss://") {
		return nil, copydesk.Errorf(copydesk.EINVALID, "redis URL must start with redis:// or rediss://")
	}
	ropts, err := goredis.ParseURL(rawURL)
	if err != nil {
		return nil, copydesk.Errorf(copydesk.EINVALID, "redis URL does not parse: %s", urlReason(err))
	}
	// Maintenance notifications are a Redis Cloud feature; their handshake
	// only adds a failing command per connection elsewhere.
	ropts.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	// go-redis waits 5 s to dial and 3 s for an answer by default: too long
	// for a cache and a rate limiter in front of every request.
	for _, t := range []struct {
		param string
		dst   *time.Duration
		def   time.Duration
	}{{"dial_timeout", &ropts.DialTimeout, DialTimeout}, {"read_timeout", &ropts.ReadTimeout, IOTimeout}, {"write_timeout", &ropts.WriteTimeout, IOTimeout}} {
		if !strings.Contains(rawURL, t.param+"=") {
			*t.dst = t.def
		}
	}
	ropts.ContextTimeoutEnabled = true
	// go-redis retries a timed-out command three times and waits up to
	// ReadTimeout + 1 s for a pooled connection: a hung Redis would cost a
	// request several seconds.
	if !strings.Contains(rawURL, "max_retries=") {
		ropts.MaxRetries = 1
	}
	if !strings.Contains(rawURL, "pool_timeout=") {
		ropts.PoolTimeout = IOTimeout
	}
	client := goredis.NewClient(ropts)
	client.AddHook(&breaker{cooldown: BreakerCooldown})
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	c := &Cache{
		client:   client,
		clock:    cmp.Or[copydesk.Clock](opts.Clock, copydesk.SystemClock{}),
		prefix:   cmp.Or(opts.Prefix, DefaultPrefix),
		maxValue: cmp.Or(opts.MaxValueBytes, DefaultMaxValueBytes),
		id:       hex.EncodeToString(b),
	}
	if err := c.Ping(ctx); err != nil {
		if opts.StartDown && copydesk.ErrorCode(err) == copydesk.EUNAVAILABLE {
			return c, err
		}
		_ = c.client.Close()
		return nil, err
	}
	return c, nil
}

// Close closes the connections. Safe to call twice.
func (c *Cache) Close() error {
	if err := c.client.Close(); err != nil && !errors.Is(err, goredis.ErrClosed) {
		return translate(err)
	}
	return nil
}

// Ping checks that Redis answers. Returns EUNAVAILABLE if it does not.
func (c *Cache) Ping(ctx context.Context) error {
	if err := c.client.Ping(ctx).Err(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return copydesk.Errorf(copydesk.EUNAVAILABLE, "redis: server does not answer: %s", reason(err))
	}
	return nil
}

// translate turns a go-redis error into a domain error: EUNAVAILABLE for a
// server that cannot be reached or cannot serve now, the context's error as
// it is, anything else an internal error.
func translate(err error) error {
	if err == nil {
		return nil
	}
	var de *copydesk.Error
	if errors.As(err, &de) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var ne net.Error
	switch {
	case errors.Is(err, goredis.ErrClosed):
		return copydesk.Errorf(copydesk.EUNAVAILABLE, "redis: the client is closed")
	case errors.Is(err, goredis.ErrPoolTimeout), errors.Is(err, goredis.ErrPoolExhausted):
		return copydesk.Errorf(copydesk.EUNAVAILABLE, "redis: no free connection; try again")
	case errors.As(err, &ne), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return copydesk.Errorf(copydesk.EUNAVAILABLE, "redis is unreachable: %s", reason(err))
	}
	for _, p := range []string{"LOADING", "BUSY", "MASTERDOWN", "READONLY", "CLUSTERDOWN", "TRYAGAIN", "OOM"} {
		if goredis.HasErrorPrefix(err, p) {
			return copydesk.Errorf(copydesk.EUNAVAILABLE, "redis cannot serve now: %s", err.Error())
		}
	}
	return fmt.Errorf("redis: %w", err)
}

// reason describes err by its innermost cause, which names no password.
func reason(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err.Error()
		}
		err = u
	}
}

// urlReason says why a URL did not parse without quoting it (it may hold a
// password).
func urlReason(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}
