package batchtier

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/copydesk/copydesk/internal/budget"
	"github.com/copydesk/copydesk/internal/copydesk"
)

// Poller submits the pending items as provider batches and collects their
// results: one per cluster is enough (the leader runs it), and two running
// at once are safe (items are claimed in one statement, an outcome is
// stored and settled once). It follows Start/Stop.
type Poller struct {
	// Store keeps items and submissions. Required.
	Store copydesk.BatchStore
	// Providers are the batch APIs by provider instance name. Required.
	Providers map[string]copydesk.BatchProvider
	// Prices costs answers at the batch price. Required.
	Prices Prices
	// Budget settles reservations; nil: no ledger rows are written (as
	// for a chain without budget).
	Budget *budget.Service
	// Clock. Default: the system clock.
	Clock copydesk.Clock
	// Tick is how often pending items are submitted and due batches
	// polled; items asked within one tick go out together. Default
	// TickDefault.
	Tick time.Duration
	// MaxPoll caps the backoff between two polls of one batch (which
	// starts at Tick and doubles). Default MaxPollDefault.
	MaxPoll time.Duration
	// MaxItems caps the requests of one submission. Default
	// MaxItemsDefault.
	MaxItems int
	// StaleSubmit is how long a submission may stay "submitting" before
	// its submitter is presumed dead and its items go back to pending.
	// Default StaleSubmitDefault.
	StaleSubmit time.Duration
	// Logger. Default: discard.
	Logger *slog.Logger

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

func (p *Poller) now() time.Time {
	if p.Clock == nil {
		return time.Now()
	}
	return p.Clock.Now()
}

func (p *Poller) logger() *slog.Logger {
	if p.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Logger
}

// Start runs the poller until Stop or ctx ends.
func (p *Poller) Start(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cancel != nil {
		return nil
	}
	ctx, p.cancel = context.WithCancel(ctx)
	p.done = make(chan struct{})
	go func() {
		defer close(p.done)
		t := time.NewTicker(cmp.Or(p.Tick, TickDefault))
		defer t.Stop()
		for {
			if err := p.Once(ctx); err != nil && ctx.Err() == nil {
				p.logger().Warn("batch tier: poll", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return nil
}

// Stop ends the poller and waits for it; a second Stop does nothing.
func (p *Poller) Stop() {
	p.mu.Lock()
	cancel, done := p.cancel, p.done
	p.cancel = nil
	p.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// Once submits the pending items and polls the due submissions once.
func (p *Poller) Once(ctx context.Context) error {
	serr := p.submit(ctx)
	perr := p.poll(ctx)
	return cmp.Or(serr, perr)
}

func (p *Poller) submit(ctx context.Context) error {
	groups, err := p.Store.BatchGroups(ctx)
	if err != nil {
		return err
	}
	var first error
	for _, g := range groups {
		bp, ok := p.Providers[g[0]]
		if !ok {
			continue
		}
		sub := &copydesk.BatchSubmission{ID: copydesk.NewID("bsub_", p.now()), Provider: g[0], Model: g[1]}
		items, err := p.Store.ClaimBatchItems(ctx, sub, cmp.Or(p.MaxItems, MaxItemsDefault))
		if err != nil || len(items) == 0 {
			first = cmp.Or(first, err)
			continue
		}
		reqs := make([]copydesk.BatchRequest, 0, len(items))
		for _, it := range items {
			var req copydesk.ModelRequest
			if err := json.Unmarshal(it.Request, &req); err != nil {
				first = cmp.Or(first, err)
				continue
			}
			if string(req.JSONSchema) == "null" {
				// No schema is stored as JSON null, which decodes as a
				// RawMessage "null": a schema to adapters.
				req.JSONSchema = nil
			}
			reqs = append(reqs, copydesk.BatchRequest{CustomID: it.Key, Request: req})
		}
		id, err := bp.SubmitBatch(ctx, sub.ID, g[1], reqs)
		if pe, ok := errors.AsType[*copydesk.ProviderError](err); ok && pe.Kind == copydesk.ProviderBadRequest {
			// Refused as it is: submitted again it would be refused
			// again, and the group would stall. Its requests run live,
			// each answered or refused on its own.
			p.logger().Warn("batch tier: the provider refused the batch; its requests run live", "provider", g[0], "model", g[1], "items", len(items), "err", err)
			first = cmp.Or(first, p.refuse(context.WithoutCancel(ctx), sub.ID, items, pe))
			continue
		}
		if err != nil {
			p.logger().Warn("batch tier: submit failed; items stay pending", "provider", g[0], "model", g[1], "items", len(items), "err", err)
			if aerr := p.Store.AbandonBatchSubmission(context.WithoutCancel(ctx), sub.ID); aerr != nil {
				first = cmp.Or(first, aerr)
			}
			first = cmp.Or(first, err)
			continue
		}
		if err := p.Store.OpenBatchSubmission(context.WithoutCancel(ctx), sub.ID, id, p.now().Add(cmp.Or(p.Tick, TickDefault))); err != nil {
			first = cmp.Or(first, err)
			continue
		}
		p.logger().Info("batch tier: submitted", "provider", g[0], "model", g[1], "items", len(reqs), "submission", sub.ID, "provider_batch", id)
	}
	return first
}

// refuse fails the items of a submission the provider refused, releases
// their reservations and ends the submission.
func (p *Poller) refuse(ctx context.Context, subID string, items []*copydesk.BatchItem, pe *copydesk.ProviderError) error {
	for _, it := range items {
		out := *it
		out.State, out.ErrorKind, out.Error = copydesk.BatchItemFailed, pe.Kind, "the provider refused the batch: "+pe.Message
		changed, err := p.Store.FinishBatchItem(ctx, &out)
		if err != nil {
			return err
		}
		if changed {
			p.release(ctx, it)
		}
	}
	_, err := p.Store.EndBatchSubmission(ctx, subID)
	return err
}

func (p *Poller) poll(ctx context.Context) error {
	now := p.now()
	due, err := p.Store.DueBatchSubmissions(ctx, now, now.Add(-cmp.Or(p.StaleSubmit, StaleSubmitDefault)))
	if err != nil {
		return err
	}
	var first error
	for _, sub := range due {
		if sub.State == copydesk.BatchSubmitting {
			if err := p.recover(ctx, sub); err != nil {
				first = cmp.Or(first, err)
			}
			continue
		}
		if err := p.pollOne(ctx, sub); err != nil {
			first = cmp.Or(first, err)
		}
	}
	return first
}

// recover handles a submission whose submitter died between claiming its
// items and recording the provider's id. If the provider can find the
// batch (by its label or its requests), the submission is opened on it and
// nothing goes out twice; while it cannot tell yet, the submission waits;
// otherwise (no batch was created, or the provider cannot look) the items
// go back to pending and out again.
func (p *Poller) recover(ctx context.Context, sub *copydesk.BatchSubmission) error {
	id, err := p.find(ctx, sub)
	if _, waiting := copydesk.IsWait(err); waiting {
		// The provider cannot tell yet: ask again once the submission is
		// stale again (the postponement renews it), not at every tick.
		return p.Store.PostponeBatchSubmission(ctx, sub.ID, p.now())
	}
	if err != nil {
		// Unknown: resubmitting could pay twice; try at the next tick.
		return err
	}
	if id != "" {
		p.logger().Warn("batch tier: stale submission found at the provider; polling it", "submission", sub.ID, "provider_batch", id)
		err := p.Store.OpenBatchSubmission(ctx, sub.ID, id, p.now())
		if copydesk.ErrorCode(err) == copydesk.ENOTFOUND {
			return nil // another poller was first
		}
		return err
	}
	p.logger().Warn("batch tier: stale submission; its items go back to pending", "submission", sub.ID)
	if err := p.Store.AbandonBatchSubmission(ctx, sub.ID); err != nil && copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
		return err
	}
	return nil
}

// find asks the provider for the batch of a stale submission: by its
// label (BatchFinder) or by its requests' custom ids (BatchMatcher); ""
// when the provider has none or cannot look.
func (p *Poller) find(ctx context.Context, sub *copydesk.BatchSubmission) (string, error) {
	// The provider's clock may run behind ours: look a little earlier.
	since := sub.CreatedAt.Add(-findSlack)
	switch bp := p.Providers[sub.Provider].(type) {
	case copydesk.BatchFinder:
		return bp.FindBatch(ctx, sub.ID, since)
	case copydesk.BatchMatcher:
		items, err := p.Store.BatchSubmissionItems(ctx, sub.ID)
		if err != nil || len(items) == 0 {
			return "", err
		}
		keys := make([]string, len(items))
		for i, it := range items {
			keys[i] = it.Key
		}
		return bp.MatchBatch(ctx, keys, since)
	}
	return "", nil
}

// findSlack is how much earlier than a submission's creation a provider's
// batch may say it was created and still be found as the submission's.
const findSlack = 10 * time.Minute

func (p *Poller) backoff(polls int) time.Duration {
	d := cmp.Or(p.Tick, TickDefault)
	for range min(polls, 20) {
		d *= 2
	}
	return min(d, cmp.Or(p.MaxPoll, MaxPollDefault))
}

func (p *Poller) pollOne(ctx context.Context, sub *copydesk.BatchSubmission) error {
	bp, ok := p.Providers[sub.Provider]
	if !ok {
		return p.Store.PostponeBatchSubmission(ctx, sub.ID, p.now().Add(cmp.Or(p.MaxPoll, MaxPollDefault)))
	}
	st, err := bp.PollBatch(ctx, sub.ProviderID)
	if err != nil || !st.Done {
		if perr := p.Store.PostponeBatchSubmission(ctx, sub.ID, p.now().Add(p.backoff(sub.Polls+1))); perr != nil {
			return perr
		}
		return err
	}
	items, err := p.Store.BatchSubmissionItems(ctx, sub.ID)
	if err != nil {
		return err
	}
	byKey := make(map[string]*copydesk.BatchItem, len(items))
	for _, it := range items {
		byKey[it.Key] = it
	}
	bg := context.WithoutCancel(ctx)
	for _, r := range st.Results {
		it, ok := byKey[r.CustomID]
		if !ok || it.State != copydesk.BatchItemSubmitted {
			continue
		}
		if err := p.finish(bg, it, r); err != nil {
			return err
		}
	}
	expired, err := p.Store.EndBatchSubmission(bg, sub.ID)
	if err != nil {
		return err
	}
	for _, it := range expired {
		p.release(bg, it)
	}
	p.logger().Info("batch tier: collected", "submission", sub.ID, "provider_batch", sub.ProviderID, "status", st.Status,
		"results", len(st.Results), "expired", len(expired))
	return nil
}

// finish stores one result and settles its money once.
func (p *Poller) finish(ctx context.Context, it *copydesk.BatchItem, r copydesk.BatchResult) error {
	out := *it
	if r.Err != nil || r.Response == nil {
		out.State, out.ErrorKind, out.Error = copydesk.BatchItemFailed, copydesk.ProviderServer, "no answer"
		if r.Err != nil {
			out.ErrorKind, out.Error = r.Err.Kind, r.Err.Message
		}
		changed, err := p.Store.FinishBatchItem(ctx, &out)
		if changed {
			p.release(ctx, it)
		}
		return err
	}
	cost, err := p.Prices.BatchCost(it.Model, r.Response.Usage, p.now())
	if err != nil {
		return err
	}
	resp, err := json.Marshal(r.Response)
	if err != nil {
		return err
	}
	out.State, out.Response, out.Cost = copydesk.BatchItemDone, resp, cost
	changed, err := p.Store.FinishBatchItem(ctx, &out)
	if err != nil || !changed {
		return err
	}
	p.settle(ctx, &out, r.Response.Usage)
	return nil
}

func (p *Poller) reservation(it *copydesk.BatchItem) copydesk.Reservation {
	return copydesk.Reservation{ID: it.ReservationID, CustomerID: it.CustomerID, UserID: it.UserID, KeyID: it.KeyID}
}

// settle writes the item's ledger row at the batch price.
func (p *Poller) settle(ctx context.Context, it *copydesk.BatchItem, u copydesk.Usage) {
	if p.Budget == nil || it.CustomerID == "" {
		return
	}
	entry := func() *copydesk.LedgerEntry {
		return &copydesk.LedgerEntry{CustomerID: it.CustomerID, UserID: it.UserID, Kind: it.Kind, JobID: it.JobID,
			Provider: it.Provider, Model: it.Model, InputTokens: u.InputTokens, OutputTokens: u.OutputTokens,
			CachedTokens: u.CachedTokens, At: it.DoneAt, Tier: copydesk.TierBatch}
	}
	r := p.reservation(it)
	_, err := p.Budget.Settle(ctx, r, it.Cost, entry())
	if copydesk.ErrorCode(err) == copydesk.ENOTFOUND && r.ID != "" {
		// The reservation is gone (a restart of the embedded mode keeps
		// reservations in memory): charge without it.
		r.ID = ""
		_, err = p.Budget.Settle(ctx, r, it.Cost, entry())
	}
	if err != nil {
		p.logger().Error("batch tier: settle", "key", it.Key, "customer_id", it.CustomerID, "err", err)
	}
}

// release gives back the reservation of an item that got no answer.
func (p *Poller) release(ctx context.Context, it *copydesk.BatchItem) {
	if p.Budget == nil || it.ReservationID == "" {
		return
	}
	if err := p.Budget.Release(ctx, p.reservation(it)); err != nil && copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
		p.logger().Error("batch tier: release", "key", it.Key, "err", err)
	}
}
