package sqlite

import (
	"context"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/sqlstore"
)

// The budget rules (reserve, settle, release, thresholds) are sqlstore's,
// shared with PostgreSQL; the DB embeds them. ChargeBudgets stays here: it
// rides SQLite's group commit.
var _ copydesk.BudgetStore = (*DB)(nil)

var _ copydesk.BudgetJournal = (*DB)(nil)

// chargeSQL adds a settled cost to the spent amounts of the budgets of a
// charge's scopes (the customer's, its key's, its user's: one statement, not
// one per scope), rolling the period over first. A scope without a budget
// changes no row.
const chargeSQL = `
	UPDATE budgets SET
		spent = (CASE WHEN period = ?1 THEN spent ELSE 0 END) + ?2,
		raised = CASE WHEN period = ?1 THEN raised ELSE 0 END,
		period = ?1,
		updated_at = ?3
	WHERE customer_id = ?4 AND user_id IN (?5, ?6, ?7)`

// anyBudgetSQL tells whether any budget exists.
const anyBudgetSQL = `SELECT EXISTS (SELECT 1 FROM budgets)`

// ChargeBudgets applies charges in one transaction. See
// copydesk.BudgetJournal.
func (db *DB) ChargeBudgets(ctx context.Context, charges []*copydesk.Charge) error {
	now := db.clock.Now()
	for _, c := range charges {
		if err := c.Prepare(now); err != nil {
			return err
		}
	}
	return sqlstore.CountRows(&db.counts.ledgerRows, len(charges), db.batched(ctx, func(ctx context.Context, tx *Tx) error {
		// Without any budget (most installations) no charge changes a
		// row: one read in the write transaction, where no budget can
		// appear meanwhile, instead of an update per charge.
		var budgets bool
		if err := tx.queryRow(ctx, anyBudgetSQL).Scan(&budgets); err != nil {
			return translate(err)
		}
		entries := make([]*copydesk.LedgerEntry, len(charges))
		for i, c := range charges {
			entries[i] = c.Entry
			if !budgets {
				continue
			}
			// The customer's, the key's and the user's budgets in one
			// statement ("" stands for a scope the charge does not have:
			// the customer's own, already in the list).
			var scopes [3]string
			copy(scopes[:], copydesk.ChargeScopes(c.UserID, c.KeyID))
			if _, err := tx.exec(ctx, chargeSQL, c.Period, c.Amount, encodeTime(now), c.CustomerID, scopes[0], scopes[1], scopes[2]); err != nil {
				return translate(err)
			}
		}
		return sqlstore.InsertLedgers(ctx, txQuerier{tx}, dialect{}, entries)
	}))
}
