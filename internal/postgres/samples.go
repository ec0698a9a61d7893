package postgres

import (
	"context"
	"time"
)

// PutInstanceSample records instance's latest alert sample (JSON),
// replacing its previous one.
func (db *DB) PutInstanceSample(ctx context.Context, instance string, sample []byte) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO instance_samples (instance_id, sample, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (instance_id) DO UPDATE SET sample = EXCLUDED.sample, updated_at = EXCLUDED.updated_at`,
		instance, sample, db.clock.Now().UTC())
	return err
}

// InstanceSample is one instance's latest published alert sample.
type InstanceSample struct {
	Instance string
	Sample   []byte // JSON
	At       time.Time
}

// InstanceSamples returns the samples published since since, and deletes
// those older than a day (instances long gone).
func (db *DB) InstanceSamples(ctx context.Context, since time.Time) ([]InstanceSample, error) {
	if _, err := db.pool.Exec(ctx, `DELETE FROM instance_samples WHERE updated_at < $1`, db.clock.Now().Add(-24*time.Hour)); err != nil {
		return nil, err
	}
	rows, err := db.pool.Query(ctx, `SELECT instance_id, sample, updated_at FROM instance_samples WHERE updated_at >= $1 ORDER BY instance_id`, since.UTC())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []InstanceSample
	for rows.Next() {
		var s InstanceSample
		if err := rows.Scan(&s.Instance, &s.Sample, &s.At); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
