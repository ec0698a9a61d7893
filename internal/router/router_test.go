package router

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/providerlimit"
	"github.com/google/go-cmp/cmp"
)

// trail renders a decision's attempts as "endpoint/key:outcome[:kind]".
func trail(dec Decision) []string {
	var out []string
	for _, a := range dec.Attempts {
		s := fmt.Sprintf("%s/%d:%s", a.Endpoint, a.Key, a.Outcome)
		if a.ErrorKind != "" {
			s += ":" + string(a.ErrorKind)
		}
		out = append(out, s)
	}
	return out
}

// MustRouterError checks err is a *Error with the domain code and returns it.
func MustRouterError(tb testing.TB, err error, code string) *Error {
	tb.Helper()
	var re *Error
	if !errors.As(err, &re) {
		tb.Fatalf("got error %v (%T), want a *router.Error", err, err)
	}
	if got := copydesk.ErrorCode(err); got != code {
		tb.Fatalf("got code %q (%v), want %q", got, err, code)
	}
	if msg := copydesk.ErrorMessage(err); strings.Contains(msg, "sk-secret") {
		tb.Errorf("message %q leaks the provider's message", msg)
	}
	return re
}

// TestSelectMatrix is the plan's model-selection matrix, plus the priority,
// budget and default rules.
func TestSelectMatrix(t *testing.T) {
	t.Parallel()
	f := MustFixture(t, nil)
	for _, tc := range []struct {
		kind       string
		priority   copydesk.Priority
		budgetLeft float64
		wantClass  string
		wantReason string
	}{
		{"analysis", copydesk.PriorityHigh, -1, ClassQuality, "kind analysis uses quality"},
		{"analysis.tone", copydesk.PriorityLow, -1, ClassQuality, "kind analysis.tone uses quality"},
		{"seo", copydesk.PriorityHigh, 0.9, ClassQuality, "kind seo uses quality"},
		{"translation", copydesk.PriorityMedium, -1, ClassFast, "kind translation uses fast"},
		{"translation", copydesk.PriorityCritical, -1, ClassFast, "kind translation uses fast"},
		{"grammar", copydesk.PriorityMedium, -1, ClassFast, "kind grammar uses fast"},
		{"generation.simple", copydesk.PriorityLow, -1, ClassBudget, "kind generation.simple uses budget"},
		{"bulk", copydesk.PriorityLow, -1, ClassBudget, "kind bulk uses budget"},
		{"bulkhead", copydesk.PriorityHigh, -1, ClassQuality, "no rule for kind bulkhead"},
		{"generation.page", copydesk.PriorityCritical, -1, ClassQuality, "priority CRITICAL uses quality"},
		{"generation.page", copydesk.PriorityLow, -1, ClassFast, "priority LOW uses fast"},
		{"generation.page", 0, -1, ClassQuality, "default class quality"},
		{"analysis", copydesk.PriorityCritical, 0.19, ClassBudget, "budget left 19% is below 20%"},
		{"analysis", copydesk.PriorityCritical, 0, ClassBudget, "budget left 0% is below 20%"},
		{"analysis", copydesk.PriorityCritical, 0.2, ClassQuality, "kind analysis uses quality"},
	} {
		name := fmt.Sprintf("%s/%s/%g", tc.kind, tc.priority, tc.budgetLeft)
		t.Run(name, func(t *testing.T) {
			call := userCall(tc.kind, tc.priority)
			call.BudgetLeft = tc.budgetLeft
			class, _, reason, err := f.r.Select(call)
			if err != nil {
				t.Fatal(err)
			}
			if class != tc.wantClass {
				t.Errorf("got class %q, want %q", class, tc.wantClass)
			}
			if !strings.Contains(reason, tc.wantReason) {
				t.Errorf("got reason %q, want it to contain %q", reason, tc.wantReason)
			}
		})
	}
}

func TestSelectRequestedModel(t *testing.T) {
	t.Parallel()
	f := MustFixture(t, nil)
	for _, tc := range []struct {
		model     string
		wantChain []string
	}{
		{"claude-sonnet-4", []string{"an-quality"}},
		{"fast", []string{"an-fast", "oa-fast"}},
		{"oa-budget", []string{"oa-budget"}},
	} {
		call := userCall("analysis", copydesk.PriorityHigh)
		call.BudgetLeft = 0 // an explicit model bypasses the rules
		call.Request.Model = tc.model
		_, chain, _, err := f.r.Select(call)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(chain, tc.wantChain) {
			t.Errorf("model %q: got chain %v, want %v", tc.model, chain, tc.wantChain)
		}
	}
	call := userCall("analysis", copydesk.PriorityHigh)
	call.Request.Model = "gpt-9"
	_, _, _, err := f.r.Select(call)
	if copydesk.ErrorCode(err) != copydesk.ENOMODEL || !strings.Contains(copydesk.ErrorMessage(err), "quality") {
		t.Errorf("unknown model: got %v, want ENOMODEL naming the classes", err)
	}
	call.Request.Model = ""
	call.Priority = 7
	if _, _, _, err := f.r.Select(call); copydesk.ErrorCode(err) != copydesk.EINVALID {
		t.Errorf("priority 7: got %v, want EINVALID", err)
	}
}

