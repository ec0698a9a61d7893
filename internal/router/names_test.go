package router

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/pricing"
	"github.com/copydesk/copydesk/internal/providerlimit"
)

// fakeCatalog serves models by provider instance name.
type fakeCatalog map[string][]copydesk.ModelInfo

func (c fakeCatalog) Models(provider string) []copydesk.ModelInfo { return c[provider] }

func (c fakeCatalog) Find(provider, name string) (copydesk.ModelInfo, bool) {
	for _, m := range c[provider] {
		if m.ID == name || m.ID+"-2026-01-01" == name {
			m.ID, m.Model = name, name
			return m, true
		}
	}
	return copydesk.ModelInfo{}, false
}

// embedding is a scripted provider that also embeds and counts tokens.
type embedding struct {
	*scripted
	counted []copydesk.ModelRequest
	mu      sync.Mutex
}

func (e *embedding) Embed(ctx context.Context, req copydesk.ModelRequest) (*copydesk.ModelResponse, error) {
	s := e.next(req)
	if s.kind != "" {
		return e.answer(ctx, s, req, "")
	}
	vecs := make([]copydesk.Vector, len(req.Input))
	for i := range vecs {
		vecs[i] = []float32{float32(i), 0.5}
	}
	return &copydesk.ModelResponse{Model: req.Model, Embeddings: vecs, Usage: copydesk.Usage{InputTokens: 7 * len(req.Input)}}, nil
}

func (e *embedding) CountTokens(ctx context.Context, req copydesk.ModelRequest) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.counted = append(e.counted, req)
	return 42, nil
}

func catalogPrices() *pricing.Table {
	eff := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var ps []pricing.Price
	for _, p := range testPrices().Models() {
		pr, _ := testPrices().Lookup(p, eff.AddDate(1, 0, 0))
		ps = append(ps, pr)
	}
	for _, m := range []string{"gpt-6-luna", "claude-opus-5-5", "text-embedding-3-small"} {
		ps = append(ps, pricing.Price{Model: m, InputPerMTok: 100_000, OutputPerMTok: 500_000, Effective: eff})
	}
	t, err := pricing.NewTable(pricing.USD, ps)
	if err != nil {
		panic(err)
	}
	return t
}

type catalogFixture struct {
	r  *Router
	oa *embedding
	an *embedding
	gm *scripted
}

func MustCatalogFixture(tb testing.TB, edit func(*Config)) *catalogFixture {
	tb.Helper()
	clock := newFakeClock()
	f := &catalogFixture{
		oa: &embedding{scripted: &scripted{name: "openai", clock: clock}},
		an: &embedding{scripted: &scripted{name: "anthropic", clock: clock}},
		gm: &scripted{name: "gemini", clock: clock},
	}
	cfg := testConfig()
	if edit != nil {
		edit(&cfg)
	}
	cat := fakeCatalog{
		"openai": {
			{ID: "gpt-6-luna", Kind: copydesk.ModelKindChat, OwnedBy: "openai", ContextWindow: 1_050_000},
			{ID: "text-embedding-3-small", Kind: copydesk.ModelKindEmbedding, OwnedBy: "openai", Dimensions: 1536},
			{ID: "gpt-4.1", Kind: copydesk.ModelKindChat, OwnedBy: "openai"},
		},
		"anthropic": {{ID: "claude-opus-5-5", Kind: copydesk.ModelKindChat, OwnedBy: "anthropic"}},
		"gemini":    {{ID: "gemini-unpriced", Kind: copydesk.ModelKindChat, OwnedBy: "google"}},
	}
	r, err := New(cfg, Options{
		Providers: map[string][]copydesk.Provider{"openai": {f.oa}, "anthropic": {f.an}, "gemini": {f.gm}},
		Prices:    catalogPrices(),
		Clock:     clock,
		Sleep:     clock.Sleep,
		Catalog:   cat,
	})
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	f.r = r
	return f
}

