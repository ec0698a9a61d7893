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

// TestLeaderJudgesTheCluster: the leader's alert rules read the whole
// cluster's traffic: requests answered only by another instance show in
// the sample the leader's engine reads.
func TestLeaderJudgesTheCluster(t *testing.T) {
	t.Parallel()
	dsn, schema := pgtest.MustSchema(t)
	var ms []*Main
	for range 2 {
		ms = append(ms, MustRunMain(t, func(m *Main) {
			m.Config.DatabaseURL = dsn
			m.Config.DatabaseSchema = schema
		}))
	}
	var leader, other *Main
	for deadline := time.Now().Add(45 * time.Second); leader == nil; time.Sleep(100 * time.Millisecond) {
		for i, m := range ms {
			if m.Alerts.Running() {
				leader, other = m, ms[1-i]
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no instance leads after 45 s")
		}
	}
	before, err := leader.samples.Sample(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	const n = 40
	for range n {
		if r := do(t, "GET", other.HTTP.URL()+"/healthz", "", nil); r.Status != 200 {
			t.Fatalf("healthz %d", r.Status)
		}
	}
	// The other instance publishes every SamplePublishInterval.
	for deadline := time.Now().Add(4 * SamplePublishInterval); ; time.Sleep(200 * time.Millisecond) {
		s, err := leader.samples.Sample(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if s.Requests-before.Requests >= n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the leader reads %d requests more after %d on the other instance", s.Requests-before.Requests, n)
		}
	}
}
