package postgres

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

var _ copydesk.BudgetStore = (*DB)(nil)

const budgetColumns = `customer_id, user_id, limit_micros, alert_percent, warning_percent, period, spent, reserved, raised, updated_at`

func scanBudget(row pgx.Row) (*copydesk.Budget, error) {
	var b copydesk.Budget
	var scope string
	if err := row.Scan(&b.CustomerID, &scope, &b.Limit, &b.AlertPercent, &b.WarningPercent,
		&b.Period, &b.Spent, &b.Reserved, &b.Raised, &b.UpdatedAt); err != nil {
		return nil, err
	}
	b.UpdatedAt = b.UpdatedAt.UTC()
	b.SetScope(scope) // the user_id column holds a user's or an API key's ID
	return &b, nil
}

// SetBudget creates or changes a budget's limit and thresholds. See
// copydesk.BudgetStore.
func (db *DB) SetBudget(ctx context.Context, b *copydesk.Budget) error {
	now := db.now()
	if err := b.Prepare(now); err != nil {
		return err
	}
	return db.writeTx(ctx, func(tx pgx.Tx) error {
		if ok, err := exists(ctx, tx, `SELECT 1 FROM customers WHERE id = $1`, b.CustomerID); err != nil {
			return err
		} else if !ok {
			return copydesk.Errorf(copydesk.ENOTFOUND, "customer %q not found", b.CustomerID)
		}
		for _, owner := range []struct{ table, id, what string }{{"users", b.UserID, "user"}, {"api_keys", b.KeyID, "API key"}} {
			if owner.id == "" {
				continue
			}
			if ok, err := exists(ctx, tx, `SELECT 1 FROM `+owner.table+` WHERE id = $1 AND customer_id = $2`, owner.id, b.CustomerID); err != nil {
				return err
			} else if !ok {
				return copydesk.Errorf(copydesk.ENOTFOUND, "%s %q not found in customer %q", owner.what, owner.id, b.CustomerID)
			}
		}
		got, err := scanBudget(tx.QueryRow(ctx, `
			INSERT INTO budgets (customer_id, user_id, limit_micros, alert_percent, warning_percent, period, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (customer_id, user_id) DO UPDATE SET limit_micros = excluded.limit_micros,
				alert_percent = excluded.alert_percent, warning_percent = excluded.warning_percent,
				updated_at = excluded.updated_at
			RETURNING `+budgetColumns,
			b.CustomerID, b.Scope(), b.Limit, b.AlertPercent, b.WarningPercent, copydesk.BudgetPeriod(now), b.UpdatedAt))
		if err != nil {
			return translate(err)
		}
		*b = *got
		return nil
	})
}

