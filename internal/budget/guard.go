package budget

import (
	"context"
	"log/slog"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// Estimator tells the most a model call can cost before it is made
// (router.Service implements it).
type Estimator interface {
	// MaxCost returns the call's maximum cost on the route it would take.
	MaxCost(call copydesk.ModelCall) (copydesk.Micros, error)
}

// Guard is the budget link of the model-call chain: it reserves a call's
// maximum cost on the customer's (and the user's) budget before the call,
// refusing with EBUDGETEXCEEDED, then settles the actual cost with a ledger
// row, or releases the reservation if the call failed. Calls without a
// customer pass unguarded. It implements copydesk.ModelService.
type Guard struct {
	// Next makes the call. Required.
	Next copydesk.ModelService
	// Budget reserves and settles. Required.
	Budget *Service
	// Estimator tells a call's maximum cost; nil reserves 0 (the call is
	// still refused once a budget is spent).
	Estimator Estimator
	// OnEvents receives the thresholds crossed (log, metrics, webhooks);
	// nil drops them.
	OnEvents func(events []Event)
	// OnSettled is told that a customer's spending changed; optional.
	OnSettled func(ctx context.Context, customerID string)
	// Logger receives settlement failures. Default: discard.
	Logger *slog.Logger
}

var _ copydesk.ModelService = (*Guard)(nil)

// Stream implements copydesk.ModelService.
func (g *Guard) Stream(ctx context.Context, call copydesk.ModelCall, onDelta func(string) error) (*copydesk.ModelResult, error) {
	if call.CustomerID == "" {
		return g.Next.Stream(ctx, call, onDelta)
	}
	var estimate copydesk.Micros
	if g.Estimator != nil {
		e, err := g.Estimator.MaxCost(call)
		if err != nil {
			return nil, err
		}
		estimate = e
	}
	r, events, err := g.Budget.Reserve(ctx, call.CustomerID, call.UserID, estimate)
	g.publish(events)
	if err != nil {
		return nil, err
	}
	res, err := g.Next.Stream(ctx, call, onDelta)
	bg := context.WithoutCancel(ctx)
	if err != nil {
		if rerr := g.Budget.Release(bg, r); rerr != nil && copydesk.ErrorCode(rerr) != copydesk.ENOTFOUND {
			g.logger().Error("budget: release after a failed call", "reservation_id", r.ID, "err", rerr)
		}
		return nil, err
	}
	u := res.Usage
	entry := &copydesk.LedgerEntry{
		CustomerID: call.CustomerID, UserID: call.UserID, Kind: call.Kind, JobID: call.JobID,
		Provider: u.Provider, Model: u.Model, InputTokens: u.InputTokens, OutputTokens: u.OutputTokens,
		CachedTokens: u.CachedTokens, Latency: u.Latency, At: u.At,
	}
	events, err = g.Budget.Settle(bg, r, u.Cost, entry)
	g.publish(events)
	if err != nil {
		g.logger().Error("budget: settle", "reservation_id", r.ID, "customer_id", call.CustomerID, "err", err)
	}
	if g.OnSettled != nil {
		g.OnSettled(bg, call.CustomerID)
	}
	return res, nil
}

func (g *Guard) publish(events []Event) {
	if g.OnEvents != nil && len(events) > 0 {
		g.OnEvents(events)
	}
}

func (g *Guard) logger() *slog.Logger {
	if g.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return g.Logger
}
