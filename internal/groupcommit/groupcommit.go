// Package groupcommit gathers writes from concurrent callers into batches:
// while one batch is being written, the items that arrive wait and go
// together in the next, so that N callers cost about one transaction
// instead of N, and a lone caller writes at once (no timer, no added
// latency). Every caller's Add returns when its own item is durable (or
// failed), so a write promised before an answer is still made before it.
//
// There is no background goroutine: the first caller to find no batch in
// progress writes, and keeps writing what arrived meanwhile (for AddAsync,
// whose caller does not wait, a goroutine started for it does).
package groupcommit

import (
	"context"
	"sync"
	"time"
)

// MaxBatchDefault caps the items of one batch.
const MaxBatchDefault = 256

// Writer writes items in batches. The zero value is not usable: set Write.
// Safe for concurrent use.
type Writer[T any] struct {
	// Write stores a batch, all or nothing (one transaction). Required
	// unless WriteEach is set.
	Write func(ctx context.Context, batch []T) error
	// WriteEach, when set, stores a batch in one transaction in which an
	// item may fail alone (e.g. behind a savepoint): it returns each item's
	// error (nil: none failed), or err when the whole batch failed, after
	// which each item is written again alone.
	WriteEach func(ctx context.Context, batch []T) (errs []error, err error)
	// MaxBatch caps the items of one batch. Default MaxBatchDefault.
	MaxBatch int
	// Observe, when set, is told the size of every batch written (metrics).
	Observe func(n int, err error)
	// Linger is how long an item added with AddLater may wait for others
	// to share its transaction. Default LingerDefault.
	Linger time.Duration
	// OnLaterError, when set, receives the error of an item added with
	// AddLater that could not be written.
	OnLaterError func(v T, err error)

	mu      sync.Mutex
	writing bool
	armed   bool // a timer will drain the items added with AddLater
	pending []*item[T]
}

// LingerDefault is how long an AddLater item waits for company.
const LingerDefault = 100 * time.Millisecond

type item[T any] struct {
	v     T
	ctx   context.Context
	err   error
	done  chan struct{}
	later bool        // added with AddLater: nobody waits, errors go to OnLaterError
	then  func(error) // added with AddAsync: told the outcome
}

// Add writes v, in a batch with the items of concurrent callers, and
// returns when it is written. If its batch fails, each of the batch's
// items is written again alone, so that one bad item fails only its own
// caller. Add returns ctx's error if ctx ends before the item was taken
// into a batch; once taken, the write completes and Add returns its
// outcome.
func (w *Writer[T]) Add(ctx context.Context, v T) error {
	it := &item[T]{v: v, ctx: ctx, done: make(chan struct{})}
	w.mu.Lock()
	w.pending = append(w.pending, it)
	if w.writing {
		w.mu.Unlock()
		<-it.done
		return it.err
	}
	w.writing = true
	w.mu.Unlock()
	w.drain(it)
	<-it.done
	return it.err
}

// AddAsync queues v like Add, in order with every other item, and returns
// at once; done (called on the writing goroutine, in the order the items
// were added, before any later item is settled) receives its outcome. A
// lone item is written at once by a new goroutine: no timer, no added
// latency. For writes whose caller need not wait but whose order with the
// writes after them matters.
func (w *Writer[T]) AddAsync(ctx context.Context, v T, done func(error)) {
	it := &item[T]{v: v, ctx: ctx, done: make(chan struct{}), then: done}
	w.mu.Lock()
	w.pending = append(w.pending, it)
	if w.writing {
		w.mu.Unlock()
		return
	}
	w.writing = true
	w.mu.Unlock()
	go w.drain(nil)
}

