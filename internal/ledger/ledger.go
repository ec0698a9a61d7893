// Package ledger records what model calls saved: the cache-hit link of the
// model-call chain (Savings) and the in-memory sums that write one ledger
// row per customer, user, kind, model and minute instead of a row per hit
// (Hits).
//
// Provider calls are written to the ledger by the budget guard when they
// settle (package budget); this package only adds the hits, whose savings
// are figures for reports, not money spent.
package ledger

import (
	"cmp"
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// Savings is the outermost link of the model-call chain (see package
// chain): it records every answer the cache gave without a provider call,
// with the cost it saved. It implements copydesk.ModelService.
type Savings struct {
	// Next answers the call (cache.Models). Required.
	Next copydesk.ModelService
	// Hits sums the savings. Required.
	Hits *Hits
}

var _ copydesk.ModelService = (*Savings)(nil)

// Stream implements copydesk.ModelService.
func (s *Savings) Stream(ctx context.Context, call copydesk.ModelCall, onDelta func(string) error) (*copydesk.ModelResult, error) {
	res, err := s.Next.Stream(ctx, call, onDelta)
	if err == nil && res.Cached && call.CustomerID != "" {
		s.Hits.Record(call, res.Usage)
	}
	return res, err
}

// FlushIntervalDefault is how often Hits writes its sums.
const FlushIntervalDefault = 5 * time.Second

// Hits sums cache hits in memory and writes one ledger row (CacheHit set,
// Count the number of hits, Saved their sum) per customer, user, task kind,
// provider, model and minute, every FlushInterval and on Stop. A crash loses
// at most the last FlushInterval of hit figures, never money: hits cost
// nothing. Safe for concurrent use.
type Hits struct {
	// Store receives the rows. Required.
	Store copydesk.LedgerStore
	// Clock tells the minute of a hit. Default copydesk.SystemClock.
	Clock copydesk.Clock
	// FlushInterval is the time between writes. Default FlushIntervalDefault.
	FlushInterval time.Duration
	// Logger receives write failures. Default: discard.
	Logger *slog.Logger

	mu      sync.Mutex
	pending map[hitKey]*copydesk.LedgerEntry
	stop    context.CancelFunc
	done    chan struct{}
}

type hitKey struct {
	customer, user, key, kind, provider, model string
	minute                                     int64
}

// Record adds one cache hit of call, whose original call is described by u.
func (h *Hits) Record(call copydesk.ModelCall, u copydesk.UsageRecord) {
	now := h.clock().Now().UTC()
	minute := now.Truncate(time.Minute)
	k := hitKey{call.CustomerID, call.UserID, call.KeyID, call.Kind, u.Provider, u.Model, minute.Unix()}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.pending == nil {
		h.pending = make(map[hitKey]*copydesk.LedgerEntry)
	}
	e := h.pending[k]
	if e == nil {
		e = &copydesk.LedgerEntry{CustomerID: call.CustomerID, UserID: call.UserID, KeyID: call.KeyID, Kind: call.Kind,
			Provider: u.Provider, Model: u.Model, CacheHit: true, At: minute}
		h.pending[k] = e
	}
	e.Count++
	e.Saved += max(u.Cost, 0)
}

// Pending returns the number of rows waiting to be written.
func (h *Hits) Pending() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.pending)
}

// Flush writes the pending sums, one row each (see Flusher). Rows the store refuses for
// a reason that may pass stay pending for the next flush; the first error
// is returned.
func (h *Hits) Flush(ctx context.Context) error {
	h.mu.Lock()
	rows := h.pending
	h.pending = nil
	h.mu.Unlock()
	var first error
	for k, e := range rows {
		err := h.Store.AppendLedger(ctx, e)
		if err == nil {
			continue
		}
		first = cmp.Or(first, err)
		if copydesk.ErrorCode(err) == copydesk.EINVALID {
			h.logger().Error("ledger: a cache-hit row was refused", "customer_id", e.CustomerID, "err", err)
			continue
		}
		h.requeue(k, e)
	}
	return first
}

