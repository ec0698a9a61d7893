package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

var _ copydesk.BudgetStore = (*DB)(nil)

const budgetColumns = `customer_id, user_id, limit_micros, alert_percent, warning_percent, period, spent, reserved, raised, updated_at`

func scanBudget(row interface{ Scan(...any) error }) (*copydesk.Budget, error) {
	var b copydesk.Budget
	var updated int64
	var scope string
	if err := row.Scan(&b.CustomerID, &scope, &b.Limit, &b.AlertPercent, &b.WarningPercent,
		&b.Period, &b.Spent, &b.Reserved, &b.Raised, &updated); err != nil {
		return nil, err
	}
	b.UpdatedAt = decodeTime(updated)
	b.SetScope(scope) // the user_id column holds a user's or an API key's ID
	return &b, nil
}

// SetBudget creates or changes a budget's limit and thresholds. See
// copydesk.BudgetStore.
func (db *DB) SetBudget(ctx context.Context, b *copydesk.Budget) error {
	now := db.clock.Now()
	if err := b.Prepare(now); err != nil {
		return err
	}
	return db.writeTx(ctx, func(tx *Tx) error {
		if err := customerExists(ctx, tx, b.CustomerID); err != nil {
			return err
		}
		for _, owner := range []struct{ table, id, what string }{{"users", b.UserID, "user"}, {"api_keys", b.KeyID, "API key"}} {
			if owner.id == "" {
				continue
			}
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+owner.table+` WHERE id = ? AND customer_id = ?`,
				owner.id, b.CustomerID).Scan(&n); err != nil {
				return translate(err)
			}
			if n == 0 {
				return copydesk.Errorf(copydesk.ENOTFOUND, "%s %q not found in customer %q", owner.what, owner.id, b.CustomerID)
			}
		}
		got, err := scanBudget(tx.QueryRowContext(ctx, `
			INSERT INTO budgets (customer_id, user_id, limit_micros, alert_percent, warning_percent, period, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (customer_id, user_id) DO UPDATE SET limit_micros = excluded.limit_micros,
				alert_percent = excluded.alert_percent, warning_percent = excluded.warning_percent,
				updated_at = excluded.updated_at
			RETURNING `+budgetColumns,
			b.CustomerID, b.Scope(), b.Limit, b.AlertPercent, b.WarningPercent, copydesk.BudgetPeriod(now), encodeTime(b.UpdatedAt)))
		if err != nil {
			return translate(err)
		}
		*b = *got
		return nil
	})
}

// FindBudget returns a budget. Returns ENOTFOUND if none is set.
func (db *DB) FindBudget(ctx context.Context, customerID, userID string) (*copydesk.Budget, error) {
	b, err := scanBudget(db.read.QueryRowContext(ctx, `SELECT `+budgetColumns+` FROM budgets
		WHERE customer_id = ? AND user_id = ?`, customerID, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, copydesk.Errorf(copydesk.ENOTFOUND, "no budget set for customer %q user %q", customerID, userID)
	}
	return b, translate(err)
}

// DeleteBudget removes a budget. Returns ENOTFOUND if none is set.
func (db *DB) DeleteBudget(ctx context.Context, customerID, userID string) error {
	return db.writeTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM budgets WHERE customer_id = ? AND user_id = ?`, customerID, userID)
		if err != nil {
			return translate(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return copydesk.Errorf(copydesk.ENOTFOUND, "no budget set for customer %q user %q", customerID, userID)
		}
		return nil
	})
}

// reserveSQL reserves amount on one budget if it stays within the limit,
// rolling the period over (spent and raised back to 0) in the same statement.
// It changes no row if the limit would be crossed or there is no budget.
const reserveSQL = `
	UPDATE budgets SET
		spent = CASE WHEN period = ?1 THEN spent ELSE 0 END,
		raised = CASE WHEN period = ?1 THEN raised ELSE 0 END,
		period = ?1,
		reserved = reserved + ?2,
		updated_at = ?3
	WHERE customer_id = ?4 AND user_id = ?5
		AND (CASE WHEN period = ?1 THEN spent ELSE 0 END) + reserved + ?2 <= limit_micros
	RETURNING ` + budgetColumns

// Reserve checks and reserves atomically. See copydesk.BudgetStore.
//
// The write pool has one connection and every transaction is immediate, so
// the conditional UPDATEs of concurrent reservations never interleave.
func (db *DB) Reserve(ctx context.Context, r *copydesk.Reservation) (*copydesk.Budget, error) {
	now := db.clock.Now()
	if err := r.Prepare(now); err != nil {
		return nil, err
	}
	var out *copydesk.Budget
	err := db.writeTx(ctx, func(tx *Tx) error {
		var h held
		for _, scope := range r.Scopes() {
			on, b, err := reserveOn(ctx, tx, r.CustomerID, scope, r.Amount, now)
			if err != nil {
				return err
			}
			h.set(r, scope, on)
			if scope == "" {
				out = b
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO reservations (id, customer_id, user_id, key_id, amount, on_customer, on_user, on_key, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, r.CustomerID, r.UserID, r.KeyID, r.Amount, h.customer, h.user, h.key, encodeTime(r.CreatedAt))
		return translate(err)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// reserveOn reserves amount on one budget. It reports whether the budget
// exists (and now holds the amount); EBUDGETEXCEEDED if it exists and the
// amount does not fit.
func reserveOn(ctx context.Context, tx *Tx, customerID, scope string, amount copydesk.Micros, now time.Time) (bool, *copydesk.Budget, error) {
	b, err := scanBudget(tx.QueryRowContext(ctx, reserveSQL, copydesk.BudgetPeriod(now), amount, encodeTime(now), customerID, scope))
	if err == nil {
		return true, b, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return false, nil, translate(err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM budgets WHERE customer_id = ? AND user_id = ?`,
		customerID, scope).Scan(&n); err != nil {
		return false, nil, translate(err)
	}
	if n == 0 {
		return false, nil, nil
	}
	return false, nil, copydesk.BudgetExceeded(scope)
}

