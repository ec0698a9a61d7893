package anthropic

import (
	"context"
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

	"github.com/copydesk/copydesk/internal/copydesk"
)

// maxRetryAfter caps a parsed delay so absurd headers cannot overflow.
const maxRetryAfter = 24 * time.Hour

// retryAfter reads the delay a provider asks for: retry-after-ms
// (milliseconds), then Retry-After (seconds or an HTTP date), then the
// latest of Anthropic's anthropic-ratelimit-*-reset timestamps (RFC 3339).
// Returns 0 when none is usable.
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
	for _, name := range []string{"anthropic-ratelimit-requests-reset", "anthropic-ratelimit-tokens-reset", "anthropic-ratelimit-input-tokens-reset", "anthropic-ratelimit-output-tokens-reset"} {
		if t, err := time.Parse(time.RFC3339, strings.TrimSpace(h.Get(name))); err == nil {
			d = max(d, clamp(t.Sub(now)))
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

// contextError returns the context error behind err, or nil.
func contextError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return context.DeadlineExceeded
	}
	if errors.Is(err, context.Canceled) {
		return context.Canceled
	}
	return nil
}
