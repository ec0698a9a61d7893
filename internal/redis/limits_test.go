package redis_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/providerlimit"
	"github.com/copydesk/copydesk/internal/redis"
	"github.com/copydesk/copydesk/internal/redistest"
)

// mustLimitInstances returns n instances' provider limits on one Redis prefix
// (each with its own client, as separate processes have), and their
// limiters for the endpoint "openai/gpt-6.1-sol" with cfg.
func mustLimitInstances(t *testing.T, n int, cfg providerlimit.Config, opts redis.ProviderLimitsOptions) ([]*redis.ProviderLimits, []*providerlimit.Limiter) {
	t.Helper()
	url, prefix := redistest.MustPrefix(t)
	var pls []*redis.ProviderLimits
	var lims []*providerlimit.Limiter
	for range n {
		pl := redis.NewProviderLimits(MustOpenPrefix(t, url, prefix, nil), opts)
		t.Cleanup(pl.Stop)
		l, err := providerlimit.NewShared(cfg, nil, "openai/gpt-6.1-sol", pl)
		if err != nil {
			t.Fatal(err)
		}
		pls, lims = append(pls, pl), append(lims, l)
	}
	return pls, lims
}

// TestProviderLimitsRequestsPerMinuteInTotal: three instances with a limit
// of 6 requests a minute allow 6 requests in total, whichever instance
// they reach, then refuse with requests_per_minute and a Retry-After of at
// most the 10 s a request takes to refill.
func TestProviderLimitsRequestsPerMinuteInTotal(t *testing.T) {
	t.Parallel()
	pls, lims := mustLimitInstances(t, 3, providerlimit.Config{RequestsPerMinute: 6, Concurrency: 100}, redis.ProviderLimitsOptions{})
	start := time.Now()
	admitted := 0
	var lastRej *providerlimit.RejectedError
	for i := range 18 {
		rel, err := lims[i%3].TryAcquire(copydesk.PriorityHigh, 10)
		if err != nil {
			if !errors.As(err, &lastRej) {
				t.Fatalf("attempt %d: %v, want a *providerlimit.RejectedError", i, err)
			}
			continue
		}
		admitted++
		rel(10)
	}
	// A request refills every 10 s: a slow run may have earned one more.
	if want := 6 + int(time.Since(start)/(10*time.Second)); admitted != want {
		t.Errorf("admitted across three instances: got %d, want %d (the limit in total)", admitted, want)
	}
	if lastRej == nil || lastRej.Reason != providerlimit.ReasonRequestsPerMinute || lastRej.RetryAfter <= 0 || lastRej.RetryAfter > 10*time.Second {
		t.Errorf("refusal: got %+v, want requests_per_minute with Retry-After in (0, 10s]", lastRej)
	}
	for i, pl := range pls {
		if n := pl.Fallbacks(); n != 0 {
			t.Errorf("instance %d: %d fallbacks, want 0", i, n)
		}
	}
}

// TestProviderLimitsConcurrencyInTotal: with a cap of 2 calls at once, two
// running on two instances refuse a third on the third instance until one
// ends; a waiting Acquire gets the slot when it frees.
func TestProviderLimitsConcurrencyInTotal(t *testing.T) {
	t.Parallel()
	pls, lims := mustLimitInstances(t, 3, providerlimit.Config{RequestsPerMinute: -1, Concurrency: 2}, redis.ProviderLimitsOptions{})
	r0, err0 := lims[0].TryAcquire(copydesk.PriorityHigh, 1)
	r1, err1 := lims[1].TryAcquire(copydesk.PriorityHigh, 1)
	if err0 != nil || err1 != nil {
		t.Fatalf("two calls: %v, %v, want both admitted", err0, err1)
	}
	var rej *providerlimit.RejectedError
	if _, err := lims[2].TryAcquire(copydesk.PriorityHigh, 1); !errors.As(err, &rej) || rej.Reason != providerlimit.ReasonConcurrency {
		t.Fatalf("a third call on the third instance: got %v, want refused for concurrency", err)
	}
	if pls[0].Held()+pls[1].Held() != 2 || pls[2].Held() != 0 {
		t.Errorf("slots held: %d, %d, %d, want 1, 1, 0", pls[0].Held(), pls[1].Held(), pls[2].Held())
	}
	got := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		rel, err := lims[2].Acquire(ctx, copydesk.PriorityHigh, 1)
		if err == nil {
			rel(1)
		}
		got <- err
	}()
	r0(1)
	if err := <-got; err != nil {
		t.Errorf("Acquire after a slot freed: %v", err)
	}
	r1(1)
}

