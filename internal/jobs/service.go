package jobs

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/jsonappend"
)

// MaxAttemptsDefault is how often a job runs before a retryable failure
// becomes final: the first run and four retries (2 s, 4 s, 8 s, 16 s).
const MaxAttemptsDefault = 5

// CancelPollInterval is how often a running job checks the store for a
// cancellation made by another process.
const CancelPollInterval = time.Second

// Service submits, runs, inspects and cancels jobs. Handlers are registered
// per job kind before the queue starts.
type Service struct {
	Store       copydesk.JobStore
	Queue       copydesk.Queue
	Broker      *Broker
	Clock       copydesk.Clock
	Logger      *slog.Logger
	MaxAttempts int // 0: MaxAttemptsDefault
	// Observer receives job figures; nil records nothing.
	Observer Observer
	// Tracer starts a span per attempt (trace.Tracing); nil: none.
	Tracer Tracer
	// OnPanic reports a recovered handler panic (Sentry); nil: log only.
	OnPanic func(ctx context.Context, p any, tags map[string]string)
	// DeltaWindow is how long a task's delta events after its first are
	// gathered into one event row. Default DeltaWindowDefault; negative:
	// every delta is its own event.
	DeltaWindow time.Duration
	// MaxWaiting refuses new jobs with ERATELIMITED (Retry-After) while
	// this many jobs wait in the queue for a worker, so that a client
	// learns of an overload at once instead of from minutes of queueing;
	// 0: no limit.
	MaxWaiting int
	// Waiting counts the jobs waiting for a worker (the queue's); it is
	// asked at most every WaitingRefresh. Required with MaxWaiting.
	Waiting func(ctx context.Context) (int, error)

	mu       sync.Mutex
	handlers map[string]copydesk.JobHandler
	running  map[string]context.CancelCauseFunc
	fresh    freshJobs

	waitMu      sync.Mutex
	waitCount   int
	waitChecked time.Time
}

// WaitingRefresh is how long a count of the waiting jobs is trusted.
const WaitingRefresh = 100 * time.Millisecond

// overloaded returns ERATELIMITED when MaxWaiting jobs wait already.
func (s *Service) overloaded(ctx context.Context) error {
	if s.MaxWaiting <= 0 || s.Waiting == nil {
		return nil
	}
	now := s.Clock.Now()
	s.waitMu.Lock()
	defer s.waitMu.Unlock()
	if now.Sub(s.waitChecked) >= WaitingRefresh {
		n, err := s.Waiting(ctx)
		if err != nil {
			s.Logger.Warn("counting the waiting jobs failed; accepting", "err", err)
			return nil
		}
		s.waitCount, s.waitChecked = n, now
	}
	if s.waitCount < s.MaxWaiting {
		s.waitCount++ // until the next count, this one waits too
		return nil
	}
	return &copydesk.Error{Code: copydesk.ERATELIMITED, RetryAfter: time.Second,
		Message: fmt.Sprintf("%d jobs are waiting for a worker (queue.max_waiting); try again in a second", s.waitCount)}
}

// Observer receives job figures (metrics.Metrics implements it).
type Observer interface {
	// JobStarted is called when an attempt starts, with the time since
	// the job was accepted.
	JobStarted(priority copydesk.Priority, wait time.Duration)
	// JobAttempt is called when an attempt ends; status is JobQueued when
	// the job will run again.
	JobAttempt(kind string, status copydesk.JobStatus, d time.Duration, err error)
	// ObserveFirstResult is called at a job's first task result, with the
	// time since the job was accepted.
	ObserveFirstResult(kind string, d time.Duration)
	// ObserveDone is called when a job becomes final, with the time since
	// it was accepted.
	ObserveDone(kind string, status copydesk.JobStatus, d time.Duration)
}

// Tracer starts the span of one attempt of a job, under the trace context
// already in ctx (carried through the queue).
type Tracer interface {
	StartJob(ctx context.Context, job *copydesk.Job, attempt int, carrier map[string]string) (context.Context, func(err error))
}

type noObserver struct{}

