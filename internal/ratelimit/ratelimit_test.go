package ratelimit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/ratelimit"
	"github.com/copydesk/copydesk/internal/ratelimit/ratelimittest"
	"github.com/copydesk/copydesk/internal/storetest"
)

var user = copydesk.Principal{UserID: "usr_1", CustomerID: "cus_1", Role: copydesk.RoleUser}

func MustLimiter(tb testing.TB, cfg ratelimit.Config) (*ratelimit.Limiter, *storetest.Clock) {
	tb.Helper()
	clock := storetest.NewClock(storetest.Epoch())
	l, err := ratelimit.New(cfg, clock)
	if err != nil {
		tb.Fatal(err)
	}
	return l, clock
}

// TestLimiter runs the shared semantics suite against the in-process
// Limiter.
func TestLimiter(t *testing.T) {
	t.Parallel()
	ratelimittest.Run(t, func(t *testing.T, cfg ratelimit.Config, clock copydesk.Clock) ratelimit.Service {
		l, err := ratelimit.New(cfg, clock)
		if err != nil {
			t.Fatal(err)
		}
		return l
	})
}

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		cfg  ratelimit.Config
	}{
		{"UnknownRole", ratelimit.Config{Roles: map[copydesk.Role]ratelimit.Rate{"ROOT": {PerMinute: 1}}}},
		{"NegativeBurst", ratelimit.Config{Customer: ratelimit.Rate{PerMinute: 1, Burst: -1}}},
		{"HugeRate", ratelimit.Config{Customer: ratelimit.Rate{PerMinute: 10_000_000}}},
		{"Reserve100", ratelimit.Config{LowReservePercent: 100}},
		{"BadOverride", ratelimit.Config{Customers: map[string]ratelimit.CustomerRates{"c": {User: ratelimit.Rate{Burst: -5}}}}},
	} {
		if _, err := ratelimit.New(tt.cfg, nil); copydesk.ErrorCode(err) != copydesk.EINVALID {
			t.Errorf("%s: got %v, want EINVALID", tt.name, err)
		}
	}
}

func TestBucketsBounded(t *testing.T) {
	t.Parallel()
	l, clock := MustLimiter(t, ratelimit.Config{MaxBuckets: 100})
	for i := range 1000 {
		p := copydesk.Principal{UserID: "usr_" + string(rune('a'+i%26)) + string(rune('a'+i/26)), CustomerID: "cus_1", Role: copydesk.RoleUser}
		l.Allow(context.Background(), p, copydesk.PriorityHigh)
		clock.Add(time.Second)
	}
	if n := l.Buckets(); n > 100+1 {
		t.Errorf("buckets: got %d, want at most 100 users + 1 customer", n)
	}
	if !l.Allow(context.Background(), copydesk.Principal{UserID: "usr_new", CustomerID: "cus_9", Role: copydesk.RoleUser}, copydesk.PriorityLow).Allowed {
		t.Errorf("fresh user after evictions: got refused, want allowed")
	}
}

// BenchmarkAllow times allowed requests only: a refusal fails it (with
// the default rates, all but the first few hundred calls would be refused
// and the refusal path timed instead).
func BenchmarkAllow(b *testing.B) {
	ctx := context.Background()
	b.Run("Unlimited", func(b *testing.B) {
		l, err := ratelimit.New(ratelimit.Config{Roles: map[copydesk.Role]ratelimit.Rate{copydesk.RoleUser: {PerMinute: -1}}, Customer: ratelimit.Rate{PerMinute: -1}}, nil)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if !l.Allow(ctx, user, copydesk.PriorityHigh).Allowed {
				b.Fatal("an unlimited rate refused a request")
			}
		}
	})
	b.Run("TwoBuckets", func(b *testing.B) {
		rate := ratelimit.Rate{PerMinute: 1_000_000, Burst: 1_000_000}
		l, err := ratelimit.New(ratelimit.Config{Roles: map[copydesk.Role]ratelimit.Rate{copydesk.RoleUser: rate}, Customer: rate}, nil)
		if err != nil {
			b.Fatal(err)
		}
		// A new user and customer every 500,000 calls, before their
		// buckets of 1,000,000 run dry.
		p, n := user, 0
		for b.Loop() {
			if n%500_000 == 0 {
				p = copydesk.Principal{UserID: fmt.Sprint("usr_", n), CustomerID: fmt.Sprint("cus_", n), Role: copydesk.RoleUser}
			}
			if !l.Allow(ctx, p, copydesk.PriorityHigh).Allowed {
				b.Fatalf("refused after %d calls; the benchmark times allowed requests only", n)
			}
			n++
		}
	})
}
