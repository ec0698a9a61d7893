package river_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/jobs"
	"github.com/copydesk/copydesk/internal/pgtest"
	"github.com/copydesk/copydesk/internal/postgres"
	"github.com/copydesk/copydesk/internal/river"
	"github.com/copydesk/copydesk/internal/sqlite"
)

// startable is a queue that can be started and stopped.
type startable interface {
	copydesk.Queue
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	Close() error
}

// harness is one backend: a store, a job service and its queue.
type harness struct {
	store copydesk.JobStore
	jobs  *jobs.Service
	queue startable
}

type opener func(t *testing.T, workers int) *harness

func openSQLite(t *testing.T, workers int) *harness {
	return openSQLiteWith(t, river.Config{Workers: workers, FetchPollInterval: 20 * time.Millisecond})
}

func openPostgres(t *testing.T, workers int) *harness {
	return openPostgresWith(t, river.Config{Workers: workers, FetchPollInterval: 20 * time.Millisecond})
}

func openSQLiteWith(t *testing.T, cfg river.Config) *harness {
	dir := t.TempDir()
	db, err := sqlite.Open(context.Background(), filepath.Join(dir, "copydesk.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	svc := &jobs.Service{Store: db, Broker: jobs.NewBroker(), Clock: copydesk.SystemClock{}, Logger: slog.New(slog.DiscardHandler)}
	q, err := river.OpenSQLite(context.Background(), db.WritePool(), svc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	svc.Queue = q
	return &harness{store: db, jobs: svc, queue: q}
}

func openPostgresWith(t *testing.T, cfg river.Config) *harness {
	dsn, schema := pgtest.MustSchema(t)
	db, err := postgres.Open(context.Background(), dsn, postgres.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	svc := &jobs.Service{Store: db, Broker: jobs.NewBroker(), Clock: copydesk.SystemClock{}, Logger: slog.New(slog.DiscardHandler)}
	cfg.Schema = schema
	q, err := river.OpenPostgres(context.Background(), db.Pool(), svc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	svc.Queue = q
	return &harness{store: db, jobs: svc, queue: q}
}

func (h *harness) start(t *testing.T) {
	t.Helper()
	if err := h.queue.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = h.queue.Stop(ctx)
	})
}

func (h *harness) submit(t *testing.T, kind string, prio copydesk.Priority, input string) *copydesk.Job {
	t.Helper()
	job := &copydesk.Job{Kind: kind, Priority: prio, Input: json.RawMessage(input)}
	if err := h.jobs.Submit(context.Background(), job); err != nil {
		t.Fatalf("submit: %v", err)
	}
	return job
}

// MustFinal waits for the job to reach a final status.
func (h *harness) MustFinal(t *testing.T, id string, within time.Duration) *copydesk.Job {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		job, err := h.store.FindJobByID(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if job.Status.Final() {
			// The done event follows the final status; wait for it too.
			evs, err := h.store.FindEvents(context.Background(), id, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(evs); n > 0 && evs[n-1].Type == copydesk.EventDone {
				return job
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("job %s not final within %s", id, within)
	return nil
}

func (h *harness) eventTypes(t *testing.T, id string) []string {
	t.Helper()
	evs, err := h.store.FindEvents(context.Background(), id, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	types := make([]string, len(evs))
	for i, ev := range evs {
		types[i] = ev.Type
		if ev.Seq != int64(i+1) {
			t.Errorf("event %d has seq %d", i, ev.Seq)
		}
	}
	return types
}

func count(s []string, v string) int {
	n := 0
	for _, x := range s {
		if x == v {
			n++
		}
	}
	return n
}

// handlerFunc adapts a function to copydesk.JobHandler.
type handlerFunc func(ctx context.Context, job *copydesk.Job, emit copydesk.Emit) (json.RawMessage, copydesk.JobStatus, error)

func (f handlerFunc) RunJob(ctx context.Context, job *copydesk.Job, emit copydesk.Emit) (json.RawMessage, copydesk.JobStatus, error) {
	return f(ctx, job, emit)
}

func TestQueueSQLite(t *testing.T)   { testQueue(t, openSQLite) }
func TestQueuePostgres(t *testing.T) { testQueue(t, openPostgres) }

// TestJobStartsWithoutPoll: an accepted job is picked up at once, not at
// the next poll (an hour away here): the in-process wake-up on SQLite,
// LISTEN/NOTIFY on PostgreSQL.
func TestJobStartsWithoutPoll(t *testing.T) {
	for name, open := range map[string]func(*testing.T, river.Config) *harness{"sqlite": openSQLiteWith, "postgres": openPostgresWith} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := open(t, river.Config{Workers: 2, FetchPollInterval: time.Hour})
			h.jobs.Register("quick", handlerFunc(func(ctx context.Context, job *copydesk.Job, emit copydesk.Emit) (json.RawMessage, copydesk.JobStatus, error) {
				return json.RawMessage(`{}`), copydesk.JobSucceeded, nil
			}))
			h.start(t)
			time.Sleep(100 * time.Millisecond) // the workers are idle, waiting
			for range 5 {
				job := h.submit(t, "quick", copydesk.PriorityHigh, `{}`)
				h.MustFinal(t, job.ID, 20*time.Second)
			}
		})
	}
}

// jobReads counts the job rows a Service reads.
type jobReads struct {
	copydesk.JobStore
	n atomic.Int64
}

func (r *jobReads) FindJobByID(ctx context.Context, id string) (*copydesk.Job, error) {
	r.n.Add(1)
	return r.JobStore.FindJobByID(ctx, id)
}

// eventReads counts the reads of job rows and events.
type eventReads struct {
	jobReads
	events atomic.Int64
}

func (r *eventReads) FindEvents(ctx context.Context, id string, after int64, limit int) ([]*copydesk.Event, error) {
	r.events.Add(1)
	return r.JobStore.FindEvents(ctx, id, after, limit)
}

// TestStreamConnectFromBroker: a stream that connects to a job this
// process accepted gets the job and its events from the broker, the same
// events the store holds, without reading the store; once the job is
// done it reads the store.
func TestStreamConnectFromBroker(t *testing.T) {
	for name, open := range map[string]opener{"sqlite": openSQLite, "postgres": openPostgres} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			h := open(t, 2)
			reads := &eventReads{jobReads: jobReads{JobStore: h.store}}
			h.jobs.Store = reads
			release := make(chan struct{})
			h.jobs.Register("held", handlerFunc(func(ctx context.Context, job *copydesk.Job, emit copydesk.Emit) (json.RawMessage, copydesk.JobStatus, error) {
				if err := emit(ctx, "task.started", map[string]any{"task": "t"}); err != nil {
					return nil, "", err
				}
				<-release
				return json.RawMessage(`{"ok":true}`), copydesk.JobSucceeded, nil
			}))
			h.start(t)
			job := &copydesk.Job{Kind: "held", CustomerID: "cus_x", UserID: "usr_x", Input: json.RawMessage(`{}`)}
			if err := h.jobs.Submit(ctx, job); err != nil {
				t.Fatal(err)
			}
			for deadline := time.Now().Add(20 * time.Second); len(h.eventTypes(t, job.ID)) < 3 && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
			}
			stored, err := h.store.FindEvents(ctx, job.ID, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			// The broker carries an event after the store has committed
			// it (the group commit answers first), so the last one may
			// reach it a moment after the store shows it; a stream that
			// connects in that moment gets it live. Connect until the
			// replay has them all, none of the connects reading the store.
			var got *copydesk.Job
			var evs []*copydesk.Event
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
				jobReads, eventReads := reads.n.Load(), reads.events.Load()
				got, evs, err = h.jobs.GetWithEvents(ctx, job.ID, 0, 500)
				if err != nil {
					t.Fatal(err)
				}
				if n, m := reads.n.Load()-jobReads, reads.events.Load()-eventReads; n != 0 || m != 0 {
					t.Fatalf("the connect read %d job rows and %d event pages, want none", n, m)
				}
				if len(evs) >= len(stored) || time.Now().After(deadline) {
					break
				}
			}
			if got.ID != job.ID || got.CustomerID != "cus_x" || got.UserID != "usr_x" {
				t.Errorf("got job %+v, want its id and owners", got)
			}
			if len(evs) != len(stored) {
				t.Fatalf("got %d events, the store has %d", len(evs), len(stored))
			}
			for i := range evs {
				if evs[i].Seq != stored[i].Seq || evs[i].Type != stored[i].Type || string(evs[i].Data) != string(stored[i].Data) {
					t.Errorf("event %d: got %d %s %s, stored %d %s %s", i, evs[i].Seq, evs[i].Type, evs[i].Data,
						stored[i].Seq, stored[i].Type, stored[i].Data)
				}
			}
			_, after, err := h.jobs.GetWithEvents(ctx, job.ID, 2, 500)
			if err != nil || len(after) != 1 || after[0].Seq != 3 {
				t.Errorf("after 2: got %d events, %v; want event 3", len(after), err)
			}
			close(release)
			h.MustFinal(t, job.ID, 20*time.Second)
			// The store shows the job final a moment before the broker
			// carries its done event and forgets the job: connect until
			// the answer ends with done, which only the store gives then.
			var final []*copydesk.Event
			var readsBefore int64
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
				readsBefore = reads.n.Load()
				if _, final, err = h.jobs.GetWithEvents(ctx, job.ID, 0, 500); err != nil {
					t.Fatal(err)
				}
				if (len(final) > 0 && final[len(final)-1].Type == copydesk.EventDone) || time.Now().After(deadline) {
					break
				}
			}
			if len(final) == 0 || final[len(final)-1].Type != copydesk.EventDone {
				t.Errorf("after done: got %d events; want them all, done last", len(final))
			}
			if reads.n.Load() == readsBefore {
				t.Error("the connect after done did not read the store")
			}
		})
	}
}