// requeue puts a row that failed to be written back, merged with hits
// recorded meanwhile.
func (h *Hits) requeue(k hitKey, e *copydesk.LedgerEntry) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.pending == nil {
		h.pending = make(map[hitKey]*copydesk.LedgerEntry)
	}
	if cur := h.pending[k]; cur != nil {
		cur.Count += e.Count
		cur.Saved += e.Saved
		return
	}
	e.ID = "" // a new id on the next try: the failed insert may have been kept
	h.pending[k] = e
}

// Start flushes every FlushInterval in a goroutine until Stop. Returns
// ECONFLICT if it is already running.
func (h *Hits) Start(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stop != nil {
		return copydesk.Errorf(copydesk.ECONFLICT, "ledger: hits are already being flushed")
	}
	if h.FlushInterval < 0 {
		return copydesk.Errorf(copydesk.EINVALID, "ledger: FlushInterval cannot be negative (got %s)", h.FlushInterval)
	}
	ctx, h.stop = context.WithCancel(ctx)
	h.done = make(chan struct{})
	go func(done chan struct{}) {
		defer close(done)
		t := time.NewTicker(cmp.Or(h.FlushInterval, FlushIntervalDefault))
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := h.Flush(ctx); err != nil && ctx.Err() == nil {
					h.logger().Warn("ledger: writing cache-hit rows failed; retrying at the next flush", "err", err)
				}
			}
		}
	}(h.done)
	return nil
}

// Stop ends the flushing goroutine and writes what is pending. Safe to call
// more than once, and without Start.
func (h *Hits) Stop(ctx context.Context) error {
	h.mu.Lock()
	stop, done := h.stop, h.done
	h.stop, h.done = nil, nil
	h.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
	return h.Flush(ctx)
}

func (h *Hits) clock() copydesk.Clock {
	return cmp.Or[copydesk.Clock](h.Clock, copydesk.SystemClock{})
}

func (h *Hits) logger() *slog.Logger {
	if h.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return h.Logger
}

// Flusher writes what it holds back (budget.Service's queued rows, Hits).
type Flusher interface {
	Flush(ctx context.Context) error
}

// Reader reads the ledger after writing the rows still held back in
// memory, so that a usage report shows every call answered before it.
type Reader struct {
	// Store holds the ledger. Required.
	Store copydesk.LedgerStore
	// Costs sums the ledger by tier for CostPerPage; nil: that report is
	// unavailable.
	Costs copydesk.CostStore
	// Pending are written before each read; their failures are logged and
	// the read goes on.
	Pending []Flusher
	// Logger receives flush failures. Default: discard.
	Logger *slog.Logger
}

func (r *Reader) flush(ctx context.Context) {
	for _, f := range r.Pending {
		if f == nil {
			continue
		}
		if err := f.Flush(ctx); err != nil && r.Logger != nil {
			r.Logger.Warn("ledger: writing held-back rows before a read failed", "err", err)
		}
	}
}

// UsageReport implements copydesk.LedgerStore's report after a flush.
func (r *Reader) UsageReport(ctx context.Context, f copydesk.UsageFilter) (*copydesk.UsageReport, error) {
	r.flush(ctx)
	return r.Store.UsageReport(ctx, f)
}

// FindLedger implements copydesk.LedgerStore's read after a flush.
func (r *Reader) FindLedger(ctx context.Context, f copydesk.UsageFilter) ([]*copydesk.LedgerEntry, error) {
	r.flush(ctx)
	return r.Store.FindLedger(ctx, f)
}

// CostPerPage builds the cost-per-page report of f after a flush.
// Returns EUNAVAILABLE when the Reader has no Costs store.
func (r *Reader) CostPerPage(ctx context.Context, f copydesk.UsageFilter, currency string) (*CostPerPageReport, error) {
	if r.Costs == nil {
		return nil, copydesk.Errorf(copydesk.EUNAVAILABLE, "the cost-per-page report needs a store that sums the ledger by tier")
	}
	r.flush(ctx)
	t, err := r.Costs.CostByTier(ctx, f)
	if err != nil {
		return nil, err
	}
	return CostPerPage(t, f.From, f.To, currency), nil
}
