// Package providerlimit guards one provider endpoint (a provider and model) with a
// concurrency cap, a requests-per-minute limit and an optional
// tokens-per-minute limit, and queues waiting callers strictly by priority:
// a CRITICAL request never waits behind a LOW one, and within a priority
// callers are served first come, first served.
//
// The limits are in-process. Rates are token buckets holding one minute's
// worth of capacity, refilled continuously, computed in integers from an
// injected clock. With a Shared capacity (redis.ProviderLimits in the
// scale-out mode) a call must also fit the limits the instances share, so
// that N instances allow the configured limits in total, not N times
// them; while the shared capacity cannot be reached each limiter decides
// alone.
package providerlimit

import (
	"cmp"
	"container/heap"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// Defaults for Config.
const (
	DefaultConcurrency       = 50
	DefaultRequestsPerMinute = 500
	DefaultMaxQueue          = 10_000
)

// maxPerMinute bounds the rates so that bucket arithmetic in nanoseconds
// cannot overflow int64.
const maxPerMinute = 100_000_000

// Config holds the limits of one endpoint.
type Config struct {
	// Concurrency is the most calls in flight at once. Default 50.
	Concurrency int `yaml:"concurrency" json:"concurrency"`
	// RequestsPerMinute is the most calls started per minute, with bursts of
	// up to a minute's worth. Default 500; -1 disables the limit.
	RequestsPerMinute int `yaml:"requests_per_minute" json:"requests_per_minute"`
	// TokensPerMinute is the most tokens (estimated at acquisition, corrected
	// at release) per minute. Default 0: no token limit.
	TokensPerMinute int `yaml:"tokens_per_minute" json:"tokens_per_minute"`
	// MaxQueue is the most callers waiting in Acquire; more are rejected at
	// once. Default 10,000.
	MaxQueue int `yaml:"max_queue" json:"max_queue"`
}

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	c.Concurrency = cmp.Or(c.Concurrency, DefaultConcurrency)
	c.RequestsPerMinute = cmp.Or(c.RequestsPerMinute, DefaultRequestsPerMinute)
	c.MaxQueue = cmp.Or(c.MaxQueue, DefaultMaxQueue)
	return c
}

// Validate reports the first bad field of c (after defaults) as an EINVALID
// error naming it.
func (c Config) Validate() error {
	c = c.WithDefaults()
	switch {
	case c.Concurrency < 1:
		return copydesk.Errorf(copydesk.EINVALID, "limits: concurrency must be at least 1 (got %d)", c.Concurrency)
	case c.RequestsPerMinute < -1 || c.RequestsPerMinute > maxPerMinute:
		return copydesk.Errorf(copydesk.EINVALID, "limits: requests_per_minute must be between 1 and %d, or -1 for no limit (got %d)", maxPerMinute, c.RequestsPerMinute)
	case c.TokensPerMinute < 0 || c.TokensPerMinute > maxPerMinute:
		return copydesk.Errorf(copydesk.EINVALID, "limits: tokens_per_minute must be between 0 (no limit) and %d (got %d)", maxPerMinute, c.TokensPerMinute)
	case c.MaxQueue < 0:
		return copydesk.Errorf(copydesk.EINVALID, "limits: max_queue cannot be negative (got %d)", c.MaxQueue)
	}
	return nil
}

// ErrLimited matches every *RejectedError with errors.Is.
var ErrLimited = errors.New("limit: capacity exhausted")

// Reasons a call is rejected.
const (
	ReasonConcurrency       = "concurrency"
	ReasonRequestsPerMinute = "requests_per_minute"
	ReasonTokensPerMinute   = "tokens_per_minute"
	ReasonQueued            = "queued"     // callers of equal or higher priority are waiting
	ReasonQueueFull         = "queue_full" // MaxQueue callers are waiting
)

