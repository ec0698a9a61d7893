package main

import (
	"context"
	"fmt"
	"net/http"
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
	m := MustRunMain(b, withBenchRates, func(m *Main) { m.Routed = models })

	// The gateway client authenticates with the server's ADMIN key: with
	// any other key every call is a 401, and a benchmark must never time
	// error answers.
	direct := openaisdk.NewClient(option.WithBaseURL(fake.URL+"/v1/"), option.WithAPIKey("k"), option.WithMaxRetries(0))
	gateway := openaisdk.NewClient(option.WithBaseURL(m.HTTP.URL()+"/v1/"), option.WithAPIKey(MustAdminKey(b, m)), option.WithMaxRetries(0))
	var n atomic.Int64
	// call makes one call and returns an error unless it was answered 200
	// with a chat completion and, through Copydesk, the wanted cache
	// outcome (X-Copydesk-Cache: miss or hit).
	call := func(c openaisdk.Client, unique bool, wantCache string) error {
		prompt := "bench"
		if unique {
			prompt += strconv.FormatInt(n.Add(1), 10)
		}
		var resp *http.Response
		cc, err := c.Chat.Completions.New(context.Background(), openaisdk.ChatCompletionNewParams{
			Model:    "gpt-4o-mini",
			Messages: []openaisdk.ChatCompletionMessageParamUnion{openaisdk.UserMessage(prompt)},
		}, option.WithResponseInto(&resp))
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK || len(cc.Choices) != 1 {
			return fmt.Errorf("status %d with %d choices, want 200 with one", resp.StatusCode, len(cc.Choices))
		}
		if got := resp.Header.Get("X-Copydesk-Cache"); got != wantCache {
			return fmt.Errorf("X-Copydesk-Cache %q, want %q", got, wantCache)
		}
		return nil
	}
	// The first identical call fills the cache; the hit cases repeat it.
	if err := call(gateway, false, "miss"); err != nil {
		b.Fatalf("first call through Copydesk: %v", err)
	}
	for _, tc := range []struct {
		name   string
		client openaisdk.Client
		unique bool
		cache  string // X-Copydesk-Cache wanted; "" for the direct calls
	}{
		{"direct", direct, true, ""},
		{"copydesk-miss", gateway, true, "miss"},
		{"copydesk-hit", gateway, false, "hit"},
	} {
		b.Run(tc.name+"/c1", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := call(tc.client, tc.unique, tc.cache); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(tc.name+"/parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.SetParallelism(8)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := call(tc.client, tc.unique, tc.cache); err != nil {
						b.Error(err) // FailNow may not be called from these goroutines
						return
					}
				}
			})
		})
	}
}