func (noObserver) JobStarted(copydesk.Priority, time.Duration)                 {}
func (noObserver) JobAttempt(string, copydesk.JobStatus, time.Duration, error) {}
func (noObserver) ObserveFirstResult(string, time.Duration)                    {}
func (noObserver) ObserveDone(string, copydesk.JobStatus, time.Duration)       {}

func (s *Service) observer() Observer {
	if s.Observer == nil {
		return noObserver{}
	}
	return s.Observer
}

// errCancelledByUser is the cause of a running job's context when a user
// cancelled it.
var errCancelledByUser = errors.New("job cancelled by user")

// Register plugs in the handler of a job kind. It panics on a duplicate kind:
// that is a wiring bug.
func (s *Service) Register(kind string, h copydesk.JobHandler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.handlers == nil {
		s.handlers = make(map[string]copydesk.JobHandler)
	}
	if _, ok := s.handlers[kind]; ok {
		panic("jobs: handler registered twice for kind " + kind)
	}
	s.handlers[kind] = h
}

// Handles reports whether a handler exists for kind.
func (s *Service) Handles(kind string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.handlers[kind]
	return ok
}

// Handler returns the handler registered for kind, or nil: a batch runs
// its items through the handlers of their kinds.
func (s *Service) Handler(kind string) copydesk.JobHandler { return s.handler(kind) }

func (s *Service) handler(kind string) copydesk.JobHandler {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.handlers[kind]
}

// Submit accepts job: in one store transaction (shared with concurrent
// accepts) the job is stored as queued with its job.queued event and handed
// to the queue, so that an accepted job is never lost nor left unqueued.
// Then the workers of this process are woken. A store or queue failure
// stores nothing and returns EUNAVAILABLE.
func (s *Service) Submit(ctx context.Context, job *copydesk.Job) error {
	if !s.Handles(job.Kind) {
		return copydesk.Errorf(copydesk.EINTERNAL, "no handler for job kind %q", job.Kind)
	}
	if err := s.overloaded(ctx); err != nil {
		return err
	}
	job.Status = copydesk.JobQueued
	if job.KeyID == "" {
		job.KeyID = copydesk.APIKeyFrom(ctx) // the key's own budget counts the job's calls
	}
	if job.ID == "" {
		job.ID = copydesk.NewJobID(s.Clock.Now())
	}
	first, err := newEvent(job.ID, "job.queued", map[string]any{"priority": job.Priority.String()})
	if err != nil {
		return err
	}
	// Its stream's first read comes from the broker: recorded before the
	// job is stored, so the history misses none of its events.
	recorded := s.Broker.Record(job)
	err = s.Store.AcceptJob(ctx, job, first, s.Queue)
	if err != nil && recorded {
		s.Broker.Forget(job.ID)
	}
	switch copydesk.ErrorCode(err) {
	case "":
	case copydesk.EINVALID, copydesk.ECONFLICT, copydesk.ECANCELLED, copydesk.ERATELIMITED:
		return err
	default:
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.Logger.Error("accepting a job failed", "job_id", job.ID, "err", err)
		return copydesk.Errorf(copydesk.EUNAVAILABLE, "the job queue is unavailable; try again shortly")
	}
	s.fresh.add(job)
	s.Queue.Wake()
	s.Broker.Publish(first)
	return nil
}

// reconcilePage is how many open jobs Reconcile reads at a time.
const reconcilePage = 500

// Reconcile hands every open job (queued or running) to the queue and
// returns how many it checked. The queue keeps one row per job (unique by
// job id), so a job it holds is left as it is; one it lacks (accepted by a
// version that kept the queue elsewhere, or restored from a backup) is
// queued again. Run it at start, before the workers.
func (s *Service) Reconcile(ctx context.Context) (int, error) {
	n := 0
	for _, status := range []copydesk.JobStatus{copydesk.JobQueued, copydesk.JobRunning} {
		for offset := 0; ; offset += reconcilePage {
			open, _, err := s.Store.FindJobs(ctx, copydesk.JobFilter{Status: &status, Offset: offset, Limit: reconcilePage})
			if err != nil {
				return n, err
			}
			for _, job := range open {
				if err := s.Queue.Enqueue(ctx, job); err != nil {
					return n, err
				}
				n++
			}
			if len(open) < reconcilePage {
				break
			}
		}
	}
	return n, nil
}

