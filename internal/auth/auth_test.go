package auth_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/copydesk/copydesk/internal/auth"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/sqlite"
	"github.com/copydesk/copydesk/internal/storetest"
)

// testParams are cheap argon2id parameters for tests (the defaults are
// exercised by TestDefaultPasswordParams and the benchmark).
var testParams = auth.PasswordParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// MustStore opens a fresh SQLite store reading time from clock.
func MustStore(tb testing.TB, clock copydesk.Clock) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "auth.db"), sqlite.Options{Clock: clock})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// fixture is a store with one customer and a user of each role.
type fixture struct {
	store               *sqlite.DB
	clock               *storetest.Clock
	customer            *copydesk.Customer
	admin, client, user *copydesk.User
	authn               *auth.Authenticator
}

func MustFixture(tb testing.TB) *fixture {
	tb.Helper()
	clock := storetest.NewClock(storetest.Epoch())
	db := MustStore(tb, clock)
	f := &fixture{store: db, clock: clock, customer: storetest.MustCreateCustomer(tb, db, "Acme")}
	f.admin = storetest.MustCreateUser(tb, db, f.customer.ID, "admin@example.com", copydesk.RoleAdmin)
	f.client = storetest.MustCreateUser(tb, db, f.customer.ID, "client@example.com", copydesk.RoleClient)
	f.user = storetest.MustCreateUser(tb, db, f.customer.ID, "user@example.com", copydesk.RoleUser)
	f.authn = &auth.Authenticator{Store: db, Clock: clock, Password: testParams}
	return f
}