func chatCall(model string) Call {
	c := userCall("chat", copydesk.PriorityCritical)
	c.Request.Model = model
	return c
}

func TestCatalogNames(t *testing.T) {
	t.Parallel()
	f := MustCatalogFixture(t, func(c *Config) {
		c.Aliases = map[string]string{"gpt-4o": ClassQuality, "smart": "anthropic/claude-opus-5-5", "cheap": "gpt-6-luna"}
	})
	for _, tc := range []struct {
		model, wantEndpoint, wantModel string
	}{
		{"gpt-6-luna", "openai/gpt-6-luna", "gpt-6-luna"},
		{"gpt-6-luna-2026-01-01", "openai/gpt-6-luna-2026-01-01", "gpt-6-luna-2026-01-01"},
		{"openai/gpt-6-luna", "openai/gpt-6-luna", "gpt-6-luna"},
		{"anthropic/claude-opus-5-5", "anthropic/claude-opus-5-5", "claude-opus-5-5"},
		{"claude-opus-5-5", "anthropic/claude-opus-5-5", "claude-opus-5-5"},
		{"openai/gpt-4.1", "oa-quality", "gpt-4.1"}, // a configured endpoint wins
		{"gpt-4.1", "oa-quality", "gpt-4.1"},
		{"smart", "anthropic/claude-opus-5-5", "claude-opus-5-5"},
		{"cheap", "openai/gpt-6-luna", "gpt-6-luna"},
		{"gpt-4o", "oa-quality", "gpt-4.1"}, // alias of the quality class
	} {
		t.Run(tc.model, func(t *testing.T) {
			res, err := f.r.Complete(context.Background(), chatCall(tc.model))
			if err != nil {
				t.Fatal(err)
			}
			if res.Usage.Endpoint != tc.wantEndpoint || res.Usage.Model != tc.wantModel {
				t.Errorf("got endpoint %q model %q, want %q %q", res.Usage.Endpoint, res.Usage.Model, tc.wantEndpoint, tc.wantModel)
			}
			if res.Usage.Cost <= 0 {
				t.Errorf("got cost %d, want a priced call", res.Usage.Cost)
			}
		})
	}
	for _, tc := range []struct {
		model, code, want string
	}{
		{"gpt-9", copydesk.ENOMODEL, `"gpt-9" is not served here`},
		{"openai/claude-opus-5-5", copydesk.ENOMODEL, "serves no model"},
		{"mistral/large", copydesk.ENOMODEL, "not served here"},
		{"gemini-unpriced", copydesk.EINVALID, "no price"},
		{"text-embedding-3-small", copydesk.EINVALID, "embedding model"},
	} {
		_, err := f.r.Complete(context.Background(), chatCall(tc.model))
		if copydesk.ErrorCode(err) != tc.code || !strings.Contains(copydesk.ErrorMessage(err), tc.want) {
			t.Errorf("%s: got %v, want %s mentioning %q", tc.model, err, tc.code, tc.want)
		}
	}
	if m, ok := f.r.EndpointModel("openai/gpt-6-luna"); !ok || m != "gpt-6-luna" {
		t.Errorf("EndpointModel: got %q, %v", m, ok)
	}
	var names []string
	for _, st := range f.r.Stats() {
		names = append(names, st.Name)
	}
	if !slices.Contains(names, "anthropic/claude-opus-5-5") || !slices.Contains(names, "oa-quality") {
		t.Errorf("Stats lists %v, want the configured and the catalogue endpoints used", names)
	}
}

