package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/sqlstore"
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
// transaction, shared with concurrent accepts: one multi-row statement for
// the jobs and their first events and one queue insert for all of them.
// See copydesk.JobStore.
func (db *DB) AcceptJob(ctx context.Context, job *copydesk.Job, first *copydesk.Event, queue copydesk.TxQueue) error {
	now := db.now()
	if err := copydesk.PrepareAccept(job, first, now); err != nil {
		return err
	}
	first.Seq, first.At = 1, now
	return db.accepts.Add(ctx, &accept{job: job, first: first, queue: queue})
}

// accept is one job to accept.
type accept struct {
	job   *copydesk.Job
	first *copydesk.Event
	queue copydesk.TxQueue
}

// writeAccepts stores a batch of accepted jobs in one transaction.
func (db *DB) writeAccepts(ctx context.Context, batch []*accept) error {
	n := len(batch)
	var (
		ids, kinds, customers, users, statuses, types = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		keys                                          = make([]string, n)
		prios, attempts                               = make([]int16, n), make([]int32, n)
		inputs, results, datas                        = make([][]byte, n), make([][]byte, n), make([][]byte, n)
		created, updated                              = make([]time.Time, n), make([]time.Time, n)
		errCodes, errMsgs                             = make([]*string, n), make([]*string, n)
		finished                                      = make([]*time.Time, n)
	)
	for i, a := range batch {
		j := a.job
		ids[i], kinds[i], customers[i], users[i], statuses[i] = j.ID, j.Kind, j.CustomerID, j.UserID, string(j.Status)
		keys[i] = j.KeyID
		prios[i], attempts[i] = int16(j.Priority), int32(j.Attempts)
		if len(j.Input) > 0 {
			inputs[i] = j.Input
		}
		if len(j.Result) > 0 {
			results[i] = j.Result
		}
		if j.Error != nil {
			errCodes[i], errMsgs[i] = &j.Error.Code, &j.Error.Message
		}
		created[i], updated[i], finished[i] = j.CreatedAt, j.UpdatedAt, j.FinishedAt
		types[i], datas[i] = a.first.Type, a.first.Data
	}
	return db.writeTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `
			WITH j AS (
				INSERT INTO jobs (id, kind, customer_id, user_id, priority, status, input, result,
					error_code, error_message, attempts, created_at, updated_at, finished_at, last_seq, key_id)
				SELECT id, kind, customer_id, user_id, priority, status, input, result,
					error_code, error_message, attempts, created_at, updated_at, finished_at, 1, key_id
				FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::smallint[], $6::text[], $7::bytea[], $8::bytea[],
					$9::text[], $10::text[], $11::integer[], $12::timestamptz[], $13::timestamptz[], $14::timestamptz[], $17::text[])
					AS t(id, kind, customer_id, user_id, priority, status, input, result,
					error_code, error_message, attempts, created_at, updated_at, finished_at, key_id)
				RETURNING id, created_at
			)
			INSERT INTO job_events (job_id, seq, type, data, at)
			SELECT j.id, 1, e.type, e.data, j.created_at
			FROM j JOIN unnest($1::text[], $15::text[], $16::bytea[]) AS e(id, type, data) ON e.id = j.id`,
			ids, kinds, customers, users, prios, statuses, inputs, results, errCodes, errMsgs, attempts,
			created, updated, finished, types, datas, keys)
		if err = translate(err); err != nil {
			if copydesk.ErrorCode(err) == copydesk.ECONFLICT {
				return copydesk.Errorf(copydesk.ECONFLICT, "a job with this id already exists")
			}
			return err
		}
		// One queue insert for each run of jobs of the same queue (in
		// practice: one for the whole batch).
		for i := 0; i < len(batch); {
			q := batch[i].queue
			jobs := []*copydesk.Job{batch[i].job}
			j := i + 1
			for ; j < len(batch) && sameQueue(batch[j].queue, q); j++ {
				jobs = append(jobs, batch[j].job)
			}
			if q != nil {
				if err := q.EnqueueTx(ctx, tx, jobs...); err != nil {
					return err
				}
			}
			i = j
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
			error_code, error_message, attempts, created_at, updated_at, finished_at, key_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		job.ID, job.Kind, job.CustomerID, job.UserID, int16(job.Priority), string(job.Status),
		nullBytes(job.Input), nullBytes(job.Result), errCode, errMsg, job.Attempts,
		job.CreatedAt, job.UpdatedAt, job.FinishedAt, job.KeyID)
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

const jobColumns = sqlstore.JobColumns

// updatedJobColumns are UpdateJob's: the result it sets is not read back.
const updatedJobColumns = sqlstore.JobColumnsBeforeResult + `CASE WHEN $3::boolean THEN NULL ELSE result END` + sqlstore.JobColumnsAfterResult

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

