package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// BenchmarkCreateJob measures CreateJob of a job with a small input.
func BenchmarkCreateJob(b *testing.B, s copydesk.JobStore) {
	ctx := context.Background()
	input := json.RawMessage(`{"content":"A short paragraph of copy to analyze.","types":["tone","grammar"]}`)
	b.ReportAllocs()
	for b.Loop() {
		if err := s.CreateJob(ctx, &copydesk.Job{Kind: "analysis", CustomerID: "cus_bench", Input: input}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendEvent measures AppendEvent of a token-delta sized event: one
// writer on one job ("Serial"), then all goroutines of b.RunParallel on one
// job each ("Parallel").
func BenchmarkAppendEvent(b *testing.B, s copydesk.JobStore) {
	ctx := context.Background()
	data := json.RawMessage(`{"task":"generation","text":"a few tokens "}`)
	b.Run("Serial", func(b *testing.B) {
		job := &copydesk.Job{Kind: "generation"}
		MustCreateJob(b, s, job)
		b.ReportAllocs()
		for b.Loop() {
			if err := s.AppendEvent(ctx, &copydesk.Event{JobID: job.ID, Type: copydesk.EventDelta, Data: data}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			job := &copydesk.Job{Kind: "generation"}
			if err := s.CreateJob(ctx, job); err != nil {
				b.Error(err)
				return
			}
			for pb.Next() {
				if err := s.AppendEvent(ctx, &copydesk.Event{JobID: job.ID, Type: copydesk.EventDelta, Data: data}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkFindEvents measures what an SSE client resuming with
// Last-Event-ID costs: reading the last 10 of a job's 100 events.
func BenchmarkFindEvents(b *testing.B, s copydesk.JobStore) {
	ctx := context.Background()
	job := &copydesk.Job{Kind: "generation"}
	MustCreateJob(b, s, job)
	for i := range 100 {
		MustAppendEvent(b, s, &copydesk.Event{JobID: job.ID, Type: copydesk.EventDelta, Data: json.RawMessage(fmt.Sprintf(`{"i":%d,"text":"a few tokens "}`, i))})
	}
	b.ReportAllocs()
	for b.Loop() {
		events, err := s.FindEvents(ctx, job.ID, 90, 0)
		if err != nil || len(events) != 10 {
			b.Fatalf("FindEvents: got %d events, error %v, want 10", len(events), err)
		}
	}
}

// BenchmarkGetCache measures a cache hit of an entry of the given sizes among
// 1,000 entries, serially and from b.RunParallel's goroutines.
func BenchmarkGetCache(b *testing.B, s copydesk.CacheStore, clock copydesk.Clock) {
	ctx := context.Background()
	for _, size := range []int{1 << 10, 64 << 10} {
		value := make([]byte, size)
		keys := make([]string, 1000)
		for i := range keys {
			keys[i] = Key(fmt.Sprintf("bench-%d-%d", size, i))
			MustSetCache(b, s, &copydesk.CacheEntry{
				Key: keys[i], Kind: "analysis", Tier: copydesk.TierPermanent, Value: value,
				ExpiresAt: clock.Now().Add(copydesk.TierPermanent.TTL()), CreatedAt: clock.Now(),
			})
		}
		get := func(b *testing.B, key string) {
			if _, ok, err := s.GetCache(ctx, key); err != nil || !ok {
				b.Fatalf("GetCache: got ok=%v, err %v, want a hit", ok, err)
			}
		}
		b.Run(fmt.Sprintf("Serial/%dKiB", size>>10), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size))
			i := 0
			for b.Loop() {
				get(b, keys[i%len(keys)])
				i++
			}
		})
		b.Run(fmt.Sprintf("Parallel/%dKiB", size>>10), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size))
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					if _, ok, err := s.GetCache(ctx, keys[i%len(keys)]); err != nil || !ok {
						b.Errorf("GetCache: got ok=%v, err %v, want a hit", ok, err)
						return
					}
					i++
				}
			})
		})
	}
}
