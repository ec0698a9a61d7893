package copydesk

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Emit appends one event to the running job's stream. data is encoded as JSON.
type Emit func(ctx context.Context, eventType string, data any) error

// JobHandler runs the work of one job kind. Delivery is at least once: a
// handler may run again for the same job after a crash or a retry, so it
// must be idempotent (the cache makes repeated model work free).
type JobHandler interface {
	// RunJob does the work, emitting task events through emit, and returns
	// the job's final result. The returned status is JobSucceeded, or
	// JobPartial when some tasks failed but results remain. A *ProviderError
	// or an *Error of code ERATELIMITED/EUNAVAILABLE (Retryable) is retried
	// by the queue; any other error fails the job. A partial result returned
	// with JobPartial and a retryable error (PartialFailure) runs the job
	// again, and after the last attempt the job ends partial with that
	// result.
	RunJob(ctx context.Context, job *Job, emit Emit) (result json.RawMessage, status JobStatus, err error)
}

// Retryable reports whether a job failing with err may succeed if run
// again: a provider failure of a retryable kind, ERATELIMITED or
// EUNAVAILABLE, or a deadline that ran out (a timeout).
func Retryable(err error) bool {
	if pe, ok := errors.AsType[*ProviderError](err); ok {
		return pe.Kind.Retryable()
	}
	if _, ok := IsWait(err); ok {
		return true
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	switch ErrorCode(err) {
	case ERATELIMITED, EUNAVAILABLE:
		return true
	}
	return false
}

// PartialFailure is the error a handler returns with a partial result,
// given its failed tasks' errors: the first retryable one, so that the
// queue runs the job again (the tasks that succeeded are answered from the
// cache and cost nothing), or nil when no failure would go better on
// another attempt.
func PartialFailure(errs []error) error {
	for _, err := range errs {
		if err != nil && Retryable(err) {
			return err
		}
	}
	return nil
}

// Queue hands accepted jobs to workers, durably.
type Queue interface {
	// Enqueue schedules the stored job for execution at its priority.
	Enqueue(ctx context.Context, job *Job) error
	// TxQueue: EnqueueTx schedules jobs inside a transaction of the store
	// the queue shares its database with (see JobStore.AcceptJob).
	TxQueue
	// Wake tells this process's workers that jobs were committed, so
	// that an idle one starts at once instead of at its next poll.
	Wake()
	// Ping checks the queue's storage is reachable.
	Ping(ctx context.Context) error
}

// ModelCall is one unit of model work a task asks for.
type ModelCall struct {
	Kind       string // task kind, for routing and cache tier: "analysis.grammar", "translation", "chat"...
	Priority   Priority
	CustomerID string
	UserID     string
	// KeyID is the API key the call is made with (directly: chat,
	// messages, embeddings; or by a job it submitted): the key's own
	// budget, when it has one, counts the call.
	KeyID   string
	JobID   string
	Request ModelRequest
	// Version names the prompt template that built Request; it is part of
	// the cache key, so changing a template invalidates its own entries.
	Version string
	// Validate, when set, checks a finished answer before it is cached or
	// returned; an error makes the call fail with ProviderInvalid and
	// nothing is cached.
	Validate func(*ModelResponse) error
	// Tier is the service tier asked for: "" or TierLive for a live call,
	// TierBatch to have the call answered by a provider batch at the
	// batch price (the call then returns a *WaitError until the answer is
	// in). It is not part of the cache key: a batch answer serves live
	// callers too.
	Tier string
	// CompleteBy, for a batch call, is when the answer is needed: close
	// to it, a call still waiting runs live. Zero: no deadline.
	CompleteBy time.Time
}

// ModelResult is a finished model call with its accounting.
type ModelResult struct {
	Response *ModelResponse
	// Usage is the call's accounting record: provider, model, tokens, cost,
	// latency, time to first token, attempts and the routing decision. For
	// a cached answer it describes the original call.
	Usage UsageRecord
	// Cached is set when the answer came from the cache or another
	// caller's identical call: no provider was called for this one.
	Cached bool
	// Simulated is set when the simulated provider produced the answer.
	Simulated bool
	// ClampedMaxTokens, when positive, is the output cap the call ran
	// with because the budget could not pay for the one asked for: the
	// answer may stop there (finish reason "length"). Such an answer is
	// never cached.
	ClampedMaxTokens int `json:"clamped_max_tokens,omitempty"`
}

// ModelService runs model calls through routing, limits and accounting.
type ModelService interface {
	// Stream runs call, calling onDelta with each text delta; with a nil
	// onDelta the provider is called without streaming. Returns an
	// *Error of code ENOPROVIDER when no provider is configured, and a
	// *ProviderError when every route failed.
	Stream(ctx context.Context, call ModelCall, onDelta func(delta string) error) (*ModelResult, error)
}

// RetryError asks the queue to run a job again after After (0: the queue's
// exponential backoff) instead of finishing it.
type RetryError struct {
	Err   error
	After time.Duration
}

// Error implements error.
func (e *RetryError) Error() string { return "retry: " + e.Err.Error() }

// Unwrap returns the cause.
func (e *RetryError) Unwrap() error { return e.Err }
