package cache

import (
	"bytes"
	"cmp"
	"context"
	"math"
	"sync/atomic"
	"time"

	"github.com/maypok86/otter/v2"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// DefaultMemoryBytes is the default byte bound of a MemoryStore: 64 MiB.
const DefaultMemoryBytes = 64 << 20

// entryOverhead is what an entry costs beyond its strings and value: the
// CacheEntry struct, otter's node and the hash table slot, rounded up.
const entryOverhead = 192

// MemoryOptions configures a MemoryStore.
type MemoryOptions struct {
	// MaxBytes bounds the weight of all entries (value, key, customer and kind
	// bytes plus a fixed per-entry overhead). Default DefaultMemoryBytes.
	MaxBytes uint64
	// Clock decides expiry on reads and writes. Default copydesk.SystemClock.
	Clock copydesk.Clock
}

// MemoryStore is the in-process L1 cache layer: a copydesk.CacheStore on
// otter, bounded in bytes, with per-entry expiry taken from each entry's
// ExpiresAt. Entries are checked against the injected clock on every read, so
// a fake clock expires them in tests. Safe for concurrent use.
type MemoryStore struct {
	clock copydesk.Clock
	c     *otter.Cache[string, *copydesk.CacheEntry]
	usage [4]tierUsage
}

// tierUsage counts one tier's contents in a store.
type tierUsage struct {
	entries, bytes, evictions, expirations atomic.Int64
}

var _ copydesk.CacheStore = (*MemoryStore)(nil)

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore(opts MemoryOptions) *MemoryStore {
	s := &MemoryStore{clock: cmp.Or[copydesk.Clock](opts.Clock, copydesk.SystemClock{})}
	s.c = otter.Must(&otter.Options[string, *copydesk.CacheEntry]{
		MaximumWeight: cmp.Or(opts.MaxBytes, DefaultMemoryBytes),
		Weigher:       func(_ string, e *copydesk.CacheEntry) uint32 { return entryWeight(e) },
		ExpiryCalculator: otter.ExpiryWritingFunc(func(e otter.Entry[string, *copydesk.CacheEntry]) time.Duration {
			// otter keeps real time; the injected clock only gives the
			// remaining lifetime. Reads check ExpiresAt themselves.
			return max(e.Value.ExpiresAt.Sub(s.clock.Now()), time.Nanosecond)
		}),
		OnAtomicDeletion: s.onDeletion,
	})
	return s
}

// entryWeight is what an entry counts against MaxBytes.
func entryWeight(e *copydesk.CacheEntry) uint32 {
	n := uint64(len(e.Value)) + uint64(len(e.Key)+len(e.CustomerID)+len(e.UserID)+len(e.Kind)+len(e.Tier)) + entryOverhead
	return uint32(min(n, math.MaxUint32))
}

// onDeletion keeps the per-tier figures; it runs under otter's bucket lock.
func (s *MemoryStore) onDeletion(ev otter.DeletionEvent[string, *copydesk.CacheEntry]) {
	u := s.tierUsage(ev.Value.Tier)
	if u == nil {
		return
	}
	u.entries.Add(-1)
	u.bytes.Add(-int64(entryWeight(ev.Value)))
	switch ev.Cause {
	case otter.CauseOverflow:
		u.evictions.Add(1)
	case otter.CauseExpiration:
		u.expirations.Add(1)
	}
}

func (s *MemoryStore) tierUsage(t copydesk.Tier) *tierUsage {
	i := tierIndex(t)
	if i < 0 {
		return nil
	}
	return &s.usage[i]
}

// GetCache returns a copy of the entry, or ok=false if it is absent or
// expired by the store's clock.
func (s *MemoryStore) GetCache(_ context.Context, key string) (*copydesk.CacheEntry, bool, error) {
	e, ok := s.get(key)
	if !ok {
		return nil, false, nil
	}
	cp := *e
	cp.Value = bytes.Clone(e.Value)
	return &cp, true, nil
}

// get returns the stored entry itself, not a copy: the Cache's hit path,
// which hands values out read-only.
func (s *MemoryStore) get(key string) (*copydesk.CacheEntry, bool) {
	e, ok := s.c.GetIfPresent(key)
	if !ok {
		return nil, false
	}
	if !s.clock.Now().Before(e.ExpiresAt) {
		s.removeIf(key, e)
		return nil, false
	}
	return e, true
}

// SetCache stores a copy of the entry, replacing any with the same key; a
// zero CreatedAt becomes the clock's now. An entry that has already expired
// by the store's clock removes the key instead. Returns EINVALID for an entry
// without a key, with an unknown tier, without or with an absurd expiry, or
// with a negative cost.
func (s *MemoryStore) SetCache(_ context.Context, entry *copydesk.CacheEntry) error {
	if err := validateEntry(entry); err != nil {
		return err
	}
	now := s.clock.Now()
	if !now.Before(entry.ExpiresAt) {
		s.c.Invalidate(entry.Key)
		return nil
	}
	e := *entry
	e.Value = bytes.Clone(entry.Value)
	if e.CreatedAt.IsZero() {
		e.CreatedAt = now
	}
	u := s.tierUsage(e.Tier)
	u.entries.Add(1)
	u.bytes.Add(int64(entryWeight(&e)))
	s.c.Set(e.Key, &e)
	return nil
}

// validateEntry checks what every store needs of an entry.
func validateEntry(e *copydesk.CacheEntry) error {
	switch {
	case e == nil:
		return copydesk.Errorf(copydesk.EINVALID, "cache entry is missing")
	case e.Key == "":
		return copydesk.Errorf(copydesk.EINVALID, "cache entry has no key")
	case !validTier(e.Tier):
		return copydesk.Errorf(copydesk.EINVALID, "cache entry %s has unknown tier %q", e.Key, e.Tier)
	case e.ExpiresAt.IsZero():
		return copydesk.Errorf(copydesk.EINVALID, "cache entry %s has no expiry time", e.Key)
	case e.ExpiresAt.After(maxExpiry):
		return copydesk.Errorf(copydesk.EINVALID, "cache entry %s expires after %s; TTLs are at most months", e.Key, maxExpiry.Format(time.DateOnly))
	case e.CostMicros < 0:
		return copydesk.Errorf(copydesk.EINVALID, "cache entry %s has a negative cost", e.Key)
	}
	return nil
}

// maxExpiry is the latest ExpiresAt accepted, as in the SQL stores.
var maxExpiry = time.Date(2200, time.January, 1, 0, 0, 0, 0, time.UTC)

// removeIf deletes key only while it still maps to e, so that a concurrent
// write of a fresh value is not lost.
func (s *MemoryStore) removeIf(key string, e *copydesk.CacheEntry) bool {
	removed := false
	s.c.ComputeIfPresent(key, func(old *copydesk.CacheEntry) (*copydesk.CacheEntry, otter.ComputeOp) {
		if old != e {
			return old, otter.CancelOp
		}
		removed = true
		return nil, otter.InvalidateOp
	})
	return removed
}

// PurgeCache deletes the entries matching filter and returns how many. An
// empty filter deletes everything.
func (s *MemoryStore) PurgeCache(_ context.Context, f copydesk.CacheFilter) (int, error) {
	if f.Key != "" {
		e, ok := s.c.GetIfPresent(f.Key)
		if ok && Matches(e, f) && s.removeIf(f.Key, e) {
			return 1, nil
		}
		return 0, nil
	}
	n := 0
	for key, e := range s.c.All() {
		if Matches(e, f) && s.removeIf(key, e) {
			n++
		}
	}
	return n, nil
}

// Matches reports whether filter selects the entry.
func Matches(e *copydesk.CacheEntry, f copydesk.CacheFilter) bool {
	return (f.Key == "" || f.Key == e.Key) &&
		(f.CustomerID == "" || f.CustomerID == e.CustomerID) &&
		(f.Kind == "" || f.Kind == e.Kind) &&
		(f.Tier == "" || f.Tier == e.Tier)
}

// Usage is what a store holds of one tier.
type Usage struct {
	// Entries and Bytes are what the tier holds now (bytes as weighed
	// against the store's bound).
	Entries, Bytes int64
	// Evictions counts entries dropped to stay under the byte bound.
	Evictions int64
	// Expirations counts entries dropped because their TTL ran out.
	Expirations int64
}

// UsageReporter is implemented by stores that can count their contents per
// tier. Cache.Stats reports entries, bytes and evictions of layers that
// implement it.
type UsageReporter interface {
	// CacheUsage returns the store's contents per tier.
	CacheUsage(ctx context.Context) (map[copydesk.Tier]Usage, error)
}

var _ UsageReporter = (*MemoryStore)(nil)

// CacheUsage returns the store's contents per tier. Evictions are applied
// by otter's maintenance, which runs on writes and in the background, so
// the figures can trail a burst of writes briefly; call Cleanup first for
// exact figures.
func (s *MemoryStore) CacheUsage(context.Context) (map[copydesk.Tier]Usage, error) {
	m := make(map[copydesk.Tier]Usage, len(Tiers))
	for i, t := range Tiers {
		u := &s.usage[i]
		m[t] = Usage{Entries: u.entries.Load(), Bytes: u.bytes.Load(), Evictions: u.evictions.Load(), Expirations: u.expirations.Load()}
	}
	return m, nil
}

// Cleanup runs otter's pending maintenance (evictions, expirations) now.
func (s *MemoryStore) Cleanup() { s.c.CleanUp() }

// Close stops the store's background goroutine. The store stays usable but no
// longer expires entries in the background. Safe to call more than once.
func (s *MemoryStore) Close() { s.c.StopAllGoroutines() }
