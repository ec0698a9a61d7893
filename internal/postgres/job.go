package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// CreateJob stores a new job. An empty job.ID gets a new ID from
// copydesk.NewJobID; a caller-chosen ID is kept. A zero Priority becomes
// PriorityHigh and an empty Status JobQueued. ID, CreatedAt, UpdatedAt (and
// FinishedAt for a final status) are set on job. Returns EINVALID for a bad
// field and ECONFLICT if the ID is taken.
func (db *DB) CreateJob(ctx context.Context, job *copydesk.Job) error {
	if err := job.Prepare(db.now()); err != nil {
		return err
	}
	// One statement is atomic on its own: no BEGIN and COMMIT round trips.
	return createJob(ctx, db.pool, job)
}

// AcceptJob stores a job, its first event and its queue row in one
// transaction. See copydesk.JobStore.
func (db *DB) AcceptJob(ctx context.Context, job *copydesk.Job, first *copydesk.Event, enqueue func(ctx context.Context, tx copydesk.StoreTx) error) error {
	now := db.now()
	if err := job.Prepare(now); err != nil {
		return err
	}
	if first == nil {
		return copydesk.Errorf(copydesk.EINVALID, "an accepted job needs its first event")
	}
	first.JobID = job.ID
	if err := first.Prepare(); err != nil {
		return err
	}
	return db.writeTx(ctx, func(tx pgx.Tx) error {
		if err := createJob(ctx, tx, job); err != nil {
			return err
		}
		if err := appendEvent(ctx, tx, first, now); err != nil {
			return err
		}
		if enqueue != nil {
			return enqueue(ctx, tx)
		}
		return nil
	})
}

// execer is a pool, a connection or a transaction.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

