package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/google/go-cmp/cmp"
)

// NewJobStore builds a fresh, empty job store that reads time from clock and
// is cleaned up when t ends.
type NewJobStore func(t *testing.T, clock copydesk.Clock) copydesk.JobStore

// TestJobStore runs the copydesk.JobStore conformance suite against stores
// made by newStore.
func TestJobStore(t *testing.T, newStore NewJobStore) {
	setup := func(t *testing.T) (copydesk.JobStore, *Clock) {
		t.Helper()
		t.Parallel()
		clock := NewClock(Epoch())
		return newStore(t, clock), clock
	}

	t.Run("CreateJob", func(t *testing.T) {
		s, clock := setup(t)
		ctx := context.Background()
		job := &copydesk.Job{
			Kind:       "analysis",
			CustomerID: "cus_1",
			UserID:     "usr_1",
			KeyID:      "key_1",
			Priority:   copydesk.PriorityCritical,
			Input:      json.RawMessage(`{"content":"Hallo wereld","types":["tone"]}`),
		}
		MustCreateJob(t, s, job)
		if !strings.HasPrefix(job.ID, copydesk.JobIDPrefix) || len(job.ID) != len(copydesk.JobIDPrefix)+26 {
			t.Errorf("ID: got %q, want job_ and 26 characters", job.ID)
		}
		if got, want := job.Status, copydesk.JobQueued; got != want {
			t.Errorf("Status: got %q, want %q", got, want)
		}
		if !job.CreatedAt.Equal(clock.Now()) || !job.UpdatedAt.Equal(clock.Now()) {
			t.Errorf("CreatedAt, UpdatedAt: got %v, %v, want %v", job.CreatedAt, job.UpdatedAt, clock.Now())
		}
		if job.FinishedAt != nil {
			t.Errorf("FinishedAt: got %v, want nil", job.FinishedAt)
		}
		got, err := s.FindJobByID(ctx, job.ID)
		if err != nil {
			t.Fatalf("FindJobByID: got error %v, want nil", err)
		}
		if diff := cmp.Diff(job, got); diff != "" {
			t.Errorf("FindJobByID mismatch (-created +found):\n%s", diff)
		}
	})

	t.Run("CreateJobDefaults", func(t *testing.T) {
		s, _ := setup(t)
		job := &copydesk.Job{Kind: "generation"}
		MustCreateJob(t, s, job)
		got := MustFindJob(t, s, job.ID)
		if got.Priority != copydesk.PriorityHigh {
			t.Errorf("Priority: got %v, want %v", got.Priority, copydesk.PriorityHigh)
		}
		if got.Input != nil || got.Result != nil || got.Error != nil {
			t.Errorf("Input, Result, Error: got %s, %s, %v, want all nil", got.Input, got.Result, got.Error)
		}
	})

	t.Run("CreateJobFinal", func(t *testing.T) {
		s, clock := setup(t)
		job := &copydesk.Job{Kind: "analysis", Status: copydesk.JobSucceeded, Result: json.RawMessage(`{"ok":true}`)}
		MustCreateJob(t, s, job)
		got := MustFindJob(t, s, job.ID)
		if got.FinishedAt == nil || !got.FinishedAt.Equal(clock.Now()) {
			t.Errorf("FinishedAt: got %v, want %v", got.FinishedAt, clock.Now())
		}
	})

	t.Run("CreateJobLargeInput", func(t *testing.T) {
		// A request body at the API's default limit (1 MiB) fits.
		s, _ := setup(t)
		input := json.RawMessage(`{"content":"` + strings.Repeat("Lorem ipsum dolor sit amet. ", 1<<20/28) + `"}`)
		job := &copydesk.Job{Kind: "analysis", Input: input}
		MustCreateJob(t, s, job)
		if got := MustFindJob(t, s, job.ID); string(got.Input) != string(input) {
			t.Errorf("Input: got %d bytes, want the %d bytes stored", len(got.Input), len(input))
		}
	})

	t.Run("CreateJobWithID", func(t *testing.T) {
		s, _ := setup(t)
		ctx := context.Background()
		job := &copydesk.Job{ID: "job_caller_chosen", Kind: "analysis"}
		MustCreateJob(t, s, job)
		if got, want := job.ID, "job_caller_chosen"; got != want {
			t.Errorf("ID: got %q, want %q", got, want)
		}
		err := s.CreateJob(ctx, &copydesk.Job{ID: "job_caller_chosen", Kind: "analysis"})
		if got, want := copydesk.ErrorCode(err), copydesk.ECONFLICT; got != want {
			t.Errorf("second CreateJob with the same ID: got code %q (%v), want %q", got, err, want)
		}
	})

	t.Run("CreateJobInvalid", func(t *testing.T) {
		s, _ := setup(t)
		for _, tt := range []struct {
			name string
			job  *copydesk.Job
		}{
			{"NoKind", &copydesk.Job{}},
			{"BlankKind", &copydesk.Job{Kind: "  "}},
			{"PriorityTooHigh", &copydesk.Job{Kind: "k", Priority: 5}},
			{"PriorityNegative", &copydesk.Job{Kind: "k", Priority: -1}},
			{"UnknownStatus", &copydesk.Job{Kind: "k", Status: "paused"}},
			{"NegativeAttempts", &copydesk.Job{Kind: "k", Attempts: -1}},
			{"InputNotJSON", &copydesk.Job{Kind: "k", Input: json.RawMessage(`{"a":`)}},
			{"ResultNotJSON", &copydesk.Job{Kind: "k", Result: json.RawMessage(`nope`)}},
			{"IDTooLong", &copydesk.Job{ID: strings.Repeat("x", 1000), Kind: "k"}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				err := s.CreateJob(context.Background(), tt.job)
				if got, want := copydesk.ErrorCode(err), copydesk.EINVALID; got != want {
					t.Errorf("got code %q (%v), want %q", got, err, want)
				}
				if msg := copydesk.ErrorMessage(err); msg == "" || msg == "internal error" {
					t.Errorf("got message %q, want one that names the problem", msg)
				}
			})
		}
		if _, n, err := s.FindJobs(context.Background(), copydesk.JobFilter{}); err != nil || n != 0 {
			t.Errorf("after invalid creates: got %d jobs (err %v), want 0", n, err)
		}
	})

	t.Run("FindJobByIDNotFound", func(t *testing.T) {
		s, _ := setup(t)
		_, err := s.FindJobByID(context.Background(), "job_01NOSUCHJOB0000000000000000")
		if got, want := copydesk.ErrorCode(err), copydesk.ENOTFOUND; got != want {
			t.Fatalf("got code %q (%v), want %q", got, err, want)
		}
		if msg := copydesk.ErrorMessage(err); !strings.Contains(msg, "job_01NOSUCHJOB0000000000000000") {
			t.Errorf("got message %q, want it to name the job", msg)
		}
	})

	t.Run("FindJobs", func(t *testing.T) {
		s, clock := setup(t)
		// j[0] is the oldest; each job is one second newer than the previous.
		specs := []struct {
			customer, user string
			status         copydesk.JobStatus
		}{
			{"cus_a", "usr_1", copydesk.JobQueued},
			{"cus_a", "usr_2", copydesk.JobRunning},
			{"cus_b", "usr_3", copydesk.JobQueued},
			{"cus_a", "usr_1", copydesk.JobSucceeded},
			{"cus_b", "usr_3", copydesk.JobFailed},
			{"", "", copydesk.JobQueued},
		}
		var j []*copydesk.Job
		for _, sp := range specs {
			job := &copydesk.Job{Kind: "analysis", CustomerID: sp.customer, UserID: sp.user, Status: sp.status}
			MustCreateJob(t, s, job)
			j = append(j, job)
			clock.Add(time.Second)
		}
		ids := func(idx ...int) []string {
			out := []string{}
			for _, i := range idx {
				out = append(out, j[i].ID)
			}
			return out
		}
		str := func(v string) *string { return &v }
		st := func(v copydesk.JobStatus) *copydesk.JobStatus { return &v }
		for _, tt := range []struct {
			name   string
			filter copydesk.JobFilter
			want   []string
			total  int
		}{
			{"All", copydesk.JobFilter{}, ids(5, 4, 3, 2, 1, 0), 6},
			{"ByID", copydesk.JobFilter{ID: &j[2].ID}, ids(2), 1},
			{"ByCustomer", copydesk.JobFilter{CustomerID: str("cus_a")}, ids(3, 1, 0), 3},
			{"ByEmptyCustomer", copydesk.JobFilter{CustomerID: str("")}, ids(5), 1},
			{"ByUser", copydesk.JobFilter{UserID: str("usr_3")}, ids(4, 2), 2},
			{"ByStatus", copydesk.JobFilter{Status: st(copydesk.JobQueued)}, ids(5, 2, 0), 3},
			{"ByCustomerAndUser", copydesk.JobFilter{CustomerID: str("cus_a"), UserID: str("usr_1")}, ids(3, 0), 2},
			{"ByCustomerAndStatus", copydesk.JobFilter{CustomerID: str("cus_b"), Status: st(copydesk.JobFailed)}, ids(4), 1},
			{"NoMatch", copydesk.JobFilter{CustomerID: str("cus_none")}, ids(), 0},
			{"Limit", copydesk.JobFilter{Limit: 2}, ids(5, 4), 6},
			{"OffsetLimit", copydesk.JobFilter{Offset: 2, Limit: 3}, ids(3, 2, 1), 6},
			{"Offset", copydesk.JobFilter{Offset: 4}, ids(1, 0), 6},
			{"OffsetPastEnd", copydesk.JobFilter{Offset: 10, Limit: 5}, ids(), 6},
			{"FilterAndPage", copydesk.JobFilter{CustomerID: str("cus_a"), Offset: 1, Limit: 1}, ids(1), 3},
		} {
			t.Run(tt.name, func(t *testing.T) {
				jobs, total, err := s.FindJobs(context.Background(), tt.filter)
				if err != nil {
					t.Fatalf("got error %v, want nil", err)
				}
				got := []string{}
				for _, job := range jobs {
					got = append(got, job.ID)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("IDs (-want +got):\n%s", diff)
				}
				if total != tt.total {
					t.Errorf("total: got %d, want %d", total, tt.total)
				}
			})
		}
		t.Run("FullRows", func(t *testing.T) {
			jobs, _, err := s.FindJobs(context.Background(), copydesk.JobFilter{ID: &j[4].ID})
			if err != nil || len(jobs) != 1 {
				t.Fatalf("got %d jobs, error %v, want 1 job", len(jobs), err)
			}
			if diff := cmp.Diff(j[4], jobs[0]); diff != "" {
				t.Errorf("(-created +found):\n%s", diff)
			}
		})
		for _, tt := range []struct {
			name   string
			filter copydesk.JobFilter
		}{
			{"NegativeOffset", copydesk.JobFilter{Offset: -1}},
			{"NegativeLimit", copydesk.JobFilter{Limit: -5}},
			{"UnknownStatus", copydesk.JobFilter{Status: st("paused")}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				_, _, err := s.FindJobs(context.Background(), tt.filter)
				if got, want := copydesk.ErrorCode(err), copydesk.EINVALID; got != want {
					t.Errorf("got code %q (%v), want %q", got, err, want)
				}
			})
		}
	})

	t.Run("UpdateJob", func(t *testing.T) {
		s, clock := setup(t)
		ctx := context.Background()
		job := &copydesk.Job{Kind: "analysis", CustomerID: "cus_1", Input: json.RawMessage(`{"x":1}`)}
		MustCreateJob(t, s, job)
		created := job.CreatedAt

		running, attempts := copydesk.JobRunning, 1
		clock.Add(time.Second)
		got, err := s.UpdateJob(ctx, job.ID, copydesk.JobUpdate{Status: &running, Attempts: &attempts})
		if err != nil {
			t.Fatalf("to running: got error %v, want nil", err)
		}
		want := *job
		want.Status, want.Attempts, want.UpdatedAt = copydesk.JobRunning, 1, clock.Now()
		if diff := cmp.Diff(&want, got); diff != "" {
			t.Errorf("returned job (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(&want, MustFindJob(t, s, job.ID)); diff != "" {
			t.Errorf("stored job (-want +got):\n%s", diff)
		}

		// A partial result without a status change keeps the status.
		clock.Add(time.Second)
		got, err = s.UpdateJob(ctx, job.ID, copydesk.JobUpdate{Result: json.RawMessage(`{"tone":"formal"}`)})
		if err != nil {
			t.Fatalf("result only: got error %v, want nil", err)
		}
		if got.Status != copydesk.JobRunning || string(got.Result) != `{"tone":"formal"}` {
			t.Errorf("result only: got status %q result %s, want running and the result", got.Status, got.Result)
		}

		partial := copydesk.JobPartial
		clock.Add(time.Second)
		finishedAt := clock.Now()
		got, err = s.UpdateJob(ctx, job.ID, copydesk.JobUpdate{
			Status: &partial,
			Error:  &copydesk.JobError{Code: "provider_failed", Message: "sentiment failed"},
		})
		if err != nil {
			t.Fatalf("to partial: got error %v, want nil", err)
		}
		want = *job
		want.Status = copydesk.JobPartial
		want.Result = json.RawMessage(`{"tone":"formal"}`)
		want.Error = &copydesk.JobError{Code: "provider_failed", Message: "sentiment failed"}
		want.Attempts = 1
		want.CreatedAt, want.UpdatedAt, want.FinishedAt = created, finishedAt, &finishedAt
		if diff := cmp.Diff(&want, got); diff != "" {
			t.Errorf("final job (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(&want, MustFindJob(t, s, job.ID)); diff != "" {
			t.Errorf("stored final job (-want +got):\n%s", diff)
		}
	})

	t.Run("UpdateJobFinalConflict", func(t *testing.T) {
		s, clock := setup(t)
		ctx := context.Background()
		for _, final := range []copydesk.JobStatus{copydesk.JobSucceeded, copydesk.JobPartial, copydesk.JobFailed, copydesk.JobCancelled} {
			t.Run(string(final), func(t *testing.T) {
				job := &copydesk.Job{Kind: "analysis"}
				MustCreateJob(t, s, job)
				clock.Add(time.Second)
				done := MustUpdateJob(t, s, job.ID, copydesk.JobUpdate{Status: &final})
				if done.FinishedAt == nil || !done.FinishedAt.Equal(clock.Now()) {
					t.Fatalf("FinishedAt: got %v, want %v", done.FinishedAt, clock.Now())
				}
				clock.Add(time.Second)
				for _, next := range []copydesk.JobStatus{copydesk.JobQueued, copydesk.JobRunning, copydesk.JobSucceeded, copydesk.JobFailed, copydesk.JobCancelled} {
					if next == final {
						continue
					}
					_, err := s.UpdateJob(ctx, job.ID, copydesk.JobUpdate{Status: &next, Result: json.RawMessage(`"late"`)})
					if got, want := copydesk.ErrorCode(err), copydesk.ECONFLICT; got != want {
						t.Errorf("%s -> %s: got code %q (%v), want %q", final, next, got, err, want)
					}
				}
				// Nothing of a refused update is written.
				if diff := cmp.Diff(done, MustFindJob(t, s, job.ID)); diff != "" {
					t.Errorf("after refused updates (-want +got):\n%s", diff)
				}
				// The same final status again is refused too: of two racing
				// cancels exactly one wins.
				if _, err := s.UpdateJob(ctx, job.ID, copydesk.JobUpdate{Status: &final}); copydesk.ErrorCode(err) != copydesk.ECONFLICT {
					t.Errorf("%s -> %s: got %v, want ECONFLICT", final, final, err)
				}
				// Without a status, a final job's result may still change.
				got := MustUpdateJob(t, s, job.ID, copydesk.JobUpdate{Result: json.RawMessage(`{"late":true}`)})
				if got.Status != final || string(got.Result) != `{"late":true}` || !got.FinishedAt.Equal(*done.FinishedAt) {
					t.Errorf("result on final job: got status %q result %s finished %v, want %q, the result, %v",
						got.Status, got.Result, got.FinishedAt, final, done.FinishedAt)
				}
			})
		}
	})

	t.Run("UpdateJobInvalid", func(t *testing.T) {
		s, _ := setup(t)
		ctx := context.Background()
		job := &copydesk.Job{Kind: "analysis"}
		MustCreateJob(t, s, job)
		bad, neg := copydesk.JobStatus("paused"), -2
		running := copydesk.JobRunning
		for _, tt := range []struct {
			name string
			id   string
			upd  copydesk.JobUpdate
			code string
		}{
			{"NotFound", "job_missing", copydesk.JobUpdate{Status: &running}, copydesk.ENOTFOUND},
			{"UnknownStatus", job.ID, copydesk.JobUpdate{Status: &bad}, copydesk.EINVALID},
			{"NegativeAttempts", job.ID, copydesk.JobUpdate{Attempts: &neg}, copydesk.EINVALID},
			{"NegativeIfAttempts", job.ID, copydesk.JobUpdate{IfAttempts: &neg}, copydesk.EINVALID},
			{"ResultNotJSON", job.ID, copydesk.JobUpdate{Result: json.RawMessage(`{`)}, copydesk.EINVALID},
		} {
			t.Run(tt.name, func(t *testing.T) {
				_, err := s.UpdateJob(ctx, tt.id, tt.upd)
				if got := copydesk.ErrorCode(err); got != tt.code {
					t.Errorf("got code %q (%v), want %q", got, err, tt.code)
				}
			})
		}
		if got := MustFindJob(t, s, job.ID); got.Status != copydesk.JobQueued {
			t.Errorf("after invalid updates: got status %q, want queued", got.Status)
		}
	})

	t.Run("CancelRacesFinish", func(t *testing.T) {
		// For each job a finisher and a canceller (or two cancellers) race;
		// exactly one wins and the loser gets ECONFLICT.
		s, _ := setup(t)
		ctx := context.Background()
		const n = 20
		for i := range n {
			job := &copydesk.Job{Kind: "analysis", Status: copydesk.JobRunning}
			MustCreateJob(t, s, job)
			var wg sync.WaitGroup
			errs := make([]error, 2)
			pairs := [][]copydesk.JobStatus{
				{copydesk.JobSucceeded, copydesk.JobCancelled}, // finish vs cancel
				{copydesk.JobCancelled, copydesk.JobCancelled}, // two cancels
			}
			for k, st := range pairs[i%len(pairs)] {
				wg.Go(func() {
					_, errs[k] = s.UpdateJob(ctx, job.ID, copydesk.JobUpdate{Status: &st})
				})
			}
			wg.Wait()
			wins := 0
			for _, err := range errs {
				switch copydesk.ErrorCode(err) {
				case "":
					wins++
				case copydesk.ECONFLICT:
				default:
					t.Fatalf("race %d: got error %v, want nil or ECONFLICT", i, err)
				}
			}
			if wins != 1 {
				t.Fatalf("race %d: got %d winners (%v), want 1", i, wins, errs)
			}
		}
	})

	t.Run("AcceptJob", func(t *testing.T) {
		s, _ := setup(t)
		ctx := context.Background()
		job := &copydesk.Job{Kind: "analysis", Status: copydesk.JobQueued, CustomerID: "cus_1", UserID: "usr_1", KeyID: "key_1"}
		first := &copydesk.Event{Type: "job.queued", Data: json.RawMessage(`{"priority":"HIGH"}`)}
		var enqueued copydesk.StoreTx
		err := s.AcceptJob(ctx, job, first, txQueueFunc(func(_ context.Context, tx copydesk.StoreTx, jobs ...*copydesk.Job) error {
			enqueued = tx
			return nil
		}))
		if err != nil {
			t.Fatalf("AcceptJob: %v", err)
		}
		if job.ID == "" || first.JobID != job.ID || first.Seq != 1 || enqueued == nil {
			t.Fatalf("got job %q, event of %q seq %d, tx %v; want the job's first event and enqueue called with a transaction", job.ID, first.JobID, first.Seq, enqueued)
		}
		evs, err := s.FindEvents(ctx, job.ID, 0, 0)
		if err != nil || len(evs) != 1 || evs[0].Type != "job.queued" {
			t.Fatalf("got events %v, %v; want the first event", evs, err)
		}
		if got, err := s.FindJobByID(ctx, job.ID); err != nil || got.KeyID != "key_1" || got.UserID != "usr_1" {
			t.Errorf("accepted job: got %+v, %v, want its user and key kept", got, err)
		}

		// A failing enqueue stores nothing: no job, no event.
		failed := &copydesk.Job{Kind: "analysis"}
		boom := copydesk.Errorf(copydesk.EUNAVAILABLE, "queue down")
		err = s.AcceptJob(ctx, failed, &copydesk.Event{Type: "job.queued"}, txQueueFunc(func(context.Context, copydesk.StoreTx, ...*copydesk.Job) error { return boom }))
		if copydesk.ErrorCode(err) != copydesk.EUNAVAILABLE {
			t.Fatalf("got %v, want the enqueue's error", err)
		}
		if _, err := s.FindJobByID(ctx, failed.ID); copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
			t.Errorf("after a failed enqueue: got %v, want the job not stored", err)
		}

		// Concurrent accepts, some failing, each all or nothing.
		var wg sync.WaitGroup
		ids := make([]string, 40)
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				j := &copydesk.Job{Kind: "analysis"}
				err := s.AcceptJob(ctx, j, &copydesk.Event{Type: "job.queued"}, txQueueFunc(func(_ context.Context, _ copydesk.StoreTx, jobs ...*copydesk.Job) error {
					for _, jj := range jobs {
						if jj.ID == j.ID && i%4 == 0 {
							return boom
						}
					}
					return nil
				}))
				if (err != nil) != (i%4 == 0) {
					t.Errorf("accept %d: got %v", i, err)
				}
				ids[i] = j.ID
			}()
		}
		wg.Wait()
		for i, id := range ids {
			evs, err := s.FindEvents(ctx, id, 0, 0)
			if i%4 == 0 {
				if copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
					t.Errorf("failed accept %d: got %v %v, want nothing stored", i, evs, err)
				}
			} else if err != nil || len(evs) != 1 || evs[0].Seq != 1 {
				t.Errorf("accept %d: got %v %v, want its one first event", i, evs, err)
			}
		}

		if err := s.AcceptJob(ctx, &copydesk.Job{Kind: "analysis"}, nil, nil); copydesk.ErrorCode(err) != copydesk.EINVALID {
			t.Errorf("no first event: got %v, want EINVALID", err)
		}
	})

	t.Run("UpdateJobWithEvent", func(t *testing.T) {
		s, _ := setup(t)
		ctx := context.Background()
		job := &copydesk.Job{Kind: "analysis"}
		MustCreateJob(t, s, job)
		running := copydesk.JobRunning
		started := &copydesk.Event{Type: "job.started", Data: json.RawMessage(`{"attempt":1}`)}
		if _, err := s.UpdateJob(ctx, job.ID, copydesk.JobUpdate{Status: &running, Event: started}); err != nil {
			t.Fatal(err)
		}
		if started.JobID != job.ID || started.Seq != 1 {
			t.Errorf("got event of %q seq %d, want the job's seq 1", started.JobID, started.Seq)
		}
		done := copydesk.JobSucceeded
		if _, err := s.UpdateJob(ctx, job.ID, copydesk.JobUpdate{Status: &done, Result: json.RawMessage(`{"ok":true}`),
			Event: &copydesk.Event{Type: copydesk.EventDone}}); err != nil {
			t.Fatal(err)
		}
		// A second final status conflicts and appends nothing.
		cancelled := copydesk.JobCancelled
		_, err := s.UpdateJob(ctx, job.ID, copydesk.JobUpdate{Status: &cancelled, Event: &copydesk.Event{Type: copydesk.EventDone}})
		if copydesk.ErrorCode(err) != copydesk.ECONFLICT {
			t.Fatalf("got %v, want ECONFLICT", err)
		}
		evs, err := s.FindEvents(ctx, job.ID, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 2 || evs[1].Type != copydesk.EventDone {
			t.Errorf("got %d events, want job.started and one done", len(evs))
		}
		if _, err := s.UpdateJob(ctx, job.ID, copydesk.JobUpdate{Event: &copydesk.Event{Type: ""}}); copydesk.ErrorCode(err) != copydesk.EINVALID {
			t.Errorf("an event without a type: got %v, want EINVALID", err)
		}
	})

	t.Run("UpdateJobNoJob", func(t *testing.T) {
		s, _ := setup(t)
		ctx := context.Background()
		job := &copydesk.Job{Kind: "analysis"}
		MustCreateJob(t, s, job)
		done := copydesk.JobSucceeded
		ev := &copydesk.Event{Type: copydesk.EventDone, Data: json.RawMessage(`{"status":"succeeded"}`)}
		got, err := s.UpdateJob(ctx, job.ID, copydesk.JobUpdate{Status: &done, Result: json.RawMessage(`{"ok":true}`),
			Error: &copydesk.JobError{Code: "x", Message: "y"}, Event: ev, NoJob: true})
		if err != nil || got != nil {
			t.Fatalf("got %+v, %v; want no job and no error", got, err)
		}
		if ev.JobID != job.ID || ev.Seq != 1 || ev.At.IsZero() {
			t.Errorf("got event of %q seq %d at %v, want the job's seq 1 and a time", ev.JobID, ev.Seq, ev.At)
		}
		stored := MustFindJob(t, s, job.ID)
		if stored.Status != done || string(stored.Result) != `{"ok":true}` || stored.Error == nil || stored.Error.Code != "x" || stored.FinishedAt == nil {
			t.Errorf("stored %+v, want the update applied", stored)
		}
		// The refusals are those of any update, and write no event.
		_, err = s.UpdateJob(ctx, job.ID, copydesk.JobUpdate{Status: &done, Event: &copydesk.Event{Type: copydesk.EventDone}, NoJob: true})
		if copydesk.ErrorCode(err) != copydesk.ECONFLICT || !strings.Contains(err.Error(), "already succeeded") {
			t.Errorf("final job: got %v, want ECONFLICT naming its status", err)
		}
		if _, err := s.UpdateJob(ctx, "job_missing", copydesk.JobUpdate{Status: &done, NoJob: true}); copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
			t.Errorf("missing job: got %v, want ENOTFOUND", err)
		}
		if evs, err := s.FindEvents(ctx, job.ID, 0, 0); err != nil || len(evs) != 1 {
			t.Errorf("got %d events, %v; want the one done", len(evs), err)
		}
	})

	t.Run("UpdateJobIfAttempts", func(t *testing.T) {
		s, _ := setup(t)
		ctx := context.Background()
		job := &copydesk.Job{Kind: "analysis"}
		MustCreateJob(t, s, job)
		running := copydesk.JobRunning
		zero, one := 0, 1
		start := func() copydesk.JobUpdate {
			return copydesk.JobUpdate{Status: &running, Attempts: &one, IfAttempts: &zero,
				Event: &copydesk.Event{Type: "job.started", Data: json.RawMessage(`{"attempt":1}`)}}
		}
		got, err := s.UpdateJob(ctx, job.ID, start())
		if err != nil {
			t.Fatal(err)
		}
		// The row comes back as stored, so a run needs no read of its own.
		if got.ID != job.ID || got.Kind != "analysis" || got.Status != running || got.Attempts != 1 {
			t.Errorf("got %+v, want the job running with 1 attempt", got)
		}
		// The same start again finds 1 attempt: it conflicts and writes
		// nothing, its event neither.
		if _, err := s.UpdateJob(ctx, job.ID, start()); copydesk.ErrorCode(err) != copydesk.ECONFLICT ||
			!strings.Contains(err.Error(), "has 1 attempts, not 0") {
			t.Errorf("second start: got %v, want ECONFLICT naming the attempts", err)
		}
		if diff := cmp.Diff(got, MustFindJob(t, s, job.ID)); diff != "" {
			t.Errorf("after the refused start (-want +got):\n%s", diff)
		}
		evs, err := s.FindEvents(ctx, job.ID, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 1 {
			t.Errorf("got %d events, want the first start's only", len(evs))
		}
		// A matching condition without a status applies.
		if got := MustUpdateJob(t, s, job.ID, copydesk.JobUpdate{IfAttempts: &one, Result: json.RawMessage(`{"n":1}`)}); string(got.Result) != `{"n":1}` {
			t.Errorf("got result %s, want the update's", got.Result)
		}
		// A final job refuses a status even when the attempts match.
		done := copydesk.JobSucceeded
		MustUpdateJob(t, s, job.ID, copydesk.JobUpdate{Status: &done})
		if _, err := s.UpdateJob(ctx, job.ID, copydesk.JobUpdate{Status: &running, IfAttempts: &one}); copydesk.ErrorCode(err) != copydesk.ECONFLICT ||
			!strings.Contains(err.Error(), "already succeeded") {
			t.Errorf("final job: got %v, want ECONFLICT naming its status", err)
		}
		if _, err := s.UpdateJob(ctx, "job_missing", start()); copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
			t.Errorf("missing job: got %v, want ENOTFOUND", err)
		}
	})

	t.Run("AppendEvent", func(t *testing.T) {
		s, clock := setup(t)
		ctx := context.Background()
		job := &copydesk.Job{Kind: "analysis"}
		MustCreateJob(t, s, job)
		other := &copydesk.Job{Kind: "analysis"}
		MustCreateJob(t, s, other)

		var want []*copydesk.Event
		for i, typ := range []string{copydesk.EventTaskStarted, copydesk.EventDelta, copydesk.EventTaskResult, copydesk.EventTaskFailed, copydesk.EventDone} {
			clock.Add(time.Millisecond)
			ev := &copydesk.Event{JobID: job.ID, Type: typ, Data: json.RawMessage(fmt.Sprintf(`{"i":%d}`, i))}
			MustAppendEvent(t, s, ev)
			if got, want := ev.Seq, int64(i+1); got != want {
				t.Fatalf("Seq: got %d, want %d", got, want)
			}
			if !ev.At.Equal(clock.Now()) {
				t.Fatalf("At: got %v, want %v", ev.At, clock.Now())
			}
			want = append(want, ev)
			// Another job's events have their own sequence.
			oev := &copydesk.Event{JobID: other.ID, Type: copydesk.EventDelta, Data: json.RawMessage(`"x"`)}
			MustAppendEvent(t, s, oev)
			if got, want := oev.Seq, int64(i+1); got != want {
				t.Fatalf("other job Seq: got %d, want %d", got, want)
			}
		}

		for _, tt := range []struct {
			name  string
			after int64
			limit int
			want  []*copydesk.Event
		}{
			{"All", 0, 0, want},
			{"After2", 2, 0, want[2:]},
			{"Limit2", 0, 2, want[:2]},
			{"After1Limit3", 1, 3, want[1:4]},
			{"LimitPastEnd", 3, 100, want[3:]},
			{"AfterLast", 5, 0, []*copydesk.Event{}},
			{"AfterBeyondLast", 99, 0, []*copydesk.Event{}},
			{"NegativeAfter", -1, 0, want},
		} {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.FindEvents(ctx, job.ID, tt.after, tt.limit)
				if err != nil {
					t.Fatalf("got error %v, want nil", err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("events (-want +got):\n%s", diff)
				}
			})
		}

		t.Run("NullData", func(t *testing.T) {
			ev := &copydesk.Event{JobID: other.ID, Type: copydesk.EventDone}
			MustAppendEvent(t, s, ev)
			got, err := s.FindEvents(ctx, other.ID, ev.Seq-1, 0)
			if err != nil || len(got) != 1 {
				t.Fatalf("got %d events, error %v, want 1 event", len(got), err)
			}
			if !json.Valid(got[0].Data) {
				t.Errorf("Data: got %q, want valid JSON", got[0].Data)
			}
		})
	})

	t.Run("DeleteFinishedJobs", func(t *testing.T) {
		s, clock := setup(t)
		ctx := context.Background()
		create := func(status copydesk.JobStatus, events int) string {
			t.Helper()
			job := &copydesk.Job{Kind: "analysis", Status: status}
			MustCreateJob(t, s, job)
			for range events {
				MustAppendEvent(t, s, &copydesk.Event{JobID: job.ID, Type: copydesk.EventDone})
			}
			return job.ID
		}
		// Old enough: finished jobs of every final status, more than one
		// batch of them, two with events; and open ones of the same age.
		var gone []string
		for i := range 450 {
			status := []copydesk.JobStatus{copydesk.JobSucceeded, copydesk.JobPartial, copydesk.JobFailed, copydesk.JobCancelled}[i%4]
			gone = append(gone, create(status, 0))
		}
		gone = append(gone, create(copydesk.JobSucceeded, 3), create(copydesk.JobFailed, 1))
		kept := []string{create(copydesk.JobQueued, 1), create(copydesk.JobRunning, 2)}
		clock.Add(48 * time.Hour)
		kept = append(kept, create(copydesk.JobSucceeded, 2))

		n, err := s.DeleteFinishedJobs(ctx, Epoch().Add(24*time.Hour))
		if err != nil || n != len(gone) {
			t.Fatalf("DeleteFinishedJobs: got %d, %v, want %d, nil", n, err, len(gone))
		}
		for _, id := range gone {
			if _, err := s.FindJobByID(ctx, id); copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
				t.Fatalf("deleted job %s: FindJobByID got %v, want ENOTFOUND", id, err)
			}
		}
		// Events left behind would be found: the job's absence is only
		// reported when it has none.
		for _, id := range gone[len(gone)-2:] {
			if evs, err := s.FindEvents(ctx, id, 0, 0); copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
				t.Errorf("deleted job %s: FindEvents got %d events, %v, want ENOTFOUND", id, len(evs), err)
			}
		}
		for i, id := range kept {
			MustFindJob(t, s, id)
			if evs, err := s.FindEvents(ctx, id, 0, 0); err != nil || len(evs) != []int{1, 2, 2}[i] {
				t.Errorf("kept job %s: got %d events, %v, want %d", id, len(evs), err, []int{1, 2, 2}[i])
			}
		}
		if n, err := s.DeleteFinishedJobs(ctx, Epoch().Add(24*time.Hour)); err != nil || n != 0 {
			t.Errorf("DeleteFinishedJobs again: got %d, %v, want 0, nil", n, err)
		}
	})

	t.Run("EventsOfUnknownJob", func(t *testing.T) {
		s, _ := setup(t)
		ctx := context.Background()
		err := s.AppendEvent(ctx, &copydesk.Event{JobID: "job_missing", Type: copydesk.EventDone, Data: json.RawMessage(`{}`)})
		if got, want := copydesk.ErrorCode(err), copydesk.ENOTFOUND; got != want {
			t.Errorf("AppendEvent: got code %q (%v), want %q", got, err, want)
		}
		_, err = s.FindEvents(ctx, "job_missing", 0, 0)
		if got, want := copydesk.ErrorCode(err), copydesk.ENOTFOUND; got != want {
			t.Errorf("FindEvents: got code %q (%v), want %q", got, err, want)
		}
	})

	t.Run("EventsInvalid", func(t *testing.T) {
		s, _ := setup(t)
		ctx := context.Background()
		job := &copydesk.Job{Kind: "analysis"}
		MustCreateJob(t, s, job)
		for _, tt := range []struct {
			name string
			ev   *copydesk.Event
		}{
			{"NoJobID", &copydesk.Event{Type: copydesk.EventDone}},
			{"NoType", &copydesk.Event{JobID: job.ID}},
			{"DataNotJSON", &copydesk.Event{JobID: job.ID, Type: copydesk.EventDelta, Data: json.RawMessage(`{"a"`)}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				err := s.AppendEvent(ctx, tt.ev)
				if got, want := copydesk.ErrorCode(err), copydesk.EINVALID; got != want {
					t.Errorf("got code %q (%v), want %q", got, err, want)
				}
			})
		}
		if _, err := s.FindEvents(ctx, job.ID, 0, -1); copydesk.ErrorCode(err) != copydesk.EINVALID {
			t.Errorf("FindEvents with limit -1: got %v, want EINVALID", err)
		}
		// A refused event does not use up a sequence number.
		ev := &copydesk.Event{JobID: job.ID, Type: copydesk.EventDone, Data: json.RawMessage(`{}`)}
		MustAppendEvent(t, s, ev)
		if ev.Seq != 1 {
			t.Errorf("first valid event: got Seq %d, want 1", ev.Seq)
		}
	})

	t.Run("ConcurrentAppendEvent", func(t *testing.T) {
		s, _ := setup(t)
		ctx := context.Background()
		job := &copydesk.Job{Kind: "analysis"}
		MustCreateJob(t, s, job)
		const goroutines, each = 50, 6
		var wg sync.WaitGroup
		errs := make(chan error, goroutines*each)
		for g := range goroutines {
			wg.Go(func() {
				var last int64
				for i := range each {
					ev := &copydesk.Event{JobID: job.ID, Type: copydesk.EventDelta, Data: json.RawMessage(fmt.Sprintf(`{"g":%d,"i":%d}`, g, i))}
					if err := s.AppendEvent(ctx, ev); err != nil {
						errs <- fmt.Errorf("goroutine %d event %d: %w", g, i, err)
						return
					}
					if ev.Seq <= last {
						errs <- fmt.Errorf("goroutine %d: got Seq %d after %d, want increasing", g, ev.Seq, last)
					}
					last = ev.Seq
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		events, err := s.FindEvents(ctx, job.ID, 0, 0)
		if err != nil {
			t.Fatalf("FindEvents: %v", err)
		}
		if got, want := len(events), goroutines*each; got != want {
			t.Fatalf("got %d events, want %d", got, want)
		}
		seen := make(map[string]bool)
		for i, ev := range events {
			if got, want := ev.Seq, int64(i+1); got != want {
				t.Fatalf("events[%d].Seq: got %d, want %d (no gaps, no duplicates)", i, got, want)
			}
			if seen[string(ev.Data)] {
				t.Fatalf("event %s stored twice", ev.Data)
			}
			seen[string(ev.Data)] = true
		}
	})
}

// MustCreateJob creates job in s or fails the test.
func MustCreateJob(tb testing.TB, s copydesk.JobStore, job *copydesk.Job) {
	tb.Helper()
	if err := s.CreateJob(context.Background(), job); err != nil {
		tb.Fatalf("CreateJob: got error %v, want nil", err)
	}
}

// MustFindJob returns the job with id in s or fails the test.
func MustFindJob(tb testing.TB, s copydesk.JobStore, id string) *copydesk.Job {
	tb.Helper()
	job, err := s.FindJobByID(context.Background(), id)
	if err != nil {
		tb.Fatalf("FindJobByID(%q): got error %v, want nil", id, err)
	}
	return job
}

// MustUpdateJob updates the job with id in s or fails the test.
func MustUpdateJob(tb testing.TB, s copydesk.JobStore, id string, upd copydesk.JobUpdate) *copydesk.Job {
	tb.Helper()
	job, err := s.UpdateJob(context.Background(), id, upd)
	if err != nil {
		tb.Fatalf("UpdateJob(%q): got error %v, want nil", id, err)
	}
	return job
}

// MustAppendEvent appends ev in s or fails the test.
func MustAppendEvent(tb testing.TB, s copydesk.JobStore, ev *copydesk.Event) {
	tb.Helper()
	if err := s.AppendEvent(context.Background(), ev); err != nil {
		tb.Fatalf("AppendEvent: got error %v, want nil", err)
	}
}

// txQueueFunc is a copydesk.TxQueue made of a function.
type txQueueFunc func(ctx context.Context, tx copydesk.StoreTx, jobs ...*copydesk.Job) error

func (f txQueueFunc) EnqueueTx(ctx context.Context, tx copydesk.StoreTx, jobs ...*copydesk.Job) error {
	return f(ctx, tx, jobs...)
}
