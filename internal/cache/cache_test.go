package cache_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/cache"
	"github.com/copydesk/copydesk/internal/copydesk"
)

func TestNewValidatesConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  cache.Config
		code string
	}{
		{"defaults", cache.Config{}, ""},
		{"realtime 12 min", cache.Config{TTLs: cache.TTLs{copydesk.TierRealtime: 12 * time.Minute}}, ""},
		{"realtime 4 min", cache.Config{TTLs: cache.TTLs{copydesk.TierRealtime: 4 * time.Minute}}, copydesk.EINVALID},
		{"realtime 16 min", cache.Config{TTLs: cache.TTLs{copydesk.TierRealtime: 16 * time.Minute}}, copydesk.EINVALID},
		{"negative TTL", cache.Config{TTLs: cache.TTLs{copydesk.TierStable: -time.Hour}}, copydesk.EINVALID},
		{"unknown tier TTL", cache.Config{TTLs: cache.TTLs{"forever": time.Hour}}, copydesk.EINVALID},
		{"unknown tier for kind", cache.Config{Tiers: cache.TierConfig{"analysis": "forever"}}, copydesk.EINVALID},
		{"negative call timeout", cache.Config{CallTimeout: -time.Second}, copydesk.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := cache.New(tt.cfg)
			if tt.code == "" {
				if err != nil || c == nil {
					t.Fatalf("got %v, want a cache", err)
				}
				return
			}
			wantCode(t, err, tt.code)
		})
	}
}

func TestTierConfig(t *testing.T) {
	t.Parallel()
	tc := cache.DefaultTiers()
	tests := []struct {
		kind string
		want copydesk.Tier
	}{
		{"analysis", copydesk.TierPermanent},
		{"analysis.tone", copydesk.TierPermanent},
		{"translation.published", copydesk.TierPermanent},
		{"translation.draft", copydesk.TierDynamic},
		{"translation", copydesk.TierDynamic},
		{"generation.block", copydesk.TierStable},
		{"generation.page.hero", copydesk.TierStable},
		{"generation.live", copydesk.TierRealtime},
		{"seo", copydesk.TierDynamic},
		{"improvement", copydesk.TierDynamic},
		{"suggestion", copydesk.TierRealtime},
		{"chat", copydesk.TierRealtime},
	}
	for _, tt := range tests {
		got, err := tc.Tier(tt.kind)
		if err != nil || got != tt.want {
			t.Errorf("Tier(%q): got %q, %v, want %q", tt.kind, got, err, tt.want)
		}
	}
	_, err := tc.Tier("horoscope")
	wantCode(t, err, copydesk.EINVALID)
}

func TestRequestValidation(t *testing.T) {
	t.Parallel()
	c := MustNew(t, newFakeClock(), nil)
	good := req("analysis", "x")
	tests := []struct {
		name string
		edit func(r *cache.Request)
	}{
		{"empty key", func(r *cache.Request) { r.Key = "" }},
		{"short key", func(r *cache.Request) { r.Key = r.Key[:10] }},
		{"upper-case key", func(r *cache.Request) { r.Key = "ABCDEF" + r.Key[6:] }},
		{"no kind", func(r *cache.Request) { r.Kind = "" }},
		{"unconfigured kind", func(r *cache.Request) { r.Kind = "horoscope" }},
		{"bad tier override", func(r *cache.Request) { r.Tier = "forever" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := good
			tt.edit(&r)
			called := false
			_, _, err := c.Do(context.Background(), r, func(context.Context) ([]byte, copydesk.Micros, error) {
				called = true
				return []byte("x"), 0, nil
			})
			wantCode(t, err, copydesk.EINVALID)
			if called {
				t.Errorf("got a provider call for an invalid request, want none")
			}
		})
	}
}

