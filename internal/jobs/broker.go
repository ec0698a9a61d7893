// Package jobs runs accepted jobs: the registry of job handlers, the runner
// that moves a job through its states and persists its events, the
// in-process broker that wakes event streams, and the service the HTTP layer
// calls to submit, inspect and cancel jobs.
package jobs

import "sync"

// Broker wakes subscribers of a job when new events were stored for it. It
// carries no data: subscribers read the store, which is the single source of
// truth, so a missed wake-up costs latency, never an event.
type Broker struct {
	mu   sync.Mutex
	subs map[string]map[chan struct{}]struct{}
}

// NewBroker returns an empty broker.
func NewBroker() *Broker {
	return &Broker{subs: make(map[string]map[chan struct{}]struct{})}
}

// Subscribe returns a channel that receives a value after each Publish for
// jobID (several publishes may coalesce into one value), and a function that
// ends the subscription.
func (b *Broker) Subscribe(jobID string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	b.mu.Lock()
	m := b.subs[jobID]
	if m == nil {
		m = make(map[chan struct{}]struct{})
		b.subs[jobID] = m
	}
	m[ch] = struct{}{}
	b.mu.Unlock()
	return ch, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if m := b.subs[jobID]; m != nil {
			delete(m, ch)
			if len(m) == 0 {
				delete(b.subs, jobID)
			}
		}
	}
}

// Publish wakes every subscriber of jobID without blocking.
func (b *Broker) Publish(jobID string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs[jobID] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Subscribers returns the number of open subscriptions, for metrics.
func (b *Broker) Subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, m := range b.subs {
		n += len(m)
	}
	return n
}
