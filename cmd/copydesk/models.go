package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/copydesk/copydesk/internal/anthropic"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/gemini"
	"github.com/copydesk/copydesk/internal/openai"
	"github.com/copydesk/copydesk/internal/pricing"
	"github.com/copydesk/copydesk/internal/providerlimit"
	"github.com/copydesk/copydesk/internal/router"
	"github.com/copydesk/copydesk/internal/simulator"
)

// Provider types.
const (
	ProviderOpenAI           = "openai"
	ProviderOpenAICompatible = "openai-compatible"
	ProviderAnthropic        = "anthropic"
	ProviderGemini           = "gemini"
)

// SimulatedModel is the model name the simulated provider answers as.
const SimulatedModel = "copydesk-simulated"

// simulatedProvider names the simulated provider instance.
const simulatedProvider = "simulated"

// ProviderConfig is one provider instance: an API reached with one or more
// keys. Endpoints in the routing section refer to it by Name.
type ProviderConfig struct {
	// Name is how routing endpoints refer to it, e.g. "openai". Required.
	Name string `yaml:"name"`
	// Type is openai, openai-compatible (Ollama, vLLM, llama.cpp, Azure, OpenRouter…), anthropic or gemini. Required.
	Type string `yaml:"type"`
	// BaseURL overrides the API's address (required for openai-compatible).
	BaseURL string `yaml:"base_url"`
	// APIKeys are the keys; several rotate on rate limits and dead keys.
	APIKeys []string `yaml:"api_keys"`
	// APIKeyEnv names an environment variable holding comma-separated keys (keeps keys out of the file).
	APIKeyEnv string `yaml:"api_key_env"`
	// APIKeyHeader sends the key in this header instead of Authorization (Azure: api-key).
	APIKeyHeader string `yaml:"api_key_header"`
	// Timeout bounds one call. Default 2m.
	Timeout time.Duration `yaml:"timeout"`
	// Headers are added to every request (e.g. OpenRouter's HTTP-Referer and X-Title).
	Headers map[string]string `yaml:"headers"`
	// Query parameters are added to every request (openai types; e.g. Azure's api-version).
	Query map[string]string `yaml:"query"`
	// MaxTokensParam is max_completion_tokens or max_tokens (openai types). Default: max_completion_tokens for OpenAI's and Azure's URLs, max_tokens elsewhere.
	MaxTokensParam string `yaml:"max_tokens_param"`
	// AllowMissingStreamUsage accepts streams without a usage report from servers that ignore stream_options.include_usage (their usage then counts as zero). Default false.
	AllowMissingStreamUsage bool `yaml:"allow_missing_stream_usage"`
	// StructuredOutput is tool (default) or native (anthropic).
	StructuredOutput string `yaml:"structured_output"`
	// DefaultMaxTokens is the output cap when a call sets none (anthropic requires one). Default 4096.
	DefaultMaxTokens int `yaml:"default_max_tokens"`
}

// providersFromEnv configures providers from the SDKs' usual variables when
// the config file names none: OPENAI_API_KEY (and OPENAI_BASE_URL),
// ANTHROPIC_API_KEY (and ANTHROPIC_BASE_URL), GEMINI_API_KEY or
// GOOGLE_API_KEY (and GOOGLE_GEMINI_BASE_URL). Several keys may be given
// comma-separated.
func providersFromEnv(getenv func(string) string) []ProviderConfig {
	var out []ProviderConfig
	if k := getenv("OPENAI_API_KEY"); k != "" {
		out = append(out, ProviderConfig{Name: ProviderOpenAI, Type: ProviderOpenAI, BaseURL: getenv("OPENAI_BASE_URL"), APIKeys: splitKeys(k)})
	}
	if k := getenv("ANTHROPIC_API_KEY"); k != "" {
		out = append(out, ProviderConfig{Name: ProviderAnthropic, Type: ProviderAnthropic, BaseURL: getenv("ANTHROPIC_BASE_URL"), APIKeys: splitKeys(k)})
	}
	k := getenv("GEMINI_API_KEY")
	if k == "" {
		k = getenv("GOOGLE_API_KEY")
	}
	if k != "" {
		out = append(out, ProviderConfig{Name: ProviderGemini, Type: ProviderGemini, BaseURL: getenv("GOOGLE_GEMINI_BASE_URL"), APIKeys: splitKeys(k)})
	}
	return out
}

