package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// ClaimCache claims the computation of a cache key for ttl. It reports true
// when this caller holds the claim now: the key was unclaimed or its claim
// had expired. Instances sharing the store use it so that one of them calls
// the provider and the others wait for the answer.
func (db *DB) ClaimCache(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	now := db.now()
	var got string
	err := db.pool.QueryRow(ctx, `
		INSERT INTO cache_claims (key, expires_at) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at
		WHERE cache_claims.expires_at < $3
		RETURNING key`, key, now.Add(ttl), now).Scan(&got)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, translate(err)
	}
	return true, nil
}

// ReleaseCache gives up a claim taken with ClaimCache.
func (db *DB) ReleaseCache(ctx context.Context, key string) error {
	_, err := db.pool.Exec(ctx, `DELETE FROM cache_claims WHERE key = $1`, key)
	return translate(err)
}
