// Package router decides which model serves a model call and carries the
// call there: it picks a model class from the configured rules (task kind,
// priority, the customer's budget left), orders the class's failover chain
// by load, and walks it across endpoints and keys under Copydesk's own
// limits, a circuit breaker per endpoint and key, dead-key rotation and a
// retry policy with exponential backoff, full jitter and Retry-After. Every
// step is recorded in the call's Decision, and every successful call yields
// a usage record with its cost from the price table.
//
// The provider SDKs' own retries must be off: the router is the only place
// that retries.
package router

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/pricing"
	"github.com/copydesk/copydesk/internal/providerlimit"
)

// Decision records why a call went where it went.
type Decision = copydesk.RouteDecision

// Attempt is one step of a Decision.
type Attempt = copydesk.RouteAttempt

// Call is one model call as a task asks for it.
type Call struct {
	// Kind is the task kind, e.g. "analysis.tone" or "translation".
	Kind string
	// Priority is the call's priority; 0 means PriorityHigh.
	Priority copydesk.Priority
	// Request is the model request. With Model empty the router chooses;
	// otherwise Model must name a class, an endpoint or an endpoint's model,
	// and the rules are bypassed.
	Request copydesk.ModelRequest
	// BudgetLeft is the fraction (0-1) of the customer's budget left, or -1
	// if unknown. Note that 0 means none left.
	BudgetLeft float64
	// EstInputTokens estimates the prompt size for the tokens-per-minute
	// limit; Request.MaxTokens is added for the output.
	EstInputTokens int
	// CustomerID is copied into the usage record.
	CustomerID string
}

// Result is a successful call.
type Result struct {
	// Response is the provider's answer.
	Response *copydesk.ModelResponse
	// Usage is the accounting record: tokens, cost, latency, attempts and
	// the decision.
	Usage copydesk.UsageRecord
	// Decision is Usage.Decision, for convenience.
	Decision Decision
}

// Error is a failed call. It carries the Decision and unwraps to a
// *copydesk.Error with a code for the caller and, when a provider failed, to
// the last *copydesk.ProviderError.
type Error struct {
	// Decision records the class chosen and every attempt.
	Decision Decision
	// Err is the last underlying error: a *copydesk.ProviderError, a
	// *providerlimit.RejectedError, a context error or the receiver's error.
	Err error

	domain *copydesk.Error
}

// Error implements error.
func (e *Error) Error() string {
	return fmt.Sprintf("router: %s after %d attempts (class %s): %v", e.domain.Code, len(e.Decision.Attempts), e.Decision.Class, e.Err)
}

// Unwrap returns the domain error and the underlying error.
func (e *Error) Unwrap() []error { return []error{e.domain, e.Err} }

// Options are the router's dependencies.
type Options struct {
	// Providers maps a provider name (EndpointConfig.Provider) to its
	// clients, one per API key: the key index in decisions is the index here.
	Providers map[string][]copydesk.Provider
	// Prices costs every call. Required: every endpoint's model must have a
	// price.
	Prices *pricing.Table
	// Clock tells the time. Default: the system clock.
	Clock copydesk.Clock
	// Sleep waits d or until ctx ends. Default: a timer and a select.
	Sleep func(ctx context.Context, d time.Duration) error
	// Rand returns a uniform random number in [0, n), for jitter.
	// Default: math/rand/v2.
	Rand func(n int64) int64
	// Catalog lists the models each provider serves by their own names
	// beyond the configured endpoints (catalog.Served); a call naming one
	// goes to an endpoint made on first use ("provider/model") with the
	// provider's Config.CatalogLimits. Nil: only configured endpoints are
	// served.
	Catalog Catalog
	// Shared, when set, is the provider capacity the instances share
	// (redis.ProviderLimits): every endpoint's limits hold across them, in
	// total. Nil: each instance's own limits.
	Shared providerlimit.Shared
}