func TestTTLPerTier(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind string
		ttls cache.TTLs
		want time.Duration
	}{
		{"analysis", nil, 90 * 24 * time.Hour},
		{"generation.block", nil, 7 * 24 * time.Hour},
		{"seo", nil, time.Hour},
		{"generation.live", nil, 10 * time.Minute},
		{"generation.live", cache.TTLs{copydesk.TierRealtime: 5 * time.Minute}, 5 * time.Minute},
		{"seo", cache.TTLs{copydesk.TierDynamic: 2 * time.Hour}, 2 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %s", tt.kind, tt.want), func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock()
			l2 := MustMemoryStore(t, clock, 1<<20)
			l1 := MustMemoryStore(t, clock, 1<<20)
			c, err := cache.New(cache.Config{L1: l1, L2: l2, Clock: clock, TTLs: tt.ttls})
			if err != nil {
				t.Fatal(err)
			}
			var calls int
			var mu sync.Mutex
			fn := constFn(&calls, &mu, "answer", 5)
			r := req(tt.kind, "some content")
			start := clock.Now()
			_, o, err := c.Do(context.Background(), r, fn)
			if err != nil {
				t.Fatal(err)
			}
			if got := o.ExpiresAt.Sub(start); got != tt.want {
				t.Errorf("got TTL %s, want %s", got, tt.want)
			}
			clock.Add(tt.want - time.Second)
			if _, o, _ := c.Do(context.Background(), r, fn); o.Source != cache.SourceL1 {
				t.Errorf("one second before expiry: got source %q, want l1", o.Source)
			}
			clock.Add(time.Second)
			if _, o, _ := c.Do(context.Background(), r, fn); o.Source != cache.SourceMiss {
				t.Errorf("at expiry: got source %q, want miss (L1 and L2 both expired)", o.Source)
			}
			if calls != 2 {
				t.Errorf("got %d provider calls, want 2", calls)
			}
		})
	}
}

// TestDoSingleFlight: 100 concurrent identical requests make one provider
// call and get 100 identical answers.
func TestDoSingleFlight(t *testing.T) {
	t.Parallel()
	const n = 100
	c := MustNew(t, newFakeClock(), MustMemoryStore(t, newFakeClock(), 1<<20))
	var calls atomic.Int64
	var started sync.WaitGroup
	started.Add(n)
	fn := func(ctx context.Context) ([]byte, copydesk.Micros, error) {
		calls.Add(1)
		started.Wait() // every caller has at least begun its Do
		return []byte(`{"score":42}`), 1000, nil
	}
	r := req("analysis", "page")
	var wg sync.WaitGroup
	vals := make([]string, n)
	outs := make([]cache.Outcome, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			started.Done()
			v, o, err := c.Do(context.Background(), r, fn)
			vals[i], outs[i], errs[i] = string(v), o, err
		})
	}
	wg.Wait()
	if got := calls.Load(); got != 1 {
		t.Fatalf("got %d provider calls, want 1", got)
	}
	sources := map[cache.Source]int{}
	for i := range n {
		if errs[i] != nil || vals[i] != `{"score":42}` {
			t.Fatalf("caller %d: got %q, %v, want the answer", i, vals[i], errs[i])
		}
		sources[outs[i].Source]++
	}
	if sources[cache.SourceMiss] != 1 || sources[cache.SourceShared]+sources[cache.SourceL1] != n-1 {
		t.Errorf("got sources %v, want 1 miss and %d shared or l1", sources, n-1)
	}
	s := c.Stats(context.Background()).Tier(copydesk.TierPermanent)
	if s.Requests != n || s.Computed != 1 || s.ProviderCalls != 1 || s.CallsSaved != n-1 {
		t.Errorf("got stats %+v, want %d requests, 1 computed, 1 call, %d saved", s, n, n-1)
	}
	if want := copydesk.Micros(1000 * (n - 1)); s.CostSaved != want || s.CostSpent != 1000 {
		t.Errorf("got cost saved %d spent %d, want %d and 1000", s.CostSaved, s.CostSpent, want)
	}
}