// TestLoadRule: a primary over 80 % of its concurrency goes last.
func TestLoadRule(t *testing.T) {
	t.Parallel()
	f := MustFixture(t, func(c *Config) {
		ep := c.Endpoints["oa-quality"]
		ep.Limits = providerlimit.Config{Concurrency: 10}
		c.Endpoints["oa-quality"] = ep
	})
	lim := f.r.eps["oa-quality"].limiter
	for i := 1; i <= 9; i++ {
		if _, err := lim.TryAcquire(copydesk.PriorityHigh, 0); err != nil {
			t.Fatal(err)
		}
		_, chain, reason, _ := f.r.Select(userCall("analysis", copydesk.PriorityHigh))
		wantChain := []string{"oa-quality", "an-quality"}
		if i > 8 { // 9/10 is over 80 %
			wantChain = []string{"an-quality", "oa-quality"}
			if !strings.Contains(reason, "oa-quality at 90% of its concurrency, so an-quality first") {
				t.Errorf("got reason %q, want the load rule", reason)
			}
		}
		if !slices.Equal(chain, wantChain) {
			t.Errorf("with %d of 10 in flight: got chain %v, want %v", i, chain, wantChain)
		}
	}
	var st copydesk.EndpointStats
	for _, s := range f.r.Stats() {
		if s.Name == "oa-quality" {
			st = s
		}
	}
	want := copydesk.EndpointStats{Name: "oa-quality", Provider: "openai", Model: "gpt-4.1", InFlight: 9, Load: 0.9, Breakers: []string{"closed", "closed"}}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

// TestFailover runs each error class on the quality primary's first key.
func TestFailover(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		kind      copydesk.ProviderErrorKind
		wantTrail []string
		wantCode  string // "" for success
	}{
		// Rate limited: rotate to the next key, no wait.
		{copydesk.ProviderRateLimited, []string{"oa-quality/0:error:rate_limited", "oa-quality/1:ok"}, ""},
		// Auth: key dead, rotate, no wait.
		{copydesk.ProviderAuth, []string{"oa-quality/0:error:auth", "oa-quality/1:ok"}, ""},
		// Server-side failures: the next endpoint, not the next key.
		{copydesk.ProviderServer, []string{"oa-quality/0:error:server", "an-quality/0:ok"}, ""},
		{copydesk.ProviderOverloaded, []string{"oa-quality/0:error:overloaded", "an-quality/0:ok"}, ""},
		{copydesk.ProviderTimeout, []string{"oa-quality/0:error:timeout", "an-quality/0:ok"}, ""},
		{copydesk.ProviderNetwork, []string{"oa-quality/0:error:network", "an-quality/0:ok"}, ""},
		{copydesk.ProviderTruncated, []string{"oa-quality/0:error:truncated", "an-quality/0:ok"}, ""},
		// The request itself is wrong: no retry anywhere.
		{copydesk.ProviderBadRequest, []string{"oa-quality/0:error:bad_request"}, copydesk.EINVALID},
		{copydesk.ProviderInvalid, []string{"oa-quality/0:error:invalid"}, copydesk.EUNAVAILABLE},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			t.Parallel()
			f := MustFixture(t, nil)
			f.oa[0].steps = []step{{kind: tc.kind}}
			res, err := f.r.Complete(context.Background(), userCall("analysis", copydesk.PriorityHigh))
			var dec Decision
			if tc.wantCode == "" {
				if err != nil {
					t.Fatalf("got %v, want success", err)
				}
				dec = res.Decision
				if res.Usage.Attempts != 2 {
					t.Errorf("got %d attempts in usage, want 2", res.Usage.Attempts)
				}
			} else {
				re := MustRouterError(t, err, tc.wantCode)
				dec = re.Decision
				var pe *copydesk.ProviderError
				if !errors.As(err, &pe) || pe.Kind != tc.kind {
					t.Errorf("got %v, want it to unwrap to the %s provider error", err, tc.kind)
				}
			}
			if diff := cmp.Diff(tc.wantTrail, trail(dec)); diff != "" {
				t.Errorf("attempts (-want +got):\n%s", diff)
			}
			if s := f.clock.Sleeps(); len(s) != 0 {
				t.Errorf("got sleeps %v, want none", s)
			}
		})
	}
}

