package cache_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/cache"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/storetest"
)

// TestFallbackStoreConformance: in front of a primary that answers, the
// FallbackStore is the primary (the shared CacheStore suite).
func TestFallbackStoreConformance(t *testing.T) {
	storetest.TestCacheStore(t, func(t *testing.T, clock copydesk.Clock) copydesk.CacheStore {
		return cache.NewFallbackStore(MustMemoryStore(t, clock, cache.DefaultMemoryBytes), cache.FallbackOptions{})
	})
}

// flakyStore is a MemoryStore that fails every call with err while err is
// set, and counts the calls that reach it.
type flakyStore struct {
	*cache.MemoryStore
	mu    sync.Mutex
	err   error
	calls int
}

func (s *flakyStore) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

func (s *flakyStore) enter() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	return s.err
}

func (s *flakyStore) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

func (s *flakyStore) GetCache(ctx context.Context, key string) (*copydesk.CacheEntry, bool, error) {
	if err := s.enter(); err != nil {
		return nil, false, err
	}
	return s.MemoryStore.GetCache(ctx, key)
}

func (s *flakyStore) SetCache(ctx context.Context, e *copydesk.CacheEntry) error {
	if err := s.enter(); err != nil {
		return err
	}
	return s.MemoryStore.SetCache(ctx, e)
}

func (s *flakyStore) PurgeCache(ctx context.Context, f copydesk.CacheFilter) (int, error) {
	if err := s.enter(); err != nil {
		return 0, err
	}
	return s.MemoryStore.PurgeCache(ctx, f)
}

func (s *flakyStore) CacheUsage(ctx context.Context) (map[copydesk.Tier]cache.Usage, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	return s.MemoryStore.CacheUsage(ctx)
}

var errOut = copydesk.Errorf(copydesk.EUNAVAILABLE, "shared cache is gone")

// mustFallbackStore returns a FallbackStore with a 2 s cooldown and a
// minute between warnings, in front of a flakyStore, on a test clock, and
// the buffer of its JSON log.
func mustFallbackStore(t *testing.T) (*cache.FallbackStore, *flakyStore, *storetest.Clock, *bytes.Buffer) {
	t.Helper()
	clock := storetest.NewClock(storetest.Epoch())
	primary := &flakyStore{MemoryStore: MustMemoryStore(t, clock, cache.DefaultMemoryBytes)}
	var logs bytes.Buffer
	f := cache.NewFallbackStore(primary, cache.FallbackOptions{
		Clock: clock, Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
		Cooldown: 2 * time.Second, WarnInterval: time.Minute,
	})
	return f, primary, clock, &logs
}

func fallbackEntry(clock copydesk.Clock, key string) *copydesk.CacheEntry {
	return &copydesk.CacheEntry{Key: key, Kind: "analysis", Tier: copydesk.TierDynamic, Value: []byte("v:" + key),
		ExpiresAt: clock.Now().Add(copydesk.TierDynamic.TTL())}
}

// warnRecords returns the WARN records of a JSON log.
func warnRecords(t *testing.T, logs *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(logs.String()) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec["level"] == "WARN" {
			out = append(out, rec)
		}
	}
	return out
}

