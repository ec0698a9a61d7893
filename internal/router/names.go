package router

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/providerlimit"
)

// Catalog tells which models a provider instance serves by their own names
// (catalog.Served implements it).
type Catalog interface {
	// Models lists the models provider serves by name.
	Models(provider string) []copydesk.ModelInfo
	// Find returns the model provider serves as name (an id, an alias or a
	// dated snapshot), with Model set to name, and false if it serves none.
	Find(provider, name string) (copydesk.ModelInfo, bool)
}

var (
	_ copydesk.ModelDirectory = (*Router)(nil)
	_ copydesk.TokenCounter   = (*Router)(nil)
)

// resolution is what a model name resolves to.
type resolution struct {
	class  string
	chain  []*endpoint
	reason string
	info   copydesk.ModelInfo
	known  bool // info.Kind is known (a class, or a catalogued model)
}

// resolve resolves a requested model name, in this order: an alias, a
// class, an endpoint name, the model of configured endpoints,
// "provider/model", and a catalogued model of any configured provider (in
// provider name order). Returns ENOMODEL for an unknown name.
func (r *Router) resolve(name string) (resolution, error) {
	if target, ok := r.cfg.Aliases[name]; ok {
		res, err := r.resolveName(target)
		if err != nil {
			return res, err
		}
		res.reason = "alias " + name + " of " + res.reason
		res.info.ID, res.info.AliasOf = name, target
		return res, nil
	}
	return r.resolveName(name)
}

func (r *Router) resolveName(m string) (resolution, error) {
	if chain, ok := r.classes[m]; ok {
		return resolution{class: m, chain: chain, reason: "requested class " + m, info: r.classInfo(m), known: true}, nil
	}
	if ep, ok := r.eps[m]; ok {
		res := r.modelResolution(m, ep.cfg.Provider, ep.cfg.Model)
		res.chain, res.reason = []*endpoint{ep}, "requested endpoint "+m
		return res, nil
	}
	if chain := r.byModel[m]; len(chain) > 0 {
		res := r.modelResolution(m, chain[0].cfg.Provider, m)
		res.chain, res.reason = chain, "requested model "+m
		return res, nil
	}
	if provider, model, ok := strings.Cut(m, "/"); ok && len(r.clients[provider]) > 0 {
		var chain []*endpoint
		for _, name := range r.epNames {
			if ep := r.eps[name]; ep.cfg.Provider == provider && ep.cfg.Model == model {
				chain = append(chain, ep)
			}
		}
		if len(chain) == 0 {
			ep, err := r.catalogEndpoint(provider, model)
			if err != nil {
				return resolution{}, err
			}
			chain = []*endpoint{ep}
		}
		res := r.modelResolution(m, provider, model)
		res.chain, res.reason = chain, "requested model "+model+" of provider "+provider
		return res, nil
	}
	var chain []*endpoint
	for _, provider := range r.providers {
		if r.catalog == nil {
			break
		}
		if _, ok := r.catalog.Find(provider, m); !ok {
			continue
		}
		ep, err := r.catalogEndpoint(provider, m)
		if err != nil {
			return resolution{}, err
		}
		chain = append(chain, ep)
	}
	if len(chain) > 0 {
		res := r.modelResolution(m, chain[0].cfg.Provider, m)
		res.chain, res.reason = chain, "requested model "+m+" from the catalogue"
		return res, nil
	}
	return resolution{}, copydesk.Errorf(copydesk.ENOMODEL,
		"the model %q is not served here: it is no class (%s), alias, or model of a configured provider (%s)",
		m, strings.Join(sortedKeys(r.classes), ", "), strings.Join(r.providers, ", "))
}

// modelResolution describes model of provider, asked for as name.
func (r *Router) modelResolution(name, provider, model string) resolution {
	info := copydesk.ModelInfo{ID: name, Kind: copydesk.ModelKindChat, Provider: provider, Model: model, OwnedBy: provider}
	known := false
	if r.catalog != nil {
		if c, ok := r.catalog.Find(provider, model); ok {
			info, known = c, true
			info.ID, info.Provider = name, provider
		}
	}
	return resolution{info: info, known: known}
}

