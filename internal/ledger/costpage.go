package ledger

import (
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// The plan's figures for 1,000 pages, in EUR micro-units: the cost of
// doing every page live without Copydesk (the baseline) and the target
// after caching, routing and batch operations.
const (
	BaselinePer1000Pages copydesk.Micros = 214_000_000
	TargetPer1000Pages   copydesk.Micros = 3_420_000
)

// TierCost is what one tier of one kind cost, and per 1,000 pages of the
// kind.
type TierCost struct {
	Tier             string          `json:"tier"`
	Calls            int64           `json:"calls"`
	Cost             copydesk.Micros `json:"cost"`
	Saved            copydesk.Micros `json:"saved"`
	CostPer1000Pages copydesk.Micros `json:"cost_per_1000_pages"`
}

// KindCost is the cost of one kind over its pages, by tier.
type KindCost struct {
	Kind             string          `json:"kind"`
	Pages            int64           `json:"pages"`
	Cost             copydesk.Micros `json:"cost"`
	CostPer1000Pages copydesk.Micros `json:"cost_per_1000_pages"`
	Tiers            []TierCost      `json:"tiers"`
}

// CostPerPageReport is GET /v1/reports/cost-per-page: cost per 1,000
// pages by kind and tier next to the plan's baseline and target.
type CostPerPageReport struct {
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Currency string    `json:"currency"`
	// Pages counts, per kind, the distinct jobs with a ledger row in the
	// range: a page answered entirely from a cache or the translation
	// memory without a job is not counted, so the figures per page are an
	// upper bound.
	Kinds []KindCost `json:"kinds"`
	// Total is over every kind: pages, cost and cost per 1,000 pages.
	Total KindCost `json:"total"`
	// BaselinePer1000Pages and TargetPer1000Pages are the plan's figures
	// in EUR; PlanCurrency says so (compare only when Currency is EUR).
	BaselinePer1000Pages copydesk.Micros `json:"baseline_per_1000_pages"`
	TargetPer1000Pages   copydesk.Micros `json:"target_per_1000_pages"`
	PlanCurrency         string          `json:"plan_currency"`
}

func per1000(cost copydesk.Micros, pages int64) copydesk.Micros {
	if pages <= 0 {
		return 0
	}
	return (cost*1000 + copydesk.Micros(pages) - 1) / copydesk.Micros(pages) // rounded up
}

// CostPerPage builds the report from the ledger's sums.
func CostPerPage(t *copydesk.CostTiers, from, to time.Time, currency string) *CostPerPageReport {
	rep := &CostPerPageReport{From: from, To: to, Currency: currency, Kinds: []KindCost{},
		BaselinePer1000Pages: BaselinePer1000Pages, TargetPer1000Pages: TargetPer1000Pages, PlanCurrency: "EUR",
		Total: KindCost{Kind: "all", Tiers: []TierCost{}}}
	byKind := map[string]*KindCost{}
	totalTiers := map[string]*TierCost{}
	for _, r := range t.Rows {
		k := byKind[r.Kind]
		if k == nil {
			rep.Kinds = append(rep.Kinds, KindCost{Kind: r.Kind, Pages: t.Pages[r.Kind], Tiers: []TierCost{}})
			k = &rep.Kinds[len(rep.Kinds)-1]
			byKind[r.Kind] = k
			rep.Total.Pages += k.Pages
		}
		k.Tiers = append(k.Tiers, TierCost{Tier: r.Tier, Calls: r.Calls, Cost: r.Cost, Saved: r.Saved, CostPer1000Pages: per1000(r.Cost, k.Pages)})
		k.Cost += r.Cost
		tt := totalTiers[r.Tier]
		if tt == nil {
			rep.Total.Tiers = append(rep.Total.Tiers, TierCost{Tier: r.Tier})
			tt = &rep.Total.Tiers[len(rep.Total.Tiers)-1]
			totalTiers[r.Tier] = tt
		}
		tt.Calls, tt.Cost, tt.Saved = tt.Calls+r.Calls, tt.Cost+r.Cost, tt.Saved+r.Saved
		rep.Total.Cost += r.Cost
	}
	for i := range rep.Kinds {
		rep.Kinds[i].CostPer1000Pages = per1000(rep.Kinds[i].Cost, rep.Kinds[i].Pages)
	}
	for i := range rep.Total.Tiers {
		rep.Total.Tiers[i].CostPer1000Pages = per1000(rep.Total.Tiers[i].Cost, rep.Total.Pages)
	}
	rep.Total.CostPer1000Pages = per1000(rep.Total.Cost, rep.Total.Pages)
	return rep
}
