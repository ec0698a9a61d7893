package copydesk

import (
	"context"
	"time"
)

// Tier is a cache time-to-live class of the plan.
type Tier string

// Cache tiers and their default TTLs.
const (
	TierPermanent Tier = "permanent" // 90 d: finished analyses, published translations
	TierStable    Tier = "stable"    // 7 d: block and page templates
	TierDynamic   Tier = "dynamic"   // 1 h: SEO, draft translations, improvements
	TierRealtime  Tier = "realtime"  // 5-15 min: live generation, suggestions
)

// TTL returns the tier's default time to live.
func (t Tier) TTL() time.Duration {
	switch t {
	case TierPermanent:
		return 90 * 24 * time.Hour
	case TierStable:
		return 7 * 24 * time.Hour
	case TierDynamic:
		return time.Hour
	case TierRealtime:
		return 10 * time.Minute
	}
	return 0
}

// CacheEntry is a cached, finished, validated answer.
type CacheEntry struct {
	Key        string    // hex SHA-256, see the cache package
	CustomerID string    // partition; "" for shared entries
	UserID     string    // owner within the partition; "" when every user of the customer may read it
	Kind       string    // task kind
	Tier       Tier      //
	Value      []byte    // the encoded answer
	ExpiresAt  time.Time // the TTL lives with the value
	CreatedAt  time.Time
	CostMicros Micros // what producing it cost: the saving on each hit
}

// CacheFilter selects entries to purge. Empty fields do not filter; an empty
// filter selects everything.
type CacheFilter struct {
	CustomerID string
	Kind       string
	Tier       Tier
	Key        string
}

// CacheStore is a cache layer (in-process L1, embedded-store or Redis L2).
type CacheStore interface {
	// GetCache returns the entry, or ok=false if absent or expired.
	GetCache(ctx context.Context, key string) (entry *CacheEntry, ok bool, err error)
	// SetCache stores the entry, replacing any with the same key.
	SetCache(ctx context.Context, entry *CacheEntry) error
	// PurgeCache deletes the matching entries and returns how many.
	PurgeCache(ctx context.Context, filter CacheFilter) (int, error)
}

// CacheBatchGetter is a CacheStore that reads many keys in one round trip.
type CacheBatchGetter interface {
	// GetCaches returns the entries of keys, in their order: nil for a
	// key that is absent or expired.
	GetCaches(ctx context.Context, keys []string) ([]*CacheEntry, error)
}