// RejectedError is a call the limiter refused. It matches ErrLimited and
// unwraps to a copydesk ERATELIMITED error.
type RejectedError struct {
	// Reason is one of the Reason* constants.
	Reason string
	// RetryAfter is when the rate limit that refused the call frees enough
	// capacity; 0 when unknown (the concurrency cap frees on a release).
	RetryAfter time.Duration
}

// Error implements error.
func (e *RejectedError) Error() string {
	if e.RetryAfter > 0 {
		return fmt.Sprintf("limit: rejected (%s), capacity in %s", e.Reason, e.RetryAfter)
	}
	return fmt.Sprintf("limit: rejected (%s)", e.Reason)
}

// Is reports whether target is ErrLimited.
func (e *RejectedError) Is(target error) bool { return target == ErrLimited }

// Unwrap returns the domain error: ERATELIMITED with RetryAfter.
func (e *RejectedError) Unwrap() error {
	return &copydesk.Error{
		Code:       copydesk.ERATELIMITED,
		Message:    "model capacity is exhausted (" + e.Reason + "); try again later",
		RetryAfter: e.RetryAfter,
	}
}

// Timers is implemented by clocks that can also schedule callbacks, such as
// a fake clock in tests. A limiter whose clock does not implement it uses
// time.AfterFunc.
type Timers interface {
	// AfterFunc calls f once after d and returns a function that cancels the
	// call if it has not happened yet, reporting whether it did cancel.
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

// Release ends an acquired call. actualTokens is what the call really used
// (input plus output as the provider reported; pass the estimate if
// unknown): the tokens-per-minute bucket is corrected by the difference.
// Calling it more than once has no further effect.
type Release func(actualTokens int)

// Shared is capacity that the limiters of several instances draw from
// together, one per endpoint name.
type Shared interface {
	// Take takes one call estimated at tokens from the shared capacity of
	// the endpoint name, whose limits are cfg (defaults applied), and
	// returns the Release that gives it back. It returns a *RejectedError
	// saying which limit refused and, for a rate, when it frees; any other
	// error means the shared capacity cannot be reached, and the limiter
	// then decides alone.
	Take(ctx context.Context, name string, cfg Config, tokens int) (Release, error)
}

// SharedPollDefault is how long a limiter waits before asking the shared
// capacity again after it refused a call for a reason without a known end
// (the shared concurrency cap: another instance's call must end first).
const SharedPollDefault = 50 * time.Millisecond

// sharedTimeout bounds a TryAcquire's call to the shared capacity, which
// has no context of its caller.
const sharedTimeout = 2 * time.Second

// Limiter enforces one endpoint's limits. It is safe for concurrent use.
type Limiter struct {
	cfg       Config
	clock     copydesk.Clock
	afterFunc func(time.Duration, func()) func() bool
	shared    Shared // nil: in-process limits only
	name      string // the endpoint's name in shared

	mu       sync.Mutex
	inflight int
	reqs     bucket
	toks     bucket
	waiters  waitHeap
	seq      uint64
	timerAt  time.Time // when the armed timer fires; zero if none
	stop     func() bool
	// blockedUntil holds every call back after the shared capacity refused
	// one, until it frees (blockReason says which limit refused).
	blockedUntil time.Time
	blockReason  string
}

// NewShared returns a limiter like New whose calls must also fit the
// capacity shared under name (the endpoint's name): a call is admitted by
// this limiter first, in priority order, then by shared; a refusal there
// holds this limiter's calls back until the shared limit frees, callers
// keeping their places in the queue. A nil shared is New.
func NewShared(cfg Config, clock copydesk.Clock, name string, shared Shared) (*Limiter, error) {
	l, err := New(cfg, clock)
	if err != nil {
		return nil, err
	}
	l.shared, l.name = shared, name
	return l, nil
}

// New returns a limiter for cfg (zero fields take their defaults) reading
// time from clock. Returns EINVALID if cfg is invalid.
func New(cfg Config, clock copydesk.Clock) (*Limiter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	if clock == nil {
		clock = copydesk.SystemClock{}
	}
	l := &Limiter{cfg: cfg, clock: clock}
	if t, ok := clock.(Timers); ok {
		l.afterFunc = t.AfterFunc
	} else {
		l.afterFunc = func(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }
	}
	now := clock.Now()
	if cfg.RequestsPerMinute > 0 {
		l.reqs = newBucket(int64(cfg.RequestsPerMinute), now)
	}
	if cfg.TokensPerMinute > 0 {
		l.toks = newBucket(int64(cfg.TokensPerMinute), now)
	}
	return l, nil
}

// Config returns the limiter's configuration with defaults applied.
func (l *Limiter) Config() Config { return l.cfg }

// Load returns the calls in flight as a fraction of the concurrency cap.
func (l *Limiter) Load() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return float64(l.inflight) / float64(l.cfg.Concurrency)
}