// TestDoErrorNotCached: a failing call reaches every waiter and is not
// cached; the next request calls the provider again.
func TestDoErrorNotCached(t *testing.T) {
	t.Parallel()
	const n = 50
	c := MustNew(t, newFakeClock(), MustMemoryStore(t, newFakeClock(), 1<<20))
	boom := &copydesk.ProviderError{Provider: "fake", Kind: copydesk.ProviderServer, Message: "upstream 502"}
	var calls atomic.Int64
	var started sync.WaitGroup
	started.Add(n)
	fail := func(ctx context.Context) ([]byte, copydesk.Micros, error) {
		calls.Add(1)
		started.Wait()
		return []byte("partial garbage"), 7, boom
	}
	r := req("seo", "page")
	var wg sync.WaitGroup
	errs := make([]error, n)
	vals := make([][]byte, n)
	for i := range n {
		wg.Go(func() {
			started.Done()
			vals[i], _, errs[i] = c.Do(context.Background(), r, fail)
		})
	}
	wg.Wait()
	for i := range n {
		var pe *copydesk.ProviderError
		if !errors.As(errs[i], &pe) || pe != boom || vals[i] != nil {
			t.Fatalf("caller %d: got %q, %v, want no value and the provider's error", i, vals[i], errs[i])
		}
	}
	// Failures may be spread over more than one call only if a caller came
	// after the first call had failed; each call failed, none was cached.
	failed := calls.Load()
	v, o, err := c.Do(context.Background(), r, func(context.Context) ([]byte, copydesk.Micros, error) {
		calls.Add(1)
		return []byte("ok"), 3, nil
	})
	if err != nil || string(v) != "ok" || o.Source != cache.SourceMiss {
		t.Fatalf("after the failure: got %q, %+v, %v, want a fresh provider call", v, o, err)
	}
	if got := calls.Load(); got != failed+1 {
		t.Errorf("got %d calls, want %d", got, failed+1)
	}
	s := c.Stats(context.Background()).Total
	if s.Failures != n || s.Computed != 1 {
		t.Errorf("got %d failures, %d computed, want %d and 1", s.Failures, s.Computed, n)
	}
}

// TestDoCancelledWaiter: the caller that started a call leaves; the call goes
// on for the caller still waiting, with an uncancelled context.
func TestDoCancelledWaiter(t *testing.T) {
	t.Parallel()
	c := MustNew(t, newFakeClock(), nil)
	inFn := make(chan struct{})
	release := make(chan struct{})
	fnCtxErr := make(chan error, 1)
	fn := func(ctx context.Context) ([]byte, copydesk.Micros, error) {
		close(inFn)
		<-release
		fnCtxErr <- ctx.Err()
		return []byte("done"), 1, nil
	}
	r := req("generation.live", "hero for a bakery")
	ctxA, cancelA := context.WithCancel(context.Background())
	errA := make(chan error, 1)
	go func() {
		_, _, err := c.Do(ctxA, r, fn)
		errA <- err
	}()
	<-inFn
	type result struct {
		v   []byte
		o   cache.Outcome
		err error
	}
	resB := make(chan result, 1)
	go func() {
		v, o, err := c.Do(context.Background(), r, func(context.Context) ([]byte, copydesk.Micros, error) {
			return nil, 0, errors.New("second provider call")
		})
		resB <- result{v, o, err}
	}()
	cancelA()
	err := <-errA
	wantCode(t, err, copydesk.ECANCELLED)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want it to wrap context.Canceled", err)
	}
	close(release)
	b := <-resB
	if b.err != nil || string(b.v) != "done" {
		t.Fatalf("waiting caller: got %q, %v, want %q", b.v, b.err, "done")
	}
	if err := <-fnCtxErr; err != nil {
		t.Errorf("provider call's context: got %v, want not cancelled", err)
	}
}

