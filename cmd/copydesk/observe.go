package main

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/copydesk/copydesk/internal/alert"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/metrics"
	"github.com/copydesk/copydesk/internal/river"
)

// ObservabilityConfig configures metrics and alerts.
type ObservabilityConfig struct {
	// MetricsCustomers are the customer ids that get their own label on cost and budget figures (at most 500); others count as "other".
	MetricsCustomers []string `yaml:"metrics_customers"`
	// Webhooks receive every alert and the daily digest.
	Webhooks []WebhookConfig `yaml:"webhooks"`
	// Rules change the built-in alert rules by name (thresholds, windows, disabled).
	Rules []alert.RuleOverride `yaml:"rules"`
	// DigestHour is the UTC hour of the daily digest (0-23), -1 for none. Default 0.
	DigestHour int `yaml:"digest_hour"`
}

// WebhookConfig is one alert destination. The URL is a secret: it is never logged.
type WebhookConfig struct {
	Name   string `yaml:"name"`
	URL    string `yaml:"url"`
	Format string `yaml:"format"` // slack or json (default)
}

// openObservability builds the metrics registry and the alert engine.
func (m *Main) openObservability(queueDepth func(ctx context.Context) ([]river.Depth, error)) error {
	oc := m.Config.Observability
	cfg := metrics.Config{
		Customers:    oc.MetricsCustomers,
		CacheStats:   m.Cache.Stats,
		StoreStats:   m.Store.StoreStats,
		StreamRoutes: []string{"GET /v1/jobs/{id}/events"},
		Process:      true,
		QueueDepth: func(ctx context.Context) ([]metrics.QueueDepth, error) {
			ds, err := queueDepth(ctx)
			if err != nil {
				return nil, err
			}
			out := make([]metrics.QueueDepth, len(ds))
			for i, d := range ds {
				out[i] = metrics.QueueDepth{Priority: copydesk.Priority(d.Priority), State: d.State, Count: d.Count}
			}
			return out, nil
		},
	}
	if m.routed != nil {
		cfg.RouterStats = m.routed.Router.Stats
	}
	if m.redis != nil {
		cfg.Redis = func(ctx context.Context) metrics.RedisState {
			return metrics.RedisState{Up: m.redis.Ping(ctx) == nil, Fallbacks: map[string]uint64{
				"ratelimit": m.sharedLimiter.Fallbacks(), "provider_limits": m.providerLimits.Fallbacks(),
				"cache": m.sharedCache.Fallbacks(),
			}}
		}
	}
	met, err := metrics.New(cfg)
	if err != nil {
		return &ConfigError{Field: "observability.metrics_customers", Message: copydesk.ErrorMessage(err)}
	}
	m.Metrics = met
	if m.routed != nil {
		m.routed.Observer = met
	}

	rules, err := alert.ApplyOverrides(alert.DefaultRules(), oc.Rules)
	if err != nil {
		return &ConfigError{Field: "observability.rules", Message: copydesk.ErrorMessage(err)}
	}
	notifiers := []alert.Notifier{alert.LogNotifier{Logger: m.Logger.With("component", "alert")}}
	for i, w := range oc.Webhooks {
		hook := &alert.Webhook{Name: w.Name, URL: w.URL, Format: w.Format}
		if err := hook.Validate(); err != nil {
			return &ConfigError{Field: fmt.Sprintf("observability.webhooks[%d]", i), Message: copydesk.ErrorMessage(err)}
		}
		notifiers = append(notifiers, hook)
	}
	source := met.AlertSample
	if m.pg != nil {
		// The leader judges the whole cluster's traffic, not its own.
		cs := &clusterSamples{db: m.pg, local: met.AlertSample, logger: m.Logger.With("component", "alert")}
		source = cs.Sample
		m.samples = cs
	}
	eng, err := alert.New(alert.Config{
		Rules: rules, Source: source, Notifiers: notifiers, Ledger: alert.LedgerFunc(m.usageBetween),
		DigestHour: oc.DigestHour, Logger: m.Logger.With("component", "alert"), Clock: m.Clock,
		CostPerPage: m.costPerPage,
	})
	if err != nil {
		return &ConfigError{Field: "observability", Message: copydesk.ErrorMessage(err)}
	}
	m.Alerts = eng
	return nil
}

// usageBetween reads the cost ledger for the daily digest.
func (m *Main) usageBetween(ctx context.Context, from, to time.Time) ([]copydesk.UsageRecord, error) {
	entries, err := m.ledger.FindLedger(ctx, copydesk.UsageFilter{From: from, To: to})
	if err != nil {
		return nil, err
	}
	currency := cmp.Or(strings.ToUpper(m.Config.Pricing.Currency), "USD")
	out := make([]copydesk.UsageRecord, 0, len(entries))
	for _, e := range entries {
		rec := copydesk.UsageRecord{
			CustomerID: e.CustomerID, Kind: e.Kind, Provider: e.Provider, Model: e.Model,
			InputTokens: e.InputTokens, OutputTokens: e.OutputTokens, CachedTokens: e.CachedTokens,
			Cost: e.Cost, Currency: currency, Latency: e.Latency, At: e.At,
		}
		if e.CacheHit {
			continue // not a model call: the digest's cache figures come from the cache
		}
		out = append(out, rec)
	}
	return out, nil
}