func TestDeadKeyRotation(t *testing.T) {
	t.Parallel()
	f := MustFixture(t, func(c *Config) { c.DeadKeyRecheck = 5 * time.Minute })
	f.oa[0].steps = []step{{kind: copydesk.ProviderAuth}}
	call := userCall("analysis", copydesk.PriorityHigh)
	if _, err := f.r.Complete(context.Background(), call); err != nil {
		t.Fatal(err)
	}
	// Round robin would start with key 1 now; run twice to have key 0 first.
	for range 2 {
		res, err := f.r.Complete(context.Background(), call)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range res.Decision.Attempts {
			if a.Key == 0 && a.Outcome != copydesk.OutcomeKeyDead {
				t.Errorf("dead key 0 was called: %v", trail(res.Decision))
			}
		}
	}
	if got := f.oa[0].Calls(); got != 1 {
		t.Errorf("dead key got %d calls, want 1", got)
	}
	f.clock.Advance(5 * time.Minute)
	for range 2 {
		if _, err := f.r.Complete(context.Background(), call); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.oa[0].Calls(); got != 2 {
		t.Errorf("after the recheck period key 0 got %d calls in all, want 2", got)
	}

	// Every key dead: EUNAVAILABLE naming the credentials, without a call.
	g := MustFixture(t, func(c *Config) { c.Classes[ClassQuality] = []string{"oa-quality"} })
	g.oa[0].steps = []step{{kind: copydesk.ProviderAuth}}
	g.oa[1].steps = []step{{kind: copydesk.ProviderAuth}}
	_, err := g.r.Complete(context.Background(), call)
	re := MustRouterError(t, err, copydesk.EUNAVAILABLE)
	if want := []string{"oa-quality/0:error:auth", "oa-quality/1:error:auth"}; !slices.Equal(trail(re.Decision), want) {
		t.Errorf("got %v, want %v", trail(re.Decision), want)
	}
	_, err = g.r.Complete(context.Background(), call)
	re = MustRouterError(t, err, copydesk.EUNAVAILABLE)
	if !strings.Contains(copydesk.ErrorMessage(err), "check the credentials") {
		t.Errorf("got message %q, want a hint about credentials", copydesk.ErrorMessage(err))
	}
	if want := []string{"oa-quality/1:key_dead", "oa-quality/0:key_dead"}; !slices.Equal(trail(re.Decision), want) {
		t.Errorf("got %v, want %v", trail(re.Decision), want)
	}
}

// TestBackoff: a single endpoint failing with 5xx is retried after 2 s and 4 s.
func TestBackoff(t *testing.T) {
	t.Parallel()
	f := MustFixture(t, func(c *Config) { c.Classes[ClassBudget] = []string{"gm-budget"} })
	f.gm.steps = []step{{kind: copydesk.ProviderServer}, {kind: copydesk.ProviderOverloaded}}
	res, err := f.r.Complete(context.Background(), userCall("bulk", copydesk.PriorityLow))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]time.Duration{2 * time.Second, 4 * time.Second}, f.clock.Sleeps()); diff != "" {
		t.Errorf("sleeps (-want +got):\n%s", diff)
	}
	want := []string{"gm-budget/0:error:server", "gm-budget/0:error:overloaded", "gm-budget/0:ok"}
	if diff := cmp.Diff(want, trail(res.Decision)); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}
	if got := res.Decision.Attempts[2].Wait; got != 4*time.Second {
		t.Errorf("got wait %s recorded on the third attempt, want 4s", got)
	}
	if res.Usage.Latency != 6*time.Second {
		t.Errorf("got latency %s, want 6s", res.Usage.Latency)
	}
}

func TestBackoffJitterAndCap(t *testing.T) {
	t.Parallel()
	r := &Router{cfg: Config{Retry: RetryConfig{BaseDelay: 2 * time.Second, MaxDelay: 30 * time.Second, MaxRetryAfter: time.Minute}}}
	var ceilings []int64
	r.rand = func(n int64) int64 { ceilings = append(ceilings, n); return 0 }
	for round := range 6 {
		if got := r.backoff(round, 0); got != 1 {
			t.Errorf("round %d with zero jitter: got %s, want 1ns", round, got)
		}
	}
	want := []int64{2e9, 4e9, 8e9, 16e9, 30e9, 30e9}
	if !slices.Equal(ceilings, want) {
		t.Errorf("got jitter ceilings %v, want %v", ceilings, want)
	}
	if got := r.backoff(0, 10*time.Second); got != 10*time.Second {
		t.Errorf("Retry-After 10s: got %s, want 10s", got)
	}
	if got := r.backoff(0, time.Hour); got != time.Minute {
		t.Errorf("Retry-After 1h: got %s, want the 1m cap", got)
	}
	if got := r.backoff(1000, 0); got != 1 {
		t.Errorf("round 1000: got %s, want no overflow", got)
	}
}

