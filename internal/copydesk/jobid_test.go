package copydesk_test

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

func TestNewJobID(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

	t.Run("Shape", func(t *testing.T) {
		id := copydesk.NewJobID(base)
		if got, want := len(id), len("job_")+26; got != want {
			t.Fatalf("len(%q): got %d, want %d", id, got, want)
		}
		if !strings.HasPrefix(id, "job_") {
			t.Fatalf("got %q, want prefix job_", id)
		}
		for _, r := range id[4:] {
			if !strings.ContainsRune("0123456789ABCDEFGHJKMNPQRSTVWXYZ", r) {
				t.Fatalf("got rune %q in %q, want Crockford base32", r, id)
			}
		}
	})

	t.Run("TimePrefix", func(t *testing.T) {
		// The first 10 characters encode the milliseconds: 0 ms is all zeros.
		id := copydesk.NewJobID(time.UnixMilli(0))
		if got, want := id[4:14], "0000000000"; got != want {
			t.Fatalf("time part: got %q, want %q", got, want)
		}
		id = copydesk.NewJobID(time.UnixMilli(1<<48 - 1))
		if got, want := id[4:14], "7ZZZZZZZZZ"; got != want {
			t.Fatalf("time part: got %q, want %q", got, want)
		}
	})

	t.Run("SortsByTime", func(t *testing.T) {
		var ids []string
		for i := range 100 {
			ids = append(ids, copydesk.NewJobID(base.Add(time.Duration(i)*time.Millisecond)))
		}
		if !sort.StringsAreSorted(ids) {
			t.Fatalf("got unsorted IDs %v, want sorted by time", ids)
		}
	})

	t.Run("Unique", func(t *testing.T) {
		seen := make(map[string]bool)
		for range 10000 {
			id := copydesk.NewJobID(base)
			if seen[id] {
				t.Fatalf("got duplicate ID %q", id)
			}
			seen[id] = true
		}
	})
}
