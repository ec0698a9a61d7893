package cache_test

import (
	"context"
	"testing"

	"github.com/copydesk/copydesk/internal/cache/cachetest"
	"github.com/copydesk/copydesk/internal/pgtest"
	"github.com/copydesk/copydesk/internal/postgres"
	"github.com/copydesk/copydesk/internal/storetest"
)

// mustPostgresInstances opens n stores on one fresh PostgreSQL schema: n
// processes sharing it.
func mustPostgresInstances(t *testing.T, n int) []*postgres.DB {
	t.Helper()
	dsn, schema := pgtest.MustSchema(t)
	var out []*postgres.DB
	for range n {
		db, err := postgres.Open(context.Background(), dsn, postgres.Options{Schema: schema})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(db.Close)
		out = append(out, db)
	}
	return out
}

// TestClaimsDeduplicateAcrossProcesses runs the shared-layer test with two
// caches on one PostgreSQL schema (two processes) as L2 and claims.
func TestClaimsDeduplicateAcrossProcesses(t *testing.T) {
	t.Parallel()
	dbs := mustPostgresInstances(t, 2)
	cachetest.TestDeduplicateAcrossProcesses(t, cachetest.Shared{L2: dbs[0], Claims: dbs[0]}, cachetest.Shared{L2: dbs[1], Claims: dbs[1]})
}

func TestClaimLeasesPostgres(t *testing.T) {
	t.Parallel()
	dbs := mustPostgresInstances(t, 2)
	cachetest.TestClaimLeases(t, dbs[0], dbs[1], storetest.Key("leased"))
}

func TestAbandonedClaimPostgres(t *testing.T) {
	t.Parallel()
	dbs := mustPostgresInstances(t, 2)
	cachetest.TestAbandonedClaim(t, cachetest.Shared{L2: dbs[0], Claims: dbs[0]}, cachetest.Shared{L2: dbs[1], Claims: dbs[1]})
}
