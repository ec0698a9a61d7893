// Package ratelimittest is the one semantics suite every ratelimit.Service
// runs: the in-process ratelimit.Limiter and the scale-out mode's
// ratelimit.Shared (on buckets in memory and on redis.RateBuckets) pass the
// same cases (burst, refill over time, per-role and per-customer rates, the
// customer's bucket shared by its users, the LOW-priority reserve,
// Retry-After and the RateLimit header fields, login buckets).
//
// Every case builds a fresh limiter through a factory that receives the
// case's configuration and clock; the limiter must read time only from that
// clock:
//
//	ratelimittest.Run(t, func(t *testing.T, cfg ratelimit.Config, clock copydesk.Clock) ratelimit.Service {
//		l, err := ratelimit.New(cfg, clock)
//		if err != nil {
//			t.Fatal(err)
//		}
//		return l
//	})
//
// The factory registers its own cleanup (t.Cleanup). Cases run in parallel.
package ratelimittest

import (
	"context"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/ratelimit"
	"github.com/copydesk/copydesk/internal/storetest"
)

// Factory returns a new, empty limiter for cfg that reads time from clock.
type Factory func(t *testing.T, cfg ratelimit.Config, clock copydesk.Clock) ratelimit.Service

// The principals of the cases: user and user2 share cus_1 with client;
// other is alone in cus_2.
var (
	user   = copydesk.Principal{UserID: "usr_1", CustomerID: "cus_1", Role: copydesk.RoleUser}
	user2  = copydesk.Principal{UserID: "usr_2", CustomerID: "cus_1", Role: copydesk.RoleUser}
	client = copydesk.Principal{UserID: "usr_3", CustomerID: "cus_1", Role: copydesk.RoleClient}
	other  = copydesk.Principal{UserID: "usr_9", CustomerID: "cus_2", Role: copydesk.RoleUser}
)

// Drain makes n requests of p at prio and returns how many were allowed.
func Drain(ctx context.Context, l ratelimit.Service, p copydesk.Principal, prio copydesk.Priority, n int) int {
	ok := 0
	for range n {
		if l.Allow(ctx, p, prio).Allowed {
			ok++
		}
	}
	return ok
}

// Run runs every case against the limiters newLimiter makes.
func Run(t *testing.T, newLimiter Factory) {
	t.Helper()
	for _, tt := range []struct {
		name string
		fn   func(t *testing.T, newLimiter Factory)
	}{
		{"UserBucket", testUserBucket},
		{"CustomerBucket", testCustomerBucket},
		{"LowPriorityThrottledFirst", testLowPriorityThrottledFirst},
		{"PerCustomerOverrideAndUnlimited", testPerCustomerOverrideAndUnlimited},
		{"Headers", testHeaders},
		{"AllowLogin", testAllowLogin},
		{"RolesShareTheCustomer", testRolesShareTheCustomer},
		{"KeyBucket", testKeyBucket},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newLimiter)
		})
	}
}

func mustLimiter(t *testing.T, newLimiter Factory, cfg ratelimit.Config) (ratelimit.Service, *storetest.Clock) {
	t.Helper()
	clock := storetest.NewClock(storetest.Epoch())
	return newLimiter(t, cfg, clock), clock
}

