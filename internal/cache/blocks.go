package cache

import (
	"context"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// DoBlocks returns the answers of a page split into blocks (paragraphs,
// headings, list items, translation segments), one request per block. Each
// block is looked up on its own; fn is called at most once, with the indexes
// (into reqs) of the blocks that no layer holds and no other caller is
// computing, and each block it returns is stored on its own. Blocks another
// caller is computing are waited on, not recomputed; a block repeated within
// reqs is computed once.
//
// The outcomes say where each block came from. On error, values holds the
// blocks that succeeded (nil for the others) and the error is the first
// failure. fn runs detached from ctx's cancellation, as in Do. Returns
// EINVALID for a malformed request.
func (c *Cache) DoBlocks(ctx context.Context, reqs []Request, fn BlockFunc) ([][]byte, []Outcome, error) {
	tiers := make([]copydesk.Tier, len(reqs))
	for i, req := range reqs {
		t, err := c.Tier(req)
		if err != nil {
			return nil, nil, copydesk.Errorf(copydesk.ErrorCode(err), "block %d: %s", i, copydesk.ErrorMessage(err))
		}
		tiers[i] = t
	}
	values := make([][]byte, len(reqs))
	outs := make([]Outcome, len(reqs))

	// L1 first; the misses are grouped by key.
	type wanted struct {
		f      *flight
		leader bool
		first  int
	}
	byKey := make(map[string]*wanted)
	var order []string
	for i, req := range reqs {
		if e, ok := c.getL1(ctx, req.Key); ok {
			values[i], outs[i] = e.Value, outcomeOf(e, SourceL1)
			c.record(tierIndex(tiers[i]), outs[i], nil)
			continue
		}
		if _, ok := byKey[req.Key]; !ok {
			byKey[req.Key] = &wanted{first: i}
			order = append(order, req.Key)
		}
	}

	// Join or start a flight per missing key.
	var lead []int
	var leadFlights []*flight
	c.mu.Lock()
	for _, key := range order {
		w := byKey[key]
		if w.f, w.leader = c.joinLocked(key); w.leader {
			lead = append(lead, w.first)
			leadFlights = append(leadFlights, w.f)
		}
	}
	c.mu.Unlock()
	if len(lead) > 0 {
		leadReqs := make([]Request, len(lead))
		leadTiers := make([]copydesk.Tier, len(lead))
		for j, i := range lead {
			leadReqs[j], leadTiers[j] = reqs[i], tiers[i]
		}
		c.runDetached(ctx, leadReqs, leadTiers, leadFlights, func(ctx context.Context, missing []int) ([][]byte, []copydesk.Micros, error) {
			// missing holds positions in lead; fn wants indexes into reqs.
			idx := make([]int, len(missing))
			for j, m := range missing {
				idx[j] = lead[m]
			}
			return fn(ctx, idx)
		})
	}

	// Wait for every missing block.
	var firstErr error
	for i, req := range reqs {
		if outs[i].Source == SourceL1 {
			continue
		}
		w := byKey[req.Key]
		v, o, err := c.wait(ctx, w.f, w.leader && w.first == i)
		c.record(tierIndex(tiers[i]), o, err)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		values[i], outs[i] = v, o
	}
	return values, outs, firstErr
}
