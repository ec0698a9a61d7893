package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/pgtest"
	"github.com/copydesk/copydesk/internal/providerlimit"
	"github.com/copydesk/copydesk/internal/providertest"
	"github.com/copydesk/copydesk/internal/redistest"
	"github.com/copydesk/copydesk/internal/router"
)

// TestProviderLimitsSharedAcrossInstances runs three instances with
// redis_url set and an endpoint limited to 5 requests a minute, built from
// the configuration as serve builds it: 5 chat calls spread over the three
// instances reach the provider, and a sixth, on any instance, waits for
// the shared bucket (a request refills every 12 s) instead of calling the
// provider, whose call count stays 5.
func TestProviderLimitsSharedAcrossInstances(t *testing.T) {
	t.Parallel()
	dsn, schema := pgtest.MustSchema(t)
	url, prefix := redistest.MustPrefix(t)
	fake := providertest.NewTestServer(t, providertest.Options{})
	configure := func(m *Main) {
		m.Config.DatabaseURL = dsn
		m.Config.DatabaseSchema = schema
		m.Config.RedisURL = url
		m.redisPrefix = prefix
		m.Config.Providers = []ProviderConfig{{Name: "fake", Type: ProviderOpenAICompatible, BaseURL: fake.URL + "/v1/", APIKeys: []string{"test-key"}}}
		m.Config.Routing = router.Config{
			Endpoints: map[string]router.EndpointConfig{"fake-mini": {Provider: "fake", Model: "gpt-4o-mini", Limits: providerlimit.Config{RequestsPerMinute: 5}}},
			Classes:   map[string][]string{"quality": {"fake-mini"}, "fast": {"fake-mini"}, "budget": {"fake-mini"}},
		}
	}
	instances := []*Main{MustRunMain(t, configure), MustRunMain(t, configure), MustRunMain(t, configure)}
	key := MustAdminKey(t, instances[0])
	chat := func(m *Main, prompt string, timeout time.Duration) (int, error) {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		body := fmt.Sprintf(`{"model":"fake-mini","messages":[{"role":"user","content":%q}]}`, prompt)
		req, _ := http.NewRequestWithContext(ctx, "POST", m.HTTP.URL()+"/v1/chat/completions", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	for i := range 5 {
		if status, err := chat(instances[i%3], fmt.Sprintf("prompt %d", i), time.Minute); err != nil || status != 200 {
			t.Fatalf("call %d on instance %d: %d, %v, want 200", i, i%3, status, err)
		}
	}
	for i, m := range instances {
		// Two seconds are far less than the 12 s the shared bucket needs
		// for a request: an answer would mean this instance's own limit
		// decided.
		if status, err := chat(m, fmt.Sprintf("one too many on %d", i), 2*time.Second); err == nil {
			t.Errorf("instance %d: a sixth call answered %d, want it held back by the shared limit", i, status)
		}
	}
	if n := fake.Calls(); n != 5 {
		t.Errorf("provider calls from three instances limited to 5 a minute: got %d, want 5", n)
	}
	for i, m := range instances {
		if n := m.providerLimits.Fallbacks(); n != 0 {
			t.Errorf("instance %d: %d calls decided without Redis, want 0", i, n)
		}
	}
}
