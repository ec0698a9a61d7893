package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	"modernc.org/sqlite"
)

func MustCachingDB(tb testing.TB) (*sql.DB, *cachingConn) {
	tb.Helper()
	db := sql.OpenDB(&connector{dsn: "file:" + filepath.Join(tb.TempDir(), "s.db"), drv: &sqlite.Driver{}, counts: &counts{}})
	db.SetMaxOpenConns(1)
	tb.Cleanup(func() { db.Close() })
	c, err := db.Conn(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	var cc *cachingConn
	if err := c.Raw(func(dc any) error { cc = dc.(*cachingConn); return nil }); err != nil {
		tb.Fatal(err)
	}
	c.Close()
	return db, cc
}

func TestStatementCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, cc := MustCachingDB(t)
	// A script is run, not cached.
	if _, err := db.ExecContext(ctx, `CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1), (2), (3);`); err != nil {
		t.Fatal(err)
	}
	if len(cc.stmts) != 0 {
		t.Errorf("got %d cached statements after a script, want 0", len(cc.stmts))
	}
	for i := range 5 {
		if _, err := db.ExecContext(ctx, `INSERT INTO t VALUES (?)`, 10+i); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.ExecContext(ctx, `SELECT 'once'`); err != nil {
		t.Fatal(err)
	}
	if _, ok := cc.stmts[`SELECT 'once'`]; ok {
		t.Error("a statement run once was cached, want it kept from its second run")
	}
	// The same query twice at once: the second runs on its own statement.
	outer, err := db.QueryContext(ctx, `SELECT n FROM t ORDER BY n`)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for outer.Next() {
		var n int
		if err := outer.Scan(&n); err != nil {
			t.Fatal(err)
		}
		got = append(got, n)
	}
	outer.Close()
	if len(got) != 8 {
		t.Fatalf("got %v, want 8 rows", got)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	r1, err := tx.QueryContext(ctx, `SELECT n FROM t ORDER BY n`)
	if err != nil {
		t.Fatal(err)
	}
	r1.Next()
	var first int
	_ = r1.Scan(&first)
	// r1 is open: the same SQL again must not disturb it.
	var count int
	if err := tx.QueryRowContext(ctx, `SELECT n FROM t ORDER BY n`).Scan(&count); err != nil {
		t.Fatal(err)
	}
	n := 1
	for r1.Next() {
		n++
	}
	r1.Close()
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if first != 1 || n != 8 {
		t.Errorf("got first %d and %d rows from the outer query, want 1 and 8", first, n)
	}
	if len(cc.stmts) != 2 {
		t.Errorf("got %d cached statements, want 2 (the insert and the select)", len(cc.stmts))
	}
	// The cache is bounded.
	for i := range stmtCacheSize + 10 {
		for range 2 {
			if _, err := db.ExecContext(ctx, fmt.Sprintf(`SELECT %d`, i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(cc.stmts) > stmtCacheSize {
		t.Errorf("got %d cached statements, want at most %d", len(cc.stmts), stmtCacheSize)
	}
}

func TestCacheable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		query string
		want  bool
	}{
		{"SELECT 1", true},
		{"SELECT 1;", true},
		{"SELECT 1;  -- done\n", true},
		{"SELECT 1; SELECT 2", false},
		{"SELECT 1;\n/* more */ SELECT 2;", false},
		{"-- one; two\nSELECT 1", true},
		{"/* a; b */ SELECT 1", true},
		{"SELECT 'a;b', \"c;d\", [e;f], `g;h`", true},
		{"SELECT 'it''s; fine'", true},
		{"SELECT 'open", false},
		{"UPDATE t SET x = 1 -- trailing comment without newline", true},
		{"SELECT 1; 'x'", false},
		{"SELECT 1; /* open comment", true},
		{"SELECT 1 /* open; comment", true},
	} {
		if got := cacheable(tc.query); got != tc.want {
			t.Errorf("cacheable(%q) = %v, want %v", tc.query, got, tc.want)
		}
	}
}
