package groupcommit_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"

	"github.com/copydesk/copydesk/internal/groupcommit"
)

// sink records the batches written; items equal to bad fail their batch.
type sink struct {
	mu      sync.Mutex
	batches [][]int
	written map[int]int
	bad     int
	gate    chan struct{} // when set, the first write waits on it
}

func (s *sink) write(_ context.Context, batch []int) error {
	if s.gate != nil {
		<-s.gate
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range batch {
		if v == s.bad {
			return errors.New("bad item")
		}
	}
	s.batches = append(s.batches, append([]int(nil), batch...))
	if s.written == nil {
		s.written = map[int]int{}
	}
	for _, v := range batch {
		s.written[v]++
	}
	return nil
}

func TestEveryItemWrittenOnce(t *testing.T) {
	t.Parallel()
	s := &sink{bad: -1}
	w := &groupcommit.Writer[int]{Write: s.write, MaxBatch: 16}
	var wg sync.WaitGroup
	const n = 2000
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.Add(context.Background(), i); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if len(s.written) != n {
		t.Fatalf("got %d items written, want %d", len(s.written), n)
	}
	for v, c := range s.written {
		if c != 1 {
			t.Errorf("item %d written %d times, want once", v, c)
		}
	}
	for _, b := range s.batches {
		if len(b) > 16 {
			t.Errorf("got a batch of %d, want at most 16", len(b))
		}
	}
	t.Logf("%d items in %d batches", n, len(s.batches))
}

func TestConcurrentCallersShareABatch(t *testing.T) {
	t.Parallel()
	s := &sink{bad: -1, gate: make(chan struct{})}
	w := &groupcommit.Writer[int]{Write: s.write}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = w.Add(context.Background(), 0) }() // blocks in the gate
	// Wait until the first write is in progress, then queue 10 more.
	for !groupcommit.Writing(w) {
		runtime.Gosched()
	}
	for i := 1; i <= 10; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); _ = w.Add(context.Background(), i) }()
	}
	for groupcommit.PendingLen(w) < 10 {
		runtime.Gosched()
	}
	close(s.gate)
	wg.Wait()
	if len(s.batches) != 2 || len(s.batches[1]) != 10 {
		t.Errorf("got batches %v, want [0] then the 10 waiting items together", s.batches)
	}
}

func TestBadItemFailsAlone(t *testing.T) {
	t.Parallel()
	s := &sink{bad: 3, gate: make(chan struct{})}
	w := &groupcommit.Writer[int]{Write: s.write}
	var wg sync.WaitGroup
	errs := make([]error, 6)
	wg.Add(1)
	go func() { defer wg.Done(); errs[0] = w.Add(context.Background(), 0) }()
	for !groupcommit.Writing(w) {
		runtime.Gosched()
	}
	for i := 1; i < 6; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = w.Add(context.Background(), i) }()
	}
	for groupcommit.PendingLen(w) < 5 {
		runtime.Gosched()
	}
	close(s.gate)
	wg.Wait()
	for i, err := range errs {
		if (err != nil) != (i == 3) {
			t.Errorf("item %d: got error %v, want an error only for item 3", i, err)
		}
	}
	if len(s.written) != 5 {
		t.Errorf("got %d items written, want the 5 good ones", len(s.written))
	}
}

func TestCancelledBeforeWrite(t *testing.T) {
	t.Parallel()
	s := &sink{bad: -1}
	w := &groupcommit.Writer[int]{Write: s.write}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.Add(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	if len(s.written) != 0 {
		t.Errorf("got %d items written, want none", len(s.written))
	}
}

func TestWriteEachFailsOneItem(t *testing.T) {
	t.Parallel()
	gate := make(chan struct{})
	var batches [][]int
	var mu sync.Mutex
	first := true
	w := &groupcommit.Writer[int]{WriteEach: func(_ context.Context, batch []int) ([]error, error) {
		mu.Lock()
		wait := first
		first = false
		mu.Unlock()
		if wait {
			<-gate
		}
		mu.Lock()
		batches = append(batches, append([]int(nil), batch...))
		mu.Unlock()
		errs := make([]error, len(batch))
		for i, v := range batch {
			if v == 3 {
				errs[i] = errors.New("bad item")
			}
		}
		return errs, nil
	}}
	var wg sync.WaitGroup
	errs := make([]error, 6)
	wg.Add(1)
	go func() { defer wg.Done(); errs[0] = w.Add(context.Background(), 0) }()
	for !groupcommit.Writing(w) {
		runtime.Gosched()
	}
	for i := 1; i < 6; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = w.Add(context.Background(), i) }()
	}
	for groupcommit.PendingLen(w) < 5 {
		runtime.Gosched()
	}
	close(gate)
	wg.Wait()
	for i, err := range errs {
		if (err != nil) != (i == 3) {
			t.Errorf("item %d: got %v, want an error only for item 3", i, err)
		}
	}
	if len(batches) != 2 {
		t.Errorf("got batches %v, want 2: the failing item does not split its batch", batches)
	}
}
