// Package cachetest holds the tests every shared cache layer passes: a
// shared store used as L2 and claims by several processes' caches.
package cachetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/cache"
	"github.com/copydesk/copydesk/internal/copydesk"
)

// Shared is one process's view of a shared store: its L2 and its claims.
type Shared struct {
	L2     copydesk.CacheStore
	Claims cache.Claimer
}

// TestDeduplicateAcrossProcesses: two caches (two processes' worth:
// separate L1s and flights, each with its own view of the shared store)
// make one provider call for 20 concurrent identical requests split
// between them, and compute each block of a 6-block page asked for by both
// once. The providers are slow (a sleep) so that the others arrive while
// the first computes; no duration is asserted.
func TestDeduplicateAcrossProcesses(t *testing.T, a, b Shared) {
	t.Helper()
	newCache := func(s Shared) *cache.Cache {
		c, err := cache.New(cache.Config{L2: s.L2, Claims: s.Claims})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ca, cb := newCache(a), newCache(b)
	var calls atomic.Int32
	fn := func(ctx context.Context) ([]byte, copydesk.Micros, error) {
		calls.Add(1)
		time.Sleep(300 * time.Millisecond)
		return []byte(`"answer"`), 7, nil
	}
	req := cache.NewRequest(cache.KeyParts{Kind: "chat", Input: "the same question"})
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		c := ca
		if i%2 == 1 {
			c = cb
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, _, err := c.Do(context.Background(), req, fn)
			if err == nil && string(v) != `"answer"` {
				t.Errorf("got %s, want \"answer\"", v)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("provider calls across two processes: got %d, want 1", n)
	}

	var blockCalls atomic.Int32
	reqs := make([]cache.Request, 6)
	for i := range reqs {
		reqs[i] = cache.NewRequest(cache.KeyParts{Kind: "analysis.grammar", Input: "block " + string(rune('a'+i))})
	}
	blockFn := func(ctx context.Context, missing []int) ([][]byte, []copydesk.Micros, error) {
		blockCalls.Add(int32(len(missing)))
		time.Sleep(200 * time.Millisecond)
		vals := make([][]byte, len(missing))
		for j := range missing {
			vals[j] = []byte(`"found"`)
		}
		return vals, nil, nil
	}
	var bw sync.WaitGroup
	for _, c := range []*cache.Cache{ca, cb} {
		bw.Add(1)
		go func() {
			defer bw.Done()
			vals, _, err := c.DoBlocks(context.Background(), reqs, blockFn)
			if err != nil {
				t.Error(err)
				return
			}
			for i, v := range vals {
				if string(v) != `"found"` {
					t.Errorf("block %d: got %s, want \"found\"", i, v)
				}
			}
		}()
	}
	bw.Wait()
	if n := blockCalls.Load(); n != 6 {
		t.Errorf("blocks computed across two processes: got %d, want 6", n)
	}
}

// TestClaimLeases checks the claim semantics one shared store gives two
// processes: one holder at a time, renewal and release by the holder only,
// and a claim free again once its lease runs out unrenewed.
func TestClaimLeases(t *testing.T, a, b cache.Claimer, key string) {
	t.Helper()
	ctx := context.Background()
	const lease = 400 * time.Millisecond
	if ok, err := a.ClaimCache(ctx, key, lease); err != nil || !ok {
		t.Fatalf("a's claim: got %v, %v, want it held", ok, err)
	}
	if ok, _ := b.ClaimCache(ctx, key, lease); ok {
		t.Fatal("b claimed a key a holds")
	}
	if ok, err := a.RenewCache(ctx, key, lease); err != nil || !ok {
		t.Errorf("a's renewal: got %v, %v, want held", ok, err)
	}
	if ok, _ := b.RenewCache(ctx, key, lease); ok {
		t.Error("b renewed a claim a holds")
	}
	if err := b.ReleaseCache(ctx, key); err != nil {
		t.Fatal(err)
	}
	if ok, _ := b.ClaimCache(ctx, key, lease); ok {
		t.Fatal("b's release freed a's claim")
	}
	// a stops renewing (it died): the claim is free after the lease.
	deadline := time.Now().Add(20 * time.Second)
	for {
		time.Sleep(lease / 2)
		if ok, err := b.ClaimCache(ctx, key, lease); err != nil {
			t.Fatal(err)
		} else if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("an unrenewed claim was still held after 20 s")
		}
	}
	if ok, _ := a.RenewCache(ctx, key, lease); ok {
		t.Error("a renewed a claim that lapsed and b took")
	}
	if err := b.ReleaseCache(ctx, key); err != nil {
		t.Fatal(err)
	}
	if ok, _ := a.ClaimCache(ctx, key, lease); !ok {
		t.Error("the released claim could not be taken again")
	}
	_ = a.ReleaseCache(ctx, key)
}

// TestAbandonedClaim: a process that claimed a key and froze (its
// renewals stop reaching the store, its call never ends) holds the others
// back for one lease, not for the call timeout (an hour here): the other
// process computes the key itself soon after.
func TestAbandonedClaim(t *testing.T, dead, alive Shared) {
	t.Helper()
	const lease = 600 * time.Millisecond
	req := cache.NewRequest(cache.KeyParts{Kind: "chat", Input: "abandoned"})
	frozenCache, err := cache.New(cache.Config{L2: dead.L2, Claims: frozen{dead.Claims}, ClaimLease: lease, CallTimeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	stuck := make(chan struct{})
	defer close(stuck)
	claimed := make(chan struct{})
	go func() {
		_, _, _ = frozenCache.Do(context.Background(), req, func(context.Context) ([]byte, copydesk.Micros, error) {
			close(claimed)
			<-stuck // the call never ends while the test runs
			return nil, 0, context.Canceled
		})
	}()
	<-claimed
	c, err := cache.New(cache.Config{L2: alive.L2, Claims: alive.Claims, ClaimLease: lease, CallTimeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	v, _, err := c.Do(ctx, req, func(context.Context) ([]byte, copydesk.Micros, error) { return []byte(`"mine"`), 1, nil })
	if err != nil || string(v) != `"mine"` {
		t.Fatalf("got %s, %v; want the key computed here after the frozen claim lapsed", v, err)
	}
}

// frozen is a Claimer whose renewals never reach the store (a process
// that stopped).
type frozen struct{ cache.Claimer }

func (frozen) RenewCache(context.Context, string, time.Duration) (bool, error) { return true, nil }
