package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/storetest"
)

// TestJobRetention: the sweep deletes the finished jobs created more than
// queue.retention ago, with their events; the API then answers 404 for
// them. Newer finished jobs and open jobs of any age stay.
func TestJobRetention(t *testing.T) {
	t.Parallel()
	clock := storetest.NewClock(time.Now())
	m := MustRunMain(t, func(m *Main) {
		m.Clock = clock
		m.Config.Queue.Retention = 24 * time.Hour
	})
	key := MustAdminKey(t, m)
	ctx := context.Background()
	create := func(status copydesk.JobStatus) string {
		t.Helper()
		job := &copydesk.Job{Kind: "analysis.deep", Status: status, Result: []byte(`{}`)}
		if err := m.Store.CreateJob(ctx, job); err != nil {
			t.Fatal(err)
		}
		if err := m.Store.AppendEvent(ctx, &copydesk.Event{JobID: job.ID, Type: copydesk.EventDone}); err != nil {
			t.Fatal(err)
		}
		return job.ID
	}
	old, oldOpen := create(copydesk.JobSucceeded), create(copydesk.JobRunning)
	clock.Add(25 * time.Hour)
	recent := create(copydesk.JobFailed)

	m.sweepOnce(ctx)
	if r := call(t, m.HTTP.URL(), "GET", "/v1/jobs/"+old, key, nil); r.Status != 404 || !strings.Contains(string(r.Body), `"not_found"`) {
		t.Errorf("a finished job past retention: status %d %s, want 404 not_found", r.Status, r.Body)
	}
	if _, err := m.Store.FindEvents(ctx, old, 0, 0); copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
		t.Errorf("its events: %v, want ENOTFOUND (deleted with it)", err)
	}
	for _, id := range []string{oldOpen, recent} {
		if r := call(t, m.HTTP.URL(), "GET", "/v1/jobs/"+id, key, nil); r.Status != 200 {
			t.Errorf("job %s: status %d %s, want 200 (open, or within retention)", id, r.Status, r.Body)
		}
	}
}
