package router

import (
	"sync"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// breaker is a circuit breaker for one endpoint and key. Closed, it lets
// every call through and opens after Consecutive failures in a row or a
// failure rate of FailureRate over at least MinRequests calls in a Window.
// Open, it refuses calls until Cooldown has passed, then turns half-open
// and lets exactly one probe through: success closes it, failure opens it
// again for another Cooldown.
type breaker struct {
	cfg BreakerConfig

	mu          sync.Mutex
	state       string
	consecutive int
	windowStart time.Time
	total       int
	failures    int
	openedAt    time.Time
	probing     bool
}

func newBreaker(cfg BreakerConfig) *breaker {
	return &breaker{cfg: cfg, state: copydesk.BreakerClosed}
}

// allow reports whether a call may go through now. In the half-open state
// the first caller gets the probe; it must end with record or cancel.
func (b *breaker) allow(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case copydesk.BreakerOpen:
		if now.Sub(b.openedAt) < b.cfg.Cooldown {
			return false
		}
		b.state, b.probing = copydesk.BreakerHalfOpen, true
		return true
	case copydesk.BreakerHalfOpen:
		if b.probing {
			return false
		}
		b.probing = true
		return true
	}
	return true
}

// retryAt returns when an open breaker will let a probe through.
func (b *breaker) retryAt() time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.openedAt.Add(b.cfg.Cooldown)
}

// record ends an allowed call with its verdict.
func (b *breaker) record(now time.Time, failed bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case copydesk.BreakerHalfOpen:
		b.probing = false
		if failed {
			b.state, b.openedAt = copydesk.BreakerOpen, now
		} else {
			b.close(now)
		}
		return
	case copydesk.BreakerOpen:
		return // a call that started before the breaker opened
	}
	if now.Sub(b.windowStart) >= b.cfg.Window {
		b.windowStart, b.total, b.failures = now, 0, 0
	}
	b.total++
	if !failed {
		b.consecutive = 0
		return
	}
	b.failures++
	b.consecutive++
	if b.consecutive >= b.cfg.Consecutive ||
		b.total >= b.cfg.MinRequests && float64(b.failures) >= b.cfg.FailureRate*float64(b.total) {
		b.state, b.openedAt = copydesk.BreakerOpen, now
	}
}

// cancel ends an allowed call without a verdict (the caller went away).
func (b *breaker) cancel() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == copydesk.BreakerHalfOpen {
		b.probing = false
	}
}

func (b *breaker) close(now time.Time) {
	b.state, b.consecutive = copydesk.BreakerClosed, 0
	b.windowStart, b.total, b.failures = now, 0, 0
}

// State returns the breaker's state at now: an open breaker whose cooldown
// has passed reports half-open.
func (b *breaker) State(now time.Time) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == copydesk.BreakerOpen && now.Sub(b.openedAt) >= b.cfg.Cooldown {
		return copydesk.BreakerHalfOpen
	}
	return b.state
}
