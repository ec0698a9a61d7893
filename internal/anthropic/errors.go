package anthropic

import (
	"net/http"
	"strings"
	"time"

	"github.com/copydesk/copydesk/internal/providerhttp"
)

// retryAfter reads the delay a provider asks for: retry-after-ms
// (milliseconds), then Retry-After (seconds or an HTTP date), then the
// latest of Anthropic's anthropic-ratelimit-*-reset timestamps (RFC 3339).
// Returns 0 when none is usable.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if d, ok := providerhttp.RetryAfter(h, now); ok {
		return d
	}
	var d time.Duration
	for _, name := range []string{"anthropic-ratelimit-requests-reset", "anthropic-ratelimit-tokens-reset", "anthropic-ratelimit-input-tokens-reset", "anthropic-ratelimit-output-tokens-reset"} {
		if t, err := time.Parse(time.RFC3339, strings.TrimSpace(h.Get(name))); err == nil {
			d = max(d, providerhttp.Clamp(t.Sub(now)))
		}
	}
	return d
}
