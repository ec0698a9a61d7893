package auth_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/auth"
	"github.com/copydesk/copydesk/internal/copydesk"
)

// request returns the credentials of a request with the Authorization
// header authz and the session token of a cookie, if any (the method is
// for the reader: only the http package looks at it).
func request(_, authz string, session ...string) *auth.Credentials {
	c := &auth.Credentials{Authorization: authz}
	if len(session) > 0 {
		c.Session = session[0]
	}
	return c
}

// authenticate authenticates c and drops the CSRF token.
func authenticate(a *auth.Authenticator, c *auth.Credentials) (copydesk.Principal, error) {
	p, _, err := a.Authenticate(context.Background(), *c)
	return p, err
}

func MustKey(tb testing.TB, f *fixture, u *copydesk.User, opts auth.KeyOptions) (string, *copydesk.APIKey) {
	tb.Helper()
	key, k, err := auth.CreateAPIKey(context.Background(), f.store, f.clock.Now(), u.CustomerID, u.ID, opts)
	if err != nil {
		tb.Fatal(err)
	}
	return key, k
}

func TestAuthenticateKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := MustFixture(t)
	key, k := MustKey(t, f, f.client, auth.KeyOptions{Name: "ci", Scopes: []string{auth.ScopeAnalyses}})
	p, err := authenticate(f.authn, request("POST", "Bearer "+key))
	if err != nil {
		t.Fatalf("valid key: %v", err)
	}
	if p.UserID != f.client.ID || p.CustomerID != f.customer.ID || p.Role != copydesk.RoleClient || p.Method != auth.MethodKey || p.KeyID != k.ID || len(p.Scopes) != 1 {
		t.Errorf("principal: got %+v, want the client by key %s with its scope", p, k.ID)
	}
	if k.Hash == nil || strings.Contains(string(k.Hash), key) {
		t.Errorf("stored key: want only its hash")
	}

	exp := f.clock.Now().Add(time.Hour)
	expiring, _ := MustKey(t, f, f.user, auth.KeyOptions{ExpiresAt: &exp})
	revoked, rk := MustKey(t, f, f.user, auth.KeyOptions{})
	if _, err := f.store.RevokeAPIKey(ctx, rk.ID); err != nil {
		t.Fatal(err)
	}
	disabledKey, _ := MustKey(t, f, f.admin, auth.KeyOptions{})
	if err := f.store.SetUserDisabled(ctx, f.admin.ID, true); err != nil {
		t.Fatal(err)
	}
	other, _, _ := auth.NewAPIKey()
	wrongSecret := key[:len(key)-4] + "AAAA"
	if wrongSecret == key {
		wrongSecret = key[:len(key)-4] + "BBBB"
	}
	f.clock.Add(time.Hour) // the expiring key is now expired

	tests := []struct {
		name, authz, code, says string
	}{
		{"Revoked", "Bearer " + revoked, copydesk.EUNAUTHORIZED, "revoked"},
		{"Expired", "Bearer " + expiring, copydesk.EUNAUTHORIZED, "expired"},
		{"DisabledUser", "Bearer " + disabledKey, copydesk.EUNAUTHORIZED, "disabled"},
		{"UnknownKey", "Bearer " + other, copydesk.EUNAUTHORIZED, "not valid"},
		{"WrongSecret", "Bearer " + wrongSecret, copydesk.EUNAUTHORIZED, "not valid"},
		{"Malformed", "Bearer cdk_123", copydesk.EUNAUTHORIZED, "malformed"},
		{"BasicScheme", "Basic " + key, copydesk.EUNAUTHORIZED, "Bearer"},
		{"NotAKey", "Bearer sk-abc", copydesk.EUNAUTHORIZED, "neither"},
		{"Missing", "", copydesk.EUNAUTHORIZED, "missing"},
	}
	for _, tt := range tests {
		_, err := authenticate(f.authn, request("POST", tt.authz))
		if copydesk.ErrorCode(err) != tt.code || !strings.Contains(copydesk.ErrorMessage(err), tt.says) {
			t.Errorf("%s: got %v, want %s saying %q", tt.name, err, tt.code, tt.says)
		}
		if secret := strings.TrimPrefix(strings.TrimPrefix(tt.authz, "Bearer "), "Basic "); len(secret) > 16 && strings.Contains(err.Error(), secret[16:]) {
			t.Errorf("%s: error %q contains the secret", tt.name, err)
		}
	}
}

