package gemini_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/gemini"
	"github.com/copydesk/copydesk/internal/providertest"
)

// MustNew returns a Client for cfg or fails the test.
func MustNew(tb testing.TB, cfg gemini.Config) *gemini.Client {
	tb.Helper()
	c, err := gemini.New(cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return c
}

var harness = providertest.Harness{
	Format: providertest.FormatGemini,
	Model:  "gemini-sim",
	New: func(tb testing.TB, baseURL, apiKey string, timeout time.Duration) copydesk.Provider {
		return MustNew(tb, gemini.Config{Name: "gemini-test", APIKey: apiKey, BaseURL: baseURL, Timeout: timeout})
	},
}

func TestConformance(t *testing.T) {
	providertest.RunConformance(t, harness)
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name string
		cfg  gemini.Config
		want string
	}{
		{"no key", gemini.Config{}, "GEMINI_API_KEY"},
		{"bad base URL", gemini.Config{APIKey: "k", BaseURL: "generativelanguage.googleapis.com"}, "BaseURL"},
		{"negative timeout", gemini.Config{APIKey: "k", Timeout: -time.Second}, "Timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := gemini.New(tt.cfg)
			if code := copydesk.ErrorCode(err); code != copydesk.EINVALID {
				t.Fatalf("got code %q (%v), want %q", code, err, copydesk.EINVALID)
			}
			if msg := copydesk.ErrorMessage(err); !strings.Contains(msg, tt.want) {
				t.Errorf("got message %q, want it to mention %q", msg, tt.want)
			}
		})
	}
}

func TestBadRequestsNeverReachTheProvider(t *testing.T) {
	srv := providertest.NewTestServer(t, providertest.Options{})
	c := MustNew(t, gemini.Config{APIKey: "k", BaseURL: srv.URL})
	user := []copydesk.Message{{Role: "user", Content: "hi"}}
	tests := []struct {
		name string
		req  copydesk.ModelRequest
	}{
		{"no model", copydesk.ModelRequest{Messages: user}},
		{"no messages", copydesk.ModelRequest{Model: "m"}},
		{"bad role", copydesk.ModelRequest{Model: "m", Messages: []copydesk.Message{{Role: "tool", Content: "hi"}}}},
		{"schema not an object", copydesk.ModelRequest{Model: "m", Messages: user, JSONSchema: json.RawMessage(`[1]`)}},
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

// TestRealErrorShapes feeds error bodies as Gemini really sends them.
func TestRealErrorShapes(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		body       string
		want       copydesk.ProviderErrorKind
		retryAfter time.Duration
	}{
		{"bad key is 400 API_KEY_INVALID", 400, `{"error":{"code":400,"message":"API key not valid.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}}`, copydesk.ProviderAuth, 0},
		{"quota with retry delay", 429, `{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"37s"}]}}`, copydesk.ProviderRateLimited, 37 * time.Second},
		{"overloaded model", 503, `{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}`, copydesk.ProviderServer, 0},
		{"plain text body", 502, `Bad Gateway`, copydesk.ProviderServer, 0},
		{"invalid argument", 400, `{"error":{"code":400,"message":"bad","status":"INVALID_ARGUMENT"}}`, copydesk.ProviderBadRequest, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer ts.Close()
			c := MustNew(t, gemini.Config{APIKey: "k", BaseURL: ts.URL})
			_, err := c.Complete(context.Background(), copydesk.ModelRequest{Model: "m", Messages: []copydesk.Message{{Role: "user", Content: "hi"}}})
			pe := providertest.MustProviderError(t, c, err, tt.want)
			if pe.RetryAfter != tt.retryAfter {
				t.Errorf("got RetryAfter %v, want %v", pe.RetryAfter, tt.retryAfter)
			}
			if pe.Status != tt.status {
				t.Errorf("got Status %d, want %d", pe.Status, tt.status)
			}
		})
	}
}

func BenchmarkComplete(b *testing.B) { providertest.BenchComplete(b, harness) }

func BenchmarkStream(b *testing.B) { providertest.BenchStream(b, harness) }

func BenchmarkCompleteParallel(b *testing.B) { providertest.BenchCompleteParallel(b, harness) }
