package ratelimit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/ratelimit"
	"github.com/copydesk/copydesk/internal/ratelimit/ratelimittest"
	"github.com/copydesk/copydesk/internal/storetest"
)

// memoryBuckets is a ratelimit.BucketStore in a map, refilled on a clock:
// the shape of redis.RateBuckets without Redis.
type memoryBuckets struct {
	clock copydesk.Clock
	mu    sync.Mutex
	level map[string]int64     // units
	at    map[string]time.Time // when level was computed
	err   error                // returned by every take when set
	takes int
}

func newMemoryBuckets(clock copydesk.Clock) *memoryBuckets {
	return &memoryBuckets{clock: clock, level: map[string]int64{}, at: map[string]time.Time{}}
}

func (m *memoryBuckets) TakeBuckets(_ context.Context, bs []ratelimit.Bucket, needs []int64) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.takes++
	if m.err != nil {
		return false, m.err
	}
	now := m.clock.Now()
	took := true
	for i, b := range bs {
		k := b.Scope + ":" + b.Key
		u, ok := m.level[k]
		if !ok {
			u, m.at[k] = b.Capacity(), now
		} else if d := now.Sub(m.at[k]); d > 0 { // a clock gone back refills nothing
			u, m.at[k] = min(b.Capacity(), u+int64(d)*int64(b.Rate.PerMinute)), now
		}
		m.level[k] = u
		bs[i].Units = u
		if u < needs[i] {
			took = false
		}
	}
	if took {
		for _, b := range bs {
			m.level[b.Scope+":"+b.Key] -= ratelimit.Unit
		}
	}
	return took, nil
}

// TestShared runs the shared semantics suite against Shared on buckets in
// memory: the decisions of Shared are those of the Limiter.
func TestShared(t *testing.T) {
	t.Parallel()
	ratelimittest.Run(t, func(t *testing.T, cfg ratelimit.Config, clock copydesk.Clock) ratelimit.Service {
		rates, err := ratelimit.New(cfg, clock)
		if err != nil {
			t.Fatal(err)
		}
		f := ratelimit.NewShared(newMemoryBuckets(clock), rates, ratelimit.FallbackOptions{})
		t.Cleanup(func() {
			if n := f.Fallbacks(); n != 0 {
				t.Errorf("fallbacks: got %d, want 0", n)
			}
		})
		return f
	})
}

// liar is a BucketStore whose answer contradicts the levels it reports.
type liar struct{}

func (liar) TakeBuckets(_ context.Context, bs []ratelimit.Bucket, _ []int64) (bool, error) {
	for i := range bs {
		bs[i].Units = bs[i].Capacity()
	}
	return false, nil
}

func TestSharedErrors(t *testing.T) {
	t.Parallel()
	rates, _ := MustLimiter(t, ratelimit.Config{})
	t.Run("store error is returned", func(t *testing.T) {
		t.Parallel()
		store := newMemoryBuckets(storetest.NewClock(storetest.Epoch()))
		store.err = copydesk.Errorf(copydesk.EUNAVAILABLE, "store is gone")
		s := &ratelimit.Shared{Store: store, Rates: rates}
		if _, err := s.Allow(t.Context(), user, copydesk.PriorityHigh); copydesk.ErrorCode(err) != copydesk.EUNAVAILABLE {
			t.Errorf("Allow: got %v, want unavailable", err)
		}
		if _, err := s.AllowLogin(t.Context(), "ip:192.0.2.1"); copydesk.ErrorCode(err) != copydesk.EUNAVAILABLE {
			t.Errorf("AllowLogin: got %v, want unavailable", err)
		}
	})
	t.Run("an answer that contradicts its levels is internal", func(t *testing.T) {
		t.Parallel()
		s := &ratelimit.Shared{Store: liar{}, Rates: rates}
		if _, err := s.Allow(t.Context(), user, copydesk.PriorityHigh); copydesk.ErrorCode(err) != copydesk.EINTERNAL {
			t.Errorf("got %v, want internal", err)
		}
	})
	t.Run("unlimited asks no store", func(t *testing.T) {
		t.Parallel()
		unlimited, _ := MustLimiter(t, ratelimit.Config{
			Roles:    map[copydesk.Role]ratelimit.Rate{copydesk.RoleUser: {PerMinute: -1}},
			Customer: ratelimit.Rate{PerMinute: -1}, Login: ratelimit.Rate{PerMinute: -1},
		})
		store := newMemoryBuckets(storetest.NewClock(storetest.Epoch()))
		s := &ratelimit.Shared{Store: store, Rates: unlimited}
		d, err := s.Allow(t.Context(), user, copydesk.PriorityHigh)
		dl, errl := s.AllowLogin(t.Context(), "ip:192.0.2.1")
		if err != nil || errl != nil || !d.Allowed || !dl.Allowed || store.takes != 0 {
			t.Errorf("got %+v, %v, %+v, %v and %d takes; want allowed without a take", d, err, dl, errl, store.takes)
		}
	})
}

