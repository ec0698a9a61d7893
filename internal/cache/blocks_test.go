package cache_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/cache"
	"github.com/copydesk/copydesk/internal/copydesk"
)

// fakeBlockProvider "translates" blocks (upper-cases them) and records every
// block it is asked for.
type fakeBlockProvider struct {
	mu      sync.Mutex
	calls   int
	blocks  [][]int // the missing indexes of each call
	texts   []string
	gate    chan struct{} // when set, calls wait for it
	entered chan struct{} // when set, closed on the first call
}

func (p *fakeBlockProvider) fn(paras []string) cache.BlockFunc {
	return func(ctx context.Context, missing []int) ([][]byte, []copydesk.Micros, error) {
		p.mu.Lock()
		p.calls++
		p.blocks = append(p.blocks, slices.Clone(missing))
		if p.entered != nil {
			close(p.entered)
			p.entered = nil
		}
		gate := p.gate
		p.mu.Unlock()
		if gate != nil {
			<-gate
		}
		vals := make([][]byte, len(missing))
		costs := make([]copydesk.Micros, len(missing))
		for j, i := range missing {
			p.mu.Lock()
			p.texts = append(p.texts, paras[i])
			p.mu.Unlock()
			vals[j] = []byte(strings.ToUpper(paras[i]))
			costs[j] = copydesk.Micros(len(paras[i]))
		}
		return vals, costs, nil
	}
}

func page(n int) []string {
	paras := make([]string, n)
	for i := range paras {
		paras[i] = fmt.Sprintf("Paragraph %d of the page, with some words to translate.", i)
	}
	return paras
}

func blockReqs(paras []string) []cache.Request {
	reqs := make([]cache.Request, len(paras))
	for i, p := range paras {
		reqs[i] = cache.NewRequest(cache.KeyParts{CustomerID: "acme", Kind: "translation.draft", Input: p, Params: map[string]string{"to": "nl"}})
	}
	return reqs
}

func checkBlocks(t *testing.T, paras []string, vals [][]byte) {
	t.Helper()
	for i, p := range paras {
		if got, want := string(vals[i]), strings.ToUpper(p); got != want {
			t.Errorf("block %d: got %q, want %q", i, got, want)
		}
	}
}

// TestDoBlocksParagraphEdit: editing one paragraph of a 20-paragraph page
// re-runs exactly that paragraph.
func TestDoBlocksParagraphEdit(t *testing.T) {
	t.Parallel()
	c := MustNew(t, newFakeClock(), nil)
	p := &fakeBlockProvider{}
	ctx := context.Background()
	paras := page(20)
	vals, outs, err := c.DoBlocks(ctx, blockReqs(paras), p.fn(paras))
	if err != nil {
		t.Fatal(err)
	}
	checkBlocks(t, paras, vals)
	if p.calls != 1 || len(p.blocks[0]) != 20 {
		t.Fatalf("first page: got %d calls with blocks %v, want 1 call with 20 blocks", p.calls, p.blocks)
	}
	for i, o := range outs {
		if o.Source != cache.SourceMiss || o.Cost != copydesk.Micros(len(paras[i])) {
			t.Errorf("block %d: got %+v, want a miss at its own cost", i, o)
		}
	}

	edited := slices.Clone(paras)
	edited[7] = "An edited seventh paragraph."
	vals, outs, err = c.DoBlocks(ctx, blockReqs(edited), p.fn(edited))
	if err != nil {
		t.Fatal(err)
	}
	checkBlocks(t, edited, vals)
	if p.calls != 2 || !slices.Equal(p.blocks[1], []int{7}) {
		t.Fatalf("edited page: got calls %v, want a second call for block 7 only", p.blocks)
	}
	for i, o := range outs {
		want := cache.SourceL1
		if i == 7 {
			want = cache.SourceMiss
		}
		if o.Source != want {
			t.Errorf("edited page, block %d: got %q, want %q", i, o.Source, want)
		}
	}

	if _, _, err := c.DoBlocks(ctx, blockReqs(edited), p.fn(edited)); err != nil || p.calls != 2 {
		t.Errorf("same edited page again: got %d calls, %v, want no new call", p.calls, err)
	}
	s := c.Stats(ctx).Tier(copydesk.TierDynamic)
	if s.Requests != 60 || s.Computed != 21 || s.L1.Hits != 39 || s.ProviderCalls != 2 {
		t.Errorf("got %+v, want 60 requests, 21 computed, 39 L1 hits, 2 calls", s)
	}
}

