package sqlite

import (
	"context"
	"hash/maphash"
	"sync"
	"sync/atomic"
)

// keyFilter is a Bloom filter of the cache keys stored in this database,
// kept when this process is the only one writing cache entries (the
// embedded mode): a key it has never seen is answered "absent" without a
// query, which is what a cache miss of unique work (a new prompt, a new
// page) costs otherwise. Deleted and expired keys stay in the filter (a
// false positive costs one query, never a wrong answer) until it is
// rebuilt, which happens in the background when it holds more keys than
// it was sized for.
type keyFilter struct {
	// inflight is held (read) from a key's add until its write commits, and
	// (write) by a rebuild while it starts, so that every key is either in
	// the rebuild's scan or added to the new filter.
	inflight sync.RWMutex

	mu         sync.Mutex
	bits       []uint64
	mask       uint64 // len(bits)*64 - 1; the length is a power of two
	capacity   int    // keys it is sized for
	added      int
	rebuilding bool
	recent     []string // keys added while a rebuild scans
	seed1      maphash.Seed
	seed2      maphash.Seed
	minKeys    int // the smallest capacity

	rebuilds atomic.Int64 // for tests
}

// keyFilterBitsPerKey sizes the filter: with 6 probes, about 0.1% false
// positives at capacity.
const (
	keyFilterBitsPerKey = 16
	keyFilterProbes     = 6
	keyFilterMinKeys    = 1 << 16
)

// newKeyFilter returns a filter sized for at least n keys.
func newKeyFilter(n int) *keyFilter { return newKeyFilterMin(n, keyFilterMinKeys) }

// newKeyFilterMin is newKeyFilter with a smaller minimum (tests).
func newKeyFilterMin(n, minKeys int) *keyFilter {
	f := &keyFilter{seed1: maphash.MakeSeed(), seed2: maphash.MakeSeed(), minKeys: minKeys}
	f.size(n)
	return f
}

// size allocates empty bits for at least n keys. Under f.mu.
func (f *keyFilter) size(n int) {
	words := 1
	for words*64 < max(n, f.minKeys)*keyFilterBitsPerKey {
		words *= 2
	}
	f.bits = make([]uint64, words)
	f.mask = uint64(words*64 - 1)
	f.capacity = words * 64 / keyFilterBitsPerKey
	f.added = 0
}

func (f *keyFilter) hashes(key string) (uint64, uint64) {
	return maphash.String(f.seed1, key), maphash.String(f.seed2, key) | 1
}

// set adds key to bits. Under f.mu.
func (f *keyFilter) set(key string) {
	h1, h2 := f.hashes(key)
	for i := range uint64(keyFilterProbes) {
		b := (h1 + i*h2) & f.mask
		f.bits[b>>6] |= 1 << (b & 63)
	}
	f.added++
}

// mayContain reports whether key may be stored; false means surely not.
func (f *keyFilter) mayContain(key string) bool {
	h1, h2 := f.hashes(key)
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range uint64(keyFilterProbes) {
		b := (h1 + i*h2) & f.mask
		if f.bits[b>>6]&(1<<(b&63)) == 0 {
			return false
		}
	}
	return true
}

// add records key before it is written and returns the function to call
// once the write has committed (or failed). It reports whether the filter
// is past its capacity and needs a rebuild.
func (f *keyFilter) add(key string) (done func(), full bool) {
	f.inflight.RLock()
	f.mu.Lock()
	f.set(key)
	if f.rebuilding {
		f.recent = append(f.recent, key)
	}
	full = f.added > f.capacity && !f.rebuilding
	f.mu.Unlock()
	return f.inflight.RUnlock, full
}

// rebuild refills the filter, sized for twice the keys scan yields, from
// scan (every stored key) and the keys added meanwhile. Only one runs at a
// time; a failed scan leaves the old filter, which stays correct.
func (f *keyFilter) rebuild(ctx context.Context, scan func(ctx context.Context, each func(key string)) error) {
	f.inflight.Lock()
	f.mu.Lock()
	if f.rebuilding {
		f.mu.Unlock()
		f.inflight.Unlock()
		return
	}
	f.rebuilding, f.recent = true, nil
	f.mu.Unlock()
	f.inflight.Unlock()
	// Every key added before this point has committed: the scan sees it.
	var keys []string
	err := scan(ctx, func(key string) { keys = append(keys, key) })
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rebuilding = false
	recent := f.recent
	f.recent = nil
	if err != nil {
		return
	}
	f.size(2 * (len(keys) + len(recent)))
	for _, k := range keys {
		f.set(k)
	}
	for _, k := range recent {
		f.set(k)
	}
	f.rebuilds.Add(1)
}
