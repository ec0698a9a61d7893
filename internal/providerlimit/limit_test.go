package providerlimit_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/providerlimit"
)

// fakeClock is a manual clock whose AfterFunc callbacks run when Advance
// passes their time.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	at      time.Time
	f       func()
	stopped bool
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		was := !t.stopped
		t.stopped = true
		return was
	}
}

// Advance moves the clock and runs the callbacks that fall due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []func()
	for _, t := range c.timers {
		if !t.stopped && !t.at.After(c.now) {
			t.stopped = true
			due = append(due, t.f)
		}
	}
	c.mu.Unlock()
	for _, f := range due {
		f()
	}
}

// MustLimiter returns a limiter or fails the test.
func MustLimiter(tb testing.TB, cfg providerlimit.Config, clock copydesk.Clock) *providerlimit.Limiter {
	tb.Helper()
	l, err := providerlimit.New(cfg, clock)
	if err != nil {
		tb.Fatalf("providerlimit.New: %v", err)
	}
	return l
}

// MustRejected checks that err is a *providerlimit.RejectedError with reason.
func MustRejected(tb testing.TB, err error, reason string, retryAfter time.Duration) {
	tb.Helper()
	var rej *providerlimit.RejectedError
	if !errors.As(err, &rej) {
		tb.Fatalf("got error %v, want a *providerlimit.RejectedError", err)
	}
	if rej.Reason != reason || rej.RetryAfter != retryAfter {
		tb.Fatalf("got rejection (%s, %s), want (%s, %s)", rej.Reason, rej.RetryAfter, reason, retryAfter)
	}
	if !errors.Is(err, providerlimit.ErrLimited) {
		tb.Errorf("errors.Is(err, ErrLimited) = false, want true")
	}
	if code := copydesk.ErrorCode(err); code != copydesk.ERATELIMITED {
		tb.Errorf("got code %q, want %q", code, copydesk.ERATELIMITED)
	}
}

