package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/sqlstore"
)

// SQL of the hot statements, prepared at Open.
const (
	insertJobSQL = `
		INSERT INTO jobs (id, kind, customer_id, user_id, priority, status, input, result,
			error_code, error_message, attempts, created_at, updated_at, finished_at, key_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	// insertEventSQL numbers the event after the job's last one (the end
	// of the job_events primary key), in one statement: the single writer
	// runs it, so no other append comes between. No row: the job does not
	// exist.
	insertEventSQL = `INSERT INTO job_events (job_id, seq, type, data, at)
		SELECT id, (SELECT coalesce(max(seq), 0) FROM job_events WHERE job_id = ?1) + 1, ?2, ?3, ?4
		FROM jobs WHERE id = ?1
		RETURNING seq`
	findEventsSQL = `SELECT seq, type, data, at FROM job_events
		WHERE job_id = ? AND seq > ? ORDER BY seq LIMIT ?`
	// updateJobSQL applies a copydesk.JobUpdate in one statement: a final
	// job refuses any status, and a job whose attempts differ from ?10
	// (when set) refuses any update (no row); a final status sets
	// finished_at.
	updateJobSQL = updateJobApplySQL + `
		RETURNING ` + updatedJobColumns
	updateJobApplySQL = `
		UPDATE jobs SET
			status = COALESCE(?2, status),
			result = CASE WHEN ?3 THEN ?4 ELSE result END,
			error_code = CASE WHEN ?5 THEN ?6 ELSE error_code END,
			error_message = CASE WHEN ?5 THEN ?7 ELSE error_message END,
			attempts = COALESCE(?8, attempts),
			updated_at = ?9,
			finished_at = CASE WHEN ?2 IN (` + finalStatuses + `) THEN ?9 ELSE finished_at END
		WHERE id = ?1 AND (?2 IS NULL OR status NOT IN (` + finalStatuses + `))
			AND (?10 IS NULL OR attempts = ?10)`
	// updateJobQuietSQL is updateJobSQL for a JobUpdate with NoJob.
	updateJobQuietSQL = updateJobApplySQL + `
		RETURNING 1`
)

// finalStatuses lists the final job statuses as SQL (TestFinalStatuses
// checks it against copydesk.JobStatus.Final).
const finalStatuses = `'succeeded', 'partial', 'failed', 'cancelled'`

// CreateJob stores a new job. An empty job.ID gets a new ID from
// copydesk.NewJobID; a caller-chosen ID is kept. A zero Priority becomes
// PriorityHigh and an empty Status JobQueued. ID, CreatedAt, UpdatedAt (and
// FinishedAt for a final status) are set on job. Returns EINVALID for a bad
// field and ECONFLICT if the ID is taken.
func (db *DB) CreateJob(ctx context.Context, job *copydesk.Job) error {
	if err := job.Prepare(db.clock.Now().UTC()); err != nil {
		return err
	}
	return db.batched(ctx, func(ctx context.Context, tx *Tx) error { return createJob(ctx, tx, job) })
}

// AcceptJob stores a job, its first event and its queue row in one
// transaction, shared with concurrent writes. See copydesk.JobStore.
func (db *DB) AcceptJob(ctx context.Context, job *copydesk.Job, first *copydesk.Event, queue copydesk.TxQueue) error {
	now := db.clock.Now().UTC()
	if err := copydesk.PrepareAccept(job, first, now); err != nil {
		return err
	}
	return db.batched(ctx, func(ctx context.Context, tx *Tx) error {
		if err := createJob(ctx, tx, job); err != nil {
			return err
		}
		if err := appendEvent(ctx, tx, first, now); err != nil {
			return err
		}
		if queue != nil {
			return tx.enqueue(ctx, queue, job)
		}
		return nil
	})
}

func createJob(ctx context.Context, tx *Tx, job *copydesk.Job) error {
	errCode, errMsg := splitJobError(job.Error)
	_, err := tx.exec(ctx, insertJobSQL,
		job.ID, job.Kind, job.CustomerID, job.UserID, int(job.Priority), string(job.Status),
		nullBytes(job.Input), nullBytes(job.Result), errCode, errMsg, job.Attempts,
		encodeTime(job.CreatedAt), encodeTime(job.UpdatedAt), nullTime(job.FinishedAt), job.KeyID)
	if err = translate(err); copydesk.ErrorCode(err) == copydesk.ECONFLICT {
		return copydesk.Errorf(copydesk.ECONFLICT, "job %q already exists", job.ID)
	}
	return err
}

// FindJobByID returns the job. Returns ENOTFOUND if it does not exist.
func (db *DB) FindJobByID(ctx context.Context, id string) (*copydesk.Job, error) {
	return findJobByID(ctx, pool{db}, id)
}

// findJobByIDSQL reads one job by its primary key.
const findJobByIDSQL = `SELECT ` + jobColumns + ` FROM jobs WHERE id = ?`

func findJobByID(ctx context.Context, q querier, id string) (*copydesk.Job, error) {
	job, err := scanJob(q.queryRow(ctx, findJobByIDSQL, id))
	if copydesk.ErrorCode(err) == copydesk.ENOTFOUND { // no row
		return nil, copydesk.Errorf(copydesk.ENOTFOUND, "job %q not found", id)
	}
	return job, err
}

// FindJobs returns the jobs matching filter, newest first, and the number of
// all matching jobs regardless of Offset and Limit. A zero Limit returns all.
// Returns EINVALID for a negative Offset or Limit or an unknown status.
func (db *DB) FindJobs(ctx context.Context, filter copydesk.JobFilter) ([]*copydesk.Job, int, error) {
	if err := filter.Validate(); err != nil {
		return nil, 0, err
	}
	var jobs []*copydesk.Job
	var n int
	err := db.readTx(ctx, func(tx *Tx) (err error) {
		jobs, n, err = findJobs(ctx, tx, filter, true)
		return err
	})
	return jobs, n, err
}

const jobColumns = sqlstore.JobColumns

// updatedJobColumns are UpdateJob's: the result it sets is not read back.
const updatedJobColumns = sqlstore.JobColumnsBeforeResult + `CASE WHEN ?3 THEN NULL ELSE result END` + sqlstore.JobColumnsAfterResult

func findJobs(ctx context.Context, tx *Tx, filter copydesk.JobFilter, count bool) ([]*copydesk.Job, int, error) {
	where, args := []string{"1 = 1"}, []any{}
	if v := filter.ID; v != nil {
		where, args = append(where, "id = ?"), append(args, *v)
	}
	if v := filter.CustomerID; v != nil {
		where, args = append(where, "customer_id = ?"), append(args, *v)
	}
	if v := filter.UserID; v != nil {
		where, args = append(where, "user_id = ?"), append(args, *v)
	}
	if v := filter.Status; v != nil {
		where, args = append(where, "status = ?"), append(args, string(*v))
	}
	cond := strings.Join(where, " AND ")

	total := 0
	if count {
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM jobs WHERE `+cond, args...).Scan(&total); err != nil {
			return nil, 0, translate(err)
		}
	}
	limit := int64(filter.Limit)
	if limit == 0 {
		limit = -1 // SQLite: no limit
	}
	rows, err := tx.query(ctx, `SELECT `+jobColumns+` FROM jobs WHERE `+cond+`
		ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`, append(args, limit, filter.Offset)...)
	if err != nil {
		return nil, 0, translate(err)
	}
	defer rows.Close()
	jobs := []*copydesk.Job{}
	for rows.Next() {
		job, err := scanJob(rows)
		if err != nil {
			return nil, 0, err
		}
		jobs = append(jobs, job)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, translate(err)
	}
	return jobs, total, nil
}