// TestFirstRunReadsNoJobRow: a job this process accepted starts without a
// read of its row, with attempt 1; a job cancelled before it starts does
// not run; a job another process already ran once (its attempts in the
// store) is read and starts with attempt 2, not 1 again.
func TestFirstRunReadsNoJobRow(t *testing.T) {
	for name, open := range map[string]opener{"sqlite": openSQLite, "postgres": openPostgres} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			h := open(t, 2)
			reads := &jobReads{JobStore: h.store}
			h.jobs.Store = reads
			var ran sync.Map
			var mismatch sync.Map // job id → how the job a run got differs from its row
			h.jobs.Register("quick", handlerFunc(func(ctx context.Context, job *copydesk.Job, emit copydesk.Emit) (json.RawMessage, copydesk.JobStatus, error) {
				ran.Store(job.ID, job.Attempts)
				// The job a run gets is its row as stored (read here
				// from the store itself, not counted).
				row, err := h.store.FindJobByID(ctx, job.ID)
				switch {
				case err != nil:
					mismatch.Store(job.ID, err.Error())
				case job.Kind != row.Kind || job.CustomerID != row.CustomerID || job.UserID != row.UserID || job.KeyID != row.KeyID ||
					job.Priority != row.Priority || job.Status != row.Status || job.Attempts != row.Attempts ||
					string(job.Input) != string(row.Input) || !job.CreatedAt.Equal(row.CreatedAt) || !job.UpdatedAt.Equal(row.UpdatedAt):
					mismatch.Store(job.ID, fmt.Sprintf("got %+v, stored %+v", job, row))
				}
				return json.RawMessage(`{}`), copydesk.JobSucceeded, nil
			}))
			fresh := h.submit(t, "quick", copydesk.PriorityHigh, `{"text":"a fresh job"}`)
			cancelled := h.submit(t, "quick", copydesk.PriorityHigh, `{}`)
			if _, err := h.jobs.Cancel(ctx, cancelled.ID); err != nil {
				t.Fatal(err)
			}
			ranElsewhere := h.submit(t, "quick", copydesk.PriorityHigh, `{}`)
			one := 1
			if _, err := h.store.UpdateJob(ctx, ranElsewhere.ID, copydesk.JobUpdate{Attempts: &one}); err != nil {
				t.Fatal(err)
			}
			before := reads.n.Load()
			h.start(t)
			h.MustFinal(t, fresh.ID, 20*time.Second)
			h.MustFinal(t, ranElsewhere.ID, 20*time.Second)
			// The cancelled job's turn: it reads its row and stops.
			for deadline := time.Now().Add(20 * time.Second); reads.n.Load()-before < 2 && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
			}
			time.Sleep(100 * time.Millisecond)

			if n, _ := ran.Load(fresh.ID); n != 1 {
				t.Errorf("the fresh job ran with %v attempts, want 1", n)
			}
			if n, _ := ran.Load(ranElsewhere.ID); n != 2 {
				t.Errorf("the job run elsewhere ran with %v attempts, want 2", n)
			}
			if _, ok := ran.Load(cancelled.ID); ok {
				t.Error("the cancelled job ran")
			}
			mismatch.Range(func(id, diff any) bool {
				t.Errorf("job %s: the run's job is not its row: %s", id, diff)
				return true
			})
			// The cancelled job and the one run elsewhere are read once
			// each (their conditional start did not apply); the fresh one
			// not at all.
			if got := reads.n.Load() - before; got != 2 {
				t.Errorf("the runs read %d job rows, want 2", got)
			}
			if got, want := h.eventTypes(t, fresh.ID), []string{"job.queued", "job.started", copydesk.EventDone}; !slices.Equal(got, want) {
				t.Errorf("fresh job's events: got %v, want %v", got, want)
			}
			if got, want := h.eventTypes(t, cancelled.ID), []string{"job.queued", copydesk.EventDone}; !slices.Equal(got, want) {
				t.Errorf("cancelled job's events: got %v, want %v", got, want)
			}
			evs, err := h.store.FindEvents(ctx, ranElsewhere.ID, 1, 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != 1 || evs[0].Type != "job.started" || string(evs[0].Data) != `{"attempt":2}` {
				t.Errorf("the job run elsewhere started with %+v, want job.started of attempt 2", evs)
			}
		})
	}
}

