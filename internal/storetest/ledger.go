package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/google/go-cmp/cmp"
)

// TestLedgerStore runs the copydesk.LedgerStore conformance suite: appended
// rows read back unchanged, filters, and usage reports whose totals equal
// the ledger.
func TestLedgerStore(t *testing.T, newStore NewMoneyStore) {
	setup := func(t *testing.T) (MoneyStore, *Clock) {
		t.Helper()
		t.Parallel()
		clock := NewClock(Epoch())
		return newStore(t, clock), clock
	}
	ctx := context.Background()

	t.Run("AppendFind", func(t *testing.T) {
		s, clock := setup(t)
		e := &copydesk.LedgerEntry{CustomerID: "cus_a", UserID: "usr_a", KeyID: "key_a", Kind: "translation", JobID: "job_1",
			Provider: "anthropic", Model: "claude", InputTokens: 10, OutputTokens: 20, CachedTokens: 5,
			Cost: 123, Latency: 42 * time.Millisecond, Tier: copydesk.TierBatch}
		if err := s.AppendLedger(ctx, e); err != nil {
			t.Fatalf("AppendLedger: %v", err)
		}
		if e.ID == "" || !e.At.Equal(clock.Now()) {
			t.Errorf("got id %q at %v, want an id and %v", e.ID, e.At, clock.Now())
		}
		hit := &copydesk.LedgerEntry{CustomerID: "cus_b", Kind: "analysis", Model: "claude", CacheHit: true, Saved: 99,
			At: clock.Now().Add(time.Minute)}
		if err := s.AppendLedger(ctx, hit); err != nil {
			t.Fatalf("AppendLedger: %v", err)
		}
		all := copydesk.UsageFilter{From: Epoch(), To: Epoch().Add(time.Hour)}
		got, err := s.FindLedger(ctx, all)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]*copydesk.LedgerEntry{e, hit}, got); diff != "" {
			t.Errorf("FindLedger (-want +got):\n%s", diff)
		}
		byCustomer := all
		byCustomer.CustomerID = "cus_b"
		if got, _ := s.FindLedger(ctx, byCustomer); len(got) != 1 || got[0].ID != hit.ID {
			t.Errorf("FindLedger(customer b): got %v, want [%s]", got, hit.ID)
		}
		early := copydesk.UsageFilter{From: Epoch(), To: Epoch().Add(time.Minute)} // To is exclusive
		if got, _ := s.FindLedger(ctx, early); len(got) != 1 || got[0].ID != e.ID {
			t.Errorf("FindLedger(first minute): got %v, want [%s]", got, e.ID)
		}
		tests := []struct {
			name string
			e    copydesk.LedgerEntry
		}{
			{"NoCustomer", copydesk.LedgerEntry{Model: "m"}},
			{"NegativeCost", copydesk.LedgerEntry{CustomerID: "c", Cost: -1}},
			{"NegativeTokens", copydesk.LedgerEntry{CustomerID: "c", InputTokens: -1}},
		}
		for _, tt := range tests {
			if err := s.AppendLedger(ctx, &tt.e); copydesk.ErrorCode(err) != copydesk.EINVALID {
				t.Errorf("%s: got %v, want EINVALID", tt.name, err)
			}
		}
		if err := s.AppendLedger(ctx, &copydesk.LedgerEntry{ID: e.ID, CustomerID: "c"}); copydesk.ErrorCode(err) != copydesk.ECONFLICT {
			t.Errorf("duplicate id: got %v, want ECONFLICT (rows are never replaced)", err)
		}
	})

	t.Run("AppendLedgers", func(t *testing.T) {
		s, clock := setup(t)
		all := copydesk.UsageFilter{From: Epoch(), To: Epoch().Add(time.Hour)}
		good := []*copydesk.LedgerEntry{
			{CustomerID: "cus_a", Kind: "chat", Model: "m", InputTokens: 3, Cost: 10},
			{CustomerID: "cus_a", Kind: "chat", Model: "m", CacheHit: true, Saved: 10, Count: 7},
		}
		bad := append(good[:1:1], &copydesk.LedgerEntry{CustomerID: "cus_a", Cost: -1})
		if err := s.AppendLedgers(ctx, bad); copydesk.ErrorCode(err) != copydesk.EINVALID {
			t.Fatalf("a batch with an invalid row: got %v, want EINVALID", err)
		}
		if got, _ := s.FindLedger(ctx, all); len(got) != 0 {
			t.Fatalf("got %d rows after a refused batch, want none: all or nothing", len(got))
		}
		good[0].ID = ""
		if err := s.AppendLedgers(ctx, good); err != nil {
			t.Fatalf("AppendLedgers: %v", err)
		}
		got, err := s.FindLedger(ctx, all)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].ID == "" || !got[0].At.Equal(clock.Now()) {
			t.Fatalf("got %+v, want both rows with ids at the store's time", got)
		}
		if counts := got[0].Count + got[1].Count; counts != 8 || got[0].Count*got[1].Count != 7 {
			t.Errorf("got counts %d and %d, want 1 (a call) and 7 (summed hits)", got[0].Count, got[1].Count)
		}
		if err := s.AppendLedgers(ctx, nil); err != nil {
			t.Errorf("an empty batch: got %v, want nil", err)
		}
		dup := []*copydesk.LedgerEntry{{CustomerID: "cus_a"}, {ID: got[0].ID, CustomerID: "cus_a"}}
		if err := s.AppendLedgers(ctx, dup); copydesk.ErrorCode(err) != copydesk.ECONFLICT {
			t.Errorf("a batch with a duplicate id: got %v, want ECONFLICT", err)
		}
		if got, _ := s.FindLedger(ctx, all); len(got) != 2 {
			t.Errorf("got %d rows after a conflicting batch, want 2: all or nothing", len(got))
		}
	})

	t.Run("AppendLedgersMany", func(t *testing.T) {
		// Enough rows for statements of several sizes (64 + 64 + 16 + 4 +
		// 2 + 1), each row's values in its own place.
		s, _ := setup(t)
		all := copydesk.UsageFilter{From: Epoch(), To: Epoch().Add(time.Hour)}
		const n = 151
		entries := make([]*copydesk.LedgerEntry, n)
		for i := range entries {
			entries[i] = &copydesk.LedgerEntry{CustomerID: "cus_a", UserID: fmt.Sprintf("usr_%d", i), KeyID: "key_1", Kind: "chat",
				JobID: fmt.Sprintf("job_%d", i), Provider: "p", Model: "m", InputTokens: i, OutputTokens: 2 * i, CachedTokens: i / 2,
				Cost: copydesk.Micros(3 * i), Latency: time.Duration(i) * time.Millisecond, Tier: "batch", Count: 1}
		}
		if err := s.AppendLedgers(ctx, entries); err != nil {
			t.Fatal(err)
		}
		got, err := s.FindLedger(ctx, all)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != n {
			t.Fatalf("got %d rows, want %d", len(got), n)
		}
		for _, e := range got {
			var i int
			if _, err := fmt.Sscanf(e.UserID, "usr_%d", &i); err != nil {
				t.Fatalf("row %+v: %v", e, err)
			}
			if e.JobID != fmt.Sprintf("job_%d", i) || e.InputTokens != i || e.OutputTokens != 2*i || e.CachedTokens != i/2 ||
				e.Cost != copydesk.Micros(3*i) || e.Latency != time.Duration(i)*time.Millisecond || e.KeyID != "key_1" ||
				e.Provider != "p" || e.Tier != "batch" || e.Count != 1 || e.ID != entries[i].ID {
				t.Errorf("row %d stored as %+v, want %+v", i, e, entries[i])
			}
		}
	})

	t.Run("UsageReport", func(t *testing.T) {
		s, _ := setup(t)
		day := func(d, h int) time.Time { return time.Date(2026, time.March, d, h, 0, 0, 0, time.UTC) }
		entries := []*copydesk.LedgerEntry{
			{CustomerID: "cus_a", UserID: "usr_1", Kind: "analysis", Model: "gpt", InputTokens: 100, OutputTokens: 10, Cost: 1000, At: day(1, 1)},
			{CustomerID: "cus_a", UserID: "usr_1", KeyID: "key_1", Kind: "analysis", Model: "gpt", InputTokens: 200, OutputTokens: 20, CachedTokens: 50, Cost: 2000, At: day(1, 23)}, // with an API key: a row of its own
			{CustomerID: "cus_a", UserID: "usr_2", Kind: "translation", Model: "gpt", InputTokens: 5, Cost: 7, At: day(1, 5)},
			{CustomerID: "cus_a", UserID: "usr_1", Kind: "analysis", Model: "claude", Cost: 0, Saved: 500, CacheHit: true, At: day(2, 0)},
			{CustomerID: "cus_a", UserID: "usr_1", Kind: "analysis", Model: "claude", Cost: 0, Saved: 2000, CacheHit: true, Count: 4, At: day(2, 1)}, // 4 hits summed
			{CustomerID: "cus_b", UserID: "usr_9", KeyID: "key_9", Kind: "generation", Model: "gemini", InputTokens: 1, OutputTokens: 1000, Cost: 30000, At: day(2, 12)},
			{CustomerID: "cus_a", UserID: "usr_1", Kind: "analysis", Model: "gpt", Cost: 1, At: day(3, 0)}, // outside the range
		}
		for _, e := range entries[:3] {
			if err := s.AppendLedger(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.AppendLedgers(ctx, entries[3:]); err != nil {
			t.Fatal(err)
		}
		f := copydesk.UsageFilter{From: day(1, 0), To: day(3, 0)}
		rep, err := s.UsageReport(ctx, f)
		if err != nil {
			t.Fatalf("UsageReport: %v", err)
		}
		want := []copydesk.UsageRow{
			{Day: "2026-03-01", CustomerID: "cus_a", UserID: "usr_1", Model: "gpt", Kind: "analysis", Calls: 1, InputTokens: 100, OutputTokens: 10, Cost: 1000},
			{Day: "2026-03-01", CustomerID: "cus_a", UserID: "usr_1", KeyID: "key_1", Model: "gpt", Kind: "analysis", Calls: 1, InputTokens: 200, OutputTokens: 20, CachedTokens: 50, Cost: 2000},
			{Day: "2026-03-01", CustomerID: "cus_a", UserID: "usr_2", Model: "gpt", Kind: "translation", Calls: 1, InputTokens: 5, Cost: 7},
			{Day: "2026-03-02", CustomerID: "cus_a", UserID: "usr_1", Model: "claude", Kind: "analysis", Calls: 5, CacheHits: 5, Saved: 2500},
			{Day: "2026-03-02", CustomerID: "cus_b", UserID: "usr_9", KeyID: "key_9", Model: "gemini", Kind: "generation", Calls: 1, InputTokens: 1, OutputTokens: 1000, Cost: 30000},
		}
		if diff := cmp.Diff(want, rep.Rows); diff != "" {
			t.Errorf("rows (-want +got):\n%s", diff)
		}
		// The totals equal the ledger rows in the range, summed one by one.
		rows, err := s.FindLedger(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var ledger copydesk.UsageRow
		for _, e := range rows {
			hit := int64(0)
			if e.CacheHit {
				hit = int64(e.Count)
			}
			ledger.Add(copydesk.UsageRow{Calls: int64(e.Count), CacheHits: hit, InputTokens: int64(e.InputTokens), OutputTokens: int64(e.OutputTokens),
				CachedTokens: int64(e.CachedTokens), Cost: e.Cost, Saved: e.Saved})
		}
		if diff := cmp.Diff(ledger, rep.Totals); diff != "" {
			t.Errorf("totals differ from the ledger (-ledger +report):\n%s", diff)
		}
		if rep.Totals.Cost != 33007 {
			t.Errorf("total cost: got %d, want 33007", rep.Totals.Cost)
		}
		f.CustomerID, f.UserID = "cus_a", "usr_2"
		if rep, _ := s.UsageReport(ctx, f); len(rep.Rows) != 1 || rep.Totals.Cost != 7 {
			t.Errorf("report for one user: got %+v, want one row costing 7", rep)
		}
		f.CustomerID, f.UserID = "cus_none", ""
		if rep, err := s.UsageReport(ctx, f); err != nil || len(rep.Rows) != 0 || rep.Rows == nil {
			t.Errorf("empty report: got %+v, %v, want empty non-nil rows", rep, err)
		}
		if _, err := s.UsageReport(ctx, copydesk.UsageFilter{From: day(2, 0), To: day(1, 0)}); copydesk.ErrorCode(err) != copydesk.EINVALID {
			t.Errorf("reversed range: got %v, want EINVALID", err)
		}
	})
}

// CostLedgerStore is a ledger that also sums itself by tier.
type CostLedgerStore interface {
	copydesk.LedgerStore
	copydesk.CostStore
}

// TestCostStore runs the conformance suite of copydesk.CostStore.
func TestCostStore(t *testing.T, newStore func(t *testing.T, clock copydesk.Clock) CostLedgerStore) {
	setup := func(t *testing.T) (CostLedgerStore, *Clock) {
		t.Helper()
		t.Parallel()
		clock := NewClock(Epoch())
		return newStore(t, clock), clock
	}
	ctx := context.Background()
	t.Run("CostByTier", func(t *testing.T) {
		s, clock := setup(t)
		at := clock.Now()
		entries := []*copydesk.LedgerEntry{
			{CustomerID: "cus_a", Kind: "translation", JobID: "job_1", Cost: 100, At: at},
			{CustomerID: "cus_a", Kind: "translation", JobID: "job_1", Cost: 50, Tier: copydesk.TierBatch, At: at},
			{CustomerID: "cus_a", Kind: "translation", JobID: "job_2", Cost: 30, Tier: copydesk.TierBatch, At: at},
			{CustomerID: "cus_a", Kind: "translation", CacheHit: true, Saved: 70, Count: 4, At: at},
			{CustomerID: "cus_a", Kind: "analysis.grammar", JobID: "job_3", Cost: 7, At: at},
			{CustomerID: "cus_a", Kind: "analysis.tone", JobID: "job_3", Cost: 3, At: at},
			{CustomerID: "cus_b", Kind: "translation", JobID: "job_9", Cost: 1000, At: at},
		}
		if err := s.AppendLedgers(ctx, entries); err != nil {
			t.Fatal(err)
		}
		got, err := s.CostByTier(ctx, copydesk.UsageFilter{CustomerID: "cus_a", From: Epoch(), To: Epoch().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		want := &copydesk.CostTiers{
			Rows: []copydesk.CostTierRow{
				{Kind: "analysis", Tier: "live", Calls: 2, Cost: 10},
				{Kind: "translation", Tier: "batch", Calls: 2, Cost: 80},
				{Kind: "translation", Tier: "cached", Calls: 4, Saved: 70},
				{Kind: "translation", Tier: "live", Calls: 1, Cost: 100},
			},
			Pages: map[string]int64{"analysis": 1, "translation": 2},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("CostByTier (-want +got):\n%s", diff)
		}
		if _, err := s.CostByTier(ctx, copydesk.UsageFilter{From: Epoch(), To: Epoch()}); copydesk.ErrorCode(err) != copydesk.EINVALID {
			t.Errorf("empty range: got %v, want EINVALID", err)
		}
	})

}
