package cache_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/cache"
	"github.com/copydesk/copydesk/internal/copydesk"
)

// words1000 is a 1,000-word page of a few paragraphs.
func words1000() string {
	r := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	for i := range 1000 {
		switch {
		case i == 0:
		case i%100 == 0:
			b.WriteString("\n\n")
		default:
			b.WriteByte(' ')
		}
		b.WriteString(wlWords[r.IntN(len(wlWords))])
	}
	return b.String()
}

func BenchmarkKey(b *testing.B) {
	page := words1000()
	for _, fold := range []bool{false, true} {
		b.Run(fmt.Sprintf("1000words/fold=%v", fold), func(b *testing.B) {
			p := cache.KeyParts{CustomerID: "cus_1", Kind: "analysis", Input: page, Params: map[string]string{"lang": "en", "keyphrase": "bread"},
				ModelClass: "small", Version: "v3", FoldWhitespace: fold}
			b.SetBytes(int64(len(page)))
			b.ReportAllocs()
			for b.Loop() {
				cache.Key(p)
			}
		})
	}
	b.Run("1000words/NFD", func(b *testing.B) {
		p := cache.KeyParts{Kind: "analysis", Input: strings.ReplaceAll(page, "e", "e\u0301")}
		b.SetBytes(int64(len(p.Input)))
		b.ReportAllocs()
		for b.Loop() {
			cache.Key(p)
		}
	})
}

// hitCache returns a cache holding n answers of 2 KiB and their requests.
func hitCache(b *testing.B, n int) (*cache.Cache, []cache.Request) {
	c := MustNew(b, copydesk.SystemClock{}, nil)
	reqs := make([]cache.Request, n)
	val := []byte(strings.Repeat("x", 2048))
	for i := range reqs {
		reqs[i] = cache.NewRequest(cache.KeyParts{CustomerID: "cus_1", Kind: "analysis", Input: fmt.Sprint("page ", i)})
		if _, err := c.Set(context.Background(), reqs[i], val, 100); err != nil {
			b.Fatal(err)
		}
	}
	return c, reqs
}

func BenchmarkCacheHitL1(b *testing.B) {
	c, reqs := hitCache(b, 1000)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := rand.IntN(len(reqs))
		for pb.Next() {
			_, o, err := c.Do(ctx, reqs[i%len(reqs)], nil)
			if err != nil || o.Source != cache.SourceL1 {
				b.Fatalf("got %+v, %v, want an L1 hit", o, err)
			}
			i++
		}
	})
}

func BenchmarkCacheHitL2(b *testing.B) {
	l2 := MustMemoryStore(b, copydesk.SystemClock{}, 64<<20)
	val := []byte(strings.Repeat("x", 2048))
	var l1 nullStore // holds nothing: every read goes to L2
	c, err := cache.New(cache.Config{L1: l1, L2: l2})
	if err != nil {
		b.Fatal(err)
	}
	r := req("analysis", "in L2 only")
	if err := l2.SetCache(context.Background(), &copydesk.CacheEntry{Key: r.Key, Kind: r.Kind, Tier: copydesk.TierPermanent,
		Value: val, ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, o, err := c.Do(context.Background(), r, nil); err != nil || o.Source != cache.SourceL2 {
			b.Fatalf("got %+v, %v, want an L2 hit", o, err)
		}
	}
}

func BenchmarkDoBlocksHit20(b *testing.B) {
	c := MustNew(b, copydesk.SystemClock{}, nil)
	paras := page(20)
	reqs := blockReqs(paras)
	p := &fakeBlockProvider{}
	if _, _, err := c.DoBlocks(context.Background(), reqs, p.fn(paras)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := c.DoBlocks(context.Background(), reqs, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCacheHitPaced2000 sends cached requests at 2,000 per second, open
// loop, each on its own goroutine (as a server handles them): each computes
// the key of a 1,000-word page and reads the answer from the cache. It reports p50, p99 and max
// latency. Use -benchtime=4000x for 2 s of load.
func BenchmarkCacheHitPaced2000(b *testing.B) {
	const rate = 2000
	c := MustNew(b, copydesk.SystemClock{}, nil)
	base := words1000()
	const distinct = 500
	parts := make([]cache.KeyParts, distinct)
	for i := range parts {
		parts[i] = cache.KeyParts{CustomerID: "cus_1", Kind: "analysis", Input: fmt.Sprint(i, " ", base), Version: "v3"}
		if _, err := c.Set(context.Background(), cache.NewRequest(parts[i]), []byte(strings.Repeat("x", 2048)), 100); err != nil {
			b.Fatal(err)
		}
	}
	lat := make([]time.Duration, b.N)
	interval := time.Second / rate
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		wg.Go(func() { // one goroutine per request, as net/http does
			t0 := time.Now()
			_, o, err := c.Do(context.Background(), cache.NewRequest(parts[i%distinct]), nil)
			lat[i] = time.Since(t0)
			if err != nil || o.Source != cache.SourceL1 {
				b.Errorf("got %+v, %v, want an L1 hit", o, err)
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) }
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds()), "max-µs")
}

// nullStore is a cache layer that holds nothing.
type nullStore struct{}

func (nullStore) GetCache(context.Context, string) (*copydesk.CacheEntry, bool, error) {
	return nil, false, nil
}
func (nullStore) SetCache(context.Context, *copydesk.CacheEntry) error { return nil }
func (nullStore) PurgeCache(context.Context, copydesk.CacheFilter) (int, error) {
	return 0, nil
}