func TestSessionLoginCSRF(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := MustFixture(t)
	hash, err := auth.HashPassword("correct horse battery", testParams)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.SetUserPassword(ctx, f.user.ID, hash); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct{ name, email, pw string }{
		{"WrongPassword", "user@example.com", "wrong horse battery"},
		{"UnknownEmail", "nobody@example.com", "correct horse battery"},
		{"NoPassword", "client@example.com", "correct horse battery"},
	} {
		_, _, err := f.authn.Login(ctx, tt.email, tt.pw)
		if copydesk.ErrorCode(err) != copydesk.EUNAUTHORIZED || copydesk.ErrorMessage(err) != "email or password is wrong" {
			t.Errorf("%s: got %v, want EUNAUTHORIZED \"email or password is wrong\"", tt.name, err)
		}
	}

	token, sess, err := f.authn.Login(ctx, "USER@example.com", "correct horse battery")
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	cookie := token
	p, err := authenticate(f.authn, request("GET", "", cookie))
	if err != nil || p.UserID != f.user.ID || p.Method != auth.MethodSession || p.SessionID != sess.ID {
		t.Fatalf("GET with the session: got %+v, %v, want the user by session", p, err)
	}
	// The session's CSRF token comes back for the http package to check.
	if _, csrf, err := f.authn.Authenticate(ctx, auth.Credentials{Session: token}); err != nil || csrf != sess.CSRFToken || csrf == "" {
		t.Errorf("session CSRF token: got %q, %v, want the session's", csrf, err)
	}
	if _, csrf, err := f.authn.Authenticate(ctx, auth.Credentials{Authorization: "Bearer " + token}); csrf != "" || err == nil {
		t.Errorf("session token as a bearer: got CSRF %q, %v, want refused without a CSRF token", csrf, err)
	}
	// A tampered cookie is unknown.
	bad := token + "x"
	if _, err := authenticate(f.authn, request("GET", "", bad)); copydesk.ErrorCode(err) != copydesk.EUNAUTHORIZED {
		t.Errorf("tampered cookie: got %v, want EUNAUTHORIZED", err)
	}
	// Logout ends the session.
	if err := f.authn.Logout(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, err := authenticate(f.authn, request("GET", "", cookie)); copydesk.ErrorCode(err) != copydesk.EUNAUTHORIZED {
		t.Errorf("after logout: got %v, want EUNAUTHORIZED", err)
	}
	// Sessions expire.
	token2, _, err := f.authn.Login(ctx, "user@example.com", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Add(auth.SessionTTLDefault)
	if _, err := authenticate(f.authn, request("GET", "", token2)); copydesk.ErrorCode(err) != copydesk.EUNAUTHORIZED ||
		!strings.Contains(copydesk.ErrorMessage(err), "expired") {
		t.Errorf("expired session: got %v, want EUNAUTHORIZED saying expired", err)
	}
	// A disabled user cannot log in even with the right password.
	if err := f.store.SetUserDisabled(ctx, f.user.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.authn.Login(ctx, "user@example.com", "correct horse battery"); copydesk.ErrorCode(err) != copydesk.EUNAUTHORIZED {
		t.Errorf("disabled user login: got %v, want EUNAUTHORIZED", err)
	}
}

func TestLoginRehashes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := MustFixture(t)
	old := auth.PasswordParams{Memory: 32, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	h, _ := auth.HashPassword("correct horse battery", old)
	f.store.SetUserPassword(ctx, f.user.ID, h)
	if _, _, err := f.authn.Login(ctx, "user@example.com", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	u, _ := f.store.FindUserByID(ctx, f.user.ID)
	if auth.NeedsRehash(u.PasswordHash, testParams) {
		t.Errorf("after login: hash %q still has the old parameters", u.PasswordHash[:30])
	}
}

func TestExchangeToken(t *testing.T) {
	t.Parallel()
	f := MustFixture(t)
	tokens, _, _ := MustTokens(t)
	tokens.Clock = f.clock
	f.authn.Tokens = tokens
	key, _ := MustKey(t, f, f.user, auth.KeyOptions{})
	p, err := authenticate(f.authn, request("POST", "Bearer "+key))
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := f.authn.IssueToken(p)
	if err != nil {
		t.Fatalf("IssueToken for a key: %v", err)
	}
	jp, err := authenticate(f.authn, request("POST", "Bearer "+tok))
	if err != nil || jp.UserID != f.user.ID || jp.Method != auth.MethodJWT || jp.CustomerID != f.customer.ID {
		t.Fatalf("Authenticate with the token: got %+v, %v", jp, err)
	}
	if _, _, err := f.authn.IssueToken(jp); copydesk.ErrorCode(err) != copydesk.EFORBIDDEN {
		t.Errorf("IssueToken for a token: got %v, want EFORBIDDEN", err)
	}
	f.authn.Tokens = nil
	if _, err := authenticate(f.authn, request("POST", "Bearer "+tok)); copydesk.ErrorCode(err) != copydesk.EUNAUTHORIZED {
		t.Errorf("token with tokens off: got %v, want EUNAUTHORIZED", err)
	}
}

func BenchmarkAuthenticateKey(b *testing.B) {
	f := MustFixture(b)
	key, _ := MustKey(b, f, f.user, auth.KeyOptions{})
	r := request("POST", "Bearer "+key)
	for b.Loop() {
		if _, err := authenticate(f.authn, r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyToken(b *testing.B) {
	tokens, _, _ := MustTokens(b)
	tok := MustIssue(b, tokens)
	for b.Loop() {
		if _, err := tokens.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}

// TestXAPIKeyAndModels: Anthropic's SDKs send the key as X-Api-Key; a key's
// model list reaches the principal and survives the exchange for a token.
func TestXAPIKeyAndModels(t *testing.T) {
	t.Parallel()
	f := MustFixture(t)
	tokens, _, _ := MustTokens(t)
	tokens.Clock = f.clock
	f.authn.Tokens = tokens
	models := []string{"gpt-6-luna", "fast"}
	key, _ := MustKey(t, f, f.client, auth.KeyOptions{Models: models})
	r := request("POST", "")
	r.APIKey = key
	p, err := authenticate(f.authn, r)
	if err != nil {
		t.Fatalf("x-api-key: %v", err)
	}
	if p.UserID != f.client.ID || strings.Join(p.Models, ",") != "gpt-6-luna,fast" {
		t.Errorf("principal: got %+v, want the client limited to %v", p, models)
	}
	for _, bad := range []string{"sk-ant-api03-something", "cdk_0000000000000000_wrong"} {
		r := request("POST", "")
		r.APIKey = bad
		if _, err := authenticate(f.authn, r); copydesk.ErrorCode(err) != copydesk.EUNAUTHORIZED || strings.Contains(copydesk.ErrorMessage(err), bad) {
			t.Errorf("x-api-key %q: got %v, want EUNAUTHORIZED without echoing it", bad, err)
		}
	}
	// Authorization wins over X-Api-Key.
	r = request("POST", "Bearer nonsense")
	r.APIKey = key
	if _, err := authenticate(f.authn, r); copydesk.ErrorCode(err) != copydesk.EUNAUTHORIZED {
		t.Errorf("bad bearer with a good x-api-key: got %v, want EUNAUTHORIZED", err)
	}
	tok, _, err := f.authn.IssueToken(p)
	if err != nil {
		t.Fatal(err)
	}
	jp, err := authenticate(f.authn, request("GET", "Bearer "+tok))
	if err != nil || strings.Join(jp.Models, ",") != "gpt-6-luna,fast" {
		t.Errorf("token principal: got %+v, %v; want the key's models kept", jp, err)
	}
}
