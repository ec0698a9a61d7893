package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// setCacheSQL is prepared at Open.
const setCacheSQL = `
		INSERT INTO cache_entries (key, customer_id, kind, tier, value, expires_at, created_at, cost_micros, user_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET
			customer_id = excluded.customer_id, user_id = excluded.user_id, kind = excluded.kind, tier = excluded.tier,
			value = excluded.value, expires_at = excluded.expires_at,
			created_at = excluded.created_at, cost_micros = excluded.cost_micros`

// sweepBatch is how many expired entries DeleteExpiredCache deletes per
// transaction, so that a large sweep never holds the write lock for long.
const sweepBatch = 1000

// getCacheSQL is prepared once per read connection: parsing it would
// otherwise be a fifth of a cache hit's time.
const getCacheSQL = `SELECT key, customer_id, kind, tier, value, expires_at, created_at, cost_micros, user_id
	FROM cache_entries WHERE key = ? AND expires_at > ?`

// GetCache returns the entry, or ok=false if it is absent or expired by the
// injected clock.
func (db *DB) GetCache(ctx context.Context, key string) (*copydesk.CacheEntry, bool, error) {
	if db.keys != nil && !db.keys.mayContain(key) {
		return nil, false, nil
	}
	row := db.getCacheStmt.QueryRowContext(ctx, key, encodeTime(db.clock.Now()))
	var (
		e                copydesk.CacheEntry
		expires, created int64
	)
	err := row.Scan(&e.Key, &e.CustomerID, &e.Kind, &e.Tier, &e.Value, &expires, &created, &e.CostMicros, &e.UserID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, translate(err)
	}
	e.ExpiresAt, e.CreatedAt = decodeTime(expires), decodeTime(created)
	if e.Value == nil {
		e.Value = []byte{}
	}
	return &e, true, nil
}

// SetCache stores the entry, replacing any with the same key. A zero
// CreatedAt becomes the clock's now and is set on entry. Returns EINVALID for
// an empty key, an unknown tier, a missing expiry or a negative cost.
//
// Concurrent writes are committed together (group commit): each call
// returns once its entry is durable.
func (db *DB) SetCache(ctx context.Context, entry *copydesk.CacheEntry) error {
	if err := entry.Prepare(db.clock.Now().UTC()); err != nil {
		return err
	}
	if db.keys != nil {
		done, full := db.keys.add(entry.Key)
		defer done()
		if full {
			go db.keys.rebuild(context.WithoutCancel(ctx), db.scanCacheKeys)
		}
	}
	return db.batched(ctx, func(ctx context.Context, tx *Tx) error { return setCache(ctx, tx, entry) })
}

// scanCacheKeys calls each with every stored cache key.
func (db *DB) scanCacheKeys(ctx context.Context, each func(key string)) error {
	rows, err := db.read.QueryContext(ctx, `SELECT key FROM cache_entries`)
	if err != nil {
		return translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return translate(err)
		}
		each(k)
	}
	return translate(rows.Err())
}

// openKeyFilter builds the key filter from the stored keys.
func (db *DB) openKeyFilter(ctx context.Context) error {
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM cache_entries`).Scan(&n); err != nil {
		return translate(err)
	}
	f := newKeyFilter(2 * n)
	err := db.scanCacheKeys(ctx, func(key string) {
		f.mu.Lock()
		f.set(key)
		f.mu.Unlock()
	})
	if err != nil {
		return err
	}
	db.keys = f
	return nil
}

func setCache(ctx context.Context, tx *Tx, e *copydesk.CacheEntry) error {
	value := e.Value
	if value == nil {
		value = []byte{}
	}
	_, err := tx.exec(ctx, setCacheSQL,
		e.Key, e.CustomerID, e.Kind, string(e.Tier), value,
		encodeTime(e.ExpiresAt), encodeTime(e.CreatedAt), int64(e.CostMicros), e.UserID)
	return translate(err)
}

// PurgeCache deletes the entries matching filter (all of them for an empty
// filter) and returns how many.
func (db *DB) PurgeCache(ctx context.Context, filter copydesk.CacheFilter) (int, error) {
	var n int
	err := db.writeTx(ctx, func(tx *Tx) (err error) {
		n, err = purgeCache(ctx, tx, filter)
		return err
	})
	return n, err
}

func purgeCache(ctx context.Context, tx *Tx, f copydesk.CacheFilter) (int, error) {
	where, args := []string{"1 = 1"}, []any{}
	if f.CustomerID != "" {
		where, args = append(where, "customer_id = ?"), append(args, f.CustomerID)
	}
	if f.Kind != "" {
		where, args = append(where, "kind = ?"), append(args, f.Kind)
	}
	if f.Tier != "" {
		where, args = append(where, "tier = ?"), append(args, string(f.Tier))
	}
	if f.Key != "" {
		where, args = append(where, "key = ?"), append(args, f.Key)
	}
	res, err := tx.exec(ctx, `DELETE FROM cache_entries WHERE `+strings.Join(where, " AND "), args...)
	if err != nil {
		return 0, translate(err)
	}
	n, err := res.RowsAffected()
	return int(n), translate(err)
}

// DeleteExpiredCache deletes the entries expired by the injected clock and
// returns how many. It deletes in batches of a thousand, one short write
// transaction each, so it can run periodically beside live traffic.
func (db *DB) DeleteExpiredCache(ctx context.Context) (int, error) {
	return db.deleteBatches(ctx, `DELETE FROM cache_entries WHERE key IN (
		SELECT key FROM cache_entries WHERE expires_at <= ? LIMIT ?)`, sweepBatch, encodeTime(db.clock.Now()))
}

// deleteBatches runs query, a DELETE whose last parameter is its batch
// size, once per write transaction until a run deletes fewer than batch
// rows, and returns how many rows it deleted.
func (db *DB) deleteBatches(ctx context.Context, query string, batch int, args ...any) (int, error) {
	args = append(args, batch)
	total := 0
	for {
		var n int
		err := db.writeTx(ctx, func(tx *Tx) error {
			res, err := tx.exec(ctx, query, args...)
			if err != nil {
				return translate(err)
			}
			m, err := res.RowsAffected()
			n = int(m)
			return translate(err)
		})
		total += n
		if err != nil || n < batch {
			return total, err
		}
	}
}
