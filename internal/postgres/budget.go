package postgres

import (
	"cmp"
	"context"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/sqlstore"
)

// The budget rules (reserve, settle, release, thresholds) are sqlstore's,
// shared with SQLite; the DB embeds them. ChargeBudgets stays here: it
// rides this store's pipelined group commit.
var _ copydesk.BudgetStore = (*DB)(nil)

var _ copydesk.BudgetJournal = (*DB)(nil)

// chargeSQL adds a settled cost to one budget's spent amount, rolling the
// period over first. It changes no row if the budget does not exist.
const chargeSQL = `
	UPDATE budgets SET
		spent = (CASE WHEN period = $1 THEN spent ELSE 0 END) + $2,
		raised = CASE WHEN period = $1 THEN raised ELSE 0 END,
		period = $1,
		updated_at = $3
	WHERE customer_id = $4 AND user_id = $5`

// ChargeBudgets applies charges in one transaction. See
// copydesk.BudgetJournal. Budgets are updated in (customer, user) order so
// that concurrent batches cannot deadlock.
func (db *DB) ChargeBudgets(ctx context.Context, charges []*copydesk.Charge) error {
	now := db.now()
	type key struct{ customer, user, period string }
	sums := map[key]copydesk.Micros{}
	var keys []key
	entries := make([]*copydesk.LedgerEntry, 0, len(charges))
	for _, c := range charges {
		if err := c.Prepare(now); err != nil {
			return err
		}
		c.Entry.At = pgTime(c.Entry.At)
		entries = append(entries, c.Entry)
		for _, uid := range copydesk.ChargeScopes(c.UserID, c.KeyID) {
			k := key{c.CustomerID, uid, c.Period}
			if _, ok := sums[k]; !ok {
				keys = append(keys, k)
			}
			sums[k] += c.Amount
		}
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.customer, b.customer), cmp.Compare(a.user, b.user), cmp.Compare(a.period, b.period))
	})
	if len(charges) == 0 {
		return nil
	}
	return sqlstore.CountRows(&db.counts.ledgerRows, len(entries), db.batched(ctx, func(b *pgx.Batch, res *opResult) {
		for _, k := range keys {
			b.Queue(chargeSQL, k.period, sums[k], now, k.customer, k.user).Exec(func(pgconn.CommandTag) error { return nil })
		}
		sql, args := insertLedgersSQL(entries)
		b.Queue(sql, args...).Exec(func(pgconn.CommandTag) error { return nil })
	}))
}