// Router routes model calls. It is safe for concurrent use.
type Router struct {
	cfg     Config
	clock   copydesk.Clock
	sleep   func(context.Context, time.Duration) error
	rand    func(int64) int64
	prices  *pricing.Table
	eps     map[string]*endpoint
	epNames []string               // the keys of eps, sorted
	byModel map[string][]*endpoint // the endpoints serving each model, in epNames order
	classes map[string][]*endpoint
	rules   []rule
	keys    map[string][]*keyHealth // guarded by mu after New

	catalog   Catalog
	shared    providerlimit.Shared
	clients   map[string][]copydesk.Provider
	providers []string   // provider names, sorted
	mu        sync.Mutex // serializes making implicit endpoints
	implicit  sync.Map   // "provider/model" → *endpoint made from the catalogue
}

type rule struct {
	kind     string
	priority copydesk.Priority
	class    string
}

type endpoint struct {
	name    string
	cfg     EndpointConfig
	clients []copydesk.Provider
	health  []*keyHealth   // shared by every endpoint of the provider
	breaker []*breaker     // per key, this endpoint only
	cooling []atomic.Int64 // per key: unix nanoseconds until which a 429's Retry-After runs
	limiter *providerlimit.Limiter
	next    atomic.Uint32
}

// keyHealth tracks whether a key failed authentication.
type keyHealth struct {
	deadUntil atomic.Int64 // unix nanoseconds; 0 if alive
}

// New returns a router for cfg. Returns EINVALID naming the problem if cfg
// is invalid, an endpoint's provider has no clients, or an endpoint's model
// has no price.
func New(cfg Config, opts Options) (*Router, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	if opts.Prices == nil {
		return nil, copydesk.Errorf(copydesk.EINVALID, "router: a price table is required")
	}
	r := &Router{
		cfg:     cfg,
		clock:   opts.Clock,
		sleep:   opts.Sleep,
		rand:    opts.Rand,
		prices:  opts.Prices,
		eps:     make(map[string]*endpoint),
		classes: make(map[string][]*endpoint),
		keys:    make(map[string][]*keyHealth),
		catalog: opts.Catalog,
		shared:  opts.Shared,
		clients: opts.Providers,
	}
	r.providers = sortedKeys(opts.Providers)
	if r.clock == nil {
		r.clock = copydesk.SystemClock{}
	}
	if r.sleep == nil {
		r.sleep = sleep
	}
	if r.rand == nil {
		r.rand = rand.Int64N
	}
	now := r.clock.Now()
	for _, name := range sortedKeys(cfg.Endpoints) {
		ec := cfg.Endpoints[name]
		clients := opts.Providers[ec.Provider]
		if len(clients) == 0 {
			return nil, copydesk.Errorf(copydesk.EINVALID, "router: endpoints.%s.provider: no provider %q is configured (known: %s)", name, ec.Provider, strings.Join(sortedKeys(opts.Providers), ", "))
		}
		if slices.Contains(clients, nil) {
			return nil, copydesk.Errorf(copydesk.EINVALID, "router: provider %q has a nil client", ec.Provider)
		}
		if _, err := r.prices.Lookup(ec.Model, now); err != nil {
			return nil, copydesk.Errorf(copydesk.EINVALID, "router: endpoints.%s.model: %s", name, copydesk.ErrorMessage(err))
		}
		lim, err := providerlimit.NewShared(ec.Limits, r.clock, name, r.shared)
		if err != nil {
			return nil, copydesk.Errorf(copydesk.EINVALID, "router: endpoints.%s: %s", name, copydesk.ErrorMessage(err))
		}
		health := r.keys[ec.Provider]
		if health == nil {
			health = make([]*keyHealth, len(clients))
			for i := range health {
				health[i] = &keyHealth{}
			}
			r.keys[ec.Provider] = health
		}
		ep := &endpoint{name: name, cfg: ec, clients: clients, health: health, limiter: lim}
		for range clients {
			ep.breaker = append(ep.breaker, newBreaker(cfg.Breaker))
		}
		ep.cooling = make([]atomic.Int64, len(clients))
		r.eps[name] = ep
	}
	r.epNames = sortedKeys(r.eps)
	r.byModel = make(map[string][]*endpoint)
	for _, name := range r.epNames {
		ep := r.eps[name]
		r.byModel[ep.cfg.Model] = append(r.byModel[ep.cfg.Model], ep)
	}
	for class, chain := range cfg.Classes {
		for _, name := range chain {
			r.classes[class] = append(r.classes[class], r.eps[name])
		}
	}
	for _, ru := range cfg.Rules {
		var p copydesk.Priority
		if ru.Priority != "" {
			p, _ = parsePriority(ru.Priority) // validated
		}
		r.rules = append(r.rules, rule{kind: ru.Kind, priority: p, class: ru.Class})
	}
	for _, name := range sortedKeys(cfg.Aliases) {
		if _, err := r.resolve(cfg.Aliases[name]); err != nil {
			return nil, copydesk.Errorf(copydesk.EINVALID, "router: aliases.%s: %s", name, copydesk.ErrorMessage(err))
		}
	}
	return r, nil
}

