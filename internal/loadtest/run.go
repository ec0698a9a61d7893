// Package loadtest is the engine of `copydesk bench`: a closed-loop load
// runner that never times a wrong answer, nearest-rank percentiles, readers
// of a process's CPU time and memory from /proc, an instant
// OpenAI-compatible upstream and a bare server to measure against, and an
// SSE reader. It knows nothing of Copydesk's API; the rows that use it live
// in cmd/copydesk. Standard library only.
package loadtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Load is how a phase sends: Concurrency workers in a closed loop, each
// sending its next operation when its last one was answered, until Duration
// has passed or Count operations were started, whichever comes first.
type Load struct {
	// Concurrency is the number of operations in flight. Default 1.
	Concurrency int
	// Duration ends the phase: no operation starts after it. 0: no limit
	// (Count must be set).
	Duration time.Duration
	// Count is the most operations started. 0: no limit (Duration must be
	// set).
	Count int
}

// Op performs operation i (0, 1, 2 … within a phase) and returns nil only
// when the answer was the expected one; anything else (a transport error, an
// unexpected status, a body that is not the expected answer) is an error.
type Op func(ctx context.Context, i int) error

// Sample is what a phase measured. Latencies hold the successful operations
// only: a failed operation is counted, never timed.
type Sample struct {
	// OK counts the operations that returned nil.
	OK int
	// Failed counts the operations that returned an error.
	Failed int
	// FirstError is the first error's text.
	FirstError string
	// Elapsed is the phase's wall time, from its start to the last answer.
	Elapsed time.Duration
	// Latencies are the successful operations' durations, in no order.
	Latencies []time.Duration
}

// Add merges o into s (for phases of one target run in several rounds).
func (s *Sample) Add(o *Sample) {
	s.OK += o.OK
	s.Failed += o.Failed
	if s.FirstError == "" {
		s.FirstError = o.FirstError
	}
	s.Elapsed += o.Elapsed
	s.Latencies = append(s.Latencies, o.Latencies...)
}

// Rate returns successful operations per second of elapsed time.
func (s *Sample) Rate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.OK) / s.Elapsed.Seconds()
}

// ErrStopped is the error of Run when ctx was cancelled before the phase
// could finish.
var ErrStopped = errors.New("loadtest: stopped")

// Run runs op under load l and returns what it measured. The first failed
// operation stops the phase: no further operation starts, and those in
// flight are waited for (a failed row is not worth finishing). Run returns
// an error only for a bad Load or when ctx is cancelled (ErrStopped), and
// then with what was measured so far.
func Run(ctx context.Context, l Load, op Op) (*Sample, error) {
	if l.Concurrency < 1 {
		l.Concurrency = 1
	}
	if l.Duration <= 0 && l.Count <= 0 {
		return nil, fmt.Errorf("loadtest: a load needs a duration or a count")
	}
	if l.Count > 0 && l.Concurrency > l.Count {
		l.Concurrency = l.Count
	}
	var (
		next   atomic.Int64
		failed atomic.Bool
		mu     sync.Mutex
		s      = &Sample{}
		wg     sync.WaitGroup
	)
	var deadline time.Time
	start := time.Now()
	if l.Duration > 0 {
		deadline = start.Add(l.Duration)
	}
	for range l.Concurrency {
		wg.Go(func() {
			lat := make([]time.Duration, 0, 1024)
			ok, bad := 0, 0
			var firstErr error
			for ctx.Err() == nil && !failed.Load() {
				i := int(next.Add(1) - 1)
				if l.Count > 0 && i >= l.Count {
					break
				}
				t0 := time.Now()
				if !deadline.IsZero() && !t0.Before(deadline) {
					break
				}
				err := op(ctx, i)
				d := time.Since(t0)
				if err != nil {
					if ctx.Err() != nil {
						break // interrupted, not a wrong answer
					}
					bad++
					if firstErr == nil {
						firstErr = err
					}
					failed.Store(true)
					break
				}
				ok++
				lat = append(lat, d)
			}
			mu.Lock()
			s.OK += ok
			s.Failed += bad
			if firstErr != nil && s.FirstError == "" {
				s.FirstError = firstErr.Error()
			}
			s.Latencies = append(s.Latencies, lat...)
			mu.Unlock()
		})
	}
	wg.Wait()
	s.Elapsed = time.Since(start)
	if ctx.Err() != nil {
		return s, ErrStopped
	}
	return s, nil
}