func testUserBucket(t *testing.T, newLimiter Factory) {
	ctx := t.Context()
	l, clock := mustLimiter(t, newLimiter, ratelimit.Config{Roles: map[copydesk.Role]ratelimit.Rate{copydesk.RoleUser: {PerMinute: 60, Burst: 10}}})
	d := l.Allow(ctx, user, copydesk.PriorityHigh)
	if !d.Allowed || d.Limit != 10 || d.Remaining != 9 || d.Scope != "user" {
		t.Errorf("first request: got %+v, want allowed, limit 10, remaining 9, user", d)
	}
	if got := Drain(ctx, l, user, copydesk.PriorityHigh, 20); got != 9 {
		t.Errorf("burst: got %d more allowed, want 9", got)
	}
	d = l.Allow(ctx, user, copydesk.PriorityHigh)
	if d.Allowed || d.RetryAfter != time.Second || d.Remaining != 0 {
		t.Errorf("empty bucket: got %+v, want refused, retry after 1s (60/min), remaining 0", d)
	}
	if got := copydesk.ErrorCode(d.Err()); got != copydesk.ERATELIMITED {
		t.Errorf("Err: got %q, want %q", got, copydesk.ERATELIMITED)
	}
	if e, ok := d.Err().(*copydesk.Error); !ok || e.RetryAfter != time.Second {
		t.Errorf("Err: got %#v, want a *copydesk.Error with RetryAfter 1s", d.Err())
	}
	// Another user of the same customer has its own bucket.
	if !l.Allow(ctx, user2, copydesk.PriorityHigh).Allowed {
		t.Errorf("another user: got refused, want allowed")
	}
	clock.Add(999 * time.Millisecond)
	if d := l.Allow(ctx, user, copydesk.PriorityHigh); d.Allowed || d.RetryAfter != time.Millisecond {
		t.Errorf("after 999ms: got %+v, want refused, retry after 1ms", d)
	}
	clock.Add(time.Millisecond)
	if !l.Allow(ctx, user, copydesk.PriorityHigh).Allowed {
		t.Errorf("after 1s: got refused, want one token refilled")
	}
	clock.Add(time.Hour)
	if got := Drain(ctx, l, user, copydesk.PriorityHigh, 20); got != 10 {
		t.Errorf("after an hour: got %d allowed, want the burst of 10 (capped)", got)
	}
	// A clock that goes back refills nothing and loses nothing.
	clock.Add(-time.Minute)
	if l.Allow(ctx, user, copydesk.PriorityHigh).Allowed {
		t.Errorf("clock a minute back: got allowed, want refused")
	}
	clock.Add(time.Minute + time.Second)
	if got := Drain(ctx, l, user, copydesk.PriorityHigh, 5); got != 1 {
		t.Errorf("clock back at +1s: got %d allowed, want 1", got)
	}
}

func testCustomerBucket(t *testing.T, newLimiter Factory) {
	ctx := t.Context()
	l, _ := mustLimiter(t, newLimiter, ratelimit.Config{
		Roles:    map[copydesk.Role]ratelimit.Rate{copydesk.RoleUser: {PerMinute: 100}},
		Customer: ratelimit.Rate{PerMinute: 15},
	})
	a, b := Drain(ctx, l, user, copydesk.PriorityHigh, 10), Drain(ctx, l, user2, copydesk.PriorityHigh, 10)
	if a != 10 || b != 5 {
		t.Errorf("got %d and %d allowed, want 10 and 5 (the customer's 15 shared)", a, b)
	}
	d := l.Allow(ctx, user2, copydesk.PriorityHigh)
	if d.Allowed || d.Scope != "customer" || d.Limit != 15 || d.RetryAfter != 4*time.Second {
		t.Errorf("refusal: got %+v, want the customer's bucket named, limit 15, retry after 4s", d)
	}
	if got := Drain(ctx, l, other, copydesk.PriorityHigh, 3); got != 3 {
		t.Errorf("another customer: got %d allowed, want 3", got)
	}
	// A refusal by one bucket takes nothing from the other.
	l2, clock := mustLimiter(t, newLimiter, ratelimit.Config{
		Roles:    map[copydesk.Role]ratelimit.Rate{copydesk.RoleUser: {PerMinute: 1, Burst: 4}},
		Customer: ratelimit.Rate{PerMinute: 60, Burst: 6},
	})
	if got := Drain(ctx, l2, user, copydesk.PriorityHigh, 4); got != 4 {
		t.Fatalf("user: got %d allowed, want 4", got)
	}
	for range 3 {
		if d := l2.Allow(ctx, user, copydesk.PriorityHigh); d.Allowed || d.Scope != "user" || d.RetryAfter != time.Minute {
			t.Fatalf("user with an empty bucket: got %+v, want refused by user, retry after 1m", d)
		}
	}
	if got := Drain(ctx, l2, user2, copydesk.PriorityHigh, 10); got != 2 {
		t.Fatalf("user2: got %d allowed, want 2 (the customer's 6 less user's 4; the user's refusals took none)", got)
	}
	if d := l2.Allow(ctx, user2, copydesk.PriorityHigh); d.Allowed || d.Scope != "customer" {
		t.Errorf("user2 refused: got %+v, want refused by customer", d)
	}
	clock.Add(time.Second) // the customer refills one token, user2 a 60th
	if !l2.Allow(ctx, user2, copydesk.PriorityHigh).Allowed {
		t.Errorf("user2 after 1s: got refused, want allowed (the customer's refusals took nothing from user2's 2 tokens)")
	}
}

