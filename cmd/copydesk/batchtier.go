package main

import (
	"github.com/copydesk/copydesk/internal/batchtier"
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