// waitQueued polls until n callers are queued; Acquire runs in goroutines.
func waitQueued(tb testing.TB, l *providerlimit.Limiter, n int) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, q := l.Stats(); q == n {
			return
		}
		if time.Now().After(deadline) {
			_, q := l.Stats()
			tb.Fatalf("got %d queued, want %d", q, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestConcurrencyCap(t *testing.T) {
	t.Parallel()
	l := MustLimiter(t, providerlimit.Config{Concurrency: 2, RequestsPerMinute: -1}, newFakeClock())
	r1, err := l.TryAcquire(copydesk.PriorityHigh, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.TryAcquire(copydesk.PriorityHigh, 0); err != nil {
		t.Fatal(err)
	}
	if got := l.Load(); got != 1 {
		t.Errorf("Load = %v, want 1", got)
	}
	_, err = l.TryAcquire(copydesk.PriorityCritical, 0)
	MustRejected(t, err, providerlimit.ReasonConcurrency, 0)
	r1(0)
	r1(0) // a second release is ignored
	if got := l.Load(); got != 0.5 {
		t.Errorf("Load after release = %v, want 0.5", got)
	}
	if _, err := l.TryAcquire(copydesk.PriorityLow, 0); err != nil {
		t.Errorf("after release: got %v, want admission", err)
	}
}

func TestRequestsPerMinute(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	l := MustLimiter(t, providerlimit.Config{Concurrency: 1000, RequestsPerMinute: 60}, clock)
	for i := range 60 {
		if _, err := l.TryAcquire(copydesk.PriorityHigh, 0); err != nil {
			t.Fatalf("request %d of the burst: %v", i+1, err)
		}
	}
	_, err := l.TryAcquire(copydesk.PriorityHigh, 0)
	MustRejected(t, err, providerlimit.ReasonRequestsPerMinute, time.Second)
	clock.Advance(999 * time.Millisecond)
	_, err = l.TryAcquire(copydesk.PriorityHigh, 0)
	MustRejected(t, err, providerlimit.ReasonRequestsPerMinute, time.Millisecond)
	clock.Advance(time.Millisecond)
	if _, err := l.TryAcquire(copydesk.PriorityHigh, 0); err != nil {
		t.Errorf("after one second: got %v, want admission", err)
	}
}

func TestTokensPerMinute(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	l := MustLimiter(t, providerlimit.Config{Concurrency: 10, RequestsPerMinute: -1, TokensPerMinute: 6000}, clock)
	rel, err := l.TryAcquire(copydesk.PriorityHigh, 5000)
	if err != nil {
		t.Fatal(err)
	}
	// 1,000 left: a 2,000-token call needs 1,000 more, i.e. 10 s of refill.
	_, err = l.TryAcquire(copydesk.PriorityHigh, 2000)
	MustRejected(t, err, providerlimit.ReasonTokensPerMinute, 10*time.Second)
	// The call used only 1,000 tokens: 4,000 are refunded.
	rel(1000)
	if _, err := l.TryAcquire(copydesk.PriorityHigh, 5000); err != nil {
		t.Errorf("after refund: got %v, want admission", err)
	}
	// A call larger than a minute's worth runs on a full bucket.
	clock.Advance(time.Minute)
	if _, err := l.TryAcquire(copydesk.PriorityHigh, 1_000_000); err != nil {
		t.Errorf("oversized call on a full bucket: got %v, want admission", err)
	}
}

func TestTokensUnderestimated(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	l := MustLimiter(t, providerlimit.Config{RequestsPerMinute: -1, TokensPerMinute: 6000}, clock)
	rel, err := l.TryAcquire(copydesk.PriorityHigh, 100)
	if err != nil {
		t.Fatal(err)
	}
	rel(6000) // used the whole minute's budget
	_, err = l.TryAcquire(copydesk.PriorityHigh, 100)
	MustRejected(t, err, providerlimit.ReasonTokensPerMinute, time.Second)
}

// TestPriorityOrder saturates the limiter, queues LOW callers, then a
// CRITICAL one, and checks the CRITICAL caller is served first and the LOW
// ones in arrival order.
func TestPriorityOrder(t *testing.T) {
	t.Parallel()
	l := MustLimiter(t, providerlimit.Config{Concurrency: 1, RequestsPerMinute: -1}, newFakeClock())
	hold, err := l.TryAcquire(copydesk.PriorityLow, 0)
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		order []string
		wg    sync.WaitGroup
	)
	start := func(name string, p copydesk.Priority) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rel, err := l.Acquire(context.Background(), p, 0)
			if err != nil {
				t.Errorf("%s: %v", name, err)
				return
			}
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
			rel(0)
		}()
	}
	for i, name := range []string{"low1", "low2", "low3"} {
		start(name, copydesk.PriorityLow)
		waitQueued(t, l, i+1)
	}
	start("medium", copydesk.PriorityMedium)
	waitQueued(t, l, 4)
	start("critical", copydesk.PriorityCritical)
	waitQueued(t, l, 5)
	// A TryAcquire of any priority at or below a waiter's is refused.
	_, err = l.TryAcquire(copydesk.PriorityLow, 0)
	MustRejected(t, err, providerlimit.ReasonQueued, 0)

	hold(0)
	wg.Wait()
	want := []string{"critical", "medium", "low1", "low2", "low3"}
	if !slices.Equal(order, want) {
		t.Errorf("got order %v, want %v", order, want)
	}
}

func TestAcquireWaitsForRate(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	l := MustLimiter(t, providerlimit.Config{RequestsPerMinute: 1}, clock)
	if _, err := l.Acquire(context.Background(), copydesk.PriorityHigh, 0); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := l.Acquire(context.Background(), copydesk.PriorityHigh, 0)
		done <- err
	}()
	waitQueued(t, l, 1)
	clock.Advance(59 * time.Second)
	select {
	case err := <-done:
		t.Fatalf("admitted after 59 s (err %v), want to wait a minute", err)
	default:
	}
	clock.Advance(time.Second)
	if err := <-done; err != nil {
		t.Errorf("after a minute: got %v, want admission", err)
	}
}

