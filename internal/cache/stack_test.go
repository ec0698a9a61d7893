package cache

import (
	"testing"
	"time"
)

// TestWorkers: a call never waits for a busy worker (a new one runs it),
// and a worker that finished takes the next call.
func TestWorkers(t *testing.T) {
	w := newWorkers()
	block, second := make(chan struct{}), make(chan struct{})
	w.run(func() { <-block })
	w.run(func() { close(second) })
	<-second // ran while the first worker was busy
	close(block)

	// Both workers are idle now, or about to be: a send reaches one.
	third := make(chan struct{})
	select {
	case w.tasks <- func() { close(third) }:
	case <-time.After(10 * time.Second):
		t.Fatal("no idle worker took the next call")
	}
	<-third
}
