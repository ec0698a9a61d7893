package budget_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/budget"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/pgtest"
	"github.com/copydesk/copydesk/internal/postgres"
	"github.com/copydesk/copydesk/internal/sqlite"
	"github.com/copydesk/copydesk/internal/storetest"
	"github.com/google/go-cmp/cmp"
)

// MustService returns a Service over a fresh SQLite store with a customer
// whose monthly budget is limit, and the store and clock.
func MustService(tb testing.TB, limit copydesk.Micros) (*budget.Service, storetest.MoneyStore, *storetest.Clock, *copydesk.Customer) {
	tb.Helper()
	return MustServiceOn(tb, limit, openSQLite)
}

func openSQLite(tb testing.TB, clock copydesk.Clock) storetest.MoneyStore {
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "b.db"), sqlite.Options{Clock: clock})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func openPostgres(tb testing.TB, clock copydesk.Clock) storetest.MoneyStore {
	dsn, schema := pgtest.MustSchema(tb)
	db, err := postgres.Open(context.Background(), dsn, postgres.Options{Clock: clock, Schema: schema})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(db.Close)
	return db
}

// MustServiceOn is MustService over a store made by open.
func MustServiceOn(tb testing.TB, limit copydesk.Micros, open func(testing.TB, copydesk.Clock) storetest.MoneyStore) (*budget.Service, storetest.MoneyStore, *storetest.Clock, *copydesk.Customer) {
	tb.Helper()
	clock := storetest.NewClock(storetest.Epoch())
	db := open(tb, clock)
	c := storetest.MustCreateCustomer(tb, db, "Acme")
	storetest.MustSetBudget(tb, db, &copydesk.Budget{CustomerID: c.ID, Limit: limit})
	return budget.New(db, budget.Options{Clock: clock}), db, clock, c
}

func levels(events []budget.Event) []string {
	var out []string
	for _, e := range events {
		out = append(out, e.Name)
	}
	return out
}

func TestThresholdsOncePerPeriod(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, _, clock, c := MustService(t, 1000)
	spend := func(amount copydesk.Micros) []string {
		t.Helper()
		r, ev, err := svc.Reserve(ctx, c.ID, "", amount)
		if err != nil || len(ev) != 0 {
			t.Fatalf("Reserve(%d): got %v, %v, want no error and no event", amount, ev, err)
		}
		events, err := svc.Settle(ctx, r, amount, &copydesk.LedgerEntry{Model: "m"})
		if err != nil {
			t.Fatalf("Settle: %v", err)
		}
		return levels(events)
	}
	steps := []struct {
		amount copydesk.Micros
		want   []string
	}{
		{500, nil},                // 50 %
		{300, []string{"alert"}},  // 80 %
		{50, nil},                 // 85 %: alert already raised
		{60, []string{"warning"}}, // 91 %
		{20, nil},                 // 93 %
		{70, []string{"hard"}},    // 100 %
		{0, nil},                  // a free call at the limit
	}
	for i, s := range steps {
		if got := spend(s.amount); !cmp.Equal(got, s.want) {
			t.Errorf("step %d (+%d): got events %v, want %v", i, s.amount, got, s.want)
		}
	}
	// A refusal after the hard event raises nothing new.
	if _, ev, err := svc.Reserve(ctx, c.ID, "", 1); copydesk.ErrorCode(err) != copydesk.EBUDGETEXCEEDED || len(ev) != 0 {
		t.Errorf("refusal at the limit: got %v, %v, want EBUDGETEXCEEDED and no event", ev, err)
	}
	// A new month resets: the thresholds fire again, once.
	clock.Set(time.Date(2026, time.April, 2, 0, 0, 0, 0, time.UTC))
	if got := spend(850); !cmp.Equal(got, []string{"alert"}) {
		t.Errorf("April at 85 %%: got %v, want [alert]", got)
	}
	if got := spend(100); !cmp.Equal(got, []string{"warning"}) {
		t.Errorf("April at 95 %%: got %v, want [warning]", got)
	}
}

