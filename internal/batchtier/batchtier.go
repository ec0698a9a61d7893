// Package batchtier is the batch service tier of the model-call chain: a
// call that asks for service tier "batch" is not made live but recorded as
// a batch item (durably, keyed by the hash of its provider, model and
// request), grouped with the others of its provider and model into one
// provider batch submission (OpenAI Batch, Anthropic Message Batches,
// Gemini batch mode) by the Poller, and answered at the batch price when
// the provider returns it.
//
// The call itself returns a *copydesk.WaitError until its answer is in: the
// job asking it is snoozed (its slot freed, the run not counted as an
// attempt) and looks again later; by then the answer is in the store and
// the call returns it like any other, so the caches above (cache.Models,
// cache.DoBlocks, the translation memory) keep it. The same request asked
// again, by a re-run or another job, finds its item and waits for it: it
// is never submitted twice.
//
// Money: the budget is reserved at the batch price when the item is
// recorded and settled at the actual batch cost (a ledger row of tier
// "batch") by the poller when the answer arrives. A call whose deadline
// (CompleteBy) comes within LiveMargin before its answer, or whose item
// failed or expired at the provider, runs live instead, at the list price.
package batchtier

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/copydesk/copydesk/internal/budget"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/pricing"
)

// Prices costs calls at the batch price (pricing.Table).
type Prices interface {
	BatchCost(model string, u copydesk.Usage, at time.Time) (copydesk.Micros, error)
	BatchMaxCost(model string, inputTokens, maxOutputTokens int, at time.Time) (copydesk.Micros, error)
	Currency() pricing.Currency
}

// Defaults of a Service and a Poller.
const (
	RecheckDefault     = 30 * time.Second
	LiveMarginDefault  = 10 * time.Minute
	TickDefault        = 5 * time.Second
	MaxPollDefault     = 5 * time.Minute
	MaxItemsDefault    = 10_000
	StaleSubmitDefault = 5 * time.Minute
)

// Service is the batch-tier link of the model-call chain. It implements
// copydesk.ModelService: calls of another tier, embedding calls and calls
// whose provider has no batch API go straight to Next.
type Service struct {
	// Next makes live calls (budget.Guard → router). Required.
	Next copydesk.ModelService
	// Store keeps the items. Required.
	Store copydesk.BatchStore
	// Directory resolves a call to its provider and model. Required.
	Directory copydesk.ModelDirectory
	// Providers are the provider instances with a batch API, by name.
	Providers map[string]copydesk.BatchProvider
	// Prices costs reservations at the batch price. Required.
	Prices Prices
	// Budget reserves at the batch price; nil: no reservation.
	Budget *budget.Service
	// Clock tells the time. Default: the system clock.
	Clock copydesk.Clock
	// Recheck is how long a waiting job sleeps before it looks again.
	// Default RecheckDefault.
	Recheck time.Duration
	// LiveMargin: a call whose CompleteBy is nearer than this runs live.
	// Default LiveMarginDefault.
	LiveMargin time.Duration
	// Logger. Default: discard.
	Logger *slog.Logger
}

var _ copydesk.ModelService = (*Service)(nil)

// Key is the custom id of a request: the hash of provider, model and
// request, 48 hexadecimal digits (within every provider's custom id rules).
func Key(provider, model string, req copydesk.ModelRequest) (string, []byte, error) {
	req.Model = model
	b, err := json.Marshal(req)
	if err != nil {
		return "", nil, copydesk.Errorf(copydesk.EINTERNAL, "batch tier: encode request: %v", err)
	}
	h := sha256.New()
	h.Write([]byte(provider))
	h.Write([]byte{0})
	h.Write(b)
	return "cd" + hex.EncodeToString(h.Sum(nil))[:46], b, nil
}

func (s *Service) now() time.Time {
	if s.Clock == nil {
		return time.Now()
	}
	return s.Clock.Now()
}

func (s *Service) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// nearDeadline reports whether call must be answered live now.
func (s *Service) nearDeadline(call copydesk.ModelCall) bool {
	return !call.CompleteBy.IsZero() && s.now().Add(cmp.Or(s.LiveMargin, LiveMarginDefault)).After(call.CompleteBy)
}

// wait is the error of a call waiting on item.
func (s *Service) wait(call copydesk.ModelCall, item *copydesk.BatchItem) error {
	after := cmp.Or(s.Recheck, RecheckDefault)
	if !call.CompleteBy.IsZero() {
		// Wake in time to run live before the deadline.
		until := call.CompleteBy.Add(-cmp.Or(s.LiveMargin, LiveMarginDefault)).Sub(s.now())
		after = max(min(after, until), time.Millisecond)
	}
	return &copydesk.WaitError{After: after,
		Message: "a " + call.Kind + " request waits for its answer from the " + item.Provider + " batch API (" + item.State + ")"}
}