func splitKeys(s string) []string {
	var keys []string
	for _, k := range strings.Split(s, ",") {
		if k = strings.TrimSpace(k); k != "" {
			keys = append(keys, k)
		}
	}
	return keys
}

// defaultModels are the endpoints per class for a provider type when the
// routing section names none: the plan's quality / fast / budget split.
var defaultModels = map[string][3]string{
	ProviderOpenAI:    {"gpt-6.1-sol", "gpt-6.1-terra", "gpt-6-luna"},
	ProviderAnthropic: {"claude-sonnet-5-5", "claude-haiku-5-5", "claude-haiku-5-5"},
	ProviderGemini:    {"gemini-4-hydrogen", "gemini-3.8-flash", "gemini-3.5-flash-lite"},
}

var classes = [3]string{router.ClassQuality, router.ClassFast, router.ClassBudget}

// defaultRouting builds endpoints and failover chains across the given
// providers, in their order.
func defaultRouting(providers []ProviderConfig) (router.Config, error) {
	cfg := router.Config{Endpoints: map[string]router.EndpointConfig{}, Classes: map[string][]string{}}
	for _, p := range providers {
		models, ok := defaultModels[p.Type]
		if !ok {
			return cfg, &ConfigError{Field: "routing.endpoints", Message: fmt.Sprintf("provider %q of type %s has no default models; name its models in routing.endpoints and routing.classes", p.Name, p.Type)}
		}
		for i, class := range classes {
			name := p.Name + "-" + class
			cfg.Endpoints[name] = router.EndpointConfig{Provider: p.Name, Model: models[i], Timeout: p.Timeout}
			cfg.Classes[class] = append(cfg.Classes[class], name)
		}
	}
	return cfg, nil
}

// buildModels returns the routed model service the configuration
// describes, or nil when no provider is configured. close stops what it
// started.
func buildModels(cfg *Config) (svc *router.Service, close func() error, err error) {
	return buildSharedModels(cfg, nil)
}

// buildSharedModels is buildModels whose endpoints' limits hold across the
// instances sharing shared (nil: per instance).
func buildSharedModels(cfg *Config, shared providerlimit.Shared) (svc *router.Service, close func() error, err error) {
	providers := slices.Clone(cfg.Providers)
	routing := cfg.Routing
	prices := cfg.Pricing
	var closers []func() error
	close = func() error {
		var errs []error
		for _, c := range closers {
			errs = append(errs, c())
		}
		return errors.Join(errs...)
	}
	defer func() {
		if err != nil {
			close()
		}
	}()
	simulated := map[string]bool{}
	if cfg.Simulate {
		url, stop, err := startSimulator(simulator.Options{Latency: cfg.SimulateLatency, TTFT: cfg.SimulateTTFT})
		if err != nil {
			return nil, close, err
		}
		closers = append(closers, stop)
		providers = append(providers, ProviderConfig{Name: simulatedProvider, Type: ProviderOpenAICompatible, BaseURL: url, APIKeys: []string{"simulated"}})
		simulated[simulatedProvider] = true
		if len(routing.Endpoints) == 0 && len(cfg.Providers) == 0 {
			routing.Endpoints = map[string]router.EndpointConfig{}
			routing.Classes = map[string][]string{}
			for _, class := range classes {
				routing.Endpoints["simulated-"+class] = router.EndpointConfig{Provider: simulatedProvider, Model: SimulatedModel}
				routing.Classes[class] = []string{"simulated-" + class}
			}
		}
		prices.Prices = append(slices.Clone(prices.Prices), pricing.Price{
			Model: SimulatedModel, Effective: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
			Source: "simulated provider: no cost",
		})
	}
	if len(providers) == 0 {
		return nil, close, nil
	}
	clients := map[string][]copydesk.Provider{}
	for i, p := range providers {
		list, err := newClients(p)
		if err != nil {
			return nil, close, &ConfigError{Field: fmt.Sprintf("providers[%d] (%s)", i, p.Name), Message: copydesk.ErrorMessage(err)}
		}
		if _, dup := clients[p.Name]; dup {
			return nil, close, &ConfigError{Field: fmt.Sprintf("providers[%d].name", i), Message: fmt.Sprintf("%q is used twice", p.Name)}
		}
		clients[p.Name] = list
	}
	if len(routing.Endpoints) == 0 {
		// Default endpoints and classes; the rest (aliases, rules, retry…)
		// stays as configured.
		def, err := defaultRouting(providers)
		if err != nil {
			return nil, close, err
		}
		routing.Endpoints, routing.Classes = def.Endpoints, def.Classes
	}
	cat, err := cfg.Catalog.Build()
	if err != nil {
		return nil, close, &ConfigError{Field: "catalog", Message: copydesk.ErrorMessage(err)}
	}
	table, err := prices.Table(cat.Prices())
	if err != nil {
		return nil, close, &ConfigError{Field: "pricing", Message: copydesk.ErrorMessage(err)}
	}
	types := make(map[string]string, len(providers))
	for _, p := range providers {
		types[p.Name] = p.Type
	}
	r, err := router.New(routing, router.Options{Providers: clients, Prices: table, Catalog: cat.Serve(types), Shared: shared})
	if err != nil {
		return nil, close, &ConfigError{Field: "routing", Message: copydesk.ErrorMessage(err)}
	}
	return &router.Service{Router: r, Simulated: simulated}, close, nil
}