// Select returns the class and failover chain a call would use now, and
// why. Returns EINVALID for a bad priority or an unknown requested model.
func (r *Router) Select(call Call) (class string, chain []string, reason string, err error) {
	class, eps, reason, err := r.selectRoute(call)
	if err != nil {
		return "", nil, "", err
	}
	for _, ep := range eps {
		chain = append(chain, ep.name)
	}
	return class, chain, reason, nil
}

func (r *Router) selectRoute(call Call) (string, []*endpoint, string, error) {
	if call.Priority < 0 || call.Priority > copydesk.PriorityLow {
		return "", nil, "", copydesk.Errorf(copydesk.EINVALID, "priority %d is not one of 1 (critical) to 4 (low)", call.Priority)
	}
	if m := call.Request.Model; m != "" {
		res, err := r.resolve(m)
		if err != nil {
			return "", nil, "", err
		}
		if err := checkKind(m, res, call.Request.IsEmbedding()); err != nil {
			return "", nil, "", err
		}
		return res.class, res.chain, res.reason, nil
	}
	if call.Request.IsEmbedding() {
		return "", nil, "", copydesk.Errorf(copydesk.EINVALID, "an embedding call needs a model: name an embedding model such as text-embedding-3-small")
	}
	class, reason := r.classFor(call)
	chain := r.classes[class]
	if len(chain) > 1 && r.cfg.LoadThreshold >= 0 {
		if load := chain[0].limiter.Load(); load > r.cfg.LoadThreshold {
			reason += fmt.Sprintf("; %s at %.0f%% of its concurrency, so %s first", chain[0].name, load*100, chain[1].name)
			chain = append(slices.Clone(chain[1:]), chain[0])
		}
	}
	return class, chain, reason, nil
}

// classFor applies the budget rule, then the rules, then the default.
func (r *Router) classFor(call Call) (class, reason string) {
	if t := r.cfg.BudgetThreshold; t >= 0 && call.BudgetLeft >= 0 && call.BudgetLeft < t {
		return r.cfg.BudgetClass, fmt.Sprintf("budget left %.0f%% is below %.0f%%", call.BudgetLeft*100, t*100)
	}
	p := cmpOr(call.Priority, copydesk.PriorityHigh)
	for _, ru := range r.rules {
		if ru.priority != 0 && ru.priority != p {
			continue
		}
		if ru.kind != "" && !kindMatches(call.Kind, ru.kind) {
			continue
		}
		switch {
		case ru.kind != "" && ru.priority != 0:
			return ru.class, "kind " + call.Kind + " at priority " + p.String() + " uses " + ru.class
		case ru.kind != "":
			return ru.class, "kind " + call.Kind + " uses " + ru.class
		case ru.priority != 0:
			return ru.class, "priority " + p.String() + " uses " + ru.class
		default:
			return ru.class, "catch-all rule uses " + ru.class
		}
	}
	return r.cfg.DefaultClass, "no rule for kind " + call.Kind + "; default class " + r.cfg.DefaultClass
}

func kindMatches(kind, prefix string) bool {
	return kind == prefix || strings.HasPrefix(kind, prefix) && kind[len(prefix)] == '.'
}

// BreakerState returns the state of the circuit breaker of an endpoint's
// key (copydesk.BreakerClosed, BreakerOpen or BreakerHalfOpen); "" if there
// is no such endpoint or key.
func (r *Router) BreakerState(endpoint string, key int) string {
	ep, ok := r.endpoint(endpoint)
	if !ok || key < 0 || key >= len(ep.breaker) {
		return ""
	}
	return ep.breaker[key].State(r.clock.Now())
}

