// Package postgres is Copydesk's scale-out store: jobs, their event log and
// the L2 cache in PostgreSQL through pgx. It implements copydesk.JobStore and
// copydesk.CacheStore with the same behaviour as the sqlite package (both
// pass the storetest suite), and hands its pool to the River queue.
package postgres

import (
	"cmp"
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/groupcommit"
	"github.com/copydesk/copydesk/internal/sqlstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Options configures a DB. The zero value is usable.
type Options struct {
	// Clock tells the time of every stored timestamp. Default: copydesk.SystemClock.
	Clock copydesk.Clock
	// Logger receives migration logs. Default: discard.
	Logger *slog.Logger
	// MaxConns caps the pool, which the River queue shares (its listener
	// holds one connection). Default: the DSN's pool_max_conns if it has one,
	// else MaxConnsDefault.
	MaxConns int32
	// Schema, when set, is created if missing and used for every table
	// through the pool's search_path. It must be a plain lower-case SQL
	// identifier. Default: the server's search_path (usually public).
	Schema string
}

// MaxConnsDefault is the pool size when neither Options nor the DSN set one.
// pgx's own default (4 on a 2-core machine) is too small to share with River.
const MaxConnsDefault = 20

// DB is an open PostgreSQL store.
type DB struct {
	*sqlstore.Store // the rules shared with SQLite (budgets, access records)

	pool   *pgxpool.Pool
	schema string
	clock  copydesk.Clock
	logger *slog.Logger

	instance string                      // names this process in event notifications
	batch    groupcommit.Writer[*pgOp]   // group commit of the hot writes
	accepts  groupcommit.Writer[*accept] // group commit of accepted jobs

	counts *counter // statements and transactions run, for StoreStats
}

// Compile-time checks that DB implements the domain interfaces.
var (
	_ copydesk.JobStore            = (*DB)(nil)
	_ copydesk.JobWithEventsFinder = (*DB)(nil)
	_ copydesk.CacheStore          = (*DB)(nil)
	_ copydesk.CacheBatchGetter    = (*DB)(nil)
)

var identRE = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Open connects to the database at dsn (a postgres:// URL or key=value
// string), creates opts.Schema if set, and applies the embedded migrations
// that are not yet applied, under an advisory lock so that instances starting
// at once apply each migration exactly once. Returns EINVALID for a bad DSN
// or schema name and EUNAVAILABLE if the server cannot be reached. Error
// messages never contain the password.
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	if dsn == "" {
		return nil, copydesk.Errorf(copydesk.EINVALID, "postgres: database URL is empty")
	}
	if opts.Schema != "" && !identRE.MatchString(opts.Schema) {
		return nil, copydesk.Errorf(copydesk.EINVALID,
			"postgres: schema %q must be a lower-case identifier (letters, digits, _; at most 63)", opts.Schema)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx redacts the password in its parse errors; do not echo the DSN.
		return nil, copydesk.Errorf(copydesk.EINVALID, "postgres: database URL cannot be parsed: %s", parseErrorReason(err))
	}
	if opts.Schema != "" {
		cfg.ConnConfig.RuntimeParams["search_path"] = opts.Schema
	}
	switch {
	case opts.MaxConns < 0:
		return nil, copydesk.Errorf(copydesk.EINVALID, "postgres: MaxConns cannot be negative (got %d)", opts.MaxConns)
	case opts.MaxConns > 0:
		cfg.MaxConns = opts.MaxConns
	case !strings.Contains(dsn, "pool_max_conns"):
		cfg.MaxConns = MaxConnsDefault
	}
	db := &DB{
		counts:   &counter{},
		schema:   opts.Schema,
		clock:    cmp.Or[copydesk.Clock](opts.Clock, copydesk.SystemClock{}),
		logger:   opts.Logger,
		instance: copydesk.NewID("", time.Now()),
	}
	db.batch.WriteEach = db.writeOps
	db.accepts.Write = db.writeAccepts
	if db.logger == nil {
		db.logger = slog.New(slog.DiscardHandler)
	}
	cfg.ConnConfig.Tracer = db.counts
	where := fmt.Sprintf("%s:%d/%s", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database)
	if db.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, copydesk.Errorf(copydesk.EUNAVAILABLE, "postgres: cannot create a pool for %s: %s", where, safeReason(err))
	}
	if err := db.pool.Ping(ctx); err != nil {
		db.pool.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, copydesk.Errorf(copydesk.EUNAVAILABLE, "postgres: cannot reach %s: %s", where, safeReason(err))
	}
	if err := db.migrate(ctx); err != nil {
		db.pool.Close()
		return nil, err
	}
	db.Store = db.shared()
	return db, nil
}

// Close closes the pool. It is safe to call more than once.
func (db *DB) Close() { db.pool.Close() }

// Ping checks that the server answers. Returns EUNAVAILABLE if it does not.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return copydesk.Errorf(copydesk.EUNAVAILABLE, "postgres: server does not answer: %s", safeReason(err))
	}
	return nil
}

