package jobs

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// DeltaWindowDefault is how long the delta events of a task after its
// first one are gathered into one event.
const DeltaWindowDefault = 25 * time.Millisecond

// coalescer gathers a running job's delta events: the first delta of each
// task is written at once (the time to first token is not delayed); the
// following ones are joined, per task, into one event written at most
// window later, or at once before any other event of the job, so a task's
// deltas always precede its result. A model streaming 100 tokens then
// writes a handful of event rows instead of 100, which keeps the store's
// writer free for the requests that wait on it (BENCHMARKS.md).
//
// Deltas are joined only when every field but "text" is equal (task,
// batch, attempt…); their texts concatenate to the same stream.
type coalescer struct {
	write  func(ctx context.Context, typ string, data any) error
	window time.Duration

	mu      sync.Mutex
	started map[string]bool // tasks whose first delta was written
	pending []*pendingDelta
	timer   *time.Timer
	ctx     context.Context // of the oldest pending delta
	err     error           // of a timed flush, returned by the next call
}

type pendingDelta struct {
	key    string
	fields map[string]json.RawMessage
	text   strings.Builder
}

func newCoalescer(window time.Duration, write func(ctx context.Context, typ string, data any) error) *coalescer {
	return &coalescer{write: write, window: window, started: make(map[string]bool)}
}

// emit writes or gathers one event.
func (c *coalescer) emit(ctx context.Context, typ string, data any) error {
	if typ != copydesk.EventDelta {
		if err := c.flush(); err != nil {
			return err
		}
		return c.write(ctx, typ, data)
	}
	fields, text, key, ok := splitDelta(data)
	if !ok {
		if err := c.flush(); err != nil {
			return err
		}
		return c.write(ctx, typ, data)
	}
	c.mu.Lock()
	if err := c.err; err != nil {
		c.err = nil
		c.mu.Unlock()
		return err
	}
	if !c.started[key] {
		c.started[key] = true
		// Written under the lock, so that no gathered delta of this task
		// can be flushed ahead of it.
		defer c.mu.Unlock()
		return c.write(ctx, typ, data)
	}
	var p *pendingDelta
	for _, q := range c.pending {
		if q.key == key {
			p = q
			break
		}
	}
	if p == nil {
		p = &pendingDelta{key: key, fields: fields}
		c.pending = append(c.pending, p)
	}
	p.text.WriteString(text)
	if c.timer == nil {
		c.ctx = context.WithoutCancel(ctx)
		c.timer = time.AfterFunc(c.window, c.timed)
	}
	c.mu.Unlock()
	return nil
}

// timed is the window's end: it writes what was gathered.
func (c *coalescer) timed() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.timer = nil
	if err := c.writePending(); err != nil && c.err == nil {
		c.err = err
	}
}

// flush writes what was gathered now and returns a timed flush's error.
func (c *coalescer) flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	err := c.writePending()
	if c.err != nil {
		err, c.err = c.err, nil
	}
	return err
}

// writePending writes the gathered deltas in the order their tasks first
// gathered one. The caller holds c.mu.
func (c *coalescer) writePending() error {
	pending := c.pending
	c.pending = nil
	for _, p := range pending {
		p.fields["text"], _ = json.Marshal(p.text.String())
		if err := c.write(c.ctx, copydesk.EventDelta, p.fields); err != nil {
			return err
		}
	}
	return nil
}

// splitDelta reads a delta's data as JSON fields: its text, and a key of
// every other field. ok is false for data that is not an object with a
// string "text".
func splitDelta(data any) (fields map[string]json.RawMessage, text, key string, ok bool) {
	b, err := json.Marshal(data)
	if err != nil || json.Unmarshal(b, &fields) != nil {
		return nil, "", "", false
	}
	raw, has := fields["text"]
	if !has || json.Unmarshal(raw, &text) != nil {
		return nil, "", "", false
	}
	delete(fields, "text")
	k, err := json.Marshal(fields) // map keys are sorted: a stable key
	if err != nil {
		return nil, "", "", false
	}
	return fields, text, string(k), true
}
