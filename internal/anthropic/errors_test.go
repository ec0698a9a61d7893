package anthropic

import (
	"net/http"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/providerhttp"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		headers map[string]string
		want    time.Duration
	}{
		{"none", nil, 0},
		{"seconds", map[string]string{"Retry-After": "7"}, 7 * time.Second},
		{"fractional seconds", map[string]string{"Retry-After": "1.5"}, 1500 * time.Millisecond},
		{"ms wins", map[string]string{"Retry-After": "2", "retry-after-ms": "1500"}, 1500 * time.Millisecond},
		{"http date", map[string]string{"Retry-After": now.Add(30 * time.Second).Format(http.TimeFormat)}, 30 * time.Second},
		{"date in the past", map[string]string{"Retry-After": now.Add(-time.Minute).Format(http.TimeFormat)}, 0},
		{"garbage", map[string]string{"Retry-After": "soon"}, 0},
		{"negative", map[string]string{"Retry-After": "-3"}, 0},
		{"huge", map[string]string{"Retry-After": "1e30"}, providerhttp.MaxRetryAfter},
		{"reset headers", map[string]string{"anthropic-ratelimit-requests-reset": now.Add(time.Second).Format(time.RFC3339), "anthropic-ratelimit-tokens-reset": now.Add(6 * time.Minute).Format(time.RFC3339)}, 6 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.headers {
				h.Set(k, v)
			}
			if got := retryAfter(h, now); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"7", "1.5", "Wed, 21 Oct 2015 07:28:00 GMT", "NaN", "-1", "1e400", "2026-11-26T12:00:30Z"} {
		f.Add(s, s)
	}
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, ra, ms string) {
		h := http.Header{}
		h.Set("Retry-After", ra)
		h.Set("retry-after-ms", ms)
		h.Set("anthropic-ratelimit-requests-reset", ra)
		if got := retryAfter(h, now); got < 0 || got > providerhttp.MaxRetryAfter {
			t.Errorf("got %v, want within [0, %v]", got, providerhttp.MaxRetryAfter)
		}
	})
}
