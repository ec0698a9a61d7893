// Package jobs runs accepted jobs: the registry of job handlers, the runner
// that moves a job through its states and persists its events, the
// in-process broker that carries stored events to streams, and the service
// the HTTP layer calls to submit, inspect and cancel jobs.
package jobs

import (
	"sync"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// FeedBufferDefault is how many events a subscriber may have waiting before
// further ones are dropped (and it reads them from the store).
const FeedBufferDefault = 256

// Broker carries each stored event of a job to the subscribers of that job
// in this process, so that a stream writes it without reading the store.
// The store stays the single source of truth: a subscriber that falls more
// than its buffer behind is told of the gap and reads the store, and
// publishing never blocks.
type Broker struct {
	// Buffer is how many events a subscriber may have waiting. Default
	// FeedBufferDefault.
	Buffer int

	mu   sync.Mutex
	subs map[string]map[*feed]struct{}
	// The recorded jobs' histories (replay.go).
	hist recent[*history]
}

// NewBroker returns an empty broker. The zero Broker is usable too.
func NewBroker() *Broker { return &Broker{} }

// feed is one subscription: a bounded queue of events and a signal.
type feed struct {
	b     *Broker
	jobID string
	ready chan struct{}

	mu      sync.Mutex
	pending []*copydesk.Event
	gap     bool
	closed  bool
}

var _ copydesk.EventFeed = (*feed)(nil)

// Subscribe returns a feed of the events published for jobID from now on.
func (b *Broker) Subscribe(jobID string) copydesk.EventFeed {
	f := &feed{b: b, jobID: jobID, ready: make(chan struct{}, 1)}
	b.mu.Lock()
	if b.subs == nil {
		b.subs = make(map[string]map[*feed]struct{})
	}
	m := b.subs[jobID]
	if m == nil {
		m = make(map[*feed]struct{})
		b.subs[jobID] = m
	}
	m[f] = struct{}{}
	b.mu.Unlock()
	return f
}

// Publish hands the stored events of one job (in their order) to its
// subscribers without blocking. The events must not be changed afterwards:
// subscribers share them.
func (b *Broker) Publish(events ...*copydesk.Event) {
	if len(events) == 0 {
		return
	}
	max := b.Buffer
	if max <= 0 {
		max = FeedBufferDefault
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.remember(events)
	for f := range b.subs[events[0].JobID] {
		f.push(events, max)
	}
}

// Wake tells the subscribers of jobID that events may have been stored
// without carrying them (another process wrote them): each reads the store.
func (b *Broker) Wake(jobID string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.hist.delete(jobID) // its history misses those events
	for f := range b.subs[jobID] {
		f.mu.Lock()
		f.gap = true
		f.mu.Unlock()
		f.signal()
	}
}

// WakeAll is Wake for every job with subscribers (after this process may
// have missed notifications of other processes).
func (b *Broker) WakeAll() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.hist.clear()
	for _, m := range b.subs {
		for f := range m {
			f.mu.Lock()
			f.gap = true
			f.mu.Unlock()
			f.signal()
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

// Watched reports whether jobID has subscribers in this process.
func (b *Broker) Watched(jobID string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs[jobID]) > 0
}

func (f *feed) push(events []*copydesk.Event, max int) {
	f.mu.Lock()
	if len(f.pending)+len(events) > max {
		f.gap = true // the reader is behind: it reads the store
	} else {
		f.pending = append(f.pending, events...)
	}
	f.mu.Unlock()
	f.signal()
}

func (f *feed) signal() {
	select {
	case f.ready <- struct{}{}:
	default:
	}
}

// Ready implements copydesk.EventFeed.
func (f *feed) Ready() <-chan struct{} { return f.ready }

// Take implements copydesk.EventFeed.
func (f *feed) Take() ([]*copydesk.Event, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	evs, gap := f.pending, f.gap
	f.pending, f.gap = nil, false
	return evs, gap
}

// Close implements copydesk.EventFeed.
func (f *feed) Close() {
	f.b.mu.Lock()
	defer f.b.mu.Unlock()
	if f.closed {
		return
	}
	f.closed = true
	if m := f.b.subs[f.jobID]; m != nil {
		delete(m, f)
		if len(m) == 0 {
			delete(f.b.subs, f.jobID)
		}
	}
}
