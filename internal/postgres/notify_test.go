package postgres_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/storetest"
)

// TestWatchEvents: an instance hears of the events another instance
// stores (one notification per job and transaction), and not of its own.
func TestWatchEvents(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	schema := MustSchema(t)
	clock := storetest.NewClock(storetest.Epoch())
	a, b := MustOpenSchema(t, schema, clock), MustOpenSchema(t, schema, clock)
	heard := make(chan string, 100)
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.WatchEvents(ctx, func(jobID string) { heard <- jobID })
	}()
	job := &copydesk.Job{Kind: "analysis"}
	storetest.MustCreateJob(t, a, job)
	// b's own write is not reported; wait until b listens by writing
	// through a until one is heard.
	own := &copydesk.Job{Kind: "analysis"}
	storetest.MustCreateJob(t, b, own)
	if err := b.AppendEvent(ctx, &copydesk.Event{JobID: own.ID, Type: "delta", Data: json.RawMessage(`{}`)}); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(20 * time.Second)
	for got := ""; got != job.ID; {
		if err := a.AppendEvent(ctx, &copydesk.Event{JobID: job.ID, Type: "delta", Data: json.RawMessage(`{}`)}); err != nil {
			t.Fatal(err)
		}
		select {
		case got = <-heard:
			if got == own.ID {
				t.Fatalf("heard of %s, this instance's own write", own.ID)
			}
		case <-time.After(200 * time.Millisecond):
		case <-deadline:
			t.Fatal("no notification of another instance's event within 20 s")
		}
	}
	// A status change with its event notifies too.
	time.Sleep(200 * time.Millisecond)
	for len(heard) > 0 {
		<-heard // the notifications of the appends above
	}
	done2 := copydesk.JobSucceeded
	if _, err := a.UpdateJob(ctx, job.ID, copydesk.JobUpdate{Status: &done2, Event: &copydesk.Event{Type: copydesk.EventDone}}); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-heard:
		if got != job.ID {
			t.Errorf("heard of %q, want %q", got, job.ID)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no notification of the done event within 20 s")
	}
	// Concurrent appends share transactions, whose notifications name
	// several jobs: each is heard.
	want := map[string]bool{}
	var jobs []*copydesk.Job
	for range 8 {
		j := &copydesk.Job{Kind: "analysis"}
		storetest.MustCreateJob(t, a, j)
		jobs, want[j.ID] = append(jobs, j), true
	}
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Go(func() {
			if err := a.AppendEvent(ctx, &copydesk.Event{JobID: j.ID, Type: "delta", Data: json.RawMessage(`{}`)}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for timeout := time.After(20 * time.Second); len(want) > 0; {
		select {
		case got := <-heard:
			delete(want, got)
		case <-timeout:
			t.Fatalf("not heard of %d of 8 jobs within 20 s", len(want))
		}
	}
	cancel()
	<-done
}
