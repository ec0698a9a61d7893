package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/sqlstore"
)

var _ copydesk.BatchStore = (*DB)(nil)

const batchItemColumns = `key, provider, model, kind, customer_id, user_id, key_id, job_id, request, reservation_id,
	complete_by, state, submission_id, response, cost, error_kind, error, created_at, done_at`

// encodeOptTime stores a zero time as 0.
func encodeOptTime(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func decodeOptTime(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return decodeTime(ns)
}

func scanBatchItem(r sqlstore.Row) (*copydesk.BatchItem, error) {
	var it copydesk.BatchItem
	var completeBy, created, done int64
	var kind string
	var req, resp []byte
	if err := r.Scan(&it.Key, &it.Provider, &it.Model, &it.Kind, &it.CustomerID, &it.UserID, &it.KeyID, &it.JobID,
		&req, &it.ReservationID, &completeBy, &it.State, &it.SubmissionID, &resp, &it.Cost,
		&kind, &it.Error, &created, &done); err != nil {
		return nil, translate(err)
	}
	it.Request, it.Response, it.ErrorKind = req, resp, copydesk.ProviderErrorKind(kind)
	it.CompleteBy, it.CreatedAt, it.DoneAt = decodeOptTime(completeBy), decodeTime(created), decodeOptTime(done)
	return &it, nil
}

func collectBatchItems(rows *sql.Rows, err error) ([]*copydesk.BatchItem, error) {
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []*copydesk.BatchItem
	for rows.Next() {
		it, err := scanBatchItem(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, translate(rows.Err())
}

// AddBatchItem records a pending item unless its key exists. See
// copydesk.BatchStore.
func (db *DB) AddBatchItem(ctx context.Context, item *copydesk.BatchItem) (*copydesk.BatchItem, bool, error) {
	if item == nil || item.Key == "" || item.Provider == "" || item.Model == "" || len(item.Request) == 0 {
		return nil, false, copydesk.Errorf(copydesk.EINVALID, "a batch item needs a key, provider, model and request")
	}
	it := *item
	it.State, it.SubmissionID, it.Response, it.Cost, it.ErrorKind, it.Error = copydesk.BatchItemPending, "", nil, 0, "", ""
	it.CreatedAt, it.DoneAt = db.clock.Now().UTC(), time.Time{}
	var added bool
	err := db.writeTx(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `INSERT INTO batch_items (`+batchItemColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', NULL, 0, '', '', ?, 0) ON CONFLICT (key) DO NOTHING`,
			it.Key, it.Provider, it.Model, it.Kind, it.CustomerID, it.UserID, it.KeyID, it.JobID, []byte(it.Request),
			it.ReservationID, encodeOptTime(it.CompleteBy), it.State, encodeTime(it.CreatedAt))
		if err != nil {
			return translate(err)
		}
		n, _ := res.RowsAffected()
		added = n == 1
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	if added {
		return &it, true, nil
	}
	stored, err := db.FindBatchItem(ctx, it.Key)
	return stored, false, err
}

// FindBatchItem returns the item of key. See copydesk.BatchStore.
func (db *DB) FindBatchItem(ctx context.Context, key string) (*copydesk.BatchItem, error) {
	it, err := scanBatchItem(db.read.QueryRowContext(ctx, `SELECT `+batchItemColumns+` FROM batch_items WHERE key = ?`, key))
	if copydesk.ErrorCode(err) == copydesk.ENOTFOUND {
		return nil, copydesk.Errorf(copydesk.ENOTFOUND, "batch item %q not found", key)
	}
	return it, err
}

// BatchGroups lists the provider and model pairs with pending items.
func (db *DB) BatchGroups(ctx context.Context) ([][2]string, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT DISTINCT provider, model FROM batch_items WHERE state = 'pending' ORDER BY 1, 2`)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var g [2]string
		if err := rows.Scan(&g[0], &g[1]); err != nil {
			return nil, translate(err)
		}
		out = append(out, g)
	}
	return out, translate(rows.Err())
}

// ClaimBatchItems creates a submission and claims pending items for it.
// See copydesk.BatchStore.
func (db *DB) ClaimBatchItems(ctx context.Context, sub *copydesk.BatchSubmission, limit int) ([]*copydesk.BatchItem, error) {
	if sub == nil || sub.ID == "" || sub.Provider == "" || sub.Model == "" || limit <= 0 {
		return nil, copydesk.Errorf(copydesk.EINVALID, "a submission needs an id, provider, model and a positive limit")
	}
	now := db.clock.Now().UTC()
	var items []*copydesk.BatchItem
	err := db.writeTx(ctx, func(tx *Tx) error {
		var err error
		items, err = collectBatchItems(tx.query(ctx, `UPDATE batch_items SET state = 'submitted', submission_id = ?1
			WHERE key IN (SELECT key FROM batch_items WHERE state = 'pending' AND provider = ?2 AND model = ?3
				ORDER BY created_at, key LIMIT ?4)
			RETURNING `+batchItemColumns, sub.ID, sub.Provider, sub.Model, limit))
		if err != nil || len(items) == 0 {
			return err
		}
		_, err = tx.exec(ctx, `INSERT INTO batch_submissions (id, provider, model, provider_id, state, items, polls, next_poll_at, created_at, updated_at)
			VALUES (?, ?, ?, '', 'submitting', ?, 0, ?, ?, ?)`, sub.ID, sub.Provider, sub.Model, len(items),
			encodeTime(now), encodeTime(now), encodeTime(now))
		return translate(err)
	})
	if err != nil {
		return nil, err
	}
	sub.State, sub.Items, sub.CreatedAt, sub.UpdatedAt, sub.NextPollAt = copydesk.BatchSubmitting, len(items), now, now, now
	return items, nil
}

// OpenBatchSubmission records the provider's id. See copydesk.BatchStore.
func (db *DB) OpenBatchSubmission(ctx context.Context, id, providerID string, next time.Time) error {
	return db.writeTx(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE batch_submissions SET provider_id = ?, state = 'open', next_poll_at = ?, updated_at = ?
			WHERE id = ? AND state = 'submitting'`, providerID, encodeTime(next), encodeTime(db.clock.Now()), id)
		return oneRow(res, err, "submitting batch submission "+id)
	})
}