// TestJobTimeoutIsAFailedAttempt: an attempt cut by the job timeout is
// retried with backoff like any timeout, counted against MaxAttempts, and
// the job ends failed after the last attempt; it is not a shutdown.
func TestJobTimeoutIsAFailedAttempt(t *testing.T) {
	for name, open := range map[string]func(*testing.T, river.Config) *harness{"sqlite": openSQLiteWith, "postgres": openPostgresWith} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := open(t, river.Config{Workers: 1, FetchPollInterval: 20 * time.Millisecond, JobTimeout: 300 * time.Millisecond, RescueAfter: time.Minute})
			h.jobs.MaxAttempts = 2
			h.jobs.Register("slow", handlerFunc(func(ctx context.Context, job *copydesk.Job, emit copydesk.Emit) (json.RawMessage, copydesk.JobStatus, error) {
				if err := emit(ctx, copydesk.EventTaskStarted, map[string]any{"task": "slow"}); err != nil {
					return nil, "", err
				}
				_ = emit(ctx, copydesk.EventDelta, map[string]any{"task": "slow", "text": "partial"})
				<-ctx.Done() // never finishes in time
				return nil, "", ctx.Err()
			}))
			h.start(t)
			job := h.submit(t, "slow", copydesk.PriorityHigh, `{}`)
			final := h.MustFinal(t, job.ID, 30*time.Second)
			if final.Status != copydesk.JobFailed || final.Attempts != 2 || final.Error == nil || final.Error.Code != "provider_timeout" {
				t.Fatalf("got %s after %d attempts (%+v), want failed after 2 with provider_timeout", final.Status, final.Attempts, final.Error)
			}
			types := h.eventTypes(t, job.ID)
			if n := count(types, "job.interrupted"); n != 0 {
				t.Errorf("got %d job.interrupted events, want none: a timeout is not a shutdown (%v)", n, types)
			}
			if count(types, "job.retrying") != 1 || count(types, copydesk.EventTaskRestarted) != 1 {
				t.Errorf("events %v: want one job.retrying and one task.restarted before the second attempt's task", types)
			}
			for i, typ := range types {
				if typ == copydesk.EventTaskRestarted && (i+1 >= len(types) || types[i+1] != copydesk.EventTaskStarted) {
					t.Errorf("events %v: task.restarted must come right before the task's task.started", types)
				}
			}
		})
	}
}