func TestReserveRefusal(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, db, clock, c := MustService(t, 1000)
	_, ev, err := svc.Reserve(ctx, c.ID, "", 1001)
	if copydesk.ErrorCode(err) != copydesk.EBUDGETEXCEEDED {
		t.Fatalf("got %v, want EBUDGETEXCEEDED", err)
	}
	e := err.(*copydesk.Error)
	wantRetry := time.Date(2026, time.April, 1, 0, 0, 0, 0, time.UTC).Sub(clock.Now())
	if e.RetryAfter != wantRetry {
		t.Errorf("RetryAfter: got %s, want %s (the next calendar month: the month's room is too small)", e.RetryAfter, wantRetry)
	}
	if len(ev) != 0 {
		t.Errorf("refusal: got events %v, want none (thresholds follow the spending)", levels(ev))
	}
	// Calls in flight hold the money: a refusal tells to come back in seconds.
	held, _, err := svc.Reserve(ctx, c.ID, "", 600)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = svc.Reserve(ctx, c.ID, "", 600)
	if de, ok := err.(*copydesk.Error); !ok || de.Code != copydesk.EBUDGETEXCEEDED || de.RetryAfter != budget.InFlightRetryAfter {
		t.Errorf("refusal behind a call in flight: got %v, want EBUDGETEXCEEDED with Retry-After %s", err, budget.InFlightRetryAfter)
	}
	if st, _ := svc.Standing(ctx, budget.Payer{CustomerID: c.ID}); st.Room != 1000 || st.Available != 400 || !st.Budgeted {
		t.Errorf("got standing %+v, want room 1000, available 400", st)
	}
	if err := svc.Release(ctx, held); err != nil {
		t.Fatal(err)
	}
	// A budget too spent for the smallest call raises the hard event once.
	if got := levels(svc.Exhausted(ctx, budget.Payer{CustomerID: c.ID}, 1001)); !cmp.Equal(got, []string{"hard"}) {
		t.Errorf("exhausted: got %v, want [hard]", got)
	}
	if got := svc.Exhausted(ctx, budget.Payer{CustomerID: c.ID}, 1001); len(got) != 0 {
		t.Errorf("exhausted again: got %v, want nothing new", levels(got))
	}
	if got := svc.Exhausted(ctx, budget.Payer{CustomerID: c.ID}, 10); len(got) != 0 {
		t.Errorf("room for the call: got %v, want no event", levels(got))
	}
	// A user's own budget: the event names the user.
	u := storetest.MustCreateUser(t, db, c.ID, "ann@example.com", copydesk.RoleUser)
	storetest.MustSetBudget(t, db, &copydesk.Budget{CustomerID: c.ID, UserID: u.ID, Limit: 100})
	if _, ev, err = svc.Reserve(ctx, c.ID, u.ID, 101); copydesk.ErrorCode(err) != copydesk.EBUDGETEXCEEDED || len(ev) != 0 {
		t.Errorf("user refusal: got %+v, %v, want EBUDGETEXCEEDED and no event", ev, err)
	}
	if ev := svc.Exhausted(ctx, budget.Payer{CustomerID: c.ID, UserID: u.ID}, 101); len(ev) != 1 || ev[0].UserID != u.ID || ev[0].Name != "hard" {
		t.Errorf("user exhausted: got %+v, want one hard event of the user", ev)
	}
	for _, tt := range []struct {
		name     string
		customer string
		amount   copydesk.Micros
	}{{"NoCustomer", "", 1}, {"Negative", c.ID, -1}} {
		if _, _, err := svc.Reserve(ctx, tt.customer, "", tt.amount); copydesk.ErrorCode(err) != copydesk.EINVALID {
			t.Errorf("%s: got %v, want EINVALID", tt.name, err)
		}
	}
}

func TestConcurrentEventsOnce(t *testing.T) {
	t.Parallel()
	t.Run("SQLite", func(t *testing.T) { t.Parallel(); testConcurrentEventsOnce(t, openSQLite) })
	t.Run("PostgreSQL", func(t *testing.T) { t.Parallel(); testConcurrentEventsOnce(t, openPostgres) })
}

