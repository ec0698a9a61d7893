package cache

import (
	"context"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/outage"
)

// Defaults of FallbackOptions.
const (
	FallbackCooldownDefault     = outage.CooldownDefault
	FallbackWarnIntervalDefault = outage.WarnIntervalDefault
)

// FallbackOptions configures a FallbackStore: its clock (not the clock of what
// the primary holds: a test clock that stands still would keep the primary
// skipped for ever), logger, cooldown and warning interval
// (outage.Options; Warning has a default of its own).
type FallbackOptions = outage.Options

// FallbackStore is a copydesk.CacheStore in front of a shared layer that
// may be out (Redis as the L2): while the primary is out, a read misses and
// a write is skipped, so that the cache serves on from L1, the durable
// store and the provider, and an outage of the shared layer does not become
// an outage of the API.
//
// An outage is an EUNAVAILABLE error of the primary. After one, the primary
// is skipped for Cooldown; every read and write it skips or fails is
// counted (Fallbacks), and a warning is logged at most once per
// WarnInterval. Other errors (an invalid or too large entry, an internal
// error) are returned as they are and start no cooldown, and so is the
// error of a request cut short by its own cancellation. PurgeCache always
// asks the primary and returns its error: a purge is never skipped in
// silence. CacheUsage reports the primary's usage when it reports any.
//
// Since an outage reads as a miss, Cache.Owner cannot tell it from an
// absent entry: give the Cache a Durable store for the kinds whose absence
// matters (reports fetched by key), as cmd/copydesk does with Redis.
type FallbackStore struct {
	primary copydesk.CacheStore
	guard   *outage.Guard
}

var (
	_ copydesk.CacheStore       = (*FallbackStore)(nil)
	_ copydesk.CacheBatchGetter = (*FallbackStore)(nil)
	_ UsageReporter             = (*FallbackStore)(nil)
)

// NewFallbackStore returns a FallbackStore in front of primary.
func NewFallbackStore(primary copydesk.CacheStore, opts FallbackOptions) *FallbackStore {
	return &FallbackStore{primary: primary, guard: outage.New(opts.WithWarning("shared cache failed; reads miss and writes are skipped until it answers"))}
}

// GetCache returns the primary's entry; while the primary is out, a miss.
// Returns the primary's errors other than EUNAVAILABLE.
func (f *FallbackStore) GetCache(ctx context.Context, key string) (*copydesk.CacheEntry, bool, error) {
	if !f.guard.Up() {
		f.guard.Skip()
		return nil, false, nil
	}
	e, ok, err := f.primary.GetCache(ctx, key)
	if err != nil && f.out(ctx, err) {
		return nil, false, nil
	}
	return e, ok, err
}

// GetCaches returns the primary's entries of keys, in one round trip when
// it reads many at once (copydesk.CacheBatchGetter); while the primary is
// out, misses. Returns the primary's errors other than EUNAVAILABLE.
func (f *FallbackStore) GetCaches(ctx context.Context, keys []string) ([]*copydesk.CacheEntry, error) {
	out := make([]*copydesk.CacheEntry, len(keys))
	bg, ok := f.primary.(copydesk.CacheBatchGetter)
	if !ok {
		for i, key := range keys {
			e, _, err := f.GetCache(ctx, key)
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	}
	if !f.guard.Up() {
		f.guard.Skip()
		return out, nil
	}
	es, err := bg.GetCaches(ctx, keys)
	if err != nil {
		if f.out(ctx, err) {
			return out, nil
		}
		return nil, err
	}
	return es, nil
}

// SetCache stores the entry in the primary; while the primary is out, it
// does nothing. Returns the primary's errors other than EUNAVAILABLE.
func (f *FallbackStore) SetCache(ctx context.Context, e *copydesk.CacheEntry) error {
	if !f.guard.Up() {
		f.guard.Skip()
		return nil
	}
	if err := f.primary.SetCache(ctx, e); err != nil && !f.out(ctx, err) {
		return err
	}
	return nil
}

// PurgeCache deletes the matching entries of the primary, even while it is
// out, and returns its answer.
func (f *FallbackStore) PurgeCache(ctx context.Context, filter copydesk.CacheFilter) (int, error) {
	return f.primary.PurgeCache(ctx, filter)
}

// CacheUsage returns the primary's contents per tier if it reports them
// (UsageReporter), nil otherwise. Returns EUNAVAILABLE while the primary is
// out.
func (f *FallbackStore) CacheUsage(ctx context.Context) (map[copydesk.Tier]Usage, error) {
	r, ok := f.primary.(UsageReporter)
	if !ok {
		return nil, nil
	}
	if !f.guard.Up() {
		return nil, copydesk.Errorf(copydesk.EUNAVAILABLE, "the shared cache failed less than the fallback cooldown ago")
	}
	return r.CacheUsage(ctx)
}

// Fallbacks returns how many reads and writes missed or skipped the primary
// because it was out (a counter for metrics).
func (f *FallbackStore) Fallbacks() uint64 { return f.guard.Fallbacks() }

// out reports whether err of the primary is an outage to fall back from
// (EUNAVAILABLE, not of a request cut short by its own cancellation): if
// so the guard counts it, starts the cooldown and warns.
func (f *FallbackStore) out(ctx context.Context, err error) bool {
	if copydesk.ErrorCode(err) != copydesk.EUNAVAILABLE || !f.guard.Failed(ctx, err) {
		return false
	}
	f.guard.Skip()
	return true
}