// Get returns a job. Returns ENOTFOUND if it does not exist.
func (s *Service) Get(ctx context.Context, id string) (*copydesk.Job, error) {
	return s.Store.FindJobByID(ctx, id)
}

// GetWithEvents returns a job and its events after seq, at most limit of
// them. A job this process accepted and whose every event its broker
// carried comes from the broker (Broker.Replay), without a store read: then
// the job has no Input, Result, Error or times. Otherwise the store is
// read, in one round trip when it can (copydesk.JobWithEventsFinder).
func (s *Service) GetWithEvents(ctx context.Context, id string, afterSeq int64, limit int) (*copydesk.Job, []*copydesk.Event, error) {
	if job, evs, ok := s.Broker.Replay(id, afterSeq, limit); ok {
		return job, evs, nil
	}
	if f, ok := s.Store.(copydesk.JobWithEventsFinder); ok {
		return f.FindJobWithEvents(ctx, id, afterSeq, limit)
	}
	job, err := s.Store.FindJobByID(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	evs, err := s.Store.FindEvents(ctx, id, afterSeq, limit)
	if err != nil {
		return nil, nil, err
	}
	return job, evs, nil
}

// Events returns the job's events after seq.
func (s *Service) Events(ctx context.Context, id string, afterSeq int64, limit int) ([]*copydesk.Event, error) {
	return s.Store.FindEvents(ctx, id, afterSeq, limit)
}

// Cancel cancels an open job: it becomes final at once, a done event is
// recorded, and a run in progress in this process is stopped (one in another
// process stops within CancelPollInterval). Returns ENOTFOUND for an unknown
// job and ECONFLICT for a job already finished.
func (s *Service) Cancel(ctx context.Context, id string) (*copydesk.Job, error) {
	job, err := s.Store.FindJobByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if job.Status.Final() {
		return nil, copydesk.Errorf(copydesk.ECONFLICT, "job %s is already %s", id, job.Status)
	}
	job, err = s.finish(ctx, id, nil, copydesk.JobCancelled, nil, &copydesk.JobError{Code: copydesk.ECANCELLED, Message: "cancelled by request"})
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	cancel := s.running[id]
	s.mu.Unlock()
	if cancel != nil {
		cancel(errCancelledByUser)
	}
	return job, nil
}

// start marks the job running with its next attempt and appends its
// job.started event, and returns the job as stored and its handler. A job
// this process accepted and has not started yet is started without
// reading it first: the update applies only while its attempts are still
// 0, and returns the row. Any other job, or one that update does not
// apply to (cancelled meanwhile, run elsewhere), is read first. A nil job
// means there is nothing to run, and err is what Run returns: nil for a
// job that is gone or final, or has no handler (it is failed).
func (s *Service) start(ctx context.Context, jobID string) (*copydesk.Job, copydesk.JobHandler, error) {
	if fj, ok := s.fresh.take(jobID); ok {
		if h := s.handler(fj.kind); h != nil {
			zero := 0
			job, err := s.markRunning(ctx, jobID, 1, &zero, fj.job)
			switch copydesk.ErrorCode(err) {
			case "":
				return job, h, nil
			case copydesk.ECONFLICT, copydesk.ENOTFOUND:
			default:
				return nil, nil, err
			}
		}
	}
	job, err := s.Store.FindJobByID(ctx, jobID)
	if err != nil {
		if copydesk.ErrorCode(err) == copydesk.ENOTFOUND {
			s.Logger.Error("queued job not in store; dropping", "job_id", jobID)
			return nil, nil, nil
		}
		return nil, nil, err
	}
	if job.Status.Final() {
		return nil, nil, s.ensureDone(ctx, job)
	}
	h := s.handler(job.Kind)
	if h == nil {
		_, err := s.finish(ctx, jobID, job, copydesk.JobFailed, nil, &copydesk.JobError{Code: copydesk.EINTERNAL, Message: "no handler for job kind " + job.Kind})
		return nil, nil, err
	}
	job, err = s.markRunning(ctx, jobID, job.Attempts+1, nil, nil)
	if copydesk.ErrorCode(err) == copydesk.ECONFLICT {
		return nil, nil, nil // cancelled between load and start
	}
	return job, h, err
}

// markRunning sets the job running with attempt as its attempts (only
// while they equal *ifAttempts, when set) and its job.started event, and
// publishes the event. It returns the job as stored; with known (the job
// as this process accepted it) the store reads nothing back and known,
// updated the same way, is returned.
func (s *Service) markRunning(ctx context.Context, jobID string, attempt int, ifAttempts *int, known *copydesk.Job) (*copydesk.Job, error) {
	running := copydesk.JobRunning
	started, err := newEvent(jobID, "job.started", map[string]any{"attempt": attempt})
	if err != nil {
		return nil, err
	}
	job, err := s.Store.UpdateJob(ctx, jobID, copydesk.JobUpdate{Status: &running, Attempts: &attempt, IfAttempts: ifAttempts, Event: started, NoJob: known != nil})
	if err != nil {
		return nil, err
	}
	if known != nil {
		job = known
		job.Status, job.Attempts, job.UpdatedAt = running, attempt, started.At
	}
	s.Broker.Publish(started)
	return job, nil
}

// Run executes the next attempt of the job. Attempts are counted in the
// store, so a snoozed run (Retry-After) or one cut by a crash counts too and
// a job that keeps failing ends after MaxAttempts. It returns nil
// when the job reached a final state (or already had one), a *copydesk.RetryError when
// the queue should run it again, and another error only when the store
// failed (the queue retries those too).
func (s *Service) Run(ctx context.Context, jobID string) error {
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	s.mu.Lock()
	if s.running == nil {
		s.running = make(map[string]context.CancelCauseFunc)
	}
	s.running[jobID] = cancel
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.running, jobID)
		s.mu.Unlock()
	}()

	job, h, err := s.start(ctx, jobID)
	if job == nil {
		return err
	}
	go s.watchCancel(runCtx, jobID, cancel)
	attempt := job.Attempts
	obs := s.observer()
	startedAt := s.Clock.Now()
	obs.JobStarted(job.Priority, startedAt.Sub(job.CreatedAt))

	spanCtx, endSpan := withTier(runCtx, job), func(error) {}
	if s.Tracer != nil {
		spanCtx, endSpan = s.Tracer.StartJob(runCtx, job, attempt, nil)
	}
	result, status, runErr := s.safeRun(spanCtx, h, job)
	endSpan(runErr)
	attempted := func(st copydesk.JobStatus) {
		obs.JobAttempt(job.Kind, st, s.Clock.Now().Sub(startedAt), runErr)
	}
	if errors.Is(context.Cause(runCtx), errCancelledByUser) {
		attempted(copydesk.JobCancelled)
		return nil // Cancel already made the job final and wrote done
	}
	if runErr == nil {
		if !status.Final() {
			status = copydesk.JobSucceeded
		}
		attempted(status)
		_, err := s.finish(context.WithoutCancel(ctx), jobID, job, status, result, nil)
		return err
	}
	if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		attempted(copydesk.JobQueued)
		// The process is stopping: hand the job back to the queue.
		s.Logger.Info("job interrupted by shutdown; it will run again", "job_id", jobID)
		_ = s.emit(context.WithoutCancel(ctx), jobID, "job.interrupted", map[string]any{
			"attempt": attempt, "message": "the server stopped; the job will run again",
		})
		return &copydesk.RetryError{Err: runErr}
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		// The attempt ran past queue.job_timeout: a failed attempt like
		// any other timeout, counted against MaxAttempts.
		runErr = &copydesk.ProviderError{Kind: copydesk.ProviderTimeout, Provider: "copydesk",
			Message: "the attempt ran past the job timeout (queue.job_timeout)", Err: runErr}
		ctx = context.WithoutCancel(ctx)
	}
	if we, ok := copydesk.IsWait(runErr); ok {
		// Work handed to a provider batch: run again later without
		// counting this run as an attempt.
		attempted(copydesk.JobQueued)
		waiting, err := newEvent(jobID, "job.waiting", map[string]any{"message": we.Message, "after_ms": we.After.Milliseconds()})
		if err != nil {
			return err
		}
		queued, prev := copydesk.JobQueued, attempt-1
		switch _, err := s.Store.UpdateJob(ctx, jobID, copydesk.JobUpdate{Status: &queued, Attempts: &prev, Event: waiting}); copydesk.ErrorCode(err) {
		case "":
			s.Broker.Publish(waiting)
		case copydesk.ECONFLICT: // cancelled meanwhile
			return nil
		default:
			return err
		}
		return &copydesk.RetryError{Err: runErr, After: max(we.After, time.Millisecond)}
	}
	max := s.MaxAttempts
	if max <= 0 {
		max = MaxAttemptsDefault
	}
	if retryable(runErr) && attempt < max {
		attempted(copydesk.JobQueued)
		after := retryAfter(runErr)
		retrying, err := newEvent(jobID, "job.retrying", map[string]any{
			"attempt": attempt, "code": copydesk.FailureCode(runErr), "message": copydesk.FailureMessage(runErr),
		})
		if err != nil {
			return err
		}
		queued := copydesk.JobQueued
		switch _, err := s.Store.UpdateJob(ctx, jobID, copydesk.JobUpdate{Status: &queued, Event: retrying}); copydesk.ErrorCode(err) {
		case "":
			s.Broker.Publish(retrying)
		case copydesk.ECONFLICT: // cancelled meanwhile
		default:
			return err
		}
		return &copydesk.RetryError{Err: runErr, After: after}
	}
	if status == copydesk.JobPartial && len(result) > 0 {
		// Some tasks failed on every attempt; the others' results stand.
		attempted(copydesk.JobPartial)
		s.Logger.Warn("job partial after its last attempt", "job_id", jobID, "attempt", attempt, "err", runErr)
		_, err = s.finish(context.WithoutCancel(ctx), jobID, job, copydesk.JobPartial, result,
			&copydesk.JobError{Code: copydesk.FailureCode(runErr), Message: copydesk.FailureMessage(runErr)})
		return err
	}
	attempted(copydesk.JobFailed)
	s.Logger.Warn("job failed", "job_id", jobID, "attempt", attempt, "err", runErr)
	_, err = s.finish(context.WithoutCancel(ctx), jobID, job, copydesk.JobFailed, result,
		&copydesk.JobError{Code: copydesk.FailureCode(runErr), Message: copydesk.FailureMessage(runErr)})
	return err
}

