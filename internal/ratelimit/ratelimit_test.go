package ratelimit_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/ratelimit"
	"github.com/copydesk/copydesk/internal/storetest"
)

var (
	user   = copydesk.Principal{UserID: "usr_1", CustomerID: "cus_1", Role: copydesk.RoleUser}
	user2  = copydesk.Principal{UserID: "usr_2", CustomerID: "cus_1", Role: copydesk.RoleUser}
	client = copydesk.Principal{UserID: "usr_3", CustomerID: "cus_1", Role: copydesk.RoleClient}
	other  = copydesk.Principal{UserID: "usr_9", CustomerID: "cus_2", Role: copydesk.RoleUser}
)

func MustLimiter(tb testing.TB, cfg ratelimit.Config) (*ratelimit.Limiter, *storetest.Clock) {
	tb.Helper()
	clock := storetest.NewClock(storetest.Epoch())
	l, err := ratelimit.New(cfg, clock)
	if err != nil {
		tb.Fatal(err)
	}
	return l, clock
}

// drain makes n requests and returns how many were allowed.
func drain(l *ratelimit.Limiter, p copydesk.Principal, prio copydesk.Priority, n int) int {
	ok := 0
	for range n {
		if l.Allow(p, prio).Allowed {
			ok++
		}
	}
	return ok
}

func TestUserBucket(t *testing.T) {
	t.Parallel()
	l, clock := MustLimiter(t, ratelimit.Config{Roles: map[copydesk.Role]ratelimit.Rate{copydesk.RoleUser: {PerMinute: 60, Burst: 10}}})
	d := l.Allow(user, copydesk.PriorityHigh)
	if !d.Allowed || d.Limit != 10 || d.Remaining != 9 || d.Scope != "user" {
		t.Errorf("first request: got %+v, want allowed, limit 10, remaining 9, user", d)
	}
	if got := drain(l, user, copydesk.PriorityHigh, 20); got != 9 {
		t.Errorf("burst: got %d more allowed, want 9", got)
	}
	d = l.Allow(user, copydesk.PriorityHigh)
	if d.Allowed || d.RetryAfter != time.Second || d.Remaining != 0 {
		t.Errorf("empty bucket: got %+v, want refused, retry after 1s (60/min), remaining 0", d)
	}
	if got := copydesk.ErrorCode(d.Err()); got != copydesk.ERATELIMITED {
		t.Errorf("Err: got %q, want %q", got, copydesk.ERATELIMITED)
	}
	if e := d.Err().(*copydesk.Error); e.RetryAfter != time.Second {
		t.Errorf("Err RetryAfter: got %s, want 1s", e.RetryAfter)
	}
	// Another user of the same customer has its own bucket.
	if !l.Allow(user2, copydesk.PriorityHigh).Allowed {
		t.Errorf("another user: got refused, want allowed")
	}
	clock.Add(999 * time.Millisecond)
	if l.Allow(user, copydesk.PriorityHigh).Allowed {
		t.Errorf("after 999ms: got allowed, want refused")
	}
	clock.Add(time.Millisecond)
	if !l.Allow(user, copydesk.PriorityHigh).Allowed {
		t.Errorf("after 1s: got refused, want one token refilled")
	}
	clock.Add(time.Hour)
	if got := drain(l, user, copydesk.PriorityHigh, 20); got != 10 {
		t.Errorf("after an hour: got %d allowed, want the burst of 10 (capped)", got)
	}
}

func TestCustomerBucket(t *testing.T) {
	t.Parallel()
	l, _ := MustLimiter(t, ratelimit.Config{
		Roles:    map[copydesk.Role]ratelimit.Rate{copydesk.RoleUser: {PerMinute: 100}},
		Customer: ratelimit.Rate{PerMinute: 15},
	})
	a, b := drain(l, user, copydesk.PriorityHigh, 10), drain(l, user2, copydesk.PriorityHigh, 10)
	if a != 10 || b != 5 {
		t.Errorf("got %d and %d allowed, want 10 and 5 (the customer's 15 shared)", a, b)
	}
	d := l.Allow(user2, copydesk.PriorityHigh)
	if d.Allowed || d.Scope != "customer" || d.Limit != 15 {
		t.Errorf("refusal: got %+v, want the customer's bucket named, limit 15", d)
	}
	// A refusal by the customer takes nothing from the user's bucket.
	if got := drain(l, other, copydesk.PriorityHigh, 3); got != 3 {
		t.Errorf("another customer: got %d allowed, want 3", got)
	}
}

func TestLowPriorityThrottledFirst(t *testing.T) {
	t.Parallel()
	l, clock := MustLimiter(t, ratelimit.Config{
		Roles:             map[copydesk.Role]ratelimit.Rate{copydesk.RoleUser: {PerMinute: 60, Burst: 10}},
		LowReservePercent: 40,
	})
	if got := drain(l, user, copydesk.PriorityLow, 20); got != 6 {
		t.Errorf("LOW: got %d allowed, want 6 (down to 40%% of 10)", got)
	}
	d := l.Allow(user, copydesk.PriorityLow)
	if d.Allowed || d.RetryAfter != time.Second {
		t.Errorf("LOW at the reserve: got %+v, want refused, retry after 1s", d)
	}
	if got := drain(l, user, copydesk.PriorityHigh, 20); got != 4 {
		t.Errorf("HIGH after LOW: got %d allowed, want the reserved 4", got)
	}
	clock.Add(2 * time.Second)
	if l.Allow(user, copydesk.PriorityLow).Allowed {
		t.Errorf("LOW with 2 tokens: got allowed, want refused (below the reserve)")
	}
	if !l.Allow(user, copydesk.PriorityCritical).Allowed {
		t.Errorf("CRITICAL with 2 tokens: got refused, want allowed")
	}
}