// TestRetryAfter: with no other key or endpoint, a 429's Retry-After is
// slept, up to the cap.
func TestRetryAfter(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		retryAfter time.Duration
		wantSleep  time.Duration
	}{
		{"honoured", 7 * time.Second, 7 * time.Second},
		{"shorter than backoff", 500 * time.Millisecond, 2 * time.Second},
		{"capped", 10 * time.Minute, 45 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := MustFixture(t, func(c *Config) {
				c.Classes[ClassBudget] = []string{"gm-budget"}
				c.Retry.MaxRetryAfter = 45 * time.Second
			})
			f.gm.steps = []step{{kind: copydesk.ProviderRateLimited, retryAfter: tc.retryAfter}}
			if _, err := f.r.Complete(context.Background(), userCall("bulk", copydesk.PriorityLow)); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]time.Duration{tc.wantSleep}, f.clock.Sleeps()); diff != "" {
				t.Errorf("sleeps (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRateLimitPrefersFailover: with another endpoint available a 429 is not
// slept on.
func TestRateLimitPrefersFailover(t *testing.T) {
	t.Parallel()
	f := MustFixture(t, nil)
	f.gm.steps = []step{{kind: copydesk.ProviderRateLimited, retryAfter: 30 * time.Second}}
	res, err := f.r.Complete(context.Background(), userCall("bulk", copydesk.PriorityLow))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"gm-budget/0:error:rate_limited", "oa-budget/0:ok"}; !slices.Equal(trail(res.Decision), want) {
		t.Errorf("got %v, want %v", trail(res.Decision), want)
	}
	if s := f.clock.Sleeps(); len(s) != 0 {
		t.Errorf("got sleeps %v, want none", s)
	}
}

// TestRetryAfterRemembered: a key that answered 429 with a Retry-After is
// skipped by later calls until it has passed.
func TestRetryAfterRemembered(t *testing.T) {
	t.Parallel()
	f := MustFixture(t, nil)
	f.gm.steps = []step{{kind: copydesk.ProviderRateLimited, retryAfter: 30 * time.Second}}
	call := userCall("bulk", copydesk.PriorityLow)
	for i, want := range [][]string{
		{"gm-budget/0:error:rate_limited", "oa-budget/0:ok"},
		{"gm-budget/0:key_cooling", "oa-budget/1:ok"},
	} {
		res, err := f.r.Complete(context.Background(), call)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, trail(res.Decision)); diff != "" {
			t.Errorf("call %d attempts (-want +got):\n%s", i+1, diff)
		}
	}
	f.clock.Advance(30 * time.Second)
	res, err := f.r.Complete(context.Background(), call)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"gm-budget/0:ok"}; !slices.Equal(trail(res.Decision), want) {
		t.Errorf("after the Retry-After: got %v, want %v", trail(res.Decision), want)
	}

	// The only key is cooling: the call waits the rest of the Retry-After.
	g := MustFixture(t, func(c *Config) { c.Classes[ClassBudget] = []string{"gm-budget"} })
	g.gm.steps = []step{{kind: copydesk.ProviderRateLimited, retryAfter: 20 * time.Second}}
	if _, err := g.r.Complete(context.Background(), call); err != nil {
		t.Fatal(err)
	}
	g.gm.steps = []step{{kind: copydesk.ProviderRateLimited, retryAfter: 20 * time.Second}}
	ctx, cancel := context.WithDeadline(context.Background(), g.clock.Now().Add(5*time.Second))
	defer cancel()
	_, err = g.r.Complete(ctx, call) // 429 again, and the deadline is too near to wait
	MustRouterError(t, err, copydesk.ERATELIMITED)
	g.clock.Advance(15 * time.Second)
	res, err = g.r.Complete(context.Background(), call)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"gm-budget/0:key_cooling", "gm-budget/0:ok"}; !slices.Equal(trail(res.Decision), want) {
		t.Errorf("cooling single key: got %v, want %v", trail(res.Decision), want)
	}
	if got := g.clock.Sleeps(); !slices.Equal(got, []time.Duration{20 * time.Second, 5 * time.Second}) {
		t.Errorf("got sleeps %v, want [20s 5s]", got)
	}
}

func TestMaxAttempts(t *testing.T) {
	t.Parallel()
	f := MustFixture(t, func(c *Config) {
		c.Retry.MaxAttempts = 3
		c.Breaker.Consecutive = 100
	})
	fail := []step{{kind: copydesk.ProviderServer}, {kind: copydesk.ProviderServer}, {kind: copydesk.ProviderServer}}
	f.oa[0].steps = slices.Clone(fail)
	f.oa[1].steps = slices.Clone(fail)
	f.an.steps = slices.Clone(fail)
	_, err := f.r.Complete(context.Background(), userCall("seo", copydesk.PriorityHigh))
	re := MustRouterError(t, err, copydesk.EUNAVAILABLE)
	want := []string{"oa-quality/0:error:server", "an-quality/0:error:server", "oa-quality/1:error:server"}
	if diff := cmp.Diff(want, trail(re.Decision)); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}
	var pe *copydesk.ProviderError
	if !errors.As(err, &pe) || pe.Provider != "openai" {
		t.Errorf("got %v, want it to unwrap to the last provider error (openai)", err)
	}
	if diff := cmp.Diff([]time.Duration{2 * time.Second}, f.clock.Sleeps()); diff != "" {
		t.Errorf("sleeps (-want +got):\n%s", diff)
	}
}

func TestDeadlineShorterThanBackoff(t *testing.T) {
	t.Parallel()
	f := MustFixture(t, func(c *Config) { c.Classes[ClassBudget] = []string{"gm-budget"} })
	f.gm.steps = []step{{kind: copydesk.ProviderServer}}
	ctx, cancel := context.WithDeadline(context.Background(), f.clock.Now().Add(time.Second))
	defer cancel()
	_, err := f.r.Complete(ctx, userCall("bulk", copydesk.PriorityLow))
	MustRouterError(t, err, copydesk.EUNAVAILABLE)
	if s := f.clock.Sleeps(); len(s) != 0 {
		t.Errorf("got sleeps %v, want none: the backoff outlasts the deadline", s)
	}
}

