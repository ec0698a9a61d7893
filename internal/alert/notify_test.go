package alert_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/alert"
	"github.com/copydesk/copydesk/internal/copydesk"
)

// MustReceiver starts a webhook receiver answering with statuses in turn
// (then 200) and returns its URL and the channel of bodies received.
func MustReceiver(tb testing.TB, statuses ...int) (string, <-chan []byte, *atomic.Int64) {
	tb.Helper()
	bodies := make(chan []byte, 16)
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			tb.Errorf("webhook got %s with Content-Type %q, want POST application/json", r.Method, r.Header.Get("Content-Type"))
		}
		if int(n) <= len(statuses) {
			w.WriteHeader(statuses[n-1])
			return
		}
		b, _ := io.ReadAll(r.Body)
		bodies <- b
	}))
	tb.Cleanup(srv.Close)
	return srv.URL + "/hooks/T000/SECRET", bodies, &calls
}

func receive(tb testing.TB, ch <-chan []byte) map[string]any {
	tb.Helper()
	select {
	case b := <-ch:
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			tb.Fatalf("webhook body is not JSON: %v: %s", err, b)
		}
		return m
	case <-time.After(30 * time.Second): // a hang guard, not a timing assertion
		tb.Fatal("webhook never received the notification")
	}
	return nil
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestWebhookPayloads(t *testing.T) {
	t.Parallel()
	slackURL, slack, _ := MustReceiver(t)
	jsonURL, generic, _ := MustReceiver(t)
	var logs syncBuffer
	clock := NewClock(t0)
	e := MustEngine(t, alert.Config{Clock: clock, Notifiers: []alert.Notifier{
		&alert.Webhook{Name: "slack", URL: slackURL, Format: alert.FormatSlack},
		&alert.Webhook{Name: "ops", URL: jsonURL},
		alert.LogNotifier{Logger: slog.New(slog.NewJSONHandler(&logs, nil))},
	}})
	e.Observe(copydesk.HealthSample{QueueDepth: 1500})

	s := receive(t, slack)
	text, _ := s["text"].(string)
	if !strings.Contains(text, "critical firing: queue_depth") || !strings.Contains(text, "1500 open jobs") {
		t.Errorf("slack text: got %q, want the rule, state and value", text)
	}
	blocks, _ := s["blocks"].([]any)
	if len(blocks) != 2 {
		t.Fatalf("slack blocks: got %d, want 2 (header, section)", len(blocks))
	}
	if typ := blocks[0].(map[string]any)["type"]; typ != "header" {
		t.Errorf("first block type: got %v, want header", typ)
	}

	g := receive(t, generic)
	a, _ := g["alert"].(map[string]any)
	if g["type"] != "alert" || a["rule"] != "queue_depth" || a["severity"] != "critical" || a["state"] != "firing" || a["value"] != 1500.0 || a["threshold"] != 1000.0 {
		t.Errorf("generic payload: got %v, want queue_depth critical firing 1500 over 1000", g)
	}
	e.Stop() // waits for the deliveries in flight
	if l := logs.String(); !strings.Contains(l, `"level":"ERROR"`) || !strings.Contains(l, `"rule":"queue_depth"`) {
		t.Errorf("log: got %s, want an ERROR line of rule queue_depth", l)
	}
	if strings.Contains(logs.String(), "SECRET") {
		t.Error("the webhook URL leaked into the log")
	}
}

func TestWebhookRetries(t *testing.T) {
	t.Parallel()
	url, bodies, calls := MustReceiver(t, http.StatusInternalServerError, http.StatusTooManyRequests)
	w := &alert.Webhook{URL: url, Backoff: time.Millisecond}
	if err := w.Notify(context.Background(), alert.Notification{Alert: &alert.Alert{Rule: "r"}}); err != nil {
		t.Fatalf("got %v, want delivery after two retries", err)
	}
	receive(t, bodies)
	if n := calls.Load(); n != 3 {
		t.Errorf("got %d attempts, want 3", n)
	}
}

