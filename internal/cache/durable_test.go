package cache_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/copydesk/copydesk/internal/cache"
	"github.com/copydesk/copydesk/internal/copydesk"
)

// downStore is a CacheStore that fails every call while down is set, as
// Redis does during an outage, and forgets everything on wipe, as a Redis
// restarted without persistence does.
type downStore struct {
	*cache.MemoryStore
	down atomic.Bool
}

var errDown = copydesk.Errorf(copydesk.EUNAVAILABLE, "redis is unreachable")

func (s *downStore) GetCache(ctx context.Context, key string) (*copydesk.CacheEntry, bool, error) {
	if s.down.Load() {
		return nil, false, errDown
	}
	return s.MemoryStore.GetCache(ctx, key)
}

func (s *downStore) SetCache(ctx context.Context, e *copydesk.CacheEntry) error {
	if s.down.Load() {
		return errDown
	}
	return s.MemoryStore.SetCache(ctx, e)
}

func (s *downStore) PurgeCache(ctx context.Context, f copydesk.CacheFilter) (int, error) {
	if s.down.Load() {
		return 0, errDown
	}
	return s.MemoryStore.PurgeCache(ctx, f)
}

// TestDurableKinds: entries of a durable kind are written to the durable
// store as well as to L2; another process (an empty L1) gets them, and
// their owner, from the durable store while L2 fails and after L2 lost
// them, and copies them back into L2. Other kinds never reach the durable
// store, and a purge deletes from it too.
func TestDurableKinds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newFakeClock()
	l2 := &downStore{MemoryStore: MustMemoryStore(t, clock, 8<<20)}
	durable := MustMemoryStore(t, clock, 8<<20)
	newCache := func() *cache.Cache {
		c, err := cache.New(cache.Config{
			L1: MustMemoryStore(t, clock, 8<<20), L2: l2, Clock: clock,
			Durable: durable, DurableKinds: []string{"analysis.report"},
		})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	a := newCache()
	var calls int
	var mu sync.Mutex
	report, other := req("analysis.report", "fresh bread"), req("chat", "fresh bread")
	for _, r := range []cache.Request{report, other} {
		if _, err := a.Set(ctx, r, []byte("value of "+r.Kind), 0); err != nil {
			t.Fatalf("Set %s: %v", r.Kind, err)
		}
	}
	if _, ok, _ := durable.GetCache(ctx, report.Key); !ok {
		t.Fatalf("durable store: the report is missing")
	}
	if _, ok, _ := durable.GetCache(ctx, other.Key); ok {
		t.Errorf("durable store: holds an entry of kind chat, want only durable kinds")
	}

	t.Run("L2 down", func(t *testing.T) {
		l2.down.Store(true)
		defer l2.down.Store(false)
		b := newCache()
		owner, _, ok, err := b.Owner(ctx, report.Key)
		if err != nil || !ok || owner != "acme" {
			t.Errorf("Owner with L2 down: got %q, %t, %v, want acme, true, nil", owner, ok, err)
		}
		v, _, ok, err := b.Get(ctx, report)
		if err != nil || !ok || string(v) != "value of analysis.report" {
			t.Errorf("Get with L2 down: got %q, %t, %v, want the report", v, ok, err)
		}
		if _, _, ok, err := b.Owner(ctx, other.Key); err != nil || ok {
			t.Errorf("Owner of a non-durable kind with L2 down: got %t, %v, want a miss without error", ok, err)
		}
	})

	t.Run("L2 lost it", func(t *testing.T) {
		if _, err := l2.MemoryStore.PurgeCache(ctx, copydesk.CacheFilter{}); err != nil {
			t.Fatal(err)
		}
		b := newCache()
		v, _, err := b.Do(ctx, report, constFn(&calls, &mu, "recomputed", 0))
		if err != nil || string(v) != "value of analysis.report" {
			t.Errorf("Do after L2 lost the entry: got %q, %v, want the durable value", v, err)
		}
		if _, ok, _ := l2.GetCache(ctx, report.Key); !ok {
			t.Errorf("L2: the durable entry was not copied back")
		}
	})
	if calls != 0 {
		t.Errorf("computations: got %d, want 0 (the durable store answers)", calls)
	}

	n, err := a.Purge(ctx, copydesk.CacheFilter{CustomerID: "acme"})
	if err != nil || n.Durable != 1 {
		t.Errorf("Purge: got %+v, %v, want 1 durable entry deleted", n, err)
	}
	if _, _, ok, err := newCache().Owner(ctx, report.Key); err != nil || ok {
		t.Errorf("Owner after the purge: got %t, %v, want a miss", ok, err)
	}
}

// TestOwnerL2ErrorWithoutDurable: without a durable store, L2 is the
// source of truth and its failure is an error, not a miss.
func TestOwnerL2ErrorWithoutDurable(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	l2 := &downStore{MemoryStore: MustMemoryStore(t, clock, 8<<20)}
	l2.down.Store(true)
	c := MustNew(t, clock, l2)
	_, _, _, err := c.Owner(context.Background(), req("analysis.report", "x").Key)
	wantCode(t, err, copydesk.EUNAVAILABLE)
}
