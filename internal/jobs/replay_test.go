package jobs_test

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/jobs"
)

func seqs(evs []*copydesk.Event) []int64 {
	out := make([]int64, len(evs))
	for i, ev := range evs {
		out[i] = ev.Seq
	}
	return out
}

func recorded(b *jobs.Broker, id string) {
	b.Record(&copydesk.Job{ID: id, Kind: "k", CustomerID: "cus_1", UserID: "usr_1", Status: copydesk.JobQueued,
		Input: json.RawMessage(`{"content":"long"}`)})
}

func TestBrokerReplay(t *testing.T) {
	t.Parallel()
	b := jobs.NewBroker()
	if _, _, ok := b.Replay("job_a", 0, 0); ok {
		t.Fatal("a job never recorded replayed")
	}
	recorded(b, "job_a")
	b.Publish(ev("job_a", 1))
	// An id recorded twice keeps its first history.
	if b.Record(&copydesk.Job{ID: "job_a", CustomerID: "cus_2"}) {
		t.Error("a second Record of job_a reported true")
	}
	if job, evs, ok := b.Replay("job_a", 0, 0); !ok || len(evs) != 1 || job.CustomerID != "cus_1" {
		t.Errorf("after a second Record: got %+v, %v, %v; want the first history", job, seqs(evs), ok)
	}
	b.Forget("job_a")
	recorded(b, "job_a")
	job, evs, ok := b.Replay("job_a", 0, 0)
	if !ok || len(evs) != 0 || job.ID != "job_a" || job.CustomerID != "cus_1" || job.UserID != "usr_1" || job.Input != nil {
		t.Fatalf("before any event: got %+v, %v, %v; want the job without its input and no events", job, seqs(evs), ok)
	}
	// Published out of order: complete once both are there.
	b.Publish(ev("job_a", 2))
	if _, _, ok := b.Replay("job_a", 0, 0); ok {
		t.Error("replayed with event 1 missing")
	}
	b.Publish(ev("job_a", 1))
	b.Publish(ev("job_a", 2)) // again: kept once
	if _, evs, ok := b.Replay("job_a", 0, 0); !ok || len(evs) != 2 || evs[0].Seq != 1 || evs[1].Seq != 2 {
		t.Errorf("got %v, %v; want 1, 2", seqs(evs), ok)
	}
	if _, evs, ok := b.Replay("job_a", 1, 0); !ok || len(evs) != 1 || evs[0].Seq != 2 {
		t.Errorf("after 1: got %v, %v; want 2", seqs(evs), ok)
	}
	if _, evs, ok := b.Replay("job_a", 2, 0); !ok || len(evs) != 0 {
		t.Errorf("after 2: got %v, %v; want none", seqs(evs), ok)
	}
	// A client that knows of more than the broker reads the store.
	if _, _, ok := b.Replay("job_a", 3, 0); ok {
		t.Error("replayed after an event the broker never carried")
	}
	if _, _, ok := b.Replay("job_a", 0, 1); ok {
		t.Error("replayed more events than the limit")
	}
	// The done event ends the history: a stream reads the final job.
	b.Publish(&copydesk.Event{JobID: "job_a", Seq: 3, Type: copydesk.EventDone})
	if _, _, ok := b.Replay("job_a", 0, 0); ok {
		t.Error("replayed after done")
	}

	// Events of another process (Wake), or maybe missed ones (WakeAll),
	// end it; so does Forget.
	for name, end := range map[string]func(){
		"Wake":    func() { b.Wake("job_b") },
		"WakeAll": b.WakeAll,
		"Forget":  func() { b.Forget("job_b") },
	} {
		recorded(b, "job_b")
		b.Publish(ev("job_b", 1))
		end()
		if _, _, ok := b.Replay("job_b", 0, 0); ok {
			t.Errorf("replayed after %s", name)
		}
	}

	// A gap that stays: never replayed.
	recorded(b, "job_c")
	b.Publish(ev("job_c", 1), ev("job_c", 3))
	if _, _, ok := b.Replay("job_c", 0, 0); ok {
		t.Error("replayed with event 2 missing")
	}

	// A long history is dropped.
	recorded(b, "job_d")
	for i := range jobs.ReplayEvents + 1 {
		b.Publish(ev("job_d", int64(i+1)))
	}
	if _, _, ok := b.Replay("job_d", 0, 0); ok {
		t.Errorf("replayed %d events, more than ReplayEvents", jobs.ReplayEvents+1)
	}

	// Past ReplayJobs the oldest history is forgotten, the newest kept.
	recorded(b, "job_old")
	for i := range jobs.ReplayJobs {
		recorded(b, "job_new"+strconv.Itoa(i))
	}
	if _, _, ok := b.Replay("job_old", 0, 0); ok {
		t.Error("the oldest history kept past ReplayJobs")
	}
	if _, _, ok := b.Replay("job_new"+strconv.Itoa(jobs.ReplayJobs-1), 0, 0); !ok {
		t.Error("the newest history forgotten")
	}
}
