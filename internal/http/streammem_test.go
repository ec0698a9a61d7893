package http

import "testing"

// TestStreamMemory: a mass close of streams from a large peak returns
// memory once; small peaks and partial closes do not.
func TestStreamMemory(t *testing.T) {
	t.Parallel()
	freed := make(chan struct{}, 4)
	m := &streamMemory{free: func() { freed <- struct{}{} }}
	for range 500 {
		m.opened()
	}
	for range 500 {
		m.closed()
	}
	select {
	case <-freed:
		t.Fatal("memory returned after a peak of 500 streams, want only from 1000")
	default:
	}
	for range 2000 {
		m.opened()
	}
	for range 1000 {
		m.closed() // half still open: not yet
	}
	select {
	case <-freed:
		t.Fatal("memory returned with half the streams open")
	default:
	}
	for range 1000 {
		m.closed()
	}
	<-freed // at most a second after the open streams fell to a quarter
	if m.open.Load() != 0 || m.peak.Load() >= streamMemoryPeak {
		t.Errorf("open %d, peak %d after the collection; want 0 and a reset peak", m.open.Load(), m.peak.Load())
	}
}
