package openai

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/openai/openai-go/v3/packages/ssestream"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// maxRetryAfter caps a parsed delay so absurd headers cannot overflow.
const maxRetryAfter = 24 * time.Hour

// retryAfter reads the delay a provider asks for: retry-after-ms
// (milliseconds), then Retry-After (seconds or an HTTP date), then OpenAI's
// x-ratelimit-reset-requests / x-ratelimit-reset-tokens durations (the larger
// one). Returns 0 when none is usable.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if d, ok := parseNumber(h.Get("retry-after-ms"), time.Millisecond); ok {
		return d
	}
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if d, ok := parseNumber(v, time.Second); ok {
			return d
		}
		if t, err := http.ParseTime(v); err == nil {
			return clamp(t.Sub(now))
		}
	}
	var d time.Duration
	for _, name := range []string{"x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"} {
		if v, err := time.ParseDuration(strings.TrimSpace(h.Get(name))); err == nil {
			d = max(d, clamp(v))
		}
	}
	return d
}

// parseNumber parses a non-negative decimal number of units.
func parseNumber(v string, unit time.Duration) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || f < 0 {
		return 0, false
	}
	if f*float64(unit) >= float64(maxRetryAfter) {
		return maxRetryAfter, true
	}
	return time.Duration(f * float64(unit)), true
}

func clamp(d time.Duration) time.Duration {
	return min(max(d, 0), maxRetryAfter)
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

// networkKind reports whether err is a transport failure, and whether it was
// a timeout.
func networkKind(err error) (copydesk.ProviderErrorKind, bool) {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return copydesk.ProviderTimeout, true
	}
	var ue *url.Error
	var oe *net.OpError
	switch {
	case errors.As(err, &ue), errors.As(err, &oe), errors.As(err, &ne):
		return copydesk.ProviderNetwork, true
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EPIPE):
		return copydesk.ProviderNetwork, true
	}
	return "", false
}

// describeNetwork says what failed without repeating URLs or bodies.
func describeNetwork(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "connection closed before the answer was complete"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "network timeout"
	}
	return "network error: " + err.Error()
}
