package jobs

import (
	"sync"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// recent is a map of at most max keys that forgets the key added first
// when a new one comes past max. It does not lock; the zero value is
// empty and ready.
type recent[V any] struct {
	m    map[string]V
	ring []string // the keys in the order added; ring[next] is the oldest
	next int
}

// put adds key with v, forgetting the oldest key past max, and returns
// the value forgotten (ok false when there was none: none was past max,
// or it was deleted already).
func (r *recent[V]) put(key string, v V, max int) (forgot V, ok bool) {
	if r.m == nil {
		r.m = make(map[string]V)
		r.ring = make([]string, max)
	}
	if old := r.ring[r.next]; old != "" {
		forgot, ok = r.m[old]
		delete(r.m, old) // a no-op when it is gone already
	}
	r.ring[r.next] = key
	r.m[key] = v
	r.next = (r.next + 1) % len(r.ring)
	return forgot, ok
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

// freshInputBytes bounds the inputs of the jobs freshJobs keeps whole;
// past it a job is remembered by its kind only, and its first run reads
// its row back when it starts it.
const freshInputBytes = 8 << 20

// freshPreparedBytes bounds the inputs of the jobs freshJobs keeps with
// what their submitter prepared (copydesk.Job.Prepared: a parsed text and
// a report, several times the input's size); past it the first run does
// that work again.
const freshPreparedBytes = 2 << 20

// freshJobs remembers the jobs this process accepted and has not started,
// as accepted, so that a job's first run need neither read its row before
// starting it nor read it back when it does (Service.start). An entry is
// taken once: a second run, a retry or a job accepted elsewhere reads the
// store.
type freshJobs struct {
	mu       sync.Mutex
	jobs     recent[freshJob]
	bytes    int // the inputs of the jobs kept whole
	prepared int // the inputs of the jobs kept with Prepared
}

// freshJob is a remembered job: its kind, and a copy of it as accepted
// unless that would pass freshInputBytes.
type freshJob struct {
	kind string
	job  *copydesk.Job
}

// add remembers a new job (stored: its ID, times and defaults set),
// forgetting the oldest past freshCap.
func (f *freshJobs) add(job *copydesk.Job) {
	fj := freshJob{kind: job.Kind}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.bytes+len(job.Input) <= freshInputBytes {
		cp := *job
		if cp.Prepared != nil {
			if f.prepared+len(job.Input) <= freshPreparedBytes {
				f.prepared += len(job.Input)
			} else {
				cp.Prepared = nil
			}
		}
		fj.job = &cp
		f.bytes += len(job.Input)
	}
	if old, ok := f.jobs.put(job.ID, fj, freshCap); ok {
		f.forget(old)
	}
}

// take returns a remembered job and forgets it.
func (f *freshJobs) take(id string) (freshJob, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fj, ok := f.jobs.get(id)
	if ok {
		f.jobs.delete(id)
		f.forget(fj)
	}
	return fj, ok
}

func (f *freshJobs) forget(fj freshJob) {
	if fj.job != nil {
		f.bytes -= len(fj.job.Input)
		if fj.job.Prepared != nil {
			f.prepared -= len(fj.job.Input)
		}
	}
}
