package cache

import "time"

// A provider call runs on a goroutine of its own (run), detached from its
// callers, and calls through the whole model chain (budget, router, the
// provider's SDK, the HTTP client) from there. A new goroutine starts with
// a small stack that grows by doubling, and each doubling copies the
// frames of a deep stack; growStack grows it once, at the start, while the
// stack is shallow and cheap to copy. 32 KiB covers a deep analysis call,
// whose response schema the SDK marshals by deep recursion (16 KiB was
// enough for a chat call). That makes the stack 64 KiB, which the runtime
// takes from the heap, not from its per-processor cache: so the goroutines
// are kept (workers) and a finished one takes the next call.

// stackIndex is always 0 and never written: indexing with it keeps the
// array below in the frame.
var stackIndex int

//go:noinline
func growStack() byte {
	var b [32 << 10]byte
	return b[stackIndex]
}

// workerIdle is how long a worker waits for the next call before it ends.
const workerIdle = 5 * time.Second

// workers runs detached calls on goroutines that outlive them. The zero
// value is not ready: use newWorkers.
type workers struct {
	tasks chan func() // unbuffered: a send succeeds only to an idle worker
}

func newWorkers() *workers { return &workers{tasks: make(chan func())} }

// run runs task on an idle worker, or on a new one when none is idle; it
// never waits.
func (w *workers) run(task func()) {
	select {
	case w.tasks <- task:
	default:
		go w.work(task)
	}
}

// work runs task and then the calls handed to it, until it has waited
// workerIdle for one. The collector halves an idle goroutine's stack, so
// each call grows it first (on a stack already grown, that costs the
// zeroing of the frame).
func (w *workers) work(task func()) {
	t := time.NewTimer(workerIdle)
	defer t.Stop()
	for {
		_ = growStack()
		task()
		t.Reset(workerIdle)
		select {
		case task = <-w.tasks:
		case <-t.C:
			return
		}
	}
}
