package copydesk

import (
	"context"
	"encoding/json"
	"time"
)

// Priority orders jobs: every CRITICAL job runs before any HIGH one, and so on.
// The numeric values are the queue's (1 is most urgent).
type Priority int

// The four priorities of the plan: live user request, interactive, background, batch.
const (
	PriorityCritical Priority = 1
	PriorityHigh     Priority = 2
	PriorityMedium   Priority = 3
	PriorityLow      Priority = 4
)

// String returns the priority's name in upper case.
func (p Priority) String() string {
	switch p {
	case PriorityCritical:
		return "CRITICAL"
	case PriorityHigh:
		return "HIGH"
	case PriorityMedium:
		return "MEDIUM"
	case PriorityLow:
		return "LOW"
	}
	return "UNKNOWN"
}

// ParsePriority parses a priority name, case-insensitively. The empty string
// is PriorityHigh (an interactive request). Returns EINVALID for other values.
func ParsePriority(s string) (Priority, error) {
	switch s {
	case "", "high", "HIGH":
		return PriorityHigh, nil
	case "critical", "CRITICAL":
		return PriorityCritical, nil
	case "medium", "MEDIUM":
		return PriorityMedium, nil
	case "low", "LOW":
		return PriorityLow, nil
	}
	return 0, Errorf(EINVALID, "priority %q is not one of critical, high, medium, low", s)
}

// JobStatus is where a job is in its life.
type JobStatus string

// Job statuses. Queued and running are open; the others are final.
const (
	JobQueued    JobStatus = "queued"
	JobRunning   JobStatus = "running"
	JobSucceeded JobStatus = "succeeded"
	JobPartial   JobStatus = "partial" // finished, some tasks failed, partial results kept
	JobFailed    JobStatus = "failed"
	JobCancelled JobStatus = "cancelled"
)

// Final reports whether the status is terminal.
func (s JobStatus) Final() bool {
	return s == JobSucceeded || s == JobPartial || s == JobFailed || s == JobCancelled
}

// Job is a unit of accepted work: one request that needs background work
// (model calls). Its progress is a sequence of Events.
type Job struct {
	ID         string `json:"id"`
	Kind       string `json:"kind"` // task kind, e.g. "analysis"
	CustomerID string `json:"customer_id,omitempty"`
	UserID     string `json:"user_id,omitempty"`
	// KeyID is the API key the job was submitted with: its model calls
	// count on the key's own budget, when it has one.
	KeyID      string          `json:"key_id,omitempty"`
	Priority   Priority        `json:"-"`
	Status     JobStatus       `json:"status"`
	Input      json.RawMessage `json:"-"`
	Result     json.RawMessage `json:"result,omitempty"` // the merged result so far
	Error      *JobError       `json:"error,omitempty"`
	Attempts   int             `json:"attempts"`
	CreatedAt  time.Time       `json:"created_at"`
	UpdatedAt  time.Time       `json:"updated_at"`
	FinishedAt *time.Time      `json:"finished_at,omitempty"`
	// Prepared is what the submitter computed that the job's handler
	// would compute again from Input (a deep analysis's parsed text and
	// local report). It is never stored: only the job's first run in the
	// process that accepted it may see it, and a handler must do without.
	// The handler may change it; nothing else reads it after the submit.
	Prepared any `json:"-"`
}

// apiKeyKey is the context key of the API key a request acts with.
type apiKeyKey struct{}

// WithAPIKey returns ctx carrying the ID of the API key a request acts
// with (the http layer sets it for keys and JWTs exchanged for keys), so
// that the jobs the request submits count on the key's own budget.
func WithAPIKey(ctx context.Context, keyID string) context.Context {
	if keyID == "" {
		return ctx
	}
	return context.WithValue(ctx, apiKeyKey{}, keyID)
}

// APIKeyFrom returns the API key ID WithAPIKey put in ctx, "" for none.
func APIKeyFrom(ctx context.Context) string {
	id, _ := ctx.Value(apiKeyKey{}).(string)
	return id
}

// JobError is the visible failure of a job or task.
type JobError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Event types on a job's stream.
const (
	EventTaskStarted = "task.started"
	EventTaskResult  = "task.result"
	EventTaskFailed  = "task.failed"
	EventDelta       = "delta" // a streamed token delta
	// EventTaskRestarted precedes a task's task.started when the job runs
	// again (a retry, or after a crash): the client drops the deltas it
	// received for that task before it, as the task's text starts over.
	EventTaskRestarted = "task.restarted"
	EventDone          = "done" // the last event: the overall outcome
)

// Event is one persisted step of a job. Seq increases by one per job from 1;
// a client resuming with Last-Event-ID n receives every event with Seq > n.
type Event struct {
	JobID string          `json:"job_id"`
	Seq   int64           `json:"seq"`
	Type  string          `json:"type"`
	Data  json.RawMessage `json:"data"`
	At    time.Time       `json:"at"`
}

// JobFilter selects jobs. Nil fields do not filter.
type JobFilter struct {
	ID         *string
	CustomerID *string
	UserID     *string
	Status     *JobStatus
	Offset     int
	Limit      int
}

