package cache_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/copydesk/copydesk/internal/cache"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/sqlite"
)

// TestL2SurvivesRestart uses the embedded SQLite store as L2: an answer
// computed before a restart is served from L2 after it, without a provider
// call, and then from L1.
func TestL2SurvivesRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newFakeClock()
	path := filepath.Join(t.TempDir(), "copydesk.db")
	var calls int
	var mu sync.Mutex
	fn := constFn(&calls, &mu, `{"readability":61.2}`, 2500)
	r := req("analysis", "A page worth keeping across restarts.")

	run := func(want ...cache.Source) {
		t.Helper()
		db, err := sqlite.Open(ctx, path, sqlite.Options{Clock: clock})
		if err != nil {
			t.Fatalf("sqlite.Open: %v", err)
		}
		defer func() {
			if err := db.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		}()
		c := MustNew(t, clock, db)
		for i, w := range want {
			v, o, err := c.Do(ctx, r, fn)
			if err != nil || string(v) != `{"readability":61.2}` || o.Source != w {
				t.Errorf("call %d: got %q, %q, %v, want the answer from %s", i, v, o.Source, err, w)
			}
		}
		// As a server shutting down does: the answers go to L2 after
		// their callers have them, and must be there before the store
		// closes (CI of e597bc7 closed it first).
		mustStore(t, c)
	}
	run(cache.SourceMiss, cache.SourceL1)
	run(cache.SourceL2, cache.SourceL1) // restarted: empty L1, same database
	if calls != 1 {
		t.Errorf("got %d provider calls, want 1", calls)
	}
	clock.Add(copydesk.TierPermanent.TTL())
	run(cache.SourceMiss)
	if calls != 2 {
		t.Errorf("after the permanent TTL: got %d provider calls, want 2", calls)
	}
}
