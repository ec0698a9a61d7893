package main

import (
	"bytes"
	"io"
	"net/http"
	"testing"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/ratelimit"
)

// BenchmarkAuthenticatedRequest measures a cached inline analysis through
// the whole server with an API key (two store reads) and with a JWT
// (an Ed25519 verification), against the public health check, all
// sequential over one keep-alive connection, rate limits off.
func BenchmarkAuthenticatedRequest(b *testing.B) {
	m := MustRunMain(b, func(m *Main) {
		m.Config.Access.RateLimits = ratelimit.Config{
			Roles:    map[copydesk.Role]ratelimit.Rate{copydesk.RoleAdmin: {PerMinute: -1}},
			Customer: ratelimit.Rate{PerMinute: -1},
		}
	})
	base := m.HTTP.URL()
	key := MustAdminKey(b, m)
	r := call(b, base, "POST", "/v1/auth/token", key, nil)
	MustStatus(b, r, 200, "token")
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	r.json(b, &tok)
	body := []byte(`{"content":"Our bakery bakes fresh bread every morning.","language":"en"}`)
	client := &http.Client{}
	run := func(b *testing.B, method, path, authz string, body []byte) {
		for b.Loop() {
			req, _ := http.NewRequest(method, base+path, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if authz != "" {
				req.Header.Set("Authorization", authz)
			}
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	}
	b.Run("healthz-public", func(b *testing.B) { run(b, "GET", "/healthz", "", nil) })
	b.Run("analysis-key", func(b *testing.B) { run(b, "POST", "/v1/analyses", "Bearer "+key, body) })
	b.Run("analysis-jwt", func(b *testing.B) { run(b, "POST", "/v1/analyses", "Bearer "+tok.AccessToken, body) })
}
