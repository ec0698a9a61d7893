package simulator

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkFakeDirect is the baseline for the adapters' BenchmarkComplete and
// BenchmarkStream: the same calls with a plain net/http client and no SDK,
// so the difference is the cost of SDK plus adapter.
func BenchmarkFakeDirect(b *testing.B) {
	srv := NewTestServer(b, Options{})
	conv := `[{"role":"user","content":"Hello there"},{"role":"assistant","content":"Hi, how can I help?"},{"role":"user","content":"Write a tagline for a bakery in Utrecht"}]`
	gconv := `[{"role":"user","parts":[{"text":"Hello there"}]},{"role":"model","parts":[{"text":"Hi, how can I help?"}]},{"role":"user","parts":[{"text":"Write a tagline for a bakery in Utrecht"}]}]`
	cases := []struct{ name, path, body string }{
		{"openai/complete", "/v1/chat/completions", `{"model":"m","max_tokens":200,"messages":` + conv + `}`},
		{"openai/stream", "/v1/chat/completions", `{"model":"m","max_tokens":200,"stream":true,"stream_options":{"include_usage":true},"messages":` + conv + `}`},
		{"anthropic/complete", "/v1/messages", `{"model":"m","max_tokens":200,"system":"You are a careful copy editor.","messages":` + conv + `}`},
		{"anthropic/stream", "/v1/messages", `{"model":"m","max_tokens":200,"stream":true,"system":"You are a careful copy editor.","messages":` + conv + `}`},
		{"gemini/complete", "/v1beta/models/m:generateContent", `{"contents":` + gconv + `}`},
		{"gemini/stream", "/v1beta/models/m:streamGenerateContent?alt=sse", `{"contents":` + gconv + `}`},
	}
	client := &http.Client{}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req, _ := http.NewRequest(http.MethodPost, srv.URL+c.path, strings.NewReader(c.body))
				req.Header.Set("Authorization", "Bearer k")
				req.Header.Set("x-goog-api-key", "k")
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("got status %d", resp.StatusCode)
				}
			}
		})
	}
}

// NewTestServer starts a Server on an httptest server closed at the end of
// the test, and sets its URL (providertest.NewTestServer for other packages).
func NewTestServer(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s := NewServer(opts)
	ts := httptest.NewServer(s.Handler())
	tb.Cleanup(ts.Close)
	s.URL = ts.URL
	return s
}
