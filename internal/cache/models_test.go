package cache_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/cache"
	"github.com/copydesk/copydesk/internal/copydesk"
)

// scriptedModels streams a fixed answer in three deltas and counts calls.
type scriptedModels struct {
	calls  atomic.Int32
	answer string
	gate   chan struct{} // when set, the call waits for it
}

func (s *scriptedModels) Stream(ctx context.Context, call copydesk.ModelCall, onDelta func(string) error) (*copydesk.ModelResult, error) {
	s.calls.Add(1)
	if s.gate != nil {
		<-s.gate
	}
	for _, d := range []string{s.answer[:2], s.answer[2:4], s.answer[4:]} {
		if err := onDelta(d); err != nil {
			return nil, err
		}
	}
	return &copydesk.ModelResult{
		Response: &copydesk.ModelResponse{Text: s.answer, Model: "m"},
		Usage:    copydesk.UsageRecord{Provider: "p", Model: "m", Cost: 42},
	}, nil
}

func mustModels(t *testing.T, next copydesk.ModelService) *cache.Models {
	t.Helper()
	c, err := cache.New(cache.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return &cache.Models{Next: next, Cache: c}
}

func call(text string) copydesk.ModelCall {
	return copydesk.ModelCall{Kind: "analysis.grammar", Request: copydesk.ModelRequest{Messages: []copydesk.Message{{Role: "user", Content: text}}}}
}

func TestModelsReplaysCachedStream(t *testing.T) {
	next := &scriptedModels{answer: "hello world"}
	m := mustModels(t, next)
	var first, second strings.Builder
	r1, err := m.Stream(context.Background(), call("x"), func(d string) error { first.WriteString(d); return nil })
	if err != nil {
		t.Fatal(err)
	}
	r2, err := m.Stream(context.Background(), call("x"), func(d string) error { second.WriteString(d); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if next.calls.Load() != 1 {
		t.Errorf("provider calls %d, want 1", next.calls.Load())
	}
	if first.String() != "hello world" || second.String() != "hello world" {
		t.Errorf("streams %q and %q, want the answer twice", first.String(), second.String())
	}
	if r1.Cached || !r2.Cached || r2.Usage.Cost != 42 || r2.Response.Text != "hello world" {
		t.Errorf("first %+v second %+v", r1, r2)
	}
	if _, err := m.Stream(context.Background(), call("y"), func(string) error { return nil }); err != nil || next.calls.Load() != 2 {
		t.Errorf("a different call: err %v, calls %d; want a new provider call", err, next.calls.Load())
	}
}

func TestModelsInvalidAnswerNotCached(t *testing.T) {
	next := &scriptedModels{answer: "not json"}
	m := mustModels(t, next)
	c := call("x")
	c.Validate = func(r *copydesk.ModelResponse) error { return errors.New("not the schema") }
	for i := 0; i < 2; i++ {
		_, err := m.Stream(context.Background(), c, func(string) error { return nil })
		var pe *copydesk.ProviderError
		if !errors.As(err, &pe) || pe.Kind != copydesk.ProviderInvalid {
			t.Fatalf("got %v, want a ProviderInvalid error", err)
		}
	}
	if next.calls.Load() != 2 {
		t.Errorf("provider calls %d, want 2 (an invalid answer is not cached)", next.calls.Load())
	}
}

// A caller whose receiver fails (a client that went away) does not break
// the call for another caller waiting on it.
func TestModelsLeaderReceiverFailsOthersStillServed(t *testing.T) {
	next := &scriptedModels{answer: "hello world", gate: make(chan struct{})}
	m := mustModels(t, next)
	var wg sync.WaitGroup
	var leaderErr, waiterErr error
	var waiterText strings.Builder
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, leaderErr = m.Stream(context.Background(), call("x"), func(string) error { return errors.New("client gone") })
	}()
	for next.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, waiterErr = m.Stream(context.Background(), call("x"), func(d string) error { waiterText.WriteString(d); return nil })
	}()
	time.Sleep(20 * time.Millisecond) // let the waiter join the flight
	close(next.gate)
	wg.Wait()
	if waiterErr != nil || waiterText.String() != "hello world" {
		t.Errorf("waiter: err %v text %q, want the whole answer", waiterErr, waiterText.String())
	}
	if leaderErr != nil {
		t.Errorf("leader: %v (its receiver failing must not fail the call)", leaderErr)
	}
	if next.calls.Load() != 1 {
		t.Errorf("provider calls %d, want 1", next.calls.Load())
	}
}

// TestModelsHitsShareOneDecoding: repeated hits are served from one
// decoding, and each caller gets its own result to change.
func TestModelsHitsShareOneDecoding(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, err := cache.New(cache.Config{})
	if err != nil {
		t.Fatal(err)
	}
	next := &scriptedModels{answer: "hello world"}
	m := &cache.Models{Next: next, Cache: c, ModelSet: "test"}
	call := copydesk.ModelCall{Kind: "chat", CustomerID: "cus_1",
		Request: copydesk.ModelRequest{Messages: []copydesk.Message{{Role: "user", Content: "hello"}}}}
	first, err := m.Stream(ctx, call, func(string) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	a, err := m.Stream(ctx, call, nil)
	if err != nil {
		t.Fatal(err)
	}
	a.Response.Text = "changed by one caller"
	var deltas []string
	b, err := m.Stream(ctx, call, func(d string) error { deltas = append(deltas, d); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if !a.Cached || !b.Cached || b.Response.Text != first.Response.Text || strings.Join(deltas, "") != first.Response.Text {
		t.Errorf("got hits %q (cached %v) and %q (cached %v), deltas %q; want the first answer each time, unchanged by another caller",
			a.Response.Text, a.Cached, b.Response.Text, b.Cached, deltas)
	}
	if next.calls.Load() != 1 {
		t.Errorf("got %d provider calls, want 1", next.calls.Load())
	}
}
