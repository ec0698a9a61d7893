package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/google/go-cmp/cmp"
)

// NewCacheStore builds a fresh, empty cache store that reads time from clock
// (for expiry) and is cleaned up when t ends.
type NewCacheStore func(t *testing.T, clock copydesk.Clock) copydesk.CacheStore

// ExpirySweeper is implemented by cache stores that delete expired entries
// on demand (the SQL stores); TestCacheStore checks it when present.
type ExpirySweeper interface {
	// DeleteExpiredCache deletes the expired entries and returns how many.
	DeleteExpiredCache(ctx context.Context) (int, error)
}

// Key returns a cache key for s the way the cache package makes them: hex
// SHA-256.
func Key(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestCacheStore runs the copydesk.CacheStore conformance suite against
// stores made by newStore. Entries it stores carry every field (a known tier,
// a round ExpiresAt and CreatedAt), so that a store may reject incomplete
// entries without failing the suite.
func TestCacheStore(t *testing.T, newStore NewCacheStore) {
	setup := func(t *testing.T) (copydesk.CacheStore, *Clock) {
		t.Helper()
		t.Parallel()
		clock := NewClock(Epoch())
		return newStore(t, clock), clock
	}
	entry := func(clock *Clock, name, customer, kind string, tier copydesk.Tier) *copydesk.CacheEntry {
		return &copydesk.CacheEntry{
			Key:        Key(name),
			CustomerID: customer,
			Kind:       kind,
			Tier:       tier,
			Value:      []byte(`{"answer":"` + name + `"}`),
			ExpiresAt:  clock.Now().Add(tier.TTL()),
			CreatedAt:  clock.Now(),
			CostMicros: 1250,
		}
	}

	t.Run("SetGet", func(t *testing.T) {
		s, clock := setup(t)
		want := entry(clock, "a", "cus_1", "analysis", copydesk.TierPermanent)
		MustSetCache(t, s, want)
		got, ok := MustGetCache(t, s, want.Key)
		if !ok {
			t.Fatalf("GetCache: got ok=false, want the entry")
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("entry (-want +got):\n%s", diff)
		}
	})

	// A user's own entry keeps its owner (GET /v1/analyses/{key} reads it).
	t.Run("SetGetOwner", func(t *testing.T) {
		s, clock := setup(t)
		want := entry(clock, "owned", "cus_1", "analysis.report", copydesk.TierPermanent)
		want.UserID = "usr_1"
		MustSetCache(t, s, want)
		got, ok := MustGetCache(t, s, want.Key)
		if !ok {
			t.Fatalf("GetCache: got ok=false, want the entry")
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("entry (-want +got):\n%s", diff)
		}
	})

	// A store that reads many keys at once gives what GetCache gives, key
	// by key, in the keys' order.
	t.Run("GetCaches", func(t *testing.T) {
		s, clock := setup(t)
		bg, ok := s.(copydesk.CacheBatchGetter)
		if !ok {
			t.Skip("the store reads one key at a time")
		}
		a := entry(clock, "a", "cus_1", "analysis", copydesk.TierPermanent)
		a.UserID = "usr_1"
		b := entry(clock, "b", "", "translation", copydesk.TierStable)
		short := entry(clock, "short", "", "generation", copydesk.TierRealtime)
		short.ExpiresAt = clock.Now().Add(time.Second)
		for _, e := range []*copydesk.CacheEntry{a, b, short} {
			MustSetCache(t, s, e)
		}
		clock.Add(time.Second) // short expires
		got, err := bg.GetCaches(context.Background(), []string{b.Key, Key("absent"), a.Key, short.Key, b.Key})
		if err != nil {
			t.Fatal(err)
		}
		want := []*copydesk.CacheEntry{b, nil, a, nil, b}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("GetCaches (-want +got):\n%s", diff)
		}
		if got, err := bg.GetCaches(context.Background(), nil); err != nil || len(got) != 0 {
			t.Errorf("no keys: got %v, %v; want none", got, err)
		}
	})

	t.Run("GetAbsent", func(t *testing.T) {
		s, _ := setup(t)
		got, ok, err := s.GetCache(context.Background(), Key("absent"))
		if err != nil || ok || got != nil {
			t.Errorf("got %v, %v, %v, want nil, false, nil", got, ok, err)
		}
	})

	t.Run("Replace", func(t *testing.T) {
		s, clock := setup(t)
		first := entry(clock, "a", "cus_1", "analysis", copydesk.TierDynamic)
		MustSetCache(t, s, first)
		clock.Add(time.Minute)
		second := entry(clock, "a", "cus_2", "translation", copydesk.TierStable)
		second.Value = []byte("replaced")
		second.CostMicros = 99
		MustSetCache(t, s, second)
		got, ok := MustGetCache(t, s, first.Key)
		if !ok {
			t.Fatalf("GetCache: got ok=false, want the replaced entry")
		}
		if diff := cmp.Diff(second, got); diff != "" {
			t.Errorf("entry (-want +got):\n%s", diff)
		}
		// Replacing keeps one entry: purging everything removes exactly one.
		if n := MustPurgeCache(t, s, copydesk.CacheFilter{}); n != 1 {
			t.Errorf("PurgeCache(all): got %d, want 1", n)
		}
	})

	t.Run("Expiry", func(t *testing.T) {
		s, clock := setup(t)
		e := entry(clock, "rt", "", "generation", copydesk.TierRealtime)
		e.ExpiresAt = clock.Now().Add(10 * time.Second)
		MustSetCache(t, s, e)
		long := entry(clock, "long", "", "generation", copydesk.TierStable)
		MustSetCache(t, s, long)

		clock.Add(9 * time.Second)
		if _, ok := MustGetCache(t, s, e.Key); !ok {
			t.Fatalf("1 s before expiry: got ok=false, want the entry")
		}
		clock.Add(time.Second)
		if got, ok := MustGetCache(t, s, e.Key); ok {
			t.Fatalf("at expiry: got %+v, want ok=false", got)
		}
		clock.Add(time.Hour)
		if _, ok := MustGetCache(t, s, e.Key); ok {
			t.Fatalf("after expiry: got ok=true, want false")
		}
		if _, ok := MustGetCache(t, s, long.Key); !ok {
			t.Fatalf("unexpired entry: got ok=false, want the entry")
		}

		if sw, ok := s.(ExpirySweeper); ok {
			n, err := sw.DeleteExpiredCache(context.Background())
			if err != nil || n != 1 {
				t.Errorf("DeleteExpiredCache: got %d, %v, want 1, nil", n, err)
			}
			n, err = sw.DeleteExpiredCache(context.Background())
			if err != nil || n != 0 {
				t.Errorf("DeleteExpiredCache again: got %d, %v, want 0, nil", n, err)
			}
			if _, ok := MustGetCache(t, s, long.Key); !ok {
				t.Errorf("after sweep: unexpired entry is gone")
			}
		}

		// Setting an expired key again revives it with the new expiry.
		e.ExpiresAt = clock.Now().Add(time.Minute)
		MustSetCache(t, s, e)
		if _, ok := MustGetCache(t, s, e.Key); !ok {
			t.Errorf("after re-set: got ok=false, want the entry")
		}
	})

	t.Run("ExpirySweepBatches", func(t *testing.T) {
		s, clock := setup(t)
		sw, ok := s.(ExpirySweeper)
		if !ok {
			t.Skip("store has no DeleteExpiredCache")
		}
		const n = 2500 // more than one sweep batch
		for i := range n {
			e := entry(clock, fmt.Sprintf("bulk%d", i), "", "analysis", copydesk.TierRealtime)
			MustSetCache(t, s, e)
		}
		clock.Add(copydesk.TierRealtime.TTL())
		got, err := sw.DeleteExpiredCache(context.Background())
		if err != nil || got != n {
			t.Errorf("DeleteExpiredCache: got %d, %v, want %d, nil", got, err, n)
		}
	})

	t.Run("Purge", func(t *testing.T) {
		all := []struct {
			name, customer, kind string
			tier                 copydesk.Tier
		}{
			{"e1", "cus_a", "analysis", copydesk.TierPermanent},
			{"e2", "cus_a", "translation", copydesk.TierDynamic},
			{"e3", "cus_b", "analysis", copydesk.TierDynamic},
			{"e4", "cus_b", "generation", copydesk.TierRealtime},
			{"e5", "", "analysis", copydesk.TierPermanent},
			{"e6", "", "translation", copydesk.TierStable},
		}
		for _, tt := range []struct {
			name   string
			filter copydesk.CacheFilter
			purged []string
		}{
			{"All", copydesk.CacheFilter{}, []string{"e1", "e2", "e3", "e4", "e5", "e6"}},
			{"ByCustomer", copydesk.CacheFilter{CustomerID: "cus_a"}, []string{"e1", "e2"}},
			{"ByKind", copydesk.CacheFilter{Kind: "analysis"}, []string{"e1", "e3", "e5"}},
			{"ByTier", copydesk.CacheFilter{Tier: copydesk.TierDynamic}, []string{"e2", "e3"}},
			{"ByKey", copydesk.CacheFilter{Key: Key("e4")}, []string{"e4"}},
			{"ByCustomerAndKind", copydesk.CacheFilter{CustomerID: "cus_b", Kind: "analysis"}, []string{"e3"}},
			{"ByKindAndTier", copydesk.CacheFilter{Kind: "analysis", Tier: copydesk.TierPermanent}, []string{"e1", "e5"}},
			{"ByKeyOfOtherCustomer", copydesk.CacheFilter{CustomerID: "cus_a", Key: Key("e4")}, []string{}},
			{"NoMatch", copydesk.CacheFilter{Kind: "nothing"}, []string{}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				s, clock := setup(t)
				for _, e := range all {
					MustSetCache(t, s, entry(clock, e.name, e.customer, e.kind, e.tier))
				}
				if got, want := MustPurgeCache(t, s, tt.filter), len(tt.purged); got != want {
					t.Errorf("PurgeCache: got %d, want %d", got, want)
				}
				gone := []string{}
				for _, e := range all {
					if _, ok := MustGetCache(t, s, Key(e.name)); !ok {
						gone = append(gone, e.name)
					}
				}
				sort.Strings(gone)
				if diff := cmp.Diff(tt.purged, gone); diff != "" {
					t.Errorf("purged entries (-want +got):\n%s", diff)
				}
			})
		}
	})

	t.Run("LargeValue", func(t *testing.T) {
		s, clock := setup(t)
		e := entry(clock, "big", "cus_1", "generation", copydesk.TierStable)
		e.Value = make([]byte, 1<<20)
		for i := range e.Value {
			e.Value[i] = byte(i * 7)
		}
		MustSetCache(t, s, e)
		got, ok := MustGetCache(t, s, e.Key)
		if !ok {
			t.Fatalf("GetCache: got ok=false, want the entry")
		}
		if !bytes.Equal(got.Value, e.Value) {
			t.Errorf("Value: got %d bytes, want the %d bytes stored", len(got.Value), len(e.Value))
		}
	})

	t.Run("ValueIsCopied", func(t *testing.T) {
		// Changing the caller's slice after SetCache, or the returned one
		// after GetCache, does not change what is stored.
		s, clock := setup(t)
		e := entry(clock, "copy", "", "analysis", copydesk.TierDynamic)
		want := bytes.Clone(e.Value)
		MustSetCache(t, s, e)
		e.Value[0] = 'X'
		got, _ := MustGetCache(t, s, e.Key)
		if !bytes.Equal(got.Value, want) {
			t.Fatalf("after changing the caller's slice: got %q, want %q", got.Value, want)
		}
		got.Value[0] = 'Y'
		again, _ := MustGetCache(t, s, e.Key)
		if !bytes.Equal(again.Value, want) {
			t.Errorf("after changing a returned slice: got %q, want %q", again.Value, want)
		}
	})
}