// safeRun calls the handler and turns a panic into a failed run.
func (s *Service) safeRun(ctx context.Context, h copydesk.JobHandler, job *copydesk.Job) (result json.RawMessage, status copydesk.JobStatus, err error) {
	defer func() {
		if r := recover(); r != nil {
			s.Logger.Error("job handler panicked", "job_id", job.ID, "panic", fmt.Sprint(r))
			if s.OnPanic != nil {
				s.OnPanic(ctx, r, map[string]string{"job_id": job.ID, "job_kind": job.Kind})
			}
			err = copydesk.Errorf(copydesk.EINTERNAL, "the job failed unexpectedly")
		}
	}()
	var first sync.Once
	write := func(ctx context.Context, typ string, data any) error { return s.emit(ctx, job.ID, typ, data) }
	if a, ok := s.Store.(asyncAppender); ok {
		write = s.emitAsync(a, job.ID)
	}
	if window := cmp.Or(s.DeltaWindow, DeltaWindowDefault); window > 0 {
		co := newCoalescer(window, write)
		write = co.emit
		// Gathered deltas are written before the job's final status and
		// done event, also when the handler panics.
		defer func() {
			if ferr := co.flush(); ferr != nil {
				s.Logger.Warn("writing the last delta events failed", "job_id", job.ID, "err", ferr)
			}
		}()
	}
	emit := func(ctx context.Context, typ string, data any) error {
		if typ == copydesk.EventTaskResult {
			first.Do(func() { s.observer().ObserveFirstResult(job.Kind, s.Clock.Now().Sub(job.CreatedAt)) })
		}
		if typ == copydesk.EventTaskStarted && job.Attempts > 1 {
			// A re-run starts the task's text over: clients drop the
			// deltas an earlier attempt streamed for it.
			if task := taskOf(data); task != "" {
				if err := write(ctx, copydesk.EventTaskRestarted, map[string]any{"task": task, "attempt": job.Attempts}); err != nil {
					return err
				}
			}
		}
		return write(ctx, typ, data)
	}
	return h.RunJob(ctx, job, emit)
}

