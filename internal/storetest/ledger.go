package storetest

import (
	"context"
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
		e := &copydesk.LedgerEntry{CustomerID: "cus_a", UserID: "usr_a", Kind: "translation", JobID: "job_1",
			Provider: "anthropic", Model: "claude", InputTokens: 10, OutputTokens: 20, CachedTokens: 5,
			Cost: 123, Latency: 42 * time.Millisecond}
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

	t.Run("UsageReport", func(t *testing.T) {
		s, _ := setup(t)
		day := func(d, h int) time.Time { return time.Date(2026, time.March, d, h, 0, 0, 0, time.UTC) }
		entries := []*copydesk.LedgerEntry{
			{CustomerID: "cus_a", UserID: "usr_1", Kind: "analysis", Model: "gpt", InputTokens: 100, OutputTokens: 10, Cost: 1000, At: day(1, 1)},
			{CustomerID: "cus_a", UserID: "usr_1", Kind: "analysis", Model: "gpt", InputTokens: 200, OutputTokens: 20, CachedTokens: 50, Cost: 2000, At: day(1, 23)},
			{CustomerID: "cus_a", UserID: "usr_2", Kind: "translation", Model: "gpt", InputTokens: 5, Cost: 7, At: day(1, 5)},
			{CustomerID: "cus_a", UserID: "usr_1", Kind: "analysis", Model: "claude", Cost: 0, Saved: 500, CacheHit: true, At: day(2, 0)},
			{CustomerID: "cus_b", UserID: "usr_9", Kind: "generation", Model: "gemini", InputTokens: 1, OutputTokens: 1000, Cost: 30000, At: day(2, 12)},
			{CustomerID: "cus_a", UserID: "usr_1", Kind: "analysis", Model: "gpt", Cost: 1, At: day(3, 0)}, // outside the range
		}
		for _, e := range entries {
			if err := s.AppendLedger(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		f := copydesk.UsageFilter{From: day(1, 0), To: day(3, 0)}
		rep, err := s.UsageReport(ctx, f)
		if err != nil {
			t.Fatalf("UsageReport: %v", err)
		}
		want := []copydesk.UsageRow{
			{Day: "2026-03-01", CustomerID: "cus_a", UserID: "usr_1", Model: "gpt", Kind: "analysis", Calls: 2, InputTokens: 300, OutputTokens: 30, CachedTokens: 50, Cost: 3000},
			{Day: "2026-03-01", CustomerID: "cus_a", UserID: "usr_2", Model: "gpt", Kind: "translation", Calls: 1, InputTokens: 5, Cost: 7},
			{Day: "2026-03-02", CustomerID: "cus_a", UserID: "usr_1", Model: "claude", Kind: "analysis", Calls: 1, CacheHits: 1, Saved: 500},
			{Day: "2026-03-02", CustomerID: "cus_b", UserID: "usr_9", Model: "gemini", Kind: "generation", Calls: 1, InputTokens: 1, OutputTokens: 1000, Cost: 30000},
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
				hit = 1
			}
			ledger.Add(copydesk.UsageRow{Calls: 1, CacheHits: hit, InputTokens: int64(e.InputTokens), OutputTokens: int64(e.OutputTokens),
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
