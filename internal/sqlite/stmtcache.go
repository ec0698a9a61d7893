package sqlite

import (
	"context"
	"database/sql/driver"
	"reflect"
	"strings"
	"sync/atomic"

	"modernc.org/sqlite"
)

// stmtCacheSize bounds the statements a connection keeps prepared; past it
// an idle one is closed for each new one.
const stmtCacheSize = 256

// stmtSeenSize bounds the SQL texts remembered as seen once: a statement is
// kept prepared from its second run, so that SQL made for one call (River
// inlines some values) never pushes the hot statements out.
const stmtSeenSize = 1024

// connector opens modernc connections that keep every statement run on
// them prepared, by its SQL text: parsing SQL again on every call was a
// sixth of the CPU of a job, most of it River's queries, which its driver
// runs as text.
type connector struct {
	dsn    string
	drv    *sqlite.Driver
	counts *counts // shared by the connectors of one DB
}

// counts are the statements and transactions run on a DB's connections.
type counts struct {
	statements, transactions atomic.Int64
	ledgerRows               atomic.Int64 // committed ledger rows
}

// Connect implements driver.Connector.
func (c *connector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return &cachingConn{conn: conn, stmts: map[string]*cachedStmt{}, seen: map[string]struct{}{}, counts: c.counts}, nil
}

// Driver implements driver.Connector.
func (c *connector) Driver() driver.Driver { return c.drv }

// conn is what cachingConn needs of a modernc connection.
type conn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// cachingConn is a connection with a statement cache. database/sql uses a
// connection from one goroutine at a time, so the cache needs no lock.
type cachingConn struct {
	conn  driver.Conn
	stmts map[string]*cachedStmt
	seen  map[string]struct{} // SQL run once, uncached

	counts *counts
}

// cachedStmt is a prepared statement; busy while rows it returned are open
// (a second use then prepares a statement of its own).
type cachedStmt struct {
	st   driver.Stmt
	busy bool
}

func (c *cachingConn) inner() conn { return c.conn.(conn) }

// cacheable reports whether query is one statement, safe to keep prepared:
// no semicolon outside comments, string literals and quoted names may be
// followed by more SQL. (River's completion query has a semicolon in a
// comment; a plain search kept it from ever being cached.)
func cacheable(query string) bool {
	end := false // a statement ended; only blanks and comments may follow
	for i := 0; i < len(query); i++ {
		if next, closed, quoted := skipLexeme(query, i); next > i {
			switch {
			case quoted && (end || !closed):
				return false // more SQL after the statement, or not SQL
			case !closed:
				return true // the rest is a comment
			}
			i = next - 1 // a doubled quote is two literals in a row: same result
			continue
		}
		switch c := query[i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		case end:
			return false
		case c == ';':
			end = true
		}
	}
	return true
}

// skipLexeme returns the index just after the comment, string literal or
// quoted name that starts at query[i] (i when none does; the query's
// length, with closed false, when it is not closed), and whether it is a
// literal or a quoted name rather than a comment.
func skipLexeme(query string, i int) (next int, closed, quoted bool) {
	end := ""
	switch c := query[i]; {
	case c == '-' && i+1 < len(query) && query[i+1] == '-':
		end = "\n"
	case c == '/' && i+1 < len(query) && query[i+1] == '*':
		end = "*/"
	case c == '\'' || c == '"' || c == '`':
		end, quoted = string(c), true
	case c == '[':
		end, quoted = "]", true
	default:
		return i, true, false
	}
	from := i + 1
	if !quoted {
		from = i + 2
	}
	j := strings.Index(query[from:], end)
	if j < 0 {
		return len(query), false, quoted
	}
	return from + j + len(end), true, quoted
}

// stmt returns the prepared statement of query, preparing it if needed,
// or nil when it must run uncached.
func (c *cachingConn) stmt(ctx context.Context, query string) (*cachedStmt, error) {
	if cs := c.stmts[query]; cs != nil {
		if cs.busy {
			return nil, nil
		}
		return cs, nil
	}
	if !cacheable(query) {
		return nil, nil
	}
	if _, again := c.seen[query]; !again {
		if len(c.seen) >= stmtSeenSize {
			clear(c.seen)
		}
		c.seen[query] = struct{}{}
		return nil, nil
	}
	delete(c.seen, query)
	if len(c.stmts) >= stmtCacheSize {
		for q, cs := range c.stmts { // a random idle one
			if !cs.busy {
				_ = cs.st.Close()
				delete(c.stmts, q)
				break
			}
		}
	}
	st, err := c.inner().PrepareContext(ctx, castLimits(query))
	if err != nil {
		return nil, err
	}
	cs := &cachedStmt{st: st}
	c.stmts[query] = cs
	return cs, nil
}

