package postgres

// Validation of what callers store. It matches the sqlite package's rules
// exactly (both stores pass one conformance suite).

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// maxIDLen bounds caller-chosen job IDs.
const maxIDLen = 128

// prepareJob validates job and fills its defaults, ID and times.
func prepareJob(job *copydesk.Job, now time.Time) error {
	if job == nil {
		return copydesk.Errorf(copydesk.EINVALID, "job is missing")
	}
	if strings.TrimSpace(job.Kind) == "" {
		return copydesk.Errorf(copydesk.EINVALID, "job kind is required")
	}
	if len(job.ID) > maxIDLen {
		return copydesk.Errorf(copydesk.EINVALID, "job id is longer than %d bytes", maxIDLen)
	}
	if job.Priority == 0 {
		job.Priority = copydesk.PriorityHigh
	}
	if job.Priority < copydesk.PriorityCritical || job.Priority > copydesk.PriorityLow {
		return copydesk.Errorf(copydesk.EINVALID, "job priority %d is not between 1 (critical) and 4 (low)", job.Priority)
	}
	if job.Status == "" {
		job.Status = copydesk.JobQueued
	}
	if err := validateStatus(job.Status); err != nil {
		return err
	}
	if job.Attempts < 0 {
		return copydesk.Errorf(copydesk.EINVALID, "job attempts cannot be negative (got %d)", job.Attempts)
	}
	if err := validateJSON("job input", job.Input); err != nil {
		return err
	}
	if err := validateJSON("job result", job.Result); err != nil {
		return err
	}
	if job.ID == "" {
		job.ID = copydesk.NewJobID(now)
	}
	job.CreatedAt, job.UpdatedAt, job.FinishedAt = now, now, nil
	if job.Status.Final() {
		t := now
		job.FinishedAt = &t
	}
	return nil
}

func validateFilter(f copydesk.JobFilter) error {
	if f.Offset < 0 {
		return copydesk.Errorf(copydesk.EINVALID, "offset cannot be negative (got %d)", f.Offset)
	}
	if f.Limit < 0 {
		return copydesk.Errorf(copydesk.EINVALID, "limit cannot be negative (got %d)", f.Limit)
	}
	if f.Status != nil {
		return validateStatus(*f.Status)
	}
	return nil
}

func validateUpdate(upd copydesk.JobUpdate) error {
	if upd.Status != nil {
		if err := validateStatus(*upd.Status); err != nil {
			return err
		}
	}
	if upd.Attempts != nil && *upd.Attempts < 0 {
		return copydesk.Errorf(copydesk.EINVALID, "job attempts cannot be negative (got %d)", *upd.Attempts)
	}
	return validateJSON("job result", upd.Result)
}

// applyUpdate applies upd to job in memory under the status rules.
func applyUpdate(job *copydesk.Job, upd copydesk.JobUpdate, now time.Time) error {
	if s := upd.Status; s != nil {
		// Any status on a final job is refused, the same one too: of two
		// racing finishes or cancels exactly one succeeds (and writes the
		// done event).
		if job.Status.Final() {
			return copydesk.Errorf(copydesk.ECONFLICT, "job %q is already %s and cannot become %s", job.ID, job.Status, *s)
		}
		job.Status = *s
		if s.Final() {
			t := now
			job.FinishedAt = &t
		}
	}
	if upd.Result != nil {
		job.Result = upd.Result
	}
	if upd.Error != nil {
		e := *upd.Error
		job.Error = &e
	}
	if upd.Attempts != nil {
		job.Attempts = *upd.Attempts
	}
	job.UpdatedAt = now
	return nil
}

func prepareEvent(ev *copydesk.Event) error {
	if ev == nil {
		return copydesk.Errorf(copydesk.EINVALID, "event is missing")
	}
	if ev.JobID == "" {
		return copydesk.Errorf(copydesk.EINVALID, "event job id is required")
	}
	if strings.TrimSpace(ev.Type) == "" {
		return copydesk.Errorf(copydesk.EINVALID, "event type is required")
	}
	if len(ev.Data) == 0 {
		ev.Data = json.RawMessage("null")
	}
	return validateJSON("event data", ev.Data)
}

func validateStatus(s copydesk.JobStatus) error {
	switch s {
	case copydesk.JobQueued, copydesk.JobRunning, copydesk.JobSucceeded,
		copydesk.JobPartial, copydesk.JobFailed, copydesk.JobCancelled:
		return nil
	}
	return copydesk.Errorf(copydesk.EINVALID, "job status %q is not one of queued, running, succeeded, partial, failed, cancelled", s)
}

func validateJSON(what string, b json.RawMessage) error {
	if len(b) > 0 && !json.Valid(b) {
		return copydesk.Errorf(copydesk.EINVALID, "%s is not valid JSON", what)
	}
	return nil
}

// maxExpiry is the latest ExpiresAt accepted: Unix nanoseconds (how the
// sqlite package stores times) end in 2262.
var maxExpiry = time.Date(2200, time.January, 1, 0, 0, 0, 0, time.UTC)

func prepareCacheEntry(e *copydesk.CacheEntry, now time.Time) error {
	if e == nil {
		return copydesk.Errorf(copydesk.EINVALID, "cache entry is missing")
	}
	if e.Key == "" {
		return copydesk.Errorf(copydesk.EINVALID, "cache key is required")
	}
	if e.Tier.TTL() == 0 {
		return copydesk.Errorf(copydesk.EINVALID, "cache tier %q is not one of permanent, stable, dynamic, realtime", e.Tier)
	}
	if e.ExpiresAt.IsZero() {
		return copydesk.Errorf(copydesk.EINVALID, "cache entry %q has no expiry time", e.Key)
	}
	if e.ExpiresAt.After(maxExpiry) {
		return copydesk.Errorf(copydesk.EINVALID, "cache entry %q expires after %d; use a tier's TTL", e.Key, maxExpiry.Year())
	}
	if e.CostMicros < 0 {
		return copydesk.Errorf(copydesk.EINVALID, "cache entry cost cannot be negative (got %d)", e.CostMicros)
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = now
	}
	// PostgreSQL keeps microseconds: store and report the same instant.
	e.CreatedAt, e.ExpiresAt = pgTime(e.CreatedAt), pgTime(e.ExpiresAt)
	return nil
}