func TestCancelled(t *testing.T) {
	t.Parallel()
	f := MustFixture(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := f.r.Complete(ctx, userCall("seo", copydesk.PriorityHigh))
	MustRouterError(t, err, copydesk.ECANCELLED)
	if f.oa[0].Calls()+f.an.Calls() > 1 {
		t.Errorf("a cancelled call was failed over")
	}
}

// TestTimeout: an endpoint's timeout ends a slow call and fails over.
func TestTimeout(t *testing.T) {
	t.Parallel()
	f := MustFixture(t, func(c *Config) {
		ep := c.Endpoints["oa-quality"]
		ep.Timeout = 20 * time.Millisecond
		c.Endpoints["oa-quality"] = ep
	})
	f.oa[0].steps = []step{{block: true}}
	res, err := f.r.Complete(context.Background(), userCall("seo", copydesk.PriorityHigh))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"oa-quality/0:error:timeout", "an-quality/0:ok"}; !slices.Equal(trail(res.Decision), want) {
		t.Errorf("got %v, want %v", trail(res.Decision), want)
	}
}

func TestBreaker(t *testing.T) {
	t.Parallel()
	f := MustFixture(t, func(c *Config) {
		c.Classes[ClassFast] = []string{"oa-fast", "an-fast"}
		c.Retry.MaxAttempts = 1
	})
	call := userCall("translation", copydesk.PriorityMedium)
	state := func() string { return f.r.BreakerState("oa-fast", 0) }
	// Keep key 1 out of the way: it is dead.
	f.r.keys["openai"][1].deadUntil.Store(f.clock.Now().Add(time.Hour).UnixNano())

	f.oa[0].steps = []step{{kind: copydesk.ProviderServer}, {kind: copydesk.ProviderServer}, {kind: copydesk.ProviderServer}}
	for i := range 3 {
		if got := state(); got != copydesk.BreakerClosed {
			t.Fatalf("after %d failures: got %s, want closed", i, got)
		}
		f.r.Complete(context.Background(), call)
	}
	if got := state(); got != copydesk.BreakerOpen {
		t.Fatalf("after 3 failures: got %s, want open", got)
	}
	res, err := f.r.Complete(context.Background(), call)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"oa-fast/1:key_dead", "oa-fast/0:breaker_open", "an-fast/0:ok"}; !slices.Equal(trail(res.Decision), want) {
		t.Errorf("open breaker: got %v, want %v", trail(res.Decision), want)
	}

	// After the cooldown one probe goes through; it fails: open again.
	f.clock.Advance(30 * time.Second)
	if got := state(); got != copydesk.BreakerHalfOpen {
		t.Fatalf("after cooldown: got %s, want half_open", got)
	}
	f.oa[0].steps = []step{{kind: copydesk.ProviderServer}}
	f.r.Complete(context.Background(), call)
	if got := state(); got != copydesk.BreakerOpen {
		t.Fatalf("after a failed probe: got %s, want open", got)
	}
	// Only one probe at a time in half-open.
	f.clock.Advance(30 * time.Second)
	b := f.r.eps["oa-fast"].breaker[0]
	if !b.allow(f.clock.Now()) {
		t.Fatal("half-open breaker refused the probe")
	}
	if b.allow(f.clock.Now()) {
		t.Error("half-open breaker let a second call through during the probe")
	}
	b.cancel()
	// A successful probe closes it.
	res, err = f.r.Complete(context.Background(), call)
	if err != nil {
		t.Fatal(err)
	}
	if got := state(); got != copydesk.BreakerClosed {
		t.Errorf("after a successful probe: got %s, want closed", got)
	}
	if want := []string{"oa-fast/1:key_dead", "oa-fast/0:ok"}; !slices.Equal(trail(res.Decision), want) {
		t.Errorf("probe: got %v, want %v", trail(res.Decision), want)
	}
}

func TestBreakerFailureRate(t *testing.T) {
	t.Parallel()
	b := newBreaker(BreakerConfig{Consecutive: 100, Window: time.Minute, MinRequests: 4, FailureRate: 0.5, Cooldown: time.Second})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, failed := range []bool{true, false, true} {
		b.record(now.Add(time.Duration(i)*time.Second), failed)
	}
	if got := b.State(now); got != copydesk.BreakerClosed {
		t.Fatalf("2 of 3 failed, below MinRequests: got %s, want closed", got)
	}
	// A new window forgets the old calls.
	later := now.Add(2 * time.Minute)
	b.record(later, false)
	if got := b.State(later); got != copydesk.BreakerClosed {
		t.Fatalf("new window: got %s, want closed", got)
	}
	for _, failed := range []bool{true, false, true} {
		b.record(later, failed)
	}
	if got := b.State(later); got != copydesk.BreakerOpen {
		t.Errorf("2 of 4 failed in the window: got %s, want open", got)
	}
}

