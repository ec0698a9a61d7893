package lograte_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/lograte"
)

// fakeNow is a clock moved by hand.
type fakeNow struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeNow) Now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.t }
func (f *fakeNow) Add(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.t = f.t.Add(d)
}

// lines decodes the JSON lines written to b.
func lines(t *testing.T, b *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %q is not JSON: %v", l, err)
		}
		out = append(out, m)
	}
	b.Reset()
	return out
}

func TestRepeatsHeldBack(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	clock := &fakeNow{t: time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)}
	log := slog.New(lograte.New(slog.NewJSONHandler(&b, nil), lograte.Options{Interval: 10 * time.Second, Now: clock.Now}))
	cache := log.With("component", "cache")

	for i := range 1000 {
		cache.Warn("cache L2 read failed", "key", i)
		log.Info("request", "status", 200) // below warning: always passes
	}
	got := lines(t, &b)
	warns := 0
	for _, l := range got {
		if l["level"] == "WARN" {
			warns++
			if l["key"] != float64(0) || l["component"] != "cache" || l["suppressed"] != nil {
				t.Errorf("first warning: got %v, want key 0 of the cache, nothing suppressed", l)
			}
		}
	}
	if warns != 1 || len(got) != 1001 {
		t.Errorf("got %d warnings in %d lines, want 1 warning and 1000 request lines", warns, len(got))
	}

	log.Warn("another message") // its own count
	log.Error("cache L2 read failed")
	if got := lines(t, &b); len(got) != 2 {
		t.Errorf("another message and the same message as an error: got %d lines, want 2", len(got))
	}

	clock.Add(9 * time.Second)
	cache.Warn("cache L2 read failed", "key", "x")
	if got := lines(t, &b); len(got) != 0 {
		t.Errorf("within the interval: got %v, want nothing", got)
	}
	clock.Add(time.Second)
	cache.Warn("cache L2 read failed", "key", "y")
	got = lines(t, &b)
	if len(got) != 1 || got[0]["suppressed"] != float64(1000) || got[0]["key"] != "y" {
		t.Errorf("after the interval: got %v, want one line with suppressed 1000 (999 + 1)", got)
	}
	clock.Add(10 * time.Second)
	cache.Warn("cache L2 read failed")
	if got := lines(t, &b); len(got) != 1 || got[0]["suppressed"] != nil {
		t.Errorf("the next interval without repeats: got %v, want a line without suppressed", got)
	}
}

// TestDistinct: one message about different customers (a budget threshold
// crossed) is not held back; about the same customer it is.
func TestDistinct(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	log := slog.New(lograte.New(slog.NewJSONHandler(&b, nil), lograte.Options{}))
	log.Warn("budget threshold crossed", "customer_id", "cus_1", "threshold", "alert", "spent", 80)
	log.Warn("budget threshold crossed", "customer_id", "cus_2", "threshold", "alert", "spent", 81)
	log.Warn("budget threshold crossed", "customer_id", "cus_1", "threshold", "warning", "spent", 90)
	log.Warn("budget threshold crossed", "customer_id", "cus_1", "key_id", "key_1", "threshold", "alert", "spent", 80)
	log.Warn("budget threshold crossed", "customer_id", "cus_1", "threshold", "alert", "spent", 85) // a repeat
	if got := lines(t, &b); len(got) != 4 {
		t.Errorf("got %d lines, want 4 (the repeat of cus_1's alert held back): %v", len(got), got)
	}
}

func TestOff(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	log := slog.New(lograte.New(slog.NewJSONHandler(&b, nil), lograte.Options{Interval: -1}))
	for range 5 {
		log.Warn("same")
	}
	if got := lines(t, &b); len(got) != 5 {
		t.Errorf("interval -1: got %d lines, want all 5", len(got))
	}
}
