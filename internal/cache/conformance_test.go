package cache_test

import (
	"testing"

	"github.com/copydesk/copydesk/internal/cache"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/storetest"
)

// TestMemoryStoreConformance runs the shared CacheStore suite, as the SQLite
// and PostgreSQL stores do.
func TestMemoryStoreConformance(t *testing.T) {
	storetest.TestCacheStore(t, func(t *testing.T, clock copydesk.Clock) copydesk.CacheStore {
		return MustMemoryStore(t, clock, cache.DefaultMemoryBytes)
	})
}
