package router

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/copydesk/copydesk/internal/providerlimit"
)

func TestConfigYAML(t *testing.T) {
	t.Parallel()
	const doc = `
endpoints:
  oa-quality:
    provider: openai
    model: gpt-4.1
    timeout: 90s
    limits:
      concurrency: 20
      requests_per_minute: 300
      tokens_per_minute: 200000
  an-fast:
    provider: anthropic
    model: claude-haiku-4-5
classes:
  quality: [oa-quality, an-fast]
  fast: [an-fast]
  budget: [an-fast]
rules:
  - priority: critical
    class: quality
  - kind: translation
    class: fast
budget_threshold: 0.1
retry:
  max_attempts: 3
  base_delay: 1s
breaker:
  cooldown: 1m
dead_key_recheck: 30m
`
	var cfg Config
	if err := yaml.Unmarshal([]byte(doc), &cfg); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	got := cfg.WithDefaults()
	want := Config{
		Endpoints: map[string]EndpointConfig{
			"oa-quality": {Provider: "openai", Model: "gpt-4.1", Timeout: 90 * time.Second,
				Limits: providerlimit.Config{Concurrency: 20, RequestsPerMinute: 300, TokensPerMinute: 200_000, MaxQueue: providerlimit.DefaultMaxQueue}},
			"an-fast": {Provider: "anthropic", Model: "claude-haiku-4-5", Timeout: DefaultTimeout,
				Limits: providerlimit.Config{Concurrency: 50, RequestsPerMinute: 500, MaxQueue: providerlimit.DefaultMaxQueue}},
		},
		Classes:      map[string][]string{"quality": {"oa-quality", "an-fast"}, "fast": {"an-fast"}, "budget": {"an-fast"}},
		Rules:        []Rule{{Priority: "critical", Class: "quality"}, {Kind: "translation", Class: "fast"}},
		DefaultClass: ClassQuality, BudgetClass: ClassBudget, BudgetThreshold: 0.1, LoadThreshold: DefaultLoadThreshold,
		Retry: RetryConfig{MaxAttempts: 3, BaseDelay: time.Second, MaxDelay: DefaultMaxDelay, MaxRetryAfter: DefaultMaxRetryAfter},
		Breaker: BreakerConfig{Consecutive: DefaultBreakerConsecutive, Window: DefaultBreakerWindow, MinRequests: DefaultBreakerMinRequests,
			FailureRate: DefaultBreakerFailureRate, Cooldown: time.Minute},
		DeadKeyRecheck: 30 * time.Minute,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
}
