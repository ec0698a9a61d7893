package storetest

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// NewBatchStore builds a fresh store reading time from clock.
type NewBatchStore func(t *testing.T, clock copydesk.Clock) copydesk.BatchStore

// TestBatchStore runs the conformance suite of copydesk.BatchStore: items
// recorded once per key, claims that never hand an item to two
// submissions, submissions opened, polled, abandoned and ended, outcomes
// stored once.
func TestBatchStore(t *testing.T, newStore NewBatchStore) {
	setup := func(t *testing.T) (copydesk.BatchStore, *Clock) {
		t.Helper()
		t.Parallel()
		clock := NewClock(Epoch())
		return newStore(t, clock), clock
	}
	ctx := context.Background()
	item := func(key, model string) *copydesk.BatchItem {
		return &copydesk.BatchItem{Key: key, Provider: "openai", Model: model, Kind: "translation", CustomerID: "cus_a",
			JobID: "job_1", Request: json.RawMessage(`{"Model":"` + model + `"}`), ReservationID: "res_1",
			CompleteBy: Epoch().Add(6 * time.Hour)}
	}

	t.Run("AddOnce", func(t *testing.T) {
		s, clock := setup(t)
		got, added, err := s.AddBatchItem(ctx, item("k1", "m"))
		if err != nil || !added {
			t.Fatalf("AddBatchItem: got added %v, %v; want added", added, err)
		}
		if got.State != copydesk.BatchItemPending || !got.CreatedAt.Equal(clock.Now()) {
			t.Errorf("got state %q created %v, want pending at %v", got.State, got.CreatedAt, clock.Now())
		}
		again := item("k1", "m")
		again.JobID = "job_2"
		got, added, err = s.AddBatchItem(ctx, again)
		if err != nil {
			t.Fatalf("second AddBatchItem: %v", err)
		}
		if added || got.JobID != "job_1" {
			t.Fatalf("second AddBatchItem: got added %v job %q, %v; want the first item, not added", added, got.JobID, err)
		}
		found, err := s.FindBatchItem(ctx, "k1")
		if err != nil {
			t.Fatal(err)
		}
		if string(found.Request) != `{"Model":"m"}` || found.ReservationID != "res_1" || !found.CompleteBy.Equal(Epoch().Add(6*time.Hour)) {
			t.Errorf("FindBatchItem: got %+v", found)
		}
		if _, err := s.FindBatchItem(ctx, "nope"); copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
			t.Errorf("FindBatchItem(unknown): got %v, want ENOTFOUND", err)
		}
		if _, _, err := s.AddBatchItem(ctx, &copydesk.BatchItem{Key: "k2"}); copydesk.ErrorCode(err) != copydesk.EINVALID {
			t.Errorf("AddBatchItem(incomplete): got %v, want EINVALID", err)
		}
	})

	t.Run("ClaimOpenPollFinish", func(t *testing.T) {
		s, clock := setup(t)
		for _, k := range []string{"a", "b", "c"} {
			if _, _, err := s.AddBatchItem(ctx, item(k, "m")); err != nil {
				t.Fatal(err)
			}
			clock.Add(time.Second)
		}
		if _, _, err := s.AddBatchItem(ctx, item("other", "m2")); err != nil {
			t.Fatal(err)
		}
		groups, err := s.BatchGroups(ctx)
		if err != nil || len(groups) != 2 || groups[0] != [2]string{"openai", "m"} {
			t.Fatalf("BatchGroups: got %v, %v; want openai/m and openai/m2", groups, err)
		}
		sub := &copydesk.BatchSubmission{ID: "sub_1", Provider: "openai", Model: "m"}
		items, err := s.ClaimBatchItems(ctx, sub, 2)
		if err != nil || len(items) != 2 {
			t.Fatalf("ClaimBatchItems: got %d items, %v; want 2", len(items), err)
		}
		keys := map[string]bool{items[0].Key: true, items[1].Key: true}
		if !keys["a"] || !keys["b"] || items[0].State != copydesk.BatchItemSubmitted || items[0].SubmissionID != "sub_1" {
			t.Errorf("claimed %v (state %q, submission %q), want the two oldest, submitted in sub_1", keys, items[0].State, items[0].SubmissionID)
		}
		// Nothing due while submitting (not stale yet).
		if due, _ := s.DueBatchSubmissions(ctx, clock.Now(), clock.Now().Add(-time.Minute)); len(due) != 0 {
			t.Errorf("due while submitting: got %d, want 0", len(due))
		}
		if err := s.OpenBatchSubmission(ctx, "sub_1", "batch_abc", clock.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := s.OpenBatchSubmission(ctx, "sub_1", "batch_x", clock.Now()); copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
			t.Errorf("OpenBatchSubmission twice: got %v, want ENOTFOUND", err)
		}
		if due, _ := s.DueBatchSubmissions(ctx, clock.Now(), clock.Now()); len(due) != 0 {
			t.Errorf("due before next poll: got %d, want 0", len(due))
		}
		clock.Add(time.Minute)
		due, err := s.DueBatchSubmissions(ctx, clock.Now(), clock.Now())
		if err != nil || len(due) != 1 || due[0].ProviderID != "batch_abc" || due[0].State != copydesk.BatchOpen || due[0].Items != 2 {
			t.Fatalf("DueBatchSubmissions: got %+v, %v; want sub_1 open with batch_abc", due, err)
		}
		if err := s.PostponeBatchSubmission(ctx, "sub_1", clock.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if due, _ := s.DueBatchSubmissions(ctx, clock.Now(), clock.Now()); len(due) != 0 {
			t.Errorf("due after postpone: got %d, want 0", len(due))
		}
		done := &copydesk.BatchItem{Key: "a", State: copydesk.BatchItemDone, Response: json.RawMessage(`{"text":"hi"}`), Cost: 42}
		changed, err := s.FinishBatchItem(ctx, done)
		if err != nil || !changed {
			t.Fatalf("FinishBatchItem: got %v, %v; want changed", changed, err)
		}
		changed, err = s.FinishBatchItem(ctx, &copydesk.BatchItem{Key: "a", State: copydesk.BatchItemFailed, ErrorKind: copydesk.ProviderServer})
		if err != nil || changed {
			t.Errorf("FinishBatchItem again: got %v, %v; want unchanged (finished once)", changed, err)
		}
		got, _ := s.FindBatchItem(ctx, "a")
		if got.State != copydesk.BatchItemDone || got.Cost != 42 || string(got.Response) != `{"text":"hi"}` || !got.DoneAt.Equal(clock.Now()) {
			t.Errorf("finished item: got %+v", got)
		}
		expired, err := s.EndBatchSubmission(ctx, "sub_1")
		if err != nil || len(expired) != 1 || expired[0].Key != "b" || expired[0].State != copydesk.BatchItemFailed || expired[0].ErrorKind != copydesk.ProviderTimeout {
			t.Fatalf("EndBatchSubmission: got %+v, %v; want b expired", expired, err)
		}
		all, err := s.BatchSubmissionItems(ctx, "sub_1")
		if err != nil || len(all) != 2 {
			t.Errorf("BatchSubmissionItems: got %d, %v; want 2", len(all), err)
		}
		if err := s.PostponeBatchSubmission(ctx, "sub_1", clock.Now()); copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
			t.Errorf("PostponeBatchSubmission after end: got %v, want ENOTFOUND", err)
		}
		if groups, _ := s.BatchGroups(ctx); len(groups) != 2 {
			t.Errorf("BatchGroups: got %v, want c and other still pending", groups)
		}
	})

	t.Run("AbandonAndStale", func(t *testing.T) {
		s, clock := setup(t)
		if _, _, err := s.AddBatchItem(ctx, item("a", "m")); err != nil {
			t.Fatal(err)
		}
		sub := &copydesk.BatchSubmission{ID: "sub_1", Provider: "openai", Model: "m"}
		if items, err := s.ClaimBatchItems(ctx, sub, 10); err != nil || len(items) != 1 {
			t.Fatalf("ClaimBatchItems: got %d, %v", len(items), err)
		}
		if items, err := s.ClaimBatchItems(ctx, &copydesk.BatchSubmission{ID: "sub_2", Provider: "openai", Model: "m"}, 10); err != nil || len(items) != 0 {
			t.Fatalf("second claim: got %d, %v; want none", len(items), err)
		}
		clock.Add(10 * time.Minute)
		due, err := s.DueBatchSubmissions(ctx, clock.Now(), clock.Now().Add(-5*time.Minute))
		if err != nil || len(due) != 1 || due[0].State != copydesk.BatchSubmitting {
			t.Fatalf("stale submitting: got %+v, %v; want sub_1", due, err)
		}
		if err := s.AbandonBatchSubmission(ctx, "sub_1"); err != nil {
			t.Fatal(err)
		}
		if err := s.AbandonBatchSubmission(ctx, "sub_1"); copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
			t.Errorf("abandon twice: got %v, want ENOTFOUND", err)
		}
		got, _ := s.FindBatchItem(ctx, "a")
		if got.State != copydesk.BatchItemPending || got.SubmissionID != "" {
			t.Errorf("after abandon: got state %q submission %q, want pending", got.State, got.SubmissionID)
		}
	})

	t.Run("ConcurrentClaims", func(t *testing.T) {
		s, _ := setup(t)
		const n = 40
		for i := range n {
			if _, _, err := s.AddBatchItem(ctx, item(string(rune('A'+i)), "m")); err != nil {
				t.Fatal(err)
			}
		}
		var mu sync.Mutex
		seen := map[string]string{}
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Go(func() {
				for round := 0; ; round++ {
					sub := &copydesk.BatchSubmission{ID: "sub_" + string(rune('a'+w)) + string(rune('a'+round)), Provider: "openai", Model: "m"}
					items, err := s.ClaimBatchItems(ctx, sub, 3)
					if err != nil {
						t.Error(err)
						return
					}
					if len(items) == 0 {
						return
					}
					mu.Lock()
					for _, it := range items {
						if prev, ok := seen[it.Key]; ok {
							t.Errorf("item %s claimed by %s and %s", it.Key, prev, sub.ID)
						}
						seen[it.Key] = sub.ID
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(seen) != n {
			t.Errorf("claimed %d items, want %d", len(seen), n)
		}
	})
}
