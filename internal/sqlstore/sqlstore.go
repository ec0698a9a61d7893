// Package sqlstore holds the business rules the SQLite and PostgreSQL
// stores share, written once over a small dialect seam (the shape of
// River's drivers): a store gives it transactions that run SQL written with
// ? placeholders, and a Dialect for what the two databases spell
// differently (times, row locks, errors). What is specific to one database
// (its schema, migrations, job queue, notifications and batched write path)
// stays in its own package; the conformance suites in storetest judge both.
//
// The SQL here is the common subset of both dialects: ? placeholders (the
// PostgreSQL store rebinds them to $n), CASE instead of MAX/GREATEST, and
// booleans passed as arguments rather than spelt as literals.
package sqlstore

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// ErrNoRows is what a Row's Scan returns when the query found no row.
var ErrNoRows = errors.New("sqlstore: no rows")

// Row is one result row of QueryRow.
type Row interface {
	// Scan copies the row's columns into dest. It returns ErrNoRows when
	// there is no row, and a translated (domain) error for anything else.
	Scan(dest ...any) error
}

// Rows is the result of Query.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Querier runs SQL written with ? placeholders, in a transaction or on a
// pool. Errors are domain errors (the store's translation of its driver's).
type Querier interface {
	QueryRow(ctx context.Context, query string, args ...any) Row
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	// Exec runs a statement and returns the rows it affected.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
}

// Dialect is what the two databases spell differently.
type Dialect interface {
	// Time is t as a query argument of a time column.
	Time(t time.Time) any
	// ScanTime is a Scan destination that decodes a time column into t
	// (in UTC).
	ScanTime(t *time.Time) any
	// ScanNullTime is the same for a nullable column: nil for NULL.
	ScanNullTime(t **time.Time) any
	// OptTime is t as an argument of an optional time column, where the
	// zero time means none (NULL, or 0 on SQLite).
	OptTime(t time.Time) any
	// ScanOptTime decodes an optional time column into t (zero for none).
	ScanOptTime(t *time.Time) any
	// Truncate rounds t to what a time column keeps (PostgreSQL keeps
	// microseconds).
	Truncate(t time.Time) time.Time
	// ForUpdate is appended to a SELECT whose rows a transaction is about
	// to change ("" where the single writer makes it needless).
	ForUpdate() string
	// SkipLocked ends a sub-SELECT of rows to claim: rows another
	// transaction is claiming are skipped ("" with a single writer).
	SkipLocked() string
	// AnyOf is a condition that column is one of values, and its one
	// argument (no parameter limit applies).
	AnyOf(column string, values []string) (cond string, arg any)
	// Lock takes a lock named name, held to the end of q's transaction
	// (nothing where the single writer makes it needless).
	Lock(ctx context.Context, q Querier, name string) error
}

// Store is the shared logic of one store: it has the methods both stores
// export alike (embed it).
type Store struct {
	dialect Dialect
	now     func() time.Time
	read    Querier
	write   func(ctx context.Context, fn func(q Querier) error) error
	// LedgerRows, when set, counts the ledger rows Settle wrote.
	LedgerRows *atomic.Int64
}

// CountRows adds n to c (when set) if err is nil, and returns err: a
// store counts the rows a write committed, none of a failed one.
func CountRows(c *atomic.Int64, n int, err error) error {
	if err == nil && c != nil {
		c.Add(int64(n))
	}
	return err
}

// New returns the shared logic of a store: read runs queries outside a
// transaction, write runs fn in a write transaction (committed if fn
// returns nil), and now is the store's clock.
func New(d Dialect, now func() time.Time, read Querier, write func(ctx context.Context, fn func(q Querier) error) error) *Store {
	return &Store{dialect: d, now: now, read: read, write: write}
}

// clock returns the current time as the store keeps it.
func (s *Store) clock() time.Time { return s.dialect.Truncate(s.now()) }

// exists reports whether query (a SELECT COUNT(*)) counts any row.
func exists(ctx context.Context, q Querier, query string, args ...any) (bool, error) {
	var n int64
	if err := q.QueryRow(ctx, query, args...).Scan(&n); err != nil {
		return false, err
	}
	return n > 0, nil
}

// CustomerExists returns ENOTFOUND unless the customer exists.
func CustomerExists(ctx context.Context, q Querier, id string) error {
	ok, err := exists(ctx, q, `SELECT COUNT(*) FROM customers WHERE id = ?`, id)
	if err == nil && !ok {
		return copydesk.Errorf(copydesk.ENOTFOUND, "customer %q not found", id)
	}
	return err
}

// Conflict rephrases a unique violation as "a <what> already exists".
func Conflict(err error, what string) error {
	if copydesk.ErrorCode(err) == copydesk.ECONFLICT {
		return copydesk.Errorf(copydesk.ECONFLICT, "a %s already exists", what)
	}
	return err
}

// Rebind rewrites the ? placeholders of query as PostgreSQL's $1, $2, …
// (outside string literals, quoted names and comments). The result is
// cached: the store's queries are a small fixed set.
func Rebind(query string) string {
	if v, ok := rebound.Load(query); ok {
		return v.(string)
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'' || c == '"':
			end := len(query) - 1 // an unclosed quote runs to the end
			if j := strings.IndexByte(query[i+1:], c); j >= 0 {
				end = i + 1 + j
			}
			b.WriteString(query[i : end+1])
			i = end
		case c == '-' && i+1 < len(query) && query[i+1] == '-':
			j := strings.IndexByte(query[i:], '\n')
			if j < 0 {
				j = len(query) - i
			}
			b.WriteString(query[i : i+j])
			i += j - 1
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	out := b.String()
	rebound.Store(query, out)
	return out
}

var rebound sync.Map // query → rebound query

// Translated reports whether err needs no translation by a store: nil, a
// domain error, or the context's cancellation or deadline.
func Translated(err error) bool {
	if err == nil {
		return true
	}
	_, domain := errors.AsType[*copydesk.Error](err)
	return domain || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