func TestDoBlocksRepeatedBlockComputedOnce(t *testing.T) {
	t.Parallel()
	c := MustNew(t, newFakeClock(), nil)
	p := &fakeBlockProvider{}
	paras := []string{"Intro.", "Buy now!", "Details.", "Buy now!"}
	vals, outs, err := c.DoBlocks(context.Background(), blockReqs(paras), p.fn(paras))
	if err != nil {
		t.Fatal(err)
	}
	checkBlocks(t, paras, vals)
	if !slices.Equal(p.blocks[0], []int{0, 1, 2}) {
		t.Errorf("got missing %v, want [0 1 2]: the repeated block is computed once", p.blocks[0])
	}
	if outs[3].Source != cache.SourceShared {
		t.Errorf("repeated block: got %q, want shared", outs[3].Source)
	}
}

// TestDoBlocksWaitsOnOtherCallers: a block another caller is computing is
// waited on, not recomputed.
func TestDoBlocksWaitsOnOtherCallers(t *testing.T) {
	t.Parallel()
	c := MustNew(t, newFakeClock(), nil)
	paras := page(15)
	a := &fakeBlockProvider{gate: make(chan struct{}), entered: make(chan struct{})}
	entered := a.entered
	doneA := make(chan error, 1)
	go func() {
		_, _, err := c.DoBlocks(context.Background(), blockReqs(paras[:10]), a.fn(paras[:10]))
		doneA <- err
	}()
	<-entered // A is computing blocks 0-9

	b := &fakeBlockProvider{}
	bParas := paras[5:15]
	type res struct {
		vals [][]byte
		outs []cache.Outcome
		err  error
	}
	doneB := make(chan res, 1)
	bEntered := make(chan struct{})
	b.entered = bEntered
	go func() {
		v, o, err := c.DoBlocks(context.Background(), blockReqs(bParas), b.fn(bParas))
		doneB <- res{v, o, err}
	}()
	<-bEntered // B computed its own blocks; it now waits for A's
	close(a.gate)
	if err := <-doneA; err != nil {
		t.Fatal(err)
	}
	rb := <-doneB
	if rb.err != nil {
		t.Fatal(rb.err)
	}
	checkBlocks(t, bParas, rb.vals)
	if want := []int{5, 6, 7, 8, 9}; !slices.Equal(b.blocks[0], want) {
		t.Errorf("B computed %v, want only its own new blocks %v (indexes into B's page)", b.blocks[0], want)
	}
	for i := range 5 {
		if rb.outs[i].Source != cache.SourceShared {
			t.Errorf("B block %d: got %q, want shared with A", i, rb.outs[i].Source)
		}
	}
	total := len(a.texts) + len(b.texts)
	if total != 15 {
		t.Errorf("got %d blocks computed over both callers, want 15 unique blocks", total)
	}
}

func TestDoBlocksFailures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	paras := page(4)

	t.Run("call fails", func(t *testing.T) {
		c := MustNew(t, newFakeClock(), nil)
		p := &fakeBlockProvider{}
		if _, _, err := c.DoBlocks(ctx, blockReqs(paras[:1]), p.fn(paras)); err != nil {
			t.Fatal(err)
		}
		boom := copydesk.Errorf(copydesk.EUNAVAILABLE, "provider down")
		vals, _, err := c.DoBlocks(ctx, blockReqs(paras), func(context.Context, []int) ([][]byte, []copydesk.Micros, error) {
			return nil, nil, boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("got %v, want the provider's error", err)
		}
		if string(vals[0]) != strings.ToUpper(paras[0]) || vals[1] != nil {
			t.Errorf("got values %q, want the cached block and nils", vals)
		}
		vals, _, err = c.DoBlocks(ctx, blockReqs(paras), p.fn(paras))
		if err != nil || !slices.Equal(p.blocks[1], []int{1, 2, 3}) {
			t.Errorf("after the failure: got %v, %v, want blocks 1-3 computed", p.blocks, err)
		}
		checkBlocks(t, paras, vals)
	})

	t.Run("one block missing from the answer", func(t *testing.T) {
		c := MustNew(t, newFakeClock(), nil)
		p := &fakeBlockProvider{}
		inner := p.fn(paras)
		vals, _, err := c.DoBlocks(ctx, blockReqs(paras), func(ctx context.Context, missing []int) ([][]byte, []copydesk.Micros, error) {
			v, costs, err := inner(ctx, missing)
			v[2] = nil
			return v, costs, err
		})
		wantCode(t, err, copydesk.EUNAVAILABLE)
		if vals[2] != nil || vals[3] == nil {
			t.Errorf("got %q, want block 2 failed and the others kept", vals)
		}
		if _, _, err := c.DoBlocks(ctx, blockReqs(paras), p.fn(paras)); err != nil || !slices.Equal(p.blocks[1], []int{2}) {
			t.Errorf("got %v, %v, want only block 2 recomputed", p.blocks, err)
		}
	})

	t.Run("wrong number of values", func(t *testing.T) {
		c := MustNew(t, newFakeClock(), nil)
		_, _, err := c.DoBlocks(ctx, blockReqs(paras), func(context.Context, []int) ([][]byte, []copydesk.Micros, error) {
			return [][]byte{[]byte("one")}, nil, nil
		})
		wantCode(t, err, copydesk.EINTERNAL)
		if _, _, ok, _ := c.Get(ctx, blockReqs(paras)[0]); ok {
			t.Errorf("got a block cached from a broken answer, want none")
		}
	})

	t.Run("invalid request", func(t *testing.T) {
		c := MustNew(t, newFakeClock(), nil)
		reqs := blockReqs(paras)
		reqs[2].Kind = ""
		_, _, err := c.DoBlocks(ctx, reqs, nil)
		wantCode(t, err, copydesk.EINVALID)
		if !strings.Contains(copydesk.ErrorMessage(err), "block 2") {
			t.Errorf("got %q, want the message to name block 2", copydesk.ErrorMessage(err))
		}
	})
}

