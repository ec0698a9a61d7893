// Package cache is Copydesk's tiered result cache and request deduplication:
// the part of the product that makes sure a provider is never paid twice for
// the same work item while its answer is still valid.
//
// # Keys
//
// [Key] hashes a canonical, length-prefixed encoding of everything that can
// change an answer: the customer partition (or the shared partition), the task
// kind, the normalized input (Unicode NFC, CRLF folded to LF, outer whitespace
// trimmed, inner whitespace folded when the caller says it cannot matter), every
// output-affecting parameter, the model class and the prompt-template or
// analyzer version. Bumping a version changes exactly that version's keys.
//
// # Tiers
//
// A [TierConfig] maps task kinds to the plan's four TTL tiers
// (copydesk.TierPermanent … copydesk.TierRealtime); [DefaultTiers] holds the
// plan's choices. The TTL lives with the value (copydesk.CacheEntry.ExpiresAt),
// never in the key, so changing a tier's TTL needs no purge.
//
// # Layers and deduplication
//
// A [Cache] reads an in-process L1 (a [MemoryStore], bounded in bytes, on
// github.com/maypok86/otter/v2), then an optional shared L2 (any
// copydesk.CacheStore: the SQLite or PostgreSQL store, later Redis), and only
// then calls the provider function. Concurrent callers of the same key share
// one call (single flight): all of them get the same value or the same error,
// errors are never cached, and a caller whose context ends leaves without
// cancelling the call for the others. Across processes, the queue's unique
// jobs do the same job.
//
// [Cache.DoBlocks] is the below-the-page path: a page split into blocks
// (paragraphs, headings, list items, translation segments) is looked up block
// by block, and the provider function is called once with only the blocks that
// missed, so editing one paragraph of a 20-paragraph page re-runs one
// paragraph's worth of model work.
//
// [StreamRecord] is the cached form of a finished stream, which can be
// replayed as a stream or served as one JSON answer.
//
// # Figures
//
// [Cache.Stats] returns a copydesk.CacheStats per tier and layer: hits,
// misses, hit rate, entries, bytes, evictions, provider calls, calls saved
// and cost saved. It is a plain domain struct, so that the metrics code
// reads it without importing this package.
//
// # Outages of a shared L2
//
// A [FallbackStore] in front of a shared L2 (Redis) makes an outage of it a
// miss: reads miss and writes are skipped for a cooldown, counted and
// warned about once a minute, while L1, the durable store and the provider
// serve on.
//
// Values handed out by the cache are shared between callers and must be
// treated as read-only.
package cache
