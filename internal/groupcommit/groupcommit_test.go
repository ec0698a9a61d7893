package groupcommit_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"

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

func TestAddLater(t *testing.T) {
	t.Parallel()
	s := &sink{bad: 13}
	var mu sync.Mutex
	var failed []int
	w := &groupcommit.Writer[int]{Write: s.write, Linger: 20 * time.Millisecond, OnLaterError: func(v int, err error) {
		mu.Lock()
		failed = append(failed, v)
		mu.Unlock()
	}}
	for i := range 20 {
		if i != 13 {
			w.AddLater(i) // returns at once; written together after the linger
		}
	}
	if err := w.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	written, batches := len(s.written), len(s.batches)
	s.mu.Unlock()
	if written != 19 || batches > 3 {
		t.Errorf("got %d items written in %d batches, want 19 sharing one or a few", written, batches)
	}
	w.AddLater(13)
	if err := w.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(failed) != 1 || failed[0] != 13 {
		t.Errorf("OnLaterError got %v, want [13]", failed)
	}
	// A sync Add takes the waiting items along.
	w.AddLater(100)
	if err := w.Add(context.Background(), 101); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.written[100] != 1 {
		t.Error("an AddLater item was not written with the next Add")
	}
}

func TestAddAsync(t *testing.T) {
	t.Parallel()
	s := &sink{bad: 3, gate: make(chan struct{})}
	w := &groupcommit.Writer[int]{Write: s.write}
	// The outcomes in the order the callbacks ran; an Add's return is
	// recorded as its value + 100.
	var mu sync.Mutex
	var got []int
	errs := map[int]error{}
	record := func(v int) func(error) {
		return func(err error) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, v)
			errs[v] = err
		}
	}
	// A lone item: AddAsync returns before it is written (the first write
	// waits on the gate), and a new goroutine writes it.
	w.AddAsync(context.Background(), 0, record(0))
	for !groupcommit.Writing(w) {
		runtime.Gosched()
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	w.AddAsync(context.Background(), 1, record(1))
	w.AddAsync(cancelled, 2, record(2))
	w.AddAsync(context.Background(), 3, record(3)) // fails its batch: written again alone
	done := make(chan error)
	go func() { done <- w.Add(context.Background(), 4) }()
	for groupcommit.PendingLen(w) < 4 {
		runtime.Gosched()
	}
	w.AddAsync(context.Background(), 5, record(5)) // after the Add: settled after it
	close(s.gate)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	got = append(got, 104) // the Add has returned
	mu.Unlock()
	if err := w.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	// 5 may be settled before or after the Add's caller runs again, but
	// never before 0–3.
	if len(got) != 6 || got[0] != 0 || got[1] != 1 || got[2] != 2 || got[3] != 3 {
		t.Fatalf("callbacks ran in the order %v, want 0, 1, 2, 3 first, then 104 and 5", got)
	}
	if errs[0] != nil || errs[1] != nil || errs[5] != nil {
		t.Errorf("got errors %v, want none for 0, 1 and 5", errs)
	}
	if !errors.Is(errs[2], context.Canceled) {
		t.Errorf("item 2 (cancelled before its batch): got %v, want context.Canceled", errs[2])
	}
	if errs[3] == nil {
		t.Error("item 3 (bad): got no error")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range []int{0, 1, 4, 5} {
		if s.written[v] != 1 {
			t.Errorf("item %d written %d times, want once", v, s.written[v])
		}
	}
	if s.written[2] != 0 || s.written[3] != 0 {
		t.Errorf("items 2 and 3 written %d and %d times, want never", s.written[2], s.written[3])
	}
}
