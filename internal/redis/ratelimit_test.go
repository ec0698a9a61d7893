package redis_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/ratelimit"
	"github.com/copydesk/copydesk/internal/ratelimit/ratelimittest"
	"github.com/copydesk/copydesk/internal/redis"
	"github.com/copydesk/copydesk/internal/redistest"
	"github.com/copydesk/copydesk/internal/storetest"
)

// MustRateLimiter returns the scale-out mode's rate limiter for cfg: its
// buckets in Redis on c, with an in-process fallback on clock; a nil clock
// uses Redis's TIME.
func MustRateLimiter(tb testing.TB, c *redis.Cache, cfg ratelimit.Config, clock copydesk.Clock, logger *slog.Logger) *ratelimit.Fallback {
	tb.Helper()
	local, err := ratelimit.New(cfg, clock)
	if err != nil {
		tb.Fatal(err)
	}
	return ratelimit.NewShared(redis.NewRateBuckets(c, clock), local, ratelimit.FallbackOptions{Logger: logger})
}

// TestRateLimiter runs the shared semantics suite against Redis; no
// decision may come from the fallback.
func TestRateLimiter(t *testing.T) {
	t.Parallel()
	redistest.MustURL(t)
	ratelimittest.Run(t, func(t *testing.T, cfg ratelimit.Config, clock copydesk.Clock) ratelimit.Service {
		l := MustRateLimiter(t, MustOpen(t, clock), cfg, clock, nil)
		t.Cleanup(func() {
			if n := l.Fallbacks(); n != 0 {
				t.Errorf("fallbacks: got %d, want 0 (every decision from Redis)", n)
			}
		})
		return l
	})
}

// TestRateLimiterSharedAcrossInstances: two instances on one Redis, a rate
// of N per minute and concurrent callers on both allow N in total, not 2N,
// for a user and for a login key.
func TestRateLimiterSharedAcrossInstances(t *testing.T) {
	t.Parallel()
	const n = 40
	url, prefix := redistest.MustPrefix(t)
	clock := storetest.NewClock(storetest.Epoch())
	cfg := ratelimit.Config{
		Roles: map[copydesk.Role]ratelimit.Rate{copydesk.RoleUser: {PerMinute: n}},
		Login: ratelimit.Rate{PerMinute: n},
	}
	a := MustRateLimiter(t, MustOpenPrefix(t, url, prefix, clock), cfg, clock, nil)
	b := MustRateLimiter(t, MustOpenPrefix(t, url, prefix, clock), cfg, clock, nil)
	p := copydesk.Principal{UserID: "usr_1", CustomerID: "cus_1", Role: copydesk.RoleUser}
	var allowed, logins atomic.Int64
	var wg sync.WaitGroup
	for i := range 4 * n {
		l := a
		if i%2 == 1 {
			l = b
		}
		wg.Go(func() {
			if l.Allow(t.Context(), p, copydesk.PriorityHigh).Allowed {
				allowed.Add(1)
			}
			if l.AllowLogin(t.Context(), "ip:192.0.2.1").Allowed {
				logins.Add(1)
			}
		})
	}
	wg.Wait()
	if got := allowed.Load(); got != n {
		t.Errorf("requests allowed across two instances: got %d, want %d", got, n)
	}
	if got := logins.Load(); got != n {
		t.Errorf("logins allowed across two instances: got %d, want %d", got, n)
	}
	if fa, fb := a.Fallbacks(), b.Fallbacks(); fa+fb != 0 {
		t.Errorf("fallbacks: got %d and %d, want 0", fa, fb)
	}
	// Both instances see the same empty bucket and the same wait.
	da, db := a.Allow(t.Context(), p, copydesk.PriorityHigh), b.Allow(t.Context(), p, copydesk.PriorityHigh)
	if da.Allowed || db.Allowed || da.RetryAfter != db.RetryAfter || da.RetryAfter != time.Minute/n {
		t.Errorf("after the burst: got %+v and %+v, want both refused, retry after %s", da, db, time.Minute/n)
	}
}