// TestProviderLimitsTokensCorrected: a call that used fewer tokens than
// estimated gives the difference back to the shared bucket, so another
// instance's large call fits again at once.
func TestProviderLimitsTokensCorrected(t *testing.T) {
	t.Parallel()
	_, lims := mustLimitInstances(t, 3, providerlimit.Config{RequestsPerMinute: -1, TokensPerMinute: 1000, Concurrency: 10}, redis.ProviderLimitsOptions{})
	rel, err := lims[0].TryAcquire(copydesk.PriorityHigh, 600)
	if err != nil {
		t.Fatal(err)
	}
	var rej *providerlimit.RejectedError
	if _, err := lims[1].TryAcquire(copydesk.PriorityHigh, 600); !errors.As(err, &rej) || rej.Reason != providerlimit.ReasonTokensPerMinute {
		t.Fatalf("600 more tokens on another instance: got %v, want refused for tokens_per_minute", err)
	}
	rel(100) // used 100 of the 600 estimated
	r, err := lims[2].TryAcquire(copydesk.PriorityHigh, 600)
	if err != nil {
		t.Fatalf("600 tokens on a third instance after 500 were given back: %v", err)
	}
	r(600)
	if _, err := lims[2].TryAcquire(copydesk.PriorityHigh, 400); !errors.As(err, &rej) || rej.Reason != providerlimit.ReasonTokensPerMinute {
		t.Errorf("400 more (700 used of 1000; a token refills every 60 ms): got %v, want refused for tokens_per_minute", err)
	}
}

// TestProviderLeaseOfDeadInstance: a slot is kept while its instance
// renews it, and frees itself within a lease once the instance is gone.
func TestProviderLeaseOfDeadInstance(t *testing.T) {
	t.Parallel()
	const lease = 2 * time.Second
	pls, lims := mustLimitInstances(t, 2, providerlimit.Config{RequestsPerMinute: -1, Concurrency: 1}, redis.ProviderLimitsOptions{Lease: lease})
	if _, err := lims[0].TryAcquire(copydesk.PriorityHigh, 1); err != nil {
		t.Fatal(err)
	}
	time.Sleep(lease + lease/2) // renewed at least twice meanwhile
	if _, err := lims[1].TryAcquire(copydesk.PriorityHigh, 1); !errors.Is(err, providerlimit.ErrLimited) {
		t.Fatalf("after more than a lease of a running call: got %v, want refused (the lease renewed)", err)
	}
	pls[0].Stop() // the instance dies with its call running
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rel, err := lims[1].Acquire(ctx, copydesk.PriorityHigh, 1)
	if err != nil {
		t.Fatalf("the dead instance's slot never freed: %v", err)
	}
	rel(1)
}

// TestProviderLimitsFallback: while Redis fails, each instance applies the
// limits on its own (three instances allow three times the rate) and the
// fallbacks are counted.
func TestProviderLimitsFallback(t *testing.T) {
	t.Parallel()
	url, prefix := redistest.MustPrefix(t)
	admitted := 0
	for i := range 3 {
		c, err := redis.Open(context.Background(), url, redis.Options{Prefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		pl := redis.NewProviderLimits(c, redis.ProviderLimitsOptions{})
		t.Cleanup(pl.Stop)
		_ = c.Close() // Redis is gone for this instance
		l, err := providerlimit.NewShared(providerlimit.Config{RequestsPerMinute: 4}, nil, "e", pl)
		if err != nil {
			t.Fatal(err)
		}
		for range 6 {
			if rel, err := l.TryAcquire(copydesk.PriorityHigh, 1); err == nil {
				admitted++
				rel(1)
			}
		}
		if pl.Fallbacks() == 0 {
			t.Errorf("instance %d: no fallback counted", i)
		}
	}
	if admitted != 12 {
		t.Errorf("admitted by three instances without Redis: got %d, want 12 (4 each)", admitted)
	}
}