func TestAcquireCancelled(t *testing.T) {
	t.Parallel()
	l := MustLimiter(t, providerlimit.Config{Concurrency: 1, RequestsPerMinute: -1}, newFakeClock())
	hold, err := l.TryAcquire(copydesk.PriorityHigh, 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancelled := make(chan error, 1)
	go func() {
		_, err := l.Acquire(ctx, copydesk.PriorityCritical, 0)
		cancelled <- err
	}()
	waitQueued(t, l, 1)
	next := make(chan error, 1)
	go func() {
		_, err := l.Acquire(context.Background(), copydesk.PriorityLow, 0)
		next <- err
	}()
	waitQueued(t, l, 2)
	cancel()
	if err := <-cancelled; !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	waitQueued(t, l, 1)
	hold(0)
	if err := <-next; err != nil {
		t.Errorf("waiter behind the cancelled one: got %v, want admission", err)
	}
	if _, err := l.Acquire(ctx, copydesk.PriorityHigh, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("Acquire with a done context: got %v, want context.Canceled", err)
	}
}

// TestUrgentSmallCallPassesBlockedHead: a LOW caller waiting for tokens does
// not stop a CRITICAL call that fits.
func TestUrgentSmallCallPassesBlockedHead(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	l := MustLimiter(t, providerlimit.Config{RequestsPerMinute: -1, TokensPerMinute: 1000}, clock)
	if _, err := l.TryAcquire(copydesk.PriorityHigh, 900); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go l.Acquire(ctx, copydesk.PriorityLow, 500)
	waitQueued(t, l, 1)
	if _, err := l.TryAcquire(copydesk.PriorityCritical, 50); err != nil {
		t.Errorf("CRITICAL call that fits: got %v, want admission", err)
	}
	_, err := l.TryAcquire(copydesk.PriorityLow, 50)
	MustRejected(t, err, providerlimit.ReasonQueued, 0)
}

func TestQueueFull(t *testing.T) {
	t.Parallel()
	l := MustLimiter(t, providerlimit.Config{Concurrency: 1, RequestsPerMinute: -1, MaxQueue: 1}, newFakeClock())
	if _, err := l.TryAcquire(copydesk.PriorityHigh, 0); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go l.Acquire(ctx, copydesk.PriorityHigh, 0)
	waitQueued(t, l, 1)
	_, err := l.Acquire(context.Background(), copydesk.PriorityCritical, 0)
	MustRejected(t, err, providerlimit.ReasonQueueFull, 0)
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cfg  providerlimit.Config
		want string
	}{
		{providerlimit.Config{Concurrency: -1}, "concurrency"},
		{providerlimit.Config{RequestsPerMinute: -2}, "requests_per_minute"},
		{providerlimit.Config{RequestsPerMinute: 200_000_000}, "requests_per_minute"},
		{providerlimit.Config{TokensPerMinute: -1}, "tokens_per_minute"},
		{providerlimit.Config{MaxQueue: -1}, "max_queue"},
	} {
		_, err := providerlimit.New(tc.cfg, nil)
		if copydesk.ErrorCode(err) != copydesk.EINVALID || !strings.Contains(copydesk.ErrorMessage(err), tc.want) {
			t.Errorf("New(%+v): got %v, want EINVALID naming %s", tc.cfg, err, tc.want)
		}
	}
	l := MustLimiter(t, providerlimit.Config{}, nil)
	want := providerlimit.Config{Concurrency: 50, RequestsPerMinute: 500, MaxQueue: 10_000}
	if got := l.Config(); got != want {
		t.Errorf("defaults: got %+v, want %+v", got, want)
	}
}