func testLowPriorityThrottledFirst(t *testing.T, newLimiter Factory) {
	ctx := t.Context()
	l, clock := mustLimiter(t, newLimiter, ratelimit.Config{
		Roles:             map[copydesk.Role]ratelimit.Rate{copydesk.RoleUser: {PerMinute: 60, Burst: 10}},
		LowReservePercent: 40,
	})
	if got := Drain(ctx, l, user, copydesk.PriorityLow, 20); got != 6 {
		t.Errorf("LOW: got %d allowed, want 6 (down to 40%% of 10)", got)
	}
	d := l.Allow(ctx, user, copydesk.PriorityLow)
	if d.Allowed || d.RetryAfter != time.Second {
		t.Errorf("LOW at the reserve: got %+v, want refused, retry after 1s", d)
	}
	if got := Drain(ctx, l, user, copydesk.PriorityHigh, 20); got != 4 {
		t.Errorf("HIGH after LOW: got %d allowed, want the reserved 4", got)
	}
	clock.Add(2 * time.Second)
	if d := l.Allow(ctx, user, copydesk.PriorityLow); d.Allowed || d.RetryAfter != 3*time.Second {
		t.Errorf("LOW with 2 tokens: got %+v, want refused (below the reserve), retry after 3s", d)
	}
	if !l.Allow(ctx, user, copydesk.PriorityCritical).Allowed {
		t.Errorf("CRITICAL with 2 tokens: got refused, want allowed")
	}
	// A reserve that is not a whole number of tokens: 50% of 3 is 1.5.
	l3, clock3 := mustLimiter(t, newLimiter, ratelimit.Config{
		Roles: map[copydesk.Role]ratelimit.Rate{copydesk.RoleUser: {PerMinute: 60, Burst: 3}},
	})
	if got := Drain(ctx, l3, user, copydesk.PriorityLow, 5); got != 1 {
		t.Errorf("LOW, burst 3, reserve 50%%: got %d allowed, want 1", got)
	}
	if d := l3.Allow(ctx, user, copydesk.PriorityLow); d.RetryAfter != 500*time.Millisecond {
		t.Errorf("LOW at 2 tokens: got retry after %s, want 500ms", d.RetryAfter)
	}
	clock3.Add(500 * time.Millisecond)
	if !l3.Allow(ctx, user, copydesk.PriorityLow).Allowed {
		t.Errorf("LOW at 2.5 tokens: got refused, want allowed")
	}
}

func testPerCustomerOverrideAndUnlimited(t *testing.T, newLimiter Factory) {
	ctx := t.Context()
	l, _ := mustLimiter(t, newLimiter, ratelimit.Config{
		Roles:    map[copydesk.Role]ratelimit.Rate{copydesk.RoleUser: {PerMinute: 2}, copydesk.RoleClient: {PerMinute: 4}},
		Customer: ratelimit.Rate{PerMinute: -1},
		Customers: map[string]ratelimit.CustomerRates{
			"cus_2": {User: ratelimit.Rate{PerMinute: 7}},
		},
	})
	if got := Drain(ctx, l, user, copydesk.PriorityHigh, 10); got != 2 {
		t.Errorf("USER: got %d, want 2", got)
	}
	if got := Drain(ctx, l, client, copydesk.PriorityHigh, 10); got != 4 {
		t.Errorf("CLIENT: got %d, want 4 (role rate)", got)
	}
	if got := Drain(ctx, l, other, copydesk.PriorityHigh, 10); got != 7 {
		t.Errorf("user of cus_2: got %d, want 7 (customer override)", got)
	}
	unl, _ := mustLimiter(t, newLimiter, ratelimit.Config{
		Roles:    map[copydesk.Role]ratelimit.Rate{copydesk.RoleUser: {PerMinute: -1}},
		Customer: ratelimit.Rate{PerMinute: -1},
		Login:    ratelimit.Rate{PerMinute: -1},
	})
	d := unl.Allow(ctx, user, copydesk.PriorityLow)
	if !d.Allowed || d.Scope != "" {
		t.Errorf("unlimited: got %+v, want allowed without a scope (no headers)", d)
	}
	if got := Drain(ctx, unl, user, copydesk.PriorityLow, 100); got != 100 {
		t.Errorf("unlimited: got %d of 100 allowed", got)
	}
	if d := unl.AllowLogin(ctx, "ip:192.0.2.1"); !d.Allowed || d.Scope != "" {
		t.Errorf("unlimited login: got %+v, want allowed, no scope", d)
	}
}

