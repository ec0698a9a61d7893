package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"testing"
)

func TestCastLimits(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"SELECT 1 LIMIT ?", "SELECT 1 LIMIT CAST(? AS INTEGER)"},
		{"SELECT 1 limit ?5", "SELECT 1 limit CAST(?5 AS INTEGER)"},
		{"SELECT id FROM t WHERE id IN (SELECT id FROM t ORDER BY id\n    LIMIT ?5\n)", "SELECT id FROM t WHERE id IN (SELECT id FROM t ORDER BY id\n    LIMIT CAST(?5 AS INTEGER)\n)"},
		{"SELECT 1 LIMIT ? OFFSET ?", "SELECT 1 LIMIT CAST(? AS INTEGER) OFFSET ?"},
		{"SELECT 1 LIMIT ?;", "SELECT 1 LIMIT CAST(? AS INTEGER);"},
		{"SELECT 1 LIMIT ?2 -- the page", "SELECT 1 LIMIT CAST(?2 AS INTEGER) -- the page"},
		{"SELECT 1 LIMIT ?1, ?2", "SELECT 1 LIMIT CAST(?1 AS INTEGER), ?2"},
		{"SELECT (SELECT 1 LIMIT ?) AS a, (SELECT 2 LIMIT ?) AS b", "SELECT (SELECT 1 LIMIT CAST(? AS INTEGER)) AS a, (SELECT 2 LIMIT CAST(? AS INTEGER)) AS b"},
		// Left alone.
		{"SELECT 1 LIMIT 10", "SELECT 1 LIMIT 10"},
		{"SELECT 1 LIMIT ? + 1", "SELECT 1 LIMIT ? + 1"},
		{"SELECT 1 LIMIT (?)", "SELECT 1 LIMIT (?)"},
		{"SELECT 1 LIMIT :n", "SELECT 1 LIMIT :n"},
		{"SELECT 'LIMIT ?' AS s", "SELECT 'LIMIT ?' AS s"},
		{`SELECT "x LIMIT ?" FROM t`, `SELECT "x LIMIT ?" FROM t`},
		{"SELECT 1 /* LIMIT ? */", "SELECT 1 /* LIMIT ? */"},
		{"SELECT 1 -- LIMIT ?\n", "SELECT 1 -- LIMIT ?\n"},
		{"SELECT nolimit ? FROM t", "SELECT nolimit ? FROM t"},
		{"SELECT limits ? FROM t", "SELECT limits ? FROM t"},
		{"SELECT 1 LIMIT", "SELECT 1 LIMIT"},
		{"SELECT 'unterminated LIMIT ?", "SELECT 'unterminated LIMIT ?"},
		{"", ""},
	} {
		if got := castLimits(tc.in); got != tc.want {
			t.Errorf("castLimits(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestCastLimitsSameRows runs a statement kept prepared (its third run
// on the connection) with a LIMIT that changes from run to run, through
// the store's connections: the cast limit gives the rows the limit asks
// for, and a NULL is still refused.
func TestCastLimitsSameRows(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "t.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	conn, err := db.write.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	ctx := context.Background()
	if _, err := conn.ExecContext(ctx, `CREATE TEMP TABLE n (v INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO n (v) SELECT value FROM generate_series(1, 20)`); err != nil {
		if _, err := conn.ExecContext(ctx, `WITH RECURSIVE s(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM s WHERE v < 20) INSERT INTO n (v) SELECT v FROM s`); err != nil {
			t.Fatal(err)
		}
	}
	const q = `SELECT v FROM n WHERE v IN (SELECT v FROM n ORDER BY v LIMIT ?1) ORDER BY v`
	for _, limit := range []any{3, 3, 3, 7, 1, 0, -1, 25, int64(2), "4"} {
		rows, err := conn.QueryContext(ctx, q, limit)
		if err != nil {
			t.Fatalf("limit %v: %v", limit, err)
		}
		var got []int
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				t.Fatal(err)
			}
			got = append(got, v)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		n := 0
		switch l := limit.(type) {
		case int:
			n = l
		case int64:
			n = int(l)
		case string:
			n = 4
		}
		if n < 0 || n > 20 {
			n = 20
		}
		want := make([]int, n)
		for i := range want {
			want[i] = i + 1
		}
		if !slices.Equal(got, want) {
			t.Errorf("limit %v: rows %v, want %v", limit, got, want)
		}
	}
	var v int
	if err := conn.QueryRowContext(ctx, q, nil).Scan(&v); err == nil || err == sql.ErrNoRows {
		t.Errorf("limit NULL: %v, want SQLite's datatype mismatch", err)
	}
}
