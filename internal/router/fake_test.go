package router

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/pricing"
)

// testPrices is the price table of the router tests: the models testConfig
// names, at their 2025 list prices.
func testPrices() *pricing.Table {
	eff := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	p := func(model string, in, cached, out copydesk.Micros) pricing.Price {
		return pricing.Price{Model: model, InputPerMTok: in, CachedInputPerMTok: cached, OutputPerMTok: out, Effective: eff, Source: "test"}
	}
	t, err := pricing.NewTable(pricing.USD, []pricing.Price{
		p("gpt-4.1", 2_000_000, 500_000, 8_000_000),
		p("gpt-4.1-mini", 400_000, 100_000, 1_600_000),
		p("gpt-4.1-nano", 100_000, 25_000, 400_000),
		p("claude-sonnet-4", 3_000_000, 300_000, 15_000_000),
		p("claude-haiku-4-5", 1_000_000, 100_000, 5_000_000),
		p("gemini-2.5-flash-lite", 100_000, 10_000, 400_000),
	})
	if err != nil {
		panic(err)
	}
	return t
}

// step is one scripted provider answer.
type step struct {
	kind       copydesk.ProviderErrorKind // "" for success
	retryAfter time.Duration
	deltas     []string      // streamed before the answer or the error
	took       time.Duration // advances the fake clock before answering
	block      bool          // wait for the context to end
	usage      copydesk.Usage
}

// scripted is a copydesk.Provider (one key) that answers from a script,
// then with success once the script is used up.
type scripted struct {
	name  string
	clock *fakeClock

	// onCall, when set, sees each request as the call starts (in the
	// order the router made the calls).
	onCall func(copydesk.ModelRequest)

	mu    sync.Mutex
	steps []step
	reqs  []copydesk.ModelRequest
}

var _ copydesk.Provider = (*scripted)(nil)

func (p *scripted) Name() string { return p.name }

func (p *scripted) next(req copydesk.ModelRequest) step {
	if p.onCall != nil {
		p.onCall(req)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reqs = append(p.reqs, req)
	if len(p.steps) == 0 {
		return step{usage: copydesk.Usage{InputTokens: 1000, OutputTokens: 500}}
	}
	s := p.steps[0]
	p.steps = p.steps[1:]
	return s
}

// Calls returns how many calls the provider got.
func (p *scripted) Calls() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.reqs)
}

func (p *scripted) answer(ctx context.Context, s step, req copydesk.ModelRequest, text string) (*copydesk.ModelResponse, error) {
	if s.took > 0 && p.clock != nil {
		p.clock.Advance(s.took)
	}
	if s.block {
		<-ctx.Done()
		return nil, &copydesk.ProviderError{Provider: p.name, Kind: copydesk.ProviderTimeout, Message: "deadline", Err: ctx.Err()}
	}
	if s.kind != "" {
		return nil, &copydesk.ProviderError{Provider: p.name, Kind: s.kind, Status: statusOf(s.kind), RetryAfter: s.retryAfter, Message: "scripted " + string(s.kind) + " (key sk-secret-should-not-leak)"}
	}
	return &copydesk.ModelResponse{Text: text, Model: req.Model, FinishReason: "stop", Usage: s.usage}, nil
}

func (p *scripted) Complete(ctx context.Context, req copydesk.ModelRequest) (*copydesk.ModelResponse, error) {
	s := p.next(req)
	return p.answer(ctx, s, req, "answer from "+p.name)
}

func (p *scripted) Stream(ctx context.Context, req copydesk.ModelRequest, onDelta func(string) error) (*copydesk.ModelResponse, error) {
	s := p.next(req)
	deltas := s.deltas
	if s.kind == "" && len(deltas) == 0 {
		deltas = []string{"answer ", "from ", p.name}
	}
	text := ""
	for _, d := range deltas {
		if p.clock != nil {
			p.clock.Advance(10 * time.Millisecond)
		}
		if err := onDelta(d); err != nil {
			return nil, err
		}
		text += d
	}
	return p.answer(ctx, s, req, text)
}

func statusOf(k copydesk.ProviderErrorKind) int {
	switch k {
	case copydesk.ProviderRateLimited:
		return 429
	case copydesk.ProviderOverloaded:
		return 529
	case copydesk.ProviderServer:
		return 500
	case copydesk.ProviderAuth:
		return 401
	case copydesk.ProviderBadRequest:
		return 400
	}
	return 0
}

// fakeClock is a manual clock; its Sleep advances it and records the wait.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock {
	// Start at the real time: a context deadline set from the fake time
	// (ctx.WithDeadline(clock.Now()+d)) must also lie in the real future,
	// or the context is already done. (A fixed date here made one test
	// fail once the wall clock passed it.)
	return &fakeClock{now: time.Now().UTC().Truncate(time.Second)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// fixture is a router over scripted providers: openai with two keys,
// anthropic and gemini with one.
type fixture struct {
	r     *Router
	clock *fakeClock
	oa    []*scripted
	an    *scripted
	gm    *scripted
}

// testConfig has quality = [oa-quality, an-quality], fast = [an-fast,
// oa-fast], budget = [gm-budget, oa-budget], and small limits.
func testConfig() Config {
	return Config{
		Endpoints: map[string]EndpointConfig{
			"oa-quality": {Provider: "openai", Model: "gpt-4.1"},
			"an-quality": {Provider: "anthropic", Model: "claude-sonnet-4"},
			"an-fast":    {Provider: "anthropic", Model: "claude-haiku-4-5"},
			"oa-fast":    {Provider: "openai", Model: "gpt-4.1-mini"},
			"gm-budget":  {Provider: "gemini", Model: "gemini-2.5-flash-lite"},
			"oa-budget":  {Provider: "openai", Model: "gpt-4.1-nano"},
		},
		Classes: map[string][]string{
			ClassQuality: {"oa-quality", "an-quality"},
			ClassFast:    {"an-fast", "oa-fast"},
			ClassBudget:  {"gm-budget", "oa-budget"},
		},
		Breaker: BreakerConfig{Consecutive: 3, Cooldown: 30 * time.Second},
	}
}

// MustFixture builds a fixture; edit may change the config first.
func MustFixture(tb testing.TB, edit func(*Config)) *fixture {
	tb.Helper()
	clock := newFakeClock()
	f := &fixture{
		clock: clock,
		oa:    []*scripted{{name: "openai", clock: clock}, {name: "openai", clock: clock}},
		an:    &scripted{name: "anthropic", clock: clock},
		gm:    &scripted{name: "gemini", clock: clock},
	}
	cfg := testConfig()
	if edit != nil {
		edit(&cfg)
	}
	r, err := New(cfg, Options{
		Providers: map[string][]copydesk.Provider{
			"openai":    {f.oa[0], f.oa[1]},
			"anthropic": {f.an},
			"gemini":    {f.gm},
		},
		Prices: testPrices(),
		Clock:  clock,
		Sleep:  clock.Sleep,
		Rand:   func(n int64) int64 { return n - 1 }, // the full backoff
	})
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	f.r = r
	return f
}

func userCall(kind string, p copydesk.Priority) Call {
	return Call{
		Kind:       kind,
		Priority:   p,
		BudgetLeft: -1,
		Request:    copydesk.ModelRequest{Messages: []copydesk.Message{{Role: "user", Content: "hello"}}},
	}
}