func TestDoL2PromotesToL1(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	l2 := MustMemoryStore(t, clock, 1<<20)
	var calls int
	var mu sync.Mutex
	fn := constFn(&calls, &mu, "answer", 40)
	r := req("analysis", "durable")

	// First process computes and writes through to L2.
	first := MustNew(t, clock, l2)
	if _, o, err := first.Do(context.Background(), r, fn); err != nil || o.Source != cache.SourceMiss {
		t.Fatalf("first process: got %+v, %v, want a miss", o, err)
	}
	mustStore(t, first)
	// After a "restart" (a fresh L1), L2 answers and L1 is filled.
	second := MustNew(t, clock, l2)
	for i, want := range []cache.Source{cache.SourceL2, cache.SourceL1} {
		v, o, err := second.Do(context.Background(), r, fn)
		if err != nil || string(v) != "answer" || o.Source != want {
			t.Errorf("second process, call %d: got %q, %q, %v, want answer from %s", i, v, o.Source, err, want)
		}
		if o.Cost != 40 {
			t.Errorf("got cost %d, want 40 carried with the entry", o.Cost)
		}
	}
	if calls != 1 {
		t.Errorf("got %d provider calls, want 1", calls)
	}
	s := second.Stats(context.Background()).Tier(copydesk.TierPermanent)
	if s.L1.Hits != 1 || s.L1.Misses != 1 || s.L2.Hits != 1 || s.L2.Misses != 0 || s.CostSaved != 80 {
		t.Errorf("got %+v, want L1 1/1, L2 1/0, 80 saved", s)
	}
	if !s.L1.UsageKnown || s.L1.Entries != 1 || s.L2.Entries != 1 {
		t.Errorf("got L1 %+v L2 %+v, want one entry in each", s.L1, s.L2)
	}
}

func TestDoTenantsSeparated(t *testing.T) {
	t.Parallel()
	c := MustNew(t, newFakeClock(), nil)
	var calls int
	var mu sync.Mutex
	for _, customer := range []string{"acme", "globex", "acme"} {
		r := cache.NewRequest(cache.KeyParts{CustomerID: customer, Kind: "analysis", Input: "same text"})
		v, _, err := c.Do(context.Background(), r, constFn(&calls, &mu, customer, 1))
		if err != nil || string(v) != customer {
			t.Errorf("customer %s: got %q, %v, want its own answer", customer, v, err)
		}
	}
	if calls != 2 {
		t.Errorf("got %d calls, want 2 (one per customer)", calls)
	}
}

func TestDoPanicReachesAllWaiters(t *testing.T) {
	t.Parallel()
	c := MustNew(t, newFakeClock(), nil)
	r := req("analysis", "panics")
	_, _, err := c.Do(context.Background(), r, func(context.Context) ([]byte, copydesk.Micros, error) {
		panic("bug in a provider adapter")
	})
	wantCode(t, err, copydesk.EINTERNAL)
	v, o, err := c.Do(context.Background(), r, func(context.Context) ([]byte, copydesk.Micros, error) {
		return []byte("fine"), 0, nil
	})
	if err != nil || string(v) != "fine" || o.Source != cache.SourceMiss {
		t.Errorf("after a panic: got %q, %+v, %v, want a fresh call", v, o, err)
	}
}

func TestGetSet(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	l2 := MustMemoryStore(t, clock, 1<<20)
	c := MustNew(t, clock, l2)
	r := req("translation.published", "Hallo wereld")
	if _, _, ok, err := c.Get(context.Background(), r); ok || err != nil {
		t.Fatalf("got ok=%v, %v, want a miss", ok, err)
	}
	o, err := c.Set(context.Background(), r, []byte("Hello world"), 12)
	if err != nil || o.Tier != copydesk.TierPermanent {
		t.Fatalf("Set: got %+v, %v", o, err)
	}
	fresh := MustNew(t, clock, l2)
	v, o, ok, err := fresh.Get(context.Background(), r)
	if !ok || err != nil || string(v) != "Hello world" || o.Source != cache.SourceL2 {
		t.Errorf("Get via L2: got %q, %+v, %v, %v", v, o, ok, err)
	}
	if _, err := c.Set(context.Background(), cache.Request{Key: "nope", Kind: "analysis"}, nil, 0); err == nil {
		t.Errorf("Set with a bad key: got nil error, want EINVALID")
	}
}

