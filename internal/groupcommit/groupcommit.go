// Package groupcommit gathers writes from concurrent callers into batches:
// while one batch is being written, the items that arrive wait and go
// together in the next, so that N callers cost about one transaction
// instead of N, and a lone caller writes at once (no timer, no added
// latency). Every caller's Add returns when its own item is durable (or
// failed), so a write promised before an answer is still made before it.
//
// There is no background goroutine: the first caller to find no batch in
// progress writes, and keeps writing what arrived meanwhile.
package groupcommit

import (
	"context"
	"sync"
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

	mu      sync.Mutex
	writing bool
	pending []*item[T]
}

type item[T any] struct {
	v    T
	ctx  context.Context
	err  error
	done chan struct{}
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

// write writes one batch and settles its items.
func (w *Writer[T]) write(batch []*item[T]) {
	live := batch[:0:0]
	for _, it := range batch {
		if err := it.ctx.Err(); err != nil {
			it.err = err
			close(it.done)
			continue
		}
		live = append(live, it)
	}
	if len(live) == 0 {
		return
	}
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
			close(it.done)
		}
		return
	}
	for i, it := range live {
		it.err = err
		if err == nil && errs != nil {
			it.err = errs[i]
		}
		close(it.done)
	}
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
