package main

import (
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/pgtest"
)

// TestOneLeaderAmongInstances: of three instances on one PostgreSQL schema
// exactly one runs the alert engine (alerts, webhooks, the daily digest)
// and the sweeps, and another takes over when it stops.
func TestOneLeaderAmongInstances(t *testing.T) {
	t.Parallel()
	dsn, schema := pgtest.MustSchema(t)
	var ms []*Main
	for range 3 {
		ms = append(ms, MustRunMain(t, func(m *Main) {
			m.Config.DatabaseURL = dsn
			m.Config.DatabaseSchema = schema
		}))
	}
	leaders := func(among []*Main) []*Main {
		var out []*Main
		for _, m := range among {
			if m.Alerts.Running() {
				out = append(out, m)
			}
		}
		return out
	}
	waitOne := func(among []*Main) *Main {
		t.Helper()
		deadline := time.Now().Add(45 * time.Second)
		for {
			l := leaders(among)
			if len(l) > 1 {
				t.Fatalf("%d instances run the alert engine, want 1", len(l))
			}
			if len(l) == 1 {
				return l[0]
			}
			if time.Now().After(deadline) {
				t.Fatal("no instance leads after 45 s")
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	first := waitOne(ms)
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	var rest []*Main
	for _, m := range ms {
		if m != first {
			rest = append(rest, m)
		}
	}
	waitOne(rest)
}