// Stats returns the calls in flight and the callers waiting.
func (l *Limiter) Stats() (inflight, queued int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.inflight, len(l.waiters)
}

// TryAcquire admits a call of priority p estimated at estTokens tokens if
// capacity is free now and no caller of equal or higher priority is
// waiting; otherwise it returns a *RejectedError at once. The router uses it
// to fail over instead of waiting.
//
// With a shared capacity, a call this limiter admits is then taken from it
// (bounded by 2 s, since the caller's context is not at hand); its refusal
// is returned as the *RejectedError.
func (l *Limiter) TryAcquire(p copydesk.Priority, estTokens int) (Release, error) {
	l.mu.Lock()
	if len(l.waiters) > 0 && l.waiters[0].priority <= p {
		l.mu.Unlock()
		return nil, &RejectedError{Reason: ReasonQueued}
	}
	now := l.clock.Now()
	if reason, wait := l.check(now, estTokens); reason != "" {
		l.mu.Unlock()
		return nil, &RejectedError{Reason: reason, RetryAfter: wait}
	}
	g := l.admit(estTokens)
	l.mu.Unlock()
	if l.shared == nil {
		return g.release, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), sharedTimeout)
	defer cancel()
	rel, err := l.takeShared(ctx, estTokens)
	switch {
	case errors.Is(err, ErrLimited):
		g.undo()
		return nil, err
	case err != nil: // this call's own deadline: the shared capacity is too slow to answer
		rel = func(int) {}
	}
	return g.join(rel), nil
}

// takeShared takes a call admitted here from the shared capacity. A
// refusal blocks this limiter until the shared limit frees and is
// returned; a shared capacity that cannot be reached admits the call (this
// limiter has decided); ctx's error is returned if it ended.
func (l *Limiter) takeShared(ctx context.Context, tokens int) (Release, error) {
	rel, err := l.shared.Take(ctx, l.name, l.cfg, tokens)
	var rej *RejectedError
	switch {
	case err == nil:
		return rel, nil
	case errors.As(err, &rej):
		l.block(rej)
		return nil, rej
	case ctx.Err() != nil:
		return nil, ctx.Err()
	}
	return func(int) {}, nil
}

