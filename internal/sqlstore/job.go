package sqlstore

import (
	"encoding/json"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// JobColumns are a job row's columns, in ScanJob's order.
const JobColumns = JobColumnsBeforeResult + `result` + JobColumnsAfterResult

// The job row's columns before and after the result: an update that may
// set the result returns its row with the result read back only when the
// update did not set it (CASE WHEN <it did> THEN NULL ELSE result END in
// between; SetResult then gives the job the result the caller sent). A
// finished job's result, a page's whole report, came back from the update
// that wrote it and was copied twice on its way in (the driver's copy and
// database/sql's).
const (
	JobColumnsBeforeResult = `id, kind, customer_id, user_id, priority, status, input, `
	JobColumnsAfterResult  = `,
	error_code, error_message, attempts, created_at, updated_at, finished_at, key_id`
)

// SetResult gives job, returned by an update that did not read back the
// result it set, the result upd set, as it was stored (an empty result is
// stored as NULL).
func SetResult(job *copydesk.Job, upd copydesk.JobUpdate) {
	if len(upd.Result) > 0 {
		job.Result = upd.Result
	}
}

// ScanJob scans a job row (JobColumns) followed by extra columns. Errors
// are the driver's, untranslated.
func ScanJob(d Dialect, row Row, extra ...any) (*copydesk.Job, error) {
	var (
		job             copydesk.Job
		priority        int
		status          string
		input, result   []byte
		errCode, errMsg *string
		finished        *time.Time
	)
	dest := append([]any{&job.ID, &job.Kind, &job.CustomerID, &job.UserID, &priority, &status,
		&input, &result, &errCode, &errMsg, &job.Attempts,
		d.ScanTime(&job.CreatedAt), d.ScanTime(&job.UpdatedAt), d.ScanNullTime(&finished), &job.KeyID}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	job.Priority, job.Status, job.FinishedAt = copydesk.Priority(priority), copydesk.JobStatus(status), finished
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
	return &job, nil
}

// UpdateConflict is UpdateJob's error when its update changed no row of
// an existing job: cur, read after, is either final while upd sets a
// status, or has other attempts than upd.IfAttempts.
func UpdateConflict(cur *copydesk.Job, upd copydesk.JobUpdate) error {
	if upd.IfAttempts != nil && cur.Attempts != *upd.IfAttempts {
		return copydesk.Errorf(copydesk.ECONFLICT, "job %q has %d attempts, not %d", cur.ID, cur.Attempts, *upd.IfAttempts)
	}
	want := "changed"
	if upd.Status != nil {
		want = string(*upd.Status)
	}
	return copydesk.Errorf(copydesk.ECONFLICT, "job %q is already %s and cannot become %s", cur.ID, cur.Status, want)
}