// Load returns an endpoint's calls in flight as a fraction of its
// concurrency cap, and false if there is no such endpoint.
func (r *Router) Load(endpoint string) (float64, bool) {
	ep, ok := r.endpoint(endpoint)
	if !ok {
		return 0, false
	}
	return ep.limiter.Load(), true
}

// Stats returns the state of every endpoint, sorted by name.
func (r *Router) Stats() []copydesk.EndpointStats {
	now := r.clock.Now()
	out := make([]copydesk.EndpointStats, 0, len(r.eps))
	for _, ep := range r.allEndpoints() {
		name := ep.name
		inflight, queued := ep.limiter.Stats()
		st := copydesk.EndpointStats{
			Name: name, Provider: ep.cfg.Provider, Model: ep.cfg.Model,
			InFlight: inflight, Queued: queued, Load: float64(inflight) / float64(ep.limiter.Config().Concurrency),
		}
		for k, b := range ep.breaker {
			st.Breakers = append(st.Breakers, b.State(now))
			if until := ep.health[k].deadUntil.Load(); until != 0 && now.UnixNano() < until {
				st.DeadKeys = append(st.DeadKeys, k)
			}
		}
		out = append(out, st)
	}
	return out
}

// Complete runs a non-streaming call. On failure the error is an *Error.
func (r *Router) Complete(ctx context.Context, call Call) (*Result, error) {
	return r.run(ctx, call, nil)
}

// Stream runs a streaming call, passing each text delta to onDelta in
// order. Failures before the first delta are retried and failed over like
// Complete's; once a delta has reached onDelta the call is never retried or
// failed over, and a later failure is returned as an *Error. If onDelta
// returns an error the stream is abandoned and an *Error wrapping it is
// returned.
func (r *Router) Stream(ctx context.Context, call Call, onDelta func(delta string) error) (*Result, error) {
	if onDelta == nil {
		return nil, copydesk.Errorf(copydesk.EINVALID, "router: Stream needs an onDelta function")
	}
	return r.run(ctx, call, onDelta)
}

// run is the state of one call through the router.
type run struct {
	r         *Router
	call      Call
	onDelta   func(string) error
	start     time.Time
	dec       Decision
	calls     int // provider calls made
	lastErr   error
	est       int
	priority  copydesk.Priority
	midStream bool // a stream failed after text reached the receiver
}

// outcome tells run what to do after an attempt.
type outcome int

const (
	nextKey      outcome = iota // try the endpoint's next key now
	nextEndpoint                // try the next endpoint now
	stop                        // return lastErr
)

func (r *Router) run(ctx context.Context, call Call, onDelta func(string) error) (*Result, error) {
	if len(call.Request.Messages) == 0 && !call.Request.IsEmbedding() {
		return nil, copydesk.Errorf(copydesk.EINVALID, "model request has no messages")
	}
	class, chain, reason, err := r.selectRoute(call)
	if err != nil {
		return nil, err
	}
	ru := &run{
		r:        r,
		call:     call,
		onDelta:  onDelta,
		start:    r.clock.Now(),
		dec:      Decision{Class: class, Reason: reason, Attempts: make([]Attempt, 0, 2)},
		est:      max(call.EstInputTokens, 0) + max(call.Request.MaxTokens, 0),
		priority: cmpOr(call.Priority, copydesk.PriorityHigh),
	}
	var wait time.Duration
	for round := 0; ; round++ {
		res, called, limited, retryAfter, done := ru.round(ctx, chain, wait)
		if res != nil || done {
			return res, ru.failIfNil(res)
		}
		if !called && limited != nil {
			// Everything in the chain is at its limit: wait in the best
			// endpoint's queue, by priority.
			res, done = ru.waitFor(ctx, limited)
			if res != nil || done {
				return res, ru.failIfNil(res)
			}
		} else if !called && retryAfter == 0 {
			return nil, ru.fail() // every key dead or every breaker open
		}
		if ru.calls >= r.cfg.Retry.MaxAttempts || !ru.anyUsable(chain) {
			return nil, ru.fail()
		}
		wait = r.backoff(round, retryAfter)
		if dl, ok := ctx.Deadline(); ok && r.clock.Now().Add(wait).After(dl) {
			return nil, ru.fail() // the wait would outlast the caller
		}
		if err := r.sleep(ctx, wait); err != nil {
			ru.lastErr = err
			return nil, ru.fail()
		}
	}
}

