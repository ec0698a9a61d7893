package jobs

import (
	"cmp"
	"slices"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// Bounds of a Broker's replay.
const (
	// ReplayJobs is how many jobs' histories a Broker keeps; past it the
	// oldest is forgotten first (its streams read the store).
	ReplayJobs = 4096
	// ReplayEvents is the longest history kept: a job with more events is
	// forgotten (a long generation's streams read the store).
	ReplayEvents = 64
)

// history is what a Broker remembers of a job it records: who may see it
// and every event published for it, in Seq order.
type history struct {
	job    copydesk.Job
	events []*copydesk.Event
}

// Record starts a history of job, which must not have any event stored
// yet: the Broker keeps the job (without its Input and Result) and every
// event published for it from now on, so that Replay can answer a stream
// that connects without a store read. Call it before the job is stored,
// so that none of its events is published before. A history ends with
// the job's done event, a Wake for the job (events another process
// stored), or after ReplayEvents events or ReplayJobs newer histories.
// It reports false, and changes nothing, when the job has a history
// already (an id used twice).
func (b *Broker) Record(job *copydesk.Job) bool {
	snap := *job
	snap.Input, snap.Result, snap.Error = nil, nil, nil
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.hist.get(job.ID); ok {
		return false
	}
	b.hist.put(job.ID, &history{job: snap}, ReplayJobs)
	return true
}

// Forget ends the history of jobID (its job was not stored after all).
func (b *Broker) Forget(jobID string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.hist.delete(jobID)
}

// Replay returns the recorded job and its events after afterSeq, at most
// limit of them, when this Broker has carried every event of the job
// (their Seq run 1, 2, 3 … without a gap) and knows of afterSeq. It
// reports false otherwise: the caller reads the store. The job has no
// Input, Result, Error or times; the events are shared and must not be
// changed.
func (b *Broker) Replay(jobID string, afterSeq int64, limit int) (*copydesk.Job, []*copydesk.Event, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	h, _ := b.hist.get(jobID)
	if h == nil || afterSeq < 0 || afterSeq > int64(len(h.events)) {
		return nil, nil, false
	}
	for i, ev := range h.events {
		if ev.Seq != int64(i+1) {
			return nil, nil, false // an event not carried (yet)
		}
	}
	evs := h.events[afterSeq:]
	if limit > 0 && len(evs) > limit {
		return nil, nil, false
	}
	job := h.job
	return &job, slices.Clone(evs), true
}

// remember adds events of one job to its history, if it has one; b.mu is
// held.
func (b *Broker) remember(events []*copydesk.Event) {
	h, _ := b.hist.get(events[0].JobID)
	if h == nil {
		return
	}
	for _, ev := range events {
		if ev.Type == copydesk.EventDone || len(h.events) >= ReplayEvents {
			b.hist.delete(ev.JobID)
			return
		}
		i, found := slices.BinarySearchFunc(h.events, ev.Seq, func(e *copydesk.Event, seq int64) int {
			return cmp.Compare(e.Seq, seq)
		})
		if !found {
			h.events = slices.Insert(h.events, i, ev)
		}
	}
}