// testHeaders checks the values the http package sends as the RateLimit
// header fields and Retry-After.
func testHeaders(t *testing.T, newLimiter Factory) {
	ctx := t.Context()
	l, _ := mustLimiter(t, newLimiter, ratelimit.Config{Roles: map[copydesk.Role]ratelimit.Rate{copydesk.RoleUser: {PerMinute: 6, Burst: 2}}})
	if d := l.Allow(ctx, user, copydesk.PriorityHigh); !d.Allowed || d.Scope != "user" || d.Limit != 2 || d.Remaining != 1 || d.Reset != 10*time.Second || d.RetryAfter != 0 {
		t.Errorf("allowed: got %+v, want user, limit 2, remaining 1, reset 10s, no retry", d)
	}
	l.Allow(ctx, user, copydesk.PriorityHigh)
	if d := l.Allow(ctx, user, copydesk.PriorityHigh); d.Allowed || d.Limit != 2 || d.Remaining != 0 || d.Reset != 20*time.Second || d.RetryAfter != 10*time.Second {
		t.Errorf("refused: got %+v, want limit 2, remaining 0, reset 20s, retry after 10s", d)
	}
	// The tightest bucket is reported: the customer's, when it has fewer left.
	lc, _ := mustLimiter(t, newLimiter, ratelimit.Config{
		Roles:    map[copydesk.Role]ratelimit.Rate{copydesk.RoleUser: {PerMinute: 60}},
		Customer: ratelimit.Rate{PerMinute: 30, Burst: 3},
	})
	if d := lc.Allow(ctx, user, copydesk.PriorityHigh); d.Scope != "customer" || d.Limit != 3 || d.Remaining != 2 || d.Reset != 2*time.Second {
		t.Errorf("customer tighter: got %+v, want customer, limit 3, remaining 2, reset 2s", d)
	}
}

func testAllowLogin(t *testing.T, newLimiter Factory) {
	ctx := t.Context()
	l, clock := mustLimiter(t, newLimiter, ratelimit.Config{Login: ratelimit.Rate{PerMinute: 6, Burst: 3}})
	for i := range 3 {
		if d := l.AllowLogin(ctx, "ip:192.0.2.1"); !d.Allowed || d.Remaining != 2-i || d.Scope != "login" || d.Limit != 3 {
			t.Fatalf("attempt %d: got %+v, want allowed with %d left, login, limit 3", i+1, d, 2-i)
		}
	}
	d := l.AllowLogin(ctx, "ip:192.0.2.1")
	if d.Allowed || d.RetryAfter != 10*time.Second || copydesk.ErrorCode(d.Err()) != copydesk.ERATELIMITED || d.Reset != 30*time.Second {
		t.Errorf("4th attempt: got %+v, want refused, retry after 10s, reset 30s", d)
	}
	if !l.AllowLogin(ctx, "ip:192.0.2.2").Allowed {
		t.Errorf("another address: got refused, want its own bucket")
	}
	// Login buckets are not user buckets.
	if !l.Allow(ctx, copydesk.Principal{UserID: "ip:192.0.2.1", CustomerID: "cus_1", Role: copydesk.RoleUser}, copydesk.PriorityHigh).Allowed {
		t.Errorf("a user named like the login key: got refused, want its own bucket")
	}
	clock.Add(10 * time.Second)
	if !l.AllowLogin(ctx, "ip:192.0.2.1").Allowed {
		t.Errorf("after 10s: got refused, want one attempt refilled")
	}
}