func createJob(ctx context.Context, tx execer, job *copydesk.Job) error {
	errCode, errMsg := splitJobError(job.Error)
	_, err := tx.Exec(ctx, `
		INSERT INTO jobs (id, kind, customer_id, user_id, priority, status, input, result,
			error_code, error_message, attempts, created_at, updated_at, finished_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		job.ID, job.Kind, job.CustomerID, job.UserID, int16(job.Priority), string(job.Status),
		nullBytes(job.Input), nullBytes(job.Result), errCode, errMsg, job.Attempts,
		job.CreatedAt, job.UpdatedAt, job.FinishedAt)
	if err = translate(err); copydesk.ErrorCode(err) == copydesk.ECONFLICT {
		return copydesk.Errorf(copydesk.ECONFLICT, "job %q already exists", job.ID)
	}
	return err
}

// FindJobByID returns the job. Returns ENOTFOUND if it does not exist.
func (db *DB) FindJobByID(ctx context.Context, id string) (*copydesk.Job, error) {
	return findJobByID(ctx, db.pool, id, false)
}

// querier is a pool, a connection or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

const jobColumns = `id, kind, customer_id, user_id, priority, status, input, result,
	error_code, error_message, attempts, created_at, updated_at, finished_at`

func findJobByID(ctx context.Context, q querier, id string, forUpdate bool) (*copydesk.Job, error) {
	query := `SELECT ` + jobColumns + ` FROM jobs WHERE id = $1`
	if forUpdate {
		query += ` FOR UPDATE`
	}
	job, err := scanJob(q.QueryRow(ctx, query, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, copydesk.Errorf(copydesk.ENOTFOUND, "job %q not found", id)
	} else if err != nil {
		return nil, translate(err)
	}
	return job, nil
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
	err := db.readTx(ctx, func(tx pgx.Tx) (err error) {
		jobs, n, err = findJobs(ctx, tx, filter)
		return err
	})
	return jobs, n, err
}

func findJobs(ctx context.Context, tx pgx.Tx, filter copydesk.JobFilter) ([]*copydesk.Job, int, error) {
	where, args := []string{"TRUE"}, []any{}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, cond+" = $"+strconv.Itoa(len(args)))
	}
	if v := filter.ID; v != nil {
		add("id", *v)
	}
	if v := filter.CustomerID; v != nil {
		add("customer_id", *v)
	}
	if v := filter.UserID; v != nil {
		add("user_id", *v)
	}
	if v := filter.Status; v != nil {
		add("status", string(*v))
	}
	cond := strings.Join(where, " AND ")

	var total int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM jobs WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, translate(err)
	}
	var limit *int // NULL: no limit
	if filter.Limit > 0 {
		limit = &filter.Limit
	}
	n := len(args)
	rows, err := tx.Query(ctx, `SELECT `+jobColumns+` FROM jobs WHERE `+cond+`
		ORDER BY created_at DESC, id DESC LIMIT $`+strconv.Itoa(n+1)+` OFFSET $`+strconv.Itoa(n+2),
		append(args, limit, filter.Offset)...)
	if err != nil {
		return nil, 0, translate(err)
	}
	defer rows.Close()
	jobs := []*copydesk.Job{}
	for rows.Next() {
		job, err := scanJob(rows)
		if err != nil {
			return nil, 0, translate(err)
		}
		jobs = append(jobs, job)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, translate(err)
	}
	return jobs, total, nil
}

func scanJob(row pgx.Row) (*copydesk.Job, error) {
	var (
		job              copydesk.Job
		priority         int16
		status           string
		input, result    []byte
		errCode, errMsg  *string
		created, updated time.Time
		finished         *time.Time
	)
	if err := row.Scan(&job.ID, &job.Kind, &job.CustomerID, &job.UserID, &priority, &status,
		&input, &result, &errCode, &errMsg, &job.Attempts, &created, &updated, &finished); err != nil {
		return nil, err
	}
	job.Priority, job.Status = copydesk.Priority(priority), copydesk.JobStatus(status)
	if input != nil {
		job.Input = json.RawMessage(input)
	}
	if result != nil {
		job.Result = json.RawMessage(result)
	}
	if errCode != nil || errMsg != nil {
		job.Error = &copydesk.JobError{}
		if errCode != nil {
			job.Error.Code = *errCode
		}
		if errMsg != nil {
			job.Error.Message = *errMsg
		}
	}
	job.CreatedAt, job.UpdatedAt = created.UTC(), updated.UTC()
	if finished != nil {
		t := finished.UTC()
		job.FinishedAt = &t
	}
	return &job, nil
}

// UpdateJob changes a job and returns it as stored. Setting a final status
// sets FinishedAt. Returns ENOTFOUND if the job does not exist, ECONFLICT if
// it is already final and upd sets any status (the job row is locked,
// so of a cancel racing a finish the first to commit wins), and EINVALID for a
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
	err := db.writeTx(ctx, func(tx pgx.Tx) (err error) {
		now := db.now()
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

func updateJob(ctx context.Context, tx pgx.Tx, id string, upd copydesk.JobUpdate, now time.Time) (*copydesk.Job, error) {
	job, err := findJobByID(ctx, tx, id, true)
	if err != nil {
		return nil, err
	}
	if err := job.Apply(upd, now); err != nil {
		return nil, err
	}
	errCode, errMsg := splitJobError(job.Error)
	if _, err := tx.Exec(ctx, `
		UPDATE jobs SET status = $1, result = $2, error_code = $3, error_message = $4, attempts = $5,
			updated_at = $6, finished_at = $7
		WHERE id = $8`,
		string(job.Status), nullBytes(job.Result), errCode, errMsg, job.Attempts,
		job.UpdatedAt, job.FinishedAt, id); err != nil {
		return nil, translate(err)
	}
	return job, nil
}

// AppendEvent stores ev with the next sequence number of its job and sets
// ev.Seq and ev.At. The job row's last_seq is bumped (and so locked) and the
// event inserted in one statement, so one transaction, and concurrent
// appends from any number of processes get 1..n without gaps or duplicates. Empty Data is stored as JSON
// null. Returns ENOTFOUND if the job does not exist and EINVALID for a missing
// type or invalid JSON data.
func (db *DB) AppendEvent(ctx context.Context, ev *copydesk.Event) error {
	if err := ev.Prepare(); err != nil {
		return err
	}
	// One statement bumps the job's last_seq (locking its row until the
	// statement's implicit transaction commits) and inserts the event.
	return appendEvent(ctx, db.pool, ev, db.now())
}

func appendEvent(ctx context.Context, q querier, ev *copydesk.Event, now time.Time) error {
	var seq int64
	err := q.QueryRow(ctx, `
		WITH bumped AS (
			UPDATE jobs SET last_seq = last_seq + 1 WHERE id = $1 RETURNING id, last_seq
		)
		INSERT INTO job_events (job_id, seq, type, data, at)
		SELECT id, last_seq, $2, $3, $4 FROM bumped
		RETURNING seq`, ev.JobID, ev.Type, []byte(ev.Data), now).Scan(&seq)
	if errors.Is(err, pgx.ErrNoRows) {
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
	var l *int
	if limit > 0 {
		l = &limit
	}
	rows, err := db.pool.Query(ctx, `SELECT seq, type, data, at FROM job_events
		WHERE job_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, jobID, afterSeq, l)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	events := []*copydesk.Event{}
	for rows.Next() {
		ev := &copydesk.Event{JobID: jobID}
		var data []byte
		if err := rows.Scan(&ev.Seq, &ev.Type, &data, &ev.At); err != nil {
			return nil, translate(err)
		}
		ev.Data, ev.At = json.RawMessage(data), ev.At.UTC()
		events = append(events, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err)
	}
	if len(events) == 0 {
		// Tell an unknown job from one with no new events.
		var exists bool
		if err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM jobs WHERE id = $1)`, jobID).Scan(&exists); err != nil {
			return nil, translate(err)
		} else if !exists {
			return nil, copydesk.Errorf(copydesk.ENOTFOUND, "job %q not found", jobID)
		}
	}
	return events, nil
}

func splitJobError(e *copydesk.JobError) (code, msg *string) {
	if e == nil {
		return nil, nil
	}
	return &e.Code, &e.Message
}

// nullBytes stores empty JSON as NULL.
func nullBytes(b json.RawMessage) []byte {
	if len(b) == 0 {
		return nil
	}
	return []byte(b)
}
