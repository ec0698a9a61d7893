package budget

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/groupcommit"
)

// Journal makes settled costs durable: each Charge waits until its row is
// committed, in one transaction with the charges of concurrent callers
// (group commit), so that N settlements cost about one write.
// ChargeLater queues a charge no answer waits on.
type Journal struct {
	w groupcommit.Writer[*copydesk.Charge]
}

// NewJournal returns a Journal writing through store; failures of charges
// queued with ChargeLater are logged to logger (nil: discarded).
func NewJournal(store copydesk.BudgetJournal, logger *slog.Logger) *Journal {
	j := &Journal{}
	j.w.Write = store.ChargeBudgets
	j.w.OnLaterError = func(c *copydesk.Charge, err error) {
		if logger != nil {
			logger.Error("ledger: a queued ledger row could not be written", "customer_id", c.CustomerID, "err", err)
		}
	}
	return j
}

// ChargeLater queues c to be written within groupcommit.LingerDefault
// with the rows that arrive meanwhile, and returns at once.
func (j *Journal) ChargeLater(c *copydesk.Charge) { j.w.AddLater(c) }

// Flush writes every queued charge; call it before the store closes.
func (j *Journal) Flush(ctx context.Context) error { return j.w.Flush(ctx) }

// Charge adds c.Amount to the spent amounts of c's budgets and appends its
// ledger row; it returns once they are committed. Returns EINVALID for a
// bad charge.
func (j *Journal) Charge(ctx context.Context, c *copydesk.Charge) error {
	return j.w.Add(ctx, c)
}

// MemoryStore is what Memory needs of the durable store.
type MemoryStore interface {
	copydesk.BudgetStore
	copydesk.BudgetJournal
}

// RefreshDefault is how long Memory trusts a budget's limit and
// thresholds (or its absence) read from the store.
const RefreshDefault = 2 * time.Second

// Memory is a copydesk.BudgetStore that keeps budgets' spent and reserved
// amounts in this process: a reservation is a check and an addition under
// a lock, with no store round trip, and the actual cost of a settled call
// is made durable through the Journal (spent and the ledger row in one
// transaction, group-committed) before Settle returns. Budgets are read from
// the store when first used; their limits and thresholds are read again
// every Refresh, so that a budget set by another process (the admin
// command) applies within it. Budgets set through Memory apply at once.
//
// Use it only where this process is the only one spending the store's
// budgets: the embedded mode, whose data directory one process locks.
// Reservations live only in memory: a crash releases them (the calls they
// guarded died with the process). Threshold marks are written through to
// the store. Safe for concurrent use.
type Memory struct {
	store   MemoryStore
	journal *Journal
	clock   copydesk.Clock
	refresh time.Duration
	logger  *slog.Logger

	reads singleflight.Group // store reads of stale budgets, by key

	mu      sync.Mutex
	budgets map[budgetKey]*memBudget
	res     map[string]*memReservation
}

// budgetKey names a budget: its customer and its scope ("", a user's or an
// API key's ID; see copydesk.Budget.Scope).
type budgetKey struct{ customer, user string }

// memBudget is one budget as this process knows it: b's limit and
// thresholds from the store (read at readAt), its spent, reserved, period
// and raised kept here. exists is false for a remembered absence.
type memBudget struct {
	b      copydesk.Budget
	exists bool
	readAt time.Time
}

// memReservation is an open or expired reservation.
type memReservation struct {
	r         copydesk.Reservation
	on        []string // the scopes of the budgets that hold its amount
	expiredAt time.Time
}

var _ copydesk.BudgetStore = (*Memory)(nil)

// MemoryOptions configures a Memory. The zero value is usable.
type MemoryOptions struct {
	// Journal writes the charges; default NewJournal(store).
	Journal *Journal
	// Clock tells periods and refreshes. Default copydesk.SystemClock.
	Clock copydesk.Clock
	// Refresh is how long a budget read from the store is trusted.
	// Default RefreshDefault.
	Refresh time.Duration
	// Logger receives failed threshold writes. Default: discard.
	Logger *slog.Logger
}

