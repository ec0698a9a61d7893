package redis

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/redistest"
	"github.com/copydesk/copydesk/internal/storetest"
)

func mustOpen(t *testing.T) (*Cache, *storetest.Clock) {
	t.Helper()
	url, prefix := redistest.MustPrefix(t)
	clock := storetest.NewClock(storetest.Epoch())
	c, err := Open(context.Background(), url, Options{Prefix: prefix, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, clock
}

func (c *Cache) mustCard(t *testing.T, set string) int64 {
	t.Helper()
	n, err := c.client.SCard(context.Background(), set).Result()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (c *Cache) mustPTTL(t *testing.T, key string) time.Duration {
	t.Helper()
	d, err := c.client.PTTL(context.Background(), key).Result()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestIndexSetTTL: an entry's Redis TTL is its remaining lifetime by the
// injected clock, and its index sets live at least as long as their longest
// entry.
func TestIndexSetTTL(t *testing.T) {
	t.Parallel()
	c, clock := mustOpen(t)
	ctx := context.Background()
	long := &copydesk.CacheEntry{Key: storetest.Key("long"), CustomerID: "cus_a", Kind: "analysis", Tier: copydesk.TierRealtime,
		Value: []byte("l"), ExpiresAt: clock.Now().Add(2 * time.Hour)}
	short := &copydesk.CacheEntry{Key: storetest.Key("short"), CustomerID: "cus_a", Kind: "analysis", Tier: copydesk.TierRealtime,
		Value: []byte("s"), ExpiresAt: clock.Now().Add(time.Minute)}
	for _, e := range []*copydesk.CacheEntry{long, short} {
		if err := c.SetCache(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if d := c.mustPTTL(t, c.entryKey(short.Key)); d <= 0 || d > time.Minute {
		t.Errorf("short entry's TTL: got %s, want within (0, 1m]", d)
	}
	for _, set := range []string{c.customerSet("cus_a"), c.kindSet("analysis"), c.tierSet(copydesk.TierRealtime)} {
		if d := c.mustPTTL(t, set); d < time.Hour+59*time.Minute {
			t.Errorf("%s TTL: got %s, want at least the long entry's 2h", set, d)
		}
	}
}

// TestStaleMembers: entries Redis expired leave set members behind; a purge
// removes those it meets, and writes remove sampled ones.
func TestStaleMembers(t *testing.T) {
	t.Parallel()
	c, clock := mustOpen(t)
	ctx := context.Background()
	set := c.customerSet("cus_a")
	var keys []string
	for i := range 20 {
		e := &copydesk.CacheEntry{Key: storetest.Key(fmt.Sprint(i)), CustomerID: "cus_a", Kind: "analysis", Tier: copydesk.TierDynamic,
			Value: []byte("v"), ExpiresAt: clock.Now().Add(time.Hour)}
		if err := c.SetCache(ctx, e); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, c.entryKey(e.Key))
	}
	// What Redis does at expiry: the entries vanish, their members stay.
	if err := c.client.Del(ctx, keys[:10]...).Err(); err != nil {
		t.Fatal(err)
	}
	if n := c.mustCard(t, set); n != 20 {
		t.Fatalf("members before cleanup: got %d, want 20", n)
	}
	// Writes of other entries of the set sample its members.
	for i := range 20 {
		e := &copydesk.CacheEntry{Key: storetest.Key(fmt.Sprint("w", i)), CustomerID: "cus_a", Kind: "other", Tier: copydesk.TierStable,
			Value: []byte("v"), ExpiresAt: clock.Now().Add(time.Hour)}
		if err := c.SetCache(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if n := c.mustCard(t, set); n >= 40 {
		t.Errorf("members after 20 sampling writes: got %d, want fewer than 40", n)
	}
	n, err := c.PurgeCache(ctx, copydesk.CacheFilter{CustomerID: "cus_a", Kind: "analysis"})
	if err != nil || n != 10 {
		t.Errorf("PurgeCache: got %d, %v, want 10 (the live ones), nil", n, err)
	}
	if n := c.mustCard(t, c.kindSet("analysis")); n != 0 {
		t.Errorf("kind set members after the purge: got %d, want 0 (stale ones removed too)", n)
	}
	if n := c.mustCard(t, set); n != 20 {
		t.Errorf("customer set after the purge: got %d members, want the 20 live other-kind entries", n)
	}
}

// TestReplaceMovesMembership: replacing an entry with another customer,
// kind and tier moves its index memberships.
func TestReplaceMovesMembership(t *testing.T) {
	t.Parallel()
	c, clock := mustOpen(t)
	ctx := context.Background()
	e := &copydesk.CacheEntry{Key: storetest.Key("x"), CustomerID: "cus_a", Kind: "analysis", Tier: copydesk.TierDynamic,
		Value: []byte("v"), ExpiresAt: clock.Now().Add(time.Hour)}
	if err := c.SetCache(ctx, e); err != nil {
		t.Fatal(err)
	}
	e2 := *e
	e2.CustomerID, e2.Kind, e2.Tier = "cus_b", "translation", copydesk.TierStable
	if err := c.SetCache(ctx, &e2); err != nil {
		t.Fatal(err)
	}
	for set, want := range map[string]int64{
		c.customerSet("cus_a"): 0, c.kindSet("analysis"): 0, c.tierSet(copydesk.TierDynamic): 0,
		c.customerSet("cus_b"): 1, c.kindSet("translation"): 1, c.tierSet(copydesk.TierStable): 1,
	} {
		if got := c.mustCard(t, set); got != want {
			t.Errorf("%s: got %d members, want %d", set, got, want)
		}
	}
}
