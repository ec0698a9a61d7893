package main

import (
	"cmp"
	"context"
	"strings"
	"time"

	"github.com/copydesk/copydesk/internal/batchtier"
	"github.com/copydesk/copydesk/internal/copydesk"
)

// batchTier builds the batch-tier link of the chain and its poller from
// the routed providers that have a batch API; nil when none has.
func (m *Main) batchTier() *batchtier.Service {
	providers := m.routed.Router.BatchProviders()
	if len(providers) == 0 {
		return nil
	}
	cfg := m.Config.BatchTier
	prices := m.routed.Router.Prices()
	logger := m.Logger.With("component", "batch_tier")
	m.batchPoller = &batchtier.Poller{Store: m.Store, Providers: providers, Prices: prices, Budget: m.Budget,
		Clock: m.Clock, Tick: cfg.Tick, MaxPoll: cfg.MaxPoll, MaxItems: cfg.MaxItems, Logger: logger}
	return &batchtier.Service{Store: m.Store, Directory: m.routed.Router, Providers: providers, Prices: prices,
		Budget: m.Budget, Clock: m.Clock, Recheck: cfg.Recheck, LiveMargin: cfg.LiveMargin, Logger: logger}
}

// costPerPage is the daily digest's cost-per-page section.
func (m *Main) costPerPage(ctx context.Context, from, to time.Time) (any, error) {
	if m.ledger == nil {
		return nil, copydesk.Errorf(copydesk.EUNAVAILABLE, "no cost ledger")
	}
	return m.ledger.CostPerPage(ctx, copydesk.UsageFilter{From: from, To: to}, cmp.Or(strings.ToUpper(m.Config.Pricing.Currency), "USD"))
}
