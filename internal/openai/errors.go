package openai

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/openai/openai-go/v3/packages/ssestream"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/providerhttp"
)

// retryAfter reads the delay a provider asks for: retry-after-ms
// (milliseconds), then Retry-After (seconds or an HTTP date), then OpenAI's
// x-ratelimit-reset-requests / x-ratelimit-reset-tokens durations (the larger
// one). Returns 0 when none is usable.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if d, ok := providerhttp.RetryAfter(h, now); ok {
		return d
	}
	var d time.Duration
	for _, name := range []string{"x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"} {
		if v, err := time.ParseDuration(strings.TrimSpace(h.Get(name))); err == nil {
			d = max(d, providerhttp.Clamp(v))
		}
	}
	return d
}

// streamError classifies an error event received inside a stream (HTTP
// status 200): {"error":{"type":…,"code":…,"message":…}}.
func (c *Client) streamError(se *ssestream.StreamError) *copydesk.ProviderError {
	var body struct {
		Error struct {
			Type    string `json:"type"`
			Code    any    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(se.Event.Data, &body)
	kind := copydesk.ProviderServer
	code, _ := body.Error.Code.(string)
	switch {
	case body.Error.Type == "rate_limit_exceeded" || code == "rate_limit_exceeded" || body.Error.Type == "requests" || body.Error.Type == "tokens":
		kind = copydesk.ProviderRateLimited
	case body.Error.Type == "overloaded_error" || code == "overloaded":
		kind = copydesk.ProviderOverloaded
	case body.Error.Type == "invalid_request_error":
		kind = copydesk.ProviderBadRequest
	}
	msg := body.Error.Message
	if msg == "" {
		msg = "unrecognized error event"
	}
	return c.errorf(kind, se, "error inside the stream: %s", msg)
}