// TestEmitWithoutWaiting: the events a handler emits are stored without it
// waiting for each (the stores' AppendEventAsync), yet in the order
// emitted, before the job's done event, and a stream carried by the broker
// gets exactly what the store holds; an emit that failed to store is
// returned by the handler's next one.
func TestEmitWithoutWaiting(t *testing.T) {
	for name, open := range map[string]opener{"sqlite": openSQLite, "postgres": openPostgres} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			h := open(t, 2)
			subscribed := make(chan struct{})
			const steps = 40
			h.jobs.Register("steps", handlerFunc(func(ctx context.Context, job *copydesk.Job, emit copydesk.Emit) (json.RawMessage, copydesk.JobStatus, error) {
				<-subscribed
				for i := range steps {
					if i == steps/2 {
						// A delta is stored by the run itself, between
						// the steps queued before and after it.
						if err := emit(ctx, copydesk.EventDelta, map[string]any{"task": "t", "text": "half"}); err != nil {
							return nil, "", err
						}
					}
					if err := emit(ctx, "step", map[string]any{"i": i}); err != nil {
						return nil, "", err
					}
				}
				return json.RawMessage(`{"ok":true}`), copydesk.JobSucceeded, nil
			}))
			nextErr := make(chan error, 1)
			h.jobs.Register("bad", handlerFunc(func(ctx context.Context, job *copydesk.Job, emit copydesk.Emit) (json.RawMessage, copydesk.JobStatus, error) {
				if err := emit(ctx, " ", nil); err != nil { // no type: the store refuses it
					return nil, "", fmt.Errorf("the failing emit itself returned %w", err)
				}
				nextErr <- emit(ctx, "step", map[string]any{"i": 0})
				return json.RawMessage(`{}`), copydesk.JobSucceeded, nil
			}))
			h.start(t)
			job := &copydesk.Job{Kind: "steps", Input: json.RawMessage(`{}`)}
			if err := h.jobs.Submit(ctx, job); err != nil {
				t.Fatal(err)
			}
			feed := h.jobs.Subscribe(job.ID)
			defer feed.Close()
			close(subscribed)
			var carried []*copydesk.Event
			for done := false; !done; {
				select {
				case <-feed.Ready():
				case <-time.After(20 * time.Second):
					t.Fatalf("the feed carried %d events, then nothing for 20 s", len(carried))
				}
				evs, gap := feed.Take()
				if gap {
					t.Fatal("the feed reported a gap")
				}
				for _, ev := range evs {
					carried = append(carried, ev)
					done = done || ev.Type == copydesk.EventDone
				}
			}
			stored, err := h.store.FindEvents(ctx, job.ID, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			types := h.eventTypes(t, job.ID) // checks seq 1, 2, 3…
			if len(types) != steps+4 || types[0] != "job.queued" || types[1] != "job.started" || types[len(types)-1] != copydesk.EventDone {
				t.Fatalf("stored events %v: want job.queued, job.started, %d steps and a delta, done", types, steps)
			}
			for i := range steps {
				k := 2 + i
				if i >= steps/2 {
					k++ // after the delta
				}
				var d struct{ I int }
				if err := json.Unmarshal(stored[k].Data, &d); err != nil || d.I != i || stored[k].Type != "step" {
					t.Fatalf("stored event %d is %s %s, want step %d: the steps out of order", k+1, stored[k].Type, stored[k].Data, i)
				}
			}
			if d := stored[2+steps/2]; d.Type != copydesk.EventDelta {
				t.Fatalf("stored event %d is %s, want the delta between steps %d and %d", 3+steps/2, d.Type, steps/2-1, steps/2)
			}
			// The feed subscribed after job.queued, maybe after job.started.
			first := stored[len(stored)-len(carried)]
			if len(carried) < steps+2 || carried[0].Seq != first.Seq {
				t.Fatalf("carried %d events from seq %d, want the last %d stored ones", len(carried), carried[0].Seq, len(carried))
			}
			for i, ev := range carried {
				want := stored[len(stored)-len(carried)+i]
				if ev.Seq != want.Seq || ev.Type != want.Type || string(ev.Data) != string(want.Data) {
					t.Errorf("carried event %d: %d %s %s, stored %d %s %s", i, ev.Seq, ev.Type, ev.Data, want.Seq, want.Type, want.Data)
				}
			}

			bad := h.submit(t, "bad", copydesk.PriorityHigh, `{}`)
			final := h.MustFinal(t, bad.ID, 20*time.Second)
			if err := <-nextErr; copydesk.ErrorCode(err) != copydesk.EINVALID {
				t.Errorf("the emit after a failed one returned %v, want its EINVALID", err)
			}
			if final.Status != copydesk.JobSucceeded {
				t.Errorf("bad job: %s, want succeeded (its handler ignored the error)", final.Status)
			}
		})
	}
}