// block holds calls back until the limit the shared capacity refused with
// frees, and arms the dispatch for then.
func (l *Limiter) block(rej *RejectedError) {
	wait := rej.RetryAfter
	if wait <= 0 {
		wait = SharedPollDefault
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	if until := now.Add(wait); until.After(l.blockedUntil) {
		l.blockedUntil, l.blockReason = until, rej.Reason
	}
}

// Acquire admits a call of priority p estimated at estTokens tokens, waiting
// until capacity is free and every earlier caller of equal or higher
// priority has been admitted. Returns ctx's error if ctx ends first, and a
// *RejectedError if MaxQueue callers are already waiting.
//
// With a shared capacity, a call this limiter admits is then taken from
// it; when it refuses, the caller waits again in its place in the queue
// until the shared limit frees.
func (l *Limiter) Acquire(ctx context.Context, p copydesk.Priority, estTokens int) (Release, error) {
	var seq uint64 // the caller's place, kept across shared refusals
	for {
		g, err := l.acquire(ctx, p, estTokens, &seq)
		if err != nil {
			return nil, err
		}
		if l.shared == nil {
			return g.release, nil
		}
		rel, err := l.takeShared(ctx, estTokens)
		if err == nil {
			return g.join(rel), nil
		}
		g.undo()
		if !errors.Is(err, ErrLimited) {
			return nil, err
		}
	}
}

// acquire is Acquire on this limiter's own limits. *seq is the caller's
// place in the queue: 0 takes a new one.
func (l *Limiter) acquire(ctx context.Context, p copydesk.Priority, estTokens int, seq *uint64) (*grant, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l.mu.Lock()
	if len(l.waiters) == 0 || l.waiters[0].priority > p || l.waiters[0].priority == p && *seq != 0 && l.waiters[0].seq > *seq {
		now := l.clock.Now()
		if reason, _ := l.check(now, estTokens); reason == "" {
			g := l.admit(estTokens)
			l.mu.Unlock()
			return g, nil
		}
	}
	if len(l.waiters) >= l.cfg.MaxQueue {
		l.mu.Unlock()
		return nil, &RejectedError{Reason: ReasonQueueFull}
	}
	if *seq == 0 {
		l.seq++
		*seq = l.seq
	}
	w := &waiter{priority: p, seq: *seq, tokens: estTokens, ready: make(chan struct{})}
	heap.Push(&l.waiters, w)
	l.dispatch()
	l.mu.Unlock()

	select {
	case <-w.ready:
		return w.grant, nil
	case <-ctx.Done():
		l.mu.Lock()
		if g := w.grant; g != nil { // admitted while we were leaving
			l.mu.Unlock()
			g.undo() // a call that never ran used nothing
			return nil, ctx.Err()
		}
		heap.Remove(&l.waiters, w.index)
		l.dispatch()
		l.mu.Unlock()
		return nil, ctx.Err()
	}
}

// check reports why a call of tokens cannot start now, and when the rate
// limit that stops it frees up; "" if it can start.
func (l *Limiter) check(now time.Time, tokens int) (reason string, wait time.Duration) {
	if l.inflight >= l.cfg.Concurrency {
		return ReasonConcurrency, 0
	}
	if now.Before(l.blockedUntil) {
		return l.blockReason, l.blockedUntil.Sub(now)
	}
	if w := l.reqs.wait(now, 1); w > 0 {
		return ReasonRequestsPerMinute, w
	}
	if w := l.toks.wait(now, int64(tokens)); w > 0 {
		return ReasonTokensPerMinute, w
	}
	return "", 0
}

// grant is capacity taken for one call.
type grant struct {
	l       *Limiter
	charged int64 // tokens taken
	once    sync.Once
}

// admit takes capacity for one call that check allowed and returns its
// grant. l.mu must be held.
func (l *Limiter) admit(tokens int) *grant {
	l.inflight++
	l.reqs.take(1)
	return &grant{l: l, charged: l.toks.take(int64(tokens))}
}

// release ends the call: the slot comes back and the tokens-per-minute
// bucket is corrected to actual.
func (g *grant) release(actual int) {
	g.end(false, actual)
}

// undo gives back everything the grant took, the request too: for a call
// that never ran.
func (g *grant) undo() { g.end(true, 0) }

func (g *grant) end(undo bool, actual int) {
	g.once.Do(func() {
		l := g.l
		l.mu.Lock()
		defer l.mu.Unlock()
		l.inflight--
		now := l.clock.Now()
		if undo && l.reqs.rate > 0 {
			l.reqs.refill(now)
			l.reqs.adjust(-1)
		}
		if l.toks.rate > 0 {
			l.toks.refill(now)
			l.toks.adjust(int64(max(actual, 0)) - g.charged)
		}
		l.dispatch()
	})
}

// join returns a Release that ends the grant and the shared capacity's
// call together.
func (g *grant) join(shared Release) Release {
	return func(actual int) {
		g.release(actual)
		shared(actual)
	}
}

// dispatch admits waiters from the head of the queue while they fit and arms
// a timer for the head's rate limit if one stops it. l.mu must be held.
func (l *Limiter) dispatch() {
	for len(l.waiters) > 0 {
		w := l.waiters[0]
		now := l.clock.Now()
		reason, wait := l.check(now, w.tokens)
		if reason == "" {
			heap.Pop(&l.waiters)
			w.grant = l.admit(w.tokens)
			close(w.ready)
			continue
		}
		if wait > 0 {
			l.arm(now, wait)
		}
		return
	}
}

// arm makes sure dispatch runs again no later than wait from now.
func (l *Limiter) arm(now time.Time, wait time.Duration) {
	at := now.Add(wait)
	if !l.timerAt.IsZero() && !l.timerAt.After(at) {
		return
	}
	if l.stop != nil {
		l.stop()
	}
	l.timerAt = at
	l.stop = l.afterFunc(wait, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.timerAt.Equal(at) {
			l.timerAt, l.stop = time.Time{}, nil
		}
		l.dispatch()
	})
}

