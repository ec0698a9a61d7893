package main

import (
	"cmp"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/copydesk/copydesk/internal/auth"
	"github.com/copydesk/copydesk/internal/budget"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/ratelimit"
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
	// Requests authenticate from memory; changes made here forget it at once.
	m.access = auth.NewCachingStore(m.Store, cfg.CacheTTL, m.Clock)
	m.Auth = &auth.Authenticator{
		Store:      m.access,
		Tokens:     &auth.Tokens{Keys: keys, Clock: m.Clock, TTL: cfg.TokenTTL},
		Clock:      m.Clock,
		SessionTTL: cfg.SessionTTL,
		Logger:     m.Logger.With("component", "auth"),
	}
	if m.Limiter, err = ratelimit.New(cfg.RateLimits, m.Clock); err != nil {
		return &ConfigError{Field: "access.rate_limits", Message: copydesk.ErrorMessage(err)}
	}
	// Settled costs and ledger rows are group-committed through one journal.
	// In the embedded mode this process alone spends the store's budgets,
	// so reservations are counters in memory; in the PostgreSQL mode the
	// instances share them in the store.
	logger := m.Logger.With("component", "budget")
	journal := budget.NewJournal(m.Store, logger)
	var budgets copydesk.BudgetStore = m.Store
	if m.Config.embedded() {
		budgets = budget.NewMemory(m.Store, budget.MemoryOptions{Journal: journal, Clock: m.Clock, Logger: logger})
	}
	m.Budget = budget.New(budgets, budget.Options{Clock: m.Clock, Logger: logger, Journal: journal, DurableLedger: cfg.DurableLedger})
	m.closers = append(m.closers, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return m.Budget.Flush(ctx) // the queued ledger rows, before the store closes
	})
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

// publishBudgetEvents logs each threshold crossed and updates the budget
// gauges.
func (m *Main) publishBudgetEvents(events []copydesk.BudgetEvent) {
	for _, e := range events {
		m.Logger.Warn("budget threshold crossed", "customer_id", e.CustomerID, "user_id", e.UserID, "key_id", e.KeyID,
			"threshold", e.Name, "period", e.Period, "spent", int64(e.Spent), "limit", int64(e.Limit))
		if m.Metrics != nil && e.UserID == "" && e.KeyID == "" { // the customer's own budget
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
	b, err := m.Budget.FindBudget(ctx, customerID, "")
	if err != nil {
		return // no budget (ENOTFOUND): nothing to watch
	}
	m.Metrics.SetBudget(customerID, b.Spent, b.Limit)
}
