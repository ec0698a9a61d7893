package jobs

import "sync"

// recent is a map of at most max keys that forgets the key added first
// when a new one comes past max. It does not lock; the zero value is
// empty and ready.
type recent[V any] struct {
	m    map[string]V
	ring []string // the keys in the order added; ring[next] is the oldest
	next int
}

// put adds key with v, forgetting the oldest key past max.
func (r *recent[V]) put(key string, v V, max int) {
	if r.m == nil {
		r.m = make(map[string]V)
		r.ring = make([]string, max)
	}
	if old := r.ring[r.next]; old != "" {
		delete(r.m, old) // a no-op when it is gone already
	}
	r.ring[r.next] = key
	r.m[key] = v
	r.next = (r.next + 1) % len(r.ring)
}

func (r *recent[V]) get(key string) (V, bool) {
	v, ok := r.m[key]
	return v, ok
}

func (r *recent[V]) delete(key string) { delete(r.m, key) }

// clear forgets every key.
func (r *recent[V]) clear() { clear(r.m) }

func (r *recent[V]) len() int { return len(r.m) }

// freshCap bounds how many accepted, not yet started jobs a Service
// remembers; the oldest is forgotten first (and then read as any other).
const freshCap = 4096

// freshJobs remembers the jobs this process accepted and has not started,
// with their kinds, so that a job's first run need not read its row
// before starting it (Service.start). An entry is taken once: a second
// run, a retry or a job accepted elsewhere reads the store.
type freshJobs struct {
	mu    sync.Mutex
	kinds recent[string]
}

// add remembers a new job, forgetting the oldest past freshCap.
func (f *freshJobs) add(id, kind string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.kinds.put(id, kind, freshCap)
}

// take returns the kind of a remembered job and forgets it.
func (f *freshJobs) take(id string) (kind string, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	kind, ok = f.kinds.get(id)
	if ok {
		f.kinds.delete(id)
	}
	return kind, ok
}
