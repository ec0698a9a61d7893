package postgres

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// sweepBatch is how many expired entries DeleteExpiredCache deletes per
// transaction, so that a large sweep never holds many row locks for long.
const sweepBatch = 1000

// GetCache returns the entry, or ok=false if it is absent or expired by the
// injected clock.
func (db *DB) GetCache(ctx context.Context, key string) (*copydesk.CacheEntry, bool, error) {
	e, err := scanCacheEntry(db.pool.QueryRow(ctx, getCacheSQL, key, db.now()))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, translate(err)
	}
	return e, true, nil
}

// GetCaches returns the entries of keys in one round trip (a pipeline of
// GetCache's query, one per key), in the keys' order: nil for a key absent
// or expired. See copydesk.CacheBatchGetter. One query for all keys
// ("key = ANY($1)") was tried: PostgreSQL's cached plan for it scanned the
// whole table once the table had grown past the size it was planned for.
func (db *DB) GetCaches(ctx context.Context, keys []string) ([]*copydesk.CacheEntry, error) {
	out := make([]*copydesk.CacheEntry, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	now := db.now()
	var b pgx.Batch
	for i, key := range keys {
		b.Queue(getCacheSQL, key, now).QueryRow(func(row pgx.Row) error {
			e, err := scanCacheEntry(row)
			if errors.Is(err, pgx.ErrNoRows) {
				return nil
			}
			out[i] = e
			return err
		})
	}
	if err := db.pool.SendBatch(ctx, &b).Close(); err != nil {
		return nil, translate(err)
	}
	return out, nil
}

// getCacheSQL reads one live entry.
const getCacheSQL = `SELECT ` + cacheColumns + ` FROM cache_entries WHERE key = $1 AND expires_at > $2`

// cacheColumns are the columns scanCacheEntry reads.
const cacheColumns = `key, customer_id, kind, tier, value, expires_at, created_at, cost_micros, user_id`

func scanCacheEntry(row pgx.Row) (*copydesk.CacheEntry, error) {
	var (
		e    copydesk.CacheEntry
		tier string
	)
	if err := row.Scan(&e.Key, &e.CustomerID, &e.Kind, &tier, &e.Value, &e.ExpiresAt, &e.CreatedAt, &e.CostMicros, &e.UserID); err != nil {
		return nil, err
	}
	e.Tier, e.ExpiresAt, e.CreatedAt = copydesk.Tier(tier), e.ExpiresAt.UTC(), e.CreatedAt.UTC()
	if e.Value == nil {
		e.Value = []byte{}
	}
	return &e, nil
}

// SetCache stores the entry, replacing any with the same key. A zero
// CreatedAt becomes the clock's now; CreatedAt and ExpiresAt are set on entry
// as stored (UTC, whole microseconds). Returns EINVALID for an empty key, an
// unknown tier, a missing expiry or a negative cost.
func (db *DB) SetCache(ctx context.Context, entry *copydesk.CacheEntry) error {
	if err := prepareCacheEntry(entry, db.now()); err != nil {
		return err
	}
	value := entry.Value
	if value == nil {
		value = []byte{}
	}
	// Concurrent writes share a transaction and a round trip.
	return db.batched(ctx, func(b *pgx.Batch, res *opResult) {
		b.Queue(`
			INSERT INTO cache_entries (key, customer_id, kind, tier, value, expires_at, created_at, cost_micros, user_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			ON CONFLICT (key) DO UPDATE SET
				customer_id = excluded.customer_id, user_id = excluded.user_id, kind = excluded.kind, tier = excluded.tier,
				value = excluded.value, expires_at = excluded.expires_at,
				created_at = excluded.created_at, cost_micros = excluded.cost_micros`,
			entry.Key, entry.CustomerID, entry.Kind, string(entry.Tier), value,
			entry.ExpiresAt, entry.CreatedAt, int64(entry.CostMicros), entry.UserID).Exec(func(pgconn.CommandTag) error { return nil })
	})
}

// PurgeCache deletes the entries matching filter (all of them for an empty
// filter) and returns how many.
func (db *DB) PurgeCache(ctx context.Context, f copydesk.CacheFilter) (int, error) {
	where, args := []string{"TRUE"}, []any{}
	add := func(col, v string) {
		if v != "" {
			args = append(args, v)
			where = append(where, col+" = $"+strconv.Itoa(len(args)))
		}
	}
	add("customer_id", f.CustomerID)
	add("kind", f.Kind)
	add("tier", string(f.Tier))
	add("key", f.Key)
	tag, err := db.pool.Exec(ctx, `DELETE FROM cache_entries WHERE `+strings.Join(where, " AND "), args...)
	if err != nil {
		return 0, translate(err)
	}
	return int(tag.RowsAffected()), nil
}

// DeleteExpiredCache deletes the entries expired by the injected clock and
// returns how many, in batches of a thousand so that it can run periodically
// beside live traffic. Instances sweeping at once skip each other's rows.
func (db *DB) DeleteExpiredCache(ctx context.Context) (int, error) {
	return db.deleteBatches(ctx, `DELETE FROM cache_entries WHERE key IN (
		SELECT key FROM cache_entries WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`, sweepBatch, db.now())
}

// deleteBatches runs query, a DELETE whose last parameter is its batch
// size, until a run deletes fewer than batch rows, and returns how many
// rows it deleted.
func (db *DB) deleteBatches(ctx context.Context, query string, batch int, args ...any) (int, error) {
	args = append(args, batch)
	total := 0
	for {
		tag, err := db.pool.Exec(ctx, query, args...)
		if err != nil {
			return total, translate(err)
		}
		n := int(tag.RowsAffected())
		total += n
		if n < batch {
			return total, nil
		}
	}
}