// TestBackPressure: past MaxWaiting jobs waiting for a worker, Submit
// refuses with ERATELIMITED and a Retry-After, and stores nothing.
func TestBackPressure(t *testing.T) {
	for name, open := range map[string]opener{"sqlite": openSQLite, "postgres": openPostgres} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := open(t, 1)
			h.jobs.Register("wait", handlerFunc(func(ctx context.Context, job *copydesk.Job, emit copydesk.Emit) (json.RawMessage, copydesk.JobStatus, error) {
				return json.RawMessage(`{}`), copydesk.JobSucceeded, nil
			}))
			h.jobs.MaxWaiting = 3
			h.jobs.Waiting = h.queue.(interface {
				Waiting(context.Context) (int, error)
			}).Waiting
			for range 3 { // the workers are not started: they all wait
				h.submit(t, "wait", copydesk.PriorityHigh, `{}`)
			}
			time.Sleep(jobs.WaitingRefresh) // the next count sees the three
			job := &copydesk.Job{Kind: "wait", Priority: copydesk.PriorityHigh, Input: json.RawMessage(`{}`)}
			err := h.jobs.Submit(context.Background(), job)
			var de *copydesk.Error
			if !errors.As(err, &de) || de.Code != copydesk.ERATELIMITED || de.RetryAfter <= 0 {
				t.Fatalf("got %v, want ERATELIMITED with a Retry-After", err)
			}
			if job.ID != "" {
				if _, err := h.store.FindJobByID(context.Background(), job.ID); copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
					t.Errorf("a refused job was stored: %v", err)
				}
			}
			h.start(t) // the workers drain the queue: jobs are accepted again
			deadline := time.Now().Add(20 * time.Second)
			for {
				time.Sleep(jobs.WaitingRefresh)
				err := h.jobs.Submit(context.Background(), &copydesk.Job{Kind: "wait", Priority: copydesk.PriorityHigh, Input: json.RawMessage(`{}`)})
				if err == nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("still refused after the queue drained: %v", err)
				}
			}
		})
	}
}

