package gemini

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/providerhttp"
)

func TestRetryDelay(t *testing.T) {
	tests := []struct {
		name    string
		details string
		want    time.Duration
	}{
		{"none", `[]`, 0},
		{"seconds", `[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"30s"}]`, 30 * time.Second},
		{"fraction", `[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"1.5s"}]`, 1500 * time.Millisecond},
		{"object form", `[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":{"seconds":2,"nanos":500000000}}]`, 2500 * time.Millisecond},
		{"after other details", `[{"@type":"type.googleapis.com/google.rpc.QuotaFailure"},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"4s"}]`, 4 * time.Second},
		{"garbage", `[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"soon"}]`, 0},
		{"negative", `[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"-4s"}]`, 0},
		{"huge", `[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"100000h"}]`, providerhttp.MaxRetryAfter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d []map[string]any
			if err := json.Unmarshal([]byte(tt.details), &d); err != nil {
				t.Fatal(err)
			}
			if got := retryDelay(d); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func FuzzRetryDelay(f *testing.F) {
	for _, s := range []string{`"30s"`, `"1.5s"`, `{"seconds":2,"nanos":5}`, `{"seconds":"1e300"}`, `"NaN"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, delay string) {
		var v any
		if json.Unmarshal([]byte(delay), &v) != nil {
			return
		}
		d := []map[string]any{{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": v}}
		if got := retryDelay(d); got < 0 || got > providerhttp.MaxRetryAfter {
			t.Errorf("got %v, want within [0, %v]", got, providerhttp.MaxRetryAfter)
		}
	})
}