// testConcurrentEventsOnce runs 200 concurrent Reserve+Settle through the
// service against a budget of 100 calls: every threshold fires exactly
// once, and the budget ends exactly full.
func testConcurrentEventsOnce(t *testing.T, open func(testing.TB, copydesk.Clock) storetest.MoneyStore) {
	ctx := context.Background()
	svc, db, _, c := MustServiceOn(t, 10_000, open)
	var (
		mu     sync.Mutex
		counts = map[string]int{}
		wg     sync.WaitGroup
	)
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, ev, err := svc.Reserve(ctx, c.ID, "", 100)
			if err == nil {
				ev, err = svc.Settle(ctx, r, 100, &copydesk.LedgerEntry{Model: "m"})
			}
			if err != nil && copydesk.ErrorCode(err) != copydesk.EBUDGETEXCEEDED {
				t.Errorf("unexpected error: %v", err)
			}
			mu.Lock()
			for _, e := range ev {
				counts[e.Name]++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if want := map[string]int{"alert": 1, "warning": 1, "hard": 1}; !cmp.Equal(counts, want) {
		t.Errorf("events: got %v, want each once: %v", counts, want)
	}
	if b := storetest.MustFindBudget(t, db, c.ID, ""); b.Spent != 10_000 || b.Reserved != 0 {
		t.Errorf("budget: got spent %d reserved %d, want 10000 0", b.Spent, b.Reserved)
	}
}

func TestSweepAndBudgetLeft(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, db, clock, c := MustService(t, 1000)
	if left, err := svc.BudgetLeft(ctx, c.ID); err != nil || left != 1 {
		t.Errorf("BudgetLeft, fresh: got %v, %v, want 1", left, err)
	}
	if left, _ := svc.BudgetLeft(ctx, "cus_unlimited"); left != -1 {
		t.Errorf("BudgetLeft without a budget: got %v, want -1", left)
	}
	crashed, _, err := svc.Reserve(ctx, c.ID, "", 600)
	if err != nil {
		t.Fatal(err)
	}
	clock.Add(10 * time.Minute)
	live, _, err := svc.Reserve(ctx, c.ID, "", 200)
	if err != nil {
		t.Fatal(err)
	}
	if left, _ := svc.BudgetLeft(ctx, c.ID); left != 0.2 {
		t.Errorf("BudgetLeft with 800 reserved: got %v, want 0.2", left)
	}
	clock.Add(6 * time.Minute)
	n, err := svc.Sweep(ctx, 15*time.Minute)
	if err != nil || n != 1 {
		t.Fatalf("Sweep: got %d, %v, want 1 released", n, err)
	}
	if n, _ := svc.Sweep(ctx, 15*time.Minute); n != 0 {
		t.Errorf("second Sweep: got %d, want 0 (already expired)", n)
	}
	if b := storetest.MustFindBudget(t, db, c.ID, ""); b.Reserved != 200 {
		t.Errorf("reserved after the sweep: got %d, want 200 (the live call only)", b.Reserved)
	}
	if _, err := svc.Settle(ctx, live, 150, &copydesk.LedgerEntry{Model: "m"}); err != nil {
		t.Fatalf("settle the live reservation: %v", err)
	}
	// The swept call was only slow: it is still charged, once.
	if _, err := svc.Settle(ctx, crashed, 500, &copydesk.LedgerEntry{Model: "m"}); err != nil {
		t.Fatalf("settle the expired reservation: got %v, want it charged", err)
	}
	if _, err := svc.Settle(ctx, crashed, 500, &copydesk.LedgerEntry{Model: "m"}); copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
		t.Errorf("settle it twice: got %v, want ENOTFOUND", err)
	}
	if b := storetest.MustFindBudget(t, db, c.ID, ""); b.Spent != 650 || b.Reserved != 0 {
		t.Errorf("budget: got spent %d reserved %d, want 650 0", b.Spent, b.Reserved)
	}
	rows, _ := db.FindLedger(ctx, copydesk.UsageFilter{CustomerID: c.ID, From: storetest.Epoch(), To: clock.Now().Add(time.Second)})
	if len(rows) != 2 {
		t.Errorf("ledger rows: got %d, want 2", len(rows))
	}
	// A crashed call's record is forgotten after ExpiredKeep.
	gone, _, _ := svc.Reserve(ctx, c.ID, "", 100)
	clock.Add(20 * time.Minute)
	if n, _ := svc.Sweep(ctx, 15*time.Minute); n != 1 {
		t.Fatalf("Sweep: got %d, want 1", n)
	}
	clock.Add(budget.ExpiredKeep + time.Minute)
	svc.Sweep(ctx, 15*time.Minute)
	if err := svc.Release(ctx, gone); copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
		t.Errorf("release a forgotten reservation: got %v, want ENOTFOUND", err)
	}
	if _, err := svc.Sweep(ctx, 0); copydesk.ErrorCode(err) != copydesk.EINVALID {
		t.Errorf("Sweep(0): got %v, want EINVALID", err)
	}
}

func TestSweeperStartStop(t *testing.T) {
	t.Parallel()
	svc, _, _, _ := MustService(t, 1000)
	w := &budget.Sweeper{Service: svc, Interval: time.Millisecond}
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := w.Start(context.Background()); copydesk.ErrorCode(err) != copydesk.ECONFLICT {
		t.Errorf("second Start: got %v, want ECONFLICT", err)
	}
	w.Stop()
	w.Stop() // tolerated
	if err := (&budget.Sweeper{}).Start(context.Background()); copydesk.ErrorCode(err) != copydesk.EINVALID {
		t.Errorf("Start without a Service: got %v, want EINVALID", err)
	}
}

