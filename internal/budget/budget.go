// Package budget enforces customers' monthly budgets around provider calls:
// reserve the call's maximum cost before it is made, settle the actual cost
// (and write the ledger row) afterwards, release what a failed call did not
// use, and sweep reservations of calls that crashed. It raises each threshold
// event (alert, warning, hard) once per budget and calendar month.
//
// The atomicity lives in the store (copydesk.BudgetStore): the check and the
// reservation are one conditional UPDATE, so concurrent calls can never spend
// past the hard limit. This package adds the policy around it.
//
// A call goes:
//
//	r, events, err := svc.Reserve(ctx, customerID, userID, maxCost) // 402 budget_exceeded on refusal
//	resp, err := provider.Call(...)
//	if err != nil { svc.Release(ctx, r); return err }
//	events, err = svc.Settle(ctx, r, actualCost, &copydesk.LedgerEntry{...})
package budget

import (
	"cmp"
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// Event is a threshold crossed by a budget. Each (budget, period, level) is
// raised once.
type Event = copydesk.BudgetEvent

// Options configures a Service. The zero value is usable.
type Options struct {
	// Clock tells the time of periods and sweeps. Default: copydesk.SystemClock.
	// Give the store the same clock.
	Clock copydesk.Clock
	// Logger receives overruns and sweeps. Default: discard.
	Logger *slog.Logger
	// Journal settles the calls no budget guards (their ledger rows, and
	// the spent of a budget set meanwhile). Default: NewJournal(store) when
	// the store is a copydesk.BudgetJournal; without one every call takes a
	// store reservation.
	Journal *Journal
	// KnownTTL is how long the service trusts that a customer or user has
	// no budget before asking the store again: a budget set through the
	// service applies at once, one set by another process within KnownTTL.
	// Default RefreshDefault.
	KnownTTL time.Duration
	// DurableLedger makes the ledger row of a call no budget guards durable
	// before the call returns. Without it the row is written within
	// groupcommit.LingerDefault with the rows of other calls: a crash may
	// lose the last of them, never money a budget counts (guarded calls
	// are always durable).
	DurableLedger bool
}

var _ copydesk.BudgetService = (*Service)(nil)

// Service is the reserve-then-settle service over a copydesk.BudgetStore,
// implementing copydesk.BudgetService. It is safe for concurrent use.
type Service struct {
	store    copydesk.BudgetStore
	clock    copydesk.Clock
	logger   *slog.Logger
	journal  *Journal
	knownTTL time.Duration
	durable  bool

	reads singleflight.Group // store reads of whether a budget exists, by key
	mu    sync.Mutex
	gen   uint64 // bumped by every budget change made through the service
	known map[budgetKey]knownBudget

	sigMu      sync.Mutex
	settledSig map[string]chan struct{} // closed at a customer's next settlement
	turns      map[string]chan struct{} // a customer's waiting calls, in order
}

// knownBudget remembers whether a budget exists.
type knownBudget struct {
	exists bool
	at     time.Time
}

// New returns a Service over store.
func New(store copydesk.BudgetStore, opts Options) *Service {
	s := &Service{store: store, clock: cmp.Or[copydesk.Clock](opts.Clock, copydesk.SystemClock{}), logger: opts.Logger,
		journal: opts.Journal, knownTTL: cmp.Or(opts.KnownTTL, RefreshDefault), durable: opts.DurableLedger}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if j, ok := store.(copydesk.BudgetJournal); ok && s.journal == nil {
		s.journal = NewJournal(j, s.logger)
	}
	return s
}

// Payer names the budgets a call counts on: its customer's and, when set,
// its user's and the API key's it was made with.
type Payer struct {
	CustomerID, UserID, KeyID string
}

// scopes returns the scopes of p's budgets (see copydesk.Budget.Scope).
func (p Payer) scopes() []string { return copydesk.ChargeScopes(p.UserID, p.KeyID) }

// guarded reports whether a budget may apply to a call of p: one of its
// budgets exists (or the store could not say). Absences are remembered for
// KnownTTL.
func (s *Service) guarded(ctx context.Context, p Payer) bool {
	if s.journal == nil {
		return true
	}
	for _, scope := range p.scopes() {
		if s.exists(ctx, budgetKey{p.CustomerID, scope}) {
			return true
		}
	}
	return false
}

func (s *Service) exists(ctx context.Context, key budgetKey) bool {
	now := s.clock.Now()
	s.mu.Lock()
	k, ok := s.known[key]
	gen := s.gen
	s.mu.Unlock()
	if ok && now.Sub(k.at) < s.knownTTL {
		return k.exists
	}
	// Concurrent callers share one read; it outlives a caller that gives up.
	ch := s.reads.DoChan(key.customer+"\x00"+key.user, func() (any, error) {
		_, err := s.store.FindBudget(context.WithoutCancel(ctx), key.customer, key.user)
		return nil, err
	})
	var err error
	select {
	case r := <-ch:
		err = r.Err
	case <-ctx.Done():
		return true // unknown: let the store decide
	}
	switch copydesk.ErrorCode(err) {
	case "":
		k = knownBudget{exists: true, at: now}
	case copydesk.ENOTFOUND:
		k = knownBudget{exists: false, at: now}
	default:
		return true // unknown: let the store decide
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gen == gen {
		if s.known == nil || len(s.known) >= cacheMaxKnown {
			s.known = make(map[budgetKey]knownBudget)
		}
		s.known[key] = k
	}
	return k.exists
}

// cacheMaxKnown bounds the remembered budget existences.
const cacheMaxKnown = 100_000

// forget drops what the service knows of budgets' existence.
func (s *Service) forget() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	s.known = nil
}

// SetBudget creates or changes a budget (see copydesk.BudgetStore); it
// applies to the next call at once.
func (s *Service) SetBudget(ctx context.Context, b *copydesk.Budget) error {
	defer s.forget()
	return s.store.SetBudget(ctx, b)
}

// FindBudget returns the budget of scope (see copydesk.BudgetStore).
func (s *Service) FindBudget(ctx context.Context, customerID, scope string) (*copydesk.Budget, error) {
	return s.store.FindBudget(ctx, customerID, scope)
}

// DeleteBudget removes the budget of scope (see copydesk.BudgetStore).
func (s *Service) DeleteBudget(ctx context.Context, customerID, scope string) error {
	defer s.forget()
	return s.store.DeleteBudget(ctx, customerID, scope)
}

// Reserve reserves estimate (the call's maximum cost, e.g. from
// router.Service.MaxCost) on the customer's budget and, when userID has
// one, the user's. Returns EINVALID for a missing customer or a negative
// estimate, and EBUDGETEXCEEDED if a hard limit would be crossed: with a
// Retry-After until the next calendar month when the spending alone leaves
// no room for it, or of a few seconds when calls in flight hold the rest
// (their settlements give back what they did not use). A refusal raises no
// threshold event: those follow the spending (see Settle and Exhausted).
// When no budget applies to the customer or the user (and the service has
// a journal), nothing is reserved: the Reservation's ID is empty, and
// Settle only writes the call's ledger row.
func (s *Service) Reserve(ctx context.Context, customerID, userID string, estimate copydesk.Micros) (copydesk.Reservation, []Event, error) {
	return s.ReserveFor(ctx, Payer{CustomerID: customerID, UserID: userID}, estimate)
}

// ReserveFor is Reserve for a payer that may include an API key: the key's
// budget, when it has one, must hold the estimate too.
func (s *Service) ReserveFor(ctx context.Context, p Payer, estimate copydesk.Micros) (copydesk.Reservation, []Event, error) {
	r := copydesk.Reservation{CustomerID: p.CustomerID, UserID: p.UserID, KeyID: p.KeyID, Amount: estimate}
	if p.CustomerID == "" {
		return r, nil, copydesk.Errorf(copydesk.EINVALID, "a budget reservation needs a customer")
	}
	if estimate < 0 {
		return r, nil, copydesk.Errorf(copydesk.EINVALID, "a cost estimate cannot be negative (got %d)", estimate)
	}
	if !s.guarded(ctx, p) {
		return r, nil, nil // no budget applies: no reservation (ID "")
	}
	_, err := s.store.Reserve(ctx, &r)
	if copydesk.ErrorCode(err) != copydesk.EBUDGETEXCEEDED {
		return r, nil, err
	}
	retry := InFlightRetryAfter
	if st, serr := s.Standing(ctx, p); serr == nil && st.Room < estimate {
		retry = untilNextMonth(s.clock.Now())
	}
	return r, nil, &copydesk.Error{Code: copydesk.EBUDGETEXCEEDED, Message: copydesk.ErrorMessage(err), RetryAfter: retry}
}

// InFlightRetryAfter is the Retry-After of a refusal caused by calls in
// flight: their settlements free the budget within seconds.
const InFlightRetryAfter = 2 * time.Second

// Standing is what a payer may still spend this month, over the customer's
// budget, the user's and the API key's (the tightest of them).
type Standing struct {
	// Budgeted is false when neither has a budget (the rest is then
	// meaningless).
	Budgeted bool
	// Room is the limit less what was spent: what the month still allows.
	Room copydesk.Micros
	// Available is Room less what calls in flight hold.
	Available copydesk.Micros
	// Tightest is the scope of the budget with the least Room ("" the
	// customer's, else a user's or an API key's ID).
	Tightest string
}

// ScopeName names the budget of scope in a message: "the customer's",
// "the user's" or "the API key's".
func ScopeName(scope string) string {
	switch {
	case scope == "":
		return "the customer's"
	case strings.HasPrefix(scope, copydesk.APIKeyIDPrefix):
		return "the API key's"
	}
	return "the user's"
}

// Standing returns what p may still spend.
func (s *Service) Standing(ctx context.Context, p Payer) (Standing, error) {
	st := Standing{}
	now := s.clock.Now()
	for _, scope := range p.scopes() {
		b, err := s.store.FindBudget(ctx, p.CustomerID, scope)
		if copydesk.ErrorCode(err) == copydesk.ENOTFOUND {
			continue
		} else if err != nil {
			return st, err
		}
		spent := b.Spent
		if b.Period != copydesk.BudgetPeriod(now) {
			spent = 0
		}
		room := b.Limit - spent
		avail := room - b.Reserved
		if !st.Budgeted || room < st.Room {
			st.Room, st.Tightest = room, scope
		}
		if !st.Budgeted || avail < st.Available {
			st.Available = avail
		}
		st.Budgeted = true
	}
	return st, nil
}

// Exhausted raises the hard threshold's event (once per budget and month)
// for p's budgets whose spending leaves less than minCost: the budget is
// used up for calls of this size. Returns the events raised.
func (s *Service) Exhausted(ctx context.Context, p Payer, minCost copydesk.Micros) []Event {
	now := s.clock.Now()
	var events []Event
	for _, scope := range p.scopes() {
		b, err := s.store.FindBudget(ctx, p.CustomerID, scope)
		if err != nil {
			continue
		}
		spent := b.Spent
		if b.Period != copydesk.BudgetPeriod(now) {
			spent = 0
		}
		if b.Limit-spent >= minCost {
			continue
		}
		ev, err := s.raise(ctx, b, copydesk.ThresholdBit(copydesk.ThresholdHard), now)
		if err != nil {
			s.logger.Error("budget: raise hard threshold", "customer_id", p.CustomerID, "scope", scope, "err", err)
		}
		events = append(events, ev...)
	}
	return events
}

// settledSignal returns the channel closed at the next settlement or
// release of customerID in this process.
func (s *Service) settledSignal(customerID string) <-chan struct{} {
	s.sigMu.Lock()
	defer s.sigMu.Unlock()
	if s.settledSig == nil {
		s.settledSig = make(map[string]chan struct{})
	}
	ch := s.settledSig[customerID]
	if ch == nil {
		ch = make(chan struct{})
		s.settledSig[customerID] = ch
	}
	return ch
}

// signalSettled wakes the calls waiting on customerID's budget.
func (s *Service) signalSettled(customerID string) {
	s.sigMu.Lock()
	defer s.sigMu.Unlock()
	if ch := s.settledSig[customerID]; ch != nil {
		close(ch)
		delete(s.settledSig, customerID)
	}
}

// WaitSettled waits until a call of customerID settles or releases in this
// process, at most d (other instances' settlements are seen by asking
// again), or until ctx ends.
func (s *Service) WaitSettled(ctx context.Context, customerID string, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-s.settledSignal(customerID):
	case <-t.C:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// turn waits for customerID's calls that began waiting earlier (they are
// admitted in the order they came) and returns the function ending this
// call's turn.
func (s *Service) turn(ctx context.Context, customerID string) (func(), error) {
	s.sigMu.Lock()
	if s.turns == nil {
		s.turns = make(map[string]chan struct{})
	}
	ch := s.turns[customerID]
	if ch == nil {
		ch = make(chan struct{}, 1)
		s.turns[customerID] = ch
	}
	s.sigMu.Unlock()
	select {
	case ch <- struct{}{}: // blocked senders are served in order
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Settle records the actual cost of a reserved call: in one store
// transaction it releases the reservation, adds actual to spent and appends
// entry to the ledger (entry.Cost becomes actual). It returns the threshold
// events the spending crossed, each once per period. Returns ENOTFOUND if
// the reservation is no longer open (settled, released or swept). An actual
// cost above the reservation is recorded as it is (the ledger tells the
// truth) and logged as an overrun.
func (s *Service) Settle(ctx context.Context, r copydesk.Reservation, actual copydesk.Micros, entry *copydesk.LedgerEntry) ([]Event, error) {
	if entry == nil {
		entry = &copydesk.LedgerEntry{}
	}
	if entry.CustomerID == "" {
		entry.CustomerID, entry.UserID = r.CustomerID, r.UserID
	}
	if entry.KeyID == "" {
		entry.KeyID = r.KeyID
	}
	if r.ID == "" {
		// No budget guarded the call: its ledger row (and the spent of a
		// budget set meanwhile) through the journal.
		c := &copydesk.Charge{CustomerID: r.CustomerID, UserID: r.UserID, KeyID: r.KeyID,
			Period: copydesk.BudgetPeriod(s.clock.Now()), Amount: actual, Entry: entry}
		if !s.durable {
			if err := c.Prepare(s.clock.Now()); err != nil {
				return nil, err
			}
			s.journal.ChargeLater(c)
			return nil, nil
		}
		return nil, s.journal.Charge(ctx, c)
	}
	b, err := s.store.Settle(ctx, r.ID, actual, entry)
	s.signalSettled(r.CustomerID)
	if err != nil {
		return nil, err
	}
	if actual > r.Amount {
		s.logger.Warn("budget: actual cost above the reservation", "customer_id", r.CustomerID,
			"reservation_id", r.ID, "reserved", int64(r.Amount), "actual", int64(actual), "model", entry.Model)
	}
	now := s.clock.Now()
	var events []Event
	if b != nil {
		ev, err := s.raise(ctx, b, reachedMask(b), now)
		if err != nil {
			return nil, err
		}
		events = append(events, ev...)
	}
	for _, scope := range r.Scopes()[1:] { // the key's and the user's
		ub, err := s.store.FindBudget(ctx, r.CustomerID, scope)
		if err == nil {
			ev, err := s.raise(ctx, ub, reachedMask(ub), now)
			if err != nil {
				return nil, err
			}
			events = append(events, ev...)
		} else if copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
			return events, err
		}
	}
	return events, nil
}

// raise records the thresholds in mask as raised and returns an event for
// each that the store had not yet recorded in the period.
func (s *Service) raise(ctx context.Context, b *copydesk.Budget, mask int, now time.Time) ([]Event, error) {
	period := copydesk.BudgetPeriod(now)
	if mask == 0 || (b.Period == period && mask&^b.Raised == 0) {
		return nil, nil // nothing new: no write
	}
	prev, err := s.store.MarkThresholds(ctx, b.CustomerID, b.Scope(), period, mask)
	if err != nil {
		return nil, err
	}
	var events []Event
	for l := copydesk.ThresholdAlert; l <= copydesk.ThresholdHard; l++ {
		if bit := copydesk.ThresholdBit(l); mask&bit == 0 || prev&bit != 0 {
			continue
		}
		events = append(events, Event{CustomerID: b.CustomerID, UserID: b.UserID, KeyID: b.KeyID, Level: l, Name: copydesk.ThresholdName(l),
			Period: period, Spent: b.Spent, Limit: b.Limit, At: now})
	}
	return events, nil
}

// reachedMask returns the bits of every threshold b's spending has reached.
func reachedMask(b *copydesk.Budget) int {
	mask := 0
	for l := copydesk.ThresholdAlert; l <= b.LevelOf(b.Spent); l++ {
		mask |= copydesk.ThresholdBit(l)
	}
	return mask
}

// Release gives back a reservation whose call was not made or failed
// without cost. Returns ENOTFOUND if it is no longer open.
func (s *Service) Release(ctx context.Context, r copydesk.Reservation) error {
	if r.ID == "" {
		return nil // nothing was reserved
	}
	defer s.signalSettled(r.CustomerID)
	return s.store.Release(ctx, r.ID)
}

// Flush writes the ledger rows still queued; call it before the store
// closes.
func (s *Service) Flush(ctx context.Context) error {
	if s.journal == nil {
		return nil
	}
	return s.journal.Flush(ctx)
}

// BudgetLeft returns the fraction (0-1) of the customer's monthly budget
// neither spent nor reserved, or -1 if the customer has no budget: the
// router's budget rule reads it.
func (s *Service) BudgetLeft(ctx context.Context, customerID string) (float64, error) {
	if s.journal != nil && !s.exists(ctx, budgetKey{customerID, ""}) {
		return -1, nil
	}
	b, err := s.store.FindBudget(ctx, customerID, "")
	if copydesk.ErrorCode(err) == copydesk.ENOTFOUND {
		return -1, nil
	} else if err != nil {
		return 0, err
	}
	return b.Left(s.clock.Now()), nil
}

// ExpiredKeep is how long Sweep keeps the record of an expired
// reservation, so that a call that was slow rather than crashed is still
// charged (and written to the ledger) when it settles.
const ExpiredKeep = 24 * time.Hour

// Sweep expires the reservations older than ttl (calls that crashed between
// Reserve and Settle), giving their amounts back, and returns how many. A
// reservation settled meanwhile is skipped; one settled after expiring is
// still charged. Records expired more than ExpiredKeep ago are forgotten.
func (s *Service) Sweep(ctx context.Context, ttl time.Duration) (int, error) {
	if ttl <= 0 {
		return 0, copydesk.Errorf(copydesk.EINVALID, "the reservation TTL must be positive (got %s)", ttl)
	}
	now := s.clock.Now()
	old, err := s.store.FindReservations(ctx, now.Add(-ttl))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range old {
		switch err := s.store.ExpireReservation(ctx, r.ID); copydesk.ErrorCode(err) {
		case "":
			n++
			s.logger.Warn("budget: expired a stale reservation", "reservation_id", r.ID,
				"customer_id", r.CustomerID, "amount", int64(r.Amount), "age", now.Sub(r.CreatedAt).String())
		case copydesk.ENOTFOUND:
		default:
			return n, err
		}
	}
	if _, err := s.store.DeleteExpiredReservations(ctx, now.Add(-ExpiredKeep)); err != nil {
		return n, err
	}
	return n, nil
}

// untilNextMonth returns the time from now to the start of the next
// calendar month in UTC, when budgets reset.
func untilNextMonth(now time.Time) time.Duration {
	u := now.UTC()
	next := time.Date(u.Year(), u.Month()+1, 1, 0, 0, 0, 0, time.UTC)
	return next.Sub(u)
}

// Defaults of a Sweeper.
const (
	SweepTTLDefault      = 15 * time.Minute
	SweepIntervalDefault = time.Minute
)

// Sweeper runs Service.Sweep periodically.
type Sweeper struct {
	// Service is swept. Required.
	Service *Service
	// TTL is how old a reservation must be to be released: longer than any
	// provider call (with its retries) may take. Default SweepTTLDefault.
	TTL time.Duration
	// Interval is the time between sweeps. Default SweepIntervalDefault.
	Interval time.Duration

	mu   sync.Mutex
	stop context.CancelFunc
	done chan struct{}
}

// Start starts sweeping in a goroutine until ctx ends or Stop is called.
// Returns ECONFLICT if it is already running and EINVALID without a Service.
func (w *Sweeper) Start(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.Service == nil {
		return copydesk.Errorf(copydesk.EINVALID, "budget sweeper needs a Service")
	}
	if w.stop != nil {
		return copydesk.Errorf(copydesk.ECONFLICT, "budget sweeper is already running")
	}
	ttl, interval := cmp.Or(w.TTL, SweepTTLDefault), cmp.Or(w.Interval, SweepIntervalDefault)
	if ttl < 0 || interval < 0 {
		return copydesk.Errorf(copydesk.EINVALID, "budget sweeper TTL and Interval cannot be negative")
	}
	ctx, w.stop = context.WithCancel(ctx)
	w.done = make(chan struct{})
	go func(done chan struct{}) {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if _, err := w.Service.Sweep(ctx, ttl); err != nil && ctx.Err() == nil {
					w.Service.logger.Error("budget: sweep failed", "err", err)
				}
			}
		}
	}(w.done)
	return nil
}

// Stop stops sweeping and waits for the goroutine to end. It is safe to
// call more than once.
func (w *Sweeper) Stop() {
	w.mu.Lock()
	stop, done := w.stop, w.done
	w.stop, w.done = nil, nil
	w.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
}