// watchCancel stops a run when another process cancelled the job.
func (s *Service) watchCancel(ctx context.Context, jobID string, cancel context.CancelCauseFunc) {
	t := time.NewTicker(CancelPollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			job, err := s.Store.FindJobByID(ctx, jobID)
			if err == nil && job.Status == copydesk.JobCancelled {
				cancel(errCancelledByUser)
				return
			}
		}
	}
}

// finish makes the job final and records its done event in the same
// write, so that a final job always has its done event. If the job was
// already final (a race with Cancel), it returns ECONFLICT and writes
// nothing.
//
// With known (a run's job: its kind and creation time are all finish
// needs of it), the store reads nothing back and known is returned.
func (s *Service) finish(ctx context.Context, id string, known *copydesk.Job, status copydesk.JobStatus, result json.RawMessage, jerr *copydesk.JobError) (*copydesk.Job, error) {
	// The done event carries the job's final state: the status, error
	// and result this update sets.
	data, err := doneData(status, result, jerr)
	if err != nil {
		return nil, err
	}
	done := &copydesk.Event{JobID: id, Type: copydesk.EventDone, Data: data}
	job, err := s.Store.UpdateJob(ctx, id, copydesk.JobUpdate{Status: &status, Result: result, Error: jerr, Event: done, NoJob: known != nil})
	if err != nil {
		return nil, err
	}
	if known != nil {
		job = known
	}
	// Counted before any stream is told, so that a client that read done
	// finds the job in the metrics.
	s.observer().ObserveDone(job.Kind, status, s.Clock.Now().Sub(job.CreatedAt))
	s.Broker.Publish(done)
	return job, nil
}