// TestUnbudgetedCallsSkipTheStore: a customer without a budget takes no
// reservation; the call's ledger row is still written when it settles.
func TestUnbudgetedCallsSkipTheStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := storetest.NewClock(storetest.Epoch())
	db := openSQLite(t, clock)
	c := storetest.MustCreateCustomer(t, db, "Acme")
	svc := budget.New(db, budget.Options{Clock: clock, KnownTTL: time.Second})
	r, events, err := svc.Reserve(ctx, c.ID, "", 500)
	if err != nil || len(events) != 0 {
		t.Fatalf("Reserve: %v %v", err, events)
	}
	if r.ID != "" {
		t.Errorf("got reservation %q, want none for a customer without a budget", r.ID)
	}
	if open, _ := db.FindReservations(ctx, time.Time{}); len(open) != 0 {
		t.Errorf("got %d reservations in the store, want 0", len(open))
	}
	if left, _ := svc.BudgetLeft(ctx, c.ID); left != -1 {
		t.Errorf("got budget left %v, want -1 (none)", left)
	}
	// A budget set meanwhile through the service applies to the next call
	// at once, and the call in flight still counts on it when it settles.
	if err := svc.SetBudget(ctx, &copydesk.Budget{CustomerID: c.ID, Limit: 1000}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Settle(ctx, r, 300, &copydesk.LedgerEntry{Kind: "chat", Model: "m"}); err != nil {
		t.Fatalf("Settle: %v", err)
	}
	if err := svc.Flush(ctx); err != nil { // the row waits to share a transaction
		t.Fatal(err)
	}
	b, _ := db.FindBudget(ctx, c.ID, "")
	if b.Spent != 300 {
		t.Errorf("got spent %d, want the unguarded call's 300", b.Spent)
	}
	rows, _ := db.FindLedger(ctx, copydesk.UsageFilter{From: clock.Now().Add(-time.Hour), To: clock.Now().Add(time.Hour)})
	if len(rows) != 1 || rows[0].Cost != 300 || rows[0].ReservationID != "" {
		t.Errorf("got ledger %+v, want one row of 300 without a reservation", rows)
	}
	r2, _, err := svc.Reserve(ctx, c.ID, "", 800)
	if copydesk.ErrorCode(err) != copydesk.EBUDGETEXCEEDED {
		t.Errorf("the next call: got %v (reservation %q), want EBUDGETEXCEEDED from the new budget", err, r2.ID)
	}
	if err := svc.Release(ctx, copydesk.Reservation{CustomerID: c.ID}); err != nil {
		t.Errorf("releasing an empty reservation: got %v, want nil", err)
	}
}

// TestBudgetSetElsewhereAppliesWithinKnownTTL: a budget set by another
// process is enforced once the remembered absence expires.
func TestBudgetSetElsewhereAppliesWithinKnownTTL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := storetest.NewClock(storetest.Epoch())
	db := openSQLite(t, clock)
	c := storetest.MustCreateCustomer(t, db, "Acme")
	svc := budget.New(db, budget.Options{Clock: clock, KnownTTL: time.Second})
	if r, _, err := svc.Reserve(ctx, c.ID, "", 500); err != nil || r.ID != "" {
		t.Fatalf("got %q, %v, want no reservation", r.ID, err)
	}
	storetest.MustSetBudget(t, db, &copydesk.Budget{CustomerID: c.ID, Limit: 100})
	if r, _, err := svc.Reserve(ctx, c.ID, "", 500); err != nil || r.ID != "" {
		t.Errorf("within KnownTTL: got %q, %v, want the remembered absence", r.ID, err)
	}
	clock.Add(time.Second)
	if _, _, err := svc.Reserve(ctx, c.ID, "", 500); copydesk.ErrorCode(err) != copydesk.EBUDGETEXCEEDED {
		t.Errorf("after KnownTTL: got %v, want EBUDGETEXCEEDED", err)
	}
}

// TestDurableLedger: with DurableLedger the row of an unguarded call is in
// the store when Settle returns.
func TestDurableLedger(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := storetest.NewClock(storetest.Epoch())
	db := openSQLite(t, clock)
	c := storetest.MustCreateCustomer(t, db, "Acme")
	svc := budget.New(db, budget.Options{Clock: clock, DurableLedger: true})
	r, _, err := svc.Reserve(ctx, c.ID, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Settle(ctx, r, 7, &copydesk.LedgerEntry{Kind: "chat", Model: "m"}); err != nil {
		t.Fatal(err)
	}
	rows, _ := db.FindLedger(ctx, copydesk.UsageFilter{From: clock.Now().Add(-time.Hour), To: clock.Now().Add(time.Hour)})
	if len(rows) != 1 || rows[0].Cost != 7 {
		t.Errorf("got %+v, want the row in the store when Settle returns", rows)
	}
}