func oneRow(res sql.Result, err error, what string) error {
	if err != nil {
		return translate(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return copydesk.Errorf(copydesk.ENOTFOUND, "%s not found", what)
	}
	return nil
}

// AbandonBatchSubmission puts a submission's items back. See
// copydesk.BatchStore.
func (db *DB) AbandonBatchSubmission(ctx context.Context, id string) error {
	return db.writeTx(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `DELETE FROM batch_submissions WHERE id = ? AND state = 'submitting'`, id)
		if err := oneRow(res, err, "submitting batch submission "+id); err != nil {
			return err
		}
		_, err = tx.exec(ctx, `UPDATE batch_items SET state = 'pending', submission_id = '' WHERE submission_id = ? AND state = 'submitted'`, id)
		return translate(err)
	})
}

const batchSubmissionColumns = `id, provider, model, provider_id, state, items, polls, next_poll_at, created_at, updated_at`

// DueBatchSubmissions returns the submissions to poll. See
// copydesk.BatchStore.
func (db *DB) DueBatchSubmissions(ctx context.Context, now, stale time.Time) ([]*copydesk.BatchSubmission, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+batchSubmissionColumns+` FROM batch_submissions
		WHERE (state = 'open' AND next_poll_at <= ?) OR (state = 'submitting' AND updated_at < ?)
		ORDER BY next_poll_at, id`, encodeTime(now), encodeTime(stale))
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []*copydesk.BatchSubmission
	for rows.Next() {
		var s copydesk.BatchSubmission
		var next, created, updated int64
		if err := rows.Scan(&s.ID, &s.Provider, &s.Model, &s.ProviderID, &s.State, &s.Items, &s.Polls, &next, &created, &updated); err != nil {
			return nil, translate(err)
		}
		s.NextPollAt, s.CreatedAt, s.UpdatedAt = decodeTime(next), decodeTime(created), decodeTime(updated)
		out = append(out, &s)
	}
	return out, translate(rows.Err())
}

// PostponeBatchSubmission counts a poll and sets the next. See
// copydesk.BatchStore.
func (db *DB) PostponeBatchSubmission(ctx context.Context, id string, next time.Time) error {
	return db.writeTx(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE batch_submissions SET polls = polls + 1, next_poll_at = ?, updated_at = ?
			WHERE id = ? AND state <> 'ended'`, encodeTime(next), encodeTime(db.clock.Now()), id)
		return oneRow(res, err, "batch submission "+id)
	})
}

// FinishBatchItem stores an item's outcome once. See copydesk.BatchStore.
func (db *DB) FinishBatchItem(ctx context.Context, item *copydesk.BatchItem) (bool, error) {
	if item == nil || (item.State != copydesk.BatchItemDone && item.State != copydesk.BatchItemFailed) {
		return false, copydesk.Errorf(copydesk.EINVALID, "a batch item finishes done or failed")
	}
	now := db.clock.Now().UTC()
	var changed bool
	err := db.writeTx(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE batch_items SET state = ?, response = ?, cost = ?, error_kind = ?, error = ?, done_at = ?
			WHERE key = ? AND state IN ('pending', 'submitted')`, item.State, []byte(item.Response), item.Cost,
			string(item.ErrorKind), item.Error, encodeTime(now), item.Key)
		if err != nil {
			return translate(err)
		}
		n, _ := res.RowsAffected()
		changed = n == 1
		return nil
	})
	if changed {
		item.DoneAt = now
	}
	return changed, err
}

// EndBatchSubmission ends a submission and expires its unanswered items.
// See copydesk.BatchStore.
func (db *DB) EndBatchSubmission(ctx context.Context, id string) ([]*copydesk.BatchItem, error) {
	now := db.clock.Now()
	var expired []*copydesk.BatchItem
	err := db.writeTx(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `UPDATE batch_submissions SET state = 'ended', updated_at = ? WHERE id = ?`, encodeTime(now), id); err != nil {
			return translate(err)
		}
		var err error
		expired, err = collectBatchItems(tx.query(ctx, `UPDATE batch_items SET state = 'failed', error_kind = 'timeout',
			error = 'the provider batch ended without an answer for this request (expired)', done_at = ?
			WHERE submission_id = ? AND state = 'submitted' RETURNING `+batchItemColumns, encodeTime(now), id))
		return err
	})
	return expired, err
}

// BatchSubmissionItems returns a submission's items. See
// copydesk.BatchStore.
func (db *DB) BatchSubmissionItems(ctx context.Context, id string) ([]*copydesk.BatchItem, error) {
	return collectBatchItems(db.read.QueryContext(ctx, `SELECT `+batchItemColumns+` FROM batch_items WHERE submission_id = ? ORDER BY key`, id))
}