// ensureDone writes the done event of a final job if a crash lost it.
func (s *Service) ensureDone(ctx context.Context, job *copydesk.Job) error {
	evs, err := s.Store.FindEvents(ctx, job.ID, 0, 0)
	if err != nil {
		return err
	}
	if n := len(evs); n > 0 && evs[n-1].Type == copydesk.EventDone {
		return nil
	}
	data, err := doneData(job.Status, job.Result, job.Error)
	if err != nil {
		return err
	}
	return s.emit(ctx, job.ID, copydesk.EventDone, data)
}

// doneData is the data of a job's done event: its status, error and
// result, byte for byte what encoding/json writes for the map
// {"error": …, "result": …, "status": …} (keys in order, the error and
// the result only when set). A result is a page's whole report: it is
// compacted and checked in one pass (jsonappend.Raw) rather than by
// encoding/json's per-byte state machine, a quarter of the time.
func doneData(status copydesk.JobStatus, result json.RawMessage, jerr *copydesk.JobError) (json.RawMessage, error) {
	b := make([]byte, 0, len(result)+64)
	b = append(b, '{')
	if jerr != nil {
		e, err := json.Marshal(jerr)
		if err != nil {
			return nil, fmt.Errorf("encode done event: %w", err)
		}
		b = append(append(b, `"error":`...), e...)
		b = append(b, ',')
	}
	if len(result) > 0 {
		var err error
		b = append(b, `"result":`...)
		if b, err = jsonappend.Raw(b, result); err != nil {
			return nil, fmt.Errorf("encode done event: the result: %w", err)
		}
		b = append(b, ',')
	}
	b = append(b, `"status":`...)
	b = jsonappend.String(b, string(status))
	return append(b, '}'), nil
}

