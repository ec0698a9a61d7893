package redis_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/redis"
	"github.com/copydesk/copydesk/internal/redistest"
	"github.com/copydesk/copydesk/internal/storetest"
)

// TestCacheStoreConformance runs the shared CacheStore suite, as the SQLite,
// PostgreSQL and in-process stores do.
func TestCacheStoreConformance(t *testing.T) {
	storetest.TestCacheStore(t, func(t *testing.T, clock copydesk.Clock) copydesk.CacheStore {
		return MustOpen(t, clock)
	})
}

func TestCacheStoreValidation(t *testing.T) {
	storetest.TestCacheStoreValidation(t, func(t *testing.T, clock copydesk.Clock) copydesk.CacheStore {
		return MustOpen(t, clock)
	})
}

// TestPurgeAllLeavesNoKeys: the empty filter removes the entries and their
// index sets, and nothing else is left under the prefix.
func TestPurgeAllLeavesNoKeys(t *testing.T) {
	t.Parallel()
	url, prefix := redistest.MustPrefix(t)
	clock := storetest.NewClock(storetest.Epoch())
	c := MustOpenPrefix(t, url, prefix, clock)
	for i, customer := range []string{"cus_a", "cus_b", ""} {
		storetest.MustSetCache(t, c, &copydesk.CacheEntry{
			Key: storetest.Key(customer), CustomerID: customer, Kind: "analysis", Tier: copydesk.TierStable,
			Value: []byte{byte(i)}, ExpiresAt: clock.Now().Add(time.Hour),
		})
	}
	if n := redistest.CountPrefix(t, url, prefix); n == 0 {
		t.Fatalf("keys after three sets: got 0, want some")
	}
	if n := storetest.MustPurgeCache(t, c, copydesk.CacheFilter{}); n != 3 {
		t.Errorf("PurgeCache(all): got %d, want 3", n)
	}
	if n := redistest.CountPrefix(t, url, prefix); n != 0 {
		t.Errorf("keys under the prefix after purging all: got %d, want 0", n)
	}
}

// TestPurgeManyInBatches purges more entries than one script batch looks at.
func TestPurgeManyInBatches(t *testing.T) {
	t.Parallel()
	clock := storetest.NewClock(storetest.Epoch())
	c := MustOpen(t, clock)
	const n = 1200
	for i := range n {
		customer := "cus_even"
		if i%2 == 1 {
			customer = "cus_odd"
		}
		storetest.MustSetCache(t, c, &copydesk.CacheEntry{
			Key: storetest.Key(string(rune(i))), CustomerID: customer, Kind: "analysis", Tier: copydesk.TierDynamic,
			Value: []byte("v"), ExpiresAt: clock.Now().Add(time.Hour),
		})
	}
	if got := storetest.MustPurgeCache(t, c, copydesk.CacheFilter{CustomerID: "cus_odd", Kind: "analysis"}); got != n/2 {
		t.Errorf("PurgeCache(cus_odd): got %d, want %d", got, n/2)
	}
	if got := storetest.MustPurgeCache(t, c, copydesk.CacheFilter{Tier: copydesk.TierDynamic}); got != n/2 {
		t.Errorf("PurgeCache(dynamic): got %d, want %d", got, n/2)
	}
	if got := storetest.MustPurgeCache(t, c, copydesk.CacheFilter{}); got != 0 {
		t.Errorf("PurgeCache(all) at the end: got %d, want 0", got)
	}
}

func TestValueTooLarge(t *testing.T) {
	t.Parallel()
	url, prefix := redistest.MustPrefix(t)
	clock := storetest.NewClock(storetest.Epoch())
	c, err := redis.Open(context.Background(), url, redis.Options{Prefix: prefix, Clock: clock, MaxValueBytes: 1024})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	e := &copydesk.CacheEntry{Key: storetest.Key("big"), Kind: "generation", Tier: copydesk.TierStable,
		Value: make([]byte, 1025), ExpiresAt: clock.Now().Add(time.Hour)}
	if got, want := copydesk.ErrorCode(c.SetCache(context.Background(), e)), copydesk.ETOOLARGE; got != want {
		t.Errorf("SetCache of 1025 bytes: got code %q, want %q", got, want)
	}
	e.Value = e.Value[:1024]
	storetest.MustSetCache(t, c, e)
}

