package gemini

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/copydesk/copydesk/internal/providerhttp"
)

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
				return providerhttp.Clamp(dur)
			}
		case map[string]any: // {"seconds": 1, "nanos": 500000000}
			secs, _ := toFloat(v["seconds"])
			nanos, _ := toFloat(v["nanos"])
			if f := secs + nanos/1e9; !math.IsNaN(f) && f > 0 {
				if f >= providerhttp.MaxRetryAfter.Seconds() {
					return providerhttp.MaxRetryAfter
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