func TestPurge(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		filter copydesk.CacheFilter
		want   int // entries removed from each layer
	}{
		{"everything", copydesk.CacheFilter{}, 6},
		{"by customer", copydesk.CacheFilter{CustomerID: "acme"}, 3},
		{"by kind", copydesk.CacheFilter{Kind: "seo"}, 2},
		{"by tier", copydesk.CacheFilter{Tier: copydesk.TierPermanent}, 2},
		{"by customer and kind", copydesk.CacheFilter{CustomerID: "globex", Kind: "analysis"}, 1},
		{"by key", copydesk.CacheFilter{Key: cache.Key(cache.KeyParts{CustomerID: "acme", Kind: "seo", Input: "p"})}, 1},
		{"no match", copydesk.CacheFilter{CustomerID: "initech"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock()
			c := MustNew(t, clock, MustMemoryStore(t, clock, 1<<20))
			var reqs []cache.Request
			for _, customer := range []string{"acme", "globex"} {
				for _, kind := range []string{"analysis", "seo", "generation.live"} {
					r := cache.NewRequest(cache.KeyParts{CustomerID: customer, Kind: kind, Input: "p"})
					reqs = append(reqs, r)
					if _, err := c.Set(context.Background(), r, []byte("v"), 1); err != nil {
						t.Fatal(err)
					}
				}
			}
			n, err := c.Purge(context.Background(), tt.filter)
			if err != nil || n.L1 != tt.want || n.L2 != tt.want {
				t.Fatalf("got %+v, %v, want %d from each layer", n, err, tt.want)
			}
			left := 0
			for _, r := range reqs {
				if _, _, ok, _ := c.Get(context.Background(), r); ok {
					left++
				}
			}
			if left != 6-tt.want {
				t.Errorf("got %d entries left, want %d", left, 6-tt.want)
			}
		})
	}
	c := MustNew(t, newFakeClock(), nil)
	_, err := c.Purge(context.Background(), copydesk.CacheFilter{Tier: "forever"})
	wantCode(t, err, copydesk.EINVALID)
}

