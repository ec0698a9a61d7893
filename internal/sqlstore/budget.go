package sqlstore

import (
	"cmp"
	"context"
	"errors"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// budgetColumns are a budget row's columns, in scanBudget's order.
const budgetColumns = `customer_id, user_id, limit_micros, alert_percent, warning_percent, period, spent, reserved, raised, updated_at`

func (s *Store) scanBudget(row Row) (*copydesk.Budget, error) {
	var b copydesk.Budget
	var scope string
	if err := row.Scan(&b.CustomerID, &scope, &b.Limit, &b.AlertPercent, &b.WarningPercent,
		&b.Period, &b.Spent, &b.Reserved, &b.Raised, s.dialect.ScanTime(&b.UpdatedAt)); err != nil {
		return nil, err
	}
	b.SetScope(scope) // the user_id column holds a user's or an API key's ID
	return &b, nil
}

// SetBudget creates or changes a budget's limit and thresholds. See
// copydesk.BudgetStore.
func (s *Store) SetBudget(ctx context.Context, b *copydesk.Budget) error {
	now := s.clock()
	if err := b.Prepare(now); err != nil {
		return err
	}
	return s.write(ctx, func(q Querier) error {
		if err := CustomerExists(ctx, q, b.CustomerID); err != nil {
			return err
		}
		for _, owner := range []struct{ table, id, what string }{{"users", b.UserID, "user"}, {"api_keys", b.KeyID, "API key"}} {
			if owner.id == "" {
				continue
			}
			ok, err := exists(ctx, q, `SELECT COUNT(*) FROM `+owner.table+` WHERE id = ? AND customer_id = ?`, owner.id, b.CustomerID)
			if err != nil {
				return err
			} else if !ok {
				return copydesk.Errorf(copydesk.ENOTFOUND, "%s %q not found in customer %q", owner.what, owner.id, b.CustomerID)
			}
		}
		got, err := s.scanBudget(q.QueryRow(ctx, `
			INSERT INTO budgets (customer_id, user_id, limit_micros, alert_percent, warning_percent, period, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (customer_id, user_id) DO UPDATE SET limit_micros = excluded.limit_micros,
				alert_percent = excluded.alert_percent, warning_percent = excluded.warning_percent,
				updated_at = excluded.updated_at
			RETURNING `+budgetColumns,
			b.CustomerID, b.Scope(), b.Limit, b.AlertPercent, b.WarningPercent, copydesk.BudgetPeriod(now), s.dialect.Time(b.UpdatedAt)))
		if err != nil {
			return err
		}
		*b = *got
		return nil
	})
}

// FindBudget returns a budget. Returns ENOTFOUND if none is set.
func (s *Store) FindBudget(ctx context.Context, customerID, userID string) (*copydesk.Budget, error) {
	b, err := s.scanBudget(s.read.QueryRow(ctx, `SELECT `+budgetColumns+` FROM budgets
		WHERE customer_id = ? AND user_id = ?`, customerID, userID))
	if errors.Is(err, ErrNoRows) {
		return nil, noBudget(customerID, userID)
	}
	return b, err
}

func noBudget(customerID, scope string) error {
	return copydesk.Errorf(copydesk.ENOTFOUND, "no budget set for customer %q user %q", customerID, scope)
}

// DeleteBudget removes a budget. Returns ENOTFOUND if none is set.
func (s *Store) DeleteBudget(ctx context.Context, customerID, userID string) error {
	return s.write(ctx, func(q Querier) error {
		n, err := q.Exec(ctx, `DELETE FROM budgets WHERE customer_id = ? AND user_id = ?`, customerID, userID)
		if err == nil && n == 0 {
			return noBudget(customerID, userID)
		}
		return err
	})
}

// reserveSQL reserves an amount on one budget if it stays within the limit,
// rolling the period over (spent and raised back to 0) in the same
// statement. It changes no row if the limit would be crossed or there is no
// budget. Arguments: period ×3, amount, now, customer, scope, period,
// amount.
//
// On PostgreSQL the UPDATE takes the row lock; a concurrent reservation
// waits for it and then re-checks the WHERE clause against the committed
// row (READ COMMITTED), so two reservations can never both fit into the
// same room. On SQLite the single writer serialises them.
const reserveSQL = `
	UPDATE budgets SET
		spent = CASE WHEN period = ? THEN spent ELSE 0 END,
		raised = CASE WHEN period = ? THEN raised ELSE 0 END,
		period = ?,
		reserved = reserved + ?,
		updated_at = ?
	WHERE customer_id = ? AND user_id = ?
		AND (CASE WHEN period = ? THEN spent ELSE 0 END) + reserved + ? <= limit_micros
	RETURNING ` + budgetColumns

// Reserve checks and reserves atomically. See copydesk.BudgetStore. The
// budget rows are changed in the order of Reservation.Scopes (sorted), in
// every method, so that concurrent transactions cannot deadlock.
func (s *Store) Reserve(ctx context.Context, r *copydesk.Reservation) (*copydesk.Budget, error) {
	now := s.clock()
	if err := r.Prepare(now); err != nil {
		return nil, err
	}
	var out *copydesk.Budget
	err := s.write(ctx, func(q Querier) error {
		var h held
		for _, scope := range r.Scopes() {
			on, b, err := s.reserveOn(ctx, q, r.CustomerID, scope, r.Amount, now)
			if err != nil {
				return err
			}
			h.set(r, scope, on)
			if scope == "" {
				out = b
			}
		}
		_, err := q.Exec(ctx, `INSERT INTO reservations (id, customer_id, user_id, key_id, amount, on_customer, on_user, on_key, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, r.CustomerID, r.UserID, r.KeyID, r.Amount, h.customer, h.user, h.key, s.dialect.Time(r.CreatedAt))
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// reserveOn reserves amount on one budget. It reports whether the budget
// exists (and now holds the amount); EBUDGETEXCEEDED if it exists and the
// amount does not fit.
func (s *Store) reserveOn(ctx context.Context, q Querier, customerID, scope string, amount copydesk.Micros, now time.Time) (bool, *copydesk.Budget, error) {
	period := copydesk.BudgetPeriod(now)
	b, err := s.scanBudget(q.QueryRow(ctx, reserveSQL, period, period, period, amount, s.dialect.Time(now), customerID, scope, period, amount))
	if err == nil {
		return true, b, nil
	} else if !errors.Is(err, ErrNoRows) {
		return false, nil, err
	}
	ok, err := exists(ctx, q, `SELECT COUNT(*) FROM budgets WHERE customer_id = ? AND user_id = ?`, customerID, scope)
	if err != nil || !ok {
		return false, nil, err
	}
	return false, nil, copydesk.BudgetExceeded(scope)
}

// settleSQL releases a reservation's amount on one budget and adds the
// actual cost to spent, rolling the period over first. Arguments: period,
// actual, period, period, amount ×3, now, customer, scope.
const settleSQL = `
	UPDATE budgets SET
		spent = (CASE WHEN period = ? THEN spent ELSE 0 END) + ?,
		raised = CASE WHEN period = ? THEN raised ELSE 0 END,
		period = ?,
		reserved = CASE WHEN reserved > ? THEN reserved - ? ELSE 0 END,
		updated_at = ?
	WHERE customer_id = ? AND user_id = ?
	RETURNING ` + budgetColumns

// takeReservation deletes an open reservation and returns it with the
// budgets it was counted on.
func (s *Store) takeReservation(ctx context.Context, q Querier, id string) (r copydesk.Reservation, h held, err error) {
	err = q.QueryRow(ctx, `DELETE FROM reservations WHERE id = ?
		RETURNING id, customer_id, user_id, key_id, amount, on_customer, on_user, on_key, created_at`, id).
		Scan(&r.ID, &r.CustomerID, &r.UserID, &r.KeyID, &r.Amount, &h.customer, &h.user, &h.key, s.dialect.ScanTime(&r.CreatedAt))
	if errors.Is(err, ErrNoRows) {
		return r, h, copydesk.Errorf(copydesk.ENOTFOUND, "reservation %q is not open (settled or released)", id)
	}
	return r, h, err
}

// Settle settles a reservation and appends the ledger row in one
// transaction. See copydesk.BudgetStore.
func (s *Store) Settle(ctx context.Context, reservationID string, actual copydesk.Micros, entry *copydesk.LedgerEntry) (*copydesk.Budget, error) {
	now := s.clock()
	if actual < 0 || actual > copydesk.MaxBudgetMicros {
		return nil, copydesk.Errorf(copydesk.EINVALID, "an actual cost must be between 0 and %d micro-units (got %d)", copydesk.MaxBudgetMicros, actual)
	}
	if entry == nil {
		return nil, copydesk.Errorf(copydesk.EINVALID, "settling needs a ledger entry")
	}
	var out *copydesk.Budget
	err := s.write(ctx, func(q Querier) error {
		r, h, err := s.takeReservation(ctx, q, reservationID)
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
		entry.At = s.dialect.Truncate(entry.At)
		period := copydesk.BudgetPeriod(now)
		for _, on := range heldOn(&r, h) {
			amount := r.Amount
			if !on.held {
				amount = 0 // the budget was created after the reservation
			}
			b, err := s.scanBudget(q.QueryRow(ctx, settleSQL, period, actual, period, period, amount, amount,
				s.dialect.Time(now), r.CustomerID, on.scope))
			if errors.Is(err, ErrNoRows) {
				continue
			} else if err != nil {
				return err
			}
			if on.scope == "" {
				out = b
			}
		}
		return InsertLedger(ctx, q, s.dialect, entry)
	})
	if err != nil {
		return nil, err
	}
	return out, CountRows(s.LedgerRows, 1, nil)
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
// order of r.Scopes (the lock order): the customer's, the key's, the user's.
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
func (s *Store) Release(ctx context.Context, reservationID string) error {
	now := s.clock()
	return s.write(ctx, func(q Querier) error {
		r, h, err := s.takeReservation(ctx, q, reservationID)
		if err != nil {
			return err
		}
		return s.releaseHeld(ctx, q, &r, h, now)
	})
}

// releaseHeld gives r's amount back to the budgets that hold it, the
// customer's first.
func (s *Store) releaseHeld(ctx context.Context, q Querier, r *copydesk.Reservation, h held, now time.Time) error {
	for _, on := range heldOn(r, h) {
		if !on.held {
			continue
		}
		if _, err := q.Exec(ctx, `UPDATE budgets SET reserved = CASE WHEN reserved > ? THEN reserved - ? ELSE 0 END, updated_at = ?
			WHERE customer_id = ? AND user_id = ?`, r.Amount, r.Amount, s.dialect.Time(now), r.CustomerID, on.scope); err != nil {
			return err
		}
	}
	return nil
}

// FindReservations returns the open (not expired) reservations created
// before before (all for a zero time), oldest first.
func (s *Store) FindReservations(ctx context.Context, before time.Time) ([]*copydesk.Reservation, error) {
	query, args := `SELECT id, customer_id, user_id, key_id, amount, created_at FROM reservations
		WHERE expired_at IS NULL ORDER BY created_at, id`, []any(nil)
	if !before.IsZero() {
		query, args = `SELECT id, customer_id, user_id, key_id, amount, created_at FROM reservations
		WHERE expired_at IS NULL AND created_at < ? ORDER BY created_at, id`, []any{s.dialect.Time(before)}
	}
	rows, err := s.read.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*copydesk.Reservation
	for rows.Next() {
		var r copydesk.Reservation
		if err := rows.Scan(&r.ID, &r.CustomerID, &r.UserID, &r.KeyID, &r.Amount, s.dialect.ScanTime(&r.CreatedAt)); err != nil {
			return nil, err
		}
		out = append(out, &r)
	}
	return out, rows.Err()
}

// ExpireReservation releases an open reservation's amount and keeps its
// record. See copydesk.BudgetStore.
func (s *Store) ExpireReservation(ctx context.Context, reservationID string) error {
	now := s.clock()
	return s.write(ctx, func(q Querier) error {
		var r copydesk.Reservation
		var h held
		// Marking it expired locks the row (a concurrent expiry waits, then
		// finds it expired) and returns the flags as they were.
		err := q.QueryRow(ctx, `UPDATE reservations SET expired_at = ? WHERE id = ? AND expired_at IS NULL
			RETURNING customer_id, user_id, key_id, amount, on_customer, on_user, on_key`, s.dialect.Time(now), reservationID).
			Scan(&r.CustomerID, &r.UserID, &r.KeyID, &r.Amount, &h.customer, &h.user, &h.key)
		if errors.Is(err, ErrNoRows) {
			return copydesk.Errorf(copydesk.ENOTFOUND, "reservation %q is not open", reservationID)
		} else if err != nil {
			return err
		}
		if _, err := q.Exec(ctx, `UPDATE reservations SET on_customer = ?, on_user = ?, on_key = ? WHERE id = ?`,
			false, false, false, reservationID); err != nil {
			return err
		}
		return s.releaseHeld(ctx, q, &r, h, now)
	})
}

// DeleteExpiredReservations forgets expired reservations. See
// copydesk.BudgetStore.
func (s *Store) DeleteExpiredReservations(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := s.write(ctx, func(q Querier) (err error) {
		n, err = q.Exec(ctx, `DELETE FROM reservations WHERE expired_at IS NOT NULL AND expired_at < ?`, s.dialect.Time(before))
		return err
	})
	return int(n), err
}

// MarkThresholds records thresholds as raised. See copydesk.BudgetStore.
func (s *Store) MarkThresholds(ctx context.Context, customerID, scope, period string, mask int) (int, error) {
	userID := scope // the user_id column holds the scope
	var prev int
	err := s.write(ctx, func(q Querier) error {
		var rowPeriod string
		err := q.QueryRow(ctx, `SELECT period, raised FROM budgets WHERE customer_id = ? AND user_id = ?`+s.dialect.ForUpdate(),
			customerID, userID).Scan(&rowPeriod, &prev)
		if errors.Is(err, ErrNoRows) {
			return noBudget(customerID, userID)
		} else if err != nil {
			return err
		}
		now := s.dialect.Time(s.clock())
		switch {
		case rowPeriod > period:
			prev = mask // a later period has begun: nothing of this one is news
			return nil
		case rowPeriod < period:
			prev = 0
			_, err = q.Exec(ctx, `UPDATE budgets SET period = ?, spent = 0, raised = ?, updated_at = ?
				WHERE customer_id = ? AND user_id = ?`, period, mask, now, customerID, userID)
		case mask&^prev != 0:
			_, err = q.Exec(ctx, `UPDATE budgets SET raised = raised | ?, updated_at = ?
				WHERE customer_id = ? AND user_id = ?`, mask, now, customerID, userID)
		}
		return err
	})
	return prev, err
}