// JobUpdate changes a job. Nil fields are left as they are.
type JobUpdate struct {
	Status   *JobStatus
	Result   json.RawMessage
	Error    *JobError
	Attempts *int
	// IfAttempts, when set, makes the update apply only while the job's
	// attempts equal it (ECONFLICT otherwise), so that a run can start a
	// job from what it knows of it, without reading it first, and still
	// not count an attempt twice.
	IfAttempts *int
	// Event, when set, is appended to the job's stream in the same
	// transaction, only if the update applies: a status change and its
	// event are one write. Its JobID, Seq and At are set.
	Event *Event
	// NoJob asks for no job back: on success UpdateJob returns a nil job
	// and the store reads none of its columns back (a run finishing a
	// job it already knows).
	NoJob bool
}

// JobStore persists jobs and their events.
type JobStore interface {
	// CreateJob stores a new job; ID, CreatedAt and UpdatedAt are set on job.
	CreateJob(ctx context.Context, job *Job) error
	// FindJobByID returns the job. Returns ENOTFOUND if it does not exist.
	FindJobByID(ctx context.Context, id string) (*Job, error)
	// FindJobs returns the jobs matching filter, newest first, and the total count.
	FindJobs(ctx context.Context, filter JobFilter) ([]*Job, int, error)
	// AcceptJob stores a new job with its first event and, in the same
	// transaction, hands it to queue (the queue's insert into its tables in
	// the store's database; nil: no queue), so that an accepted job is
	// stored, has its first event and is queued, or none of it. job.ID
	// (when empty), CreatedAt, UpdatedAt and first's JobID, Seq and At are
	// set. Concurrent accepts may share a transaction (and one call of
	// queue). Returns EINVALID for a bad job or event, ECONFLICT if the ID
	// is taken, or the queue's error.
	AcceptJob(ctx context.Context, job *Job, first *Event, queue TxQueue) error
	// UpdateJob changes a job and appends upd.Event with it. Returns
	// ENOTFOUND if it does not exist and ECONFLICT if the job is already
	// final and upd changes its status, or its attempts differ from
	// upd.IfAttempts.
	UpdateJob(ctx context.Context, id string, upd JobUpdate) (*Job, error)
	// AppendEvent stores ev with the next sequence number of its job and sets
	// ev.Seq and ev.At. Returns ENOTFOUND if the job does not exist.
	AppendEvent(ctx context.Context, ev *Event) error
	// FindEvents returns the job's events with Seq > afterSeq in order, at most
	// limit of them (0: all).
	FindEvents(ctx context.Context, jobID string, afterSeq int64, limit int) ([]*Event, error)
	// DeleteFinishedJobs deletes the jobs in a final status created before
	// before, with their events, and returns how many; an open job is kept
	// whatever its age. It deletes in short transactions, so that it can
	// run beside live traffic (the retention sweep).
	DeleteFinishedJobs(ctx context.Context, before time.Time) (int, error)
}

// JobWithEventsFinder is a JobStore that reads a job and its events in one
// request to its database server: FindJobByID and FindEvents together, for
// a stream that connects. Optional.
type JobWithEventsFinder interface {
	// FindJobWithEvents returns the job and its events with Seq > afterSeq
	// in order, at most limit of them (0: all). Returns ENOTFOUND if the
	// job does not exist and EINVALID for a negative limit.
	FindJobWithEvents(ctx context.Context, id string, afterSeq int64, limit int) (*Job, []*Event, error)
}

// TxQueue enqueues jobs inside a transaction of the store the queue shares
// its database with (Queue.EnqueueTx).
type TxQueue interface {
	// EnqueueTx schedules jobs inside tx. Returns EINTERNAL for a
	// transaction of another kind.
	EnqueueTx(ctx context.Context, tx StoreTx, jobs ...*Job) error
}

// StoreTx is a store's open transaction handed to a queue that keeps its
// tables in the same database: a *sql.Tx for the embedded store, a pgx.Tx
// for PostgreSQL.
type StoreTx any

// JobSubmitter accepts jobs for execution (jobs.Service implements it).
type JobSubmitter interface {
	// Submit validates and stores job, writes its job.queued event and
	// hands it to the queue; job.ID is set. A queue failure marks the job
	// failed and returns EUNAVAILABLE.
	Submit(ctx context.Context, job *Job) error
}

// JobService is what the API needs of jobs.
type JobService interface {
	// Get returns a job. Returns ENOTFOUND if it does not exist.
	Get(ctx context.Context, id string) (*Job, error)
	// Cancel cancels an open job. Returns ENOTFOUND for an unknown job and
	// ECONFLICT for one already final.
	Cancel(ctx context.Context, id string) (*Job, error)
	// Events returns up to limit (0: all) events with Seq > afterSeq.
	Events(ctx context.Context, id string, afterSeq int64, limit int) ([]*Event, error)
	// GetWithEvents is Get and Events together, for a stream that
	// connects: in one round trip where the store can, without one when
	// this process carried every event of the job (then the job has only
	// its identity, owners, kind, priority and status).
	GetWithEvents(ctx context.Context, id string, afterSeq int64, limit int) (*Job, []*Event, error)
	// Subscribe returns a feed of the job's events stored from now on by
	// this process (and, in the scale-out mode, by others); Close it when
	// done.
	Subscribe(id string) EventFeed
}

// EventFeed delivers a job's events as they are stored, so that a stream
// reads the store only when it connects, resumes or misses some.
type EventFeed interface {
	// Ready receives a value when events (or a gap) wait to be taken.
	Ready() <-chan struct{}
	// Take returns the waiting events in the order they were published,
	// and gap true when some were dropped (the reader was too slow): the
	// reader then reads the store after the last event it has.
	Take() (events []*Event, gap bool)
	// Close ends the subscription. Safe to call twice.
	Close()
}
