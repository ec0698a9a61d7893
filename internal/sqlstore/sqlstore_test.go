package sqlstore

import "testing"

func TestRebind(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`a = ? AND b = ?`, `a = $1 AND b = $2`},
		{`x = '?' AND y = ?`, `x = '?' AND y = $1`},
		{`"we?ird" = ? -- what?` + "\n" + `AND z = ?`, `"we?ird" = $1 -- what?` + "\n" + `AND z = $2`},
		{`s = 'unclosed ?`, `s = 'unclosed ?`},
		{`-- only a comment ?`, `-- only a comment ?`},
		{`v IN (?, ?, ?)`, `v IN ($1, $2, $3)`},
	} {
		if got := Rebind(tc.in); got != tc.want {
			t.Errorf("Rebind(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := Rebind(tc.in); got != tc.want { // from the cache
			t.Errorf("Rebind(%q) again = %q, want %q", tc.in, got, tc.want)
		}
	}
}