// TestReconcileQueuesOrphans: a job stored as queued without its queue row
// (accepted by a version whose queue lived in another file) runs after
// Reconcile; a job the queue holds is not queued twice.
func TestReconcileQueuesOrphans(t *testing.T) {
	for name, open := range map[string]opener{"sqlite": openSQLite, "postgres": openPostgres} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			h := open(t, 2)
			var runs sync.Map
			h.jobs.Register("count", handlerFunc(func(ctx context.Context, job *copydesk.Job, emit copydesk.Emit) (json.RawMessage, copydesk.JobStatus, error) {
				n, _ := runs.LoadOrStore(job.ID, new(int))
				*n.(*int)++
				return json.RawMessage(`{}`), copydesk.JobSucceeded, nil
			}))
			orphan := &copydesk.Job{Kind: "count", Status: copydesk.JobQueued}
			if err := h.store.CreateJob(ctx, orphan); err != nil {
				t.Fatal(err)
			}
			if err := h.store.AppendEvent(ctx, &copydesk.Event{JobID: orphan.ID, Type: "job.queued"}); err != nil {
				t.Fatal(err)
			}
			held := h.submit(t, "count", copydesk.PriorityHigh, `{}`)
			n, err := h.jobs.Reconcile(ctx)
			if err != nil || n != 2 {
				t.Fatalf("Reconcile: got %d, %v; want 2 open jobs checked", n, err)
			}
			h.start(t)
			h.MustFinal(t, orphan.ID, 20*time.Second)
			h.MustFinal(t, held.ID, 20*time.Second)
			time.Sleep(200 * time.Millisecond)
			for _, id := range []string{orphan.ID, held.ID} {
				if n, ok := runs.Load(id); !ok || *n.(*int) != 1 {
					t.Errorf("job %s ran %v times, want once", id, n)
				}
			}
		})
	}
}