func (ru *run) failIfNil(res *Result) error {
	if res != nil {
		return nil
	}
	return ru.fail()
}

// backoff returns the wait before round+1: full jitter over an exponential
// ceiling, but at least the largest Retry-After seen (capped).
func (r *Router) backoff(round int, retryAfter time.Duration) time.Duration {
	ceil := r.cfg.Retry.BaseDelay
	for i := 0; i < round && ceil < r.cfg.Retry.MaxDelay; i++ {
		ceil *= 2
	}
	ceil = min(ceil, r.cfg.Retry.MaxDelay)
	var d time.Duration
	if ceil > 0 {
		d = time.Duration(r.rand(int64(ceil)) + 1)
	}
	return max(d, min(retryAfter, r.cfg.Retry.MaxRetryAfter))
}

// round tries each endpoint of the chain once (and each of its keys while
// the failures are key-specific). It reports a result, whether any provider
// call was made, the refused endpoint whose limiter frees up first, the largest
// Retry-After seen, and whether the call is finished (failed for good).
func (ru *run) round(ctx context.Context, chain []*endpoint, wait time.Duration) (res *Result, called bool, limited *endpoint, retryAfter time.Duration, done bool) {
	var limitedIn, cooling time.Duration
	defer func() {
		// Keys skipped for a Retry-After count like a 429 seen this round.
		if !done && !called && cooling > 0 {
			retryAfter = max(retryAfter, cooling)
		}
	}()
	for _, ep := range chain {
		n := len(ep.clients)
		first := 0
		if n > 1 {
			first = int((ep.next.Add(1) - 1) % uint32(n))
		}
		var release providerlimit.Release
	keys:
		for i := range n {
			if ru.calls >= ru.r.cfg.Retry.MaxAttempts {
				return nil, called, limited, retryAfter, true
			}
			if err := ctx.Err(); err != nil {
				ru.lastErr = err
				return nil, called, limited, retryAfter, true
			}
			k := (first + i) % n
			now := ru.r.clock.Now()
			if until := ep.health[k].deadUntil.Load(); until != 0 && now.UnixNano() < until {
				ru.skip(ep, k, copydesk.OutcomeKeyDead)
				continue
			}
			if until := ep.cooling[k].Load(); until != 0 && now.UnixNano() < until {
				// A 429 told us when this key may be used again.
				ru.skip(ep, k, copydesk.OutcomeKeyCooling)
				in := time.Duration(until - now.UnixNano())
				if cooling == 0 || in < cooling {
					cooling = in
				}
				if ru.lastErr == nil {
					ru.lastErr = &copydesk.ProviderError{Provider: ep.cfg.Provider, Kind: copydesk.ProviderRateLimited, RetryAfter: in, Message: "the key is waiting out a Retry-After"}
				}
				continue
			}
			if !ep.breaker[k].allow(now) {
				ru.skip(ep, k, copydesk.OutcomeBreakerOpen)
				continue
			}
			if release == nil {
				rel, err := ep.limiter.TryAcquire(ru.priority, ru.est)
				if err != nil {
					ep.breaker[k].cancel()
					ru.skip(ep, k, copydesk.OutcomeLimited)
					var rej *providerlimit.RejectedError
					if ru.lastErr == nil || errors.As(ru.lastErr, &rej) {
						ru.lastErr = err
					}
					// Wait, if it comes to that, where capacity frees first.
					if ra := retryAfterOf(err); limited == nil || ra < limitedIn {
						limited, limitedIn = ep, ra
					}
					break keys
				}
				release = rel
			}
			called = true
			res, out, ra := ru.attempt(ctx, ep, k, release, wait)
			release, wait = nil, 0
			if res != nil {
				return res, true, nil, 0, true
			}
			retryAfter = max(retryAfter, ra)
			switch out {
			case stop:
				return nil, true, nil, 0, true
			case nextEndpoint:
				break keys
			}
		}
		if release != nil {
			release(0)
		}
	}
	return nil, called, limited, retryAfter, false
}

// retryAfterOf returns when a limiter rejection frees up (0: unknown, soon).
func retryAfterOf(err error) time.Duration {
	var rej *providerlimit.RejectedError
	if errors.As(err, &rej) {
		return rej.RetryAfter
	}
	return 0
}

