package providerhttp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name   string
		header map[string]string
		want   time.Duration
		ok     bool
	}{
		{"milliseconds first", map[string]string{"retry-after-ms": "1500", "Retry-After": "9"}, 1500 * time.Millisecond, true},
		{"seconds", map[string]string{"Retry-After": "7"}, 7 * time.Second, true},
		{"fractional seconds", map[string]string{"Retry-After": "0.5"}, 500 * time.Millisecond, true},
		{"http date", map[string]string{"Retry-After": now.Add(30 * time.Second).Format(http.TimeFormat)}, 30 * time.Second, true},
		{"date in the past", map[string]string{"Retry-After": now.Add(-time.Minute).Format(http.TimeFormat)}, 0, true},
		{"capped", map[string]string{"Retry-After": "999999999"}, MaxRetryAfter, true},
		{"negative", map[string]string{"Retry-After": "-3"}, 0, false},
		{"garbage", map[string]string{"Retry-After": "soon"}, 0, false},
		{"none", nil, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.header {
				h.Set(k, v)
			}
			got, ok := RetryAfter(h, now)
			if got != tt.want || ok != tt.ok {
				t.Errorf("got %s %v, want %s %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestKindForStatus(t *testing.T) {
	for status, want := range map[int]copydesk.ProviderErrorKind{
		429: copydesk.ProviderRateLimited, 529: copydesk.ProviderOverloaded, 401: copydesk.ProviderAuth,
		402: copydesk.ProviderAuth, 403: copydesk.ProviderAuth, 408: copydesk.ProviderTimeout,
		500: copydesk.ProviderServer, 503: copydesk.ProviderServer, 400: copydesk.ProviderBadRequest, 404: copydesk.ProviderBadRequest,
	} {
		if got := KindForStatus(status); got != want {
			t.Errorf("KindForStatus(%d) = %s, want %s", status, got, want)
		}
	}
}

func TestNetworkKindAndContext(t *testing.T) {
	if k, ok := NetworkKind(fmt.Errorf("dial: %w", syscall.ECONNREFUSED)); !ok || k != copydesk.ProviderNetwork {
		t.Errorf("connection refused: %s %v", k, ok)
	}
	if k, ok := NetworkKind(io.ErrUnexpectedEOF); !ok || k != copydesk.ProviderNetwork {
		t.Errorf("unexpected EOF: %s %v", k, ok)
	}
	if _, ok := NetworkKind(errors.New("bad json")); ok {
		t.Error("a decoding error is not a network failure")
	}
	if got := DescribeNetwork(fmt.Errorf("x: %w", syscall.ECONNRESET)); got != "connection reset" {
		t.Errorf("DescribeNetwork = %q", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := ContextError(ctx, errors.New("whatever")); !errors.Is(err, context.Canceled) {
		t.Errorf("ContextError = %v, want canceled", err)
	}
	if err := ContextError(context.Background(), fmt.Errorf("w: %w", context.DeadlineExceeded)); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("ContextError = %v, want deadline", err)
	}
	if err := ContextError(context.Background(), errors.New("x")); err != nil {
		t.Errorf("ContextError = %v, want nil", err)
	}
}