func TestCatalogLimits(t *testing.T) {
	t.Parallel()
	f := MustCatalogFixture(t, func(c *Config) {
		c.CatalogLimits = map[string]providerlimit.Config{"anthropic": {Concurrency: 3, RequestsPerMinute: -1}}
	})
	for _, m := range []string{"claude-opus-5-5", "gpt-6-luna"} {
		if _, err := f.r.Complete(context.Background(), chatCall(m)); err != nil {
			t.Fatal(err)
		}
	}
	for _, st := range f.r.Stats() {
		ep, _ := f.r.endpoint(st.Name)
		got := ep.limiter.Config()
		switch st.Name {
		case "anthropic/claude-opus-5-5":
			if got.Concurrency != 3 || got.RequestsPerMinute != -1 {
				t.Errorf("%s: got limits %+v, want the configured ones", st.Name, got)
			}
		case "openai/gpt-6-luna":
			if got != (providerlimit.Config{}).WithDefaults() {
				t.Errorf("%s: got limits %+v, want the defaults", st.Name, got)
			}
		}
	}
	cfg := testConfig()
	cfg.CatalogLimits = map[string]providerlimit.Config{"openai": {Concurrency: -2}}
	if err := cfg.Validate(); !strings.Contains(copydesk.ErrorMessage(err), "catalog_limits.openai") {
		t.Errorf("bad catalog limits: got %v", err)
	}
}

func TestCatalogEndpointMadeOnce(t *testing.T) {
	t.Parallel()
	f := MustCatalogFixture(t, nil)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if _, err := f.r.Complete(context.Background(), chatCall("gpt-6-luna")); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	n := 0
	for _, st := range f.r.Stats() {
		if st.Name == "openai/gpt-6-luna" {
			n++
		}
	}
	if n != 1 || f.oa.Calls() != 50 {
		t.Errorf("got %d endpoints and %d calls, want 1 and 50", n, f.oa.Calls())
	}
}

func TestAliasConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		aliases map[string]string
		want    string
	}{
		{"shadows a class", map[string]string{"quality": "fast"}, "already a class"},
		{"chain", map[string]string{"a": "b", "b": "fast"}, "itself an alias"},
		{"empty target", map[string]string{"a": ""}, "must both be names"},
	} {
		cfg := testConfig()
		cfg.Aliases = tc.aliases
		if err := cfg.Validate(); !strings.Contains(copydesk.ErrorMessage(err), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
	cfg := testConfig()
	cfg.Aliases = map[string]string{"x": "gpt-nothing"}
	_, err := New(cfg, Options{Providers: map[string][]copydesk.Provider{"openai": {&scripted{name: "openai"}}, "anthropic": {&scripted{name: "anthropic"}}, "gemini": {&scripted{name: "gemini"}}}, Prices: testPrices()})
	if !strings.Contains(copydesk.ErrorMessage(err), "aliases.x") {
		t.Errorf("alias to an unknown model: got %v", err)
	}
}

func TestEmbeddingCalls(t *testing.T) {
	t.Parallel()
	f := MustCatalogFixture(t, func(c *Config) {
		c.Endpoints["gm-embed"] = EndpointConfig{Provider: "gemini", Model: "gpt-4.1"} // an adapter without embeddings
	})
	call := Call{Kind: "embedding", BudgetLeft: -1, Request: copydesk.ModelRequest{Model: "text-embedding-3-small", Input: []string{"a", "b"}}}
	res, err := f.r.Complete(context.Background(), call)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Response.Embeddings) != 2 || res.Usage.InputTokens != 14 || res.Usage.Cost <= 0 {
		t.Errorf("got %d vectors, usage %+v", len(res.Response.Embeddings), res.Usage)
	}
	if got := f.oa.reqs[len(f.oa.reqs)-1]; !slices.Equal(got.Input, []string{"a", "b"}) {
		t.Errorf("provider got input %v", got.Input)
	}
	// The budget reserves the input bound at the embedding price, no output.
	mc, err := (&Service{Router: f.r}).MaxCost(copydesk.ModelCall{Kind: "embedding", Request: call.Request})
	want, _ := catalogPrices().MaxCost("text-embedding-3-small", MaxInputTokens(call.Request), 0, f.r.clock.Now())
	if err != nil || mc != want || mc <= 0 {
		t.Errorf("MaxCost of an embedding call: got %d, %v; want %d", mc, err, want)
	}
	for _, tc := range []struct {
		model, want string
	}{
		{"", "needs a model"},
		{"quality", "routing class"},
		{"gpt-6-luna", "is a chat model"},
		{"gm-embed", "no embedding API"},
	} {
		call.Request.Model = tc.model
		_, err := f.r.Complete(context.Background(), call)
		if !strings.Contains(copydesk.ErrorMessage(err), tc.want) && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.model, err, tc.want)
		}
	}
}

