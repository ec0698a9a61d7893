package cache

import (
	"context"

	"github.com/maypok86/otter/v2"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// MemoSizeDefault bounds the decoded values a Cache keeps beside its L1.
const MemoSizeDefault = 10_000

// memoVal is a decoded value of the L1 entry it was decoded from: a newer
// entry under the same key (another pointer) is decoded again.
type memoVal struct {
	entry *copydesk.CacheEntry
	v     any
}

// Decoder turns a cached value into the form its caller works with.
type Decoder func(value []byte) (any, error)

// DoDecoded is Do for values their caller decodes (a replayed model answer):
// a hit in L1 returns the value decoded once and kept beside the entry, so
// that a hot answer is served without decoding it again. The decoded value
// is shared by every caller: treat it as read-only. On a miss (Source
// SourceMiss: this caller's fn made the value) nothing is decoded and the
// value returned is nil: the caller kept what its fn computed.
func (c *Cache) DoDecoded(ctx context.Context, req Request, fn Func, decode Decoder) (any, []byte, Outcome, error) {
	tier, err := c.Tier(req)
	if err != nil {
		return nil, nil, Outcome{}, err
	}
	if e, ok := c.getL1(ctx, req.Key); ok {
		o := outcomeOf(e, SourceL1)
		if m, ok := c.memo.GetIfPresent(req.Key); ok && m.entry == e {
			c.record(tierIndex(tier), o, nil)
			return m.v, e.Value, o, nil
		}
		v, err := decode(e.Value)
		if err != nil {
			c.record(tierIndex(tier), o, err)
			return nil, nil, o, err
		}
		c.memo.Set(req.Key, memoVal{entry: e, v: v})
		c.record(tierIndex(tier), o, nil)
		return v, e.Value, o, nil
	}
	raw, o, err := c.Do(ctx, req, fn)
	if err != nil || o.Source == SourceMiss {
		// This caller's own fn made the value: it has it in its own form.
		return nil, raw, o, err
	}
	v, err := decode(raw)
	return v, raw, o, err
}

func newMemo(size int) *otter.Cache[string, memoVal] {
	return otter.Must(&otter.Options[string, memoVal]{MaximumSize: size})
}