// Stream implements copydesk.ModelService.
func (s *Service) Stream(ctx context.Context, call copydesk.ModelCall, onDelta func(string) error) (*copydesk.ModelResult, error) {
	if call.Tier == "" {
		call.Tier, call.CompleteBy = copydesk.TierFrom(ctx)
	}
	if call.Tier != copydesk.TierBatch || call.Request.IsEmbedding() {
		return s.Next.Stream(ctx, call, onDelta)
	}
	info, err := s.Directory.ResolveModel(call)
	if err != nil {
		return nil, err
	}
	if _, ok := s.Providers[info.Provider]; !ok || info.Model == "" {
		return s.Next.Stream(ctx, call, onDelta) // no batch API: live
	}
	key, reqJSON, err := Key(info.Provider, info.Model, call.Request)
	if err != nil {
		return nil, err
	}
	item, err := s.Store.FindBatchItem(ctx, key)
	if copydesk.ErrorCode(err) == copydesk.ENOTFOUND {
		if s.nearDeadline(call) {
			return s.Next.Stream(ctx, call, onDelta)
		}
		item, err = s.add(ctx, call, key, info, reqJSON)
	}
	if err != nil {
		return nil, err
	}
	switch item.State {
	case copydesk.BatchItemDone:
		return s.result(call, item)
	case copydesk.BatchItemFailed:
		s.logger().Info("batch tier: item failed at the provider; running live", "key", key, "kind", call.Kind,
			"error_kind", item.ErrorKind, "job_id", call.JobID)
		return s.Next.Stream(ctx, call, onDelta)
	}
	if s.nearDeadline(call) {
		s.logger().Info("batch tier: deadline near; running live", "key", key, "kind", call.Kind, "job_id", call.JobID,
			"complete_by", call.CompleteBy)
		return s.Next.Stream(ctx, call, onDelta)
	}
	return nil, s.wait(call, item)
}

// add records a new item, with its reservation at the batch price.
func (s *Service) add(ctx context.Context, call copydesk.ModelCall, key string, info copydesk.ModelInfo, reqJSON []byte) (*copydesk.BatchItem, error) {
	item := &copydesk.BatchItem{Key: key, Provider: info.Provider, Model: info.Model, Kind: call.Kind,
		CustomerID: call.CustomerID, UserID: call.UserID, KeyID: call.KeyID, JobID: call.JobID,
		Request: reqJSON, CompleteBy: call.CompleteBy}
	var r copydesk.Reservation
	if s.Budget != nil && call.CustomerID != "" {
		estimate, err := s.Prices.BatchMaxCost(info.Model, call.Request.PromptBytes(), call.Request.OutputCap(budget.DefaultOutputCap), s.now())
		if err != nil {
			return nil, err
		}
		r, _, err = s.Budget.ReserveFor(ctx, budget.Payer{CustomerID: call.CustomerID, UserID: call.UserID, KeyID: call.KeyID}, estimate)
		if err != nil {
			return nil, err
		}
		item.ReservationID = r.ID
	}
	stored, added, err := s.Store.AddBatchItem(ctx, item)
	if (err != nil || !added) && r.ID != "" {
		if rerr := s.Budget.Release(context.WithoutCancel(ctx), r); rerr != nil && copydesk.ErrorCode(rerr) != copydesk.ENOTFOUND {
			s.logger().Error("batch tier: release", "reservation_id", r.ID, "err", rerr)
		}
	}
	return stored, err
}

// result is the answer of a done item.
func (s *Service) result(call copydesk.ModelCall, item *copydesk.BatchItem) (*copydesk.ModelResult, error) {
	var resp copydesk.ModelResponse
	if err := json.Unmarshal(item.Response, &resp); err != nil {
		return nil, copydesk.Errorf(copydesk.EINTERNAL, "batch tier: stored answer of %s: %v", item.Key, err)
	}
	if call.Validate != nil {
		if err := call.Validate(&resp); err != nil {
			return nil, &copydesk.ProviderError{Provider: item.Provider, Kind: copydesk.ProviderInvalid,
				Message: "the batch answer is invalid: " + err.Error(), Err: err}
		}
	}
	return &copydesk.ModelResult{Response: &resp, Usage: copydesk.UsageRecord{
		CustomerID: call.CustomerID, Kind: call.Kind, Endpoint: item.Provider, Provider: item.Provider, Model: item.Model,
		InputTokens: resp.Usage.InputTokens, OutputTokens: resp.Usage.OutputTokens, CachedTokens: resp.Usage.CachedTokens,
		Cost: item.Cost, Currency: s.Prices.Currency().Code, Attempts: 1, At: item.DoneAt, Tier: copydesk.TierBatch,
		Decision: copydesk.RouteDecision{Reason: "service tier batch: answered by the " + item.Provider + " batch API"},
	}}, nil
}