// TestPurgeDuringCall: an answer computed across a purge is returned but not
// stored, so a purge is never undone by a call that started before it.
func TestPurgeDuringCall(t *testing.T) {
	t.Parallel()
	c := MustNew(t, newFakeClock(), nil)
	r := req("analysis", "being purged")
	inFn, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, _, err := c.Do(context.Background(), r, func(context.Context) ([]byte, copydesk.Micros, error) {
			close(inFn)
			<-release
			return []byte("old template answer"), 1, nil
		})
		done <- err
	}()
	<-inFn
	if _, err := c.Purge(context.Background(), copydesk.CacheFilter{Kind: "analysis"}); err != nil {
		t.Fatal(err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, _, ok, _ := c.Get(context.Background(), r); ok {
		t.Errorf("got a cached answer computed across a purge, want none")
	}
}

// TestPurgeAfterAnswer: a purge that comes after a caller has its answer but
// before L2 holds it (the flight is still registered) is not undone for the
// next caller: it gets a fresh answer.
func TestPurgeAfterAnswer(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	l2 := &heldStore{MemoryStore: MustMemoryStore(t, clock, 1<<20), release: make(chan struct{})}
	t.Cleanup(func() { close(l2.release) })
	c := MustNew(t, clock, l2)
	var calls int
	var mu sync.Mutex
	fn := constFn(&calls, &mu, "answer", 5)
	r := req("analysis", "purged after its answer")
	if _, o, err := c.Do(context.Background(), r, fn); err != nil || o.Source != cache.SourceMiss {
		t.Fatalf("first call: got source %q, error %v; want a miss", o.Source, err)
	}
	if _, err := c.Purge(context.Background(), copydesk.CacheFilter{Kind: "analysis"}); err != nil {
		t.Fatal(err)
	}
	if _, o, err := c.Do(context.Background(), r, fn); err != nil || o.Source != cache.SourceMiss {
		t.Errorf("after the purge: got source %q, error %v; want a miss", o.Source, err)
	}
	mu.Lock()
	if calls != 2 {
		t.Errorf("got %d provider calls, want 2", calls)
	}
	mu.Unlock()
}

// TestStatsAddUp runs a known sequence and checks every figure.
func TestStatsAddUp(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	l2 := MustMemoryStore(t, clock, 1<<20)
	warm := MustNew(t, clock, l2)
	ctx := context.Background()
	var calls int
	var mu sync.Mutex
	if _, err := warm.Set(ctx, req("seo", "in L2"), []byte("x"), 100); err != nil {
		t.Fatal(err)
	}
	c := MustNew(t, clock, l2)
	steps := []struct {
		r    cache.Request
		fail bool
		want cache.Source
	}{
		{req("analysis", "a"), false, cache.SourceMiss},
		{req("analysis", "a"), false, cache.SourceL1},
		{req("analysis", "a"), false, cache.SourceL1},
		{req("seo", "in L2"), false, cache.SourceL2},
		{req("seo", "in L2"), false, cache.SourceL1},
		{req("seo", "fails"), true, ""},
		{req("generation.live", "g"), false, cache.SourceMiss},
	}
	for i, st := range steps {
		fn := constFn(&calls, &mu, "v", 10)
		if st.fail {
			fn = func(context.Context) ([]byte, copydesk.Micros, error) {
				return nil, 0, copydesk.Errorf(copydesk.EUNAVAILABLE, "provider down")
			}
		}
		_, o, err := c.Do(ctx, st.r, fn)
		if (err != nil) != st.fail || o.Source != st.want {
			t.Fatalf("step %d: got %q, %v, want %q", i, o.Source, err, st.want)
		}
	}
	// The computed answers reach L2 after their callers have them.
	mustReachL2(t, l2, req("analysis", "a").Key)
	mustReachL2(t, l2, req("generation.live", "g").Key)
	s := c.Stats(ctx)
	perm, dyn, rt := s.Tier(copydesk.TierPermanent), s.Tier(copydesk.TierDynamic), s.Tier(copydesk.TierRealtime)
	checks := []struct {
		name      string
		got, want any
	}{
		{"permanent requests", perm.Requests, int64(3)},
		{"permanent L1 hits", perm.L1.Hits, int64(2)},
		{"permanent L1 misses", perm.L1.Misses, int64(1)},
		{"permanent L2 misses", perm.L2.Misses, int64(1)},
		{"permanent hit rate", perm.HitRate, 2.0 / 3},
		{"permanent cost saved", perm.CostSaved, copydesk.Micros(20)},
		{"permanent cost spent", perm.CostSpent, copydesk.Micros(10)},
		{"dynamic requests", dyn.Requests, int64(3)},
		{"dynamic L1 hits", dyn.L1.Hits, int64(1)},
		{"dynamic L2 hits", dyn.L2.Hits, int64(1)},
		{"dynamic L2 misses", dyn.L2.Misses, int64(1)},
		{"dynamic failures", dyn.Failures, int64(1)},
		{"dynamic provider calls", dyn.ProviderCalls, int64(1)},
		{"dynamic cost saved", dyn.CostSaved, copydesk.Micros(200)},
		{"dynamic hit rate", dyn.HitRate, 1.0},
		{"realtime computed", rt.Computed, int64(1)},
		{"total requests", s.Total.Requests, int64(7)},
		{"total provider calls", s.Total.ProviderCalls, int64(3)},
		{"total computed", s.Total.Computed, int64(2)},
		{"total saved calls", s.Total.CallsSaved, int64(4)},
		{"total L1 entries", s.Total.L1.Entries, int64(3)},
		{"total L2 entries", s.Total.L2.Entries, int64(3)},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s: got %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

// TestDoCallIsBounded: the detached provider call still has a deadline, and
// keeps the caller's context values.
func TestDoCallIsBounded(t *testing.T) {
	t.Parallel()
	c, err := cache.New(cache.Config{CallTimeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	type ctxKey struct{}
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "req-42"))
	defer cancel()
	before := time.Now()
	_, _, err = c.Do(ctx, req("analysis", "bounded"), func(ctx context.Context) ([]byte, copydesk.Micros, error) {
		dl, ok := ctx.Deadline()
		if !ok || dl.Before(before.Add(time.Hour)) || dl.After(time.Now().Add(time.Hour)) {
			return nil, 0, fmt.Errorf("got deadline %v (set %v), want one hour from the call", dl, ok)
		}
		if got := ctx.Value(ctxKey{}); got != "req-42" {
			return nil, 0, fmt.Errorf("got request id %v, want req-42", got)
		}
		return []byte("ok"), 0, nil
	})
	if err != nil {
		t.Error(err)
	}
}

// TestMemoryOnlyTiers: entries of a memory-only tier never reach the L2;
// the other tiers do.
func TestMemoryOnlyTiers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newFakeClock()
	l2 := MustMemoryStore(t, clock, 8<<20)
	c, err := cache.New(cache.Config{L1: MustMemoryStore(t, clock, 8<<20), L2: l2, Clock: clock, MemoryOnly: []copydesk.Tier{copydesk.TierRealtime}})
	if err != nil {
		t.Fatal(err)
	}
	compute := func(context.Context) ([]byte, copydesk.Micros, error) { return []byte("v"), 1, nil }
	live, perm := req("chat", "hello"), req("analysis", "hello")
	for _, r := range []cache.Request{live, perm} {
		if _, _, err := c.Do(ctx, r, compute); err != nil {
			t.Fatal(err)
		}
	}
	mustReachL2(t, l2, perm.Key) // written after Do returned
	if _, ok, _ := l2.GetCache(ctx, live.Key); ok {
		t.Error("a realtime entry reached the L2, want it in memory only")
	}
	if _, err := cache.New(cache.Config{MemoryOnly: []copydesk.Tier{"forever"}}); copydesk.ErrorCode(err) != copydesk.EINVALID {
		t.Errorf("an unknown tier: got %v, want EINVALID", err)
	}
}

func TestOwner(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newFakeClock()
	l2 := MustMemoryStore(t, clock, 8<<20)
	c := MustNew(t, clock, l2)
	r := req("analysis", "owned")
	if _, _, err := c.Do(ctx, r, func(context.Context) ([]byte, copydesk.Micros, error) { return []byte("v"), 0, nil }); err != nil {
		t.Fatal(err)
	}
	mine := cache.NewRequest(cache.KeyParts{CustomerID: "acme", UserID: "usr_1", Kind: "analysis", Input: "owned", Version: "v1"})
	if _, _, err := c.Do(ctx, mine, func(context.Context) ([]byte, copydesk.Micros, error) { return []byte("mine"), 0, nil }); err != nil {
		t.Fatal(err)
	}
	if mine.Key == r.Key {
		t.Fatal("a user's own entry has the customer's key")
	}
	mustStore(t, c)
	for name, cc := range map[string]*cache.Cache{"L1": c, "L2": MustNew(t, clock, l2)} { // a new cache has an empty L1
		if who, user, ok, err := cc.Owner(ctx, r.Key); err != nil || !ok || who != "acme" || user != "" {
			t.Errorf("%s: got %q %q %v %v, want acme, no user", name, who, user, ok, err)
		}
		if who, user, ok, err := cc.Owner(ctx, mine.Key); err != nil || !ok || who != "acme" || user != "usr_1" {
			t.Errorf("%s: got %q %q %v %v, want acme's usr_1", name, who, user, ok, err)
		}
	}
	if _, _, ok, _ := c.Owner(ctx, req("analysis", "other").Key); ok {
		t.Error("an absent key: got ok")
	}
}

// heldStore is a CacheStore whose writes wait until release is closed, as a
// slow L2 does.
type heldStore struct {
	*cache.MemoryStore
	release chan struct{}
}

func (s *heldStore) SetCache(ctx context.Context, e *copydesk.CacheEntry) error {
	<-s.release
	return s.MemoryStore.SetCache(ctx, e)
}

// newHeldCache returns a cache whose L2 holds every write until
// l2.release is closed.
func newHeldCache(t *testing.T) (*fakeClock, *heldStore, *cache.Cache) {
	t.Helper()
	clock := newFakeClock()
	l2 := &heldStore{MemoryStore: MustMemoryStore(t, clock, 1<<20), release: make(chan struct{})}
	return clock, l2, MustNew(t, clock, l2)
}

// TestDoExpiredFlightNotJoined: a flight stays registered after its caller
// has the answer until L2 holds it too. A caller that comes after that
// answer expired gets a fresh one from the provider, not the expired one
// (CI hit this: TestTTLPerTier saw "shared" at expiry while L2 was slow).
func TestDoExpiredFlightNotJoined(t *testing.T) {
	t.Parallel()
	clock, l2, c := newHeldCache(t)
	var calls int
	var mu sync.Mutex
	fn := constFn(&calls, &mu, "answer", 5)
	r := req("seo", "some content")
	_, o, err := c.Do(context.Background(), r, fn)
	if err != nil || o.Source != cache.SourceMiss {
		t.Fatalf("first call: got source %q, error %v; want a miss", o.Source, err)
	}
	clock.Add(o.ExpiresAt.Sub(clock.Now()))
	// The first call's L2 write is still held: its flight is registered.
	_, o, err = c.Do(context.Background(), r, fn)
	if err != nil || o.Source != cache.SourceMiss {
		t.Errorf("at expiry: got source %q, error %v; want a miss", o.Source, err)
	}
	if !o.ExpiresAt.After(clock.Now()) {
		t.Errorf("at expiry: got an answer expiring at %s, want one after %s", o.ExpiresAt, clock.Now())
	}
	close(l2.release)
	mu.Lock()
	defer mu.Unlock()
	if calls != 2 {
		t.Errorf("got %d provider calls, want 2", calls)
	}
}

// TestWaitForStoredAnswers: Wait returns once the answers callers already
// have are in L2, and gives up with ctx's error while a write is held.
func TestWaitForStoredAnswers(t *testing.T) {
	t.Parallel()
	_, l2, c := newHeldCache(t)
	var calls int
	var mu sync.Mutex
	r := req("seo", "some content")
	if _, o, err := c.Do(context.Background(), r, constFn(&calls, &mu, "answer", 5)); err != nil || o.Source != cache.SourceMiss {
		t.Fatalf("got source %q, error %v; want a miss", o.Source, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := c.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait while the L2 write is held: got %v, want the deadline", err)
	}
	close(l2.release)
	if err := c.Wait(context.Background()); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if _, ok, err := l2.MemoryStore.GetCache(context.Background(), r.Key); err != nil || !ok {
		t.Errorf("after Wait the answer is not in L2: ok %v, error %v", ok, err)
	}
	// A computation still waiting for its provider (a batch may take
	// hours) does not hold a shutdown up.
	started, unblock := make(chan struct{}), make(chan struct{})
	go func() {
		_, _, _ = c.Do(context.Background(), req("seo", "other content"), func(context.Context) ([]byte, copydesk.Micros, error) {
			close(started)
			<-unblock
			return []byte("late"), 1, nil
		})
	}()
	<-started
	defer close(unblock)
	if err := c.Wait(ctx); err != nil {
		t.Errorf("Wait while a provider call runs: %v, want nil at once", err)
	}
}
