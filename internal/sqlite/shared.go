package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/copydesk/copydesk/internal/sqlstore"
)

// dialect is SQLite's side of the sqlstore seam: times are UTC Unix
// nanoseconds, and the single writer needs no row locks.
type dialect struct{}

func (dialect) Time(t time.Time) any           { return encodeTime(t) }
func (dialect) ScanTime(t *time.Time) any      { return (*nanoTime)(t) }
func (dialect) ScanNullTime(t **time.Time) any { return nullNanoTime{t} }
func (dialect) Truncate(t time.Time) time.Time { return t }
func (dialect) ForUpdate() string              { return "" }
func (dialect) SkipLocked() string             { return "" }

func (dialect) OptTime(t time.Time) any {
	if t.IsZero() {
		return int64(0)
	}
	return encodeTime(t)
}

func (dialect) ScanOptTime(t *time.Time) any { return optNanoTime{t} }

func (dialect) AnyOf(column string, values []string) (string, any) {
	list, _ := json.Marshal(values) // strings always encode
	return column + ` IN (SELECT value FROM json_each(?))`, string(list)
}

func (dialect) Lock(context.Context, sqlstore.Querier, string) error { return nil }

// nanoTime scans a time column (Unix nanoseconds) into a time.Time.
type nanoTime time.Time

// Scan implements sql.Scanner.
func (t *nanoTime) Scan(v any) error {
	ns, ok := v.(int64)
	if !ok {
		return fmt.Errorf("sqlite: a time column holds %T, not an integer", v)
	}
	*t = nanoTime(decodeTime(ns))
	return nil
}

// optNanoTime scans an optional time column (0 for none) into a time.Time.
type optNanoTime struct{ t *time.Time }

// Scan implements sql.Scanner.
func (o optNanoTime) Scan(v any) error {
	if ns, ok := v.(int64); ok && ns == 0 || v == nil {
		*o.t = time.Time{}
		return nil
	}
	return (*nanoTime)(o.t).Scan(v)
}

// nullNanoTime scans a nullable time column into a *time.Time.
type nullNanoTime struct{ t **time.Time }

// Scan implements sql.Scanner.
func (n nullNanoTime) Scan(v any) error {
	if v == nil {
		*n.t = nil
		return nil
	}
	var t time.Time
	if err := (*nanoTime)(&t).Scan(v); err != nil {
		return err
	}
	*n.t = &t
	return nil
}

// shared returns the store logic shared with PostgreSQL, over this DB.
func (db *DB) shared() *sqlstore.Store {
	s := sqlstore.New(dialect{}, db.clock.Now, poolQuerier{db.read}, func(ctx context.Context, fn func(q sqlstore.Querier) error) error {
		return db.writeTx(ctx, func(tx *Tx) error { return fn(txQuerier{tx}) })
	})
	s.LedgerRows = &db.counts.ledgerRows
	return s
}

// txQuerier runs sqlstore's queries in a transaction, prepared where they
// are hot statements.
type txQuerier struct{ tx *Tx }

func (q txQuerier) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return row{q.tx.queryRow(ctx, query, args...)}
}

func (q txQuerier) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	rs, err := q.tx.query(ctx, query, args...)
	if err != nil {
		return nil, translate(err)
	}
	return rows{rs}, nil
}

func (q txQuerier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	return affected(q.tx.exec(ctx, query, args...))
}

// poolQuerier runs sqlstore's queries on a pool, outside a transaction.
type poolQuerier struct{ pool *sql.DB }

func (p poolQuerier) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return row{p.pool.QueryRowContext(ctx, query, args...)}
}

func (p poolQuerier) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	rs, err := p.pool.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, translate(err)
	}
	return rows{rs}, nil
}

func (p poolQuerier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	return affected(p.pool.ExecContext(ctx, query, args...))
}

func affected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, translate(err)
	}
	n, err := res.RowsAffected()
	return n, translate(err)
}

// row translates a row's errors: sqlstore.ErrNoRows for none.
type row struct{ r *sql.Row }

func (r row) Scan(dest ...any) error {
	err := r.r.Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return sqlstore.ErrNoRows
	}
	return translate(err)
}

// rows translates a result's errors.
type rows struct{ rs *sql.Rows }

func (r rows) Next() bool             { return r.rs.Next() }
func (r rows) Scan(dest ...any) error { return translate(r.rs.Scan(dest...)) }
func (r rows) Err() error             { return translate(r.rs.Err()) }
func (r rows) Close()                 { r.rs.Close() }
