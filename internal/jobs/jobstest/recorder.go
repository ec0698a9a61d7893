// Package jobstest helps test job handlers: a Recorder stands in for the
// job runner's emit and keeps the events as the store would.
package jobstest

import (
	"context"
	"encoding/json"
	"sync"
)

// Event is one emitted event with its data decoded from JSON, as a client
// reading the stream would see it.
type Event struct {
	Type string
	Data map[string]any
}

// Recorder collects emitted events in order; safe for a handler's
// goroutines. Its Emit is a copydesk.Emit.
type Recorder struct {
	mu     sync.Mutex
	events []Event
}

// Emit records one event; data must encode as a JSON object.
func (r *Recorder) Emit(_ context.Context, typ string, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, Event{Type: typ, Data: m})
	return nil
}

// Events returns the events so far.
func (r *Recorder) Events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

// Of returns the events of one type, in order.
func (r *Recorder) Of(typ string) []Event {
	var out []Event
	for _, e := range r.Events() {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}
