// Package outage provides the policy of a wrapper that falls back from a
// shared store that may be out (Redis, for the rate limiter and the cache):
// after a failure the store is skipped for a cooldown, so that an outage
// costs one timeout per cooldown and not one per request; every fallback
// is counted; and a warning is logged at most once per interval, with the
// failures since the last one.
package outage

import (
	"cmp"
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// Defaults of Options.
const (
	CooldownDefault     = time.Second
	WarnIntervalDefault = time.Minute
)

// Options configures a Guard.
type Options struct {
	// Clock times the cooldown and the warnings. Default
	// copydesk.SystemClock. It should not be the clock of what the store
	// holds: a test clock that stands still would keep the store skipped
	// for ever.
	Clock copydesk.Clock
	// Logger receives the warnings. Default: discard.
	Logger *slog.Logger
	// Cooldown is how long after a failure the store is skipped without
	// being tried. Default CooldownDefault.
	Cooldown time.Duration
	// WarnInterval is the least time between two warnings; the failures
	// in between are counted in the next. Default WarnIntervalDefault.
	WarnInterval time.Duration
	// Warning is the warning's message: what fails and what happens
	// meanwhile.
	Warning string
}

// WithWarning returns o with warning as its Warning, unless it has one.
func (o Options) WithWarning(warning string) Options {
	o.Warning = cmp.Or(o.Warning, warning)
	return o
}

// Guard keeps the state of one fallback: whether the store may be tried,
// and the counts. It is safe for concurrent use.
type Guard struct {
	clock    copydesk.Clock
	logger   *slog.Logger
	cooldown time.Duration
	warnGap  time.Duration
	warning  string

	fallbacks atomic.Uint64
	downUntil atomic.Int64 // Unix ns by clock: skip the store until then

	mu         sync.Mutex
	lastWarn   time.Time
	unreported uint64
}

// New returns a Guard with the store up.
func New(opts Options) *Guard {
	return &Guard{
		clock:    cmp.Or[copydesk.Clock](opts.Clock, copydesk.SystemClock{}),
		logger:   cmp.Or(opts.Logger, slog.New(slog.DiscardHandler)),
		cooldown: cmp.Or(opts.Cooldown, CooldownDefault),
		warnGap:  cmp.Or(opts.WarnInterval, WarnIntervalDefault),
		warning:  cmp.Or(opts.Warning, "shared store failed; falling back until it answers"),
	}
}

// Up reports whether the store may be tried: no cooldown runs.
func (g *Guard) Up() bool { return g.clock.Now().UnixNano() >= g.downUntil.Load() }

// Skip counts one fallback made without trying the store (in a cooldown,
// or after a failure Failed was told of).
func (g *Guard) Skip() { g.fallbacks.Add(1) }

// Failed records a failure err of the store: it starts the cooldown and
// warns, at most once per WarnInterval, unless the call was cut short by
// ctx's own cancellation (a client that went away says nothing about the
// store), in which case it does nothing and returns false.
func (g *Guard) Failed(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	now := g.clock.Now()
	g.downUntil.Store(now.Add(g.cooldown).UnixNano())
	g.mu.Lock()
	g.unreported++
	if !g.lastWarn.IsZero() && now.Sub(g.lastWarn) < g.warnGap {
		g.mu.Unlock()
		return true
	}
	n := g.unreported
	g.lastWarn, g.unreported = now, 0
	g.mu.Unlock()
	g.logger.Warn(g.warning, "error", copydesk.ErrorMessage(err), "code", copydesk.ErrorCode(err),
		"failures_since_last_warning", n, "fallbacks_total", g.fallbacks.Load()+1)
	return true
}

// Fallbacks returns how many fallbacks were counted (a counter for
// metrics).
func (g *Guard) Fallbacks() uint64 { return g.fallbacks.Load() }
