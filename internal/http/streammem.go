package http

import (
	"runtime/debug"
	"sync/atomic"
	"time"
)

// streamMemory gives the memory of many closed streams back to the
// operating system. Each open SSE stream holds buffers and a goroutine
// stack; when thousands close at once that memory becomes garbage, but
// nothing else may allocate enough for a collection to find it soon, and
// the runtime returns freed pages only gradually: 10,000 closed streams
// left the process ~700 MB larger for minutes. When the open streams fall
// to a quarter of a peak of at least streamMemoryPeak, one collection
// that returns memory (debug.FreeOSMemory) runs a second later.
type streamMemory struct {
	open, peak atomic.Int64
	pending    atomic.Bool
	// free returns memory; default debug.FreeOSMemory (tests replace it).
	free func()
}

// streamMemoryPeak is the smallest peak of open streams worth a
// collection when they close.
const streamMemoryPeak = 1000

func (m *streamMemory) opened() {
	n := m.open.Add(1)
	for p := m.peak.Load(); n > p && !m.peak.CompareAndSwap(p, n); p = m.peak.Load() {
	}
}

func (m *streamMemory) closed() {
	n := m.open.Add(-1)
	p := m.peak.Load()
	if p < streamMemoryPeak || n > p/4 || !m.pending.CompareAndSwap(false, true) {
		return
	}
	m.peak.Store(n)
	free := m.free
	if free == nil {
		free = debug.FreeOSMemory
	}
	go func() {
		time.Sleep(time.Second) // let the rest of a mass close happen first
		free()
		m.pending.Store(false)
	}()
}