// settleSQL releases a reservation's amount on one budget and adds the
// actual cost to spent, rolling the period over first.
const settleSQL = `
	UPDATE budgets SET
		spent = (CASE WHEN period = ?1 THEN spent ELSE 0 END) + ?2,
		raised = CASE WHEN period = ?1 THEN raised ELSE 0 END,
		period = ?1,
		reserved = MAX(reserved - ?3, 0),
		updated_at = ?4
	WHERE customer_id = ?5 AND user_id = ?6
	RETURNING ` + budgetColumns

// takeReservation deletes an open reservation and returns it with the
// budgets it was counted on.
func takeReservation(ctx context.Context, tx *Tx, id string) (r copydesk.Reservation, h held, err error) {
	var created int64
	err = tx.QueryRowContext(ctx, `DELETE FROM reservations WHERE id = ?
		RETURNING id, customer_id, user_id, key_id, amount, on_customer, on_user, on_key, created_at`, id).
		Scan(&r.ID, &r.CustomerID, &r.UserID, &r.KeyID, &r.Amount, &h.customer, &h.user, &h.key, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return r, h, copydesk.Errorf(copydesk.ENOTFOUND, "reservation %q is not open (settled or released)", id)
	}
	r.CreatedAt = decodeTime(created)
	return r, h, translate(err)
}

