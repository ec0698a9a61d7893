package main

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"

	anthropicsdk "github.com/anthropics/anthropic-sdk-go/v2"
	anthropicoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	openaisdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/copydesk/copydesk/internal/providerlimit"
	"github.com/copydesk/copydesk/internal/providertest"
)

// BenchmarkGatewayAPIs measures what Copydesk adds to the three wire formats
// it serves, one call at a time: the official client calling a zero-latency
// fake directly, against the same client calling Copydesk, which routes to
// the same fake by a catalogued model name (OpenAI, Anthropic and Gemini
// adapters on their SDKs). Every call has a new input, so none is a cache
// hit, except in the "-hit" cases. Compare ns/op of a pair from one run
// (BENCHMARKS.md, "Gateway: /v1/messages and /v1/embeddings").
func BenchmarkGatewayAPIs(b *testing.B) {
	fake := providertest.NewTestServer(b, providertest.Options{})
	cfg := DefaultConfig()
	cfg.Providers = []ProviderConfig{
		{Name: "openai", Type: ProviderOpenAI, BaseURL: fake.URL + "/v1/", APIKeys: []string{"sk-openai"}},
		{Name: "anthropic", Type: ProviderAnthropic, BaseURL: fake.URL, APIKeys: []string{"sk-ant"}},
	}
	// The benchmark sends far more than the default 500 calls a minute; it
	// names models outside the default routing, whose endpoints are made
	// from the catalogue with these limits.
	unlimited := providerlimit.Config{RequestsPerMinute: -1, Concurrency: 10_000}
	cfg.Routing.CatalogLimits = map[string]providerlimit.Config{"openai": unlimited, "anthropic": unlimited}
	svc, stop, err := buildModels(&cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = stop() })
	m := MustRunMain(b, withBenchRates, func(m *Main) { m.Routed = svc })
	base, key := m.HTTP.URL(), MustAdminKey(b, m)
	ctx := context.Background()

	oaDirect := openaisdk.NewClient(option.WithBaseURL(fake.URL+"/v1/"), option.WithAPIKey("sk-openai"), option.WithMaxRetries(0))
	oaGateway := openaisdk.NewClient(option.WithBaseURL(base+"/v1/"), option.WithAPIKey(key), option.WithMaxRetries(0))
	anDirect := anthropicsdk.NewClient(anthropicoption.WithBaseURL(fake.URL), anthropicoption.WithAPIKey("sk-ant"), anthropicoption.WithMaxRetries(0))
	anGateway := anthropicsdk.NewClient(anthropicoption.WithBaseURL(base), anthropicoption.WithAPIKey(key), anthropicoption.WithMaxRetries(0))

	var n atomic.Int64
	text := func(unique bool) string {
		if unique {
			return "bench " + strconv.FormatInt(n.Add(1), 10)
		}
		return "bench"
	}
	chat := func(c openaisdk.Client, model string, unique bool) error {
		_, err := c.Chat.Completions.New(ctx, openaisdk.ChatCompletionNewParams{Model: model,
			Messages: []openaisdk.ChatCompletionMessageParamUnion{openaisdk.UserMessage(text(unique))}})
		return err
	}
	messages := func(c anthropicsdk.Client, model string, unique bool) error {
		_, err := c.Messages.New(ctx, anthropicsdk.MessageNewParams{Model: anthropicsdk.Model(model), MaxTokens: 256,
			Messages: []anthropicsdk.MessageParam{anthropicsdk.NewUserMessage(anthropicsdk.NewTextBlock(text(unique)))}})
		return err
	}
	messagesStream := func(c anthropicsdk.Client, model string) error {
		s := c.Messages.NewStreaming(ctx, anthropicsdk.MessageNewParams{Model: anthropicsdk.Model(model), MaxTokens: 256,
			Messages: []anthropicsdk.MessageParam{anthropicsdk.NewUserMessage(anthropicsdk.NewTextBlock(text(true)))}})
		for s.Next() {
		}
		return s.Err()
	}
	embed := func(c openaisdk.Client, unique bool) error {
		_, err := c.Embeddings.New(ctx, openaisdk.EmbeddingNewParams{Model: "text-embedding-3-small",
			Input: openaisdk.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{text(unique), "a second text"}}})
		return err
	}
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"chat/direct", func() error { return chat(oaDirect, "gpt-5.4-mini", true) }},
		{"chat/copydesk-miss", func() error { return chat(oaGateway, "gpt-5.4-mini", true) }},
		{"messages/direct", func() error { return messages(anDirect, "claude-opus-5-5", true) }},
		{"messages/copydesk-miss", func() error { return messages(anGateway, "claude-opus-5-5", true) }},
		{"messages/copydesk-hit", func() error { return messages(anGateway, "claude-opus-5-5", false) }},
		{"messages-to-openai/copydesk-miss", func() error { return messages(anGateway, "gpt-5.4-mini", true) }},
		{"messages-stream/direct", func() error { return messagesStream(anDirect, "claude-opus-5-5") }},
		{"messages-stream/copydesk-miss", func() error { return messagesStream(anGateway, "claude-opus-5-5") }},
		{"embeddings/direct", func() error { return embed(oaDirect, true) }},
		{"embeddings/copydesk-miss", func() error { return embed(oaGateway, true) }},
		{"embeddings/copydesk-hit", func() error { return embed(oaGateway, false) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := tc.call(); err != nil {
					b.Fatal(err) // a benchmark never times error answers
				}
			}
		})
	}
}
