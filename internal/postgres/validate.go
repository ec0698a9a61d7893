package postgres

// Validation of what callers store is the domain's (copydesk.Job.Prepare,
// CacheEntry.Prepare…), shared with the sqlite store; only PostgreSQL's
// time precision is handled here.

import (
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// prepareCacheEntry validates e (the domain's rules) and rounds its times
// to microseconds, which is what PostgreSQL keeps: store and report the
// same instant.
func prepareCacheEntry(e *copydesk.CacheEntry, now time.Time) error {
	if err := e.Prepare(now); err != nil {
		return err
	}
	e.CreatedAt, e.ExpiresAt = pgTime(e.CreatedAt), pgTime(e.ExpiresAt)
	return nil
}