// waitFor blocks in ep's limiter queue, then makes one attempt.
func (ru *run) waitFor(ctx context.Context, ep *endpoint) (*Result, bool) {
	t0 := ru.r.clock.Now()
	rel, err := ep.limiter.Acquire(ctx, ru.priority, ru.est)
	if err != nil {
		ru.lastErr = err
		return nil, true
	}
	n := len(ep.clients)
	now := ru.r.clock.Now()
	waited := now.Sub(t0)
	first := int((ep.next.Add(1) - 1) % uint32(n))
	for i := range n {
		k := (first + i) % n
		if until := ep.health[k].deadUntil.Load(); until != 0 && now.UnixNano() < until {
			continue
		}
		if until := ep.cooling[k].Load(); until != 0 && now.UnixNano() < until {
			continue
		}
		if !ep.breaker[k].allow(now) {
			continue
		}
		res, out, _ := ru.attempt(ctx, ep, k, rel, waited)
		return res, res != nil || out == stop
	}
	rel(0)
	return nil, false
}

// anyUsable reports whether some key of the chain is alive with a breaker
// that is not open: whether another round can make a call.
func (ru *run) anyUsable(chain []*endpoint) bool {
	now := ru.r.clock.Now()
	for _, ep := range chain {
		for k := range ep.clients {
			if until := ep.health[k].deadUntil.Load(); until != 0 && now.UnixNano() < until {
				continue
			}
			if ep.breaker[k].State(now) != copydesk.BreakerOpen {
				return true
			}
		}
	}
	return false
}

func (ru *run) skip(ep *endpoint, k int, outcome string) {
	ru.dec.Attempts = append(ru.dec.Attempts, Attempt{
		Endpoint: ep.name, Provider: ep.cfg.Provider, Model: ep.cfg.Model, Key: k, Outcome: outcome,
	})
}

// attempt makes one provider call on ep with key k; release is the
// endpoint's limiter slot, which attempt gives back. It returns the result
// on success, otherwise what to do next and the provider's Retry-After.
func (ru *run) attempt(ctx context.Context, ep *endpoint, k int, release providerlimit.Release, wait time.Duration) (*Result, outcome, time.Duration) {
	r := ru.r
	ru.calls++
	req := ru.call.Request
	req.Model = ep.cfg.Model
	cctx, cancel := context.WithTimeout(ctx, ep.cfg.Timeout)
	t0 := r.clock.Now()
	var (
		resp      *copydesk.ModelResponse
		err       error
		delivered bool
		ttft      time.Duration
		recvErr   error
	)
	if req.IsEmbedding() {
		if e, ok := ep.clients[k].(copydesk.Embedder); ok {
			resp, err = e.Embed(cctx, req)
		} else {
			err = &copydesk.ProviderError{Provider: ep.cfg.Provider, Kind: copydesk.ProviderBadRequest, Message: "the provider has no embedding API"}
		}
	} else if ru.onDelta == nil {
		resp, err = ep.clients[k].Complete(cctx, req)
	} else {
		resp, err = ep.clients[k].Stream(cctx, req, func(d string) error {
			if !delivered {
				delivered = true
				ttft = r.clock.Now().Sub(ru.start)
			}
			if err := ru.onDelta(d); err != nil {
				recvErr = err
				return err
			}
			return nil
		})
	}
	timedOut := cctx.Err() != nil && ctx.Err() == nil
	cancel()
	now := r.clock.Now()
	at := Attempt{Endpoint: ep.name, Provider: ep.cfg.Provider, Model: ep.cfg.Model, Key: k, Wait: wait, Duration: now.Sub(t0)}

	if err == nil && resp == nil {
		err = &copydesk.ProviderError{Provider: ep.cfg.Provider, Kind: copydesk.ProviderInvalid, Message: "the provider returned neither an answer nor an error"}
	}
	if err == nil {
		ep.breaker[k].record(now, false)
		release(resp.Usage.InputTokens + resp.Usage.OutputTokens)
		at.Outcome = copydesk.OutcomeOK
		ru.dec.Attempts = append(ru.dec.Attempts, at)
		return ru.result(ep, resp, now, ttft), stop, 0
	}
	release(ru.est)
	ru.lastErr = err
	at.Outcome = copydesk.OutcomeError

	if recvErr != nil || ctx.Err() != nil {
		// The receiver or the caller went away: no verdict on the provider.
		ep.breaker[k].cancel()
		if recvErr != nil {
			ru.lastErr = recvErr
		} else {
			ru.lastErr = ctx.Err()
		}
		ru.dec.Attempts = append(ru.dec.Attempts, at)
		return nil, stop, 0
	}
	pe := classify(ep, err, timedOut)
	ru.lastErr = pe
	at.ErrorKind = pe.Kind
	ru.dec.Attempts = append(ru.dec.Attempts, at)
	failed := pe.Kind.Retryable() && pe.Kind != copydesk.ProviderRateLimited
	ep.breaker[k].record(now, failed)

	switch {
	case delivered:
		ru.midStream = true
		return nil, stop, 0 // never fall back once the caller has text
	case pe.Kind == copydesk.ProviderAuth:
		ep.health[k].deadUntil.Store(now.Add(r.cfg.DeadKeyRecheck).UnixNano())
		return nil, nextKey, 0
	case pe.Kind == copydesk.ProviderRateLimited:
		if pe.RetryAfter > 0 {
			ep.cooling[k].Store(now.Add(min(pe.RetryAfter, r.cfg.Retry.MaxRetryAfter)).UnixNano())
		}
		return nil, nextKey, pe.RetryAfter
	case pe.Kind.Retryable():
		return nil, nextEndpoint, pe.RetryAfter
	}
	return nil, stop, 0 // bad_request, invalid: the same request fails anywhere
}

