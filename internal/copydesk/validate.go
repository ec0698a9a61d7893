package copydesk

// Validation and defaults of what callers store, shared by every store so
// that they accept and refuse exactly the same (one conformance suite runs
// against each).

import (
	"encoding/json"
	"strings"
	"time"
)

// MaxCacheExpiry is the latest expiry a cache entry may have: the SQLite
// store keeps times as Unix nanoseconds, which end in 2262.
var MaxCacheExpiry = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)

// Prepare validates a new job and fills its defaults, ID and times: a zero
// Priority becomes PriorityHigh, an empty Status JobQueued. Returns EINVALID
// naming the bad field.
func (job *Job) Prepare(now time.Time) error {
	if job == nil {
		return Errorf(EINVALID, "job is missing")
	}
	if strings.TrimSpace(job.Kind) == "" {
		return Errorf(EINVALID, "job kind is required")
	}
	if len(job.ID) > MaxIDLen {
		return Errorf(EINVALID, "job id is longer than %d bytes", MaxIDLen)
	}
	if job.Priority == 0 {
		job.Priority = PriorityHigh
	}
	if job.Priority < PriorityCritical || job.Priority > PriorityLow {
		return Errorf(EINVALID, "job priority %d is not between 1 (critical) and 4 (low)", job.Priority)
	}
	if job.Status == "" {
		job.Status = JobQueued
	}
	if err := job.Status.Validate(); err != nil {
		return err
	}
	if job.Attempts < 0 {
		return Errorf(EINVALID, "job attempts cannot be negative (got %d)", job.Attempts)
	}
	if err := validJSON("job input", job.Input); err != nil {
		return err
	}
	if err := validJSON("job result", job.Result); err != nil {
		return err
	}
	if job.ID == "" {
		job.ID = NewJobID(now)
	}
	job.CreatedAt, job.UpdatedAt, job.FinishedAt = now, now, nil
	if job.Status.Final() {
		t := now
		job.FinishedAt = &t
	}
	return nil
}

// Validate checks a job filter. Returns EINVALID naming the bad field.
func (f JobFilter) Validate() error {
	if f.Offset < 0 {
		return Errorf(EINVALID, "offset cannot be negative (got %d)", f.Offset)
	}
	if f.Limit < 0 {
		return Errorf(EINVALID, "limit cannot be negative (got %d)", f.Limit)
	}
	if f.Status != nil {
		return f.Status.Validate()
	}
	return nil
}

// Validate checks a job update. Returns EINVALID naming the bad field.
func (upd JobUpdate) Validate() error {
	if upd.Event != nil {
		if err := upd.Event.Prepare(); err != nil {
			return err
		}
	}
	if upd.Status != nil {
		if err := upd.Status.Validate(); err != nil {
			return err
		}
	}
	if upd.Attempts != nil && *upd.Attempts < 0 {
		return Errorf(EINVALID, "job attempts cannot be negative (got %d)", *upd.Attempts)
	}
	if upd.IfAttempts != nil && *upd.IfAttempts < 0 {
		return Errorf(EINVALID, "job attempts cannot be negative (got %d as the condition)", *upd.IfAttempts)
	}
	return validJSON("job result", upd.Result)
}

// Validate checks that s is a known status. Returns EINVALID otherwise.
func (s JobStatus) Validate() error {
	switch s {
	case JobQueued, JobRunning, JobSucceeded,
		JobPartial, JobFailed, JobCancelled:
		return nil
	}
	return Errorf(EINVALID, "job status %q is not one of queued, running, succeeded, partial, failed, cancelled", s)
}

func validJSON(what string, b json.RawMessage) error {
	if len(b) > 0 && !ValidJSON(b) {
		return Errorf(EINVALID, "%s is not valid JSON", what)
	}
	return nil
}

// PrepareAccept validates a job about to be accepted (JobStore.AcceptJob)
// with its first event, which gets the job's ID. Returns EINVALID naming
// the bad field.
func PrepareAccept(job *Job, first *Event, now time.Time) error {
	if err := job.Prepare(now); err != nil {
		return err
	}
	if first == nil {
		return Errorf(EINVALID, "an accepted job needs its first event")
	}
	first.JobID = job.ID
	return first.Prepare()
}

// Prepare validates a new event; empty Data becomes JSON null. Returns
// EINVALID naming the bad field.
func (ev *Event) Prepare() error {
	if ev == nil {
		return Errorf(EINVALID, "event is missing")
	}
	if ev.JobID == "" {
		return Errorf(EINVALID, "event job id is required")
	}
	if strings.TrimSpace(ev.Type) == "" {
		return Errorf(EINVALID, "event type is required")
	}
	if len(ev.Data) == 0 {
		ev.Data = json.RawMessage("null")
	}
	return validJSON("event data", ev.Data)
}

// Prepare validates a cache entry before it is stored; a zero CreatedAt
// becomes now. Returns EINVALID naming the bad field.
func (e *CacheEntry) Prepare(now time.Time) error {
	if e == nil {
		return Errorf(EINVALID, "cache entry is missing")
	}
	if e.Key == "" {
		return Errorf(EINVALID, "cache key is required")
	}
	if e.Tier.TTL() == 0 {
		return Errorf(EINVALID, "cache tier %q is not one of permanent, stable, dynamic, realtime", e.Tier)
	}
	if e.ExpiresAt.IsZero() {
		return Errorf(EINVALID, "cache entry %q has no expiry time", e.Key)
	}
	if e.ExpiresAt.After(MaxCacheExpiry) {
		return Errorf(EINVALID, "cache entry %q expires after %d; use a tier's TTL", e.Key, MaxCacheExpiry.Year())
	}
	if e.CostMicros < 0 {
		return Errorf(EINVALID, "cache entry cost cannot be negative (got %d)", e.CostMicros)
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = now
	}
	return nil
}

// Prepare validates a new reservation and sets its ID and CreatedAt (UTC).
// Returns EINVALID without a customer or for an amount outside
// 0…MaxBudgetMicros.
func (r *Reservation) Prepare(now time.Time) error {
	if r == nil || r.CustomerID == "" {
		return Errorf(EINVALID, "a reservation needs a customer")
	}
	if r.Amount < 0 || r.Amount > MaxBudgetMicros {
		return Errorf(EINVALID, "a reservation amount must be between 0 and %d micro-units (got %d)", MaxBudgetMicros, r.Amount)
	}
	if r.ID == "" {
		r.ID = NewID(ReservationIDPrefix, now)
	}
	r.CreatedAt = now.UTC()
	return nil
}

// BudgetExceeded is the refusal of a reservation that would cross the
// hard limit of the budget of scope: the customer's (""), a user's or an
// API key's (see Budget.Scope).
func BudgetExceeded(scope string) error {
	if strings.HasPrefix(scope, APIKeyIDPrefix) {
		return Errorf(EBUDGETEXCEEDED, "the API key's monthly budget would be exceeded by this call")
	}
	if scope != "" {
		return Errorf(EBUDGETEXCEEDED, "the user's monthly budget would be exceeded by this call")
	}
	return Errorf(EBUDGETEXCEEDED, "the customer's monthly budget would be exceeded by this call")
}
