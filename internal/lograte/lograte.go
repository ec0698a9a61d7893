// Package lograte keeps repeated warnings from flooding the logs: a
// slog.Handler that passes the first warning or error of each message and
// then at most one per interval, the passed line carrying how many of the
// same were held back since the previous one ("suppressed"). Lines below
// warning (one per request, for example) always pass.
//
// A Redis outage makes every cache lookup fail the same way: thousands of
// identical "cache L2 read failed" lines a minute say nothing more than one
// line every ten seconds with a count.
package lograte

import (
	"cmp"
	"context"
	"log/slog"
	"sync"
	"time"
)

// IntervalDefault is the least time between two passed lines of one
// message.
const IntervalDefault = 10 * time.Second

// maxMessages bounds the messages remembered; past it they are forgotten
// (each may then pass once more at once).
const maxMessages = 1024

// Options configures a Handler. The zero value uses the defaults.
type Options struct {
	// Interval is the least time between two passed lines of one message
	// at Level or above. Default IntervalDefault; negative: nothing is
	// held back.
	Interval time.Duration
	// Level is the lowest level held back. Default slog.LevelWarn.
	Level slog.Leveler
	// Now tells the time. Default time.Now.
	Now func() time.Time
}

// Handler is a slog.Handler that holds back repeats of a warning (see the
// package doc). Lines are told apart by level and message, not by their
// attributes (a key, a request id), so that one failure seen by many
// requests counts as one. Handlers made by WithAttrs and WithGroup share
// the count. Safe for concurrent use.
type Handler struct {
	next  slog.Handler
	state *state
}

type state struct {
	interval time.Duration
	level    slog.Leveler
	now      func() time.Time

	mu   sync.Mutex
	seen map[key]*seen
}

type key struct {
	level slog.Level
	msg   string
}

type seen struct {
	passed     time.Time // when the last line passed
	suppressed int       // lines held back since
}

var _ slog.Handler = (*Handler)(nil)

// New returns a Handler writing what passes to next.
func New(next slog.Handler, opts Options) *Handler {
	st := &state{interval: cmp.Or(opts.Interval, IntervalDefault), level: opts.Level, now: opts.Now, seen: map[key]*seen{}}
	if st.level == nil {
		st.level = slog.LevelWarn
	}
	if st.now == nil {
		st.now = time.Now
	}
	return &Handler{next: next, state: st}
}

// Enabled implements slog.Handler.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

// WithAttrs implements slog.Handler.
func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	return &Handler{next: h.next.WithAttrs(as), state: h.state}
}

// WithGroup implements slog.Handler.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{next: h.next.WithGroup(name), state: h.state}
}

// Handle implements slog.Handler: it passes r, or holds it back and counts
// it.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	n, ok := h.state.admit(r)
	if !ok {
		return nil
	}
	if n > 0 {
		r = r.Clone()
		r.AddAttrs(slog.Int("suppressed", n))
	}
	return h.next.Handle(ctx, r)
}

// admit reports whether r passes and how many of its kind were held back
// since the last that passed.
func (st *state) admit(r slog.Record) (int, bool) {
	if st.interval < 0 || r.Level < st.level.Level() {
		return 0, true
	}
	k := key{r.Level, r.Message}
	now := st.now()
	st.mu.Lock()
	defer st.mu.Unlock()
	s := st.seen[k]
	if s == nil {
		if len(st.seen) >= maxMessages {
			clear(st.seen)
		}
		st.seen[k] = &seen{passed: now}
		return 0, true
	}
	if now.Sub(s.passed) < st.interval {
		s.suppressed++
		return 0, false
	}
	n := s.suppressed
	s.passed, s.suppressed = now, 0
	return n, true
}