// scanJobWith scans a job row followed by extra columns.
func scanJobWith(row pgx.Row, extra ...any) (*copydesk.Job, error) {
	return sqlstore.ScanJob(dialect{}, row, extra...)
}

func scanJob(row pgx.Row) (*copydesk.Job, error) { return scanJobWith(row) }

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
	now := db.now()
	var job *copydesk.Job
	err := db.batched(ctx, func(b *pgx.Batch, res *opResult) {
		var status *string
		if upd.Status != nil {
			st := string(*upd.Status)
			status = &st
		}
		var errCode, errMsg *string
		if upd.Error != nil {
			errCode, errMsg = &upd.Error.Code, &upd.Error.Message
		}
		var attempts *int32
		if upd.Attempts != nil {
			a := int32(*upd.Attempts)
			attempts = &a
		}
		var evType string
		var evData []byte
		if upd.Event != nil {
			evType, evData = upd.Event.Type, upd.Event.Data
		}
		var ifAttempts *int32
		if upd.IfAttempts != nil {
			a := int32(*upd.IfAttempts)
			ifAttempts = &a
		}
		query := updateJobSQL
		if upd.NoJob {
			query = updateJobQuietSQL
		}
		b.Queue(query, id, status, upd.Result != nil, nullBytes(upd.Result), upd.Error != nil, errCode, errMsg,
			attempts, now, upd.Event != nil, evType, evData, ifAttempts).QueryRow(func(row pgx.Row) error {
			var seq int64
			var j *copydesk.Job
			var err error
			if upd.NoJob {
				err = row.Scan(&seq)
			} else {
				j, err = scanJobWith(row, &seq)
			}
			switch {
			case errors.Is(err, pgx.ErrNoRows):
				res.err = errNoRow
			case err != nil:
				return err
			default:
				if j != nil {
					sqlstore.SetResult(j, upd)
				}
				job, res.err = j, nil
				if upd.Event != nil {
					upd.Event.Seq, upd.Event.At = seq, now
				}
			}
			return nil
		})
		if upd.Event != nil {
			res.notify = id
		}
	})
	if errors.Is(err, errNoRow) {
		// Nothing changed: the job is missing, final and asked for a
		// status (a racing cancel or finish won), or has other attempts
		// than the update's condition.
		cur, ferr := db.FindJobByID(ctx, id)
		if ferr != nil {
			return nil, ferr
		}
		return nil, sqlstore.UpdateConflict(cur, upd)
	}
	if err != nil {
		return nil, err
	}
	return job, nil
}

// updateJobSQL changes a job and appends its event in one statement. A
// final job refuses any status, and a job whose attempts differ from $13
// (when set) refuses any update (zero rows); a final status sets
// finished_at.
const updateJobSQL = updateJobApplySQL + `
	SELECT ` + updatedJobColumns + `, last_seq FROM upd`

// updateJobQuietSQL is updateJobSQL for a JobUpdate with NoJob: only the
// event's seq comes back.
const updateJobQuietSQL = updateJobApplySQL + `
	SELECT last_seq FROM upd`

// updateJobApplySQL is the change and the event insert of updateJobSQL.
const updateJobApplySQL = `
	WITH upd AS (
		UPDATE jobs SET
			status = COALESCE($2::text, status),
			result = CASE WHEN $3::boolean THEN $4::bytea ELSE result END,
			error_code = CASE WHEN $5::boolean THEN $6::text ELSE error_code END,
			error_message = CASE WHEN $5::boolean THEN $7::text ELSE error_message END,
			attempts = COALESCE($8::integer, attempts),
			updated_at = $9,
			finished_at = CASE WHEN $2::text IN ('succeeded', 'partial', 'failed', 'cancelled') THEN $9 ELSE finished_at END,
			last_seq = last_seq + CASE WHEN $10::boolean THEN 1 ELSE 0 END
		WHERE id = $1 AND ($2::text IS NULL OR status NOT IN ('succeeded', 'partial', 'failed', 'cancelled'))
			AND ($13::integer IS NULL OR attempts = $13)
		RETURNING ` + jobColumns + `, last_seq
	), ins AS (
		INSERT INTO job_events (job_id, seq, type, data, at)
		SELECT id, last_seq, $11, $12, $9 FROM upd WHERE $10::boolean
	)`

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
	return orNotFound(db.batched(ctx, db.appendEventOp(ev)), "job "+strconv.Quote(ev.JobID))
}

