package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"

	"testing"

	"github.com/copydesk/copydesk/internal/sqlite"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/storetest"
)

func BenchmarkCreateJob(b *testing.B) {
	storetest.BenchmarkCreateJob(b, MustOpen(b, nil))
}

func BenchmarkAppendEvent(b *testing.B) {
	storetest.BenchmarkAppendEvent(b, MustOpen(b, nil))
}

// BenchmarkSyncFull measures the writes with Options.SyncFull (an fsync per
// commit) against the default in the same run.
func BenchmarkSyncFull(b *testing.B) {
	for _, full := range []bool{false, true} {
		b.Run(fmt.Sprintf("SyncFull=%v", full), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "copydesk.db")
			db, err := sqlite.Open(context.Background(), path, sqlite.Options{SyncFull: full})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			b.Run("CreateJob", func(b *testing.B) { storetest.BenchmarkCreateJob(b, db) })
			b.Run("AppendEvent", func(b *testing.B) { storetest.BenchmarkAppendEvent(b, db) })
		})
	}
}

func BenchmarkFindEvents(b *testing.B) {
	storetest.BenchmarkFindEvents(b, MustOpen(b, nil))
}

func BenchmarkGetCache(b *testing.B) {
	clock := copydesk.SystemClock{}
	storetest.BenchmarkGetCache(b, MustOpen(b, clock), clock)
}

func BenchmarkLookupTM(b *testing.B) {
	storetest.BenchmarkLookupTM(b, MustOpen(b, nil))
}

func BenchmarkPutTM(b *testing.B) {
	storetest.BenchmarkPutTM(b, MustOpen(b, nil))
}