// TestRateLimiterServerTime: without a clock the buckets run on Redis's
// TIME; the keys carry a TTL that ends them when they would be full.
func TestRateLimiterServerTime(t *testing.T) {
	t.Parallel()
	url, prefix := redistest.MustPrefix(t)
	cfg := ratelimit.Config{Roles: map[copydesk.Role]ratelimit.Rate{copydesk.RoleUser: {PerMinute: 1, Burst: 5}}, Customer: ratelimit.Rate{PerMinute: -1}}
	a := MustRateLimiter(t, MustOpenPrefix(t, url, prefix, nil), cfg, nil, nil)
	b := MustRateLimiter(t, MustOpenPrefix(t, url, prefix, nil), cfg, nil, nil)
	p := copydesk.Principal{UserID: "usr_1", CustomerID: "cus_1", Role: copydesk.RoleUser}
	got := ratelimittest.Drain(t.Context(), a, p, copydesk.PriorityHigh, 3) + ratelimittest.Drain(t.Context(), b, p, copydesk.PriorityHigh, 3)
	if got != 5 {
		t.Errorf("allowed on two instances: got %d, want the burst of 5", got)
	}
	d := a.Allow(t.Context(), p, copydesk.PriorityHigh)
	if d.Allowed || d.RetryAfter <= 0 || d.RetryAfter > time.Minute || d.Scope != "user" {
		t.Errorf("refused: got %+v, want refused by user, retry after (0, 1m]", d)
	}
	opts, err := goredis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	rc := goredis.NewClient(opts)
	defer rc.Close()
	ttl, err := rc.PTTL(context.Background(), prefix+"rl:u:usr_1").Result()
	if err != nil {
		t.Fatal(err)
	}
	if max := 5*time.Minute + time.Second; ttl <= 0 || ttl > max {
		t.Errorf("bucket TTL: got %s, want in (0, %s]", ttl, max)
	}
	if n := redistest.CountPrefix(t, url, prefix+"rl:c:"); n != 0 {
		t.Errorf("customer buckets with an unlimited customer rate: got %d, want 0", n)
	}
}

// TestRateLimiterFallback: with Redis gone, decisions come from the
// in-process limiter (its own buckets), are counted, and one warning is
// logged for many failures.
func TestRateLimiterFallback(t *testing.T) {
	t.Parallel()
	url, prefix := redistest.MustPrefix(t)
	c, err := redis.Open(context.Background(), url, redis.Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	clock := storetest.NewClock(storetest.Epoch())
	l := MustRateLimiter(t, c, ratelimit.Config{Roles: map[copydesk.Role]ratelimit.Rate{copydesk.RoleUser: {PerMinute: 60, Burst: 3}}}, clock, logger)
	p := copydesk.Principal{UserID: "usr_1", CustomerID: "cus_1", Role: copydesk.RoleUser}
	if got := ratelimittest.Drain(t.Context(), l, p, copydesk.PriorityHigh, 2); got != 2 || l.Fallbacks() != 0 {
		t.Fatalf("with Redis: got %d allowed and %d fallbacks, want 2 and 0", got, l.Fallbacks())
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	// The fallback's buckets are its own: full, so 3 more pass.
	if got := ratelimittest.Drain(t.Context(), l, p, copydesk.PriorityHigh, 10); got != 3 {
		t.Errorf("Redis closed: got %d allowed, want the fallback's burst of 3", got)
	}
	d := l.Allow(t.Context(), p, copydesk.PriorityHigh)
	if d.Allowed || d.RetryAfter != time.Second || copydesk.ErrorCode(d.Err()) != copydesk.ERATELIMITED {
		t.Errorf("fallback refusal: got %+v, want refused, retry after 1s", d)
	}
	if d := l.AllowLogin(t.Context(), "ip:192.0.2.1"); !d.Allowed || d.Scope != "login" {
		t.Errorf("fallback login: got %+v, want allowed", d)
	}
	if got := l.Fallbacks(); got != 12 {
		t.Errorf("fallbacks: got %d, want 12", got)
	}
	if n := strings.Count(logs.String(), `"level":"WARN"`); n != 1 {
		t.Errorf("warnings: got %d, want 1 (rate-limited); logs:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), `"code":"unavailable"`) {
		t.Errorf("warning does not say unavailable: %s", logs.String())
	}
}

// BenchmarkRateLimiterAllow: one decision over the loopback to a local Redis
// (COPYDESK_TEST_REDIS), both buckets (user and customer) in one script;
// compare ratelimit's BenchmarkAllow/TwoBuckets.
func BenchmarkRateLimiterAllow(b *testing.B) {
	rate := ratelimit.Rate{PerMinute: 1_000_000, Burst: 1_000_000}
	cfg := ratelimit.Config{Roles: map[copydesk.Role]ratelimit.Rate{copydesk.RoleUser: rate}, Customer: rate}
	p := copydesk.Principal{UserID: "usr_1", CustomerID: "cus_1", Role: copydesk.RoleUser}
	b.Run("TwoBuckets", func(b *testing.B) {
		l := MustRateLimiter(b, MustOpen(b, nil), cfg, nil, nil)
		ctx := context.Background()
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			if !l.Allow(ctx, p, copydesk.PriorityHigh).Allowed {
				b.Fatalf("refused after %d calls; the benchmark times allowed requests only (shorten -benchtime)", n)
			}
			n++
		}
		if l.Fallbacks() != 0 {
			b.Fatalf("fallbacks: %d", l.Fallbacks())
		}
	})
	b.Run("TwoBucketsParallel", func(b *testing.B) {
		l := MustRateLimiter(b, MustOpen(b, nil), cfg, nil, nil)
		ctx := context.Background()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if !l.Allow(ctx, p, copydesk.PriorityHigh).Allowed {
					b.Error("refused; the benchmark times allowed requests only (shorten -benchtime)")
					return
				}
			}
		})
		if l.Fallbacks() != 0 {
			b.Fatalf("fallbacks: %d", l.Fallbacks())
		}
	})
}