// AppendEventAsync is AppendEvent without waiting: done receives the
// outcome once ev is committed (ev.Seq and ev.At set) or failed, in order
// with the store's other writes.
func (db *DB) AppendEventAsync(ctx context.Context, ev *copydesk.Event, done func(error)) {
	if err := ev.Prepare(); err != nil {
		done(err)
		return
	}
	db.batch.AddAsync(ctx, &pgOp{queue: db.appendEventOp(ev)}, func(err error) {
		done(orNotFound(err, "job "+strconv.Quote(ev.JobID)))
	})
}

// appendEventOp queues the insert of ev and sets its Seq and At.
func (db *DB) appendEventOp(ev *copydesk.Event) func(b *pgx.Batch, res *opResult) {
	now := db.now()
	return func(b *pgx.Batch, res *opResult) {
		b.Queue(appendEventSQL, ev.JobID, ev.Type, []byte(ev.Data), now).QueryRow(func(row pgx.Row) error {
			var seq int64
			switch err := row.Scan(&seq); {
			case errors.Is(err, pgx.ErrNoRows):
				res.err = errNoRow
			case err != nil:
				return err
			default:
				ev.Seq, ev.At, res.err = seq, now, nil
			}
			return nil
		})
		res.notify = ev.JobID
	}
}

// appendEventSQL bumps the job's last_seq (locking its row until the
// transaction commits) and inserts the event, in one statement.
const appendEventSQL = `
	WITH bumped AS (
		UPDATE jobs SET last_seq = last_seq + 1 WHERE id = $1 RETURNING id, last_seq
	)
	INSERT INTO job_events (job_id, seq, type, data, at)
	SELECT id, last_seq, $2, $3, $4 FROM bumped
	RETURNING seq`

// findEventsSQL reads a job's events after a sequence number, at most a
// limit of them (NULL: all).
const findEventsSQL = `SELECT seq, type, data, at FROM job_events
	WHERE job_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`

// scanEvents reads the rows of findEventsSQL and closes them.
func scanEvents(rows pgx.Rows, jobID string) ([]*copydesk.Event, error) {
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
	return events, nil
}

// FindJobWithEvents reads the job and its events after afterSeq in one
// round trip (two statements pipelined). See
// copydesk.JobWithEventsFinder.
func (db *DB) FindJobWithEvents(ctx context.Context, id string, afterSeq int64, limit int) (*copydesk.Job, []*copydesk.Event, error) {
	if limit < 0 {
		return nil, nil, copydesk.Errorf(copydesk.EINVALID, "limit cannot be negative (got %d)", limit)
	}
	var l *int
	if limit > 0 {
		l = &limit
	}
	var (
		b      pgx.Batch
		job    *copydesk.Job
		events []*copydesk.Event
	)
	b.Queue(`SELECT `+jobColumns+` FROM jobs WHERE id = $1`, id).QueryRow(func(row pgx.Row) error {
		j, err := scanJob(row)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // job stays nil
		}
		job = j
		return err
	})
	b.Queue(findEventsSQL, id, afterSeq, l).Query(func(rows pgx.Rows) (err error) {
		events, err = scanEvents(rows, id)
		return err
	})
	if err := db.pool.SendBatch(ctx, &b).Close(); err != nil {
		return nil, nil, translate(err)
	}
	if job == nil {
		return nil, nil, copydesk.Errorf(copydesk.ENOTFOUND, "job %q not found", id)
	}
	return job, events, nil
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
	rows, err := db.pool.Query(ctx, findEventsSQL, jobID, afterSeq, l)
	if err != nil {
		return nil, translate(err)
	}
	events, err := scanEvents(rows, jobID)
	if err != nil {
		return nil, err
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

// sameQueue reports whether a and b are the same queue (values of a type
// that cannot be compared, such as functions, never are).
func sameQueue(a, b copydesk.TxQueue) bool {
	ta := reflect.TypeOf(a)
	if ta == nil || ta != reflect.TypeOf(b) || !ta.Comparable() {
		return a == nil && b == nil
	}
	return a == b
}

// jobSweepBatch is how many jobs DeleteFinishedJobs deletes per statement:
// with their events (six or more each) a batch stays a short write beside
// live traffic.
const jobSweepBatch = 200

// DeleteFinishedJobs deletes the final jobs created before before, with
// their events (ON DELETE CASCADE), jobSweepBatch per statement; instances
// sweeping at once skip each other's rows. See copydesk.JobStore.
func (db *DB) DeleteFinishedJobs(ctx context.Context, before time.Time) (int, error) {
	return db.deleteBatches(ctx, `DELETE FROM jobs WHERE id IN (
		SELECT id FROM jobs WHERE created_at < $1 AND status IN ('succeeded', 'partial', 'failed', 'cancelled')
		LIMIT $2 FOR UPDATE SKIP LOCKED)`, jobSweepBatch, pgTime(before))
}
