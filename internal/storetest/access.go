package storetest

import (
	"context"
	"crypto/sha256"
	"slices"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/google/go-cmp/cmp"
)

// NewAccessStore builds a fresh, empty access store that reads time from
// clock and is cleaned up when t ends.
type NewAccessStore func(t *testing.T, clock copydesk.Clock) copydesk.AccessStore

// TestAccessStore runs the copydesk.AccessStore conformance suite.
func TestAccessStore(t *testing.T, newStore NewAccessStore) {
	setup := func(t *testing.T) (copydesk.AccessStore, *Clock) {
		t.Helper()
		t.Parallel()
		clock := NewClock(Epoch())
		return newStore(t, clock), clock
	}
	ctx := context.Background()

	t.Run("Customer", func(t *testing.T) {
		s, clock := setup(t)
		c := MustCreateCustomer(t, s, "Acme")
		if c.ID == "" || !c.CreatedAt.Equal(clock.Now()) {
			t.Errorf("got id %q created %v, want an id and %v", c.ID, c.CreatedAt, clock.Now())
		}
		got, err := s.FindCustomerByID(ctx, c.ID)
		if err != nil {
			t.Fatalf("FindCustomerByID: %v", err)
		}
		if diff := cmp.Diff(c, got); diff != "" {
			t.Errorf("customer (-want +got):\n%s", diff)
		}
		clock.Add(time.Second)
		d := MustCreateCustomer(t, s, "Bolt")
		all, err := s.FindCustomers(ctx)
		if err != nil || len(all) != 2 || all[0].ID != c.ID || all[1].ID != d.ID {
			t.Errorf("FindCustomers: got %v, %v, want [%s %s]", all, err, c.ID, d.ID)
		}
		if _, err := s.FindCustomerByID(ctx, "cus_absent"); copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
			t.Errorf("absent customer: got %v, want ENOTFOUND", err)
		}
		if err := s.CreateCustomer(ctx, &copydesk.Customer{ID: c.ID, Name: "again"}); copydesk.ErrorCode(err) != copydesk.ECONFLICT {
			t.Errorf("duplicate id: got %v, want ECONFLICT", err)
		}
		if err := s.CreateCustomer(ctx, &copydesk.Customer{Name: "  "}); copydesk.ErrorCode(err) != copydesk.EINVALID {
			t.Errorf("blank name: got %v, want EINVALID", err)
		}
	})

	t.Run("User", func(t *testing.T) {
		s, _ := setup(t)
		c := MustCreateCustomer(t, s, "Acme")
		u := &copydesk.User{CustomerID: c.ID, Email: " Ann@Example.COM ", Name: "Ann", Role: copydesk.RoleClient, PasswordHash: "$argon2id$x"}
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		if u.Email != "ann@example.com" {
			t.Errorf("email: got %q, want lower case and trimmed", u.Email)
		}
		for name, find := range map[string]func() (*copydesk.User, error){
			"ByID":    func() (*copydesk.User, error) { return s.FindUserByID(ctx, u.ID) },
			"ByEmail": func() (*copydesk.User, error) { return s.FindUserByEmail(ctx, "ANN@example.com") },
		} {
			got, err := find()
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if diff := cmp.Diff(u, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", name, diff)
			}
		}
		if n, err := s.CountUsers(ctx); err != nil || n != 1 {
			t.Errorf("CountUsers: got %d, %v, want 1", n, err)
		}
		tests := []struct {
			name string
			user copydesk.User
			code string
		}{
			{"DuplicateEmail", copydesk.User{CustomerID: c.ID, Email: "ann@example.com", Role: copydesk.RoleUser}, copydesk.ECONFLICT},
			{"UnknownCustomer", copydesk.User{CustomerID: "cus_absent", Email: "b@example.com", Role: copydesk.RoleUser}, copydesk.ENOTFOUND},
			{"BadRole", copydesk.User{CustomerID: c.ID, Email: "c@example.com", Role: "ROOT"}, copydesk.EINVALID},
			{"BadEmail", copydesk.User{CustomerID: c.ID, Email: "not-an-address", Role: copydesk.RoleUser}, copydesk.EINVALID},
		}
		for _, tt := range tests {
			if err := s.CreateUser(ctx, &tt.user); copydesk.ErrorCode(err) != tt.code {
				t.Errorf("%s: got %v, want %s", tt.name, err, tt.code)
			}
		}
		if err := s.SetUserPassword(ctx, u.ID, "$argon2id$y"); err != nil {
			t.Fatalf("SetUserPassword: %v", err)
		}
		if err := s.SetUserDisabled(ctx, u.ID, true); err != nil {
			t.Fatalf("SetUserDisabled: %v", err)
		}
		got, _ := s.FindUserByID(ctx, u.ID)
		if got.PasswordHash != "$argon2id$y" || !got.Disabled {
			t.Errorf("after updates: got hash %q disabled %v, want $argon2id$y true", got.PasswordHash, got.Disabled)
		}
		if err := s.SetUserDisabled(ctx, "usr_absent", true); copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
			t.Errorf("SetUserDisabled absent: got %v, want ENOTFOUND", err)
		}
		// A role change ends the user's sessions, like a password change.
		sess := &copydesk.Session{UserID: u.ID, CustomerID: c.ID, Hash: hash("role-tok"), CSRFToken: "csrf", ExpiresAt: Epoch().Add(time.Hour)}
		if err := s.CreateSession(ctx, sess); err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
		if err := s.SetUserRole(ctx, u.ID, copydesk.RoleAdmin); err != nil {
			t.Fatalf("SetUserRole: %v", err)
		}
		if got, _ := s.FindUserByID(ctx, u.ID); got.Role != copydesk.RoleAdmin {
			t.Errorf("role after SetUserRole: got %s, want ADMIN", got.Role)
		}
		if _, err := s.FindSessionByHash(ctx, hash("role-tok")); copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
			t.Errorf("session after a role change: got %v, want ENOTFOUND", err)
		}
		if err := s.SetUserRole(ctx, u.ID, "ROOT"); copydesk.ErrorCode(err) != copydesk.EINVALID {
			t.Errorf("SetUserRole ROOT: got %v, want EINVALID", err)
		}
		if err := s.SetUserRole(ctx, "usr_absent", copydesk.RoleUser); copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
			t.Errorf("SetUserRole absent: got %v, want ENOTFOUND", err)
		}
		if err := s.SetUserRole(ctx, u.ID, copydesk.RoleClient); err != nil {
			t.Fatalf("SetUserRole back: %v", err)
		}
		v := MustCreateUser(t, s, c.ID, "v@example.com", copydesk.RoleUser)
		other := MustCreateCustomer(t, s, "Other")
		MustCreateUser(t, s, other.ID, "w@example.com", copydesk.RoleUser)
		users, err := s.FindUsers(ctx, copydesk.UserFilter{CustomerID: c.ID, Role: copydesk.RoleUser})
		if err != nil || len(users) != 1 || users[0].ID != v.ID {
			t.Errorf("FindUsers: got %v, %v, want [%s]", users, err, v.ID)
		}
	})

	t.Run("APIKey", func(t *testing.T) {
		s, clock := setup(t)
		c := MustCreateCustomer(t, s, "Acme")
		u := MustCreateUser(t, s, c.ID, "ann@example.com", copydesk.RoleUser)
		exp := clock.Now().Add(24 * time.Hour)
		k := &copydesk.APIKey{CustomerID: c.ID, UserID: u.ID, Name: "ci", Prefix: "cdk_aaaa", Hash: hash("secret"),
			Scopes: []string{"analyses:write", "jobs:read"}, Models: []string{"gpt-6-luna", "fast", "anthropic/claude-haiku-5-5"}, ExpiresAt: &exp}
		if err := s.CreateAPIKey(ctx, k); err != nil {
			t.Fatalf("CreateAPIKey: %v", err)
		}
		got, err := s.FindAPIKeyByPrefix(ctx, "cdk_aaaa")
		if err != nil {
			t.Fatalf("FindAPIKeyByPrefix: %v", err)
		}
		if diff := cmp.Diff(k, got); diff != "" {
			t.Errorf("key (-want +got):\n%s", diff)
		}
		dup := &copydesk.APIKey{CustomerID: c.ID, UserID: u.ID, Prefix: "cdk_aaaa", Hash: hash("other")}
		if err := s.CreateAPIKey(ctx, dup); copydesk.ErrorCode(err) != copydesk.ECONFLICT {
			t.Errorf("duplicate prefix: got %v, want ECONFLICT", err)
		}
		other := MustCreateCustomer(t, s, "Other")
		cross := &copydesk.APIKey{CustomerID: other.ID, UserID: u.ID, Prefix: "cdk_bbbb", Hash: hash("x")}
		if err := s.CreateAPIKey(ctx, cross); copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
			t.Errorf("user of another customer: got %v, want ENOTFOUND", err)
		}
		if err := s.CreateAPIKey(ctx, &copydesk.APIKey{CustomerID: c.ID, UserID: u.ID, Prefix: "cdk_cccc", Hash: []byte("short")}); copydesk.ErrorCode(err) != copydesk.EINVALID {
			t.Errorf("short hash: got %v, want EINVALID", err)
		}
		for _, models := range [][]string{{"gpt 6"}, {"a", "a"}, {""}} {
			bad := &copydesk.APIKey{CustomerID: c.ID, UserID: u.ID, Prefix: "cdk_dddd", Hash: hash("m"), Models: models}
			if err := s.CreateAPIKey(ctx, bad); copydesk.ErrorCode(err) != copydesk.EINVALID {
				t.Errorf("models %q: got %v, want EINVALID", models, err)
			}
		}
		// A key without a model list reads back without one (every model).
		all := &copydesk.APIKey{CustomerID: c.ID, UserID: u.ID, Prefix: "cdk_eeee", Hash: hash("all")}
		if err := s.CreateAPIKey(ctx, all); err != nil {
			t.Fatal(err)
		}
		if got, err := s.FindAPIKeyByPrefix(ctx, "cdk_eeee"); err != nil || len(got.Models) != 0 {
			t.Errorf("key without models: got %v, %v", got, err)
		}
		first := clock.Add(time.Minute)
		r, err := s.RevokeAPIKey(ctx, k.ID)
		if err != nil || r.RevokedAt == nil || !r.RevokedAt.Equal(first) {
			t.Fatalf("RevokeAPIKey: got %v, %v, want revoked at %v", r, err, first)
		}
		clock.Add(time.Minute)
		if r, err := s.RevokeAPIKey(ctx, k.ID); err != nil || !r.RevokedAt.Equal(first) {
			t.Errorf("second revoke: got %v, %v, want the first time %v kept", r, err, first)
		}
		if _, err := s.RevokeAPIKey(ctx, "key_absent"); copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
			t.Errorf("revoke absent: got %v, want ENOTFOUND", err)
		}
		if _, err := s.FindAPIKeyByPrefix(ctx, "cdk_zzzz"); copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
			t.Errorf("absent prefix: got %v, want ENOTFOUND", err)
		}
		if got, err := s.FindAPIKeyByID(ctx, k.ID); err != nil || got.Prefix != k.Prefix || got.RevokedAt == nil || !got.RevokedAt.Equal(first) {
			t.Errorf("FindAPIKeyByID: got %v, %v, want key %s revoked at %v", got, err, k.Prefix, first)
		}
		if _, err := s.FindAPIKeyByID(ctx, "key_absent"); copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
			t.Errorf("absent key id: got %v, want ENOTFOUND", err)
		}
		// A key's own rate limit: set at creation, changed, removed.
		limited := &copydesk.APIKey{CustomerID: c.ID, UserID: u.ID, Prefix: "cdk_ffff", Hash: hash("limited"), RateLimit: &copydesk.RateLimit{PerMinute: 30, Burst: 5}}
		if err := s.CreateAPIKey(ctx, limited); err != nil {
			t.Fatal(err)
		}
		if got, err := s.FindAPIKeyByPrefix(ctx, "cdk_ffff"); err != nil || got.RateLimit == nil || *got.RateLimit != (copydesk.RateLimit{PerMinute: 30, Burst: 5}) {
			t.Errorf("key with a rate limit: got %+v, %v, want 30 a minute, burst 5", got, err)
		}
		if got, err := s.SetAPIKeyRateLimit(ctx, limited.ID, &copydesk.RateLimit{PerMinute: 60}); err != nil || got.RateLimit == nil || got.RateLimit.PerMinute != 60 || got.RateLimit.Burst != 0 {
			t.Errorf("SetAPIKeyRateLimit: got %+v, %v, want 60 a minute", got, err)
		}
		if got, err := s.SetAPIKeyRateLimit(ctx, limited.ID, nil); err != nil || got.RateLimit != nil {
			t.Errorf("SetAPIKeyRateLimit nil: got %+v, %v, want no rate limit", got, err)
		}
		if got, err := s.FindAPIKeyByID(ctx, limited.ID); err != nil || got.RateLimit != nil {
			t.Errorf("key after its rate limit was removed: got %+v, %v, want none", got, err)
		}
		if _, err := s.SetAPIKeyRateLimit(ctx, limited.ID, &copydesk.RateLimit{PerMinute: 0}); copydesk.ErrorCode(err) != copydesk.EINVALID {
			t.Errorf("rate limit of 0 a minute: got %v, want EINVALID", err)
		}
		if _, err := s.SetAPIKeyRateLimit(ctx, "key_absent", &copydesk.RateLimit{PerMinute: 1}); copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
			t.Errorf("rate limit of an absent key: got %v, want ENOTFOUND", err)
		}
		if err := s.CreateAPIKey(ctx, &copydesk.APIKey{CustomerID: c.ID, UserID: u.ID, Prefix: "cdk_gggg", Hash: hash("bad"), RateLimit: &copydesk.RateLimit{PerMinute: -1}}); copydesk.ErrorCode(err) != copydesk.EINVALID {
			t.Errorf("key with a negative rate: got %v, want EINVALID", err)
		}
		keys, err := s.FindAPIKeys(ctx, copydesk.APIKeyFilter{CustomerID: c.ID})
		i := slices.IndexFunc(keys, func(x *copydesk.APIKey) bool { return x.ID == k.ID })
		if err != nil || len(keys) != 3 || i < 0 || !slices.Equal(keys[i].Models, k.Models) {
			t.Errorf("FindAPIKeys: got %d keys, %v, want 3, one with models %v", len(keys), err, k.Models)
		}
		if keys, _ := s.FindAPIKeys(ctx, copydesk.APIKeyFilter{CustomerID: other.ID}); len(keys) != 0 {
			t.Errorf("FindAPIKeys other customer: got %d keys, want 0", len(keys))
		}
	})

	t.Run("Session", func(t *testing.T) {
		s, clock := setup(t)
		c := MustCreateCustomer(t, s, "Acme")
		u := MustCreateUser(t, s, c.ID, "ann@example.com", copydesk.RoleUser)
		sess := &copydesk.Session{UserID: u.ID, CustomerID: c.ID, Hash: hash("tok"), CSRFToken: "csrf", ExpiresAt: clock.Now().Add(time.Hour)}
		if err := s.CreateSession(ctx, sess); err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
		got, err := s.FindSessionByHash(ctx, hash("tok"))
		if err != nil {
			t.Fatalf("FindSessionByHash: %v", err)
		}
		if diff := cmp.Diff(sess, got); diff != "" {
			t.Errorf("session (-want +got):\n%s", diff)
		}
		byID, err := s.FindSessionByID(ctx, sess.ID)
		if err != nil {
			t.Fatalf("FindSessionByID: %v", err)
		}
		if diff := cmp.Diff(sess, byID); diff != "" {
			t.Errorf("session by id (-want +got):\n%s", diff)
		}
		if _, err := s.FindSessionByID(ctx, "ses_absent"); copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
			t.Errorf("absent session id: got %v, want ENOTFOUND", err)
		}
		if _, err := s.FindSessionByHash(ctx, hash("other")); copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
			t.Errorf("absent session: got %v, want ENOTFOUND", err)
		}
		if err := s.CreateSession(ctx, &copydesk.Session{UserID: "usr_absent", CustomerID: c.ID, Hash: hash("t2"), ExpiresAt: clock.Now()}); copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
			t.Errorf("unknown user: got %v, want ENOTFOUND", err)
		}
		short := &copydesk.Session{UserID: u.ID, CustomerID: c.ID, Hash: hash("t3"), CSRFToken: "c", ExpiresAt: clock.Now().Add(time.Minute)}
		if err := s.CreateSession(ctx, short); err != nil {
			t.Fatal(err)
		}
		clock.Add(2 * time.Minute)
		if n, err := s.DeleteExpiredSessions(ctx); err != nil || n != 1 {
			t.Errorf("DeleteExpiredSessions: got %d, %v, want 1", n, err)
		}
		if err := s.DeleteSession(ctx, sess.ID); err != nil {
			t.Fatalf("DeleteSession: %v", err)
		}
		if err := s.DeleteSession(ctx, sess.ID); err != nil {
			t.Errorf("DeleteSession twice: got %v, want nil", err)
		}
		if _, err := s.FindSessionByHash(ctx, hash("tok")); copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
			t.Errorf("deleted session: got %v, want ENOTFOUND", err)
		}
	})

	// A password change and disabling a user end the user's sessions, and
	// only that user's; enabling a user, or another user's change, does not.
	t.Run("SessionsEnd", func(t *testing.T) {
		s, clock := setup(t)
		c := MustCreateCustomer(t, s, "Acme")
		u := MustCreateUser(t, s, c.ID, "ann@example.com", copydesk.RoleUser)
		other := MustCreateUser(t, s, c.ID, "bob@example.com", copydesk.RoleUser)
		login := func(user *copydesk.User, tok string) *copydesk.Session {
			t.Helper()
			sess := &copydesk.Session{UserID: user.ID, CustomerID: c.ID, Hash: hash(tok), CSRFToken: "c", ExpiresAt: clock.Now().Add(time.Hour)}
			if err := s.CreateSession(ctx, sess); err != nil {
				t.Fatal(err)
			}
			return sess
		}
		alive := func(sess *copydesk.Session) bool {
			t.Helper()
			_, err := s.FindSessionByID(ctx, sess.ID)
			if err != nil && copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
				t.Fatal(err)
			}
			return err == nil
		}
		a1, a2, b := login(u, "a1"), login(u, "a2"), login(other, "b")
		if err := s.SetUserPassword(ctx, u.ID, "new-hash"); err != nil {
			t.Fatal(err)
		}
		if alive(a1) || alive(a2) {
			t.Error("sessions of a user whose password changed: still there, want deleted")
		}
		if !alive(b) {
			t.Error("another user's session ended by a password change")
		}
		a3 := login(u, "a3")
		if err := s.SetUserDisabled(ctx, u.ID, false); err != nil {
			t.Fatal(err)
		}
		if !alive(a3) {
			t.Error("enabling a user ended its session")
		}
		if err := s.SetUserDisabled(ctx, u.ID, true); err != nil {
			t.Fatal(err)
		}
		if alive(a3) {
			t.Error("session of a disabled user: still there, want deleted")
		}
		if !alive(b) {
			t.Error("another user's session ended by disabling a user")
		}
	})
}

func hash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// MustCreateCustomer creates a customer named name.
func MustCreateCustomer(tb testing.TB, s copydesk.AccessStore, name string) *copydesk.Customer {
	tb.Helper()
	c := &copydesk.Customer{Name: name}
	if err := s.CreateCustomer(context.Background(), c); err != nil {
		tb.Fatalf("CreateCustomer(%q): %v", name, err)
	}
	return c
}

// MustCreateUser creates a user of customerID.
func MustCreateUser(tb testing.TB, s copydesk.AccessStore, customerID, email string, role copydesk.Role) *copydesk.User {
	tb.Helper()
	u := &copydesk.User{CustomerID: customerID, Email: email, Role: role}
	if err := s.CreateUser(context.Background(), u); err != nil {
		tb.Fatalf("CreateUser(%q): %v", email, err)
	}
	return u
}
