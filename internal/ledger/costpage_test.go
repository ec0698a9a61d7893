package ledger_test

import (
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/ledger"
)

func TestCostPerPage(t *testing.T) {
	rep := ledger.CostPerPage(&copydesk.CostTiers{
		Rows: []copydesk.CostTierRow{
			{Kind: "translation", Tier: "batch", Calls: 10, Cost: 1_000_000},
			{Kind: "translation", Tier: "cached", Calls: 30, Saved: 2_000_000},
			{Kind: "translation", Tier: "live", Calls: 1, Cost: 500_000},
			{Kind: "analysis", Tier: "live", Calls: 3, Cost: 3},
		},
		Pages: map[string]int64{"translation": 200, "analysis": 3},
	}, time.Time{}, time.Time{}, "EUR")
	if len(rep.Kinds) != 2 || rep.Kinds[0].Kind != "translation" {
		t.Fatalf("got kinds %+v", rep.Kinds)
	}
	tr := rep.Kinds[0]
	// 1.5 EUR over 200 pages: 7.5 EUR per 1,000; the batch part 5 EUR.
	if tr.Cost != 1_500_000 || tr.CostPer1000Pages != 7_500_000 || tr.Tiers[0].CostPer1000Pages != 5_000_000 {
		t.Errorf("translation: got cost %d, per 1000 %d, batch per 1000 %d; want 1500000, 7500000, 5000000", tr.Cost, tr.CostPer1000Pages, tr.Tiers[0].CostPer1000Pages)
	}
	if rep.Kinds[1].CostPer1000Pages != 1000 {
		t.Errorf("analysis: got %d per 1000 pages, want 1000", rep.Kinds[1].CostPer1000Pages)
	}
	if rep.Total.Pages != 203 || rep.Total.Cost != 1_500_003 || len(rep.Total.Tiers) != 3 {
		t.Errorf("total: got %+v", rep.Total)
	}
	if rep.BaselinePer1000Pages != 214_000_000 || rep.TargetPer1000Pages != 3_420_000 {
		t.Errorf("plan figures: got %d and %d", rep.BaselinePer1000Pages, rep.TargetPer1000Pages)
	}
	empty := ledger.CostPerPage(&copydesk.CostTiers{}, time.Time{}, time.Time{}, "EUR")
	if empty.Total.CostPer1000Pages != 0 || empty.Kinds == nil {
		t.Errorf("empty: got %+v", empty)
	}
}
