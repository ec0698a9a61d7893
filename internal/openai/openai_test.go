package openai_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/openai"
	"github.com/copydesk/copydesk/internal/providertest"
)

// MustNew returns a Client for cfg or fails the test.
func MustNew(tb testing.TB, cfg openai.Config) *openai.Client {
	tb.Helper()
	c, err := openai.New(cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return c
}

var harness = providertest.Harness{
	Format: providertest.FormatOpenAI,
	Model:  "gpt-sim",
	New: func(tb testing.TB, baseURL, apiKey string, timeout time.Duration) copydesk.Provider {
		return MustNew(tb, openai.Config{Name: "openai-test", APIKey: apiKey, BaseURL: baseURL + "/v1/", Timeout: timeout})
	},
}

func TestConformance(t *testing.T) {
	providertest.RunConformance(t, harness)
}

func TestConformanceMaxCompletionTokens(t *testing.T) {
	h := harness
	h.New = func(tb testing.TB, baseURL, apiKey string, timeout time.Duration) copydesk.Provider {
		return MustNew(tb, openai.Config{APIKey: apiKey, BaseURL: baseURL + "/v1/", Timeout: timeout, MaxTokensParam: openai.MaxCompletionTokens})
	}
	providertest.RunConformance(t, h)
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name string
		cfg  openai.Config
		want string // part of the message
	}{
		{"no key", openai.Config{}, "OPENAI_API_KEY"},
		{"bad base URL", openai.Config{APIKey: "k", BaseURL: "localhost:11434"}, "BaseURL"},
		{"negative timeout", openai.Config{APIKey: "k", Timeout: -time.Second}, "Timeout"},
		{"bad max tokens param", openai.Config{APIKey: "k", MaxTokensParam: "max_output_tokens"}, "MaxTokensParam"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := openai.New(tt.cfg)
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
	c := MustNew(t, openai.Config{APIKey: "k", BaseURL: srv.URL + "/v1/"})
	tests := []struct {
		name string
		req  copydesk.ModelRequest
	}{
		{"no model", copydesk.ModelRequest{Messages: []copydesk.Message{{Role: "user", Content: "hi"}}}},
		{"no messages", copydesk.ModelRequest{Model: "m"}},
		{"bad role", copydesk.ModelRequest{Model: "m", Messages: []copydesk.Message{{Role: "tool", Content: "hi"}}}},
		{"bad schema", copydesk.ModelRequest{Model: "m", Messages: []copydesk.Message{{Role: "user", Content: "hi"}}, JSONSchema: []byte("{")}},
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

// TestAzureStyle checks the api-key header, extra headers and query
// parameters, and that no bearer token is sent.
func TestAzureStyle(t *testing.T) {
	var got *http.Request
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Clone(context.Background())
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"x","object":"chat.completion","created":1,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}`))
	}))
	defer ts.Close()
	t.Setenv("OPENAI_API_KEY", "env-key-must-not-be-sent")
	c := MustNew(t, openai.Config{
		APIKey: "azure-key", BaseURL: ts.URL + "/openai/v1", APIKeyHeader: "api-key",
		Headers: map[string]string{"X-Title": "Copydesk"}, Query: map[string]string{"api-version": "2024-10-21"},
		Organization: "org-1", Project: "proj-1",
	})
	resp, err := c.Complete(context.Background(), copydesk.ModelRequest{Model: "gpt-4o", Messages: []copydesk.Message{{Role: "user", Content: "hi"}}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text != "hi" || resp.Usage.InputTokens != 3 {
		t.Errorf("got %+v, want text hi and 3 input tokens", resp)
	}
	checks := []struct{ what, got, want string }{
		{"path", got.URL.Path, "/openai/v1/chat/completions"},
		{"api-key", got.Header.Get("api-key"), "azure-key"},
		{"authorization", got.Header.Get("Authorization"), ""},
		{"X-Title", got.Header.Get("X-Title"), "Copydesk"},
		{"api-version", got.URL.Query().Get("api-version"), "2024-10-21"},
		{"organization", got.Header.Get("OpenAI-Organization"), "org-1"},
		{"project", got.Header.Get("OpenAI-Project"), "proj-1"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("got %s %q, want %q", ch.what, ch.got, ch.want)
		}
	}
}

func TestStreamWithoutUsageChunk(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = w.Write([]byte("data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},\"finish_reason\":null}]}\n\n"))
		_, _ = w.Write([]byte("data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"))
		_, _ = w.Write([]byte("data: [DONE]\n\n"))
	}))
	defer ts.Close()
	req := copydesk.ModelRequest{Model: "m", Messages: []copydesk.Message{{Role: "user", Content: "hi"}}}
	noop := func(string) error { return nil }

	strict := MustNew(t, openai.Config{APIKey: "k", BaseURL: ts.URL + "/v1/"})
	_, err := strict.Stream(context.Background(), req, noop)
	providertest.MustProviderError(t, strict, err, copydesk.ProviderTruncated)

	lenient := MustNew(t, openai.Config{APIKey: "k", BaseURL: ts.URL + "/v1/", AllowMissingStreamUsage: true})
	resp, err := lenient.Stream(context.Background(), req, noop)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text != "hi" || resp.FinishReason != "stop" {
		t.Errorf("got %+v, want text hi, finish stop", resp)
	}
}

func TestNetworkError(t *testing.T) {
	ts := httptest.NewServer(http.NotFoundHandler())
	url := ts.URL
	ts.Close()
	c := MustNew(t, openai.Config{APIKey: "k", BaseURL: url + "/v1/"})
	_, err := c.Complete(context.Background(), copydesk.ModelRequest{Model: "m", Messages: []copydesk.Message{{Role: "user", Content: "hi"}}})
	providertest.MustProviderError(t, c, err, copydesk.ProviderNetwork)
}

func BenchmarkComplete(b *testing.B) { providertest.BenchComplete(b, harness) }

func BenchmarkStream(b *testing.B) { providertest.BenchStream(b, harness) }

func BenchmarkCompleteParallel(b *testing.B) { providertest.BenchCompleteParallel(b, harness) }

// TestCompleteAnswerShapes: Complete reads the answer's body itself (not
// through the SDK's type). Each shape a provider or compatible server sends
// is read as the SDK read it, with two differences: a body cut inside its
// JSON was a network failure and is an unreadable answer (kind server; a
// connection that closes early is still a network failure), and a content
// of the wrong type is an unreadable answer where the SDK's type read it as
// an empty one, which was then cached and billed.
func TestCompleteAnswerShapes(t *testing.T) {
	tests := []struct {
		name, contentType, body string
		want                    copydesk.ModelResponse
		kind                    copydesk.ProviderErrorKind // set: the call fails with it
	}{
		{"full", "application/json", `{"id":"x","object":"chat.completion","created":1,"model":"gpt-4o-2024","system_fingerprint":"fp","choices":[{"index":0,"message":{"role":"assistant","content":"hi <b>","refusal":null,"tool_calls":[]},"logprobs":null,"finish_reason":"length"}],"usage":{"prompt_tokens":30,"completion_tokens":7,"total_tokens":37,"prompt_tokens_details":{"cached_tokens":16,"audio_tokens":0}}}`,
			copydesk.ModelResponse{Text: "hi <b>", Model: "gpt-4o-2024", FinishReason: "length", Usage: copydesk.Usage{InputTokens: 30, OutputTokens: 7, CachedTokens: 16}}, ""},
		{"counts as floats, no model, no details", "application/json; charset=utf-8", `{"choices":[{"message":{"content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3.0,"completion_tokens":2e0,"prompt_tokens_details":null}}`,
			copydesk.ModelResponse{Text: "ok", Model: "m", FinishReason: "stop", Usage: copydesk.Usage{InputTokens: 3, OutputTokens: 2}}, ""},
		{"counts out of range", "application/json", `{"choices":[{"message":{"content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":-5,"completion_tokens":1e300,"prompt_tokens_details":{"cached_tokens":-1}}}`,
			copydesk.ModelResponse{Text: "ok", Model: "m", FinishReason: "stop", Usage: copydesk.Usage{OutputTokens: 1 << 30}}, ""},
		{"no usage", "application/json", `{"model":"m2","choices":[{"message":{"content":"ok"},"finish_reason":"stop"}]}`,
			copydesk.ModelResponse{Text: "ok", Model: "m2", FinishReason: "stop"}, ""},
		{"refusal", "application/json", `{"choices":[{"message":{"content":null,"refusal":"I can't"},"finish_reason":"stop"}]}`, copydesk.ModelResponse{}, copydesk.ProviderInvalid},
		{"no choices", "application/json", `{"choices":[],"usage":{"prompt_tokens":1}}`, copydesk.ModelResponse{}, copydesk.ProviderInvalid},
		{"truncated", "application/json", `{"choices":[{"message":{"content":"o`, copydesk.ModelResponse{}, copydesk.ProviderServer},
		{"html", "text/html", `<html>bad gateway</html>`, copydesk.ModelResponse{}, copydesk.ProviderServer},
		{"wrong types", "application/json", `{"choices":[{"message":{"content":["a"]}}]}`, copydesk.ModelResponse{}, copydesk.ProviderServer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := answering(t, http.StatusOK, tt.contentType, tt.body)
			resp, err := c.Complete(context.Background(), hiRequest)
			mustAnswer(t, c, resp, err, tt.kind, tt.want)
		})
	}
}

// TestStreamChunkShapes: Stream reads the chunks itself (not through the
// SDK's type): usage null in every chunk but the last, an error event, a
// 429 before the stream, and a chunk of the wrong shape, which is an
// unreadable answer (the SDK's type turned a number into text).
func TestStreamChunkShapes(t *testing.T) {
	chunk := func(s string) string { return "data: " + s + "\n\n" }
	tests := []struct {
		name   string
		status int
		body   string
		want   copydesk.ModelResponse
		deltas []string
		kind   copydesk.ProviderErrorKind
	}{
		{"usage null until the last chunk", 200,
			chunk(`{"model":"m-1","choices":[{"index":0,"delta":{"role":"assistant","content":"he"},"finish_reason":null}],"usage":null}`) +
				chunk(`{"model":"m-1","choices":[{"index":1,"delta":{"content":"other choice"}}],"usage":null}`) +
				chunk(`{"model":"m-1","choices":[{"index":0,"delta":{"content":"llo"},"finish_reason":"stop"}],"usage":null}`) +
				chunk(`{"model":"m-1","choices":[],"usage":{"prompt_tokens":4,"completion_tokens":2,"prompt_tokens_details":{"cached_tokens":1}}}`) + "data: [DONE]\n\n",
			copydesk.ModelResponse{Text: "hello", Model: "m-1", FinishReason: "stop", Usage: copydesk.Usage{InputTokens: 4, OutputTokens: 2, CachedTokens: 1}}, []string{"he", "llo"}, ""},
		{"refusal", 200,
			chunk(`{"choices":[{"index":0,"delta":{"refusal":"no"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1}}`) + "data: [DONE]\n\n",
			copydesk.ModelResponse{}, nil, copydesk.ProviderInvalid},
		{"error event", 200,
			chunk(`{"choices":[{"index":0,"delta":{"content":"a"}}]}`) + chunk(`{"error":{"type":"rate_limit_exceeded","message":"slow down"}}`),
			copydesk.ModelResponse{}, []string{"a"}, copydesk.ProviderRateLimited},
		{"429 before the stream", 429, `{"error":{"message":"too many","type":"requests"}}`, copydesk.ModelResponse{}, nil, copydesk.ProviderRateLimited},
		{"wrong shape", 200, chunk(`{"choices":[{"index":0,"delta":{"content":7}}]}`), copydesk.ModelResponse{}, nil, copydesk.ProviderServer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			contentType := "text/event-stream"
			if tt.status != http.StatusOK {
				contentType = "application/json"
			}
			c := answering(t, tt.status, contentType, tt.body)
			var deltas []string
			resp, err := c.Stream(context.Background(), hiRequest, func(d string) error { deltas = append(deltas, d); return nil })
			if !reflect.DeepEqual(deltas, tt.deltas) {
				t.Errorf("got deltas %q, want %q", deltas, tt.deltas)
			}
			mustAnswer(t, c, resp, err, tt.kind, tt.want)
		})
	}
}

var hiRequest = copydesk.ModelRequest{Model: "m", Messages: []copydesk.Message{{Role: "user", Content: "hi"}}}

// answering returns a Client of a server that answers every request with
// status, contentType and body.
func answering(t *testing.T, status int, contentType, body string) *openai.Client {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(ts.Close)
	return MustNew(t, openai.Config{APIKey: "k", BaseURL: ts.URL + "/v1/"})
}

// mustAnswer checks a call's outcome: a provider error of kind when kind is
// set, else no error and the response want.
func mustAnswer(t *testing.T, c *openai.Client, resp *copydesk.ModelResponse, err error, kind copydesk.ProviderErrorKind, want copydesk.ModelResponse) {
	t.Helper()
	if kind != "" {
		providertest.MustProviderError(t, c, err, kind)
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*resp, want) {
		t.Errorf("got %+v, want %+v", *resp, want)
	}
}
