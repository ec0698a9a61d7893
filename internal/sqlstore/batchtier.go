package sqlstore

import (
	"context"
	"errors"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// The batch tier's durable records: its items (one per distinct model
// request, keyed by its hash) and the provider batch submissions that
// carry them. See copydesk.BatchStore.

const batchItemColumns = `key, provider, model, kind, customer_id, user_id, key_id, job_id, request, reservation_id,
	complete_by, state, submission_id, response, cost, error_kind, error, created_at, done_at`

func (s *Store) scanBatchItem(r Row) (*copydesk.BatchItem, error) {
	var it copydesk.BatchItem
	var kind string
	var req, resp []byte
	if err := r.Scan(&it.Key, &it.Provider, &it.Model, &it.Kind, &it.CustomerID, &it.UserID, &it.KeyID, &it.JobID,
		&req, &it.ReservationID, s.dialect.ScanOptTime(&it.CompleteBy), &it.State, &it.SubmissionID, &resp, &it.Cost,
		&kind, &it.Error, s.dialect.ScanTime(&it.CreatedAt), s.dialect.ScanOptTime(&it.DoneAt)); err != nil {
		return nil, err
	}
	it.Request, it.Response, it.ErrorKind = req, resp, copydesk.ProviderErrorKind(kind)
	return &it, nil
}

// AddBatchItem records a pending item unless its key exists. See
// copydesk.BatchStore.
func (s *Store) AddBatchItem(ctx context.Context, item *copydesk.BatchItem) (*copydesk.BatchItem, bool, error) {
	if item == nil || item.Key == "" || item.Provider == "" || item.Model == "" || len(item.Request) == 0 {
		return nil, false, copydesk.Errorf(copydesk.EINVALID, "a batch item needs a key, provider, model and request")
	}
	it := *item
	it.State, it.SubmissionID, it.Response, it.Cost, it.ErrorKind, it.Error = copydesk.BatchItemPending, "", nil, 0, "", ""
	it.CreatedAt, it.DoneAt = s.clock().UTC(), time.Time{}
	if !it.CompleteBy.IsZero() {
		it.CompleteBy = s.dialect.Truncate(it.CompleteBy)
	}
	var added bool
	err := s.write(ctx, func(q Querier) error {
		n, err := q.Exec(ctx, `INSERT INTO batch_items (`+batchItemColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', NULL, 0, '', '', ?, ?) ON CONFLICT (key) DO NOTHING`,
			it.Key, it.Provider, it.Model, it.Kind, it.CustomerID, it.UserID, it.KeyID, it.JobID, []byte(it.Request),
			it.ReservationID, s.dialect.OptTime(it.CompleteBy), it.State, s.dialect.Time(it.CreatedAt), s.dialect.OptTime(time.Time{}))
		added = n == 1
		return err
	})
	if err != nil {
		return nil, false, err
	}
	if added {
		return &it, true, nil
	}
	stored, err := s.FindBatchItem(ctx, it.Key)
	return stored, false, err
}

// FindBatchItem returns the item of key. See copydesk.BatchStore.
func (s *Store) FindBatchItem(ctx context.Context, key string) (*copydesk.BatchItem, error) {
	it, err := s.scanBatchItem(s.read.QueryRow(ctx, `SELECT `+batchItemColumns+` FROM batch_items WHERE key = ?`, key))
	if errors.Is(err, ErrNoRows) {
		return nil, copydesk.Errorf(copydesk.ENOTFOUND, "batch item %q not found", key)
	}
	return it, err
}

// BatchGroups lists the provider and model pairs with pending items.
func (s *Store) BatchGroups(ctx context.Context) ([][2]string, error) {
	return collect(ctx, s.read, func(r Row) ([2]string, error) {
		var g [2]string
		err := r.Scan(&g[0], &g[1])
		return g, err
	}, `SELECT DISTINCT provider, model FROM batch_items WHERE state = 'pending' ORDER BY 1, 2`)
}

// ClaimBatchItems creates a submission and claims pending items for it.
// See copydesk.BatchStore. On PostgreSQL, items another poller is claiming
// are skipped (SKIP LOCKED), so two pollers never claim the same item.
func (s *Store) ClaimBatchItems(ctx context.Context, sub *copydesk.BatchSubmission, limit int) ([]*copydesk.BatchItem, error) {
	if sub == nil || sub.ID == "" || sub.Provider == "" || sub.Model == "" || limit <= 0 {
		return nil, copydesk.Errorf(copydesk.EINVALID, "a submission needs an id, provider, model and a positive limit")
	}
	now := s.clock().UTC()
	var items []*copydesk.BatchItem
	err := s.write(ctx, func(q Querier) error {
		var err error
		items, err = collect(ctx, q, s.scanBatchItem, `UPDATE batch_items SET state = 'submitted', submission_id = ?
			WHERE key IN (SELECT key FROM batch_items WHERE state = 'pending' AND provider = ? AND model = ?
				ORDER BY created_at, key LIMIT ?`+s.dialect.SkipLocked()+`)
			RETURNING `+batchItemColumns, sub.ID, sub.Provider, sub.Model, limit)
		if err != nil || len(items) == 0 {
			return err
		}
		at := s.dialect.Time(now)
		_, err = q.Exec(ctx, `INSERT INTO batch_submissions (id, provider, model, provider_id, state, items, polls, next_poll_at, created_at, updated_at)
			VALUES (?, ?, ?, '', 'submitting', ?, 0, ?, ?, ?)`, sub.ID, sub.Provider, sub.Model, len(items), at, at, at)
		return err
	})
	if err != nil {
		return nil, err
	}
	sub.State, sub.Items, sub.CreatedAt, sub.UpdatedAt, sub.NextPollAt = copydesk.BatchSubmitting, len(items), now, now, now
	return items, nil
}

// oneRow requires a statement to have changed a row.
func oneRow(n int64, err error, what string) error {
	if err == nil && n == 0 {
		return copydesk.Errorf(copydesk.ENOTFOUND, "%s not found", what)
	}
	return err
}

// OpenBatchSubmission records the provider's id. See copydesk.BatchStore.
func (s *Store) OpenBatchSubmission(ctx context.Context, id, providerID string, next time.Time) error {
	return s.write(ctx, func(q Querier) error {
		n, err := q.Exec(ctx, `UPDATE batch_submissions SET provider_id = ?, state = 'open', next_poll_at = ?, updated_at = ?
			WHERE id = ? AND state = 'submitting'`, providerID, s.dialect.Time(next), s.dialect.Time(s.clock()), id)
		return oneRow(n, err, "submitting batch submission "+id)
	})
}

// AbandonBatchSubmission puts a submission's items back. See
// copydesk.BatchStore.
func (s *Store) AbandonBatchSubmission(ctx context.Context, id string) error {
	return s.write(ctx, func(q Querier) error {
		n, err := q.Exec(ctx, `DELETE FROM batch_submissions WHERE id = ? AND state = 'submitting'`, id)
		if err := oneRow(n, err, "submitting batch submission "+id); err != nil {
			return err
		}
		_, err = q.Exec(ctx, `UPDATE batch_items SET state = 'pending', submission_id = '' WHERE submission_id = ? AND state = 'submitted'`, id)
		return err
	})
}

// DueBatchSubmissions returns the submissions to poll. See
// copydesk.BatchStore.
func (s *Store) DueBatchSubmissions(ctx context.Context, now, stale time.Time) ([]*copydesk.BatchSubmission, error) {
	return collect(ctx, s.read, func(r Row) (*copydesk.BatchSubmission, error) {
		var b copydesk.BatchSubmission
		err := r.Scan(&b.ID, &b.Provider, &b.Model, &b.ProviderID, &b.State, &b.Items, &b.Polls,
			s.dialect.ScanTime(&b.NextPollAt), s.dialect.ScanTime(&b.CreatedAt), s.dialect.ScanTime(&b.UpdatedAt))
		return &b, err
	}, `SELECT id, provider, model, provider_id, state, items, polls, next_poll_at, created_at, updated_at
		FROM batch_submissions WHERE (state = 'open' AND next_poll_at <= ?) OR (state = 'submitting' AND updated_at < ?)
		ORDER BY next_poll_at, id`, s.dialect.Time(now), s.dialect.Time(stale))
}

// PostponeBatchSubmission counts a poll and sets the next. See
// copydesk.BatchStore.
func (s *Store) PostponeBatchSubmission(ctx context.Context, id string, next time.Time) error {
	return s.write(ctx, func(q Querier) error {
		n, err := q.Exec(ctx, `UPDATE batch_submissions SET polls = polls + 1, next_poll_at = ?, updated_at = ?
			WHERE id = ? AND state <> 'ended'`, s.dialect.Time(next), s.dialect.Time(s.clock()), id)
		return oneRow(n, err, "batch submission "+id)
	})
}

// FinishBatchItem stores an item's outcome once. See copydesk.BatchStore.
func (s *Store) FinishBatchItem(ctx context.Context, item *copydesk.BatchItem) (bool, error) {
	if item == nil || (item.State != copydesk.BatchItemDone && item.State != copydesk.BatchItemFailed) {
		return false, copydesk.Errorf(copydesk.EINVALID, "a batch item finishes done or failed")
	}
	now := s.clock().UTC()
	var changed bool
	err := s.write(ctx, func(q Querier) error {
		n, err := q.Exec(ctx, `UPDATE batch_items SET state = ?, response = ?, cost = ?, error_kind = ?, error = ?, done_at = ?
			WHERE key = ? AND state IN ('pending', 'submitted')`, item.State, []byte(item.Response), item.Cost,
			string(item.ErrorKind), item.Error, s.dialect.Time(now), item.Key)
		changed = n == 1
		return err
	})
	if changed {
		item.DoneAt = now
	}
	return changed, err
}

// EndBatchSubmission ends a submission and expires its unanswered items.
// See copydesk.BatchStore.
func (s *Store) EndBatchSubmission(ctx context.Context, id string) ([]*copydesk.BatchItem, error) {
	now := s.dialect.Time(s.clock())
	var expired []*copydesk.BatchItem
	err := s.write(ctx, func(q Querier) error {
		if _, err := q.Exec(ctx, `UPDATE batch_submissions SET state = 'ended', updated_at = ? WHERE id = ?`, now, id); err != nil {
			return err
		}
		var err error
		expired, err = collect(ctx, q, s.scanBatchItem, `UPDATE batch_items SET state = 'failed', error_kind = 'timeout',
			error = 'the provider batch ended without an answer for this request (expired)', done_at = ?
			WHERE submission_id = ? AND state = 'submitted' RETURNING `+batchItemColumns, now, id)
		return err
	})
	return expired, err
}

// BatchSubmissionItems returns a submission's items. See
// copydesk.BatchStore.
func (s *Store) BatchSubmissionItems(ctx context.Context, id string) ([]*copydesk.BatchItem, error) {
	return collect(ctx, s.read, s.scanBatchItem, `SELECT `+batchItemColumns+` FROM batch_items WHERE submission_id = ? ORDER BY key`, id)
}
