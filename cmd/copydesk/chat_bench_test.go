package main

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"

	openaisdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/copydesk/copydesk/internal/providertest"
	"github.com/copydesk/copydesk/internal/router"
)

// BenchmarkGatewayOverhead measures what Copydesk's gateway path adds: the
// official client calling a zero-latency fake directly, against the same
// client calling /v1/chat/completions on Copydesk, which routes to the same
// fake (decode, router, limits, cache miss and store, adapter, encode).
// Every call has a new prompt so none is a cache hit; the cache-hit variant
// repeats one prompt. Compare ns/op of the pairs run in the same process.
func BenchmarkGatewayOverhead(b *testing.B) {
	fake := providertest.NewTestServer(b, providertest.Options{})
	cfg := DefaultConfig()
	cfg.Providers = []ProviderConfig{{Name: "fake", Type: ProviderOpenAICompatible, BaseURL: fake.URL + "/v1/", APIKeys: []string{"k"}}}
	cfg.Routing = router.Config{
		Endpoints: map[string]router.EndpointConfig{"fake-mini": {Provider: "fake", Model: "gpt-4o-mini"}},
		Classes:   map[string][]string{"quality": {"fake-mini"}, "fast": {"fake-mini"}, "budget": {"fake-mini"}},
	}
	// The benchmark sends far more than the default 500 requests a minute.
	ep := cfg.Routing.Endpoints["fake-mini"]
	ep.Limits.RequestsPerMinute = -1
	ep.Limits.Concurrency = 10000
	cfg.Routing.Endpoints["fake-mini"] = ep
	models, stop, err := buildModels(&cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer stop()
	m := MustRunMain(b, func(m *Main) { m.Routed = models })

	direct := openaisdk.NewClient(option.WithBaseURL(fake.URL+"/v1/"), option.WithAPIKey("k"), option.WithMaxRetries(0))
	gateway := openaisdk.NewClient(option.WithBaseURL(m.HTTP.URL()+"/v1/"), option.WithAPIKey("k"), option.WithMaxRetries(0))
	var n atomic.Int64
	call := func(b *testing.B, c openaisdk.Client, unique bool) {
		prompt := "bench"
		if unique {
			prompt += strconv.FormatInt(n.Add(1), 10)
		}
		_, err := c.Chat.Completions.New(context.Background(), openaisdk.ChatCompletionNewParams{
			Model:    "gpt-4o-mini",
			Messages: []openaisdk.ChatCompletionMessageParamUnion{openaisdk.UserMessage(prompt)},
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name   string
		client openaisdk.Client
		unique bool
	}{
		{"direct", direct, true},
		{"copydesk-miss", gateway, true},
		{"copydesk-hit", gateway, false},
	} {
		b.Run(tc.name+"/c1", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				call(b, tc.client, tc.unique)
			}
		})
		b.Run(tc.name+"/parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.SetParallelism(8)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					call(b, tc.client, tc.unique)
				}
			})
		})
	}
}
