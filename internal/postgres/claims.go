package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ClaimCache claims the computation of a cache key for ttl. It reports true
// when this caller holds the claim now: the key was unclaimed or its claim
// had expired. Instances sharing the store use it so that one of them calls
// the provider and the others wait for the answer.
func (db *DB) ClaimCache(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	now := db.now()
	won := false
	// Shares the transaction and round trip of concurrent writes, as
	// ReleaseCache does; batchedClaim orders the claim rows so that two
	// instances' batches cannot deadlock on them.
	err := db.batchedClaim(ctx, key, func(b *pgx.Batch, _ *opResult) {
		b.Queue(`
			INSERT INTO cache_claims (key, expires_at, owner) VALUES ($1, $2, $4)
			ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at, owner = EXCLUDED.owner
			WHERE cache_claims.expires_at < $3
			RETURNING key`, key, now.Add(ttl), now, db.instance).
			QueryRow(func(row pgx.Row) error {
				var got string
				err := row.Scan(&got)
				if errors.Is(err, pgx.ErrNoRows) {
					return nil // held by another instance
				}
				won = err == nil
				return err
			})
	})
	if err != nil {
		return false, translate(err)
	}
	return won, nil
}

// RenewCache extends a claim this instance holds to ttl from now and
// reports whether it still held it.
func (db *DB) RenewCache(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	tag, err := db.pool.Exec(ctx, `UPDATE cache_claims SET expires_at = $2 WHERE key = $1 AND owner = $3`,
		key, db.now().Add(ttl), db.instance)
	if err != nil {
		return false, translate(err)
	}
	return tag.RowsAffected() == 1, nil
}

// ReleaseCache gives up a claim this instance holds; a claim another
// instance took (after this one's expired) stays.
func (db *DB) ReleaseCache(ctx context.Context, key string) error {
	// Shares the transaction and round trip of concurrent writes (other
	// answers' entries and releases, job events): about one round trip
	// less per computed key under load.
	return db.batchedClaim(ctx, key, func(b *pgx.Batch, _ *opResult) {
		b.Queue(`DELETE FROM cache_claims WHERE key = $1 AND owner = $2`, key, db.instance).
			Exec(func(pgconn.CommandTag) error { return nil })
	})
}
