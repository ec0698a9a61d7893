// Package providerhttp holds what the provider adapters share about HTTP:
// the Retry-After headers, the classification of error statuses and of
// transport failures, and the context error behind an SDK's error. Each
// adapter adds what is its provider's own (vendor headers, error bodies).
package providerhttp

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

// MaxRetryAfter caps a parsed delay so absurd headers cannot overflow.
const MaxRetryAfter = 24 * time.Hour

// RetryAfter reads the standard delay headers: retry-after-ms
// (milliseconds), then Retry-After (seconds or an HTTP date). ok is false
// when neither is usable.
func RetryAfter(h http.Header, now time.Time) (d time.Duration, ok bool) {
	if d, ok := ParseNumber(h.Get("retry-after-ms"), time.Millisecond); ok {
		return d, true
	}
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if d, ok := ParseNumber(v, time.Second); ok {
			return d, true
		}
		if t, err := http.ParseTime(v); err == nil {
			return Clamp(t.Sub(now)), true
		}
	}
	return 0, false
}

// ParseNumber parses a non-negative decimal number of units, capped at
// MaxRetryAfter.
func ParseNumber(v string, unit time.Duration) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || f < 0 {
		return 0, false
	}
	if f*float64(unit) >= float64(MaxRetryAfter) {
		return MaxRetryAfter, true
	}
	return time.Duration(f * float64(unit)), true
}

// Clamp keeps d within 0 and MaxRetryAfter.
func Clamp(d time.Duration) time.Duration {
	return min(max(d, 0), MaxRetryAfter)
}

// KindForStatus classifies an HTTP error status: 429 rate limited, 529
// overloaded, 401/402/403 a dead key, 408 a timeout, 5xx a server error,
// any other 4xx a bad request.
func KindForStatus(status int) copydesk.ProviderErrorKind {
	switch {
	case status == http.StatusTooManyRequests:
		return copydesk.ProviderRateLimited
	case status == 529:
		return copydesk.ProviderOverloaded
	case status == http.StatusUnauthorized || status == http.StatusPaymentRequired || status == http.StatusForbidden:
		return copydesk.ProviderAuth
	case status == http.StatusRequestTimeout:
		return copydesk.ProviderTimeout
	case status >= 500:
		return copydesk.ProviderServer
	default:
		return copydesk.ProviderBadRequest
	}
}

// NetworkKind reports whether err is a transport failure, and whether it
// was a timeout.
func NetworkKind(err error) (copydesk.ProviderErrorKind, bool) {
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

// DescribeNetwork says what failed without repeating URLs or bodies (which
// may hold a key).
func DescribeNetwork(err error) string {
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

// ContextError returns the context error behind err, or nil.
func ContextError(ctx context.Context, err error) error {
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