func TestRealTimerWakes(t *testing.T) {
	t.Parallel()
	// With the system clock, a waiter on the rate limit is woken by a real
	// timer: 6,000 requests per minute frees one every 10 ms.
	l := MustLimiter(t, providerlimit.Config{RequestsPerMinute: 6000}, nil)
	for {
		rel, err := l.TryAcquire(copydesk.PriorityHigh, 0)
		if err != nil {
			if !errors.Is(err, providerlimit.ErrLimited) {
				t.Fatalf("got %v, want a rejection", err)
			}
			break
		}
		rel(0)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := l.Acquire(ctx, copydesk.PriorityHigh, 0); err != nil {
		t.Errorf("got %v, want admission once the bucket refills", err)
	}
}

func BenchmarkTryAcquire(b *testing.B) {
	l := MustLimiter(b, providerlimit.Config{Concurrency: 1 << 20, RequestsPerMinute: -1, TokensPerMinute: 100_000_000}, nil)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rel, err := l.TryAcquire(copydesk.PriorityHigh, 100)
			if err != nil {
				b.Error(err) // FailNow may not be called from RunParallel's goroutines
				return
			}
			rel(0) // refund, so the bucket never runs dry
		}
	})
}

// fakeShared refuses calls for requests_per_minute until open is set, and
// fails with an unavailable error while broken is set.
type fakeShared struct {
	mu     sync.Mutex
	open   bool
	broken bool
	taken  []int // tokens of the calls taken, in order
}

func (s *fakeShared) Take(_ context.Context, name string, cfg providerlimit.Config, tokens int) (providerlimit.Release, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.broken:
		return nil, copydesk.Errorf(copydesk.EUNAVAILABLE, "redis is unreachable")
	case !s.open:
		return nil, &providerlimit.RejectedError{Reason: providerlimit.ReasonRequestsPerMinute, RetryAfter: time.Second}
	}
	s.taken = append(s.taken, tokens)
	return func(int) {}, nil
}

func (s *fakeShared) set(open, broken bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.open, s.broken = open, broken
}

// TestSharedRefusalHoldsCallsInOrder: a refusal of the shared capacity is
// the caller's refusal and holds every call back until its Retry-After,
// without asking the shared capacity again; waiting callers are then
// admitted in priority order. A shared capacity that fails leaves the
// decision to the limiter alone.
func TestSharedRefusalHoldsCallsInOrder(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	shared := &fakeShared{}
	// One call at a time, so the order the shared capacity sees is the
	// order of admission.
	l, err := providerlimit.NewShared(providerlimit.Config{RequestsPerMinute: 100, Concurrency: 1}, clock, "e", shared)
	if err != nil {
		t.Fatal(err)
	}
	var rej *providerlimit.RejectedError
	if _, err := l.TryAcquire(copydesk.PriorityHigh, 1); !errors.As(err, &rej) || rej.Reason != providerlimit.ReasonRequestsPerMinute || rej.RetryAfter != time.Second {
		t.Fatalf("TryAcquire refused by the shared capacity: got %v, want requests_per_minute in 1s", err)
	}
	shared.set(true, false)
	if _, err := l.TryAcquire(copydesk.PriorityHigh, 2); !errors.As(err, &rej) {
		t.Fatalf("TryAcquire within the Retry-After: got %v, want refused without asking again", err)
	}
	if inflight, _ := l.Stats(); inflight != 0 {
		t.Errorf("in flight after refusals: %d, want 0 (refused calls give their slot back)", inflight)
	}
	order := make(chan int, 2)
	for i, p := range []copydesk.Priority{copydesk.PriorityLow, copydesk.PriorityCritical} {
		go func() {
			rel, err := l.Acquire(context.Background(), p, 10+i)
			if err != nil {
				t.Error(err)
				order <- -1
				return
			}
			rel(10 + i)
			order <- i
		}()
		for _, queued := l.Stats(); queued != i+1; _, queued = l.Stats() {
			time.Sleep(time.Millisecond)
		}
	}
	clock.Advance(time.Second)
	<-order
	<-order
	shared.mu.Lock()
	taken := slices.Clone(shared.taken)
	shared.mu.Unlock()
	if want := []int{11, 10}; !slices.Equal(taken, want) {
		t.Errorf("calls taken from the shared capacity (by tokens): got %v, want %v (CRITICAL first)", taken, want)
	}

	shared.set(false, true)
	for i := range 3 {
		rel, err := l.TryAcquire(copydesk.PriorityHigh, 1)
		if err != nil {
			t.Fatalf("call %d with the shared capacity unreachable: %v, want admitted by the limiter alone", i, err)
		}
		rel(1)
	}
}
