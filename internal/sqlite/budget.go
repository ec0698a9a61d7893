package sqlite

import (
	"context"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// The budget rules (reserve, settle, release, thresholds) are sqlstore's,
// shared with PostgreSQL; the DB embeds them. ChargeBudgets stays here: it
// rides SQLite's group commit.
var _ copydesk.BudgetStore = (*DB)(nil)

var _ copydesk.BudgetJournal = (*DB)(nil)

// chargeSQL adds a settled cost to one budget's spent amount, rolling the
// period over first. It changes no row if the budget does not exist.
const chargeSQL = `
	UPDATE budgets SET
		spent = (CASE WHEN period = ?1 THEN spent ELSE 0 END) + ?2,
		raised = CASE WHEN period = ?1 THEN raised ELSE 0 END,
		period = ?1,
		updated_at = ?3
	WHERE customer_id = ?4 AND user_id = ?5`

// ChargeBudgets applies charges in one transaction. See
// copydesk.BudgetJournal.
func (db *DB) ChargeBudgets(ctx context.Context, charges []*copydesk.Charge) error {
	now := db.clock.Now()
	for _, c := range charges {
		if err := c.Prepare(now); err != nil {
			return err
		}
	}
	return db.batched(ctx, func(ctx context.Context, tx *Tx) error {
		for _, c := range charges {
			for _, uid := range copydesk.ChargeScopes(c.UserID, c.KeyID) {
				if _, err := tx.exec(ctx, chargeSQL, c.Period, c.Amount, encodeTime(now), c.CustomerID, uid); err != nil {
					return translate(err)
				}
			}
			if err := insertLedger(ctx, tx, c.Entry); err != nil {
				return err
			}
		}
		return nil
	})
}
