package postgres

import (
	"context"
	"hash/fnv"
	"time"
)

// Leadership timing: how often a follower tries to become leader, and how
// often the leader checks that its lock's connection is alive.
const (
	LeadRetry = 5 * time.Second
	LeadCheck = 2 * time.Second
)

// Lead elects one leader among the instances sharing this schema for the
// work named name: the instance holding a session-level advisory lock on a
// connection of its own runs lead(ctx) until it loses the connection (or
// ctx ends), then another instance takes over within LeadRetry. lead must
// return when its ctx ends. Lead returns when ctx ends.
func (db *DB) Lead(ctx context.Context, name string, lead func(ctx context.Context)) {
	h := fnv.New64a()
	h.Write([]byte("copydesk:" + db.schema + ":" + name))
	lock := int64(h.Sum64())
	for ctx.Err() == nil {
		held, err := db.leadOnce(ctx, lock, lead)
		if err != nil && ctx.Err() == nil {
			db.logger.Warn("postgres: leader election failed; trying again", "work", name, "err", safeReason(err))
		}
		if held {
			db.logger.Info("postgres: leadership ended", "work", name)
		}
		select {
		case <-ctx.Done():
		case <-time.After(LeadRetry):
		}
	}
}

// leadOnce tries to take the lock and, if it did, runs lead while the
// lock's connection lives. It reports whether it held the lock.
func (db *DB) leadOnce(ctx context.Context, lock int64, lead func(ctx context.Context)) (bool, error) {
	pc, err := db.pool.Acquire(ctx)
	if err != nil {
		return false, err
	}
	conn := pc.Hijack() // the lock lives as long as this connection
	defer conn.Close(context.WithoutCancel(ctx))
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, lock).Scan(&got); err != nil || !got {
		return false, err
	}
	db.logger.Info("postgres: this instance leads", "lock", lock)
	lctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		lead(lctx)
	}()
	t := time.NewTicker(LeadCheck)
	defer t.Stop()
	var lost error
	for lost == nil {
		select {
		case <-ctx.Done():
			cancel()
			<-done
			return true, nil
		case <-done:
			cancel()
			return true, nil
		case <-t.C:
			pctx, pcancel := context.WithTimeout(ctx, LeadCheck)
			lost = conn.Ping(pctx)
			pcancel()
		}
	}
	cancel()
	<-done
	return true, lost
}
