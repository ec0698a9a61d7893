package redis_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/storetest"
)

// BenchmarkGetCache: a hit of a 1 KiB and a 64 KiB entry among 1,000, over
// the loopback to a local Redis (COPYDESK_TEST_REDIS).
func BenchmarkGetCache(b *testing.B) {
	clock := copydesk.SystemClock{}
	storetest.BenchmarkGetCache(b, MustOpen(b, clock), clock)
}

// BenchmarkSetCache: storing a 1 KiB entry (the entry and its three index
// memberships in one script).
func BenchmarkSetCache(b *testing.B) {
	clock := copydesk.SystemClock{}
	c := MustOpen(b, clock)
	value := make([]byte, 1<<10)
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(value)))
	i := 0
	for b.Loop() {
		e := &copydesk.CacheEntry{
			Key: storetest.Key(fmt.Sprint(i % 1000)), CustomerID: "cus_bench", Kind: "analysis", Tier: copydesk.TierPermanent,
			Value: value, ExpiresAt: clock.Now().Add(copydesk.TierPermanent.TTL()),
		}
		if err := c.SetCache(ctx, e); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