func TestAllBreakersOpen(t *testing.T) {
	t.Parallel()
	f := MustFixture(t, func(c *Config) { c.Classes[ClassBudget] = []string{"gm-budget"} })
	b := f.r.eps["gm-budget"].breaker[0]
	for range 3 {
		b.record(f.clock.Now(), true)
	}
	f.clock.Advance(10 * time.Second)
	_, err := f.r.Complete(context.Background(), userCall("bulk", copydesk.PriorityLow))
	MustRouterError(t, err, copydesk.EUNAVAILABLE)
	var de *copydesk.Error
	errors.As(err, &de)
	if de.RetryAfter != 20*time.Second {
		t.Errorf("got RetryAfter %s, want the 20s left of the cooldown", de.RetryAfter)
	}
	if f.gm.Calls() != 0 {
		t.Errorf("an open breaker let a call through")
	}
}

func TestStream(t *testing.T) {
	t.Parallel()
	t.Run("failover before the first delta", func(t *testing.T) {
		t.Parallel()
		f := MustFixture(t, nil)
		f.oa[0].steps = []step{{kind: copydesk.ProviderOverloaded}}
		var got []string
		res, err := f.r.Stream(context.Background(), userCall("seo", copydesk.PriorityHigh), func(d string) error {
			got = append(got, d)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"answer ", "from ", "anthropic"}; !slices.Equal(got, want) {
			t.Errorf("got deltas %q, want %q", got, want)
		}
		if res.Usage.TTFT != 10*time.Millisecond {
			t.Errorf("got TTFT %s, want 10ms", res.Usage.TTFT)
		}
		if res.Usage.Latency != 30*time.Millisecond {
			t.Errorf("got latency %s, want 30ms", res.Usage.Latency)
		}
	})
	t.Run("no fallback after the first delta", func(t *testing.T) {
		t.Parallel()
		f := MustFixture(t, nil)
		f.oa[0].steps = []step{{kind: copydesk.ProviderServer, deltas: []string{"Hel"}}}
		var got []string
		_, err := f.r.Stream(context.Background(), userCall("seo", copydesk.PriorityHigh), func(d string) error {
			got = append(got, d)
			return nil
		})
		re := MustRouterError(t, err, copydesk.EUNAVAILABLE)
		if !strings.Contains(copydesk.ErrorMessage(err), "not retried") {
			t.Errorf("got message %q, want it to say the stream was not retried", copydesk.ErrorMessage(err))
		}
		if !slices.Equal(got, []string{"Hel"}) {
			t.Errorf("got deltas %q, want only the primary's", got)
		}
		if want := []string{"oa-quality/0:error:server"}; !slices.Equal(trail(re.Decision), want) {
			t.Errorf("got %v, want %v", trail(re.Decision), want)
		}
		if f.an.Calls()+f.oa[1].Calls() != 0 || len(f.clock.Sleeps()) != 0 {
			t.Error("the stream was retried after a delta reached the caller")
		}
	})
	t.Run("truncated after a delta", func(t *testing.T) {
		t.Parallel()
		f := MustFixture(t, nil)
		f.oa[0].steps = []step{{kind: copydesk.ProviderTruncated, deltas: []string{"a", "b"}}}
		_, err := f.r.Stream(context.Background(), userCall("seo", copydesk.PriorityHigh), func(string) error { return nil })
		MustRouterError(t, err, copydesk.EUNAVAILABLE)
		if f.an.Calls() != 0 {
			t.Error("a truncated stream was failed over after deltas")
		}
	})
	t.Run("receiver stops", func(t *testing.T) {
		t.Parallel()
		f := MustFixture(t, nil)
		gone := errors.New("client went away")
		_, err := f.r.Stream(context.Background(), userCall("seo", copydesk.PriorityHigh), func(string) error { return gone })
		MustRouterError(t, err, copydesk.ECANCELLED)
		if !errors.Is(err, gone) {
			t.Errorf("got %v, want it to wrap the receiver's error", err)
		}
		if f.an.Calls()+f.oa[1].Calls() != 0 {
			t.Error("the stream was retried after the receiver stopped")
		}
		if got := f.r.BreakerState("oa-quality", 0); got != copydesk.BreakerClosed {
			t.Errorf("got breaker %s, want closed: the provider did nothing wrong", got)
		}
	})
}

// TestOwnLimiterFailsOver: a primary at its concurrency cap is skipped.
func TestOwnLimiterFailsOver(t *testing.T) {
	t.Parallel()
	f := MustFixture(t, func(c *Config) {
		ep := c.Endpoints["oa-quality"]
		ep.Limits = providerlimit.Config{Concurrency: 1}
		c.Endpoints["oa-quality"] = ep
		c.LoadThreshold = -1 // test the limiter, not the load rule
	})
	if _, err := f.r.eps["oa-quality"].limiter.TryAcquire(copydesk.PriorityCritical, 0); err != nil {
		t.Fatal(err)
	}
	res, err := f.r.Complete(context.Background(), userCall("seo", copydesk.PriorityCritical))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"oa-quality/0:limited", "an-quality/0:ok"}; !slices.Equal(trail(res.Decision), want) {
		t.Errorf("got %v, want %v", trail(res.Decision), want)
	}
}