func (s *Service) emit(ctx context.Context, jobID, typ string, data any) error {
	ev, err := newEvent(jobID, typ, data)
	if err != nil {
		return err
	}
	if err := s.Store.AppendEvent(ctx, ev); err != nil {
		return err
	}
	s.Broker.Publish(ev)
	return nil
}

// asyncAppender is a JobStore that stores an event without making its
// caller wait (sqlite.DB, postgres.DB).
type asyncAppender interface {
	AppendEventAsync(ctx context.Context, ev *copydesk.Event, done func(error))
}

// emitAsync returns the emit of a run whose events are stored without the
// handler waiting for each: an event is published once stored, in order
// with the job's other writes (its final status and done event come
// after it in the store's queue), so streams still see only stored events
// and in order. A failed append is logged and returned by the handler's
// next emit, as a synchronous one would have been by its own.
//
// Deltas (the streamed text) are still stored and published one by one,
// each by its run: stored without waiting, they were published by the
// store's writing goroutine, which then carried every delta to every
// stream of every job, and the fan-out row's delivery p99 went from
// 53-87 ms to 85-226 ms (BENCHMARKS.md, session 12). A synchronous emit
// is safe among asynchronous ones: it returns after the events queued
// before it were stored and published.
func (s *Service) emitAsync(a asyncAppender, jobID string) func(ctx context.Context, typ string, data any) error {
	var mu sync.Mutex
	var failed error
	return func(ctx context.Context, typ string, data any) error {
		mu.Lock()
		err := failed
		failed = nil
		mu.Unlock()
		if err != nil {
			return err
		}
		if typ == copydesk.EventDelta {
			return s.emit(ctx, jobID, typ, data)
		}
		ev, err := newEvent(jobID, typ, data)
		if err != nil {
			return err
		}
		a.AppendEventAsync(ctx, ev, func(err error) {
			if err == nil {
				s.Broker.Publish(ev)
				return
			}
			if ctx.Err() == nil {
				s.Logger.Warn("storing a job event failed", "job_id", jobID, "type", typ, "err", err)
			}
			mu.Lock()
			failed = cmp.Or(failed, err)
			mu.Unlock()
		})
		return nil
	}
}

// newEvent encodes data into an event of jobID.
func newEvent(jobID, typ string, data any) (*copydesk.Event, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("encode %s event: %w", typ, err)
	}
	return &copydesk.Event{JobID: jobID, Type: typ, Data: raw}, nil
}

func retryable(err error) bool { return copydesk.Retryable(err) }

func retryAfter(err error) time.Duration {
	if pe, ok := errors.AsType[*copydesk.ProviderError](err); ok {
		return pe.RetryAfter
	}
	if e, ok := errors.AsType[*copydesk.Error](err); ok {
		return e.RetryAfter
	}
	return 0
}

// Subscribe implements copydesk.JobService through the broker.
func (s *Service) Subscribe(id string) copydesk.EventFeed {
	return s.Broker.Subscribe(id)
}

var _ copydesk.JobService = (*Service)(nil)

// taskOf returns the "task" field of an event's data, or "".
func taskOf(data any) string {
	if m, ok := data.(map[string]any); ok {
		if t, ok := m["task"].(string); ok {
			return t
		}
	}
	return ""
}

// withTier puts the service tier the job's stored request asked for
// ("service_tier", "complete_by", "priority" at its top level) into ctx,
// so that its model calls go to the batch tier when it asked for it.
func withTier(ctx context.Context, job *copydesk.Job) context.Context {
	var in struct {
		copydesk.TierRequest
		Priority string `json:"priority"`
	}
	if len(job.Input) == 0 || job.Input[0] != '{' || json.Unmarshal(job.Input, &in) != nil {
		return ctx
	}
	tier, by, err := in.Resolve(in.Priority, time.Time{})
	if err != nil || tier != copydesk.TierBatch {
		return ctx
	}
	return copydesk.WithTier(ctx, tier, by)
}