// TestFallbackStoreOutage: while the primary is out, reads miss and writes
// are skipped without an error; for the cooldown the primary is not asked;
// each skipped call is counted; once the primary answers again, after the
// cooldown, reads and writes reach it. One warning per interval.
func TestFallbackStoreOutage(t *testing.T) {
	t.Parallel()
	f, primary, clock, logs := mustFallbackStore(t)
	ctx := t.Context()
	if err := f.SetCache(ctx, fallbackEntry(clock, "before")); err != nil {
		t.Fatalf("set while up: %v", err)
	}

	primary.fail(errOut)
	if e, ok, err := f.GetCache(ctx, "before"); ok || e != nil || err != nil {
		t.Fatalf("read in the outage: got %v, %t, %v; want a miss without an error", e, ok, err)
	}
	calls := primary.Calls()
	if err := f.SetCache(ctx, fallbackEntry(clock, "during")); err != nil {
		t.Errorf("write in the cooldown: got %v, want skipped without an error", err)
	}
	if _, ok, err := f.GetCache(ctx, "before"); ok || err != nil {
		t.Errorf("read in the cooldown: got %t, %v; want a miss", ok, err)
	}
	if got := primary.Calls(); got != calls {
		t.Errorf("primary asked during the cooldown: got %d calls, want %d", got, calls)
	}
	if got := f.Fallbacks(); got != 3 {
		t.Errorf("fallbacks: got %d, want 3", got)
	}
	if _, err := f.CacheUsage(ctx); copydesk.ErrorCode(err) != copydesk.EUNAVAILABLE {
		t.Errorf("usage in the cooldown: got %v, want unavailable", err)
	}

	// After the cooldown the primary is asked again; still out, the
	// cooldown starts again, without a second warning in the interval.
	clock.Add(2 * time.Second)
	if _, ok, err := f.GetCache(ctx, "before"); ok || err != nil {
		t.Errorf("read after the cooldown, still out: got %t, %v; want a miss", ok, err)
	}
	if got := primary.Calls(); got != calls+1 {
		t.Errorf("primary after the cooldown: got %d calls, want %d", got, calls+1)
	}
	if w := warnRecords(t, logs); len(w) != 1 {
		t.Fatalf("warnings within the interval: got %d, want 1", len(w))
	} else if w[0]["code"] != "unavailable" || w[0]["error"] != "shared cache is gone" {
		t.Errorf("warning: got %v, want code unavailable and the primary's message", w[0])
	}

	// Recovery.
	primary.fail(nil)
	clock.Add(2 * time.Second)
	if e, ok, err := f.GetCache(ctx, "before"); !ok || err != nil || string(e.Value) != "v:before" {
		t.Errorf("read after recovery: got %v, %t, %v; want the entry written before the outage", e, ok, err)
	}
	if _, ok, _ := f.GetCache(ctx, "during"); ok {
		t.Errorf("an entry written during the outage reached the primary")
	}
	if err := f.SetCache(ctx, fallbackEntry(clock, "after")); err != nil {
		t.Errorf("write after recovery: %v", err)
	}
	if _, ok, err := primary.MemoryStore.GetCache(ctx, "after"); !ok || err != nil {
		t.Errorf("write after recovery did not reach the primary: %t, %v", ok, err)
	}
	if got := f.Fallbacks(); got != 4 {
		t.Errorf("fallbacks after recovery: got %d, want 4", got)
	}
	if u, err := f.CacheUsage(ctx); err != nil || u[copydesk.TierDynamic].Entries != 2 {
		t.Errorf("usage after recovery: got %v, %v; want the primary's 2 dynamic entries", u, err)
	}
}

// TestFallbackStoreWarnings: a warning at most once per interval, counting
// the failures in between.
func TestFallbackStoreWarnings(t *testing.T) {
	t.Parallel()
	f, primary, clock, logs := mustFallbackStore(t)
	primary.fail(errOut)
	for range 3 { // three failures, one per cooldown, within a minute
		f.GetCache(t.Context(), "k")
		clock.Add(2 * time.Second)
	}
	clock.Add(time.Minute)
	f.GetCache(t.Context(), "k")
	w := warnRecords(t, logs)
	if len(w) != 2 {
		t.Fatalf("warnings: got %d, want 2", len(w))
	}
	if got := w[1]["failures_since_last_warning"]; got != float64(3) {
		t.Errorf("failures_since_last_warning: got %v, want 3", got)
	}
	if got := w[1]["fallbacks_total"]; got != float64(4) {
		t.Errorf("fallbacks_total: got %v, want 4", got)
	}
}

// TestFallbackStoreOtherErrors: errors that are not an outage, and the
// error of a request cancelled by its caller, are returned and start no
// cooldown; a purge is never skipped.
func TestFallbackStoreOtherErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		err    error
		cancel bool
	}{
		{"too large", copydesk.Errorf(copydesk.ETOOLARGE, "value too large"), false},
		{"internal", copydesk.Errorf(copydesk.EINTERNAL, "malformed entry"), false},
		{"cancelled request", context.Canceled, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, primary, clock, _ := mustFallbackStore(t)
			ctx := t.Context()
			if tt.cancel {
				c, cancel := context.WithCancel(ctx)
				cancel()
				ctx = c
			}
			primary.fail(tt.err)
			if err := f.SetCache(ctx, fallbackEntry(clock, "k")); err != tt.err {
				t.Errorf("set: got %v, want %v", err, tt.err)
			}
			if _, _, err := f.GetCache(ctx, "k"); err != tt.err {
				t.Errorf("get: got %v, want %v", err, tt.err)
			}
			primary.fail(nil)
			if err := f.SetCache(t.Context(), fallbackEntry(clock, "k")); err != nil {
				t.Errorf("set right after: %v", err)
			}
			if _, ok, err := f.GetCache(t.Context(), "k"); !ok || err != nil {
				t.Errorf("get right after: got %t, %v; want the entry (no cooldown)", ok, err)
			}
			if got := f.Fallbacks(); got != 0 {
				t.Errorf("fallbacks: got %d, want 0", got)
			}
		})
	}
	t.Run("purge in the cooldown", func(t *testing.T) {
		t.Parallel()
		f, primary, _, _ := mustFallbackStore(t)
		primary.fail(errOut)
		f.GetCache(t.Context(), "k") // starts the cooldown
		calls := primary.Calls()
		if _, err := f.PurgeCache(t.Context(), copydesk.CacheFilter{CustomerID: "acme"}); err != errOut {
			t.Errorf("purge in the outage: got %v, want the primary's error", err)
		}
		if got := primary.Calls(); got != calls+1 {
			t.Errorf("purge did not reach the primary: %d calls, want %d", got, calls+1)
		}
	})
}

