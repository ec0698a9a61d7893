package budget_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/copydesk/copydesk/internal/budget"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/sqlite"
)

// A provider call guarded by a budget: reserve the maximum cost, call,
// settle the actual cost with its ledger row.
func ExampleService() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "budget-example")
	defer os.RemoveAll(dir)
	db, err := sqlite.Open(ctx, filepath.Join(dir, "copydesk.db"), sqlite.Options{})
	if err != nil {
		panic(err)
	}
	defer db.Close()
	acme := &copydesk.Customer{Name: "Acme"}
	db.CreateCustomer(ctx, acme)
	db.SetBudget(ctx, &copydesk.Budget{CustomerID: acme.ID, Limit: 10_000_000}) // 10.00 a month

	svc := budget.New(db, budget.Options{})
	r, _, err := svc.Reserve(ctx, acme.ID, "", 8_500_000) // e.g. pricing.Table.MaxCost
	if err != nil {
		panic(err)
	}
	// ... the provider call; on failure: svc.Release(ctx, r)
	events, _ := svc.Settle(ctx, r, 8_200_000, &copydesk.LedgerEntry{Kind: "generation", Provider: "openai", Model: "gpt-4o",
		InputTokens: 1200, OutputTokens: 800})
	for _, e := range events {
		fmt.Println("event:", e.Name)
	}
	_, _, err = svc.Reserve(ctx, acme.ID, "", 2_000_000)
	fmt.Println("next call:", copydesk.ErrorCode(err))
	left, _ := svc.BudgetLeft(ctx, acme.ID)
	fmt.Printf("left: %.2f\n", left)
	// Output:
	// event: alert
	// next call: budget_exceeded
	// left: 0.18
}
