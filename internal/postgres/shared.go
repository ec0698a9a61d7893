package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/copydesk/copydesk/internal/sqlstore"
)

// dialect is PostgreSQL's side of the sqlstore seam: times are timestamptz
// (microseconds), and rows a transaction reads before changing them are
// locked with FOR UPDATE.
type dialect struct{}

func (dialect) Time(t time.Time) any           { return pgTime(t) }
func (dialect) ScanTime(t *time.Time) any      { return (*utcTime)(t) }
func (dialect) ScanNullTime(t **time.Time) any { return nullUTCTime{t} }
func (dialect) Truncate(t time.Time) time.Time { return pgTime(t) }
func (dialect) ForUpdate() string              { return ` FOR UPDATE` }
func (dialect) SkipLocked() string             { return ` FOR UPDATE SKIP LOCKED` }

func (dialect) OptTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return pgTime(t)
}

func (dialect) ScanOptTime(t *time.Time) any { return optUTCTime{t} }

func (dialect) AnyOf(column string, values []string) (string, any) {
	return column + ` = ANY(?::text[])`, values
}

func (dialect) Lock(ctx context.Context, q sqlstore.Querier, name string) error {
	_, err := q.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext(?))`, name)
	return err
}

// utcTime scans a timestamptz column into a time.Time in UTC.
type utcTime time.Time

// Scan implements sql.Scanner, which pgx honours.
func (t *utcTime) Scan(v any) error {
	tt, ok := v.(time.Time)
	if !ok {
		return fmt.Errorf("postgres: a time column holds %T, not a timestamp", v)
	}
	*t = utcTime(tt.UTC())
	return nil
}

// optUTCTime scans a nullable timestamptz column into a time.Time, zero
// for NULL.
type optUTCTime struct{ t *time.Time }

// Scan implements sql.Scanner.
func (o optUTCTime) Scan(v any) error {
	if v == nil {
		*o.t = time.Time{}
		return nil
	}
	return (*utcTime)(o.t).Scan(v)
}

// nullUTCTime scans a nullable timestamptz column into a *time.Time.
type nullUTCTime struct{ t **time.Time }

// Scan implements sql.Scanner.
func (n nullUTCTime) Scan(v any) error {
	if v == nil {
		*n.t = nil
		return nil
	}
	var t time.Time
	if err := (*utcTime)(&t).Scan(v); err != nil {
		return err
	}
	*n.t = &t
	return nil
}

// shared returns the store logic shared with SQLite, over this DB.
func (db *DB) shared() *sqlstore.Store {
	s := sqlstore.New(dialect{}, db.clock.Now, sharedQ{db.pool}, func(ctx context.Context, fn func(q sqlstore.Querier) error) error {
		return db.writeTx(ctx, func(tx pgx.Tx) error { return fn(sharedQ{tx}) })
	})
	s.LedgerRows = &db.counts.ledgerRows
	return s
}

// pgQueryer is what pgx.Tx and the pool have in common.
type pgQueryer interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// sharedQ runs sqlstore's queries (? placeholders, rebound to $n) on a
// transaction or the pool.
type sharedQ struct{ q pgQueryer }

func (q sharedQ) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return row{q.q.QueryRow(ctx, sqlstore.Rebind(query), args...)}
}

func (q sharedQ) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	rs, err := q.q.Query(ctx, sqlstore.Rebind(query), args...)
	if err != nil {
		return nil, translate(err)
	}
	return rows{rs}, nil
}

func (q sharedQ) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := q.q.Exec(ctx, sqlstore.Rebind(query), args...)
	if err != nil {
		return 0, translate(err)
	}
	return tag.RowsAffected(), nil
}

// row translates a row's errors: sqlstore.ErrNoRows for none.
type row struct{ r pgx.Row }

func (r row) Scan(dest ...any) error {
	err := r.r.Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return sqlstore.ErrNoRows
	}
	return translate(err)
}

// rows translates a result's errors.
type rows struct{ rs pgx.Rows }

func (r rows) Next() bool             { return r.rs.Next() }
func (r rows) Scan(dest ...any) error { return translate(r.rs.Scan(dest...)) }
func (r rows) Err() error             { return translate(r.rs.Err()) }
func (r rows) Close()                 { r.rs.Close() }