// Pool returns the connection pool, for the River queue's pgx driver. Its
// connections use the DB's schema.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Schema returns the schema set in Options, or "".
func (db *DB) Schema() string { return db.schema }

// now returns the clock's time in UTC, truncated to PostgreSQL's microsecond
// precision, so that what CreateJob sets on a job equals what is read back.
func (db *DB) now() time.Time { return pgTime(db.clock.Now()) }

// pgTime truncates t to microseconds in UTC.
func pgTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// migrate applies the embedded migrations in file-name order in one
// transaction that first takes an advisory lock on the schema.
func (db *DB) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("postgres: list migrations: %w", err)
	}
	sort.Strings(names)

	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return translate(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, "copydesk.migrate:"+db.schema); err != nil {
		return translate(err)
	}
	if db.schema != "" {
		if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{db.schema}.Sanitize()); err != nil {
			return copydesk.Errorf(copydesk.EUNAVAILABLE, "postgres: cannot create schema %q: %s", db.schema, safeReason(err))
		}
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    text PRIMARY KEY,
		applied_at timestamptz NOT NULL
	)`); err != nil {
		return copydesk.Errorf(copydesk.EUNAVAILABLE, "postgres: cannot create schema_migrations: %s", safeReason(err))
	}
	applied := map[string]bool{}
	rows, err := tx.Query(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return translate(err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return translate(err)
	}
	for _, v := range versions {
		applied[v] = true
	}
	var done []string
	for _, name := range names {
		version := strings.TrimSuffix(path.Base(name), ".sql")
		if applied[version] {
			continue
		}
		body, err := migrationFS.ReadFile(name)
		if err != nil {
			return fmt.Errorf("postgres: read migration %s: %w", name, err)
		}
		if _, err := tx.Exec(ctx, string(body)); err != nil {
			return copydesk.Errorf(copydesk.EUNAVAILABLE, "postgres: migration %s failed: %s", version, safeReason(err))
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`, version, db.now()); err != nil {
			return translate(err)
		}
		done = append(done, version)
	}
	if err := tx.Commit(ctx); err != nil {
		return translate(err)
	}
	for _, v := range done {
		db.logger.Info("postgres migration applied", "version", v, "schema", db.schema)
	}
	return nil
}

// Migrations returns the versions recorded in schema_migrations, in order.
func (db *DB) Migrations(ctx context.Context) ([]string, error) {
	rows, err := db.pool.Query(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return nil, translate(err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return versions, translate(err)
}

// writeTx runs fn in a read-committed transaction and commits if fn returns nil.
func (db *DB) writeTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return translate(err)
	}
	defer tx.Rollback(ctx)
	if err := fn(tx); err != nil {
		return err
	}
	return translate(tx.Commit(ctx))
}

// readTx runs fn in a read-only repeatable-read transaction (one snapshot).
func (db *DB) readTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return translate(err)
	}
	defer tx.Rollback(ctx)
	return fn(tx)
}

// translate turns pgx errors into domain errors at the seam: no rows becomes
// ENOTFOUND, unique violations ECONFLICT, connection loss, shutdown,
// serialization failures and deadlocks EUNAVAILABLE (retry later). Domain and
// context errors pass through unchanged.
func translate(err error) error {
	if sqlstore.Translated(err) {
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return copydesk.Errorf(copydesk.ENOTFOUND, "not found")
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "23505":
			return copydesk.Errorf(copydesk.ECONFLICT, "already exists")
		case pe.Code == "40001" || pe.Code == "40P01":
			return copydesk.Errorf(copydesk.EUNAVAILABLE, "the database was busy; try again")
		case strings.HasPrefix(pe.Code, "08"), strings.HasPrefix(pe.Code, "53"), strings.HasPrefix(pe.Code, "57"):
			return copydesk.Errorf(copydesk.EUNAVAILABLE, "the database is unavailable: %s", pe.Message)
		}
		return fmt.Errorf("postgres: %w", err)
	}
	var ne net.Error
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) || errors.As(err, &ne) || pgconn.SafeToRetry(err) {
		return copydesk.Errorf(copydesk.EUNAVAILABLE, "the database is unreachable: %s", safeReason(err))
	}
	return fmt.Errorf("postgres: %w", err)
}

// safeReason describes err for a message without the connection string: the
// server's message for a server error, the innermost cause otherwise.
func safeReason(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Message + " (SQLSTATE " + pe.Code + ")"
	}
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err.Error()
		}
		err = u
	}
}

// parseErrorReason returns why a DSN did not parse, without the DSN (URL
// parse errors quote the whole URL, password included).
func parseErrorReason(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) && pe.Unwrap() != nil {
		return pe.Unwrap().Error()
	}
	return "check its syntax, e.g. postgres://user:password@host:5432/database?sslmode=disable"
}

// notifyChannel is the channel of this schema's event notifications.
func (db *DB) notifyChannel() string {
	if db.schema == "" {
		return notifyChannel
	}
	return notifyChannel + "_" + db.schema
}

// Instance names this process in event notifications.
func (db *DB) Instance() string { return db.instance }