func TestPerCustomerOverrideAndUnlimited(t *testing.T) {
	t.Parallel()
	l, _ := MustLimiter(t, ratelimit.Config{
		Roles:    map[copydesk.Role]ratelimit.Rate{copydesk.RoleUser: {PerMinute: 2}, copydesk.RoleClient: {PerMinute: 4}},
		Customer: ratelimit.Rate{PerMinute: -1},
		Customers: map[string]ratelimit.CustomerRates{
			"cus_2": {User: ratelimit.Rate{PerMinute: 7}},
		},
	})
	if got := drain(l, user, copydesk.PriorityHigh, 10); got != 2 {
		t.Errorf("USER: got %d, want 2", got)
	}
	if got := drain(l, client, copydesk.PriorityHigh, 10); got != 4 {
		t.Errorf("CLIENT: got %d, want 4 (role rate)", got)
	}
	if got := drain(l, other, copydesk.PriorityHigh, 10); got != 7 {
		t.Errorf("user of cus_2: got %d, want 7 (customer override)", got)
	}
	unl, _ := MustLimiter(t, ratelimit.Config{
		Roles:    map[copydesk.Role]ratelimit.Rate{copydesk.RoleUser: {PerMinute: -1}},
		Customer: ratelimit.Rate{PerMinute: -1},
	})
	d := unl.Allow(user, copydesk.PriorityLow)
	h := http.Header{}
	d.SetHeaders(h)
	if !d.Allowed || len(h) != 0 {
		t.Errorf("unlimited: got %+v and headers %v, want allowed and no headers", d, h)
	}
}

func TestHeaders(t *testing.T) {
	t.Parallel()
	l, _ := MustLimiter(t, ratelimit.Config{Roles: map[copydesk.Role]ratelimit.Rate{copydesk.RoleUser: {PerMinute: 6, Burst: 2}}})
	h := http.Header{}
	l.Allow(user, copydesk.PriorityHigh).SetHeaders(h)
	want := map[string]string{"RateLimit-Limit": "2", "RateLimit-Remaining": "1", "RateLimit-Reset": "10"}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s: got %q, want %q", k, got, v)
		}
	}
	if h.Get("Retry-After") != "" {
		t.Errorf("Retry-After on an allowed request: got %q, want none", h.Get("Retry-After"))
	}
	l.Allow(user, copydesk.PriorityHigh)
	h = http.Header{}
	d := l.Allow(user, copydesk.PriorityHigh)
	d.SetHeaders(h)
	if d.Allowed || h.Get("Retry-After") != "10" || h.Get("RateLimit-Remaining") != "0" || h.Get("RateLimit-Reset") != "20" {
		t.Errorf("refused: got headers %v, want Retry-After 10, Remaining 0, Reset 20", h)
	}
}

func TestAllowLogin(t *testing.T) {
	t.Parallel()
	l, clock := MustLimiter(t, ratelimit.Config{Login: ratelimit.Rate{PerMinute: 6, Burst: 3}})
	for i := range 3 {
		if d := l.AllowLogin("ip:192.0.2.1"); !d.Allowed || d.Remaining != 2-i {
			t.Fatalf("attempt %d: got %+v, want allowed with %d left", i+1, d, 2-i)
		}
	}
	d := l.AllowLogin("ip:192.0.2.1")
	if d.Allowed || d.RetryAfter != 10*time.Second || copydesk.ErrorCode(d.Err()) != copydesk.ERATELIMITED {
		t.Errorf("4th attempt: got %+v, want refused, retry after 10s", d)
	}
	if !l.AllowLogin("ip:192.0.2.2").Allowed {
		t.Errorf("another address: got refused, want its own bucket")
	}
	clock.Add(10 * time.Second)
	if !l.AllowLogin("ip:192.0.2.1").Allowed {
		t.Errorf("after 10s: got refused, want one attempt refilled")
	}
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
		l.Allow(p, copydesk.PriorityHigh)
		clock.Add(time.Second)
	}
	if n := l.Buckets(); n > 100+1 {
		t.Errorf("buckets: got %d, want at most 100 users + 1 customer", n)
	}
	if !l.Allow(copydesk.Principal{UserID: "usr_new", CustomerID: "cus_9", Role: copydesk.RoleUser}, copydesk.PriorityLow).Allowed {
		t.Errorf("fresh user after evictions: got refused, want allowed")
	}
}

func BenchmarkAllow(b *testing.B) {
	l, _ := ratelimit.New(ratelimit.Config{Roles: map[copydesk.Role]ratelimit.Rate{copydesk.RoleUser: {PerMinute: -1}}, Customer: ratelimit.Rate{PerMinute: -1}}, nil)
	l2, _ := ratelimit.New(ratelimit.Config{}, nil)
	b.Run("Unlimited", func(b *testing.B) {
		for b.Loop() {
			l.Allow(user, copydesk.PriorityHigh)
		}
	})
	b.Run("TwoBuckets", func(b *testing.B) {
		for b.Loop() {
			l2.Allow(user, copydesk.PriorityHigh)
		}
	})
}