// plainStore is a CacheStore that does not report its usage.
type plainStore struct{ copydesk.CacheStore }

func TestFallbackStoreUsageUnknown(t *testing.T) {
	t.Parallel()
	clock := storetest.NewClock(storetest.Epoch())
	f := cache.NewFallbackStore(plainStore{MustMemoryStore(t, clock, cache.DefaultMemoryBytes)}, cache.FallbackOptions{})
	if u, err := f.CacheUsage(t.Context()); u != nil || err != nil {
		t.Errorf("usage of a primary that does not report: got %v, %v; want nil, nil", u, err)
	}
}

// TestFallbackStoreInCache: a Cache whose L2 is out serves from L1 and the
// provider without an error, and the L2 is used again once it answers.
func TestFallbackStoreInCache(t *testing.T) {
	t.Parallel()
	clock := storetest.NewClock(storetest.Epoch())
	primary := &flakyStore{MemoryStore: MustMemoryStore(t, clock, cache.DefaultMemoryBytes)}
	l2 := cache.NewFallbackStore(primary, cache.FallbackOptions{Clock: clock})
	c := MustNew(t, clock, l2)
	primary.fail(errOut)
	var calls int
	var mu sync.Mutex
	v, o, err := c.Do(t.Context(), req("analysis", "page one"), constFn(&calls, &mu, "answer", 10))
	if err != nil || string(v) != "answer" || o.Source != cache.SourceMiss {
		t.Fatalf("Do with L2 out: got %q, %+v, %v; want the computed answer", v, o, err)
	}
	primary.fail(nil)
	clock.Add(cache.FallbackCooldownDefault)
	if _, _, err := c.Do(t.Context(), req("analysis", "page two"), constFn(&calls, &mu, "second", 10)); err != nil {
		t.Fatal(err)
	}
	mustReachL2(t, primary.MemoryStore, req("analysis", "page two").Key) // written after the caller has it
	if u, _ := primary.MemoryStore.CacheUsage(t.Context()); u[copydesk.TierPermanent].Entries != 1 {
		t.Errorf("L2 entries after recovery: got %d, want 1 (the answer computed after the outage)", u[copydesk.TierPermanent].Entries)
	}
}

// batchStore is a flakyStore that reads many keys in one call.
type batchStore struct{ *flakyStore }

func (s batchStore) GetCaches(ctx context.Context, keys []string) ([]*copydesk.CacheEntry, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	return getEach(ctx, s.MemoryStore, keys), nil
}

// TestFallbackStoreGetCaches: many keys are read from a primary that reads
// them at once in one call; while it is out they miss without an error,
// and in the cooldown the primary is not asked.
func TestFallbackStoreGetCaches(t *testing.T) {
	t.Parallel()
	clock := storetest.NewClock(storetest.Epoch())
	primary := batchStore{&flakyStore{MemoryStore: MustMemoryStore(t, clock, cache.DefaultMemoryBytes)}}
	f := cache.NewFallbackStore(primary, cache.FallbackOptions{Clock: clock, Cooldown: 2 * time.Second})
	ctx := t.Context()
	for _, k := range []string{"a", "b"} {
		if err := f.SetCache(ctx, fallbackEntry(clock, k)); err != nil {
			t.Fatal(err)
		}
	}
	calls := primary.Calls()
	es, err := f.GetCaches(ctx, []string{"a", "missing", "b"})
	if err != nil || len(es) != 3 || es[0] == nil || es[1] != nil || es[2] == nil || string(es[2].Value) != "v:b" {
		t.Fatalf("while up: got %v, %v; want a, a miss, b", es, err)
	}
	if got := primary.Calls() - calls; got != 1 {
		t.Errorf("while up: %d calls to the primary, want 1 for the three keys", got)
	}
	primary.fail(errOut)
	for range 2 { // the failing read, then one in the cooldown
		es, err := f.GetCaches(ctx, []string{"a", "b"})
		if err != nil || len(es) != 2 || es[0] != nil || es[1] != nil {
			t.Errorf("in the outage: got %v, %v; want two misses without an error", es, err)
		}
	}
	if got := primary.Calls() - calls; got != 2 {
		t.Errorf("primary asked %d times, want 2 (none in the cooldown)", got)
	}
	if got := f.Fallbacks(); got != 2 {
		t.Errorf("fallbacks: got %d, want 2", got)
	}
}
