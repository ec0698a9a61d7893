package sqlite

import (
	"context"
	"path/filepath"
	"testing"
)

// TestPragmas checks that the DSN's pragmas took effect on both pools: the
// driver ignores parameters it does not know without a word.
func TestPragmas(t *testing.T) {
	t.Parallel()
	for _, full := range []bool{false, true} {
		db, err := Open(context.Background(), filepath.Join(t.TempDir(), "x.db"), Options{SyncFull: full})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		wantSync := 1 // NORMAL
		if full {
			wantSync = 2
		}
		for _, tt := range []struct {
			pool   string
			pragma string
			want   string
		}{
			{"write", "journal_mode", "wal"},
			{"write", "busy_timeout", "10000"},
			{"write", "foreign_keys", "1"},
			{"write", "synchronous", string(rune('0' + wantSync))},
			{"write", "query_only", "0"},
			{"read", "journal_mode", "wal"},
			{"read", "busy_timeout", "10000"},
			{"read", "query_only", "1"},
		} {
			p := db.write
			if tt.pool == "read" {
				p = db.read
			}
			var got string
			if err := p.QueryRow("PRAGMA " + tt.pragma).Scan(&got); err != nil {
				t.Fatalf("%s pool: PRAGMA %s: %v", tt.pool, tt.pragma, err)
			}
			if got != tt.want {
				t.Errorf("SyncFull=%v, %s pool: PRAGMA %s: got %q, want %q", full, tt.pool, tt.pragma, got, tt.want)
			}
		}
		// The read pool cannot write.
		if _, err := db.read.Exec(`DELETE FROM jobs`); err == nil {
			t.Errorf("SyncFull=%v: write on the read pool: got nil error, want one", full)
		}
	}
}
