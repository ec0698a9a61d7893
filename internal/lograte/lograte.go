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
	"slices"
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
	// Distinct names the attributes that tell lines of one message apart:
	// lines whose values of these differ are counted apart (a budget
	// threshold crossed by two customers is two lines). Default
	// DistinctDefault.
	Distinct []string
}

// DistinctDefault are the attributes that make a line its own: who it is
// about, and which budget threshold.
var DistinctDefault = []string{"customer_id", "user_id", "key_id", "threshold"}

// Handler is a slog.Handler that holds back repeats of a warning (see the
// package doc). Lines are told apart by level, message and the Distinct
// attributes, not by the others (a cache key, a request id, an error
// text), so that one failure seen by many requests counts as one. Handlers made by WithAttrs and WithGroup share
// the count. Safe for concurrent use.
type Handler struct {
	next  slog.Handler
	state *state
}

type state struct {
	interval time.Duration
	level    slog.Leveler
	now      func() time.Time
	distinct []string

	mu   sync.Mutex
	seen map[key]*seen
}

type key struct {
	level slog.Level
	msg   string
	attrs string // the Distinct attributes' values
}

type seen struct {
	passed     time.Time // when the last line passed
	suppressed int       // lines held back since
}

var _ slog.Handler = (*Handler)(nil)

// New returns a Handler writing what passes to next.
func New(next slog.Handler, opts Options) *Handler {
	st := &state{interval: cmp.Or(opts.Interval, IntervalDefault), level: opts.Level, now: opts.Now, distinct: opts.Distinct, seen: map[key]*seen{}}
	if st.distinct == nil {
		st.distinct = DistinctDefault
	}
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
	k := key{level: r.Level, msg: r.Message}
	r.Attrs(func(a slog.Attr) bool {
		if slices.Contains(st.distinct, a.Key) {
			k.attrs += a.Key + "=" + a.Value.String() + "\x00"
		}
		return true
	})
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
