package cache_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/cache"
	"github.com/copydesk/copydesk/internal/copydesk"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// MustNew returns a Cache with a MemoryStore L1 (and L2 when given) on clock.
func MustNew(tb testing.TB, clock copydesk.Clock, l2 copydesk.CacheStore) *cache.Cache {
	tb.Helper()
	l1 := cache.NewMemoryStore(cache.MemoryOptions{Clock: clock, MaxBytes: 8 << 20})
	tb.Cleanup(l1.Close)
	c, err := cache.New(cache.Config{L1: l1, L2: l2, Clock: clock})
	if err != nil {
		tb.Fatalf("cache.New: %v", err)
	}
	return c
}

// MustMemoryStore returns a MemoryStore closed at the end of the test.
func MustMemoryStore(tb testing.TB, clock copydesk.Clock, maxBytes uint64) *cache.MemoryStore {
	tb.Helper()
	s := cache.NewMemoryStore(cache.MemoryOptions{Clock: clock, MaxBytes: maxBytes})
	tb.Cleanup(s.Close)
	return s
}

// req returns a request for input of kind for customer "acme".
func req(kind, input string) cache.Request {
	return cache.NewRequest(cache.KeyParts{CustomerID: "acme", Kind: kind, Input: input, Version: "v1"})
}

// wantCode fails unless err carries the domain code.
func wantCode(tb testing.TB, err error, code string) {
	tb.Helper()
	if got := copydesk.ErrorCode(err); got != code {
		tb.Fatalf("got error code %q (%v), want %q", got, err, code)
	}
	var e *copydesk.Error
	if !errors.As(err, &e) || e.Message == "" {
		tb.Fatalf("got %v, want a *copydesk.Error with a message", err)
	}
}

// constFn returns a Func counting its calls and answering value at cost.
func constFn(calls *int, mu *sync.Mutex, value string, cost copydesk.Micros) cache.Func {
	return func(context.Context) ([]byte, copydesk.Micros, error) {
		mu.Lock()
		*calls++
		mu.Unlock()
		return []byte(value), cost, nil
	}
}

// mustReachL2 waits until key is in l2: the cache writes L2 after its
// callers have the answer. It fails after 10 s, a bound for a write that
// never happens, not a measure of speed.
func mustReachL2(tb testing.TB, l2 copydesk.CacheStore, key string) {
	tb.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if _, ok, err := l2.GetCache(context.Background(), key); err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("the entry %s never reached the L2", key)
		}
	}
}

// mustStore waits until the answers c computed are in its L2, as a
// process does before it stops: a second cache on the same L2 (another
// process, or this one restarted) then finds them.
func mustStore(tb testing.TB, c *cache.Cache) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Wait(ctx); err != nil {
		tb.Fatal(err)
	}
}

// getEach reads keys from s one by one, as a CacheBatchGetter answers:
// nil for a miss.
func getEach(ctx context.Context, s *cache.MemoryStore, keys []string) []*copydesk.CacheEntry {
	out := make([]*copydesk.CacheEntry, len(keys))
	for i, k := range keys {
		out[i], _, _ = s.GetCache(ctx, k)
	}
	return out
}
