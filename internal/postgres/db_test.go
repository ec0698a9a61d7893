package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/postgres"
	"github.com/copydesk/copydesk/internal/storetest"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
)

// DSNEnv names the environment variable with the test server's URL.
const DSNEnv = "COPYDESK_TEST_POSTGRES"

// MustDSN returns the test server's URL. It skips the test if DSNEnv is not
// set; when it is set, an unreachable server fails the test (never skips).
func MustDSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(DSNEnv)
	if dsn == "" {
		tb.Skip(DSNEnv + " not set: set it to e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run the PostgreSQL tests")
	}
	return dsn
}

// MustSchema returns a new random schema name, dropped when tb ends.
func MustSchema(tb testing.TB) string {
	tb.Helper()
	dsn := MustDSN(tb)
	schema := "copydesk_test_" + strings.ToLower(hex.EncodeToString(randomBytes(6)))
	tb.Cleanup(func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return schema
}

// MustOpen opens a store in a new random schema that is dropped when tb ends.
func MustOpen(tb testing.TB, clock copydesk.Clock) *postgres.DB {
	tb.Helper()
	return MustOpenSchema(tb, MustSchema(tb), clock)
}

// MustOpenSchema opens a store in schema, closed when tb ends.
func MustOpenSchema(tb testing.TB, schema string, clock copydesk.Clock) *postgres.DB {
	tb.Helper()
	db, err := postgres.Open(context.Background(), MustDSN(tb), postgres.Options{Clock: clock, Schema: schema})
	if err != nil {
		tb.Fatalf("Open(%s=..., schema %s): got error %v, want nil (is the server running?)", DSNEnv, schema, err)
	}
	tb.Cleanup(db.Close)
	return db
}

// sep returns the separator before one more URL query parameter.
func sep(dsn string) string {
	if strings.Contains(dsn, "?") {
		return "&"
	}
	return "?"
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func TestJobStore(t *testing.T) {
	MustDSN(t)
	storetest.TestJobStore(t, func(t *testing.T, clock copydesk.Clock) copydesk.JobStore {
		return MustOpen(t, clock)
	})
}

func TestCacheStore(t *testing.T) {
	MustDSN(t)
	storetest.TestCacheStore(t, func(t *testing.T, clock copydesk.Clock) copydesk.CacheStore {
		return MustOpen(t, clock)
	})
}

func TestCacheStoreValidation(t *testing.T) {
	MustDSN(t)
	storetest.TestCacheStoreValidation(t, func(t *testing.T, clock copydesk.Clock) copydesk.CacheStore {
		return MustOpen(t, clock)
	})
}

func TestTranslationStore(t *testing.T) {
	MustDSN(t)
	storetest.TestTranslationStore(t, func(t *testing.T, clock copydesk.Clock) copydesk.TranslationStore {
		return MustOpen(t, clock)
	})
}

var wantMigrations = []string{"0001_jobs", "0002_cache", "0003_access", "0004_cache_claims", "0005_translation", "0010_ledger_calls", "0012_cache_claim_owner", "0013_instance_samples", "0020_api_key_models", "0030_ledger_key", "0040_cache_owner", "0041_key_budgets", "0042_job_key", "0060_batch_tier"}

func TestOpen(t *testing.T) {
	dsn := MustDSN(t)
	ctx := context.Background()

	t.Run("MigrationsIdempotent", func(t *testing.T) {
		t.Parallel()
		schema := MustSchema(t)
		clock := storetest.NewClock(storetest.Epoch())
		db := MustOpenSchema(t, schema, clock)
		if err := db.Ping(ctx); err != nil {
			t.Fatalf("Ping: got %v, want nil", err)
		}
		job := &copydesk.Job{Kind: "analysis", Input: json.RawMessage(`{"a":1}`)}
		storetest.MustCreateJob(t, db, job)
		db.Close()
		db.Close() // twice is harmless

		for i := range 2 {
			db := MustOpenSchema(t, schema, clock)
			got, err := db.Migrations(ctx)
			if err != nil {
				t.Fatalf("Migrations: %v", err)
			}
			if diff := cmp.Diff(wantMigrations, got); diff != "" {
				t.Errorf("open %d: migrations (-want +got):\n%s", i, diff)
			}
			if diff := cmp.Diff(job, storetest.MustFindJob(t, db, job.ID)); diff != "" {
				t.Errorf("open %d: job after reopen (-want +got):\n%s", i, diff)
			}
			db.Close()
		}
	})

	t.Run("ConcurrentOpen", func(t *testing.T) {
		// Instances starting at once on a new schema: the advisory lock lets
		// one migrate; the others find the work done.
		t.Parallel()
		schema := MustSchema(t)
		var wg sync.WaitGroup
		dbs := make([]*postgres.DB, 4)
		errs := make([]error, len(dbs))
		for i := range dbs {
			wg.Go(func() { dbs[i], errs[i] = postgres.Open(ctx, dsn, postgres.Options{Schema: schema}) })
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

	t.Run("SchemaIsolation", func(t *testing.T) {
		t.Parallel()
		a, b := MustOpen(t, nil), MustOpen(t, nil)
		job := &copydesk.Job{Kind: "analysis"}
		storetest.MustCreateJob(t, a, job)
		if _, err := b.FindJobByID(ctx, job.ID); copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
			t.Errorf("job of schema %s seen from %s: got %v, want ENOTFOUND", a.Schema(), b.Schema(), err)
		}
		// The pool handed to River uses the schema too.
		var sp string
		if err := a.Pool().QueryRow(ctx, `SHOW search_path`).Scan(&sp); err != nil || sp != a.Schema() {
			t.Errorf("search_path: got %q (err %v), want %q", sp, err, a.Schema())
		}
	})

	t.Run("MaxConns", func(t *testing.T) {
		t.Parallel()
		schema := MustSchema(t)
		for _, tt := range []struct {
			name string
			dsn  string
			opt  int32
			want int32
		}{
			{"Default", dsn, 0, postgres.MaxConnsDefault},
			{"Option", dsn, 7, 7},
			{"DSN", dsn + sep(dsn) + "pool_max_conns=5", 0, 5},
			{"OptionOverDSN", dsn + sep(dsn) + "pool_max_conns=5", 9, 9},
		} {
			t.Run(tt.name, func(t *testing.T) {
				db, err := postgres.Open(ctx, tt.dsn, postgres.Options{Schema: schema, MaxConns: tt.opt})
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				if got := db.Pool().Config().MaxConns; got != tt.want {
					t.Errorf("MaxConns: got %d, want %d", got, tt.want)
				}
			})
		}
	})

	t.Run("BadOptions", func(t *testing.T) {
		t.Parallel()
		for _, tt := range []struct {
			name, dsn, schema string
		}{
			{"EmptyDSN", "", ""},
			{"UnparsableDSN", "postgres://user:s3cret@host:notaport/db", ""},
			{"BadSchema", dsn, "Robert'); DROP TABLE jobs;--"},
			{"UpperCaseSchema", dsn, "Copydesk"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				_, err := postgres.Open(ctx, tt.dsn, postgres.Options{Schema: tt.schema})
				if got, want := copydesk.ErrorCode(err), copydesk.EINVALID; got != want {
					t.Fatalf("got code %q (%v), want %q", got, err, want)
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Errorf("error %q contains the password", err)
				}
				t.Logf("message: %s", copydesk.ErrorMessage(err))
			})
		}
	})

	t.Run("Unreachable", func(t *testing.T) {
		t.Parallel()
		// Port 1 on loopback: nothing listens there.
		_, err := postgres.Open(ctx, "postgres://copydesk:s3cret@127.0.0.1:1/x?sslmode=disable&connect_timeout=2", postgres.Options{})
		if got, want := copydesk.ErrorCode(err), copydesk.EUNAVAILABLE; got != want {
			t.Fatalf("got code %q (%v), want %q", got, err, want)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("error %q contains the password", err)
		}
		t.Logf("message: %s", copydesk.ErrorMessage(err))
	})
}

// TestCancelledContext: a cancelled context ends an operation with the
// context's error, which callers can tell apart with errors.Is.
func TestCancelledContext(t *testing.T) {
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

// TestFindJobWithEvents: a connecting stream reads the job and its first
// events in one round trip, with FindJobByID's and FindEvents' answers.
func TestFindJobWithEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := MustOpen(t, storetest.NewClock(storetest.Epoch()))
	job := &copydesk.Job{Kind: "analysis", Input: json.RawMessage(`{"a":1}`)}
	storetest.MustCreateJob(t, db, job)
	for _, typ := range []string{"a", "b", "c"} {
		storetest.MustAppendEvent(t, db, &copydesk.Event{JobID: job.ID, Type: typ, Data: json.RawMessage(`{}`)})
	}
	before := db.StoreStats().RoundTrips
	got, evs, err := db.FindJobWithEvents(ctx, job.ID, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if n := db.StoreStats().RoundTrips - before; n != 1 {
		t.Errorf("%d round trips, want 1", n)
	}
	if diff := cmp.Diff(storetest.MustFindJob(t, db, job.ID), got); diff != "" {
		t.Errorf("job (-FindJobByID +FindJobWithEvents):\n%s", diff)
	}
	want, err := db.FindEvents(ctx, job.ID, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, evs); diff != "" || len(evs) != 1 || evs[0].Seq != 2 {
		t.Errorf("events after 1, at most 1 (-FindEvents +FindJobWithEvents):\n%s", diff)
	}
	if _, evs, err := db.FindJobWithEvents(ctx, job.ID, 3, 0); err != nil || evs == nil || len(evs) != 0 {
		t.Errorf("none after the last: %v, %v; want an empty list", evs, err)
	}
	if _, _, err := db.FindJobWithEvents(ctx, "job_missing", 0, 0); copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
		t.Errorf("a missing job: %v, want ENOTFOUND", err)
	}
	if _, _, err := db.FindJobWithEvents(ctx, job.ID, 0, -1); copydesk.ErrorCode(err) != copydesk.EINVALID {
		t.Errorf("a negative limit: %v, want EINVALID", err)
	}
}