// Settle settles a reservation and appends the ledger row in one
// transaction. See copydesk.BudgetStore.
func (db *DB) Settle(ctx context.Context, reservationID string, actual copydesk.Micros, entry *copydesk.LedgerEntry) (*copydesk.Budget, error) {
	now := db.clock.Now()
	if actual < 0 || actual > copydesk.MaxBudgetMicros {
		return nil, copydesk.Errorf(copydesk.EINVALID, "an actual cost must be between 0 and %d micro-units (got %d)", copydesk.MaxBudgetMicros, actual)
	}
	if entry == nil {
		return nil, copydesk.Errorf(copydesk.EINVALID, "settling needs a ledger entry")
	}
	var out *copydesk.Budget
	err := db.writeTx(ctx, func(tx *Tx) error {
		r, h, err := takeReservation(ctx, tx, reservationID)
		if err != nil {
			return err
		}
		entry.CustomerID = cmp.Or(entry.CustomerID, r.CustomerID)
		entry.UserID = cmp.Or(entry.UserID, r.UserID)
		entry.KeyID = cmp.Or(entry.KeyID, r.KeyID)
		if entry.CustomerID != r.CustomerID {
			return copydesk.Errorf(copydesk.EINVALID, "ledger entry customer %q differs from the reservation's %q", entry.CustomerID, r.CustomerID)
		}
		entry.Cost, entry.ReservationID = actual, r.ID
		if err := entry.Prepare(now); err != nil {
			return err
		}
		for _, on := range heldOn(&r, h) {
			amount := r.Amount
			if !on.held {
				amount = 0 // the budget was created after the reservation
			}
			b, err := scanBudget(tx.QueryRowContext(ctx, settleSQL, copydesk.BudgetPeriod(now), actual, amount,
				encodeTime(now), r.CustomerID, on.scope))
			if errors.Is(err, sql.ErrNoRows) {
				continue
			} else if err != nil {
				return translate(err)
			}
			if on.scope == "" {
				out = b
			}
		}
		return insertLedger(ctx, tx, entry)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// held says which of a reservation's budgets count its amount in their
// reserved (the on_customer, on_user and on_key columns).
type held struct{ customer, user, key bool }

// set records whether the budget of scope holds r's amount.
func (h *held) set(r *copydesk.Reservation, scope string, on bool) {
	switch scope {
	case "":
		h.customer = on
	case r.KeyID:
		h.key = on
	case r.UserID:
		h.user = on
	}
}

// budgetRef names a budget a reservation may be held on.
type budgetRef struct {
	scope string // "" for the customer's budget, else the user's or the key's ID
	held  bool   // the reservation's amount is counted in its reserved
}

// heldOn returns the budgets a settlement or release of r touches, in the
// order of r.Scopes: the customer's, the key's and the user's.
func heldOn(r *copydesk.Reservation, h held) []budgetRef {
	var refs []budgetRef
	for _, scope := range r.Scopes() {
		on := h.customer
		switch scope {
		case "":
		case r.KeyID:
			on = h.key
		default:
			on = h.user
		}
		refs = append(refs, budgetRef{scope, on})
	}
	return refs
}

// Release releases a reservation. Returns ENOTFOUND if it is not open.
func (db *DB) Release(ctx context.Context, reservationID string) error {
	now := db.clock.Now()
	return db.writeTx(ctx, func(tx *Tx) error {
		r, h, err := takeReservation(ctx, tx, reservationID)
		if err != nil {
			return err
		}
		return releaseHeld(ctx, tx, &r, h, now)
	})
}

// releaseHeld gives r's amount back to the budgets that hold it.
func releaseHeld(ctx context.Context, tx *Tx, r *copydesk.Reservation, h held, now time.Time) error {
	for _, on := range heldOn(r, h) {
		if !on.held {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE budgets SET reserved = MAX(reserved - ?, 0), updated_at = ?
			WHERE customer_id = ? AND user_id = ?`, r.Amount, encodeTime(now), r.CustomerID, on.scope); err != nil {
			return translate(err)
		}
	}
	return nil
}

// FindReservations returns the open (not expired) reservations created
// before before (all for a zero time), oldest first.
func (db *DB) FindReservations(ctx context.Context, before time.Time) ([]*copydesk.Reservation, error) {
	limit := int64(1<<63 - 1)
	if !before.IsZero() {
		limit = encodeTime(before)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT id, customer_id, user_id, key_id, amount, created_at FROM reservations
		WHERE expired_at IS NULL AND created_at < ? ORDER BY created_at, id`, limit)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []*copydesk.Reservation
	for rows.Next() {
		var r copydesk.Reservation
		var created int64
		if err := rows.Scan(&r.ID, &r.CustomerID, &r.UserID, &r.KeyID, &r.Amount, &created); err != nil {
			return nil, translate(err)
		}
		r.CreatedAt = decodeTime(created)
		out = append(out, &r)
	}
	return out, translate(rows.Err())
}

// ExpireReservation releases an open reservation's amount and keeps its
// record. See copydesk.BudgetStore.
func (db *DB) ExpireReservation(ctx context.Context, reservationID string) error {
	now := db.clock.Now()
	return db.writeTx(ctx, func(tx *Tx) error {
		var r copydesk.Reservation
		var h held
		err := tx.QueryRowContext(ctx, `SELECT customer_id, user_id, key_id, amount, on_customer, on_user, on_key FROM reservations
			WHERE id = ? AND expired_at IS NULL`, reservationID).Scan(&r.CustomerID, &r.UserID, &r.KeyID, &r.Amount, &h.customer, &h.user, &h.key)
		if errors.Is(err, sql.ErrNoRows) {
			return copydesk.Errorf(copydesk.ENOTFOUND, "reservation %q is not open", reservationID)
		} else if err != nil {
			return translate(err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE reservations SET on_customer = 0, on_user = 0, on_key = 0, expired_at = ? WHERE id = ?`,
			encodeTime(now), reservationID); err != nil {
			return translate(err)
		}
		return releaseHeld(ctx, tx, &r, h, now)
	})
}

// DeleteExpiredReservations forgets expired reservations. See
// copydesk.BudgetStore.
func (db *DB) DeleteExpiredReservations(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := db.writeTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM reservations WHERE expired_at IS NOT NULL AND expired_at < ?`, encodeTime(before))
		if err != nil {
			return translate(err)
		}
		n, err = res.RowsAffected()
		return translate(err)
	})
	return int(n), err
}

// MarkThresholds records thresholds as raised. See copydesk.BudgetStore.
func (db *DB) MarkThresholds(ctx context.Context, customerID, scope, period string, mask int) (int, error) {
	userID := scope // the user_id column holds the scope
	var prev int
	err := db.writeTx(ctx, func(tx *Tx) error {
		var rowPeriod string
		err := tx.QueryRowContext(ctx, `SELECT period, raised FROM budgets WHERE customer_id = ? AND user_id = ?`,
			customerID, userID).Scan(&rowPeriod, &prev)
		if errors.Is(err, sql.ErrNoRows) {
			return copydesk.Errorf(copydesk.ENOTFOUND, "no budget set for customer %q user %q", customerID, userID)
		} else if err != nil {
			return translate(err)
		}
		switch {
		case rowPeriod > period:
			prev = mask // a later period has begun: nothing of this one is news
			return nil
		case rowPeriod < period:
			prev = 0
			_, err = tx.ExecContext(ctx, `UPDATE budgets SET period = ?, spent = 0, raised = ?, updated_at = ?
				WHERE customer_id = ? AND user_id = ?`, period, mask, encodeTime(db.clock.Now()), customerID, userID)
		case mask&^prev != 0:
			_, err = tx.ExecContext(ctx, `UPDATE budgets SET raised = raised | ?, updated_at = ?
				WHERE customer_id = ? AND user_id = ?`, mask, encodeTime(db.clock.Now()), customerID, userID)
		}
		return translate(err)
	})
	return prev, err
}

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