// classify turns any provider failure into a *copydesk.ProviderError.
func classify(ep *endpoint, err error, timedOut bool) *copydesk.ProviderError {
	var pe *copydesk.ProviderError
	if errors.As(err, &pe) {
		return pe
	}
	if timedOut || errors.Is(err, context.DeadlineExceeded) {
		return &copydesk.ProviderError{Provider: ep.cfg.Provider, Kind: copydesk.ProviderTimeout, Message: fmt.Sprintf("no answer within %s", ep.cfg.Timeout), Err: err}
	}
	return &copydesk.ProviderError{Provider: ep.cfg.Provider, Kind: copydesk.ProviderNetwork, Message: "unclassified provider failure", Err: err}
}

func (ru *run) result(ep *endpoint, resp *copydesk.ModelResponse, now time.Time, ttft time.Duration) *Result {
	r := ru.r
	cost, err := r.prices.Cost(ep.cfg.Model, resp.Usage, now)
	if err != nil {
		// New checked every endpoint's price, so only a broken usage report
		// gets here; charge the most the call can have cost rather than 0.
		cost, _ = r.prices.MaxCost(ep.cfg.Model, max(resp.Usage.InputTokens, resp.Usage.CachedTokens, 0), max(resp.Usage.OutputTokens, 0), now)
	}
	u := copydesk.UsageRecord{
		CustomerID:   ru.call.CustomerID,
		Kind:         ru.call.Kind,
		Endpoint:     ep.name,
		Provider:     ep.cfg.Provider,
		Model:        ep.cfg.Model,
		InputTokens:  resp.Usage.InputTokens,
		OutputTokens: resp.Usage.OutputTokens,
		CachedTokens: resp.Usage.CachedTokens,
		Cost:         cost,
		Currency:     r.prices.Currency().Code,
		Latency:      now.Sub(ru.start),
		TTFT:         ttft,
		Attempts:     ru.calls,
		Decision:     ru.dec,
		At:           now,
	}
	return &Result{Response: resp, Usage: u, Decision: ru.dec}
}