func TestDirectory(t *testing.T) {
	t.Parallel()
	f := MustCatalogFixture(t, func(c *Config) { c.Aliases = map[string]string{"gpt-4o": ClassQuality} })
	byID := map[string]copydesk.ModelInfo{}
	var ids []string
	for _, m := range f.r.Models() {
		byID[m.ID] = m
		ids = append(ids, m.ID)
	}
	if !slices.IsSorted(ids) {
		t.Errorf("not sorted: %v", ids)
	}
	for _, tc := range []struct {
		id, kind, class, model string
	}{
		{"quality", copydesk.ModelKindClass, "quality", "gpt-4.1"},
		{"gpt-4o", copydesk.ModelKindClass, "quality", "gpt-4.1"},
		{"claude-sonnet-4", copydesk.ModelKindChat, "", "claude-sonnet-4"},
		{"gpt-6-luna", copydesk.ModelKindChat, "", "gpt-6-luna"},
		{"text-embedding-3-small", copydesk.ModelKindEmbedding, "", "text-embedding-3-small"},
		{"claude-opus-5-5", copydesk.ModelKindChat, "", "claude-opus-5-5"},
	} {
		m, ok := byID[tc.id]
		if !ok || m.Kind != tc.kind || m.Class != tc.class || m.Model != tc.model {
			t.Errorf("%s: got %+v, %v; want kind %s class %q model %s", tc.id, m, ok, tc.kind, tc.class, tc.model)
		}
	}
	info, err := f.r.ResolveModel(copydesk.ModelCall{Kind: "chat", Priority: copydesk.PriorityCritical})
	if err != nil || info.Class != ClassQuality || info.Model != "gpt-4.1" {
		t.Errorf("empty name: got %+v, %v; want the quality class", info, err)
	}
	info, err = f.r.ResolveModel(copydesk.ModelCall{Request: copydesk.ModelRequest{Model: "openai/gpt-6-luna"}})
	if err != nil || info.Provider != "openai" || info.Model != "gpt-6-luna" || info.OwnedBy != "openai" {
		t.Errorf("provider/model: got %+v, %v", info, err)
	}
	if _, err := f.r.ResolveModel(copydesk.ModelCall{Request: copydesk.ModelRequest{Model: "nope"}}); copydesk.ErrorCode(err) != copydesk.ENOMODEL {
		t.Errorf("unknown: got %v, want ENOMODEL", err)
	}
}

func TestCountTokens(t *testing.T) {
	t.Parallel()
	f := MustCatalogFixture(t, nil)
	req := copydesk.ModelRequest{Model: "claude-opus-5-5", System: "be brief", Messages: []copydesk.Message{{Role: "user", Content: "hello there"}}}
	n, err := f.r.CountTokens(context.Background(), req)
	if err != nil || n != 42 || len(f.an.counted) != 1 || f.an.counted[0].Model != "claude-opus-5-5" {
		t.Errorf("counted by the provider: got %d, %v (%d counts)", n, err, len(f.an.counted))
	}
	// gemini's scripted adapter cannot count: an estimate of 4 bytes a token.
	req.Model = "gemini-2.5-flash-lite"
	n, err = f.r.CountTokens(context.Background(), req)
	if want := (req.PromptBytes() + 3) / 4; err != nil || n != want {
		t.Errorf("estimate: got %d, %v; want %d", n, err, want)
	}
	req.Model = "nope"
	if _, err := f.r.CountTokens(context.Background(), req); copydesk.ErrorCode(err) != copydesk.ENOMODEL {
		t.Errorf("unknown model: got %v, want ENOMODEL", err)
	}
}
