package redis_test

import (
	"testing"

	"github.com/copydesk/copydesk/internal/cache/cachetest"
	"github.com/copydesk/copydesk/internal/storetest"
)

// TestClaimsDeduplicateAcrossProcesses runs the shared-layer test with two
// Redis clients (two processes) on one prefix as L2 and claims.
func TestClaimsDeduplicateAcrossProcesses(t *testing.T) {
	t.Parallel()
	cs := mustInstances(t, 2)
	cachetest.TestDeduplicateAcrossProcesses(t, cachetest.Shared{L2: cs[0], Claims: cs[0]}, cachetest.Shared{L2: cs[1], Claims: cs[1]})
}

func TestClaimLeases(t *testing.T) {
	t.Parallel()
	cs := mustInstances(t, 2)
	cachetest.TestClaimLeases(t, cs[0], cs[1], storetest.Key("leased"))
}

func TestAbandonedClaim(t *testing.T) {
	t.Parallel()
	cs := mustInstances(t, 2)
	cachetest.TestAbandonedClaim(t, cachetest.Shared{L2: cs[0], Claims: cs[0]}, cachetest.Shared{L2: cs[1], Claims: cs[1]})
}
