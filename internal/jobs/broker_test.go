package jobs_test

import (
	"testing"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/jobs"
)

func ev(job string, seq int64) *copydesk.Event {
	return &copydesk.Event{JobID: job, Seq: seq, Type: copydesk.EventDelta}
}

func TestBrokerCarriesEvents(t *testing.T) {
	t.Parallel()
	b := jobs.NewBroker()
	f1, f2 := b.Subscribe("job_a"), b.Subscribe("job_a")
	other := b.Subscribe("job_b")
	defer other.Close()
	b.Publish(ev("job_a", 1), ev("job_a", 2))
	b.Publish(ev("job_a", 3))
	for i, f := range []copydesk.EventFeed{f1, f2} {
		select {
		case <-f.Ready():
		default:
			t.Fatalf("feed %d: not ready after a publish", i)
		}
		evs, gap := f.Take()
		if gap || len(evs) != 3 || evs[0].Seq != 1 || evs[2].Seq != 3 {
			t.Errorf("feed %d: got %d events (gap %v), want 1, 2, 3 in order", i, len(evs), gap)
		}
		if evs, gap := f.Take(); len(evs) != 0 || gap {
			t.Errorf("feed %d: a second Take got %d events, want none", i, len(evs))
		}
	}
	select {
	case <-other.Ready():
		t.Error("another job's feed was woken")
	default:
	}
	if got := b.Subscribers(); got != 3 {
		t.Errorf("got %d subscribers, want 3", got)
	}
	f1.Close()
	f1.Close() // twice is fine
	f2.Close()
	if b.Watched("job_a") || b.Subscribers() != 1 {
		t.Errorf("after Close: watched %v, %d subscribers; want none for job_a", b.Watched("job_a"), b.Subscribers())
	}
	b.Publish(ev("job_a", 4)) // nobody listens: no panic, no block
}

func TestBrokerGapWhenBehind(t *testing.T) {
	t.Parallel()
	b := &jobs.Broker{Buffer: 4}
	f := b.Subscribe("job_a")
	defer f.Close()
	for seq := range int64(10) {
		b.Publish(ev("job_a", seq+1)) // never blocks, however slow the reader
	}
	evs, gap := f.Take()
	if !gap || len(evs) != 4 {
		t.Errorf("got %d events, gap %v; want the 4 that fit and a gap", len(evs), gap)
	}
	b.Wake("job_a")
	if _, gap := f.Take(); !gap {
		t.Error("after Wake: got no gap, want the reader sent to the store")
	}
}
