package budget

import (
	"context"
	"log/slog"
	"time"

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
	// OnSettled is told that a customer's spending on a budget changed
	// (after each call a budget guarded); optional.
	OnSettled func(ctx context.Context, customerID string)
	// Logger receives settlement failures. Default: discard.
	Logger *slog.Logger
	// MaxWait bounds how long a call waits for calls in flight to settle
	// when they hold the budget it needs. Default MaxWaitDefault.
	MaxWait time.Duration
	// MinOutput is the smallest output cap a call is clamped to when the
	// budget cannot pay for its whole cap; below it the call is refused.
	// Default MinOutputDefault.
	MinOutput int
}

// Defaults of a Guard.
const (
	MaxWaitDefault   = 10 * time.Second
	MinOutputDefault = 16
)

// waitStep is how long a waiting call waits before asking again (other
// instances' settlements are not signalled to this one).
const waitStep = 100 * time.Millisecond

var _ copydesk.ModelService = (*Guard)(nil)

// Stream implements copydesk.ModelService.
func (g *Guard) Stream(ctx context.Context, call copydesk.ModelCall, onDelta func(string) error) (*copydesk.ModelResult, error) {
	if call.CustomerID == "" {
		return g.Next.Stream(ctx, call, onDelta)
	}
	estimate, err := g.maxCost(call)
	if err != nil {
		return nil, err
	}
	r, events, err := g.Budget.ReserveFor(ctx, payer(call), estimate)
	g.publish(events)
	clamped := 0
	if copydesk.ErrorCode(err) == copydesk.EBUDGETEXCEEDED {
		call, r, clamped, err = g.admit(ctx, call, estimate)
	}
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
		CustomerID: call.CustomerID, UserID: call.UserID, KeyID: call.KeyID, Kind: call.Kind, JobID: call.JobID,
		Provider: u.Provider, Model: u.Model, InputTokens: u.InputTokens, OutputTokens: u.OutputTokens,
		CachedTokens: u.CachedTokens, Latency: u.Latency, At: u.At,
	}
	events, err = g.Budget.Settle(bg, r, u.Cost, entry)
	g.publish(events)
	if err != nil {
		g.logger().Error("budget: settle", "reservation_id", r.ID, "customer_id", call.CustomerID, "err", err)
	}
	if g.OnSettled != nil && r.ID != "" {
		// A call no budget guarded changed no budget's standing: telling
		// would cost a listener's budget read per call for nothing.
		g.OnSettled(bg, call.CustomerID)
	}
	if clamped > 0 {
		out := *res
		out.ClampedMaxTokens = clamped
		return &out, nil
	}
	return res, nil
}

// payer names the budgets call counts on.
func payer(call copydesk.ModelCall) Payer {
	return Payer{CustomerID: call.CustomerID, UserID: call.UserID, KeyID: call.KeyID}
}

// maxCost is the Estimator's cost of call, 0 without one.
func (g *Guard) maxCost(call copydesk.ModelCall) (copydesk.Micros, error) {
	if g.Estimator == nil {
		return 0, nil
	}
	return g.Estimator.MaxCost(call)
}

// withOutput returns call with its output cap set to n.
func withOutput(call copydesk.ModelCall, n int) copydesk.ModelCall {
	call.Request.MaxTokens = n
	return call
}

// admit finds room for a call whose full cost the budget refused: it
// waits (in the order calls came, at most MaxWait) while calls in flight
// hold the money it needs, then clamps the call's output cap to what the
// budget can pay for, and refuses (EBUDGETEXCEEDED) only when even the
// smallest cap does not fit. It returns the call as it will run, its
// reservation and the cap it was clamped to (0: not clamped).
func (g *Guard) admit(ctx context.Context, call copydesk.ModelCall, estimate copydesk.Micros) (copydesk.ModelCall, copydesk.Reservation, int, error) {
	minOut := g.MinOutput
	if minOut <= 0 {
		minOut = MinOutputDefault
	}
	want := call.Request.MaxTokens
	if want <= 0 {
		want = DefaultOutputCap
	}
	minOut = min(minOut, want)
	minCost, err := g.maxCost(withOutput(call, minOut))
	if err != nil {
		return call, copydesk.Reservation{}, 0, err
	}
	done, err := g.Budget.turn(ctx, call.CustomerID)
	if err != nil {
		return call, copydesk.Reservation{}, 0, copydesk.Errorf(copydesk.ECANCELLED, "the request ended while waiting for the budget")
	}
	defer done()
	maxWait := g.MaxWait
	if maxWait <= 0 {
		maxWait = MaxWaitDefault
	}
	deadline := time.Now().Add(maxWait)
	for {
		st, err := g.Budget.Standing(ctx, payer(call))
		if err != nil {
			return call, copydesk.Reservation{}, 0, err
		}
		if !st.Budgeted {
			r, _, err := g.Budget.ReserveFor(ctx, payer(call), estimate) // the budget was removed meanwhile
			return call, r, 0, err
		}
		if st.Room < minCost {
			// Spent: nothing in flight can make room, only the next month.
			g.publish(g.Budget.Exhausted(ctx, payer(call), minCost))
			return call, copydesk.Reservation{}, 0, &copydesk.Error{Code: copydesk.EBUDGETEXCEEDED, RetryAfter: untilNextMonth(time.Now()),
				Message: ScopeName(st.Tightest) + " monthly budget is spent: it cannot pay for this call even with a minimal output; it renews at the start of the next month"}
		}
		waiting := time.Now().Before(deadline)
		if st.Available >= estimate || (st.Room < estimate || !waiting) && st.Available >= minCost {
			c, out := call, 0
			if st.Available < estimate {
				// The budget pays for part of the cap: clamp it.
				out = g.affordable(call, minOut, want, st.Available)
				c = withOutput(call, out)
			}
			cost, err := g.maxCost(c)
			if err != nil {
				return call, copydesk.Reservation{}, 0, err
			}
			r, _, err := g.Budget.ReserveFor(ctx, payer(c), cost)
			if err == nil {
				return c, r, out, nil
			}
			if copydesk.ErrorCode(err) != copydesk.EBUDGETEXCEEDED {
				return call, r, 0, err
			}
			// Another instance took the room meanwhile: look again.
		} else if !waiting {
			return call, copydesk.Reservation{}, 0, &copydesk.Error{Code: copydesk.EBUDGETEXCEEDED, RetryAfter: InFlightRetryAfter,
				Message: "calls in flight hold the rest of the monthly budget; try again when they finish"}
		}
		if err := g.Budget.WaitSettled(ctx, call.CustomerID, waitStep); err != nil {
			return call, copydesk.Reservation{}, 0, copydesk.Errorf(copydesk.ECANCELLED, "the request ended while waiting for the budget")
		}
	}
}

// affordable returns the largest output cap between lo and hi whose
// maximum cost fits in avail (lo when none does better).
func (g *Guard) affordable(call copydesk.ModelCall, lo, hi int, avail copydesk.Micros) int {
	for lo < hi {
		mid := lo + (hi-lo+1)/2
		c, err := g.maxCost(withOutput(call, mid))
		if err == nil && c <= avail {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// DefaultOutputCap is the output cap assumed for a call that sets none.
const DefaultOutputCap = 4096

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