// NewMemory returns a Memory over store.
func NewMemory(store MemoryStore, opts MemoryOptions) *Memory {
	m := &Memory{store: store, journal: opts.Journal, clock: cmp.Or[copydesk.Clock](opts.Clock, copydesk.SystemClock{}),
		refresh: cmp.Or(opts.Refresh, RefreshDefault), logger: opts.Logger,
		budgets: make(map[budgetKey]*memBudget), res: make(map[string]*memReservation)}
	if m.journal == nil {
		m.journal = NewJournal(store, opts.Logger)
	}
	if m.logger == nil {
		m.logger = slog.New(slog.DiscardHandler)
	}
	return m
}

// entry returns the budget of key, reading the store when it is unknown or
// older than Refresh. Concurrent callers that find it stale share one read
// (each used to read it: every call in flight when the refresh came due).
// The caller holds no lock; the returned entry's fields may be read and
// changed only under m.mu.
func (m *Memory) entry(ctx context.Context, key budgetKey) (*memBudget, error) {
	m.mu.Lock()
	e := m.budgets[key]
	fresh := e != nil && m.clock.Now().Sub(e.readAt) < m.refresh
	m.mu.Unlock()
	if fresh {
		return e, nil
	}
	// The read outlives a caller that gives up: the others wait on it.
	ch := m.reads.DoChan(key.customer+"\x00"+key.user, func() (any, error) {
		return m.read(context.WithoutCancel(ctx), key)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			if e != nil {
				return e, nil // the store failed: go on with what is known
			}
			return nil, r.Err
		}
		return r.Val.(*memBudget), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// read reads key's budget from the store into its entry.
func (m *Memory) read(ctx context.Context, key budgetKey) (*memBudget, error) {
	now := m.clock.Now()
	got, err := m.store.FindBudget(ctx, key.customer, key.user)
	if err != nil && copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.budgets[key]
	if e == nil {
		e = &memBudget{}
		m.budgets[key] = e
	}
	m.install(e, got, now)
	return e, nil
}

// install merges a read of the store (nil: no budget) into e. Under m.mu.
func (m *Memory) install(e *memBudget, got *copydesk.Budget, now time.Time) {
	e.readAt = now
	switch {
	case got == nil:
		e.exists = false
		e.b = copydesk.Budget{}
	case !e.exists:
		// New here: its spent comes from the store. (A call settling at
		// this very moment on a budget just created may be counted by the
		// store only; a budget set before the traffic is exact.)
		e.b, e.exists = *got, true
		e.b.Reserved = 0
	default:
		// Known: the store says only what the operator may change.
		e.b.Limit, e.b.AlertPercent, e.b.WarningPercent, e.b.UpdatedAt = got.Limit, got.AlertPercent, got.WarningPercent, got.UpdatedAt
	}
}

// rollOver starts a new period on b if period is newer. Under m.mu.
func rollOver(b *copydesk.Budget, period string) {
	if b.Period < period {
		b.Period, b.Spent, b.Raised = period, 0, 0
	}
}

// SetBudget sets a budget in the store and here. See copydesk.BudgetStore.
func (m *Memory) SetBudget(ctx context.Context, b *copydesk.Budget) error {
	if err := m.store.SetBudget(ctx, b); err != nil {
		return err
	}
	key := budgetKey{b.CustomerID, b.Scope()}
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.budgets[key]
	if e == nil {
		e = &memBudget{}
		m.budgets[key] = e
	}
	m.install(e, b, m.clock.Now())
	*b = e.b
	return nil
}

// FindBudget returns a budget as this process knows it (reserved
// included). See copydesk.BudgetStore.
func (m *Memory) FindBudget(ctx context.Context, customerID, userID string) (*copydesk.Budget, error) {
	e, err := m.entry(ctx, budgetKey{customerID, userID})
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !e.exists {
		return nil, copydesk.Errorf(copydesk.ENOTFOUND, "no budget set for customer %q user %q", customerID, userID)
	}
	b := e.b
	return &b, nil
}

// DeleteBudget deletes a budget in the store and here. See
// copydesk.BudgetStore.
func (m *Memory) DeleteBudget(ctx context.Context, customerID, userID string) error {
	if err := m.store.DeleteBudget(ctx, customerID, userID); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if e := m.budgets[budgetKey{customerID, userID}]; e != nil {
		m.install(e, nil, m.clock.Now())
	}
	return nil
}

// Reserve checks and reserves in memory. See copydesk.BudgetStore.
func (m *Memory) Reserve(ctx context.Context, r *copydesk.Reservation) (*copydesk.Budget, error) {
	now := m.clock.Now()
	if err := r.Prepare(now); err != nil {
		return nil, err
	}
	scopes := r.Scopes()
	entries := make([]*memBudget, len(scopes))
	for i, scope := range scopes {
		e, err := m.entry(ctx, budgetKey{r.CustomerID, scope})
		if err != nil {
			return nil, err
		}
		entries[i] = e
	}
	period := copydesk.BudgetPeriod(now)
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, dup := m.res[r.ID]; dup {
		return nil, copydesk.Errorf(copydesk.ECONFLICT, "reservation %q already exists", r.ID)
	}
	for i, e := range entries {
		if !e.exists {
			continue
		}
		rollOver(&e.b, period)
		if e.b.Spent+e.b.Reserved+r.Amount > e.b.Limit {
			return nil, copydesk.BudgetExceeded(scopes[i])
		}
	}
	mr := &memReservation{r: *r}
	for i, e := range entries {
		if e.exists {
			e.b.Reserved += r.Amount
			mr.on = append(mr.on, scopes[i])
		}
	}
	m.res[r.ID] = mr
	if ce := entries[0]; ce.exists {
		b := ce.b
		return &b, nil
	}
	return nil, nil
}

// take removes an open or expired reservation. Under m.mu.
func (m *Memory) take(id string) (*memReservation, error) {
	mr := m.res[id]
	if mr == nil {
		return nil, copydesk.Errorf(copydesk.ENOTFOUND, "reservation %q is not open (settled or released)", id)
	}
	delete(m.res, id)
	return mr, nil
}

// release gives mr's held amount back. Under m.mu.
func (m *Memory) release(mr *memReservation) {
	for _, scope := range mr.on {
		if e := m.budgets[budgetKey{mr.r.CustomerID, scope}]; e != nil && e.exists {
			e.b.Reserved = max(e.b.Reserved-mr.r.Amount, 0)
		}
	}
	mr.on = nil
}

// Settle settles a reservation: the actual cost is added to spent here
// at once and made durable (with the ledger row) before it returns. See
// copydesk.BudgetStore.
func (m *Memory) Settle(ctx context.Context, reservationID string, actual copydesk.Micros, entry *copydesk.LedgerEntry) (*copydesk.Budget, error) {
	if actual < 0 || actual > copydesk.MaxBudgetMicros {
		return nil, copydesk.Errorf(copydesk.EINVALID, "an actual cost must be between 0 and %d micro-units (got %d)", copydesk.MaxBudgetMicros, actual)
	}
	if entry == nil {
		return nil, copydesk.Errorf(copydesk.EINVALID, "settling needs a ledger entry")
	}
	now := m.clock.Now()
	period := copydesk.BudgetPeriod(now)
	m.mu.Lock()
	mr, err := m.take(reservationID)
	if err != nil {
		m.mu.Unlock()
		return nil, err
	}
	r := mr.r
	entry.CustomerID = cmp.Or(entry.CustomerID, r.CustomerID)
	entry.UserID = cmp.Or(entry.UserID, r.UserID)
	entry.KeyID = cmp.Or(entry.KeyID, r.KeyID)
	if entry.CustomerID != r.CustomerID {
		m.res[reservationID] = mr
		m.mu.Unlock()
		return nil, copydesk.Errorf(copydesk.EINVALID, "ledger entry customer %q differs from the reservation's %q", entry.CustomerID, r.CustomerID)
	}
	entry.ReservationID = r.ID
	m.release(mr)
	// The cost counts on every budget that exists now, held or not (one
	// set after the reservation too), as the store's Settle does.
	var out *copydesk.Budget
	for _, uid := range r.Scopes() {
		e := m.budgets[budgetKey{r.CustomerID, uid}]
		if e == nil || !e.exists {
			continue
		}
		rollOver(&e.b, period)
		e.b.Spent += actual
		e.b.UpdatedAt = now
		if uid == "" {
			b := e.b
			out = &b
		}
	}
	m.mu.Unlock()
	err = m.journal.Charge(ctx, &copydesk.Charge{CustomerID: r.CustomerID, UserID: r.UserID, KeyID: r.KeyID, Period: period, Amount: actual, Entry: entry})
	return out, err
}

// Release gives a reservation back. See copydesk.BudgetStore.
func (m *Memory) Release(ctx context.Context, reservationID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	mr, err := m.take(reservationID)
	if err != nil {
		return err
	}
	if !mr.expiredAt.IsZero() {
		return copydesk.Errorf(copydesk.ENOTFOUND, "reservation %q is not open (settled or released)", reservationID)
	}
	m.release(mr)
	return nil
}

// FindReservations returns the open reservations created before before.
// See copydesk.BudgetStore.
func (m *Memory) FindReservations(ctx context.Context, before time.Time) ([]*copydesk.Reservation, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*copydesk.Reservation
	for _, mr := range m.res {
		if mr.expiredAt.IsZero() && (before.IsZero() || mr.r.CreatedAt.Before(before)) {
			r := mr.r
			out = append(out, &r)
		}
	}
	sortReservations(out)
	return out, nil
}

// ExpireReservation releases an open reservation's amount and keeps its
// record. See copydesk.BudgetStore.
func (m *Memory) ExpireReservation(ctx context.Context, reservationID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	mr := m.res[reservationID]
	if mr == nil || !mr.expiredAt.IsZero() {
		return copydesk.Errorf(copydesk.ENOTFOUND, "reservation %q is not open", reservationID)
	}
	m.release(mr)
	mr.expiredAt = m.clock.Now()
	return nil
}

// DeleteExpiredReservations forgets reservations expired before before.
// See copydesk.BudgetStore.
func (m *Memory) DeleteExpiredReservations(ctx context.Context, before time.Time) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for id, mr := range m.res {
		if !mr.expiredAt.IsZero() && mr.expiredAt.Before(before) {
			delete(m.res, id)
			n++
		}
	}
	return n, nil
}

// MarkThresholds records thresholds as raised here and in the store. See
// copydesk.BudgetStore.
func (m *Memory) MarkThresholds(ctx context.Context, customerID, userID, period string, mask int) (int, error) {
	e, err := m.entry(ctx, budgetKey{customerID, userID})
	if err != nil {
		return 0, err
	}
	m.mu.Lock()
	if !e.exists {
		m.mu.Unlock()
		return 0, copydesk.Errorf(copydesk.ENOTFOUND, "no budget set for customer %q user %q", customerID, userID)
	}
	if e.b.Period > period {
		m.mu.Unlock()
		return mask, nil
	}
	rollOver(&e.b, period)
	prev := e.b.Raised
	e.b.Raised |= mask
	m.mu.Unlock()
	if mask&^prev != 0 {
		if _, err := m.store.MarkThresholds(ctx, customerID, userID, period, mask); err != nil && copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
			m.logger.Warn("budget: recording a threshold in the store failed", "customer_id", customerID, "user_id", userID, "err", err)
		}
	}
	return prev, nil
}

// sortReservations orders reservations oldest first, then by id.
func sortReservations(rs []*copydesk.Reservation) {
	slices.SortFunc(rs, func(a, b *copydesk.Reservation) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
}