// fakePrimary is a Fallible that answers "primary" until told to fail.
type fakePrimary struct {
	mu    sync.Mutex
	err   error
	calls int
}

func (p *fakePrimary) answer() (ratelimit.Decision, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	if p.err != nil {
		return ratelimit.Decision{}, p.err
	}
	return ratelimit.Decision{Allowed: true, Scope: "primary"}, nil
}

func (p *fakePrimary) Allow(context.Context, copydesk.Principal, copydesk.Priority) (ratelimit.Decision, error) {
	return p.answer()
}

func (p *fakePrimary) AllowLogin(context.Context, string) (ratelimit.Decision, error) {
	return p.answer()
}

func (p *fakePrimary) fail(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.err = err
}

func (p *fakePrimary) Calls() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls
}

// fakeSecondary is a Service that answers "secondary".
type fakeSecondary struct{}

func (fakeSecondary) Allow(context.Context, copydesk.Principal, copydesk.Priority) ratelimit.Decision {
	return ratelimit.Decision{Allowed: true, Scope: "secondary"}
}

func (fakeSecondary) AllowLogin(context.Context, string) ratelimit.Decision {
	return ratelimit.Decision{Allowed: true, Scope: "secondary"}
}

// warnings returns the WARN records of a JSON log.
func warnings(t *testing.T, logs *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(logs.String()) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec["level"] == "WARN" {
			out = append(out, rec)
		}
	}
	return out
}

// TestFallback: the primary decides while it answers; after a failure the
// secondary decides for the cooldown without the primary being asked, each
// such decision is counted, and the primary decides again once the
// cooldown is over. Warnings come at most once per WarnInterval and count
// the failures in between.
func TestFallback(t *testing.T) {
	t.Parallel()
	clock := storetest.NewClock(storetest.Epoch())
	var logs bytes.Buffer
	primary := &fakePrimary{}
	f := ratelimit.NewFallback(primary, fakeSecondary{}, ratelimit.FallbackOptions{
		Clock: clock, Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
		Cooldown: 2 * time.Second, WarnInterval: time.Minute,
	})
	ctx := t.Context()
	scope := func(step string, want string) {
		t.Helper()
		if got := f.Allow(ctx, user, copydesk.PriorityHigh).Scope; got != want {
			t.Errorf("%s: Allow decided by %q, want %q", step, got, want)
		}
	}

	scope("primary answers", "primary")
	if got := f.AllowLogin(ctx, "ip:192.0.2.1").Scope; got != "primary" {
		t.Errorf("primary answers: AllowLogin decided by %q, want primary", got)
	}
	if got := f.Fallbacks(); got != 0 {
		t.Errorf("fallbacks while the primary answers: got %d, want 0", got)
	}

	primary.fail(copydesk.Errorf(copydesk.EUNAVAILABLE, "store is gone"))
	scope("primary fails", "secondary")
	calls := primary.Calls()
	scope("in the cooldown", "secondary")
	if got := f.AllowLogin(ctx, "ip:192.0.2.1").Scope; got != "secondary" {
		t.Errorf("in the cooldown: AllowLogin decided by %q, want secondary", got)
	}
	if got := primary.Calls(); got != calls {
		t.Errorf("primary asked during the cooldown: got %d calls, want %d", got, calls)
	}
	if got := f.Fallbacks(); got != 3 {
		t.Errorf("fallbacks: got %d, want 3", got)
	}

	// The cooldown ends, the primary still fails: it is asked once and
	// the cooldown starts again; no new warning within the interval.
	clock.Add(2 * time.Second)
	scope("still failing", "secondary")
	if got := primary.Calls(); got != calls+1 {
		t.Errorf("primary after the cooldown: got %d calls, want %d", got, calls+1)
	}
	scope("second cooldown", "secondary")
	if got := primary.Calls(); got != calls+1 {
		t.Errorf("primary during the second cooldown: got %d calls, want %d", got, calls+1)
	}
	if w := warnings(t, &logs); len(w) != 1 {
		t.Fatalf("warnings within the interval: got %d, want 1", len(w))
	} else if w[0]["code"] != "unavailable" || w[0]["error"] != "store is gone" {
		t.Errorf("warning: got %v, want code unavailable and the store's message", w[0])
	}

	// A minute on, the next failure warns with the failures in between.
	clock.Add(time.Minute)
	scope("a minute on", "secondary")
	w := warnings(t, &logs)
	if len(w) != 2 {
		t.Fatalf("warnings after the interval: got %d, want 2", len(w))
	}
	if got := w[1]["failures_since_last_warning"]; got != float64(2) {
		t.Errorf("failures_since_last_warning: got %v, want 2", got)
	}
	if got := w[1]["fallbacks_total"]; got != float64(6) {
		t.Errorf("fallbacks_total: got %v, want 6", got)
	}

	// Recovery: after the cooldown the primary decides again and the count
	// stays.
	primary.fail(nil)
	clock.Add(2 * time.Second)
	scope("recovered", "primary")
	if got := f.AllowLogin(ctx, "ip:192.0.2.1").Scope; got != "primary" {
		t.Errorf("recovered: AllowLogin decided by %q, want primary", got)
	}
	if got := f.Fallbacks(); got != 6 {
		t.Errorf("fallbacks after recovery: got %d, want 6", got)
	}
}