// testQueue is the one queue suite every backend passes.
func testQueue(t *testing.T, open opener) {
	t.Run("priorities are strict", func(t *testing.T) {
		t.Parallel()
		h := open(t, 1)
		var mu sync.Mutex
		var order []string
		h.jobs.Register("record", handlerFunc(func(ctx context.Context, job *copydesk.Job, emit copydesk.Emit) (json.RawMessage, copydesk.JobStatus, error) {
			mu.Lock()
			order = append(order, string(job.Input))
			mu.Unlock()
			return json.RawMessage(`{}`), copydesk.JobSucceeded, nil
		}))
		// Enqueued before the workers start, least urgent first.
		var ids []string
		for _, p := range []copydesk.Priority{copydesk.PriorityLow, copydesk.PriorityMedium, copydesk.PriorityHigh, copydesk.PriorityCritical} {
			for i := 0; i < 3; i++ {
				ids = append(ids, h.submit(t, "record", p, `"`+p.String()+`"`).ID)
			}
		}
		h.start(t)
		for _, id := range ids {
			h.MustFinal(t, id, 20*time.Second)
		}
		want := []string{`"CRITICAL"`, `"CRITICAL"`, `"CRITICAL"`, `"HIGH"`, `"HIGH"`, `"HIGH"`, `"MEDIUM"`, `"MEDIUM"`, `"MEDIUM"`, `"LOW"`, `"LOW"`, `"LOW"`}
		mu.Lock()
		defer mu.Unlock()
		if len(order) != len(want) {
			t.Fatalf("ran %v, want %v", order, want)
		}
		for i := range want {
			if order[i] != want[i] {
				t.Fatalf("ran %v, want %v", order, want)
			}
		}
	})

	t.Run("retryable failure is retried with backoff", func(t *testing.T) {
		t.Parallel()
		h := open(t, 2)
		h.jobs.Register("flaky", handlerFunc(func(ctx context.Context, job *copydesk.Job, emit copydesk.Emit) (json.RawMessage, copydesk.JobStatus, error) {
			if job.Attempts == 1 {
				return nil, "", &copydesk.ProviderError{Provider: "fake", Kind: copydesk.ProviderServer, Status: 500, Message: "boom"}
			}
			return json.RawMessage(`{"ok":true}`), copydesk.JobSucceeded, nil
		}))
		h.start(t)
		start := time.Now()
		job := h.MustFinal(t, h.submit(t, "flaky", copydesk.PriorityHigh, `{}`).ID, 40*time.Second)
		if job.Status != copydesk.JobSucceeded || job.Attempts != 2 {
			t.Fatalf("status %s after %d attempts, want succeeded after 2", job.Status, job.Attempts)
		}
		if waited := time.Since(start); waited < river.BackoffDelay(1, 0) {
			t.Errorf("retried after %s, before the first backoff %s", waited, river.BackoffDelay(1, 0))
		}
		types := h.eventTypes(t, job.ID)
		if count(types, "job.retrying") != 1 || count(types, "job.started") != 2 || count(types, copydesk.EventDone) != 1 || types[len(types)-1] != copydesk.EventDone {
			t.Errorf("events %v", types)
		}
	})

	t.Run("rate limit honours Retry-After", func(t *testing.T) {
		t.Parallel()
		h := open(t, 2)
		h.jobs.Register("limited", handlerFunc(func(ctx context.Context, job *copydesk.Job, emit copydesk.Emit) (json.RawMessage, copydesk.JobStatus, error) {
			if job.Attempts == 1 {
				return nil, "", &copydesk.ProviderError{Provider: "fake", Kind: copydesk.ProviderRateLimited, Status: 429, RetryAfter: 1500 * time.Millisecond}
			}
			return json.RawMessage(`{}`), copydesk.JobSucceeded, nil
		}))
		h.start(t)
		start := time.Now()
		job := h.MustFinal(t, h.submit(t, "limited", copydesk.PriorityHigh, `{}`).ID, 40*time.Second)
		if job.Status != copydesk.JobSucceeded || job.Attempts != 2 {
			t.Fatalf("status %s after %d attempts, want succeeded after 2", job.Status, job.Attempts)
		}
		if waited := time.Since(start); waited < 1500*time.Millisecond {
			t.Errorf("ran again after %s, before Retry-After 1.5s", waited)
		}
	})

	t.Run("permanent failure does not retry", func(t *testing.T) {
		t.Parallel()
		h := open(t, 2)
		var calls sync.WaitGroup
		calls.Add(1)
		h.jobs.Register("bad", handlerFunc(func(ctx context.Context, job *copydesk.Job, emit copydesk.Emit) (json.RawMessage, copydesk.JobStatus, error) {
			return nil, "", &copydesk.ProviderError{Provider: "fake", Kind: copydesk.ProviderBadRequest, Status: 400, Message: "bad"}
		}))
		h.start(t)
		job := h.MustFinal(t, h.submit(t, "bad", copydesk.PriorityHigh, `{}`).ID, 20*time.Second)
		if job.Status != copydesk.JobFailed || job.Attempts != 1 || job.Error == nil || job.Error.Code != "provider_bad_request" {
			t.Fatalf("job %+v error %+v, want failed after 1 attempt with provider_bad_request", job, job.Error)
		}
	})

	t.Run("attempts run out", func(t *testing.T) {
		t.Parallel()
		h := open(t, 2)
		h.jobs.MaxAttempts = 2
		h.jobs.Register("down", handlerFunc(func(ctx context.Context, job *copydesk.Job, emit copydesk.Emit) (json.RawMessage, copydesk.JobStatus, error) {
			return nil, "", copydesk.Errorf(copydesk.EUNAVAILABLE, "down")
		}))
		h.start(t)
		job := h.MustFinal(t, h.submit(t, "down", copydesk.PriorityHigh, `{}`).ID, 40*time.Second)
		if job.Status != copydesk.JobFailed || job.Attempts != 2 {
			t.Fatalf("status %s after %d attempts, want failed after 2", job.Status, job.Attempts)
		}
	})

	t.Run("partial result with a retryable failure runs again, then ends partial", func(t *testing.T) {
		t.Parallel()
		h := open(t, 2)
		h.jobs.MaxAttempts = 2
		h.jobs.Register("half", handlerFunc(func(ctx context.Context, job *copydesk.Job, emit copydesk.Emit) (json.RawMessage, copydesk.JobStatus, error) {
			down := &copydesk.ProviderError{Provider: "fake", Kind: copydesk.ProviderRateLimited, Status: 429, RetryAfter: 100 * time.Millisecond}
			return json.RawMessage(`{"done":["a"],"failed":["b"]}`), copydesk.JobPartial, copydesk.PartialFailure([]error{nil, down})
		}))
		h.start(t)
		job := h.MustFinal(t, h.submit(t, "half", copydesk.PriorityHigh, `{}`).ID, 40*time.Second)
		if job.Status != copydesk.JobPartial || job.Attempts != 2 || string(job.Result) != `{"done":["a"],"failed":["b"]}` {
			t.Fatalf("job %s after %d attempts with result %s, want partial after 2 with the result kept", job.Status, job.Attempts, job.Result)
		}
		if job.Error == nil || job.Error.Code != "provider_rate_limited" {
			t.Errorf("job error %+v, want provider_rate_limited", job.Error)
		}
		if types := h.eventTypes(t, job.ID); count(types, "job.retrying") != 1 {
			t.Errorf("events %v, want one job.retrying", types)
		}
	})

	t.Run("partial result without a retryable failure ends at once", func(t *testing.T) {
		t.Parallel()
		h := open(t, 2)
		h.jobs.Register("half-bad", handlerFunc(func(ctx context.Context, job *copydesk.Job, emit copydesk.Emit) (json.RawMessage, copydesk.JobStatus, error) {
			invalid := &copydesk.ProviderError{Provider: "fake", Kind: copydesk.ProviderInvalid, Message: "not the schema"}
			return json.RawMessage(`{}`), copydesk.JobPartial, copydesk.PartialFailure([]error{invalid})
		}))
		h.start(t)
		job := h.MustFinal(t, h.submit(t, "half-bad", copydesk.PriorityHigh, `{}`).ID, 20*time.Second)
		if job.Status != copydesk.JobPartial || job.Attempts != 1 {
			t.Fatalf("job %s after %d attempts, want partial after 1", job.Status, job.Attempts)
		}
	})

	t.Run("cancel stops a running job", func(t *testing.T) {
		t.Parallel()
		h := open(t, 2)
		running := make(chan struct{})
		stopped := make(chan error, 1)
		h.jobs.Register("long", handlerFunc(func(ctx context.Context, job *copydesk.Job, emit copydesk.Emit) (json.RawMessage, copydesk.JobStatus, error) {
			close(running)
			<-ctx.Done()
			stopped <- ctx.Err()
			return nil, "", ctx.Err()
		}))
		h.start(t)
		job := h.submit(t, "long", copydesk.PriorityHigh, `{}`)
		select {
		case <-running:
		case <-time.After(20 * time.Second):
			t.Fatal("job did not start")
		}
		if _, err := h.jobs.Cancel(context.Background(), job.ID); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-stopped:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("handler stopped with %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("handler was not stopped")
		}
		got := h.MustFinal(t, job.ID, 5*time.Second)
		if got.Status != copydesk.JobCancelled {
			t.Errorf("status %s, want cancelled", got.Status)
		}
		if _, err := h.jobs.Cancel(context.Background(), job.ID); copydesk.ErrorCode(err) != copydesk.ECONFLICT {
			t.Errorf("second cancel: %v, want conflict", err)
		}
		time.Sleep(100 * time.Millisecond) // let the worker return
		if types := h.eventTypes(t, job.ID); count(types, copydesk.EventDone) != 1 {
			t.Errorf("events %v, want one done", types)
		}
	})

	t.Run("enqueue is unique per job", func(t *testing.T) {
		t.Parallel()
		h := open(t, 4)
		var mu sync.Mutex
		runs := 0
		h.jobs.Register("once", handlerFunc(func(ctx context.Context, job *copydesk.Job, emit copydesk.Emit) (json.RawMessage, copydesk.JobStatus, error) {
			mu.Lock()
			runs++
			mu.Unlock()
			return json.RawMessage(`{}`), copydesk.JobSucceeded, nil
		}))
		job := h.submit(t, "once", copydesk.PriorityHigh, `{}`)
		for i := 0; i < 5; i++ {
			if err := h.queue.Enqueue(context.Background(), job); err != nil {
				t.Fatal(err)
			}
		}
		h.start(t)
		h.MustFinal(t, job.ID, 20*time.Second)
		time.Sleep(300 * time.Millisecond)
		mu.Lock()
		defer mu.Unlock()
		if runs != 1 {
			t.Errorf("ran %d times, want 1", runs)
		}
	})

	t.Run("panic fails the job", func(t *testing.T) {
		t.Parallel()
		h := open(t, 2)
		h.jobs.Register("panics", handlerFunc(func(ctx context.Context, job *copydesk.Job, emit copydesk.Emit) (json.RawMessage, copydesk.JobStatus, error) {
			panic("handler bug")
		}))
		h.start(t)
		job := h.MustFinal(t, h.submit(t, "panics", copydesk.PriorityHigh, `{}`).ID, 20*time.Second)
		if job.Status != copydesk.JobFailed || job.Error == nil || job.Error.Code != copydesk.EINTERNAL {
			t.Fatalf("job %+v, want failed with internal", job)
		}
	})
}

func TestBackoffDelay(t *testing.T) {
	tests := []struct {
		attempt int
		r       float64
		want    time.Duration
	}{
		{1, 0.5, 2 * time.Second},
		{2, 0.5, 4 * time.Second},
		{3, 0.5, 8 * time.Second},
		{4, 0.5, 16 * time.Second},
		{5, 0.5, 30 * time.Second}, // 32 s capped
		{1, 0, 1600 * time.Millisecond},
		{1, 0.999999, 2399999 * time.Microsecond},
		{4, 0.999999, 19199998 * time.Microsecond},
		{30, 0.5, 30 * time.Second},
		{0, 0.5, 2 * time.Second},
	}
	for _, tt := range tests {
		got := river.BackoffDelay(tt.attempt, tt.r)
		if diff := got - tt.want; diff < -10*time.Microsecond || diff > 10*time.Microsecond {
			t.Errorf("BackoffDelay(%d, %v) = %s, want %s", tt.attempt, tt.r, got, tt.want)
		}
	}
}