// newClients makes one adapter client per key.
func newClients(p ProviderConfig) ([]copydesk.Provider, error) {
	if p.Name == "" {
		return nil, copydesk.Errorf(copydesk.EINVALID, "name is required")
	}
	if len(p.APIKeys) == 0 {
		return nil, copydesk.Errorf(copydesk.EINVALID, "no API key: set api_keys or api_key_env")
	}
	var out []copydesk.Provider
	for _, key := range p.APIKeys {
		var c copydesk.Provider
		var err error
		switch p.Type {
		case ProviderOpenAI, ProviderOpenAICompatible:
			if p.Type == ProviderOpenAICompatible && p.BaseURL == "" {
				return nil, copydesk.Errorf(copydesk.EINVALID, "base_url is required for type openai-compatible")
			}
			c, err = openai.New(openai.Config{
				Name: p.Name, APIKey: key, BaseURL: p.BaseURL, APIKeyHeader: p.APIKeyHeader, Timeout: p.Timeout,
				Headers: p.Headers, Query: p.Query, MaxTokensParam: p.MaxTokensParam, AllowMissingStreamUsage: p.AllowMissingStreamUsage,
			})
		case ProviderAnthropic:
			c, err = anthropic.New(anthropic.Config{
				Name: p.Name, APIKey: key, BaseURL: p.BaseURL, Timeout: p.Timeout, Headers: p.Headers,
				StructuredOutput: p.StructuredOutput, DefaultMaxTokens: p.DefaultMaxTokens,
			})
		case ProviderGemini:
			c, err = gemini.New(gemini.Config{Name: p.Name, APIKey: key, BaseURL: p.BaseURL, Timeout: p.Timeout, Headers: p.Headers})
		default:
			return nil, copydesk.Errorf(copydesk.EINVALID, "type %q is not one of openai, openai-compatible, anthropic, gemini", p.Type)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// startSimulator serves the simulated provider on a loopback port and
// returns its OpenAI-format base URL. Reaching it through the real adapter
// exercises the whole path (SDK, streaming, usage).
func startSimulator(opts simulator.Options) (baseURL string, stop func() error, err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("start simulated provider: %w", err)
	}
	fake := simulator.NewServer(opts)
	hs := &http.Server{Handler: fake.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	return "http://" + ln.Addr().String() + "/v1/", hs.Close, nil
}
