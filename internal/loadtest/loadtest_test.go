package loadtest_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/loadtest"
)

func TestPercentile(t *testing.T) {
	t.Parallel()
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i + 1)
	}
	for _, tt := range []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one value p50", []time.Duration{7}, 50, 7},
		{"one value p99", []time.Duration{7}, 99, 7},
		{"100 values p50 is the 50th", hundred, 50, 50},
		{"100 values p90 is the 90th", hundred, 90, 90},
		{"100 values p99 is the 99th", hundred, 99, 99},
		{"100 values p100 is the largest", hundred, 100, 100},
		{"100 values p1 is the smallest", hundred, 1, 1},
		{"100 values p99.9 rounds up to the largest", hundred, 99.9, 100},
		{"100 values p0.5 rounds up to the smallest", hundred, 0.5, 1},
		{"10 values p50 is the 5th", hundred[:10], 50, 5},
		{"10 values p99 is the largest", hundred[:10], 99, 10},
		{"10 values p91 rounds up to the largest", hundred[:10], 91, 10},
		{"3 values p50 rounds up to the 2nd", hundred[:3], 50, 2},
		{"2 values p50 is the 1st", hundred[:2], 50, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := loadtest.Percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("Percentile(%d values, %v): got %v, want %v", len(tt.sorted), tt.p, got, tt.want)
			}
		})
	}
}

func TestSummarizeSorts(t *testing.T) {
	t.Parallel()
	var d []time.Duration
	for i := 200; i >= 1; i-- {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	got := loadtest.Summarize(d)
	want := loadtest.Summary{N: 200, P50: 100 * time.Millisecond, P90: 180 * time.Millisecond, P99: 198 * time.Millisecond, Max: 200 * time.Millisecond}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if got := loadtest.Summarize(nil); got != (loadtest.Summary{}) {
		t.Errorf("Summarize(nil): got %+v, want the zero Summary", got)
	}
}

func TestRunCount(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	seen := make([]atomic.Bool, 50)
	s, err := loadtest.Run(context.Background(), loadtest.Load{Concurrency: 4, Count: 50}, func(_ context.Context, i int) error {
		calls.Add(1)
		if seen[i].Swap(true) {
			return fmt.Errorf("index %d twice", i)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.OK != 50 || s.Failed != 0 || len(s.Latencies) != 50 || calls.Load() != 50 {
		t.Errorf("got OK %d, Failed %d, %d latencies, %d calls; want 50, 0, 50, 50 (%s)", s.OK, s.Failed, len(s.Latencies), calls.Load(), s.FirstError)
	}
}

func TestRunDuration(t *testing.T) {
	t.Parallel()
	s, err := loadtest.Run(context.Background(), loadtest.Load{Concurrency: 2, Duration: 50 * time.Millisecond}, func(context.Context, int) error {
		time.Sleep(time.Millisecond)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.OK == 0 || s.Elapsed < 50*time.Millisecond {
		t.Errorf("got OK %d in %v, want some operations over at least 50ms", s.OK, s.Elapsed)
	}
}

// TestRunStopsAtFirstFailure: a wrong answer is counted, not timed, and
// ends the phase.
func TestRunStopsAtFirstFailure(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	s, err := loadtest.Run(context.Background(), loadtest.Load{Concurrency: 1, Count: 100}, func(_ context.Context, i int) error {
		calls.Add(1)
		if i == 10 {
			return &loadtest.StatusError{Target: "POST /x", Status: 401, Want: 200, Body: `{"error":"unauthorized"}`}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.Failed != 1 || s.OK != 10 || len(s.Latencies) != 10 {
		t.Errorf("got Failed %d, OK %d, %d latencies; want 1, 10, 10", s.Failed, s.OK, len(s.Latencies))
	}
	if calls.Load() != 11 {
		t.Errorf("got %d calls, want 11: the phase goes on after a failure", calls.Load())
	}
	if want := "POST /x: status 401, want 200"; !strings.HasPrefix(s.FirstError, want) {
		t.Errorf("FirstError %q, want it to start with %q", s.FirstError, want)
	}
}

func TestRunCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := loadtest.Run(ctx, loadtest.Load{Concurrency: 2, Duration: time.Hour}, func(ctx context.Context, i int) error {
		if i == 5 {
			cancel()
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return nil
	})
	if !errors.Is(err, loadtest.ErrStopped) {
		t.Fatalf("got error %v, want ErrStopped", err)
	}
	if s.Failed != 0 {
		t.Errorf("got %d failures, want 0: an interrupted operation is not a wrong answer", s.Failed)
	}
}

func TestRunNeedsDurationOrCount(t *testing.T) {
	t.Parallel()
	if _, err := loadtest.Run(context.Background(), loadtest.Load{Concurrency: 1}, func(context.Context, int) error { return nil }); err == nil {
		t.Error("got no error for a load without duration or count")
	}
}

func TestSampleAdd(t *testing.T) {
	t.Parallel()
	a := &loadtest.Sample{OK: 2, Elapsed: time.Second, Latencies: []time.Duration{1, 2}}
	a.Add(&loadtest.Sample{OK: 1, Failed: 1, FirstError: "boom", Elapsed: time.Second, Latencies: []time.Duration{3}})
	if a.OK != 3 || a.Failed != 1 || a.FirstError != "boom" || a.Elapsed != 2*time.Second || len(a.Latencies) != 3 {
		t.Errorf("got %+v", a)
	}
	if got := a.Rate(); got != 1.5 {
		t.Errorf("Rate: got %v, want 1.5", got)
	}
}
