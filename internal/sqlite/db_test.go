package sqlite_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/sqlite"
	"github.com/copydesk/copydesk/internal/storetest"
	"github.com/google/go-cmp/cmp"
)

// MustOpen opens a new database in a temporary directory, reading time from
// clock, and closes it when tb ends.
func MustOpen(tb testing.TB, clock copydesk.Clock) *sqlite.DB {
	tb.Helper()
	return MustOpenPath(tb, filepath.Join(tb.TempDir(), "copydesk.db"), clock)
}

// MustOpenPath opens the database at path and closes it when tb ends.
func MustOpenPath(tb testing.TB, path string, clock copydesk.Clock) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), path, sqlite.Options{Clock: clock})
	if err != nil {
		tb.Fatalf("Open(%q): got error %v, want nil", path, err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return db
}

func TestJobStore(t *testing.T) {
	storetest.TestJobStore(t, func(t *testing.T, clock copydesk.Clock) copydesk.JobStore {
		return MustOpen(t, clock)
	})
}

func TestCacheStore(t *testing.T) {
	storetest.TestCacheStore(t, func(t *testing.T, clock copydesk.Clock) copydesk.CacheStore {
		return MustOpen(t, clock)
	})
}

func TestTranslationStore(t *testing.T) {
	storetest.TestTranslationStore(t, func(t *testing.T, clock copydesk.Clock) copydesk.TranslationStore {
		return MustOpen(t, clock)
	})
}

var wantMigrations = []string{"0001_jobs", "0002_cache", "0003_access", "0004_translation", "0010_ledger_calls", "0011_cache_write_indexes", "0020_api_key_models", "0030_ledger_key", "0040_cache_owner", "0041_key_budgets", "0042_job_key", "0060_batch_tier", "0061_drop_last_seq"}

func TestOpen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("CreatesParentDirectory", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "a", "b", "copydesk.db")
		db := MustOpenPath(t, path, nil)
		if err := db.Ping(ctx); err != nil {
			t.Fatalf("Ping: got %v, want nil", err)
		}
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("database file: %v", err)
		}
	})

	t.Run("MigrationsIdempotent", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "copydesk.db")
		clock := storetest.NewClock(storetest.Epoch())
		db := MustOpenPath(t, path, clock)
		job := &copydesk.Job{Kind: "analysis", CustomerID: "cus_1", Input: json.RawMessage(`{"a":1}`)}
		storetest.MustCreateJob(t, db, job)
		storetest.MustAppendEvent(t, db, &copydesk.Event{JobID: job.ID, Type: copydesk.EventDone, Data: json.RawMessage(`{}`)})
		storetest.MustSetCache(t, db, &copydesk.CacheEntry{Key: "k", Kind: "analysis", Tier: copydesk.TierStable,
			Value: []byte("v"), ExpiresAt: clock.Now().Add(copydesk.TierStable.TTL())})
		if err := db.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := db.Close(); err != nil {
			t.Fatalf("second Close: got %v, want nil", err)
		}

		// Reopen twice: nothing is applied again and the data is intact.
		for i := range 2 {
			db := MustOpenPath(t, path, clock)
			got, err := db.Migrations(ctx)
			if err != nil {
				t.Fatalf("Migrations: %v", err)
			}
			if diff := cmp.Diff(wantMigrations, got); diff != "" {
				t.Errorf("open %d: migrations (-want +got):\n%s", i, diff)
			}
			found := storetest.MustFindJob(t, db, job.ID)
			if diff := cmp.Diff(job, found); diff != "" {
				t.Errorf("open %d: job after reopen (-want +got):\n%s", i, diff)
			}
			events, err := db.FindEvents(ctx, job.ID, 0, 0)
			if err != nil || len(events) != 1 {
				t.Errorf("open %d: got %d events (err %v), want 1", i, len(events), err)
			}
			if e, ok := storetest.MustGetCache(t, db, "k"); !ok || string(e.Value) != "v" {
				t.Errorf("open %d: cache entry after reopen: got %v, %v, want value v", i, e, ok)
			}
			db.Close()
		}
	})

	t.Run("ConcurrentOpen", func(t *testing.T) {
		// Several stores opening one new file at once apply each migration once.
		t.Parallel()
		path := filepath.Join(t.TempDir(), "copydesk.db")
		var wg sync.WaitGroup
		dbs := make([]*sqlite.DB, 4)
		errs := make([]error, len(dbs))
		for i := range dbs {
			wg.Go(func() { dbs[i], errs[i] = sqlite.Open(ctx, path, sqlite.Options{}) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("Open %d: got %v, want nil", i, err)
			}
			defer dbs[i].Close()
		}
		got, err := dbs[0].Migrations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(wantMigrations, got); diff != "" {
			t.Errorf("migrations (-want +got):\n%s", diff)
		}
	})

	t.Run("BadPath", func(t *testing.T) {
		t.Parallel()
		for _, path := range []string{"", "data/x.db?mode=memory", "data/x#y.db"} {
			_, err := sqlite.Open(ctx, path, sqlite.Options{})
			if got, want := copydesk.ErrorCode(err), copydesk.EINVALID; got != want {
				t.Errorf("Open(%q): got code %q (%v), want %q", path, got, err, want)
			}
		}
	})

	t.Run("UnusableDirectory", func(t *testing.T) {
		t.Parallel()
		// A regular file where the directory should be.
		file := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(file, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := sqlite.Open(ctx, filepath.Join(file, "copydesk.db"), sqlite.Options{})
		if got, want := copydesk.ErrorCode(err), copydesk.EUNAVAILABLE; got != want {
			t.Errorf("got code %q (%v), want %q", got, err, want)
		}
	})

	t.Run("PingAfterClose", func(t *testing.T) {
		t.Parallel()
		db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "x.db"), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		if err := db.Ping(ctx); copydesk.ErrorCode(err) != copydesk.EUNAVAILABLE {
			t.Errorf("Ping after Close: got %v, want EUNAVAILABLE", err)
		}
	})
}