// QueryContext implements driver.QueryerContext through the cache.
func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	c.counts.statements.Add(1)
	cs, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.inner().QueryContext(ctx, query, args)
	}
	cs.busy = true
	rows, err := cs.st.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		cs.busy = false
		return nil, err
	}
	return &cachedRows{rows: rows, cs: cs}, nil
}

// ExecContext implements driver.ExecerContext through the cache.
func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	c.counts.statements.Add(1)
	cs, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.inner().ExecContext(ctx, query, args)
	}
	return cs.st.(driver.StmtExecContext).ExecContext(ctx, args)
}

// Prepare implements driver.Conn (uncached: the caller owns the statement).
func (c *cachingConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

// PrepareContext implements driver.ConnPrepareContext (uncached: the
// caller owns the statement, counted at each run).
func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := c.inner().PrepareContext(ctx, castLimits(query))
	if err != nil {
		return nil, err
	}
	return &countedStmt{stmt: st.(stmt), counts: c.counts}, nil
}

// Begin implements driver.Conn.
func (c *cachingConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

// BeginTx implements driver.ConnBeginTx.
func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	c.counts.transactions.Add(1)
	return c.inner().BeginTx(ctx, opts)
}

// Close closes the cached statements and the connection.
func (c *cachingConn) Close() error {
	for q, cs := range c.stmts {
		_ = cs.st.Close()
		delete(c.stmts, q)
	}
	return c.conn.Close()
}

// Ping implements driver.Pinger.
func (c *cachingConn) Ping(ctx context.Context) error { return c.inner().Ping(ctx) }

// ResetSession implements driver.SessionResetter.
func (c *cachingConn) ResetSession(ctx context.Context) error { return c.inner().ResetSession(ctx) }

// IsValid implements driver.Validator.
func (c *cachingConn) IsValid() bool { return c.inner().IsValid() }

// cachedRows are the rows of a cached statement, which is free again once
// they are closed.
type cachedRows struct {
	rows driver.Rows
	cs   *cachedStmt
}

func (r *cachedRows) Columns() []string              { return r.rows.Columns() }
func (r *cachedRows) Next(dest []driver.Value) error { return r.rows.Next(dest) }

func (r *cachedRows) Close() error {
	err := r.rows.Close()
	r.cs.busy = false
	return err
}

// The column type methods of modernc's rows, passed through.

func (r *cachedRows) ColumnTypeDatabaseTypeName(i int) string {
	return r.rows.(driver.RowsColumnTypeDatabaseTypeName).ColumnTypeDatabaseTypeName(i)
}

func (r *cachedRows) ColumnTypeLength(i int) (int64, bool) {
	return r.rows.(driver.RowsColumnTypeLength).ColumnTypeLength(i)
}

func (r *cachedRows) ColumnTypeNullable(i int) (bool, bool) {
	return r.rows.(driver.RowsColumnTypeNullable).ColumnTypeNullable(i)
}

func (r *cachedRows) ColumnTypePrecisionScale(i int) (int64, int64, bool) {
	return r.rows.(driver.RowsColumnTypePrecisionScale).ColumnTypePrecisionScale(i)
}

func (r *cachedRows) ColumnTypeScanType(i int) reflect.Type {
	return r.rows.(driver.RowsColumnTypeScanType).ColumnTypeScanType(i)
}

// stmt is what countedStmt needs of a modernc statement.
type stmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

// countedStmt is a statement prepared by its caller (the store's hot
// statements), counted at each run.
type countedStmt struct {
	stmt
	counts *counts
}

// Exec implements driver.Stmt.
func (s *countedStmt) Exec(args []driver.Value) (driver.Result, error) {
	s.counts.statements.Add(1)
	return s.stmt.Exec(args) // database/sql calls ExecContext; this is the interface's fallback
}

// Query implements driver.Stmt.
func (s *countedStmt) Query(args []driver.Value) (driver.Rows, error) {
	s.counts.statements.Add(1)
	return s.stmt.Query(args) // as Exec
}

// ExecContext implements driver.StmtExecContext.
func (s *countedStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.counts.statements.Add(1)
	return s.stmt.ExecContext(ctx, args)
}

// QueryContext implements driver.StmtQueryContext.
func (s *countedStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.counts.statements.Add(1)
	return s.stmt.QueryContext(ctx, args)
}