// TestSaturatedPriorities: with every endpoint of the chain at its cap,
// callers wait in the primary's queue and a CRITICAL call is served before
// LOW calls that arrived earlier.
func TestSaturatedPriorities(t *testing.T) {
	t.Parallel()
	f := MustFixture(t, func(c *Config) {
		for _, name := range []string{"oa-quality", "an-quality"} {
			ep := c.Endpoints[name]
			ep.Limits = providerlimit.Config{Concurrency: 1, RequestsPerMinute: -1}
			c.Endpoints[name] = ep
		}
		c.LoadThreshold = -1
		c.Rules = []Rule{{Class: ClassQuality}}
	})
	holdOA, _ := f.r.eps["oa-quality"].limiter.TryAcquire(copydesk.PriorityHigh, 0)
	holdAN, _ := f.r.eps["an-quality"].limiter.TryAcquire(copydesk.PriorityHigh, 0)
	defer holdAN(0)

	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		order []string
	)
	start := func(name string, p copydesk.Priority) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			call := userCall("x", p)
			call.Request.System = name
			res, err := f.r.Complete(context.Background(), call)
			if err != nil {
				t.Errorf("%s: %v", name, err)
				return
			}
			if res.Usage.Endpoint != "oa-quality" {
				t.Errorf("%s: got endpoint %s, want oa-quality", name, res.Usage.Endpoint)
			}
		}()
	}
	// The order the provider is called in is the order the limiter let the
	// calls through (its concurrency is 1); the order the goroutines return
	// in is not.
	for _, p := range f.oa {
		p.onCall = func(req copydesk.ModelRequest) {
			mu.Lock()
			order = append(order, req.System)
			mu.Unlock()
		}
	}
	lim := f.r.eps["oa-quality"].limiter
	waitQueued := func(n int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			if _, q := lim.Stats(); q == n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("want %d queued", n)
			}
			time.Sleep(time.Millisecond)
		}
	}
	start("low1", copydesk.PriorityLow)
	waitQueued(1)
	start("low2", copydesk.PriorityLow)
	waitQueued(2)
	start("critical", copydesk.PriorityCritical)
	waitQueued(3)
	holdOA(0)
	wg.Wait()
	if want := []string{"critical", "low1", "low2"}; !slices.Equal(order, want) {
		t.Errorf("got order %v, want %v", order, want)
	}
	var systems []string
	for _, req := range f.oa[0].reqs {
		systems = append(systems, req.System)
	}
	for _, req := range f.oa[1].reqs {
		systems = append(systems, req.System)
	}
	if len(systems) != 3 {
		t.Errorf("got %d provider calls, want 3", len(systems))
	}
}