// testRolesShareTheCustomer: users of different roles, each at its role's
// rate, draw on one customer bucket.
func testRolesShareTheCustomer(t *testing.T, newLimiter Factory) {
	ctx := t.Context()
	l, _ := mustLimiter(t, newLimiter, ratelimit.Config{
		Roles:    map[copydesk.Role]ratelimit.Rate{copydesk.RoleAdmin: {PerMinute: 5}, copydesk.RoleUser: {PerMinute: 1, Burst: 1}},
		Customer: ratelimit.Rate{PerMinute: 8},
	})
	admin := copydesk.Principal{UserID: "usr_a", CustomerID: "cus_3", Role: copydesk.RoleAdmin}
	if got := Drain(ctx, l, admin, copydesk.PriorityHigh, 10); got != 5 {
		t.Errorf("ADMIN: got %d, want 5", got)
	}
	u := copydesk.Principal{UserID: "usr_b", CustomerID: "cus_3", Role: copydesk.RoleUser}
	if got := Drain(ctx, l, u, copydesk.PriorityHigh, 10); got != 1 {
		t.Errorf("USER with burst 1: got %d, want 1", got)
	}
	if d := l.Allow(ctx, u, copydesk.PriorityHigh); d.RetryAfter != time.Minute || d.Scope != "user" {
		t.Errorf("USER refused: got %+v, want retry after 1m, user", d)
	}
}

// testKeyBucket: a key with a rate limit of its own has its own bucket,
// checked besides its user's and customer's; the user's other keys and a
// key without one are limited by the user's bucket only.
func testKeyBucket(t *testing.T, newLimiter Factory) {
	ctx := t.Context()
	l, clock := mustLimiter(t, newLimiter, ratelimit.Config{Roles: map[copydesk.Role]ratelimit.Rate{copydesk.RoleUser: {PerMinute: 100}}})
	k1 := user
	k1.KeyID, k1.KeyRateLimit = "key_1", &copydesk.RateLimit{PerMinute: 60, Burst: 3}
	k2 := user
	k2.KeyID, k2.KeyRateLimit = "key_2", &copydesk.RateLimit{PerMinute: 60, Burst: 5}
	plain := user
	plain.KeyID = "key_3"
	d := l.Allow(ctx, k1, copydesk.PriorityHigh)
	if !d.Allowed || d.Limit != 3 || d.Remaining != 2 || d.Scope != "key" {
		t.Errorf("first request of a limited key: got %+v, want allowed, limit 3, remaining 2, key", d)
	}
	if got := Drain(ctx, l, k1, copydesk.PriorityHigh, 10); got != 2 {
		t.Errorf("the key's burst: got %d more allowed, want 2", got)
	}
	d = l.Allow(ctx, k1, copydesk.PriorityHigh)
	if d.Allowed || d.Scope != "key" || d.RetryAfter != time.Second {
		t.Errorf("empty key bucket: got %+v, want refused by the key, retry after 1s", d)
	}
	if got := Drain(ctx, l, k2, copydesk.PriorityHigh, 10); got != 5 {
		t.Errorf("another key of the same user: got %d allowed, want its own burst of 5", got)
	}
	if got := Drain(ctx, l, plain, copydesk.PriorityHigh, 200); got != 100-3-5 {
		t.Errorf("a key without a rate limit: got %d allowed, want the user's %d left", got, 100-3-5)
	}
	clock.Add(time.Hour)
	// The user's bucket binds a limited key too.
	if got := Drain(ctx, l, user, copydesk.PriorityHigh, 98); got != 98 {
		t.Fatalf("the user alone: got %d allowed, want 98", got)
	}
	if got := Drain(ctx, l, k2, copydesk.PriorityHigh, 10); got != 2 {
		t.Errorf("a limited key of a user with 2 tokens left: got %d allowed, want 2", got)
	}
}