func (r *Router) classInfo(class string) copydesk.ModelInfo {
	info := copydesk.ModelInfo{ID: class, Kind: copydesk.ModelKindClass, Class: class, OwnedBy: "copydesk"}
	if chain := r.classes[class]; len(chain) > 0 {
		info.Provider, info.Model = chain[0].cfg.Provider, chain[0].cfg.Model
	}
	return info
}

// checkKind refuses a chat model for embeddings and an embedding model for
// chat; models outside the catalogue are trusted to the configuration.
func checkKind(name string, res resolution, embedding bool) error {
	switch {
	case embedding && res.info.Kind == copydesk.ModelKindClass:
		return copydesk.Errorf(copydesk.EINVALID, "%q is a routing class of chat models; embeddings need an embedding model such as text-embedding-3-small", name)
	case !res.known:
		return nil
	case embedding && res.info.Kind != copydesk.ModelKindEmbedding:
		return copydesk.Errorf(copydesk.EINVALID, "%q is a chat model; embeddings need an embedding model such as text-embedding-3-small", name)
	case !embedding && res.info.Kind == copydesk.ModelKindEmbedding:
		return copydesk.Errorf(copydesk.EINVALID, "%q is an embedding model; it makes vectors, not answers", name)
	}
	return nil
}

// catalogEndpoint returns the endpoint "provider/model" for a catalogued
// model, making it on first use with default limits and timeout.
func (r *Router) catalogEndpoint(provider, model string) (*endpoint, error) {
	name := provider + "/" + model
	if ep, ok := r.implicit.Load(name); ok {
		return ep.(*endpoint), nil
	}
	if r.catalog == nil {
		return nil, copydesk.Errorf(copydesk.ENOMODEL, "the model %q of provider %s is not served here: no endpoint names it", model, provider)
	}
	if _, ok := r.catalog.Find(provider, model); !ok {
		return nil, copydesk.Errorf(copydesk.ENOMODEL, "the provider %s serves no model %q here", provider, model)
	}
	if _, err := r.prices.Lookup(model, r.clock.Now()); err != nil {
		return nil, err // a catalogued model always has a price; never serve one for free
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if ep, ok := r.implicit.Load(name); ok {
		return ep.(*endpoint), nil
	}
	clients := r.clients[provider]
	cfg := EndpointConfig{Provider: provider, Model: model, Timeout: DefaultTimeout, Limits: r.cfg.CatalogLimits[provider].WithDefaults()}
	lim, err := providerlimit.NewShared(cfg.Limits, r.clock, name, r.shared)
	if err != nil {
		return nil, err
	}
	health := r.keys[provider]
	if health == nil {
		health = make([]*keyHealth, len(clients))
		for i := range health {
			health[i] = &keyHealth{}
		}
		r.keys[provider] = health
	}
	ep := &endpoint{name: name, cfg: cfg, clients: clients, health: health, limiter: lim, cooling: make([]atomic.Int64, len(clients))}
	for range clients {
		ep.breaker = append(ep.breaker, newBreaker(r.cfg.Breaker))
	}
	r.implicit.Store(name, ep)
	return ep, nil
}

// endpoint returns a configured or catalogue endpoint by name.
func (r *Router) endpoint(name string) (*endpoint, bool) {
	if ep, ok := r.eps[name]; ok {
		return ep, true
	}
	ep, ok := r.implicit.Load(name)
	if !ok {
		return nil, false
	}
	return ep.(*endpoint), true
}

// allEndpoints returns the configured endpoints and the catalogue endpoints
// made so far, sorted by name.
func (r *Router) allEndpoints() []*endpoint {
	out := make([]*endpoint, 0, len(r.eps))
	for _, ep := range r.eps {
		out = append(out, ep)
	}
	r.implicit.Range(func(_, v any) bool {
		out = append(out, v.(*endpoint))
		return true
	})
	slices.SortFunc(out, func(a, b *endpoint) int { return cmp.Compare(a.name, b.name) })
	return out
}

// EndpointModel returns the model an endpoint calls (a configured one or
// one made from the catalogue), and false if there is no such endpoint.
func (r *Router) EndpointModel(name string) (string, bool) {
	ep, ok := r.endpoint(name)
	if !ok {
		return "", false
	}
	return ep.cfg.Model, true
}

// Models lists every name a caller may send: the classes, the aliases, the
// models of the configured endpoints and the catalogued models of every
// configured provider, sorted by ID. Implements copydesk.ModelDirectory.
func (r *Router) Models() []copydesk.ModelInfo {
	seen := make(map[string]bool)
	var out []copydesk.ModelInfo
	add := func(info copydesk.ModelInfo) {
		if !seen[info.ID] {
			seen[info.ID] = true
			out = append(out, info)
		}
	}
	for _, class := range sortedKeys(r.classes) {
		add(r.classInfo(class))
	}
	for _, name := range sortedKeys(r.cfg.Aliases) {
		if res, err := r.resolve(name); err == nil {
			add(res.info)
		}
	}
	for _, name := range sortedKeys(r.eps) {
		ep := r.eps[name]
		add(r.modelResolution(ep.cfg.Model, ep.cfg.Provider, ep.cfg.Model).info)
	}
	if r.catalog != nil {
		for _, provider := range r.providers {
			for _, m := range r.catalog.Models(provider) {
				m.Provider, m.Model = provider, cmp.Or(m.Model, m.ID)
				add(m)
			}
		}
	}
	slices.SortFunc(out, func(a, b copydesk.ModelInfo) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// ResolveModel returns what the call's model resolves to now: the first
// choice of its chain, or the class the rules choose when it names none.
// Implements copydesk.ModelDirectory.
func (r *Router) ResolveModel(call copydesk.ModelCall) (copydesk.ModelInfo, error) {
	if call.Request.Model == "" {
		if call.Request.IsEmbedding() {
			return copydesk.ModelInfo{}, copydesk.Errorf(copydesk.EINVALID, "an embedding call needs a model: name an embedding model such as text-embedding-3-small")
		}
		class, _ := r.classFor(Call{Kind: call.Kind, Priority: call.Priority, BudgetLeft: -1})
		return r.classInfo(class), nil
	}
	res, err := r.resolve(call.Request.Model)
	if err != nil {
		return copydesk.ModelInfo{}, err
	}
	if err := checkKind(call.Request.Model, res, call.Request.IsEmbedding()); err != nil {
		return copydesk.ModelInfo{}, err
	}
	return res.info, nil
}

// CountTokens counts req's input tokens for the model req.Model resolves to
// (a class: its first model): through the provider's own counting API when
// its adapter has one (copydesk.TokenCounter: Anthropic, Gemini), trying the
// chain's endpoints and keys in order, else as an estimate of one token per
// four bytes. Implements copydesk.TokenCounter.
func (r *Router) CountTokens(ctx context.Context, req copydesk.ModelRequest) (int, error) {
	_, chain, _, err := r.selectRoute(Call{Kind: "chat", Priority: copydesk.PriorityCritical, Request: req})
	if err != nil {
		return 0, err
	}
	var lastErr error
	for _, ep := range chain {
		for k, c := range ep.clients {
			counter, ok := c.(copydesk.TokenCounter)
			if !ok {
				break
			}
			if until := ep.health[k].deadUntil.Load(); until != 0 && r.clock.Now().UnixNano() < until {
				continue
			}
			cctx, cancel := context.WithTimeout(ctx, ep.cfg.Timeout)
			q := req
			q.Model = ep.cfg.Model
			n, err := counter.CountTokens(cctx, q)
			cancel()
			if err == nil {
				return n, nil
			}
			lastErr = err
			if pe := classify(ep, err, false); !pe.Kind.Retryable() && pe.Kind != copydesk.ProviderAuth {
				return 0, providerDomainError(pe)
			}
		}
	}
	if lastErr != nil {
		if ctx.Err() != nil {
			return 0, copydesk.Errorf(copydesk.ECANCELLED, "the token count was cancelled")
		}
		return 0, providerDomainError(classify(chain[0], lastErr, false))
	}
	return (req.PromptBytes() + 3) / 4, nil
}