// AddLater queues v to be written within Linger, in a batch with the items
// that arrive meanwhile, and returns at once: for writes no answer waits
// on (a crash loses at most the last Linger of them). Failures go to
// OnLaterError.
func (w *Writer[T]) AddLater(v T) {
	it := &item[T]{v: v, ctx: context.Background(), done: make(chan struct{}), later: true}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pending = append(w.pending, it)
	if w.writing || w.armed {
		return // a batch in progress, or the timer, takes it
	}
	w.armed = true
	linger := w.Linger
	if linger <= 0 {
		linger = LingerDefault
	}
	time.AfterFunc(linger, w.kick)
}

// kick drains what waits unless a writer is at work.
func (w *Writer[T]) kick() {
	w.mu.Lock()
	w.armed = false
	if w.writing || len(w.pending) == 0 {
		w.mu.Unlock()
		return
	}
	w.writing = true
	w.mu.Unlock()
	w.drain(nil)
}

// Flush writes every item waiting now and returns when none waits and no
// batch is in progress, or when ctx ends. Call it at shutdown.
func (w *Writer[T]) Flush(ctx context.Context) error {
	for {
		w.mu.Lock()
		switch {
		case len(w.pending) == 0 && !w.writing:
			w.mu.Unlock()
			return nil
		case !w.writing:
			w.writing = true
			w.mu.Unlock()
			w.drain(nil)
			continue
		}
		w.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
}

// drain writes batches until nothing is pending. Once own (the draining
// caller's item) is written, a goroutine takes over what remains, so that
// a caller under constant load is not kept writing for the others.
func (w *Writer[T]) drain(own *item[T]) {
	max := w.MaxBatch
	if max <= 0 {
		max = MaxBatchDefault
	}
	for {
		w.mu.Lock()
		if len(w.pending) == 0 {
			w.writing = false
			w.mu.Unlock()
			return
		}
		n := min(len(w.pending), max)
		batch := w.pending[:n:n]
		w.pending = w.pending[n:]
		if len(w.pending) == 0 {
			w.pending = nil
		}
		w.mu.Unlock()
		w.write(batch)
		if own != nil {
			select {
			case <-own.done:
				go w.drain(nil)
				return
			default:
			}
		}
	}
}

// write writes one batch and settles its items, in the order they were
// added (an item whose ctx ended before the batch is not written).
func (w *Writer[T]) write(batch []*item[T]) {
	live := batch[:0:0]
	for _, it := range batch {
		if err := it.ctx.Err(); err != nil {
			it.err = err
			continue
		}
		live = append(live, it)
	}
	if len(live) > 0 {
		w.writeLive(live)
	}
	for _, it := range batch {
		w.settle(it)
	}
}

// writeLive writes items and sets their errors.
func (w *Writer[T]) writeLive(live []*item[T]) {
	vals := make([]T, len(live))
	for i, it := range live {
		vals[i] = it.v
	}
	// The batch is written on behalf of several callers: none of their
	// cancellations may cut it in the middle.
	ctx := context.WithoutCancel(live[0].ctx)
	errs, err := w.writeBatch(ctx, vals)
	if err != nil && len(live) > 1 {
		for _, it := range live {
			errs, err := w.writeBatch(ctx, []T{it.v})
			it.err = err
			if err == nil && errs != nil {
				it.err = errs[0]
			}
		}
		return
	}
	for i, it := range live {
		it.err = err
		if err == nil && errs != nil {
			it.err = errs[i]
		}
	}
}

// settle ends an item's wait, or reports a failed AddLater item.
func (w *Writer[T]) settle(it *item[T]) {
	if it.later && it.err != nil && w.OnLaterError != nil {
		w.OnLaterError(it.v, it.err)
	}
	if it.then != nil {
		it.then(it.err)
	}
	close(it.done)
}

// writeBatch writes vals through WriteEach or Write.
func (w *Writer[T]) writeBatch(ctx context.Context, vals []T) ([]error, error) {
	var errs []error
	var err error
	if w.WriteEach != nil {
		errs, err = w.WriteEach(ctx, vals)
	} else {
		err = w.Write(ctx, vals)
	}
	if w.Observe != nil {
		w.Observe(len(vals), err)
	}
	return errs, err
}