func scanJob(s sqlstore.Row) (*copydesk.Job, error) {
	job, err := sqlstore.ScanJob(dialect{}, s)
	return job, translate(err)
}

// UpdateJob changes a job and returns it as stored. Setting a final status
// sets FinishedAt. Returns ENOTFOUND if the job does not exist, ECONFLICT if
// it is already final and upd sets any status (this is how a cancel
// racing a finish is decided: the first to commit wins), and EINVALID for a
// bad field. Result, Error and Attempts alone may still change on a final
// job.
func (db *DB) UpdateJob(ctx context.Context, id string, upd copydesk.JobUpdate) (*copydesk.Job, error) {
	if upd.Event != nil {
		upd.Event.JobID = id
	}
	if err := upd.Validate(); err != nil {
		return nil, err
	}
	var job *copydesk.Job
	err := db.batched(ctx, func(ctx context.Context, tx *Tx) (err error) {
		now := db.clock.Now().UTC()
		if job, err = updateJob(ctx, tx, id, upd, now); err != nil {
			return err
		}
		if upd.Event != nil {
			return appendEvent(ctx, tx, upd.Event, now)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return job, nil
}

func updateJob(ctx context.Context, tx *Tx, id string, upd copydesk.JobUpdate, now time.Time) (*copydesk.Job, error) {
	var status, attempts, ifAttempts any
	if upd.Status != nil {
		status = string(*upd.Status)
	}
	if upd.Attempts != nil {
		attempts = *upd.Attempts
	}
	if upd.IfAttempts != nil {
		ifAttempts = *upd.IfAttempts
	}
	errCode, errMsg := splitJobError(upd.Error)
	args := []any{id, status, upd.Result != nil, nullBytes(upd.Result), upd.Error != nil, errCode, errMsg, attempts, encodeTime(now), ifAttempts}
	if upd.NoJob {
		var one int
		if err := tx.queryRow(ctx, updateJobQuietSQL, args...).Scan(&one); err == nil {
			return nil, nil
		} else if !errors.Is(err, sql.ErrNoRows) {
			return nil, translate(err)
		}
	} else {
		job, err := scanJob(tx.queryRow(ctx, updateJobSQL, args...))
		if copydesk.ErrorCode(err) != copydesk.ENOTFOUND { // no row
			if job != nil {
				sqlstore.SetResult(job, upd)
			}
			return job, err
		}
	}
	// Nothing changed: the job is missing, final and asked for a status,
	// or has other attempts than the update's condition.
	cur, err := findJobByID(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	return nil, sqlstore.UpdateConflict(cur, upd)
}

// AppendEvent stores ev with the next sequence number of its job and sets
// ev.Seq and ev.At. The number is read and the event inserted in one
// statement of a write transaction, which SQLite runs one at a time (also
// those of other processes), so concurrent appends get 1..n without gaps or
// duplicates. Empty Data is stored as JSON null. Returns
// ENOTFOUND if the job does not exist and EINVALID for a missing type or
// invalid JSON data.
func (db *DB) AppendEvent(ctx context.Context, ev *copydesk.Event) error {
	if err := ev.Prepare(); err != nil {
		return err
	}
	return db.batched(ctx, db.appendEventOp(ev))
}

// AppendEventAsync is AppendEvent without waiting: done receives the
// outcome once ev is committed (ev.Seq and ev.At set) or failed, in order
// with the store's other writes.
func (db *DB) AppendEventAsync(ctx context.Context, ev *copydesk.Event, done func(error)) {
	if err := ev.Prepare(); err != nil {
		done(err)
		return
	}
	db.batch.AddAsync(ctx, db.appendEventOp(ev), done)
}

// appendEventOp is the write of AppendEvent and AppendEventAsync.
func (db *DB) appendEventOp(ev *copydesk.Event) txOp {
	return func(ctx context.Context, tx *Tx) error { return appendEvent(ctx, tx, ev, db.clock.Now().UTC()) }
}

func appendEvent(ctx context.Context, tx *Tx, ev *copydesk.Event, now time.Time) error {
	var seq int64
	err := tx.queryRow(ctx, insertEventSQL, ev.JobID, ev.Type, []byte(ev.Data), encodeTime(now)).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return copydesk.Errorf(copydesk.ENOTFOUND, "job %q not found", ev.JobID)
	} else if err != nil {
		return translate(err)
	}
	ev.Seq, ev.At = seq, now
	return nil
}

// FindEvents returns the job's events with Seq > afterSeq in order, at most
// limit of them (0: all). Returns ENOTFOUND if the job does not exist and
// EINVALID for a negative limit.
func (db *DB) FindEvents(ctx context.Context, jobID string, afterSeq int64, limit int) ([]*copydesk.Event, error) {
	if limit < 0 {
		return nil, copydesk.Errorf(copydesk.EINVALID, "limit cannot be negative (got %d)", limit)
	}
	return findEvents(ctx, pool{db}, jobID, afterSeq, limit)
}

// jobExistsSQL counts the jobs of an id: 1 or 0.
const jobExistsSQL = `SELECT COUNT(*) FROM jobs WHERE id = ?`

// findEvents reads the events and, when there are none, whether the job
// exists: two statements, which need not see one snapshot (a job is never
// deleted while it has events to read, and a job deleted in between is
// gone either way).
func findEvents(ctx context.Context, q querier, jobID string, afterSeq int64, limit int) ([]*copydesk.Event, error) {
	l := int64(limit)
	if l == 0 {
		l = -1
	}
	rows, err := q.query(ctx, findEventsSQL, jobID, afterSeq, l)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	events := []*copydesk.Event{}
	for rows.Next() {
		ev := &copydesk.Event{JobID: jobID}
		var data []byte
		var at int64
		if err := rows.Scan(&ev.Seq, &ev.Type, &data, &at); err != nil {
			return nil, translate(err)
		}
		ev.Data, ev.At = json.RawMessage(data), decodeTime(at)
		events = append(events, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err)
	}
	if len(events) == 0 {
		// Tell an unknown job from one with no new events.
		var n int
		if err := q.queryRow(ctx, jobExistsSQL, jobID).Scan(&n); err != nil {
			return nil, translate(err)
		} else if n == 0 {
			return nil, copydesk.Errorf(copydesk.ENOTFOUND, "job %q not found", jobID)
		}
	}
	return events, nil
}

func splitJobError(e *copydesk.JobError) (code, msg sql.NullString) {
	if e == nil {
		return code, msg
	}
	return sql.NullString{String: e.Code, Valid: true}, sql.NullString{String: e.Message, Valid: true}
}

// nullBytes stores empty JSON as NULL.
func nullBytes(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return []byte(b)
}

func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return encodeTime(*t)
}

// jobSweepBatch is how many jobs DeleteFinishedJobs deletes per
// transaction: with their events (six or more each) a batch stays a short
// write beside live traffic.
const jobSweepBatch = 200

// deleteFinishedJobsSQL deletes a batch of old final jobs; their events go
// with them (ON DELETE CASCADE). jobs_status_idx finds them.
const deleteFinishedJobsSQL = `DELETE FROM jobs WHERE id IN (
	SELECT id FROM jobs WHERE created_at < ? AND status IN (` + finalStatuses + `) LIMIT ?)`

// DeleteFinishedJobs deletes the final jobs created before before, with
// their events, jobSweepBatch per write transaction. See
// copydesk.JobStore.
func (db *DB) DeleteFinishedJobs(ctx context.Context, before time.Time) (int, error) {
	return db.deleteBatches(ctx, deleteFinishedJobsSQL, jobSweepBatch, encodeTime(before))
}
