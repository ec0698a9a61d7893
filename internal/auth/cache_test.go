package auth_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/auth"
	"github.com/copydesk/copydesk/internal/copydesk"
)

// countingStore counts the reads that reach the store.
type countingStore struct {
	copydesk.AccessStore
	keyReads, userReads, sessionReads atomic.Int64
	// beforeKeyRead, when set, runs inside a key read (before the store).
	beforeKeyRead func()
}

func (c *countingStore) FindAPIKeyByPrefix(ctx context.Context, prefix string) (*copydesk.APIKey, error) {
	c.keyReads.Add(1)
	if c.beforeKeyRead != nil {
		c.beforeKeyRead()
	}
	return c.AccessStore.FindAPIKeyByPrefix(ctx, prefix)
}

func (c *countingStore) FindUserByID(ctx context.Context, id string) (*copydesk.User, error) {
	c.userReads.Add(1)
	return c.AccessStore.FindUserByID(ctx, id)
}

func (c *countingStore) FindSessionByHash(ctx context.Context, hash []byte) (*copydesk.Session, error) {
	c.sessionReads.Add(1)
	return c.AccessStore.FindSessionByHash(ctx, hash)
}

func TestCachingStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := MustFixture(t)
	counting := &countingStore{AccessStore: f.store}
	cs := auth.NewCachingStore(counting, time.Second, f.clock)
	authn := &auth.Authenticator{Store: cs, Clock: f.clock, Password: testParams}
	key, k := MustKey(t, f, f.user, auth.KeyOptions{})

	for range 10 {
		if _, err := authenticate(authn, request("POST", "Bearer "+key)); err != nil {
			t.Fatal(err)
		}
	}
	if got := counting.keyReads.Load() + counting.userReads.Load(); got != 2 {
		t.Errorf("got %d store reads for 10 requests, want 2 (the key and its user, once)", got)
	}

	// After the TTL the store is read again.
	f.clock.Add(time.Second)
	if _, err := authenticate(authn, request("POST", "Bearer "+key)); err != nil {
		t.Fatal(err)
	}
	if got := counting.keyReads.Load(); got != 2 {
		t.Errorf("got %d key reads after the TTL, want 2", got)
	}

	// A revocation through the cache bites at once.
	if _, err := cs.RevokeAPIKey(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := authenticate(authn, request("POST", "Bearer "+key)); copydesk.ErrorCode(err) != copydesk.EUNAUTHORIZED {
		t.Errorf("revoked key: got %v, want EUNAUTHORIZED at once", err)
	}

	// So does disabling the user of another key.
	key2, _ := MustKey(t, f, f.client, auth.KeyOptions{})
	if _, err := authenticate(authn, request("POST", "Bearer "+key2)); err != nil {
		t.Fatal(err)
	}
	if err := cs.SetUserDisabled(ctx, f.client.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := authenticate(authn, request("POST", "Bearer "+key2)); copydesk.ErrorCode(err) != copydesk.EUNAUTHORIZED {
		t.Errorf("disabled user: got %v, want EUNAUTHORIZED at once", err)
	}
}

func TestCachingStoreOtherInstance(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := MustFixture(t)
	cs := auth.NewCachingStore(f.store, 2*time.Second, f.clock)
	authn := &auth.Authenticator{Store: cs, Clock: f.clock, Password: testParams}
	key, k := MustKey(t, f, f.user, auth.KeyOptions{})
	if _, err := authenticate(authn, request("POST", "Bearer "+key)); err != nil {
		t.Fatal(err)
	}
	// Revoked by another instance: straight in the store.
	if _, err := f.store.RevokeAPIKey(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := authenticate(authn, request("POST", "Bearer "+key)); err != nil {
		t.Errorf("within the TTL: got %v, want the remembered key to pass", err)
	}
	f.clock.Add(2 * time.Second)
	if _, err := authenticate(authn, request("POST", "Bearer "+key)); copydesk.ErrorCode(err) != copydesk.EUNAUTHORIZED {
		t.Errorf("after the TTL: got %v, want EUNAUTHORIZED", err)
	}
}

func TestCachingStoreNotFound(t *testing.T) {
	t.Parallel()
	f := MustFixture(t)
	counting := &countingStore{AccessStore: f.store}
	cs := auth.NewCachingStore(counting, time.Second, f.clock)
	authn := &auth.Authenticator{Store: cs, Clock: f.clock, Password: testParams}
	unknown, _, _ := auth.NewAPIKey()
	for range 5 {
		if _, err := authenticate(authn, request("POST", "Bearer "+unknown)); copydesk.ErrorCode(err) != copydesk.EUNAUTHORIZED {
			t.Fatalf("unknown key: got %v, want EUNAUTHORIZED", err)
		}
	}
	if got := counting.keyReads.Load(); got != 1 {
		t.Errorf("got %d store reads for an unknown key asked 5 times, want 1", got)
	}
	// A key created through the cache works at once.
	key, _, err := auth.CreateAPIKey(context.Background(), cs, f.clock.Now(), f.user.CustomerID, f.user.ID, auth.KeyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := authenticate(authn, request("POST", "Bearer "+key)); err != nil {
		t.Errorf("new key: got %v, want it to work at once", err)
	}
}

// TestCachingStoreRacingChange checks that a read that started before a
// change and ends after it is not remembered.
func TestCachingStoreRacingChange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := MustFixture(t)
	counting := &countingStore{AccessStore: f.store}
	cs := auth.NewCachingStore(counting, time.Hour, f.clock)
	_, k := MustKey(t, f, f.user, auth.KeyOptions{})
	counting.beforeKeyRead = func() {
		counting.beforeKeyRead = nil
		cs.Forget() // a change lands while this read is in flight
	}
	if _, err := cs.FindAPIKeyByPrefix(ctx, k.Prefix); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.FindAPIKeyByPrefix(ctx, k.Prefix); err != nil {
		t.Fatal(err)
	}
	if got := counting.keyReads.Load(); got != 2 {
		t.Errorf("got %d store reads, want 2: the racing read must not be remembered", got)
	}
}

func TestCachingStoreOff(t *testing.T) {
	t.Parallel()
	f := MustFixture(t)
	counting := &countingStore{AccessStore: f.store}
	cs := auth.NewCachingStore(counting, -1, f.clock)
	_, k := MustKey(t, f, f.user, auth.KeyOptions{})
	for range 3 {
		if _, err := cs.FindAPIKeyByPrefix(context.Background(), k.Prefix); err != nil {
			t.Fatal(err)
		}
	}
	if got := counting.keyReads.Load(); got != 3 {
		t.Errorf("got %d store reads with caching off, want 3", got)
	}
}

func (c *countingStore) FindAPIKeyByID(ctx context.Context, id string) (*copydesk.APIKey, error) {
	c.keyReads.Add(1)
	return c.AccessStore.FindAPIKeyByID(ctx, id)
}

func (c *countingStore) FindSessionByID(ctx context.Context, id string) (*copydesk.Session, error) {
	c.sessionReads.Add(1)
	return c.AccessStore.FindSessionByID(ctx, id)
}

// TestTokenStanding checks that a JWT works only while the key or session
// it was exchanged for and its user do, that the check is served by the
// cache (no store read per request while fresh), and that a change made on
// another instance bites within the cache's TTL.
func TestTokenStanding(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const ttl = 2 * time.Second
	tests := []struct {
		name   string
		viaKey bool
		// change is made straight in the store, as another instance would.
		change func(f *fixture, k *copydesk.APIKey, sess *copydesk.Session)
		says   string
	}{
		{"KeyRevoked", true, func(f *fixture, k *copydesk.APIKey, _ *copydesk.Session) {
			if _, err := f.store.RevokeAPIKey(ctx, k.ID); err != nil {
				t.Fatal(err)
			}
		}, "revoked"},
		{"KeyExpired", true, func(f *fixture, _ *copydesk.APIKey, _ *copydesk.Session) { f.clock.Add(time.Hour) }, "expired"},
		{"KeyUserDisabled", true, func(f *fixture, _ *copydesk.APIKey, _ *copydesk.Session) {
			if err := f.store.SetUserDisabled(ctx, f.user.ID, true); err != nil {
				t.Fatal(err)
			}
		}, "disabled"},
		{"SessionLoggedOut", false, func(f *fixture, _ *copydesk.APIKey, sess *copydesk.Session) {
			if err := f.store.DeleteSession(ctx, sess.ID); err != nil {
				t.Fatal(err)
			}
		}, "session has ended"},
		{"SessionPasswordChanged", false, func(f *fixture, _ *copydesk.APIKey, _ *copydesk.Session) {
			if err := f.store.SetUserPassword(ctx, f.user.ID, "another-hash"); err != nil {
				t.Fatal(err)
			}
		}, "session has ended"},
		{"SessionUserDisabled", false, func(f *fixture, _ *copydesk.APIKey, _ *copydesk.Session) {
			if err := f.store.SetUserDisabled(ctx, f.user.ID, true); err != nil {
				t.Fatal(err)
			}
		}, "session has ended"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := MustFixture(t)
			tokens, _, _ := MustTokens(t)
			tokens.Clock, tokens.TTL = f.clock, 24*time.Hour
			counting := &countingStore{AccessStore: f.store}
			authn := &auth.Authenticator{Store: auth.NewCachingStore(counting, ttl, f.clock), Tokens: tokens, Clock: f.clock, Password: testParams}

			exp := f.clock.Now().Add(30 * time.Minute)
			_, k := MustKey(t, f, f.user, auth.KeyOptions{ExpiresAt: &exp})
			var sess *copydesk.Session
			p := copydesk.Principal{UserID: f.user.ID, CustomerID: f.customer.ID, Role: f.user.Role, Method: auth.MethodKey, KeyID: k.ID}
			if !tt.viaKey {
				hash, err := auth.HashPassword("correct horse battery", testParams)
				if err != nil {
					t.Fatal(err)
				}
				if err := f.store.SetUserPassword(ctx, f.user.ID, hash); err != nil {
					t.Fatal(err)
				}
				if _, sess, err = authn.Login(ctx, f.user.Email, "correct horse battery"); err != nil {
					t.Fatal(err)
				}
				p = copydesk.Principal{UserID: f.user.ID, CustomerID: f.customer.ID, Role: f.user.Role, Method: auth.MethodSession, SessionID: sess.ID}
			}
			tok, _, err := authn.IssueToken(p)
			if err != nil {
				t.Fatal(err)
			}
			for range 5 {
				if _, err := authenticate(authn, request("GET", "Bearer "+tok)); err != nil {
					t.Fatalf("fresh token: %v", err)
				}
			}
			if got := counting.keyReads.Load() + counting.sessionReads.Load() + counting.userReads.Load(); got != 2 {
				t.Errorf("5 token requests made %d store reads, want 2 (the key or session and the user, once)", got)
			}
			tt.change(f, k, sess)
			f.clock.Add(ttl)
			_, err = authenticate(authn, request("GET", "Bearer "+tok))
			if copydesk.ErrorCode(err) != copydesk.EUNAUTHORIZED || !strings.Contains(copydesk.ErrorMessage(err), tt.says) {
				t.Errorf("after the change and the cache TTL: got %v, want EUNAUTHORIZED saying %q", err, tt.says)
			}
		})
	}
}
