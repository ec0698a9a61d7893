package router_test

import (
	"context"
	"fmt"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/pricing"
	"github.com/copydesk/copydesk/internal/router"
)

// echo is a stand-in for a provider adapter (openai.Client and friends).
type echo struct{ name string }

func (e echo) Name() string { return e.name }

func (e echo) Complete(ctx context.Context, req copydesk.ModelRequest) (*copydesk.ModelResponse, error) {
	return &copydesk.ModelResponse{Text: "hello", Model: req.Model, FinishReason: "stop",
		Usage: copydesk.Usage{InputTokens: 1200, OutputTokens: 300}}, nil
}

func (e echo) Stream(ctx context.Context, req copydesk.ModelRequest, onDelta func(string) error) (*copydesk.ModelResponse, error) {
	if err := onDelta("hello"); err != nil {
		return nil, err
	}
	return e.Complete(ctx, req)
}

func Example() {
	cfg := router.Config{
		Endpoints: map[string]router.EndpointConfig{
			"openai-quality":    {Provider: "openai", Model: "gpt-4.1"},
			"anthropic-quality": {Provider: "anthropic", Model: "claude-sonnet-4"},
			"openai-fast":       {Provider: "openai", Model: "gpt-4.1-mini"},
			"gemini-budget":     {Provider: "gemini", Model: "gemini-2.5-flash-lite"},
		},
		Classes: map[string][]string{
			router.ClassQuality: {"openai-quality", "anthropic-quality"},
			router.ClassFast:    {"openai-fast", "anthropic-quality"},
			router.ClassBudget:  {"gemini-budget", "openai-fast"},
		},
	}
	// The defaults are usually the model catalogue's (internal/catalog).
	eff := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	defaults := []pricing.Price{
		{Model: "gpt-4.1", InputPerMTok: 2_000_000, OutputPerMTok: 8_000_000, Effective: eff},
		{Model: "gpt-4.1-mini", InputPerMTok: 400_000, OutputPerMTok: 1_600_000, Effective: eff},
		{Model: "claude-sonnet-4", InputPerMTok: 3_000_000, OutputPerMTok: 15_000_000, Effective: eff},
		{Model: "gemini-2.5-flash-lite", InputPerMTok: 100_000, OutputPerMTok: 400_000, Effective: eff},
	}
	prices, err := pricing.Config{Currency: "EUR", PerUSD: "0.92"}.Table(defaults)
	if err != nil {
		panic(err)
	}
	r, err := router.New(cfg, router.Options{
		// One client per API key; the index is the key number in decisions.
		Providers: map[string][]copydesk.Provider{
			"openai":    {echo{"openai"}, echo{"openai"}},
			"anthropic": {echo{"anthropic"}},
			"gemini":    {echo{"gemini"}},
		},
		Prices: prices,
	})
	if err != nil {
		panic(err)
	}
	res, err := r.Complete(context.Background(), router.Call{
		Kind:       "seo",
		Priority:   copydesk.PriorityHigh,
		BudgetLeft: 0.5,
		Request:    copydesk.ModelRequest{Messages: []copydesk.Message{{Role: "user", Content: "Suggest a title"}}},
	})
	if err != nil {
		fmt.Println(copydesk.ErrorCode(err), copydesk.ErrorMessage(err))
		return
	}
	u := res.Usage
	fmt.Println(u.Decision.Class, "-", u.Decision.Reason)
	fmt.Println(u.Endpoint, u.Model, prices.Currency().Amount(u.Cost))
	// Output:
	// quality - kind seo uses quality
	// openai-quality gpt-4.1 0.004416 EUR
}