// fail builds the *Error for the run's last failure.
func (ru *run) fail() error {
	e := &Error{Decision: ru.dec, Err: ru.lastErr}
	var (
		pe  *copydesk.ProviderError
		rej *providerlimit.RejectedError
	)
	switch {
	case ru.lastErr == nil:
		e.Err = errors.New("no endpoint could take the call")
		e.domain = &copydesk.Error{Code: copydesk.EUNAVAILABLE, Message: "no model endpoint is available for class " + ru.dec.Class + ": every key is dead or every circuit breaker open", RetryAfter: ru.reopenIn()}
		if allDead(ru.dec.Attempts) {
			e.domain.Message = "every API key for class " + ru.dec.Class + " was rejected by its provider; check the credentials"
		}
	case errors.Is(ru.lastErr, context.Canceled):
		e.domain = &copydesk.Error{Code: copydesk.ECANCELLED, Message: "the model call was cancelled"}
	case errors.Is(ru.lastErr, context.DeadlineExceeded) && !errors.As(ru.lastErr, &pe):
		e.domain = &copydesk.Error{Code: copydesk.EUNAVAILABLE, Message: "no model answered before the deadline"}
	case errors.As(ru.lastErr, &rej):
		e.domain = &copydesk.Error{Code: copydesk.ERATELIMITED, Message: "model capacity is exhausted (" + rej.Reason + "); try again later", RetryAfter: rej.RetryAfter}
	case errors.As(ru.lastErr, &pe) && ru.midStream:
		e.domain = &copydesk.Error{Code: copydesk.EUNAVAILABLE, Message: fmt.Sprintf("the model stream from %s broke after text was sent (%s); it was not retried", pe.Provider, pe.Kind)}
	case errors.As(ru.lastErr, &pe):
		e.domain = providerDomainError(pe)
	default:
		// The receiver of a stream failed.
		e.domain = &copydesk.Error{Code: copydesk.ECANCELLED, Message: "the stream's receiver stopped"}
	}
	return e
}

func allDead(attempts []Attempt) bool {
	for _, a := range attempts {
		if a.Outcome != copydesk.OutcomeKeyDead && a.ErrorKind != copydesk.ProviderAuth {
			return false
		}
	}
	return len(attempts) > 0
}

// reopenIn returns how long until the first open breaker of the attempts
// lets a probe through.
func (ru *run) reopenIn() time.Duration {
	now := ru.r.clock.Now()
	var best time.Duration
	for _, a := range ru.dec.Attempts {
		if a.Outcome != copydesk.OutcomeBreakerOpen {
			continue
		}
		ep, ok := ru.r.endpoint(a.Endpoint)
		if !ok {
			continue
		}
		d := ep.breaker[a.Key].retryAt().Sub(now)
		if d > 0 && (best == 0 || d < best) {
			best = d
		}
	}
	return best
}

// providerDomainError is the caller's view of a provider failure: a code and
// a message without provider internals (which may quote a key).
func providerDomainError(pe *copydesk.ProviderError) *copydesk.Error {
	switch pe.Kind {
	case copydesk.ProviderRateLimited:
		return &copydesk.Error{Code: copydesk.ERATELIMITED, Message: "the model provider " + pe.Provider + " is rate limiting; try again later", RetryAfter: pe.RetryAfter}
	case copydesk.ProviderBadRequest:
		return &copydesk.Error{Code: copydesk.EINVALID, Message: fmt.Sprintf("the model provider %s rejected the request (status %d)", pe.Provider, pe.Status)}
	case copydesk.ProviderAuth:
		return &copydesk.Error{Code: copydesk.EUNAVAILABLE, Message: "every API key for " + pe.Provider + " was rejected; check the credentials"}
	case copydesk.ProviderInvalid:
		return &copydesk.Error{Code: copydesk.EUNAVAILABLE, Message: "the model's answer from " + pe.Provider + " was unusable"}
	}
	return &copydesk.Error{Code: copydesk.EUNAVAILABLE, Message: fmt.Sprintf("the model provider %s failed (%s)", pe.Provider, pe.Kind), RetryAfter: pe.RetryAfter}
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func cmpOr(p, def copydesk.Priority) copydesk.Priority {
	if p == 0 {
		return def
	}
	return p
}

// Prices returns the price table the router costs calls with.
func (r *Router) Prices() *pricing.Table { return r.prices }

// BatchProviders returns, per provider instance whose adapter has a batch
// API (copydesk.BatchProvider), the client of its first key: a provider's
// batches are created and read back with one key, since a batch belongs to
// the account (and project) that created it.
func (r *Router) BatchProviders() map[string]copydesk.BatchProvider {
	out := map[string]copydesk.BatchProvider{}
	for name, list := range r.clients {
		if len(list) == 0 {
			continue
		}
		if bp, ok := list[0].(copydesk.BatchProvider); ok {
			out[name] = bp
		}
	}
	return out
}