func TestUsageRecord(t *testing.T) {
	t.Parallel()
	f := MustFixture(t, nil)
	f.oa[0].steps = []step{{took: 1500 * time.Millisecond, usage: copydesk.Usage{InputTokens: 1000, OutputTokens: 500, CachedTokens: 200}}}
	call := userCall("analysis", copydesk.PriorityHigh)
	call.CustomerID = "cust-1"
	res, err := f.r.Complete(context.Background(), call)
	if err != nil {
		t.Fatal(err)
	}
	// gpt-4.1: 800 in at $2, 200 cached at $0.50, 500 out at $8.
	want := copydesk.UsageRecord{
		CustomerID: "cust-1", Kind: "analysis", Endpoint: "oa-quality", Provider: "openai", Model: "gpt-4.1",
		InputTokens: 1000, OutputTokens: 500, CachedTokens: 200,
		Cost: 1600 + 100 + 4000, Currency: "USD",
		Latency: 1500 * time.Millisecond, Attempts: 1,
		Decision: Decision{Class: ClassQuality, Reason: "kind analysis uses quality", Attempts: []Attempt{
			{Endpoint: "oa-quality", Provider: "openai", Model: "gpt-4.1", Key: 0, Outcome: copydesk.OutcomeOK, Duration: 1500 * time.Millisecond},
		}},
		At: f.clock.Now(),
	}
	if diff := cmp.Diff(want, res.Usage); diff != "" {
		t.Errorf("usage (-want +got):\n%s", diff)
	}
	if res.Response.Model != "gpt-4.1" || f.oa[0].reqs[0].Model != "gpt-4.1" {
		t.Errorf("the router did not fill the request's model")
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no endpoints", func(c *Config) { c.Endpoints = nil }, "endpoints: at least one"},
		{"no provider", func(c *Config) { c.Endpoints["x"] = EndpointConfig{Model: "gpt-4.1"} }, "endpoints.x.provider is required"},
		{"no model", func(c *Config) { c.Endpoints["x"] = EndpointConfig{Provider: "openai"} }, "endpoints.x.model is required"},
		{"negative timeout", func(c *Config) {
			c.Endpoints["x"] = EndpointConfig{Provider: "openai", Model: "gpt-4.1", Timeout: -1}
		}, "endpoints.x.timeout"},
		{"bad limits", func(c *Config) {
			c.Endpoints["x"] = EndpointConfig{Provider: "openai", Model: "gpt-4.1", Limits: providerlimit.Config{Concurrency: -3}}
		}, "endpoints.x.concurrency"},
		{"empty chain", func(c *Config) { c.Classes["fast"] = nil }, "classes.fast: the failover chain is empty"},
		{"unknown endpoint", func(c *Config) { c.Classes["fast"] = []string{"an-fast", "nope"} }, `classes.fast[1]: endpoint "nope" is not defined`},
		{"duplicate endpoint", func(c *Config) { c.Classes["fast"] = []string{"an-fast", "an-fast"} }, "listed twice"},
		{"rule to unknown class", func(c *Config) { c.Rules = []Rule{{Kind: "a", Class: "premium"}} }, `rules[0].class: class "premium" is not defined`},
		{"rule without class", func(c *Config) { c.Rules = []Rule{{Kind: "a"}} }, "rules[0].class is required"},
		{"rule bad priority", func(c *Config) { c.Rules = []Rule{{Priority: "urgent", Class: "fast"}} }, "rules[0].priority"},
		{"default class missing", func(c *Config) { c.DefaultClass = "premium" }, "default_class"},
		{"budget class missing", func(c *Config) { delete(c.Classes, "budget"); c.Rules = []Rule{} }, "budget_class"},
		{"budget threshold", func(c *Config) { c.BudgetThreshold = 1.5 }, "budget_threshold"},
		{"load threshold", func(c *Config) { c.LoadThreshold = 80 }, "load_threshold"},
		{"max attempts", func(c *Config) { c.Retry.MaxAttempts = -1 }, "retry.max_attempts"},
		{"max delay", func(c *Config) { c.Retry.MaxDelay = time.Second }, "retry.max_delay (1s) cannot be shorter than retry.base_delay (2s)"},
		{"failure rate", func(c *Config) { c.Breaker.FailureRate = 2 }, "breaker.failure_rate"},
		{"cooldown", func(c *Config) { c.Breaker.Cooldown = -time.Second }, "breaker.cooldown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig()
			tc.edit(&cfg)
			err := cfg.Validate()
			if copydesk.ErrorCode(err) != copydesk.EINVALID || !strings.Contains(copydesk.ErrorMessage(err), tc.want) {
				t.Errorf("got %v, want EINVALID containing %q", err, tc.want)
			}
		})
	}
	if err := testConfig().Validate(); err != nil {
		t.Errorf("valid config: got %v", err)
	}
	// Budget routing disabled: no budget class needed.
	cfg := testConfig()
	delete(cfg.Classes, "budget")
	cfg.Rules = []Rule{}
	cfg.BudgetThreshold = -1
	if err := cfg.Validate(); err != nil {
		t.Errorf("budget routing disabled: got %v", err)
	}
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	providers := map[string][]copydesk.Provider{
		"openai":    {&scripted{name: "openai"}},
		"anthropic": {&scripted{name: "anthropic"}},
	}
	_, err := New(testConfig(), Options{Providers: providers, Prices: testPrices()})
	if msg := copydesk.ErrorMessage(err); !strings.Contains(msg, `endpoints.gm-budget.provider: no provider "gemini" is configured`) {
		t.Errorf("missing provider: got %v", err)
	}
	providers["gemini"] = []copydesk.Provider{&scripted{name: "gemini"}}
	cfg := testConfig()
	cfg.Endpoints["oa-budget"] = EndpointConfig{Provider: "openai", Model: "gpt-unpriced"}
	_, err = New(cfg, Options{Providers: providers, Prices: testPrices()})
	if msg := copydesk.ErrorMessage(err); copydesk.ErrorCode(err) != copydesk.EINVALID || !strings.Contains(msg, `endpoints.oa-budget.model: no price for model "gpt-unpriced"`) {
		t.Errorf("unpriced model: got %v", err)
	}
	_, err = New(testConfig(), Options{Providers: providers})
	if copydesk.ErrorCode(err) != copydesk.EINVALID {
		t.Errorf("no price table: got %v, want EINVALID", err)
	}
	r, err := New(testConfig(), Options{Providers: providers, Prices: testPrices()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Complete(context.Background(), Call{Kind: "seo", BudgetLeft: -1}); copydesk.ErrorCode(err) != copydesk.EINVALID {
		t.Errorf("request without messages: got %v, want EINVALID", err)
	}
	if _, err := r.Stream(context.Background(), userCall("seo", 0), nil); copydesk.ErrorCode(err) != copydesk.EINVALID {
		t.Errorf("Stream without onDelta: got %v, want EINVALID", err)
	}
}

// TestRealSleep checks the default sleep honours cancellation.
func TestRealSleep(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	if err := sleep(context.Background(), time.Millisecond); err != nil {
		t.Errorf("got %v, want nil", err)
	}
}