// FindBudget returns a budget. Returns ENOTFOUND if none is set.
func (db *DB) FindBudget(ctx context.Context, customerID, userID string) (*copydesk.Budget, error) {
	b, err := scanBudget(db.pool.QueryRow(ctx, `SELECT `+budgetColumns+` FROM budgets
		WHERE customer_id = $1 AND user_id = $2`, customerID, userID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, copydesk.Errorf(copydesk.ENOTFOUND, "no budget set for customer %q user %q", customerID, userID)
	}
	return b, translate(err)
}

// DeleteBudget removes a budget. Returns ENOTFOUND if none is set.
func (db *DB) DeleteBudget(ctx context.Context, customerID, userID string) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM budgets WHERE customer_id = $1 AND user_id = $2`, customerID, userID)
	if err != nil {
		return translate(err)
	}
	if tag.RowsAffected() == 0 {
		return copydesk.Errorf(copydesk.ENOTFOUND, "no budget set for customer %q user %q", customerID, userID)
	}
	return nil
}

// reserveSQL reserves amount on one budget if it stays within the limit,
// rolling the period over in the same statement. The UPDATE takes the row
// lock; a concurrent reservation waits for it and then re-checks the WHERE
// clause against the committed row (READ COMMITTED), so two reservations can
// never both fit into the same room.
const reserveSQL = `
	UPDATE budgets SET
		spent = CASE WHEN period = $1 THEN spent ELSE 0 END,
		raised = CASE WHEN period = $1 THEN raised ELSE 0 END,
		period = $1,
		reserved = reserved + $2,
		updated_at = $3
	WHERE customer_id = $4 AND user_id = $5
		AND (CASE WHEN period = $1 THEN spent ELSE 0 END) + reserved + $2 <= limit_micros
	RETURNING ` + budgetColumns

// Reserve checks and reserves atomically. See copydesk.BudgetStore. The
// budget rows are locked in the order of Reservation.Scopes (the customer's,
// the key's, the user's: sorted), in every method, so that concurrent calls
// cannot deadlock.
func (db *DB) Reserve(ctx context.Context, r *copydesk.Reservation) (*copydesk.Budget, error) {
	now := db.now()
	if err := r.Prepare(now); err != nil {
		return nil, err
	}
	var out *copydesk.Budget
	err := db.writeTx(ctx, func(tx pgx.Tx) error {
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
		_, err := tx.Exec(ctx, `INSERT INTO reservations (id, customer_id, user_id, key_id, amount, on_customer, on_user, on_key, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, r.ID, r.CustomerID, r.UserID, r.KeyID, r.Amount, h.customer, h.user, h.key, r.CreatedAt)
		return translate(err)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func reserveOn(ctx context.Context, tx pgx.Tx, customerID, scope string, amount copydesk.Micros, now time.Time) (bool, *copydesk.Budget, error) {
	b, err := scanBudget(tx.QueryRow(ctx, reserveSQL, copydesk.BudgetPeriod(now), amount, now, customerID, scope))
	if err == nil {
		return true, b, nil
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return false, nil, translate(err)
	}
	ok, err := exists(ctx, tx, `SELECT 1 FROM budgets WHERE customer_id = $1 AND user_id = $2`, customerID, scope)
	if err != nil || !ok {
		return false, nil, err
	}
	return false, nil, copydesk.BudgetExceeded(scope)
}

const settleSQL = `
	UPDATE budgets SET
		spent = (CASE WHEN period = $1 THEN spent ELSE 0 END) + $2,
		raised = CASE WHEN period = $1 THEN raised ELSE 0 END,
		period = $1,
		reserved = GREATEST(reserved - $3, 0),
		updated_at = $4
	WHERE customer_id = $5 AND user_id = $6
	RETURNING ` + budgetColumns

func takeReservation(ctx context.Context, tx pgx.Tx, id string) (r copydesk.Reservation, h held, err error) {
	err = tx.QueryRow(ctx, `DELETE FROM reservations WHERE id = $1
		RETURNING id, customer_id, user_id, key_id, amount, on_customer, on_user, on_key, created_at`, id).
		Scan(&r.ID, &r.CustomerID, &r.UserID, &r.KeyID, &r.Amount, &h.customer, &h.user, &h.key, &r.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, h, copydesk.Errorf(copydesk.ENOTFOUND, "reservation %q is not open (settled or released)", id)
	}
	r.CreatedAt = r.CreatedAt.UTC()
	return r, h, translate(err)
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

// Settle settles a reservation and appends the ledger row in one
// transaction. See copydesk.BudgetStore.
func (db *DB) Settle(ctx context.Context, reservationID string, actual copydesk.Micros, entry *copydesk.LedgerEntry) (*copydesk.Budget, error) {
	now := db.now()
	if actual < 0 || actual > copydesk.MaxBudgetMicros {
		return nil, copydesk.Errorf(copydesk.EINVALID, "an actual cost must be between 0 and %d micro-units (got %d)", copydesk.MaxBudgetMicros, actual)
	}
	if entry == nil {
		return nil, copydesk.Errorf(copydesk.EINVALID, "settling needs a ledger entry")
	}
	var out *copydesk.Budget
	err := db.writeTx(ctx, func(tx pgx.Tx) error {
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
		entry.At = pgTime(entry.At)
		for _, on := range heldOn(&r, h) {
			amount := r.Amount
			if !on.held {
				amount = 0
			}
			b, err := scanBudget(tx.QueryRow(ctx, settleSQL, copydesk.BudgetPeriod(now), actual, amount, now, r.CustomerID, on.scope))
			if errors.Is(err, pgx.ErrNoRows) {
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

// Release releases a reservation. Returns ENOTFOUND if it is not open.
func (db *DB) Release(ctx context.Context, reservationID string) error {
	now := db.now()
	return db.writeTx(ctx, func(tx pgx.Tx) error {
		r, h, err := takeReservation(ctx, tx, reservationID)
		if err != nil {
			return err
		}
		return releaseHeld(ctx, tx, &r, h, now)
	})
}

// releaseHeld gives r's amount back to the budgets that hold it, the
// customer's first.
func releaseHeld(ctx context.Context, tx pgx.Tx, r *copydesk.Reservation, h held, now time.Time) error {
	for _, on := range heldOn(r, h) {
		if !on.held {
			continue
		}
		if _, err := tx.Exec(ctx, `UPDATE budgets SET reserved = GREATEST(reserved - $1, 0), updated_at = $2
			WHERE customer_id = $3 AND user_id = $4`, r.Amount, now, r.CustomerID, on.scope); err != nil {
			return translate(err)
		}
	}
	return nil
}

// ExpireReservation releases an open reservation's amount and keeps its
// record. See copydesk.BudgetStore.
func (db *DB) ExpireReservation(ctx context.Context, reservationID string) error {
	now := db.now()
	return db.writeTx(ctx, func(tx pgx.Tx) error {
		var r copydesk.Reservation
		var h held
		// The old flags, then clear them: one statement, the row locked.
		err := tx.QueryRow(ctx, `UPDATE reservations n SET on_customer = false, on_user = false, on_key = false, expired_at = $1
			FROM reservations o WHERE n.id = $2 AND o.id = n.id AND n.expired_at IS NULL
			RETURNING n.customer_id, n.user_id, n.key_id, n.amount, o.on_customer, o.on_user, o.on_key`, now, reservationID).
			Scan(&r.CustomerID, &r.UserID, &r.KeyID, &r.Amount, &h.customer, &h.user, &h.key)
		if errors.Is(err, pgx.ErrNoRows) {
			return copydesk.Errorf(copydesk.ENOTFOUND, "reservation %q is not open", reservationID)
		} else if err != nil {
			return translate(err)
		}
		return releaseHeld(ctx, tx, &r, h, now)
	})
}

// DeleteExpiredReservations forgets expired reservations. See
// copydesk.BudgetStore.
func (db *DB) DeleteExpiredReservations(ctx context.Context, before time.Time) (int, error) {
	tag, err := db.pool.Exec(ctx, `DELETE FROM reservations WHERE expired_at IS NOT NULL AND expired_at < $1`, pgTime(before))
	if err != nil {
		return 0, translate(err)
	}
	return int(tag.RowsAffected()), nil
}

// FindReservations returns the open (not expired) reservations created
// before before (all for a zero time), oldest first.
func (db *DB) FindReservations(ctx context.Context, before time.Time) ([]*copydesk.Reservation, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, customer_id, user_id, key_id, amount, created_at FROM reservations
		WHERE expired_at IS NULL AND ($1::timestamptz IS NULL OR created_at < $1) ORDER BY created_at, id`, nullTimestamp(before))
	if err != nil {
		return nil, translate(err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*copydesk.Reservation, error) {
		var r copydesk.Reservation
		err := row.Scan(&r.ID, &r.CustomerID, &r.UserID, &r.KeyID, &r.Amount, &r.CreatedAt)
		r.CreatedAt = r.CreatedAt.UTC()
		return &r, err
	})
	return out, translate(err)
}

func nullTimestamp(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// MarkThresholds records thresholds as raised. See copydesk.BudgetStore.
func (db *DB) MarkThresholds(ctx context.Context, customerID, scope, period string, mask int) (int, error) {
	userID := scope // the user_id column holds the scope
	var prev int
	err := db.writeTx(ctx, func(tx pgx.Tx) error {
		var rowPeriod string
		err := tx.QueryRow(ctx, `SELECT period, raised FROM budgets WHERE customer_id = $1 AND user_id = $2 FOR UPDATE`,
			customerID, userID).Scan(&rowPeriod, &prev)
		if errors.Is(err, pgx.ErrNoRows) {
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
			_, err = tx.Exec(ctx, `UPDATE budgets SET period = $1, spent = 0, raised = $2, updated_at = $3
				WHERE customer_id = $4 AND user_id = $5`, period, mask, db.now(), customerID, userID)
		case mask&^prev != 0:
			_, err = tx.Exec(ctx, `UPDATE budgets SET raised = raised | $1, updated_at = $2
				WHERE customer_id = $3 AND user_id = $4`, mask, db.now(), customerID, userID)
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
	return db.batched(ctx, func(b *pgx.Batch, res *opResult) {
		for _, k := range keys {
			b.Queue(chargeSQL, k.period, sums[k], now, k.customer, k.user).Exec(func(pgconn.CommandTag) error { return nil })
		}
		sql, args := insertLedgersSQL(entries)
		b.Queue(sql, args...).Exec(func(pgconn.CommandTag) error { return nil })
	})
}
