// Package sqlite is Copydesk's embedded store: jobs, their event log and the
// L2 cache in one SQLite file, through the pure-Go modernc.org/sqlite driver
// (no cgo). It implements copydesk.JobStore and copydesk.CacheStore.
//
// Writes go through a pool of one connection with immediate transactions, so
// they are serialized inside the process and take SQLite's write lock up front
// across processes (with a busy timeout). Reads use a separate read-only pool
// of several connections, which WAL lets run beside the writer.
package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/groupcommit"
	"github.com/copydesk/copydesk/internal/sqlstore"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// ReadConnsDefault is the default size of the read pool.
const ReadConnsDefault = 4

// Options configures a DB. The zero value is usable.
type Options struct {
	// Clock tells the time of every stored timestamp. Default: copydesk.SystemClock.
	Clock copydesk.Clock
	// Logger receives migration and maintenance logs. Default: discard.
	Logger *slog.Logger
	// SyncFull makes every commit wait for fsync (PRAGMA synchronous=FULL),
	// so that even a power loss keeps all committed writes. Default false:
	// synchronous=NORMAL, with which WAL loses nothing when the process is
	// killed, only possibly the last commits on a power loss or kernel crash,
	// and writes are several times faster (see BENCHMARKS.md).
	SyncFull bool
	// ReadConns is the number of read-only connections.
	// Default: ReadConnsDefault or the number of CPUs, whichever is larger.
	ReadConns int
	// SoleCacheWriter promises that no other process writes cache entries
	// to this file while it is open (the embedded mode locks its data
	// directory). The store then keeps a filter of the stored keys and
	// answers a miss for a key it never stored without a query. Default
	// false.
	SoleCacheWriter bool
}

// DB is an open SQLite store.
type DB struct {
	*sqlstore.Store // the rules shared with PostgreSQL (budgets, access records)

	write  *sql.DB // one connection, immediate transactions
	read   *sql.DB // read-only connections
	path   string
	clock  copydesk.Clock
	logger *slog.Logger

	keys  *keyFilter               // the stored cache keys (SoleCacheWriter); nil: none
	batch groupcommit.Writer[txOp] // group commit of the hot writes

	getCacheStmt *sql.Stmt            // on the read pool
	writeStmts   map[string]*sql.Stmt // hot statements prepared on the write pool, by SQL text
	readStmts    map[string]*sql.Stmt // the same on the read pool

	counts *counts // statements and transactions run, for StoreStats
}

// StoreStats returns the statements and transactions run on the database
// since it was opened, the queue's and the migrations' included.
func (db *DB) StoreStats() copydesk.StoreStats {
	return copydesk.StoreStats{Statements: db.counts.statements.Load(), Transactions: db.counts.transactions.Load(),
		LedgerRows: db.counts.ledgerRows.Load()}
}

// Compile-time checks that DB implements the domain interfaces.
var (
	_ copydesk.JobStore   = (*DB)(nil)
	_ copydesk.CacheStore = (*DB)(nil)
)

// Open opens (creating if needed) the SQLite database at path, creates its
// parent directory, and applies the embedded migrations that are not yet
// applied. Returns EINVALID for an unusable path and EUNAVAILABLE if the file
// cannot be opened or migrated.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if path == "" {
		return nil, copydesk.Errorf(copydesk.EINVALID, "sqlite: database path is empty")
	}
	if strings.ContainsAny(path, "?#") {
		return nil, copydesk.Errorf(copydesk.EINVALID, "sqlite: database path %q must not contain '?' or '#'", path)
	}
	if opts.ReadConns < 0 {
		return nil, copydesk.Errorf(copydesk.EINVALID, "sqlite: ReadConns cannot be negative (got %d)", opts.ReadConns)
	}
	db := &DB{
		path:   path,
		clock:  cmp.Or[copydesk.Clock](opts.Clock, copydesk.SystemClock{}),
		logger: opts.Logger,
	}
	if db.logger == nil {
		db.logger = slog.New(slog.DiscardHandler)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, copydesk.Errorf(copydesk.EUNAVAILABLE, "sqlite: cannot create data directory %q: %v", dir, err)
		}
	}

	const pragmas = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)" // busy_timeout first: _pragma values run in order, and switching a new file to WAL needs the lock
	var err error
	sync := "NORMAL"
	if opts.SyncFull {
		sync = "FULL"
	}
	drv := &sqlite.Driver{}
	db.counts = &counts{}
	db.write = sql.OpenDB(&connector{dsn: "file:" + path + "?" + pragmas + "&_pragma=synchronous(" + sync + ")&_txlock=immediate", drv: drv, counts: db.counts})
	db.write.SetMaxOpenConns(1)
	db.write.SetMaxIdleConns(1)
	db.write.SetConnMaxIdleTime(0)
	db.write.SetConnMaxLifetime(0)

	// The writer creates the file and the WAL before any reader connects.
	if err := db.migrate(ctx); err != nil {
		db.write.Close()
		return nil, err
	}

	// No mmap for the readers: a reader that starts a transaction after a
	// write drops its page cache and, with mmap, unmaps and maps the file
	// again, and under a stream of writes that is every read. Measured on
	// the jobs row of copydesk bench (three pairs), mmap cost 12-14 % more
	// server CPU per job; a point read of a job went from a third of its
	// CPU in munmap, mmap and page faults to reading pages with pread.
	db.read = sql.OpenDB(&connector{dsn: "file:" + path + "?" + pragmas + "&_pragma=query_only(1)&_txlock=deferred", drv: drv, counts: db.counts})
	n := cmp.Or(opts.ReadConns, max(ReadConnsDefault, runtime.NumCPU()))
	db.read.SetMaxOpenConns(n)
	db.read.SetMaxIdleConns(n)
	if err := retryBusy(ctx, func() error { return db.read.PingContext(ctx) }); err != nil {
		db.Close()
		return nil, copydesk.Errorf(copydesk.EUNAVAILABLE, "sqlite: cannot open %q for reading: %v", path, err)
	}
	if db.writeStmts, err = prepareAll(ctx, db.write, preparedWrite); err != nil {
		db.Close()
		return nil, err
	}
	if db.readStmts, err = prepareAll(ctx, db.read, preparedRead); err != nil {
		db.Close()
		return nil, err
	}
	db.getCacheStmt = db.readStmts[getCacheSQL]
	db.Store = db.shared()
	db.batch.WriteEach = db.writeBatch
	if opts.SoleCacheWriter {
		if err := db.openKeyFilter(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

// Close closes both pools. It is safe to call more than once.
func (db *DB) Close() error {
	var errs []error
	for _, stmts := range []map[string]*sql.Stmt{db.writeStmts, db.readStmts} {
		for _, s := range stmts {
			errs = append(errs, s.Close())
		}
	}
	if db.read != nil {
		errs = append(errs, db.read.Close())
	}
	if db.write != nil {
		errs = append(errs, db.write.Close())
	}
	return errors.Join(errs...)
}

// Ping checks that the database answers on both pools. Returns EUNAVAILABLE
// if it does not.
func (db *DB) Ping(ctx context.Context) error {
	for _, p := range []*sql.DB{db.write, db.read} {
		var one int
		if err := p.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return copydesk.Errorf(copydesk.EUNAVAILABLE, "sqlite: database %q does not answer: %v", db.path, err)
		}
	}
	return nil
}

// Path returns the database file's path.
func (db *DB) Path() string { return db.path }

// migrate applies the embedded migrations in file-name order, each in its own
// immediate transaction together with its row in schema_migrations, so that a
// crash leaves either all of a migration or none of it, and two processes
// starting at once apply each migration exactly once.
func (db *DB) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("sqlite: list migrations: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := db.migrateFileRetrying(ctx, name); err != nil {
			return err
		}
	}
	return nil
}

