package outage_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/outage"
	"github.com/copydesk/copydesk/internal/storetest"
)

func TestGuard(t *testing.T) {
	clock := storetest.NewClock(storetest.Epoch())
	var log bytes.Buffer
	g := outage.New(outage.Options{Clock: clock, Logger: slog.New(slog.NewTextHandler(&log, nil)),
		Cooldown: time.Second, WarnInterval: time.Minute, Warning: "store out"})
	down := copydesk.Errorf(copydesk.EUNAVAILABLE, "connection refused")
	ctx := context.Background()
	if !g.Up() {
		t.Fatal("a new guard is down")
	}
	// A call cut short by its own cancellation says nothing of the store.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if g.Failed(cancelled, down) || !g.Up() || log.Len() != 0 {
		t.Fatalf("a cancelled call's error started a cooldown or a warning: %s", log.String())
	}
	if !g.Failed(ctx, down) || g.Up() {
		t.Fatal("a failure did not start the cooldown")
	}
	g.Skip()
	clock.Add(500 * time.Millisecond)
	if g.Up() {
		t.Fatal("up within the cooldown")
	}
	g.Skip()
	clock.Add(600 * time.Millisecond)
	if !g.Up() {
		t.Fatal("still down after the cooldown")
	}
	// A second failure within the warning interval is counted, not logged.
	g.Failed(ctx, down)
	g.Skip()
	if n := strings.Count(log.String(), "store out"); n != 1 {
		t.Fatalf("%d warnings within one interval, want 1: %s", n, log.String())
	}
	clock.Add(2 * time.Minute)
	g.Failed(ctx, down)
	if !strings.Contains(log.String(), "failures_since_last_warning=2") || g.Fallbacks() != 3 {
		t.Errorf("second warning %q after %d fallbacks, want 2 failures since the last and 3 fallbacks", log.String(), g.Fallbacks())
	}
}
