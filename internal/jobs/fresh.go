package jobs

import "sync"

// freshCap bounds how many accepted, not yet started jobs a Service
// remembers; the oldest is forgotten first (and then read as any other).
const freshCap = 4096

// freshJobs remembers the jobs this process accepted and has not started,
// with their kinds, so that a job's first run need not read its row
// before starting it (Service.start). An entry is taken once: a second
// run, a retry or a job accepted elsewhere reads the store.
type freshJobs struct {
	mu    sync.Mutex
	kinds map[string]string
	ring  []string // the ids in the order added; next is the oldest
	next  int
}

// add remembers a new job, forgetting the oldest past freshCap.
func (f *freshJobs) add(id, kind string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.kinds == nil {
		f.kinds = make(map[string]string)
		f.ring = make([]string, freshCap)
	}
	if old := f.ring[f.next]; old != "" {
		delete(f.kinds, old) // a no-op when it was taken
	}
	f.ring[f.next] = id
	f.kinds[id] = kind
	f.next = (f.next + 1) % len(f.ring)
}

// take returns the kind of a remembered job and forgets it.
func (f *freshJobs) take(id string) (kind string, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	kind, ok = f.kinds[id]
	if ok {
		delete(f.kinds, id)
	}
	return kind, ok
}
