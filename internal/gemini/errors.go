package gemini

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// maxRetryAfter caps a parsed delay so absurd headers cannot overflow.
const maxRetryAfter = 24 * time.Hour

// retryDelay reads the google.rpc.RetryInfo detail of an API error
// ({"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1.5s"}).
// Returns 0 when there is none or it is unusable.
func retryDelay(details []map[string]any) time.Duration {
	for _, d := range details {
		if t, _ := d["@type"].(string); !strings.HasSuffix(t, "google.rpc.RetryInfo") {
			continue
		}
		switch v := d["retryDelay"].(type) {
		case string:
			if dur, err := time.ParseDuration(strings.TrimSpace(v)); err == nil {
				return clamp(dur)
			}
		case map[string]any: // {"seconds": 1, "nanos": 500000000}
			secs, _ := toFloat(v["seconds"])
			nanos, _ := toFloat(v["nanos"])
			if f := secs + nanos/1e9; !math.IsNaN(f) && f > 0 {
				if f >= maxRetryAfter.Seconds() {
					return maxRetryAfter
				}
				return time.Duration(f * float64(time.Second))
			}
		}
	}
	return 0
}

// errorReason returns the reason of the google.rpc.ErrorInfo detail, if any.
func errorReason(details []map[string]any) string {
	for _, d := range details {
		if t, _ := d["@type"].(string); strings.HasSuffix(t, "google.rpc.ErrorInfo") {
			r, _ := d["reason"].(string)
			return r
		}
	}
	return ""
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	}
	return 0, false
}

func clamp(d time.Duration) time.Duration {
	return min(max(d, 0), maxRetryAfter)
}

// jsonUnmarshal decodes a JSON object.
func jsonUnmarshal(data []byte, v *map[string]any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return err
	}
	if *v == nil {
		return errors.New("not an object")
	}
	return nil
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