// TestAppendEventAcrossProcesses appends to one job through two DBs on one
// file, as two processes would: sequence numbers stay 1..n.
func TestAppendEventAcrossProcesses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "copydesk.db")
	a, b := MustOpenPath(t, path, nil), MustOpenPath(t, path, nil)
	job := &copydesk.Job{Kind: "generation"}
	storetest.MustCreateJob(t, a, job)

	const each = 100
	var wg sync.WaitGroup
	for _, db := range []*sqlite.DB{a, b, a, b} {
		wg.Go(func() {
			for i := range each {
				if err := db.AppendEvent(ctx, &copydesk.Event{JobID: job.ID, Type: copydesk.EventDelta, Data: json.RawMessage(fmt.Sprint(i))}); err != nil {
					t.Errorf("AppendEvent: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	events, err := b.FindEvents(ctx, job.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(events), 4*each; got != want {
		t.Fatalf("got %d events, want %d", got, want)
	}
	for i, ev := range events {
		if ev.Seq != int64(i+1) {
			t.Fatalf("events[%d].Seq: got %d, want %d", i, ev.Seq, i+1)
		}
	}
}

func TestCacheStoreValidation(t *testing.T) {
	storetest.TestCacheStoreValidation(t, func(t *testing.T, clock copydesk.Clock) copydesk.CacheStore {
		return MustOpen(t, clock)
	})
}

// TestCancelledContext: a cancelled context ends an operation with the
// context's error, which callers can tell apart with errors.Is.
func TestCancelledContext(t *testing.T) {
	t.Parallel()
	db := MustOpen(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := db.CreateJob(ctx, &copydesk.Job{Kind: "analysis"}); !errors.Is(err, context.Canceled) {
		t.Errorf("CreateJob: got %v, want context.Canceled", err)
	}
	if _, err := db.FindJobByID(ctx, "job_x"); !errors.Is(err, context.Canceled) {
		t.Errorf("FindJobByID: got %v, want context.Canceled", err)
	}
	if _, _, err := db.GetCache(ctx, "k"); !errors.Is(err, context.Canceled) {
		t.Errorf("GetCache: got %v, want context.Canceled", err)
	}
}

func TestBatchStore(t *testing.T) {
	storetest.TestBatchStore(t, func(t *testing.T, clock copydesk.Clock) copydesk.BatchStore {
		return MustOpen(t, clock)
	})
}
