package router

import (
	"context"
	"errors"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// Observer records finished and failed model calls (metrics.Metrics
// implements it).
type Observer interface {
	// ObserveModelCall records one call: rec is the result's usage on
	// success, or a record with what is known of a failed call (kind,
	// customer, the decision's last attempt) and err.
	ObserveModelCall(rec copydesk.UsageRecord, err error)
}

// Tracer starts the span of one provider call (trace.Tracing implements it).
type Tracer interface {
	StartProviderCall(ctx context.Context, kind string) (context.Context, func(rec copydesk.UsageRecord, err error))
}

// Service is the routed model service: the innermost link of the
// model-call chain (see package chain), turning a copydesk.ModelCall into a
// routed provider call and its accounting record. It implements
// copydesk.ModelService and tells a call's maximum cost (MaxCost) for the
// budget guard.
type Service struct {
	// Router routes the calls. Required.
	Router *Router
	// Simulated names the provider instances whose answers are simulated;
	// their results are labelled so.
	Simulated map[string]bool
	// BudgetLeft tells the customer's budget left (0-1, -1 for none) for the
	// router's budget rule; nil: unknown.
	BudgetLeft func(ctx context.Context, customerID string) (float64, error)
	// Observer records every call; nil records nothing.
	Observer Observer
	// Tracer starts a span per call; nil: none.
	Tracer Tracer
}

var _ copydesk.ModelService = (*Service)(nil)

// Stream implements copydesk.ModelService through the router.
func (s *Service) Stream(ctx context.Context, call copydesk.ModelCall, onDelta func(string) error) (*copydesk.ModelResult, error) {
	rc := Call{
		Kind: call.Kind, Priority: call.Priority, Request: call.Request,
		BudgetLeft: -1, EstInputTokens: EstimateTokens(call.Request), CustomerID: call.CustomerID,
	}
	if s.BudgetLeft != nil && call.CustomerID != "" {
		if left, err := s.BudgetLeft(ctx, call.CustomerID); err == nil {
			rc.BudgetLeft = left
		}
	}
	endSpan := func(copydesk.UsageRecord, error) {}
	if s.Tracer != nil {
		ctx, endSpan = s.Tracer.StartProviderCall(ctx, call.Kind)
	}
	var res *Result
	var err error
	if onDelta == nil {
		res, err = s.Router.Complete(ctx, rc)
	} else {
		res, err = s.Router.Stream(ctx, rc, onDelta)
	}
	if err != nil {
		rec := failedRecord(call, err)
		endSpan(copydesk.UsageRecord{}, err)
		if s.Observer != nil {
			s.Observer.ObserveModelCall(rec, err)
		}
		return nil, err
	}
	endSpan(res.Usage, nil)
	if s.Observer != nil {
		s.Observer.ObserveModelCall(res.Usage, nil)
	}
	return &copydesk.ModelResult{Response: res.Response, Usage: res.Usage, Simulated: s.Simulated[res.Usage.Provider]}, nil
}

// failedRecord is what is known of a failed call: its kind, customer and,
// when the router decided anything, the decision and its last attempt.
func failedRecord(call copydesk.ModelCall, err error) copydesk.UsageRecord {
	r := copydesk.UsageRecord{Kind: call.Kind, CustomerID: call.CustomerID}
	var re *Error
	if errors.As(err, &re) {
		r.Decision = re.Decision
		if n := len(re.Decision.Attempts); n > 0 {
			last := re.Decision.Attempts[n-1]
			r.Endpoint, r.Provider, r.Model, r.Attempts = last.Endpoint, last.Provider, last.Model, n
		}
	}
	return r
}

// MaxCost returns the most call can cost on the failover chain the router
// would use now: the prompt's upper bound in tokens plus the output cap
// (Request.MaxTokens, else DefaultMaxOutput) at the most expensive model of
// the chain. Returns EINVALID when no route fits the call.
func (s *Service) MaxCost(call copydesk.ModelCall) (copydesk.Micros, error) {
	return s.Router.MaxCost(Call{Kind: call.Kind, Priority: call.Priority, Request: call.Request, BudgetLeft: -1})
}

// DefaultMaxOutput is the output assumed for a call that sets no MaxTokens
// when its maximum cost is reserved.
const DefaultMaxOutput = 4096

// MaxCost returns the most call can cost on the chain the router would use
// now. See Service.MaxCost.
func (r *Router) MaxCost(call Call) (copydesk.Micros, error) {
	_, chain, _, err := r.selectRoute(call)
	if err != nil {
		return 0, err
	}
	out := call.Request.OutputCap(DefaultMaxOutput) // 0 for an embedding call
	in := MaxInputTokens(call.Request)
	now := r.clock.Now().UTC()
	var most copydesk.Micros
	for _, ep := range chain {
		c, err := r.prices.MaxCost(ep.cfg.Model, in, out, now)
		if err != nil {
			continue // no price: the router accounts it as free too
		}
		most = max(most, c)
	}
	return most, nil
}

// MaxInputTokens bounds a request's prompt in tokens from above: a token is
// at least one byte, plus a few tokens of framing per message and input.
func MaxInputTokens(req copydesk.ModelRequest) int { return req.PromptBytes() }

// EstimateTokens guesses a prompt's tokens (about four bytes each) for the
// tokens-per-minute limit; the provider's reported usage corrects it.
func EstimateTokens(req copydesk.ModelRequest) int {
	n := len(req.System)
	for _, m := range req.Messages {
		n += len(m.Content)
	}
	for _, in := range req.Input {
		n += len(in)
	}
	return n/4 + 1
}