// bucket is a token bucket of one minute's capacity. Levels are in units
// times nanoseconds per minute so that continuous refill stays an integer.
type bucket struct {
	rate  int64 // units per minute; 0 means unlimited
	level int64 // units * minuteNanos
	last  time.Time
}

const minuteNanos = int64(time.Minute)

func newBucket(rate int64, now time.Time) bucket {
	return bucket{rate: rate, level: rate * minuteNanos, last: now}
}

func (b *bucket) refill(now time.Time) {
	el := now.Sub(b.last)
	if el <= 0 {
		return
	}
	b.last = now
	if el >= time.Minute {
		b.level = b.rate * minuteNanos
		return
	}
	b.level = min(b.level+int64(el)*b.rate, b.rate*minuteNanos)
}

// cost returns n units clamped to the bucket's capacity, so that a call
// larger than a minute's worth can still run on a full bucket.
func (b *bucket) cost(n int64) int64 { return min(max(n, 0), b.rate) }

// wait refills the bucket and returns how long until n units are available.
func (b *bucket) wait(now time.Time, n int64) time.Duration {
	if b.rate == 0 {
		return 0
	}
	b.refill(now)
	need := b.cost(n)*minuteNanos - b.level
	if need <= 0 {
		return 0
	}
	return time.Duration((need + b.rate - 1) / b.rate)
}

// take removes n units (clamped) and returns how many it took.
func (b *bucket) take(n int64) int64 {
	if b.rate == 0 {
		return 0
	}
	c := b.cost(n)
	b.level -= c * minuteNanos
	return c
}

// adjust charges (positive) or refunds (negative) diff units, keeping the
// level between one minute of debt and a full bucket.
func (b *bucket) adjust(diff int64) {
	diff = min(max(diff, -b.rate), b.rate)
	b.level = min(max(b.level-diff*minuteNanos, -b.rate*minuteNanos), b.rate*minuteNanos)
}

// waiter is a caller blocked in Acquire.
type waiter struct {
	priority copydesk.Priority
	seq      uint64
	tokens   int
	index    int
	ready    chan struct{}
	grant    *grant // set when admitted, under Limiter.mu
}

// waitHeap orders waiters by priority (1 first), then arrival.
type waitHeap []*waiter

func (h waitHeap) Len() int { return len(h) }
func (h waitHeap) Less(i, j int) bool {
	if h[i].priority != h[j].priority {
		return h[i].priority < h[j].priority
	}
	return h[i].seq < h[j].seq
}
func (h waitHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *waitHeap) Push(x any) {
	w := x.(*waiter)
	w.index = len(*h)
	*h = append(*h, w)
}
func (h *waitHeap) Pop() any {
	old := *h
	w := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	w.index = -1
	return w
}
