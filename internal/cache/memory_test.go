package cache_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/cache"
	"github.com/copydesk/copydesk/internal/copydesk"
)

func entry(clock *fakeClock, key string, tier copydesk.Tier, size int) *copydesk.CacheEntry {
	now := clock.Now()
	return &copydesk.CacheEntry{
		Key: key, CustomerID: "acme", Kind: "analysis", Tier: tier,
		Value: []byte(strings.Repeat("v", size)), CreatedAt: now, ExpiresAt: now.Add(tier.TTL()),
	}
}

func TestMemoryStoreEvictsUnderByteBound(t *testing.T) {
	t.Parallel()
	const maxBytes, n, size = 64 << 10, 200, 1 << 10
	clock := newFakeClock()
	s := MustMemoryStore(t, clock, maxBytes)
	ctx := context.Background()
	for i := range n {
		key := cache.Key(cache.KeyParts{Kind: "analysis", Input: strings.Repeat("x", i)})
		if err := s.SetCache(ctx, entry(clock, key, copydesk.TierStable, size)); err != nil {
			t.Fatal(err)
		}
	}
	s.Cleanup()
	u, _ := s.CacheUsage(ctx)
	got := u[copydesk.TierStable]
	if got.Bytes > maxBytes {
		t.Errorf("got %d bytes held, want at most %d", got.Bytes, maxBytes)
	}
	if got.Evictions == 0 || got.Entries+got.Evictions != n {
		t.Errorf("got %d entries and %d evictions, want evictions > 0 summing to %d", got.Entries, got.Evictions, n)
	}
	if min := int64(maxBytes / (size + 300) / 2); got.Entries < min {
		t.Errorf("got %d entries, want at least %d: the bound is in bytes", got.Entries, min)
	}
}

func TestMemoryStoreExpiryByInjectedClock(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	s := MustMemoryStore(t, clock, 1<<20)
	ctx := context.Background()
	e := entry(clock, cache.Key(cache.KeyParts{Kind: "seo"}), copydesk.TierDynamic, 10)
	if err := s.SetCache(ctx, e); err != nil {
		t.Fatal(err)
	}
	clock.Add(time.Hour - time.Nanosecond)
	if _, ok, _ := s.GetCache(ctx, e.Key); !ok {
		t.Fatalf("got a miss before expiry, want a hit")
	}
	clock.Add(time.Nanosecond)
	if _, ok, _ := s.GetCache(ctx, e.Key); ok {
		t.Errorf("got a hit at expiry, want a miss")
	}
	// An already expired entry is not stored.
	if err := s.SetCache(ctx, e); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.GetCache(ctx, e.Key); ok {
		t.Errorf("got an expired entry stored, want none")
	}
	u, _ := s.CacheUsage(ctx)
	if got := u[copydesk.TierDynamic].Entries; got != 0 {
		t.Errorf("got %d dynamic entries counted, want 0", got)
	}
}

func TestMemoryStoreCopies(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	s := MustMemoryStore(t, clock, 1<<20)
	ctx := context.Background()
	e := entry(clock, cache.Key(cache.KeyParts{Kind: "seo"}), copydesk.TierDynamic, 3)
	if err := s.SetCache(ctx, e); err != nil {
		t.Fatal(err)
	}
	e.Value[0], e.Kind = 'X', "changed"
	got, ok, _ := s.GetCache(ctx, e.Key)
	if !ok || string(got.Value) != "vvv" || got.Kind != "analysis" {
		t.Fatalf("got %+v, want the entry as it was stored", got)
	}
	got.Kind = "changed again"
	again, _, _ := s.GetCache(ctx, e.Key)
	if again.Kind != "analysis" {
		t.Errorf("got kind %q after changing a returned entry, want analysis", again.Kind)
	}
}

func TestMemoryStoreRejectsBadEntries(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	s := MustMemoryStore(t, clock, 1<<20)
	good := entry(clock, "k", copydesk.TierStable, 1)
	tests := []struct {
		name string
		e    *copydesk.CacheEntry
	}{
		{"nil", nil},
		{"no key", func() *copydesk.CacheEntry { e := *good; e.Key = ""; return &e }()},
		{"unknown tier", func() *copydesk.CacheEntry { e := *good; e.Tier = "forever"; return &e }()},
		{"no expiry", func() *copydesk.CacheEntry { e := *good; e.ExpiresAt = time.Time{}; return &e }()},
		{"expiry centuries away", func() *copydesk.CacheEntry { e := *good; e.ExpiresAt = e.ExpiresAt.AddDate(500, 0, 0); return &e }()},
		{"negative cost", func() *copydesk.CacheEntry { e := *good; e.CostMicros = -1; return &e }()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, s.SetCache(context.Background(), tt.e), copydesk.EINVALID)
		})
	}
}

func TestMemoryStoreReplaceKeepsFigures(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	s := MustMemoryStore(t, clock, 1<<20)
	ctx := context.Background()
	key := cache.Key(cache.KeyParts{Kind: "seo"})
	for range 5 {
		if err := s.SetCache(ctx, entry(clock, key, copydesk.TierDynamic, 100)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetCache(ctx, entry(clock, key, copydesk.TierStable, 100)); err != nil {
		t.Fatal(err)
	}
	u, _ := s.CacheUsage(ctx)
	if u[copydesk.TierDynamic].Entries != 0 || u[copydesk.TierStable].Entries != 1 {
		t.Errorf("got %+v, want one stable entry after replacements", u)
	}
	if n, _ := s.PurgeCache(ctx, copydesk.CacheFilter{}); n != 1 {
		t.Errorf("purge all: got %d, want 1", n)
	}
	u, _ = s.CacheUsage(ctx)
	if u[copydesk.TierStable].Entries != 0 || u[copydesk.TierStable].Bytes != 0 {
		t.Errorf("got %+v after purge, want empty", u[copydesk.TierStable])
	}
}
