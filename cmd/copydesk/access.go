package main

import (
	"cmp"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/copydesk/copydesk/internal/auth"
	"github.com/copydesk/copydesk/internal/budget"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/ratelimit"
	"github.com/copydesk/copydesk/internal/router"
)

// AdminEmailDefault is the email of the ADMIN user made on first start.
const AdminEmailDefault = "admin@copydesk.local"

// jwtKeyFile holds the generated token signing key in the data directory.
const jwtKeyFile = "jwt.key"

// openAccess bootstraps an empty store (ADMIN user and key in
// <data>/admin.key), and sets up the authenticator, the rate limiter, the
// budget service and its sweeper.
func (m *Main) openAccess(ctx context.Context) error {
	cfg := m.Config.Access
	created, err := auth.Bootstrap(ctx, m.Store, m.Clock.Now(), m.Config.DataDir, cmp.Or(cfg.AdminEmail, AdminEmailDefault), m.Logger)
	if err != nil {
		return &ConfigError{Field: "bootstrap", Message: copydesk.ErrorMessage(err)}
	}
	if created {
		m.Logger.Info("bootstrap done: read the ADMIN key with cat " + filepath.Join(m.Config.DataDir, auth.AdminKeyFile))
	}
	keys, err := m.signingKeys()
	if err != nil {
		return err
	}
	m.Auth = &auth.Authenticator{
		Store:      m.Store,
		Tokens:     &auth.Tokens{Keys: keys, Clock: m.Clock, TTL: cfg.TokenTTL},
		Clock:      m.Clock,
		SessionTTL: cfg.SessionTTL,
		Logger:     m.Logger.With("component", "auth"),
	}
	if m.Limiter, err = ratelimit.New(cfg.RateLimits, m.Clock); err != nil {
		return &ConfigError{Field: "access.rate_limits", Message: copydesk.ErrorMessage(err)}
	}
	m.Budget = budget.New(m.Store, budget.Options{Clock: m.Clock, Logger: m.Logger.With("component", "budget")})
	sw := &budget.Sweeper{Service: m.Budget, TTL: cfg.ReservationTTL}
	if err := sw.Start(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	m.closers = append(m.closers, func() error { sw.Stop(); return nil })
	return nil
}

// signingKeys returns the token keys from the configuration or, without
// any, from <data>/jwt.key, generating it (0600) on first start.
func (m *Main) signingKeys() (*auth.KeySet, error) {
	var keys []auth.SigningKey
	for i, s := range m.Config.Access.JWTKeys {
		k, err := auth.ParseSigningKey(s)
		if err != nil {
			return nil, &ConfigError{Field: "access.jwt_keys[" + strconv.Itoa(i) + "]", Message: copydesk.ErrorMessage(err)}
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		path := filepath.Join(m.Config.DataDir, jwtKeyFile)
		b, err := os.ReadFile(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			k, err := auth.NewSigningKey("k" + m.Clock.Now().UTC().Format("20060102"))
			if err != nil {
				return nil, err
			}
			if err := os.MkdirAll(m.Config.DataDir, 0o700); err != nil {
				return nil, err
			}
			if err := os.WriteFile(path, []byte(auth.MarshalSigningKey(k)+"\n"), 0o600); err != nil {
				return nil, &ConfigError{Field: "access.jwt_keys", Message: "cannot write " + path + ": " + err.Error()}
			}
			keys = append(keys, k)
		case err != nil:
			return nil, &ConfigError{Field: "access.jwt_keys", Message: "cannot read " + path + ": " + err.Error()}
		default:
			k, err := auth.ParseSigningKey(strings.TrimSpace(string(b)))
			if err != nil {
				return nil, &ConfigError{Field: path, Message: copydesk.ErrorMessage(err)}
			}
			keys = append(keys, k)
		}
	}
	return auth.NewKeySet(keys[0], keys[1:]...), nil
}

// costEstimator is a model service that can tell a call's maximum cost
// before making it (the routed modelSet).
type costEstimator interface {
	MaxCost(call copydesk.ModelCall) (copydesk.Micros, error)
}

// budgetedModels guards every provider call with the customer's budget:
// it reserves the call's maximum cost first (refusing with
// EBUDGETEXCEEDED), then settles the actual cost with a ledger row, or
// releases the reservation if the call failed. Calls without a customer
// (jobs from before access control) pass unguarded.
type budgetedModels struct {
	next   copydesk.ModelService
	budget *budget.Service
	clock  copydesk.Clock
	logger *slog.Logger
	// publish receives the thresholds crossed (log, metrics).
	publish func(events []copydesk.BudgetEvent)
	// settled, when set, is told that a customer's spending changed.
	settled func(ctx context.Context, customerID string)
}

var _ copydesk.ModelService = (*budgetedModels)(nil)

// Stream implements copydesk.ModelService.
func (b *budgetedModels) Stream(ctx context.Context, call copydesk.ModelCall, onDelta func(string) error) (*copydesk.ModelResult, error) {
	if call.CustomerID == "" {
		return b.next.Stream(ctx, call, onDelta)
	}
	var estimate copydesk.Micros
	if est, ok := b.next.(costEstimator); ok {
		e, err := est.MaxCost(call)
		if err != nil {
			return nil, err
		}
		estimate = e
	}
	r, events, err := b.budget.Reserve(ctx, call.CustomerID, call.UserID, estimate)
	b.publish(events)
	if err != nil {
		return nil, err
	}
	res, err := b.next.Stream(ctx, call, onDelta)
	bg := context.WithoutCancel(ctx)
	if err != nil {
		if rerr := b.budget.Release(bg, r); rerr != nil && copydesk.ErrorCode(rerr) != copydesk.ENOTFOUND {
			b.logger.Error("budget: release after a failed call", "reservation_id", r.ID, "err", rerr)
		}
		return nil, err
	}
	u := res.Usage
	entry := &copydesk.LedgerEntry{
		CustomerID: call.CustomerID, UserID: call.UserID, Kind: call.Kind, JobID: call.JobID,
		Provider: u.Provider, Model: u.Model, InputTokens: u.InputTokens, OutputTokens: u.OutputTokens,
		CachedTokens: u.CachedTokens, Latency: u.Latency, At: b.clock.Now(),
	}
	if res.Cached {
		// Another caller's identical call answered: nothing spent here.
		entry.CacheHit, entry.Saved = true, u.Cost
		events, err = b.budget.Settle(bg, r, 0, entry)
	} else {
		events, err = b.budget.Settle(bg, r, u.Cost, entry)
	}
	b.publish(events)
	if err != nil {
		b.logger.Error("budget: settle", "reservation_id", r.ID, "customer_id", call.CustomerID, "err", err)
	}
	if b.settled != nil {
		b.settled(bg, call.CustomerID)
	}
	return res, nil
}

// savingsLedger records cache hits of model calls (answers replayed
// without a provider call) in the ledger with the cost they saved.
type savingsLedger struct {
	next   copydesk.ModelService
	ledger copydesk.LedgerStore
	clock  copydesk.Clock
	logger *slog.Logger
}

// Stream implements copydesk.ModelService.
func (s *savingsLedger) Stream(ctx context.Context, call copydesk.ModelCall, onDelta func(string) error) (*copydesk.ModelResult, error) {
	res, err := s.next.Stream(ctx, call, onDelta)
	if err != nil || !res.Cached || call.CustomerID == "" {
		return res, err
	}
	u := res.Usage
	e := &copydesk.LedgerEntry{CustomerID: call.CustomerID, UserID: call.UserID, Kind: call.Kind, JobID: call.JobID,
		Provider: u.Provider, Model: u.Model, CacheHit: true, Saved: u.Cost, At: s.clock.Now()}
	if lerr := s.ledger.AppendLedger(context.WithoutCancel(ctx), e); lerr != nil {
		s.logger.Warn("ledger: record a cache hit", "customer_id", call.CustomerID, "err", lerr)
	}
	return res, nil
}

// publishBudgetEvents logs each threshold crossed and updates the budget
// gauges.
func (m *Main) publishBudgetEvents(events []copydesk.BudgetEvent) {
	for _, e := range events {
		m.Logger.Warn("budget threshold crossed", "customer_id", e.CustomerID, "user_id", e.UserID,
			"threshold", e.Name, "period", e.Period, "spent", int64(e.Spent), "limit", int64(e.Limit))
		if m.Metrics != nil && e.UserID == "" {
			m.Metrics.SetBudget(e.CustomerID, e.Spent, e.Limit)
		}
	}
}

// budgetSettled refreshes the customer's budget gauges and the figures the
// budget alert rules watch after a settled call.
func (m *Main) budgetSettled(ctx context.Context, customerID string) {
	if m.Metrics == nil {
		return
	}
	b, err := m.Store.FindBudget(ctx, customerID, "")
	if err != nil {
		return // no budget (ENOTFOUND): nothing to watch
	}
	m.Metrics.SetBudget(customerID, b.Spent, b.Limit)
}

// defaultMaxOutput is the output assumed for a call that sets no
// MaxTokens when reserving its maximum cost.
const defaultMaxOutput = 4096

// MaxCost returns the most the call can cost on the chain the router
// would use now: the prompt estimate plus MaxTokens at the most expensive
// model of the chain. Models without a price count as free.
func (m *modelSet) MaxCost(call copydesk.ModelCall) (copydesk.Micros, error) {
	if m.prices == nil {
		return 0, nil
	}
	_, chain, _, err := m.router.Select(router.Call{Kind: call.Kind, Priority: call.Priority, Request: call.Request, BudgetLeft: -1})
	if err != nil {
		return 0, err
	}
	out := call.Request.OutputCap(defaultMaxOutput)
	// A token is at least one byte: the prompt's bytes (plus a few tokens
	// of framing per message) bound its tokens from above.
	in := call.Request.PromptBytes()
	now := time.Now().UTC()
	var most copydesk.Micros
	for _, name := range chain {
		model, _ := m.router.EndpointModel(name) // configured or made from the catalogue
		c, err := m.prices.MaxCost(model, in, out, now)
		if err != nil {
			continue // no price: the router accounts it as free too
		}
		most = max(most, c)
	}
	return most, nil
}
