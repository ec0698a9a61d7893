package main

import (
	"context"
	"strings"
	"testing"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/router"
)

func TestProvidersFromEnv(t *testing.T) {
	env := map[string]string{
		"OPENAI_API_KEY":    "sk-a, sk-b",
		"ANTHROPIC_API_KEY": "ak",
		"GOOGLE_API_KEY":    "gk",
	}
	cfg := DefaultConfig()
	if err := cfg.loadEnv(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Providers) != 3 {
		t.Fatalf("got %d providers, want 3: %+v", len(cfg.Providers), cfg.Providers)
	}
	if got := cfg.Providers[0].APIKeys; len(got) != 2 || got[0] != "sk-a" || got[1] != "sk-b" {
		t.Errorf("openai keys %q, want [sk-a sk-b]", got)
	}
	routing, err := defaultRouting(cfg.Providers)
	if err != nil {
		t.Fatal(err)
	}
	if got := routing.Classes[router.ClassFast]; strings.Join(got, ",") != "openai-fast,anthropic-fast,gemini-fast" {
		t.Errorf("fast chain %v", got)
	}
	svc, stop, err := buildModels(&cfg)
	if err != nil {
		t.Fatalf("build models: %v", err)
	}
	defer stop()
	if svc == nil {
		t.Fatal("no model service")
	}
}

func TestBuildModelsErrors(t *testing.T) {
	tests := []struct {
		name      string
		providers []ProviderConfig
		routing   router.Config
		field     string
	}{
		{"unknown type", []ProviderConfig{{Name: "x", Type: "watson", APIKeys: []string{"k"}}}, router.Config{}, "providers[0]"},
		{"no key", []ProviderConfig{{Name: "o", Type: ProviderOpenAI}}, router.Config{}, "providers[0]"},
		{"compatible without base url", []ProviderConfig{{Name: "o", Type: ProviderOpenAICompatible, APIKeys: []string{"k"}}}, router.Config{}, "providers[0]"},
		{"model without price", []ProviderConfig{{Name: "l", Type: ProviderOpenAICompatible, BaseURL: "http://127.0.0.1:1/v1/", APIKeys: []string{"k"}}},
			router.Config{Endpoints: map[string]router.EndpointConfig{"l": {Provider: "l", Model: "llama-3-70b"}}, Classes: map[string][]string{"quality": {"l"}, "fast": {"l"}, "budget": {"l"}}}, "routing"},
		{"duplicate name", []ProviderConfig{{Name: "o", Type: ProviderOpenAI, APIKeys: []string{"k"}}, {Name: "o", Type: ProviderOpenAI, APIKeys: []string{"k"}}}, router.Config{}, "providers[1].name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Providers = tt.providers
			cfg.Routing = tt.routing
			_, stop, err := buildModels(&cfg)
			defer stop()
			ce, ok := err.(*ConfigError)
			if !ok || !strings.HasPrefix(ce.Field, tt.field) {
				t.Fatalf("got %v, want a ConfigError on %s", err, tt.field)
			}
			if strings.Contains(err.Error(), `"k"`) {
				t.Errorf("error shows the key: %v", err)
			}
		})
	}
}

func TestSimulatedResultsAreLabelled(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Simulate = true
	svc, stop, err := buildModels(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	var text strings.Builder
	res, err := svc.Stream(context.Background(), copydesk.ModelCall{Kind: "analysis.grammar", Priority: copydesk.PriorityHigh,
		Request: copydesk.ModelRequest{Messages: []copydesk.Message{{Role: "user", Content: "Say something."}}, MaxTokens: 50}},
		func(d string) error { text.WriteString(d); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if !res.Simulated || res.Usage.Model != SimulatedModel || res.Usage.Cost != 0 {
		t.Errorf("result %+v, want simulated, model %s, no cost", res, SimulatedModel)
	}
	if !strings.HasPrefix(text.String(), "[simulated]") {
		t.Errorf("simulated text %q does not say it is simulated", text.String())
	}
}

func TestExampleConfigLoads(t *testing.T) {
	cfg := DefaultConfig()
	if err := cfg.loadFile("../../docs/copydesk.example.yaml"); err != nil {
		t.Fatal(err)
	}
	if err := cfg.loadEnv(func(k string) string {
		if k == "OPENAI_API_KEY" {
			return "sk-test"
		}
		return ""
	}); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	_, stop, err := buildModels(&cfg)
	if err != nil {
		t.Fatalf("example config: %v", err)
	}
	_ = stop()
	if cfg.Pricing.Currency != "EUR" || len(cfg.Routing.Endpoints) != 3 {
		t.Errorf("example config read as %+v", cfg)
	}
}
