package anthropic_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/anthropic"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/providertest"
)

// MustNew returns a Client for cfg or fails the test.
func MustNew(tb testing.TB, cfg anthropic.Config) *anthropic.Client {
	tb.Helper()
	c, err := anthropic.New(cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return c
}

func harness(structured string) providertest.Harness {
	return providertest.Harness{
		Format: providertest.FormatAnthropic,
		Model:  "claude-sim",
		New: func(tb testing.TB, baseURL, apiKey string, timeout time.Duration) copydesk.Provider {
			return MustNew(tb, anthropic.Config{Name: "anthropic-test", APIKey: apiKey, BaseURL: baseURL, Timeout: timeout, StructuredOutput: structured})
		},
	}
}

func TestConformance(t *testing.T) {
	providertest.RunConformance(t, harness(anthropic.StructuredTool))
}

func TestConformanceNativeStructuredOutput(t *testing.T) {
	providertest.RunConformance(t, harness(anthropic.StructuredNative))
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name string
		cfg  anthropic.Config
		want string
	}{
		{"no key", anthropic.Config{}, "ANTHROPIC_API_KEY"},
		{"bad base URL", anthropic.Config{APIKey: "k", BaseURL: "api.anthropic.com"}, "BaseURL"},
		{"negative timeout", anthropic.Config{APIKey: "k", Timeout: -time.Second}, "Timeout"},
		{"negative max tokens", anthropic.Config{APIKey: "k", DefaultMaxTokens: -1}, "DefaultMaxTokens"},
		{"bad structured output", anthropic.Config{APIKey: "k", StructuredOutput: "grammar"}, "StructuredOutput"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := anthropic.New(tt.cfg)
			if code := copydesk.ErrorCode(err); code != copydesk.EINVALID {
				t.Fatalf("got code %q (%v), want %q", code, err, copydesk.EINVALID)
			}
			if msg := copydesk.ErrorMessage(err); !strings.Contains(msg, tt.want) {
				t.Errorf("got message %q, want it to mention %q", msg, tt.want)
			}
		})
	}
}

func TestDefaultMaxTokensAndSystemMessages(t *testing.T) {
	t.Setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:1/")
	t.Setenv("ANTHROPIC_CUSTOM_HEADERS", "X-Leak: yes")
	srv := providertest.NewTestServer(t, providertest.Options{})
	c := MustNew(t, anthropic.Config{APIKey: "k", BaseURL: srv.URL, DefaultMaxTokens: 777, IgnoreTemperature: true})
	temp := 0.5
	_, err := c.Complete(context.Background(), copydesk.ModelRequest{
		Model: "claude-sim", System: "Be brief.", Temperature: &temp,
		Messages: []copydesk.Message{{Role: "system", Content: "Use Dutch."}, {Role: "user", Content: "hallo"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := srv.LastRequest()
	if got.MaxTokens != 777 {
		t.Errorf("got max_tokens %d, want 777", got.MaxTokens)
	}
	if want := "Be brief.\n\nUse Dutch."; got.System != want {
		t.Errorf("got system %q, want %q", got.System, want)
	}
	if got.Temperature != nil {
		t.Errorf("got temperature %v, want none (IgnoreTemperature)", *got.Temperature)
	}
}

func TestBadRequestsNeverReachTheProvider(t *testing.T) {
	srv := providertest.NewTestServer(t, providertest.Options{})
	c := MustNew(t, anthropic.Config{APIKey: "k", BaseURL: srv.URL})
	user := []copydesk.Message{{Role: "user", Content: "hi"}}
	tests := []struct {
		name string
		req  copydesk.ModelRequest
	}{
		{"no model", copydesk.ModelRequest{Messages: user}},
		{"no messages", copydesk.ModelRequest{Model: "m"}},
		{"only system", copydesk.ModelRequest{Model: "m", Messages: []copydesk.Message{{Role: "system", Content: "x"}}}},
		{"bad role", copydesk.ModelRequest{Model: "m", Messages: []copydesk.Message{{Role: "tool", Content: "hi"}}}},
		{"schema not an object", copydesk.ModelRequest{Model: "m", Messages: user, JSONSchema: json.RawMessage(`[1]`)}},
		{"schema of an array", copydesk.ModelRequest{Model: "m", Messages: user, JSONSchema: json.RawMessage(`{"type":"array"}`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Complete(context.Background(), tt.req)
			providertest.MustProviderError(t, c, err, copydesk.ProviderBadRequest)
		})
	}
	if n := srv.Calls(); n != 0 {
		t.Errorf("got %d calls at the fake, want 0", n)
	}
}

func BenchmarkComplete(b *testing.B) {
	providertest.BenchComplete(b, harness(anthropic.StructuredTool))
}

func BenchmarkStream(b *testing.B) { providertest.BenchStream(b, harness(anthropic.StructuredTool)) }

func BenchmarkCompleteParallel(b *testing.B) {
	providertest.BenchCompleteParallel(b, harness(anthropic.StructuredTool))
}