// TestOpenErrors: bad URLs are EINVALID without quoting a password; an
// unreachable server is EUNAVAILABLE naming Redis. Needs no server.
func TestOpenErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, url, code string
	}{
		{"NotRedis", "postgres://localhost/db", copydesk.EINVALID},
		{"Malformed", "redis://:secret@[::1/0", copydesk.EINVALID},
		{"BadDB", "redis://127.0.0.1:6379/notanumber", copydesk.EINVALID},
		{"Unreachable", "redis://127.0.0.1:1/0", copydesk.EUNAVAILABLE},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := redis.Open(context.Background(), tt.url, redis.Options{})
			if err == nil {
				c.Close()
				t.Fatalf("Open(%s): got nil error, want %s", tt.url, tt.code)
			}
			if got := copydesk.ErrorCode(err); got != tt.code {
				t.Errorf("got code %q (%v), want %q", got, err, tt.code)
			}
			msg := copydesk.ErrorMessage(err)
			if !strings.Contains(strings.ToLower(msg), "redis") {
				t.Errorf("message %q does not name Redis", msg)
			}
			if strings.Contains(msg, "secret") {
				t.Errorf("message %q quotes the password", msg)
			}
		})
	}
}

// TestClosedIsUnavailable: calls on a closed store are EUNAVAILABLE, and a
// second Close is harmless.
func TestClosedIsUnavailable(t *testing.T) {
	t.Parallel()
	url, prefix := redistest.MustPrefix(t)
	c, err := redis.Open(context.Background(), url, redis.Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: got %v, want nil", err)
	}
	_, _, err = c.GetCache(context.Background(), storetest.Key("x"))
	if got, want := copydesk.ErrorCode(err), copydesk.EUNAVAILABLE; got != want {
		t.Errorf("GetCache after Close: got code %q (%v), want %q", got, err, want)
	}
	if got, want := copydesk.ErrorCode(c.Ping(context.Background())), copydesk.EUNAVAILABLE; got != want {
		t.Errorf("Ping after Close: got code %q, want %q", got, want)
	}
}

// TestCacheUsage: entries are counted per tier, and a purge takes them
// out of the count.
func TestCacheUsage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := storetest.NewClock(storetest.Epoch())
	c := MustOpen(t, clock)
	tiers := []copydesk.Tier{copydesk.TierPermanent, copydesk.TierPermanent, copydesk.TierRealtime}
	for i, tier := range tiers {
		storetest.MustSetCache(t, c, &copydesk.CacheEntry{
			Key: storetest.Key("usage" + string(rune('a'+i))), CustomerID: "cus_a", Kind: "analysis", Tier: tier,
			Value: []byte("v"), ExpiresAt: clock.Now().Add(time.Hour),
		})
	}
	u, err := c.CacheUsage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := [4]int64{u[copydesk.TierPermanent].Entries, u[copydesk.TierStable].Entries, u[copydesk.TierDynamic].Entries, u[copydesk.TierRealtime].Entries}; got != [4]int64{2, 0, 0, 1} {
		t.Errorf("entries per tier (permanent, stable, dynamic, realtime): got %v, want [2 0 0 1]", got)
	}
	storetest.MustPurgeCache(t, c, copydesk.CacheFilter{Tier: copydesk.TierPermanent})
	if u, err = c.CacheUsage(ctx); err != nil || u[copydesk.TierPermanent].Entries != 0 || u[copydesk.TierRealtime].Entries != 1 {
		t.Errorf("after purging the permanent tier: got %+v, %v, want 0 permanent, 1 realtime", u, err)
	}
}
