package copydesk

import (
	"context"
	"sync"
)

// Meter sums the model calls made under one context: a batch item's calls,
// so that the batch can tell what each item cost and whether any provider
// was called for it. The model-call chain adds every finished call to the
// meter of its context (MeterFrom). Safe for concurrent use.
type Meter struct {
	mu     sync.Mutex
	calls  int
	cached int
	cost   Micros
}

// MeterReading is what a Meter has summed.
type MeterReading struct {
	// Calls counts the finished model calls, cached or not.
	Calls int
	// Cached counts the calls answered by the cache (no provider call).
	Cached int
	// Cost sums the cost of the calls a provider answered; a cached call
	// costs nothing.
	Cost Micros
}

// Add records one finished model call.
func (m *Meter) Add(res *ModelResult) {
	if m == nil || res == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if res.Cached {
		m.cached++
		return
	}
	m.cost += res.Usage.Cost
}

// Read returns the sums so far.
func (m *Meter) Read() MeterReading {
	m.mu.Lock()
	defer m.mu.Unlock()
	return MeterReading{Calls: m.calls, Cached: m.cached, Cost: m.cost}
}

type meterKey struct{}

// WithMeter returns a context whose model calls are added to m.
func WithMeter(ctx context.Context, m *Meter) context.Context {
	return context.WithValue(ctx, meterKey{}, m)
}

// MeterFrom returns the meter of ctx, or nil.
func MeterFrom(ctx context.Context) *Meter {
	m, _ := ctx.Value(meterKey{}).(*Meter)
	return m
}
