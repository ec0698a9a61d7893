// Package chain builds the model-call chain: the links every model call
// goes through between a task (or the OpenAI-compatible API) and a
// provider, in one documented order. Each link is a copydesk.ModelService
// wrapper that lives, with its tests, in the package of what it decides:
//
//	Calls  (whole calls: chat completions, generation, SEO suggestions):
//	  metered        adds the finished call to the context's copydesk.Meter
//	                 (a batch item's cost and cache count), if any
//	  → ledger.Savings   records what a cache hit saved (summed per minute)
//	  → cache.Models   answers identical calls once (L1 → L2 → one call)
//	  → batchtier      a call of service tier "batch" becomes a durable
//	                   batch item answered by a provider batch at the
//	                   batch price (or live near its deadline); other
//	                   calls pass (only when Config.Batch is set)
//	  → budget.Guard   reserves the maximum cost, settles the actual one
//	  → Next           the routed service (router.Service: rules, limits,
//	                   breakers, failover, metrics, spans) → provider adapter
//
//	Blocks (deep analysis and translation, which cache per block or
//	segment themselves with cache.DoBlocks):
//	  metered → batchtier → budget.Guard → Next
//
// A cache hit never reaches the budget guard, so it costs nothing and takes
// no reservation; a miss pays once however many callers wait on it.
package chain

import (
	"context"
	"log/slog"

	"github.com/copydesk/copydesk/internal/batchtier"
	"github.com/copydesk/copydesk/internal/budget"
	"github.com/copydesk/copydesk/internal/cache"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/ledger"
)

// Config is what the chain is built from.
type Config struct {
	// Next makes the calls: the routed service (router.Service) or, in
	// tests, a fake. Required.
	Next copydesk.ModelService
	// Estimator tells a call's maximum cost for its reservation; nil: Next
	// when it is a budget.Estimator, else calls reserve 0.
	Estimator budget.Estimator
	// Budget guards calls of customers; nil: no budget link.
	Budget *budget.Service
	// OnBudgetEvents receives the budget thresholds crossed; optional.
	OnBudgetEvents func([]copydesk.BudgetEvent)
	// OnSettled is told that a customer's spending on a budget changed
	// (after each call a budget guarded); optional.
	OnSettled func(ctx context.Context, customerID string)
	// Cache answers identical calls once. Required.
	Cache *cache.Cache
	// ModelSet names the configured models in cache keys (answers of one
	// set of models are never served for another).
	ModelSet string
	// Hits sums cache-hit savings into the ledger; nil: hits not recorded.
	Hits *ledger.Hits
	// Logger receives settlement failures. Default: discard.
	Logger *slog.Logger
	// Batch, when set, is the batch-tier link; New sets its Next (the
	// budget guard, or Next without budget). Nil: no batch tier, every
	// call is live.
	Batch *batchtier.Service
}

// Chain is the built chain.
type Chain struct {
	// Calls serves whole model calls through every link.
	Calls copydesk.ModelService
	// Blocks serves calls whose answers the caller caches per block.
	Blocks copydesk.ModelService
}

// New builds the chain in the order the package documents. Returns
// EINVALID naming a missing required field.
func New(cfg Config) (*Chain, error) {
	if cfg.Next == nil {
		return nil, copydesk.Errorf(copydesk.EINVALID, "chain: Next (the routed model service) is required")
	}
	if cfg.Cache == nil {
		return nil, copydesk.Errorf(copydesk.EINVALID, "chain: Cache is required")
	}
	blocks := cfg.Next
	if cfg.Budget != nil {
		est := cfg.Estimator
		if est == nil {
			est, _ = cfg.Next.(budget.Estimator)
		}
		blocks = &budget.Guard{Next: cfg.Next, Budget: cfg.Budget, Estimator: est,
			OnEvents: cfg.OnBudgetEvents, OnSettled: cfg.OnSettled, Logger: cfg.Logger}
	}
	if cfg.Batch != nil {
		cfg.Batch.Next = blocks
		blocks = cfg.Batch
	}
	calls := copydesk.ModelService(&cache.Models{Next: blocks, Cache: cfg.Cache, ModelSet: cfg.ModelSet})
	if cfg.Hits != nil {
		calls = &ledger.Savings{Next: calls, Hits: cfg.Hits}
	}
	return &Chain{Calls: metered{calls}, Blocks: metered{blocks}}, nil
}

// metered adds every finished call to the copydesk.Meter of its context,
// when it has one (a batch item's).
type metered struct{ next copydesk.ModelService }

// Stream implements copydesk.ModelService.
func (m metered) Stream(ctx context.Context, call copydesk.ModelCall, onDelta func(string) error) (*copydesk.ModelResult, error) {
	res, err := m.next.Stream(ctx, call, onDelta)
	if err == nil {
		copydesk.MeterFrom(ctx).Add(res)
	}
	return res, err
}
