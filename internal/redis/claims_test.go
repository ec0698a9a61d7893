package redis_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/cache"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/redis"
	"github.com/copydesk/copydesk/internal/redistest"
	"github.com/copydesk/copydesk/internal/storetest"
)

// mustInstances opens n instances (each with its own claim id) on one
// fresh prefix.
func mustInstances(t *testing.T, n int) []*redis.Cache {
	t.Helper()
	url, prefix := redistest.MustPrefix(t)
	cs := make([]*redis.Cache, n)
	for i := range cs {
		cs[i] = MustOpenPrefix(t, url, prefix, nil)
	}
	return cs
}

func mustClaim(t *testing.T, c cache.Claimer, key string, ttl time.Duration) bool {
	t.Helper()
	ok, err := c.ClaimCache(context.Background(), key, ttl)
	if err != nil {
		t.Fatalf("ClaimCache: %v", err)
	}
	return ok
}

func mustRelease(t *testing.T, c cache.Claimer, key string) {
	t.Helper()
	if err := c.ReleaseCache(context.Background(), key); err != nil {
		t.Fatalf("ReleaseCache: %v", err)
	}
}

// TestClaimOneWinner: of many concurrent claims of one key across
// instances, exactly one wins.
func TestClaimOneWinner(t *testing.T) {
	t.Parallel()
	cs := mustInstances(t, 8)
	key := storetest.Key("contested")
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := cs[i%len(cs)].ClaimCache(context.Background(), key, time.Minute)
			if err != nil {
				t.Errorf("ClaimCache: %v", err)
			}
			if ok {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := wins.Load(); n != 1 {
		t.Errorf("winning claims: got %d, want 1", n)
	}
}

// TestClaimRelease: a claim is held until its holder releases it; another
// instance's release leaves it in place.
func TestClaimRelease(t *testing.T) {
	t.Parallel()
	cs := mustInstances(t, 3)
	a, b, c := cs[0], cs[1], cs[2]
	key := storetest.Key("k")
	if !mustClaim(t, a, key, time.Minute) {
		t.Fatalf("first claim: got false, want true")
	}
	if mustClaim(t, a, key, time.Minute) {
		t.Errorf("holder claiming again: got true, want false")
	}
	if mustClaim(t, b, key, time.Minute) {
		t.Errorf("claim of a held key: got true, want false")
	}
	mustRelease(t, b, key) // not b's: stays
	if mustClaim(t, c, key, time.Minute) {
		t.Errorf("claim after a non-holder's release: got true, want false")
	}
	mustRelease(t, a, key)
	if !mustClaim(t, c, key, time.Minute) {
		t.Errorf("claim after the holder's release: got false, want true")
	}
	// Keys are independent.
	if !mustClaim(t, a, storetest.Key("other"), time.Minute) {
		t.Errorf("claim of another key: got false, want true")
	}
}

// TestClaimExpiry: an expired claim lets another instance win, and the old
// holder's late release does not end the new holder's claim.
func TestClaimExpiry(t *testing.T) {
	t.Parallel()
	cs := mustInstances(t, 3)
	a, b, c := cs[0], cs[1], cs[2]
	key := storetest.Key("short")
	if !mustClaim(t, a, key, time.Millisecond) {
		t.Fatalf("first claim: got false, want true")
	}
	// Wait for Redis to expire it: b wins within the test's deadline.
	for !mustClaim(t, b, key, time.Minute) {
		if t.Context().Err() != nil {
			t.Fatalf("claim never expired")
		}
		time.Sleep(time.Millisecond)
	}
	mustRelease(t, a, key) // a's claim is gone; b's stays
	if mustClaim(t, c, key, time.Minute) {
		t.Errorf("claim after the expired holder's release: got true, want false")
	}
}

func TestClaimTTLInvalid(t *testing.T) {
	t.Parallel()
	c := mustInstances(t, 1)[0]
	_, err := c.ClaimCache(context.Background(), storetest.Key("k"), 0)
	if got, want := copydesk.ErrorCode(err), copydesk.EINVALID; got != want {
		t.Errorf("ttl 0: got code %q, want %q", got, want)
	}
}
