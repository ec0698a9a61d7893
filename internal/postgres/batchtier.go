package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/copydesk/copydesk/internal/copydesk"
)

var _ copydesk.BatchStore = (*DB)(nil)

const batchItemColumns = `key, provider, model, kind, customer_id, user_id, key_id, job_id, request, reservation_id,
	complete_by, state, submission_id, response, cost, error_kind, error, created_at, done_at`

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	p := pgTime(t)
	return &p
}

func scanBatchItem(row pgx.CollectableRow) (*copydesk.BatchItem, error) {
	var it copydesk.BatchItem
	var completeBy, done *time.Time
	var kind string
	var req, resp []byte
	if err := row.Scan(&it.Key, &it.Provider, &it.Model, &it.Kind, &it.CustomerID, &it.UserID, &it.KeyID, &it.JobID,
		&req, &it.ReservationID, &completeBy, &it.State, &it.SubmissionID, &resp, &it.Cost,
		&kind, &it.Error, &it.CreatedAt, &done); err != nil {
		return nil, err
	}
	it.Request, it.Response, it.ErrorKind = req, resp, copydesk.ProviderErrorKind(kind)
	it.CreatedAt = it.CreatedAt.UTC()
	if completeBy != nil {
		it.CompleteBy = completeBy.UTC()
	}
	if done != nil {
		it.DoneAt = done.UTC()
	}
	return &it, nil
}

func collectBatchItems(rows pgx.Rows, err error) ([]*copydesk.BatchItem, error) {
	if err != nil {
		return nil, translate(err)
	}
	out, err := pgx.CollectRows(rows, scanBatchItem)
	return out, translate(err)
}

// AddBatchItem records a pending item unless its key exists. See
// copydesk.BatchStore.
func (db *DB) AddBatchItem(ctx context.Context, item *copydesk.BatchItem) (*copydesk.BatchItem, bool, error) {
	if item == nil || item.Key == "" || item.Provider == "" || item.Model == "" || len(item.Request) == 0 {
		return nil, false, copydesk.Errorf(copydesk.EINVALID, "a batch item needs a key, provider, model and request")
	}
	it := *item
	it.State, it.SubmissionID, it.Response, it.Cost, it.ErrorKind, it.Error = copydesk.BatchItemPending, "", nil, 0, "", ""
	it.CreatedAt, it.DoneAt = db.now(), time.Time{}
	if !it.CompleteBy.IsZero() {
		it.CompleteBy = pgTime(it.CompleteBy)
	}
	var added bool
	err := db.writeTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO batch_items (`+batchItemColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, '', NULL, 0, '', '', $13, NULL) ON CONFLICT (key) DO NOTHING`,
			it.Key, it.Provider, it.Model, it.Kind, it.CustomerID, it.UserID, it.KeyID, it.JobID, []byte(it.Request),
			it.ReservationID, optTime(it.CompleteBy), it.State, it.CreatedAt)
		if err != nil {
			return translate(err)
		}
		added = tag.RowsAffected() == 1
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
	items, err := collectBatchItems(db.pool.Query(ctx, `SELECT `+batchItemColumns+` FROM batch_items WHERE key = $1`, key))
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, copydesk.Errorf(copydesk.ENOTFOUND, "batch item %q not found", key)
	}
	return items[0], nil
}

// BatchGroups lists the provider and model pairs with pending items.
func (db *DB) BatchGroups(ctx context.Context) ([][2]string, error) {
	rows, err := db.pool.Query(ctx, `SELECT DISTINCT provider, model FROM batch_items WHERE state = 'pending' ORDER BY 1, 2`)
	if err != nil {
		return nil, translate(err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) ([2]string, error) {
		var g [2]string
		err := row.Scan(&g[0], &g[1])
		return g, err
	})
	return out, translate(err)
}

