package storetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/google/go-cmp/cmp"
)

// MoneyStore is a store of customers, budgets and the ledger: what the
// budget and ledger suites need (budgets belong to customers).
type MoneyStore interface {
	copydesk.AccessStore
	copydesk.BudgetStore
	copydesk.LedgerStore
}

// NewMoneyStore builds a fresh, empty MoneyStore that reads time from clock
// and is cleaned up when t ends.
type NewMoneyStore func(t *testing.T, clock copydesk.Clock) MoneyStore

// RaceCalls is how many concurrent calls TestBudgetStore's race case makes.
const RaceCalls = 500

// TestBudgetStore runs the copydesk.BudgetStore conformance suite, the
// concurrent-overspending race included.
func TestBudgetStore(t *testing.T, newStore NewMoneyStore) {
	setup := func(t *testing.T) (MoneyStore, *Clock, *copydesk.Customer) {
		t.Helper()
		t.Parallel()
		clock := NewClock(Epoch())
		s := newStore(t, clock)
		return s, clock, MustCreateCustomer(t, s, "Acme")
	}
	ctx := context.Background()

	t.Run("SetFind", func(t *testing.T) {
		s, clock, c := setup(t)
		b := MustSetBudget(t, s, &copydesk.Budget{CustomerID: c.ID, Limit: 1_000_000})
		want := &copydesk.Budget{CustomerID: c.ID, Limit: 1_000_000, AlertPercent: 80, WarningPercent: 90,
			Period: copydesk.BudgetPeriod(clock.Now()), UpdatedAt: clock.Now()}
		if diff := cmp.Diff(want, b); diff != "" {
			t.Errorf("SetBudget (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(want, MustFindBudget(t, s, c.ID, "")); diff != "" {
			t.Errorf("FindBudget (-want +got):\n%s", diff)
		}
		r := MustReserve(t, s, c.ID, "", 100)
		MustSettle(t, s, r.ID, 70, &copydesk.LedgerEntry{Model: "m"})
		clock.Add(time.Minute)
		b = MustSetBudget(t, s, &copydesk.Budget{CustomerID: c.ID, Limit: 2_000_000, AlertPercent: 50, WarningPercent: 75})
		if b.Spent != 70 || b.Limit != 2_000_000 || b.AlertPercent != 50 || b.WarningPercent != 75 {
			t.Errorf("after change: got %+v, want spent 70 kept, limit 2000000, 50/75 %%", b)
		}
		tests := []struct {
			name string
			b    copydesk.Budget
			code string
		}{
			{"NegativeLimit", copydesk.Budget{CustomerID: c.ID, Limit: -1}, copydesk.EINVALID},
			{"AlertAboveWarning", copydesk.Budget{CustomerID: c.ID, Limit: 1, AlertPercent: 95, WarningPercent: 90}, copydesk.EINVALID},
			{"WarningAt100", copydesk.Budget{CustomerID: c.ID, Limit: 1, WarningPercent: 100}, copydesk.EINVALID},
			{"UnknownCustomer", copydesk.Budget{CustomerID: "cus_absent", Limit: 1}, copydesk.ENOTFOUND},
			{"UnknownUser", copydesk.Budget{CustomerID: c.ID, UserID: "usr_absent", Limit: 1}, copydesk.ENOTFOUND},
		}
		for _, tt := range tests {
			if err := s.SetBudget(ctx, &tt.b); copydesk.ErrorCode(err) != tt.code {
				t.Errorf("%s: got %v, want %s", tt.name, err, tt.code)
			}
		}
		if _, err := s.FindBudget(ctx, c.ID, "usr_absent"); copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
			t.Errorf("absent budget: got %v, want ENOTFOUND", err)
		}
		if err := s.DeleteBudget(ctx, c.ID, ""); err != nil {
			t.Fatalf("DeleteBudget: %v", err)
		}
		if err := s.DeleteBudget(ctx, c.ID, ""); copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
			t.Errorf("DeleteBudget twice: got %v, want ENOTFOUND", err)
		}
	})

	t.Run("ReserveSettleRelease", func(t *testing.T) {
		s, clock, c := setup(t)
		u := MustCreateUser(t, s, c.ID, "ann@example.com", copydesk.RoleUser)
		MustSetBudget(t, s, &copydesk.Budget{CustomerID: c.ID, Limit: 1000})
		r1 := MustReserve(t, s, c.ID, u.ID, 600)
		if r1.ID == "" || !r1.CreatedAt.Equal(clock.Now()) {
			t.Errorf("reservation: got %+v, want an ID and CreatedAt %v", r1, clock.Now())
		}
		if _, err := s.Reserve(ctx, &copydesk.Reservation{CustomerID: c.ID, Amount: 401}); copydesk.ErrorCode(err) != copydesk.EBUDGETEXCEEDED {
			t.Errorf("reserve past the limit: got %v, want EBUDGETEXCEEDED", err)
		}
		r2 := MustReserve(t, s, c.ID, "", 400) // exactly to the limit
		if b := MustFindBudget(t, s, c.ID, ""); b.Reserved != 1000 || b.Spent != 0 {
			t.Errorf("after reserving: got reserved %d spent %d, want 1000 0", b.Reserved, b.Spent)
		}
		clock.Add(time.Second)
		e := &copydesk.LedgerEntry{Kind: "analysis", JobID: "job_1", Provider: "openai", Model: "gpt-x",
			InputTokens: 100, OutputTokens: 50, CachedTokens: 10, Latency: 1500 * time.Millisecond}
		b := MustSettle(t, s, r1.ID, 450, e)
		if b == nil || b.Spent != 450 || b.Reserved != 400 {
			t.Errorf("after settling: got %+v, want spent 450 reserved 400", b)
		}
		if e.Cost != 450 || e.ReservationID != r1.ID || e.CustomerID != c.ID || e.UserID != u.ID || e.ID == "" || !e.At.Equal(clock.Now()) {
			t.Errorf("ledger entry: got %+v, want cost 450, the reservation, customer and user, at now", e)
		}
		if _, err := s.Settle(ctx, r1.ID, 1, &copydesk.LedgerEntry{}); copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
			t.Errorf("settle twice: got %v, want ENOTFOUND", err)
		}
		if err := s.Release(ctx, r1.ID); copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
			t.Errorf("release a settled reservation: got %v, want ENOTFOUND", err)
		}
		if _, err := s.Settle(ctx, r2.ID, -1, &copydesk.LedgerEntry{}); copydesk.ErrorCode(err) != copydesk.EINVALID {
			t.Errorf("negative cost: got %v, want EINVALID", err)
		}
		if err := s.Release(ctx, r2.ID); err != nil {
			t.Fatalf("Release: %v", err)
		}
		if b := MustFindBudget(t, s, c.ID, ""); b.Reserved != 0 || b.Spent != 450 {
			t.Errorf("after release: got reserved %d spent %d, want 0 450", b.Reserved, b.Spent)
		}
		rows, err := s.FindLedger(ctx, copydesk.UsageFilter{CustomerID: c.ID, From: Epoch(), To: clock.Now().Add(time.Hour)})
		if err != nil || len(rows) != 1 {
			t.Fatalf("FindLedger: got %d rows, %v, want 1", len(rows), err)
		}
		if diff := cmp.Diff(e, rows[0]); diff != "" {
			t.Errorf("ledger row (-want +got):\n%s", diff)
		}
		if _, err := s.Reserve(ctx, &copydesk.Reservation{CustomerID: c.ID, Amount: -5}); copydesk.ErrorCode(err) != copydesk.EINVALID {
			t.Errorf("negative amount: got %v, want EINVALID", err)
		}
		if _, err := s.Reserve(ctx, &copydesk.Reservation{CustomerID: c.ID, Amount: copydesk.MaxBudgetMicros + 1}); copydesk.ErrorCode(err) != copydesk.EINVALID {
			t.Errorf("amount above MaxBudgetMicros: got %v, want EINVALID", err)
		}
	})

	t.Run("Unlimited", func(t *testing.T) {
		s, _, c := setup(t)
		r := &copydesk.Reservation{CustomerID: c.ID, Amount: 1 << 40}
		b, err := s.Reserve(ctx, r)
		if err != nil || b != nil {
			t.Fatalf("Reserve without a budget: got %v, %v, want nil, nil (unlimited)", b, err)
		}
		if b := MustSettle(t, s, r.ID, 5, &copydesk.LedgerEntry{Model: "m"}); b != nil {
			t.Errorf("Settle without a budget: got %+v, want nil", b)
		}
		// A budget created while a reservation is open is not charged its release.
		r2 := MustReserve(t, s, c.ID, "", 300)
		MustSetBudget(t, s, &copydesk.Budget{CustomerID: c.ID, Limit: 1000})
		if err := s.Release(ctx, r2.ID); err != nil {
			t.Fatal(err)
		}
		if b := MustFindBudget(t, s, c.ID, ""); b.Reserved != 0 {
			t.Errorf("reserved: got %d, want 0", b.Reserved)
		}
	})

	t.Run("UserBudget", func(t *testing.T) {
		s, _, c := setup(t)
		u := MustCreateUser(t, s, c.ID, "ann@example.com", copydesk.RoleUser)
		MustSetBudget(t, s, &copydesk.Budget{CustomerID: c.ID, Limit: 1000})
		MustSetBudget(t, s, &copydesk.Budget{CustomerID: c.ID, UserID: u.ID, Limit: 300})
		if _, err := s.Reserve(ctx, &copydesk.Reservation{CustomerID: c.ID, UserID: u.ID, Amount: 301}); copydesk.ErrorCode(err) != copydesk.EBUDGETEXCEEDED {
			t.Errorf("past the user's limit: got %v, want EBUDGETEXCEEDED", err)
		}
		if b := MustFindBudget(t, s, c.ID, ""); b.Reserved != 0 {
			t.Errorf("customer reserved after a refused user reservation: got %d, want 0 (rolled back)", b.Reserved)
		}
		r := MustReserve(t, s, c.ID, u.ID, 300)
		MustReserve(t, s, c.ID, "", 700) // another caller of the customer
		if _, err := s.Reserve(ctx, &copydesk.Reservation{CustomerID: c.ID, Amount: 1}); copydesk.ErrorCode(err) != copydesk.EBUDGETEXCEEDED {
			t.Errorf("past the customer's limit: got %v, want EBUDGETEXCEEDED", err)
		}
		e := &copydesk.LedgerEntry{CustomerID: c.ID, Model: "m"}
		MustSettle(t, s, r.ID, 200, e)
		if e.UserID != u.ID {
			t.Errorf("ledger entry user: got %q, want the reservation's %q", e.UserID, u.ID)
		}
		if b := MustFindBudget(t, s, c.ID, u.ID); b.Spent != 200 || b.Reserved != 0 {
			t.Errorf("user budget: got spent %d reserved %d, want 200 0", b.Spent, b.Reserved)
		}
		if b := MustFindBudget(t, s, c.ID, ""); b.Spent != 200 || b.Reserved != 700 {
			t.Errorf("customer budget: got spent %d reserved %d, want 200 700", b.Spent, b.Reserved)
		}
	})

	// An API key's budget (a virtual key) is one more budget a reservation
	// must fit, held, settled, released and expired like the user's.
	t.Run("KeyBudget", func(t *testing.T) {
		s, clock, c := setup(t)
		u := MustCreateUser(t, s, c.ID, "ann@example.com", copydesk.RoleUser)
		k := &copydesk.APIKey{CustomerID: c.ID, UserID: u.ID, Prefix: "cdk_key0", Hash: hash("key0")}
		if err := s.CreateAPIKey(ctx, k); err != nil {
			t.Fatal(err)
		}
		other := MustCreateCustomer(t, s, "Globex")
		if err := s.SetBudget(ctx, &copydesk.Budget{CustomerID: other.ID, KeyID: k.ID, Limit: 1}); copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
			t.Errorf("a key's budget under another customer: got %v, want ENOTFOUND", err)
		}
		if err := s.SetBudget(ctx, &copydesk.Budget{CustomerID: c.ID, KeyID: "key_absent", Limit: 1}); copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
			t.Errorf("an unknown key's budget: got %v, want ENOTFOUND", err)
		}
		if err := s.SetBudget(ctx, &copydesk.Budget{CustomerID: c.ID, UserID: u.ID, KeyID: k.ID, Limit: 1}); copydesk.ErrorCode(err) != copydesk.EINVALID {
			t.Errorf("a budget of a user and a key at once: got %v, want EINVALID", err)
		}
		MustSetBudget(t, s, &copydesk.Budget{CustomerID: c.ID, Limit: 1000})
		kb := MustSetBudget(t, s, &copydesk.Budget{CustomerID: c.ID, KeyID: k.ID, Limit: 300})
		if kb.KeyID != k.ID || kb.UserID != "" {
			t.Errorf("key budget: got key %q user %q, want key %q and no user", kb.KeyID, kb.UserID, k.ID)
		}
		if b := MustFindBudget(t, s, c.ID, k.ID); b.KeyID != k.ID || b.UserID != "" || b.Limit != 300 {
			t.Errorf("FindBudget of the key: got %+v, want the key's budget of 300", b)
		}
		if _, err := s.Reserve(ctx, &copydesk.Reservation{CustomerID: c.ID, UserID: u.ID, KeyID: k.ID, Amount: 301}); copydesk.ErrorCode(err) != copydesk.EBUDGETEXCEEDED {
			t.Errorf("past the key's limit: got %v, want EBUDGETEXCEEDED", err)
		}
		if b := MustFindBudget(t, s, c.ID, ""); b.Reserved != 0 {
			t.Errorf("customer reserved after a refused key reservation: got %d, want 0 (rolled back)", b.Reserved)
		}
		r := &copydesk.Reservation{CustomerID: c.ID, UserID: u.ID, KeyID: k.ID, Amount: 200}
		if _, err := s.Reserve(ctx, r); err != nil {
			t.Fatal(err)
		}
		if open, _ := s.FindReservations(ctx, time.Time{}); len(open) != 1 || open[0].KeyID != k.ID {
			t.Errorf("open reservations: got %v, want one of key %s", open, k.ID)
		}
		// The same user without the key is limited by the customer only.
		MustReserve(t, s, c.ID, u.ID, 500)
		if b := MustFindBudget(t, s, c.ID, k.ID); b.Reserved != 200 {
			t.Errorf("key reserved: got %d, want 200 (the user's other call does not count)", b.Reserved)
		}
		settled := &copydesk.LedgerEntry{Model: "m"}
		MustSettle(t, s, r.ID, 150, settled)
		if settled.KeyID != k.ID {
			t.Errorf("settled ledger row: got key %q, want the reservation's %q", settled.KeyID, k.ID)
		}
		if rows, err := s.FindLedger(ctx, copydesk.UsageFilter{From: settled.At, To: settled.At.Add(time.Second)}); err != nil || len(rows) != 1 || rows[0].KeyID != k.ID {
			t.Errorf("ledger after settling: got %v, %v, want one row of key %s", rows, err, k.ID)
		}
		if b := MustFindBudget(t, s, c.ID, k.ID); b.Spent != 150 || b.Reserved != 0 {
			t.Errorf("key budget after settling: got spent %d reserved %d, want 150 0", b.Spent, b.Reserved)
		}
		r2 := &copydesk.Reservation{CustomerID: c.ID, UserID: u.ID, KeyID: k.ID, Amount: 100}
		if _, err := s.Reserve(ctx, r2); err != nil {
			t.Fatal(err)
		}
		if err := s.Release(ctx, r2.ID); err != nil {
			t.Fatal(err)
		}
		r3 := &copydesk.Reservation{CustomerID: c.ID, UserID: u.ID, KeyID: k.ID, Amount: 100}
		if _, err := s.Reserve(ctx, r3); err != nil {
			t.Fatal(err)
		}
		if err := s.ExpireReservation(ctx, r3.ID); err != nil {
			t.Fatal(err)
		}
		if b := MustFindBudget(t, s, c.ID, k.ID); b.Spent != 150 || b.Reserved != 0 {
			t.Errorf("key budget after a release and an expiry: got spent %d reserved %d, want 150 0", b.Spent, b.Reserved)
		}
		if j, ok := s.(copydesk.BudgetJournal); ok {
			if err := j.ChargeBudgets(ctx, []*copydesk.Charge{{CustomerID: c.ID, UserID: u.ID, KeyID: k.ID, Amount: 40, Entry: &copydesk.LedgerEntry{Model: "m"}}}); err != nil {
				t.Fatal(err)
			}
			if b := MustFindBudget(t, s, c.ID, k.ID); b.Spent != 190 {
				t.Errorf("key spent after a charge: got %d, want 190", b.Spent)
			}
		}
		if prev, err := s.MarkThresholds(ctx, c.ID, k.ID, copydesk.BudgetPeriod(clock.Now()), copydesk.ThresholdBit(copydesk.ThresholdAlert)); err != nil || prev != 0 {
			t.Errorf("MarkThresholds of the key's budget: got %d, %v, want 0, nil", prev, err)
		}
		if err := s.DeleteBudget(ctx, c.ID, k.ID); err != nil {
			t.Fatalf("DeleteBudget of the key: %v", err)
		}
		if _, err := s.FindBudget(ctx, c.ID, k.ID); copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
			t.Errorf("deleted key budget: got %v, want ENOTFOUND", err)
		}
	})

	// Concurrent calls of one key whose budget is the tightest: never past
	// its limit, its spent the sum of what settled, nothing left reserved.
	t.Run("KeyRace", func(t *testing.T) {
		s, _, c := setup(t)
		u := MustCreateUser(t, s, c.ID, "ann@example.com", copydesk.RoleUser)
		k := &copydesk.APIKey{CustomerID: c.ID, UserID: u.ID, Prefix: "cdk_race", Hash: hash("race")}
		if err := s.CreateAPIKey(ctx, k); err != nil {
			t.Fatal(err)
		}
		const estimate = 1000
		const limit = 10 * estimate
		MustSetBudget(t, s, &copydesk.Budget{CustomerID: c.ID, Limit: 1000 * limit})
		MustSetBudget(t, s, &copydesk.Budget{CustomerID: c.ID, KeyID: k.ID, Limit: limit})
		var wg sync.WaitGroup
		var settled, ok atomic.Int64
		start := make(chan struct{})
		for i := range RaceCalls {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				r := &copydesk.Reservation{CustomerID: c.ID, UserID: u.ID, KeyID: k.ID, Amount: estimate}
				if _, err := s.Reserve(ctx, r); copydesk.ErrorCode(err) == copydesk.EBUDGETEXCEEDED {
					return
				} else if err != nil {
					t.Errorf("Reserve: %v", err)
					return
				}
				actual := copydesk.Micros(estimate/2 + i%(estimate/2))
				if _, err := s.Settle(ctx, r.ID, actual, &copydesk.LedgerEntry{Model: "m"}); err != nil {
					t.Errorf("Settle: %v", err)
					return
				}
				ok.Add(1)
				settled.Add(int64(actual))
			}()
		}
		close(start)
		wg.Wait()
		kb := MustFindBudget(t, s, c.ID, k.ID)
		if kb.Spent > limit || kb.Spent != copydesk.Micros(settled.Load()) || kb.Reserved != 0 {
			t.Errorf("key budget: got spent %d reserved %d, want at most %d, the settled %d, 0 reserved", kb.Spent, kb.Reserved, limit, settled.Load())
		}
		if cb := MustFindBudget(t, s, c.ID, ""); cb.Spent != kb.Spent || cb.Reserved != 0 {
			t.Errorf("customer budget: got spent %d reserved %d, want the key's %d and 0", cb.Spent, cb.Reserved, kb.Spent)
		}
		if ok.Load() < 10 {
			t.Errorf("%d calls settled, want at least 10 (the limit fits 10 at their estimate)", ok.Load())
		}
	})

	t.Run("CalendarReset", func(t *testing.T) {
		s, clock, c := setup(t)
		MustSetBudget(t, s, &copydesk.Budget{CustomerID: c.ID, Limit: 1000})
		MustSettle(t, s, MustReserve(t, s, c.ID, "", 900).ID, 900, &copydesk.LedgerEntry{Model: "m"})
		march := copydesk.BudgetPeriod(clock.Now())
		alert, warning, hard := copydesk.ThresholdBit(copydesk.ThresholdAlert), copydesk.ThresholdBit(copydesk.ThresholdWarning), copydesk.ThresholdBit(copydesk.ThresholdHard)
		if prev, err := s.MarkThresholds(ctx, c.ID, "", march, warning); err != nil || prev != 0 {
			t.Fatalf("MarkThresholds: got %d, %v, want 0", prev, err)
		}
		if prev, _ := s.MarkThresholds(ctx, c.ID, "", march, alert|warning); prev != warning {
			t.Errorf("MarkThresholds again: got previous %b, want %b", prev, warning)
		}
		if b := MustFindBudget(t, s, c.ID, ""); b.Raised != alert|warning {
			t.Errorf("raised: got %b, want %b", b.Raised, alert|warning)
		}
		if _, err := s.MarkThresholds(ctx, c.ID, "usr_absent", march, alert); copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
			t.Errorf("MarkThresholds of an absent budget: got %v, want ENOTFOUND", err)
		}
		if _, err := s.Reserve(ctx, &copydesk.Reservation{CustomerID: c.ID, Amount: 200}); copydesk.ErrorCode(err) != copydesk.EBUDGETEXCEEDED {
			t.Errorf("March, 900 spent: got %v, want EBUDGETEXCEEDED", err)
		}
		clock.Set(time.Date(2026, time.April, 1, 0, 0, 0, 0, time.UTC))
		b, err := s.Reserve(ctx, &copydesk.Reservation{CustomerID: c.ID, Amount: 800})
		if err != nil {
			t.Fatalf("April: got %v, want the reservation (budget reset)", err)
		}
		if b.Period != "2026-04" || b.Spent != 0 || b.Raised != 0 || b.Reserved != 800 {
			t.Errorf("April budget: got %+v, want period 2026-04, spent 0, raised 0, reserved 800", b)
		}
		if prev, _ := s.MarkThresholds(ctx, c.ID, "", march, hard); prev != hard {
			t.Errorf("MarkThresholds for a past period: got previous %b, want %b (stale, nothing to raise)", prev, hard)
		}
		if prev, _ := s.MarkThresholds(ctx, c.ID, "", "2026-05", alert); prev != 0 {
			t.Errorf("MarkThresholds for a later period: got previous %b, want 0 (rolled over)", prev)
		}
		if b := MustFindBudget(t, s, c.ID, ""); b.Period != "2026-05" || b.Raised != alert || b.Reserved != 800 {
			t.Errorf("after rolling over to May: got %+v, want period 2026-05, raised %b, reserved 800 kept", b, alert)
		}
	})

	t.Run("FindReservations", func(t *testing.T) {
		s, clock, c := setup(t)
		old := MustReserve(t, s, c.ID, "", 1)
		clock.Add(time.Hour)
		MustReserve(t, s, c.ID, "", 2)
		got, err := s.FindReservations(ctx, clock.Now().Add(-time.Minute))
		if err != nil || len(got) != 1 || got[0].ID != old.ID || got[0].Amount != 1 {
			t.Errorf("FindReservations(before): got %v, %v, want [%s]", got, err, old.ID)
		}
		if all, _ := s.FindReservations(ctx, time.Time{}); len(all) != 2 {
			t.Errorf("FindReservations(all): got %d, want 2", len(all))
		}
		MustSetBudget(t, s, &copydesk.Budget{CustomerID: c.ID, Limit: 1000})
		held := MustReserve(t, s, c.ID, "", 300)
		if err := s.ExpireReservation(ctx, held.ID); err != nil {
			t.Fatalf("ExpireReservation: %v", err)
		}
		if err := s.ExpireReservation(ctx, held.ID); copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
			t.Errorf("ExpireReservation twice: got %v, want ENOTFOUND", err)
		}
		if b := MustFindBudget(t, s, c.ID, ""); b.Reserved != 0 {
			t.Errorf("reserved after expiry: got %d, want 0", b.Reserved)
		}
		if all, _ := s.FindReservations(ctx, time.Time{}); len(all) != 2 {
			t.Errorf("FindReservations after expiry: got %d, want 2 (expired ones are not open)", len(all))
		}
		if b := MustSettle(t, s, held.ID, 250, &copydesk.LedgerEntry{Model: "m"}); b.Spent != 250 || b.Reserved != 0 {
			t.Errorf("settling an expired reservation: got spent %d reserved %d, want 250 0 (charged, nothing released twice)", b.Spent, b.Reserved)
		}
		late := MustReserve(t, s, c.ID, "", 100)
		s.ExpireReservation(ctx, late.ID)
		if n, err := s.DeleteExpiredReservations(ctx, clock.Now()); err != nil || n != 0 {
			t.Errorf("DeleteExpiredReservations(now): got %d, %v, want 0 (expired at now, not before)", n, err)
		}
		if n, err := s.DeleteExpiredReservations(ctx, clock.Now().Add(time.Second)); err != nil || n != 1 {
			t.Errorf("DeleteExpiredReservations(later): got %d, %v, want 1", n, err)
		}
		if err := s.Release(ctx, late.ID); copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
			t.Errorf("release a forgotten reservation: got %v, want ENOTFOUND", err)
		}
	})

	t.Run("Race", func(t *testing.T) {
		s, clock, c := setup(t)
		u := MustCreateUser(t, s, c.ID, "ann@example.com", copydesk.RoleUser)
		const estimate = 1000
		const limit = 10 * estimate // fits about 10 calls at their estimate
		MustSetBudget(t, s, &copydesk.Budget{CustomerID: c.ID, Limit: limit})
		var (
			wg                  sync.WaitGroup
			ok, refused, failed atomic.Int64
			reserved            atomic.Int64
			settled             atomic.Int64
			start               = make(chan struct{})
		)
		for i := range RaceCalls {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				r := &copydesk.Reservation{CustomerID: c.ID, UserID: u.ID, Amount: estimate}
				if _, err := s.Reserve(ctx, r); copydesk.ErrorCode(err) == copydesk.EBUDGETEXCEEDED {
					refused.Add(1)
					return
				} else if err != nil {
					failed.Add(1)
					t.Errorf("Reserve: %v", err)
					return
				}
				reserved.Add(1)
				if i%7 == 0 { // some calls fail before the provider answers
					if err := s.Release(ctx, r.ID); err != nil {
						t.Errorf("Release: %v", err)
					}
					return
				}
				actual := copydesk.Micros(estimate/2 + i%(estimate/2)) // always within the estimate
				if _, err := s.Settle(ctx, r.ID, actual, &copydesk.LedgerEntry{Kind: "analysis", Model: "m", Provider: "p"}); err != nil {
					failed.Add(1)
					t.Errorf("Settle: %v", err)
					return
				}
				ok.Add(1)
				settled.Add(int64(actual))
			}()
		}
		close(start)
		wg.Wait()
		b := MustFindBudget(t, s, c.ID, "")
		if b.Spent > limit {
			t.Errorf("spent: got %d, want at most the hard limit %d", b.Spent, limit)
		}
		if b.Spent != copydesk.Micros(settled.Load()) {
			t.Errorf("spent: got %d, want the sum of settled costs %d", b.Spent, settled.Load())
		}
		if b.Reserved != 0 {
			t.Errorf("reserved after all calls: got %d, want 0", b.Reserved)
		}
		if open, _ := s.FindReservations(ctx, time.Time{}); len(open) != 0 {
			t.Errorf("open reservations: got %d, want 0", len(open))
		}
		rows, err := s.FindLedger(ctx, copydesk.UsageFilter{CustomerID: c.ID, From: Epoch(), To: clock.Now().Add(time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		var sum copydesk.Micros
		for _, r := range rows {
			sum += r.Cost
		}
		if sum != b.Spent || int64(len(rows)) != ok.Load() {
			t.Errorf("ledger: got %d rows summing to %d, want %d rows summing to spent %d", len(rows), sum, ok.Load(), b.Spent)
		}
		// Until 10 reservations succeed, every one fits: at least 10 must.
		if reserved.Load() < 10 || refused.Load() == 0 || ok.Load() == 0 {
			t.Errorf("got %d reserved, %d settled and %d refused, want at least 10 reserved, some settled and some refused",
				reserved.Load(), ok.Load(), refused.Load())
		}
		t.Logf("%d calls: %d reserved, %d settled, %d refused, %d failed; spent %d of %d", RaceCalls, reserved.Load(), ok.Load(), refused.Load(), failed.Load(), b.Spent, limit)
	})
}

// MustSetBudget sets b.
func MustSetBudget(tb testing.TB, s copydesk.BudgetStore, b *copydesk.Budget) *copydesk.Budget {
	tb.Helper()
	if err := s.SetBudget(context.Background(), b); err != nil {
		tb.Fatalf("SetBudget(%+v): %v", b, err)
	}
	return b
}

// MustFindBudget returns a budget.
func MustFindBudget(tb testing.TB, s copydesk.BudgetStore, customerID, userID string) *copydesk.Budget {
	tb.Helper()
	b, err := s.FindBudget(context.Background(), customerID, userID)
	if err != nil {
		tb.Fatalf("FindBudget(%q, %q): %v", customerID, userID, err)
	}
	return b
}

// MustReserve reserves amount.
func MustReserve(tb testing.TB, s copydesk.BudgetStore, customerID, userID string, amount copydesk.Micros) *copydesk.Reservation {
	tb.Helper()
	r := &copydesk.Reservation{CustomerID: customerID, UserID: userID, Amount: amount}
	if _, err := s.Reserve(context.Background(), r); err != nil {
		tb.Fatalf("Reserve(%d): %v", amount, err)
	}
	return r
}

// MustSettle settles a reservation.
func MustSettle(tb testing.TB, s copydesk.BudgetStore, id string, actual copydesk.Micros, e *copydesk.LedgerEntry) *copydesk.Budget {
	tb.Helper()
	b, err := s.Settle(context.Background(), id, actual, e)
	if err != nil {
		tb.Fatalf("Settle(%s, %d): %v", id, actual, err)
	}
	return b
}

// BenchmarkReserveSettle measures one budget-checked call's store work: a
// Reserve and a Settle (with its ledger row), run in parallel against one
// customer's budget so that they contend for its row.
func BenchmarkReserveSettle(b *testing.B, s MoneyStore) {
	ctx := context.Background()
	c := MustCreateCustomer(b, s, "Bench")
	MustSetBudget(b, s, &copydesk.Budget{CustomerID: c.ID, Limit: copydesk.MaxBudgetMicros})
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := &copydesk.Reservation{CustomerID: c.ID, Amount: 1000}
			if _, err := s.Reserve(ctx, r); err != nil {
				b.Error(err)
				return
			}
			if _, err := s.Settle(ctx, r.ID, 600, &copydesk.LedgerEntry{Kind: "analysis", Model: "m", Provider: "p"}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// JournalStore is a MoneyStore that also keeps the journal of budgets held
// in memory (copydesk.BudgetJournal).
type JournalStore interface {
	MoneyStore
	copydesk.BudgetJournal
	StoreStats() copydesk.StoreStats
}

// TestBudgetJournal runs the copydesk.BudgetJournal conformance suite:
// charges add to the spent amounts of the budgets that exist, roll their
// periods over, and append their ledger rows, all or nothing.
func TestBudgetJournal(t *testing.T, newStore func(t *testing.T, clock copydesk.Clock) JournalStore) {
	ctx := context.Background()
	t.Parallel()
	clock := NewClock(Epoch())
	s := newStore(t, clock)
	c := MustCreateCustomer(t, s, "Acme")
	u := MustCreateUser(t, s, c.ID, "u@example.com", copydesk.RoleUser)
	other := MustCreateUser(t, s, c.ID, "o@example.com", copydesk.RoleUser)
	MustSetBudget(t, s, &copydesk.Budget{CustomerID: c.ID, Limit: 10_000})
	MustSetBudget(t, s, &copydesk.Budget{CustomerID: c.ID, UserID: u.ID, Limit: 5_000})
	period := copydesk.BudgetPeriod(clock.Now())
	charges := []*copydesk.Charge{
		{CustomerID: c.ID, UserID: u.ID, Period: period, Amount: 100, Entry: &copydesk.LedgerEntry{Kind: "chat", Model: "m"}},
		{CustomerID: c.ID, UserID: other.ID, Period: period, Amount: 30, Entry: &copydesk.LedgerEntry{Kind: "chat", Model: "m"}}, // the user has no budget
		{CustomerID: c.ID, Period: period, Amount: 7, Entry: &copydesk.LedgerEntry{Kind: "chat", Model: "m"}},
	}
	ledgerRows := func() int64 { return s.StoreStats().LedgerRows }
	rowsBefore := ledgerRows()
	if err := s.ChargeBudgets(ctx, charges); err != nil {
		t.Fatalf("ChargeBudgets: %v", err)
	}
	if n := ledgerRows() - rowsBefore; n != 3 {
		t.Errorf("StoreStats counted %d ledger rows for 3 charges, want 3", n)
	}
	cb, _ := s.FindBudget(ctx, c.ID, "")
	ub, _ := s.FindBudget(ctx, c.ID, u.ID)
	if cb.Spent != 137 || ub.Spent != 100 || cb.Reserved != 0 {
		t.Errorf("got customer spent %d, user spent %d, reserved %d; want 137, 100, 0", cb.Spent, ub.Spent, cb.Reserved)
	}
	rows, err := s.FindLedger(ctx, copydesk.UsageFilter{From: Epoch().Add(-time.Hour), To: Epoch().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	var cost copydesk.Micros
	for _, r := range rows {
		cost += r.Cost
		if r.CustomerID != c.ID || r.ID == "" {
			t.Errorf("got row %+v, want the charge's customer and an id", r)
		}
	}
	if len(rows) != 3 || cost != 137 {
		t.Errorf("got %d rows costing %d, want 3 costing 137", len(rows), cost)
	}

	// A bad charge refuses the whole batch.
	bad := []*copydesk.Charge{
		{CustomerID: c.ID, Period: period, Amount: 1, Entry: &copydesk.LedgerEntry{Kind: "chat"}},
		{CustomerID: c.ID, Period: period, Amount: -1, Entry: &copydesk.LedgerEntry{Kind: "chat"}},
	}
	if err := s.ChargeBudgets(ctx, bad); copydesk.ErrorCode(err) != copydesk.EINVALID {
		t.Errorf("a batch with a negative amount: got %v, want EINVALID", err)
	}
	if err := s.ChargeBudgets(ctx, []*copydesk.Charge{{CustomerID: c.ID, Amount: 1}}); copydesk.ErrorCode(err) != copydesk.EINVALID {
		t.Errorf("a charge without an entry: got %v, want EINVALID", err)
	}
	if cb, _ := s.FindBudget(ctx, c.ID, ""); cb.Spent != 137 {
		t.Errorf("got spent %d after refused batches, want 137", cb.Spent)
	}
	// Every committed ledger row is counted, whatever wrote it; a refused
	// write counts none.
	rowsBefore = ledgerRows()
	if err := s.AppendLedger(ctx, &copydesk.LedgerEntry{CustomerID: c.ID, Kind: "chat", Model: "m"}); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendLedgers(ctx, []*copydesk.LedgerEntry{{CustomerID: c.ID, Kind: "chat"}, {CustomerID: c.ID, Kind: "chat", CacheHit: true, Count: 40}}); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendLedger(ctx, &copydesk.LedgerEntry{CustomerID: c.ID, Kind: "chat", Cost: -1}); err == nil {
		t.Error("a ledger row with a negative cost: appended")
	}
	r := &copydesk.Reservation{CustomerID: c.ID, UserID: u.ID, Amount: 10}
	if _, err := s.Reserve(ctx, r); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Settle(ctx, r.ID, 4, &copydesk.LedgerEntry{Kind: "chat", Model: "m"}); err != nil {
		t.Fatal(err)
	}
	if n := ledgerRows() - rowsBefore; n != 4 {
		t.Errorf("StoreStats counted %d ledger rows for one appended, two appended at once, one refused and one settled, want 4", n)
	}

	// A new month starts from zero.
	clock.Add(40 * 24 * time.Hour)
	next := copydesk.BudgetPeriod(clock.Now())
	if err := s.ChargeBudgets(ctx, []*copydesk.Charge{{CustomerID: c.ID, UserID: u.ID, Period: next, Amount: 5, Entry: &copydesk.LedgerEntry{Kind: "chat"}}}); err != nil {
		t.Fatal(err)
	}
	cb, _ = s.FindBudget(ctx, c.ID, "")
	ub, _ = s.FindBudget(ctx, c.ID, u.ID)
	if cb.Spent != 5 || cb.Period != next || ub.Spent != 5 {
		t.Errorf("got customer %d in %s and user %d, want 5 in %s and 5", cb.Spent, cb.Period, ub.Spent, next)
	}
}