// TestDoBlocksStaleFlightNotJoined: as TestDoExpiredFlightNotJoined and
// TestPurgeAfterAnswer, for blocks: while the first page's L2 writes are
// held (its flights still registered), a purge and then the blocks' expiry
// each send the page to the provider again instead of handing out what was
// purged or has expired.
func TestDoBlocksStaleFlightNotJoined(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	l2 := &heldStore{MemoryStore: MustMemoryStore(t, clock, 1<<20), release: make(chan struct{})}
	t.Cleanup(func() { close(l2.release) })
	c := MustNew(t, clock, l2)
	p := &fakeBlockProvider{}
	ctx := context.Background()
	paras := page(3)
	_, outs, err := c.DoBlocks(ctx, blockReqs(paras), p.fn(paras))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Purge(ctx, copydesk.CacheFilter{Kind: "translation.draft"}); err != nil {
		t.Fatal(err)
	}
	_, after, err := c.DoBlocks(ctx, blockReqs(paras), p.fn(paras))
	if err != nil {
		t.Fatal(err)
	}
	clock.Add(after[0].ExpiresAt.Sub(clock.Now()))
	_, expired, err := c.DoBlocks(ctx, blockReqs(paras), p.fn(paras))
	if err != nil {
		t.Fatal(err)
	}
	for i := range paras {
		for _, o := range []cache.Outcome{outs[i], after[i], expired[i]} {
			if o.Source != cache.SourceMiss {
				t.Errorf("block %d: got source %q, want a miss each time", i, o.Source)
			}
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.calls != 3 {
		t.Errorf("got %d provider calls, want 3", p.calls)
	}
}

// batchL2 is an L2 that reads many keys at once, counting its reads.
type batchL2 struct {
	*cache.MemoryStore
	mu          sync.Mutex
	gets, multi int
	keys        []int // keys per GetCaches
}

func (s *batchL2) GetCache(ctx context.Context, key string) (*copydesk.CacheEntry, bool, error) {
	s.mu.Lock()
	s.gets++
	s.mu.Unlock()
	return s.MemoryStore.GetCache(ctx, key)
}

func (s *batchL2) GetCaches(ctx context.Context, keys []string) ([]*copydesk.CacheEntry, error) {
	s.mu.Lock()
	s.multi++
	s.keys = append(s.keys, len(keys))
	s.mu.Unlock()
	return getEach(ctx, s.MemoryStore, keys), nil
}

// TestDoBlocksReadsL2Once: the blocks of a page that L1 lacks are read
// from an L2 that reads many keys at once in one read, not one per block;
// those it holds are answered from it, the others computed.
func TestDoBlocksReadsL2Once(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	l2 := &batchL2{MemoryStore: MustMemoryStore(t, clock, 8<<20)}
	c := MustNew(t, clock, l2)
	ctx := context.Background()
	paras := page(8)
	reqs := blockReqs(paras)
	for _, i := range []int{2, 5} {
		if err := l2.SetCache(ctx, &copydesk.CacheEntry{Key: reqs[i].Key, CustomerID: "acme", Kind: "translation.draft",
			Tier: copydesk.TierDynamic, Value: []byte(strings.ToUpper(paras[i])), ExpiresAt: clock.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	p := &fakeBlockProvider{}
	vals, outs, err := c.DoBlocks(ctx, reqs, p.fn(paras))
	if err != nil {
		t.Fatal(err)
	}
	checkBlocks(t, paras, vals)
	if l2.multi != 1 || l2.gets != 0 || !slices.Equal(l2.keys, []int{8}) {
		t.Errorf("L2 reads: %d GetCaches of %v keys and %d GetCache, want one of 8 and none", l2.multi, l2.keys, l2.gets)
	}
	if len(p.blocks) != 1 || !slices.Equal(p.blocks[0], []int{0, 1, 3, 4, 6, 7}) {
		t.Errorf("computed %v, want the 6 blocks L2 lacks in one call", p.blocks)
	}
	for _, i := range []int{2, 5} {
		if outs[i].Source != cache.SourceL2 {
			t.Errorf("block %d: got %q, want from L2", i, outs[i].Source)
		}
	}
}