// TestFallbackCancelledRequest: a decision cut short by its own request's
// cancellation is made by the secondary but starts no cooldown: the next
// request asks the primary.
func TestFallbackCancelledRequest(t *testing.T) {
	t.Parallel()
	primary := &fakePrimary{}
	f := ratelimit.NewFallback(primary, fakeSecondary{}, ratelimit.FallbackOptions{Clock: storetest.NewClock(storetest.Epoch())})
	gone, cancel := context.WithCancel(t.Context())
	cancel()
	primary.fail(context.Canceled)
	if got := f.Allow(gone, user, copydesk.PriorityHigh).Scope; got != "secondary" {
		t.Errorf("cancelled request: decided by %q, want secondary", got)
	}
	primary.fail(nil)
	if got := f.Allow(t.Context(), user, copydesk.PriorityHigh).Scope; got != "primary" {
		t.Errorf("next request: decided by %q, want primary (no cooldown)", got)
	}
}

// TestFallbackLimits: with a real Limiter as the secondary, a failing
// primary leaves the decisions to this instance's own buckets.
func TestFallbackLimits(t *testing.T) {
	t.Parallel()
	local, _ := MustLimiter(t, ratelimit.Config{Roles: map[copydesk.Role]ratelimit.Rate{copydesk.RoleUser: {PerMinute: 60, Burst: 3}}})
	store := newMemoryBuckets(storetest.NewClock(storetest.Epoch()))
	store.err = copydesk.Errorf(copydesk.EUNAVAILABLE, "store is gone")
	f := ratelimit.NewShared(store, local, ratelimit.FallbackOptions{})
	if got := ratelimittest.Drain(t.Context(), f, user, copydesk.PriorityHigh, 10); got != 3 {
		t.Errorf("allowed with the store gone: got %d, want the local burst of 3", got)
	}
	d := f.Allow(t.Context(), user, copydesk.PriorityHigh)
	if d.Allowed || d.RetryAfter != time.Second || copydesk.ErrorCode(d.Err()) != copydesk.ERATELIMITED {
		t.Errorf("local refusal: got %+v, want refused, retry after 1s", d)
	}
	if got := f.Fallbacks(); got != 11 {
		t.Errorf("fallbacks: got %d, want 11", got)
	}
}
