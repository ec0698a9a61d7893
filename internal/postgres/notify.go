package postgres

import (
	"context"
	"strings"
	"time"
)

// watchRetry is how long WatchEvents waits before listening again after
// its connection failed.
const watchRetry = time.Second

// WatchEvents calls onJob with the id of every job whose events another
// instance committed, from PostgreSQL's LISTEN/NOTIFY, until ctx ends: the
// streams on this instance then read them at once instead of at their next
// poll. After its connection failed and came back it calls onJob("")
// (anything may have changed meanwhile). Notifications of this instance's
// own writes are skipped: its broker carries those.
func (db *DB) WatchEvents(ctx context.Context, onJob func(jobID string)) {
	for ctx.Err() == nil {
		err := db.watchOnce(ctx, onJob)
		if ctx.Err() != nil {
			return
		}
		db.logger.Warn("postgres: listening for events of other instances failed; streams fall back to polling until it is back", "err", safeReason(err))
		select {
		case <-ctx.Done():
			return
		case <-time.After(watchRetry):
		}
		onJob("")
	}
}

func (db *DB) watchOnce(ctx context.Context, onJob func(jobID string)) error {
	pc, err := db.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	conn := pc.Hijack() // its own connection: LISTEN holds it for good
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `LISTEN `+quoteIdent(db.notifyChannel())); err != nil {
		return err
	}
	prefix := db.instance + ":"
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if strings.HasPrefix(n.Payload, prefix) {
			continue // this instance's own write
		}
		_, jobs, ok := strings.Cut(n.Payload, ":")
		if !ok {
			continue
		}
		if jobs == "" {
			onJob("") // every job
			continue
		}
		for job := range strings.SplitSeq(jobs, ",") {
			onJob(job)
		}
	}
}

// quoteIdent quotes a PostgreSQL identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