// openBusyWait bounds how long Open retries a database another connection
// is setting up: switching a new file to WAL takes a lock that SQLite may
// refuse at once (SQLITE_BUSY) instead of waiting for the busy timeout.
const openBusyWait = 10 * time.Second

// migrateFileRetrying runs migrateFile, retrying while the file is busy.
func (db *DB) migrateFileRetrying(ctx context.Context, name string) error {
	return retryBusy(ctx, func() error { return db.migrateFile(ctx, name) })
}

// retryBusy runs f until it does not fail with "database is locked", for
// at most openBusyWait.
func retryBusy(ctx context.Context, f func() error) error {
	deadline := time.Now().Add(openBusyWait)
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, 500*time.Millisecond) {
		err := f()
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// isBusy reports whether err is SQLite's "database is locked".
func isBusy(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	}
	return false
}

func (db *DB) migrateFile(ctx context.Context, name string) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%w: %w", copydesk.Errorf(copydesk.EUNAVAILABLE, "sqlite: cannot open %q", db.path), err)
	}
	defer tx.Rollback()

	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    TEXT PRIMARY KEY,
		applied_at INTEGER NOT NULL
	)`); err != nil {
		return fmt.Errorf("%w: %w", copydesk.Errorf(copydesk.EUNAVAILABLE, "sqlite: cannot create schema_migrations in %q", db.path), err)
	}
	version := strings.TrimSuffix(filepath.Base(name), ".sql")
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil {
		return fmt.Errorf("sqlite: read schema_migrations: %w", err)
	} else if n > 0 {
		return nil
	}
	body, err := migrationFS.ReadFile(name)
	if err != nil {
		return fmt.Errorf("sqlite: read migration %s: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return fmt.Errorf("%w: %w", copydesk.Errorf(copydesk.EUNAVAILABLE, "sqlite: migration %s failed on %q", version, db.path), err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
		version, encodeTime(db.clock.Now())); err != nil {
		return fmt.Errorf("sqlite: record migration %s: %w", version, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%w: %w", copydesk.Errorf(copydesk.EUNAVAILABLE, "sqlite: commit migration %s on %q", version, db.path), err)
	}
	db.logger.Info("sqlite migration applied", "version", version, "path", db.path)
	return nil
}

// Migrations returns the versions recorded in schema_migrations, in order.
func (db *DB) Migrations(ctx context.Context) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var versions []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, translate(err)
		}
		versions = append(versions, v)
	}
	return versions, translate(rows.Err())
}

// translate turns driver errors into domain errors at the seam: unique
// violations become ECONFLICT, a database still locked after the busy timeout
// EUNAVAILABLE. Domain errors and context errors pass through unchanged.
func translate(err error) error {
	if sqlstore.Translated(err) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return copydesk.Errorf(copydesk.ENOTFOUND, "not found")
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE:
			return copydesk.Errorf(copydesk.ECONFLICT, "already exists")
		}
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return copydesk.Errorf(copydesk.EUNAVAILABLE, "the database is busy; try again")
		case sqlite3.SQLITE_FULL:
			return copydesk.Errorf(copydesk.EUNAVAILABLE, "the disk is full")
		}
	}
	return fmt.Errorf("sqlite: %w", err)
}

// encodeTime stores t as UTC Unix nanoseconds.
func encodeTime(t time.Time) int64 { return t.UnixNano() }

// decodeTime reads a time stored by encodeTime, in UTC.
func decodeTime(ns int64) time.Time { return time.Unix(0, ns).UTC() }

// WritePool returns the write pool of one connection, for the job queue,
// whose tables live in this database so that a job and its queue row commit
// together (copydesk.JobStore.AcceptJob).
func (db *DB) WritePool() *sql.DB { return db.write }