func TestWebhookGivesUp(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		statuses []int
		retries  int
		want     int64
	}{
		{"client error is not retried", []int{400, 400, 400}, 3, 1},
		{"server errors up to the retry limit", []int{500, 500, 500, 500}, 2, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			url, _, calls := MustReceiver(t, tt.statuses...)
			w := &alert.Webhook{URL: url, Backoff: time.Millisecond, Retries: tt.retries}
			err := w.Notify(context.Background(), alert.Notification{Alert: &alert.Alert{Rule: "r"}})
			if err == nil {
				t.Fatal("got nil error, want a failure")
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error %q leaks the webhook URL", err)
			}
			if n := calls.Load(); n != tt.want {
				t.Errorf("got %d attempts, want %d", n, tt.want)
			}
		})
	}
	// A closed port: the error does not quote the URL either.
	w := &alert.Webhook{URL: "http://127.0.0.1:1/hooks/SECRET", Retries: -1}
	if err := w.Notify(context.Background(), alert.Notification{Alert: &alert.Alert{}}); err == nil || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("got %v, want an error without the URL", err)
	}
}

// blockingNotifier holds every delivery until released.
type blockingNotifier struct {
	calls   atomic.Int64
	release chan struct{}
}

func (b *blockingNotifier) Notify(ctx context.Context, n alert.Notification) error {
	b.calls.Add(1)
	<-b.release
	return nil
}

func TestDeliveryNeverBlocks(t *testing.T) {
	t.Parallel()
	bn := &blockingNotifier{release: make(chan struct{})}
	clock := NewClock(t0)
	e := MustEngine(t, alert.Config{Clock: clock, MaxDeliveries: 1, CoolDown: time.Minute, Notifiers: []alert.Notifier{bn}})
	// Four announcements while the first delivery hangs: Observe returns
	// each time (a blocked caller would hang this test), the extra ones are
	// dropped, and the UI list has them all.
	for _, q := range []int{1500, 10, 1500, 10} {
		clock.Add(time.Hour)
		e.Observe(copydesk.HealthSample{QueueDepth: q})
	}
	if n := len(e.Recent(0)); n != 4 {
		t.Errorf("Recent: got %d, want 4", n)
	}
	close(bn.release)
	e.Stop()
	if n := bn.calls.Load(); n != 1 {
		t.Errorf("deliveries: got %d, want 1 (the rest dropped while it was busy)", n)
	}
	// After Stop nothing is delivered.
	clock.Add(time.Hour)
	e.Observe(copydesk.HealthSample{QueueDepth: 1500})
	if n := bn.calls.Load(); n != 1 {
		t.Errorf("deliveries after Stop: got %d, want 1", n)
	}
}

func TestRecentKeepsNewest(t *testing.T) {
	t.Parallel()
	clock := NewClock(t0)
	e := MustEngine(t, alert.Config{Clock: clock, Keep: 3, CoolDown: time.Minute})
	for i := range 5 {
		clock.Add(time.Hour)
		e.Observe(copydesk.HealthSample{QueueDepth: []int{1500, 10}[i%2]})
	}
	got := e.Recent(0)
	if len(got) != 3 || got[0].State != alert.StateFiring || !got[0].At.Equal(t0.Add(5*time.Hour)) {
		t.Errorf("Recent: got %+v, want the 3 newest, newest first", got)
	}
	if len(e.Recent(2)) != 2 {
		t.Errorf("Recent(2): got %d, want 2", len(e.Recent(2)))
	}
}

func TestFormatMicros(t *testing.T) {
	t.Parallel()
	for in, want := range map[copydesk.Micros]string{0: "0.000000 EUR", 1_250_000: "1.250000 EUR", -5: "-0.000005 EUR", 12_345_678_901: "12345.678901 EUR"} {
		if got := alert.FormatMicros(in, "EUR"); got != want {
			t.Errorf("FormatMicros(%d): got %q, want %q", in, got, want)
		}
	}
}

// TestStartLoop runs the real loop: it reads the source and delivers.
func TestStartLoop(t *testing.T) {
	t.Parallel()
	url, bodies, _ := MustReceiver(t)
	e := MustEngine(t, alert.Config{
		Interval: time.Millisecond,
		Source: func(context.Context) (copydesk.HealthSample, error) {
			return copydesk.HealthSample{QueueDepth: 2000}, nil
		},
		Notifiers: []alert.Notifier{&alert.Webhook{URL: url}},
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	_ = e.Start(ctx) // a second Start does nothing
	g := receive(t, bodies)
	if a, _ := g["alert"].(map[string]any); a["rule"] != "queue_depth" {
		t.Errorf("got %v, want the queue_depth alert", g)
	}
	e.Stop()
	e.Stop() // a second Stop is fine
	if n := len(e.Recent(0)); n != 1 {
		t.Errorf("Recent: got %d, want 1 (the alert fires once however many ticks)", n)
	}
}
