package cache_test

import (
	"context"
	"testing"

	"github.com/copydesk/copydesk/internal/cache/cachetest"
	"github.com/copydesk/copydesk/internal/pgtest"
	"github.com/copydesk/copydesk/internal/postgres"
)

// TestClaimsDeduplicateAcrossProcesses runs the shared-layer test with two
// caches on one PostgreSQL store as L2 and claims.
func TestClaimsDeduplicateAcrossProcesses(t *testing.T) {
	t.Parallel()
	dsn, schema := pgtest.MustSchema(t)
	db, err := postgres.Open(context.Background(), dsn, postgres.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	shared := cachetest.Shared{L2: db, Claims: db}
	cachetest.TestDeduplicateAcrossProcesses(t, shared, shared)
}