// TestCacheStoreValidation checks that a store refuses incomplete entries
// with EINVALID and fills a zero CreatedAt from its clock. The SQL stores run
// it; a store that accepts any entry need not.
func TestCacheStoreValidation(t *testing.T, newStore NewCacheStore) {
	t.Parallel()
	clock := NewClock(Epoch())
	db := newStore(t, clock)
	valid := func() *copydesk.CacheEntry {
		return &copydesk.CacheEntry{Key: "k", Kind: "analysis", Tier: copydesk.TierDynamic, Value: []byte("v"),
			ExpiresAt: clock.Now().Add(copydesk.TierDynamic.TTL())}
	}
	for _, tt := range []struct {
		name   string
		change func(e *copydesk.CacheEntry)
	}{
		{"NoKey", func(e *copydesk.CacheEntry) { e.Key = "" }},
		{"UnknownTier", func(e *copydesk.CacheEntry) { e.Tier = "forever" }},
		{"NoExpiry", func(e *copydesk.CacheEntry) { e.ExpiresAt = time.Time{} }},
		{"ExpiryTooFar", func(e *copydesk.CacheEntry) { e.ExpiresAt = e.ExpiresAt.AddDate(500, 0, 0) }},
		{"NegativeCost", func(e *copydesk.CacheEntry) { e.CostMicros = -1 }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := valid()
			tt.change(e)
			err := db.SetCache(context.Background(), e)
			if got, want := copydesk.ErrorCode(err), copydesk.EINVALID; got != want {
				t.Errorf("got code %q (%v), want %q", got, err, want)
			}
		})
	}
	if n := MustPurgeCache(t, db, copydesk.CacheFilter{}); n != 0 {
		t.Errorf("after invalid sets: got %d entries, want 0", n)
	}
	// A valid entry with a zero CreatedAt gets the clock's time.
	e := valid()
	MustSetCache(t, db, e)
	got, _ := MustGetCache(t, db, "k")
	if !got.CreatedAt.Equal(clock.Now()) {
		t.Errorf("CreatedAt: got %v, want %v", got.CreatedAt, clock.Now())
	}
}

// MustSetCache stores e in s or fails the test.
func MustSetCache(tb testing.TB, s copydesk.CacheStore, e *copydesk.CacheEntry) {
	tb.Helper()
	if err := s.SetCache(context.Background(), e); err != nil {
		tb.Fatalf("SetCache(%s): got error %v, want nil", e.Key, err)
	}
}

// MustGetCache reads key from s or fails the test on an error.
func MustGetCache(tb testing.TB, s copydesk.CacheStore, key string) (*copydesk.CacheEntry, bool) {
	tb.Helper()
	e, ok, err := s.GetCache(context.Background(), key)
	if err != nil {
		tb.Fatalf("GetCache(%s): got error %v, want nil", key, err)
	}
	return e, ok
}

// MustPurgeCache purges filter from s or fails the test.
func MustPurgeCache(tb testing.TB, s copydesk.CacheStore, filter copydesk.CacheFilter) int {
	tb.Helper()
	n, err := s.PurgeCache(context.Background(), filter)
	if err != nil {
		tb.Fatalf("PurgeCache(%+v): got error %v, want nil", filter, err)
	}
	return n
}
