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