// ClaimBatchItems creates a submission and claims pending items for it.
// See copydesk.BatchStore.
func (db *DB) ClaimBatchItems(ctx context.Context, sub *copydesk.BatchSubmission, limit int) ([]*copydesk.BatchItem, error) {
	if sub == nil || sub.ID == "" || sub.Provider == "" || sub.Model == "" || limit <= 0 {
		return nil, copydesk.Errorf(copydesk.EINVALID, "a submission needs an id, provider, model and a positive limit")
	}
	now := db.now()
	var items []*copydesk.BatchItem
	err := db.writeTx(ctx, func(tx pgx.Tx) error {
		var err error
		items, err = collectBatchItems(tx.Query(ctx, `UPDATE batch_items SET state = 'submitted', submission_id = $1
			WHERE key IN (SELECT key FROM batch_items WHERE state = 'pending' AND provider = $2 AND model = $3
				ORDER BY created_at, key LIMIT $4 FOR UPDATE SKIP LOCKED)
			RETURNING `+batchItemColumns, sub.ID, sub.Provider, sub.Model, limit))
		if err != nil || len(items) == 0 {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO batch_submissions (id, provider, model, provider_id, state, items, polls, next_poll_at, created_at, updated_at)
			VALUES ($1, $2, $3, '', 'submitting', $4, 0, $5, $5, $5)`, sub.ID, sub.Provider, sub.Model, len(items), now)
		return translate(err)
	})
	if err != nil {
		return nil, err
	}
	sub.State, sub.Items, sub.CreatedAt, sub.UpdatedAt, sub.NextPollAt = copydesk.BatchSubmitting, len(items), now, now, now
	return items, nil
}

func oneRow(n int64, err error, what string) error {
	if err != nil {
		return translate(err)
	}
	if n == 0 {
		return copydesk.Errorf(copydesk.ENOTFOUND, "%s not found", what)
	}
	return nil
}

// OpenBatchSubmission records the provider's id. See copydesk.BatchStore.
func (db *DB) OpenBatchSubmission(ctx context.Context, id, providerID string, next time.Time) error {
	tag, err := db.pool.Exec(ctx, `UPDATE batch_submissions SET provider_id = $1, state = 'open', next_poll_at = $2, updated_at = $3
		WHERE id = $4 AND state = 'submitting'`, providerID, pgTime(next), db.now(), id)
	return oneRow(tag.RowsAffected(), err, "submitting batch submission "+id)
}

// AbandonBatchSubmission puts a submission's items back. See
// copydesk.BatchStore.
func (db *DB) AbandonBatchSubmission(ctx context.Context, id string) error {
	return db.writeTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM batch_submissions WHERE id = $1 AND state = 'submitting'`, id)
		if err := oneRow(tag.RowsAffected(), err, "submitting batch submission "+id); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE batch_items SET state = 'pending', submission_id = '' WHERE submission_id = $1 AND state = 'submitted'`, id)
		return translate(err)
	})
}

// DueBatchSubmissions returns the submissions to poll. See
// copydesk.BatchStore.
func (db *DB) DueBatchSubmissions(ctx context.Context, now, stale time.Time) ([]*copydesk.BatchSubmission, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, provider, model, provider_id, state, items, polls, next_poll_at, created_at, updated_at
		FROM batch_submissions WHERE (state = 'open' AND next_poll_at <= $1) OR (state = 'submitting' AND updated_at < $2)
		ORDER BY next_poll_at, id`, pgTime(now), pgTime(stale))
	if err != nil {
		return nil, translate(err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*copydesk.BatchSubmission, error) {
		var s copydesk.BatchSubmission
		err := row.Scan(&s.ID, &s.Provider, &s.Model, &s.ProviderID, &s.State, &s.Items, &s.Polls, &s.NextPollAt, &s.CreatedAt, &s.UpdatedAt)
		s.NextPollAt, s.CreatedAt, s.UpdatedAt = s.NextPollAt.UTC(), s.CreatedAt.UTC(), s.UpdatedAt.UTC()
		return &s, err
	})
	return out, translate(err)
}

// PostponeBatchSubmission counts a poll and sets the next. See
// copydesk.BatchStore.
func (db *DB) PostponeBatchSubmission(ctx context.Context, id string, next time.Time) error {
	tag, err := db.pool.Exec(ctx, `UPDATE batch_submissions SET polls = polls + 1, next_poll_at = $1, updated_at = $2
		WHERE id = $3 AND state <> 'ended'`, pgTime(next), db.now(), id)
	return oneRow(tag.RowsAffected(), err, "batch submission "+id)
}

// FinishBatchItem stores an item's outcome once. See copydesk.BatchStore.
func (db *DB) FinishBatchItem(ctx context.Context, item *copydesk.BatchItem) (bool, error) {
	if item == nil || (item.State != copydesk.BatchItemDone && item.State != copydesk.BatchItemFailed) {
		return false, copydesk.Errorf(copydesk.EINVALID, "a batch item finishes done or failed")
	}
	now := db.now()
	tag, err := db.pool.Exec(ctx, `UPDATE batch_items SET state = $1, response = $2, cost = $3, error_kind = $4, error = $5, done_at = $6
		WHERE key = $7 AND state IN ('pending', 'submitted')`, item.State, []byte(item.Response), item.Cost,
		string(item.ErrorKind), item.Error, now, item.Key)
	if err != nil {
		return false, translate(err)
	}
	if tag.RowsAffected() == 1 {
		item.DoneAt = now
		return true, nil
	}
	return false, nil
}

// EndBatchSubmission ends a submission and expires its unanswered items.
// See copydesk.BatchStore.
func (db *DB) EndBatchSubmission(ctx context.Context, id string) ([]*copydesk.BatchItem, error) {
	now := db.now()
	var expired []*copydesk.BatchItem
	err := db.writeTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE batch_submissions SET state = 'ended', updated_at = $1 WHERE id = $2`, now, id); err != nil {
			return translate(err)
		}
		var err error
		expired, err = collectBatchItems(tx.Query(ctx, `UPDATE batch_items SET state = 'failed', error_kind = 'timeout',
			error = 'the provider batch ended without an answer for this request (expired)', done_at = $1
			WHERE submission_id = $2 AND state = 'submitted' RETURNING `+batchItemColumns, now, id))
		return err
	})
	return expired, err
}

// BatchSubmissionItems returns a submission's items. See
// copydesk.BatchStore.
func (db *DB) BatchSubmissionItems(ctx context.Context, id string) ([]*copydesk.BatchItem, error) {
	return collectBatchItems(db.pool.Query(ctx, `SELECT `+batchItemColumns+` FROM batch_items WHERE submission_id = $1 ORDER BY key`, id))
}
