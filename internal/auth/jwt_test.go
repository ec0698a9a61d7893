package auth_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/auth"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/storetest"
	"github.com/golang-jwt/jwt/v5"
)

func MustSigningKey(tb testing.TB, id string) auth.SigningKey {
	tb.Helper()
	k, err := auth.NewSigningKey(id)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

var principal = copydesk.Principal{UserID: "usr_1", CustomerID: "cus_1", Role: copydesk.RoleUser, Scopes: []string{auth.ScopeAnalyses}}

func MustTokens(tb testing.TB) (*auth.Tokens, *storetest.Clock, auth.SigningKey) {
	tb.Helper()
	clock := storetest.NewClock(storetest.Epoch())
	k := MustSigningKey(tb, "k1")
	return &auth.Tokens{Keys: auth.NewKeySet(k), Clock: clock}, clock, k
}

func MustIssue(tb testing.TB, tokens *auth.Tokens) string {
	tb.Helper()
	s, _, err := tokens.Issue(principal)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// claimsFor returns valid claims for tokens, to sign by other means.
func claimsFor(clock *storetest.Clock) auth.Claims {
	now := clock.Now()
	return auth.Claims{
		RegisteredClaims: jwt.RegisteredClaims{Issuer: "copydesk", Subject: "usr_1", Audience: jwt.ClaimStrings{"copydesk-api"},
			ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute)), IssuedAt: jwt.NewNumericDate(now)},
		CustomerID: "cus_1", Role: copydesk.RoleAdmin,
	}
}

func TestTokensRoundTrip(t *testing.T) {
	t.Parallel()
	tokens, clock, _ := MustTokens(t)
	s, exp, err := tokens.Issue(principal)
	if err != nil {
		t.Fatal(err)
	}
	if want := clock.Now().Add(auth.TokenTTLDefault); !exp.Equal(want) {
		t.Errorf("expiry: got %v, want %v", exp, want)
	}
	p, err := tokens.Verify(s)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	want := principal
	want.Method = auth.MethodJWT
	if p.UserID != want.UserID || p.CustomerID != want.CustomerID || p.Role != want.Role || p.Method != want.Method || len(p.Scopes) != 1 {
		t.Errorf("principal: got %+v, want %+v", p, want)
	}
	if _, _, err := tokens.Issue(copydesk.Principal{UserID: "u"}); copydesk.ErrorCode(err) != copydesk.EINVALID {
		t.Errorf("Issue for an incomplete principal: got %v, want EINVALID", err)
	}
}

func TestTokensRefused(t *testing.T) {
	t.Parallel()
	tokens, clock, key := MustTokens(t)
	good := MustIssue(t, tokens)
	parts := strings.Split(good, ".")

	sign := func(method jwt.SigningMethod, claims jwt.Claims, kid string, secret any) string {
		tok := jwt.NewWithClaims(method, claims)
		if kid != "" {
			tok.Header["kid"] = kid
		}
		s, err := tok.SignedString(secret)
		if err != nil {
			t.Fatalf("sign %s: %v", method.Alg(), err)
		}
		return s
	}
	pub := key.Private.Public().(ed25519.PublicKey)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	_, otherPriv, _ := ed25519.GenerateKey(rand.Reader)
	claims := claimsFor(clock)
	expired := claimsFor(clock)
	expired.ExpiresAt = jwt.NewNumericDate(clock.Now().Add(-time.Second))
	noExp := claimsFor(clock)
	noExp.ExpiresAt = nil
	wrongAud := claimsFor(clock)
	wrongAud.Audience = jwt.ClaimStrings{"someone-else"}
	wrongIss := claimsFor(clock)
	wrongIss.Issuer = "evil"
	future := claimsFor(clock)
	future.NotBefore = jwt.NewNumericDate(clock.Now().Add(time.Hour))
	noRole := claimsFor(clock)
	noRole.Role = "ROOT"

	// Tampered payload: same header and signature, the role raised to ADMIN.
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	raised := strings.Replace(string(payload), `"role":"USER"`, `"role":"ADMIN"`, 1)
	if raised == string(payload) {
		t.Fatalf("payload %s has no USER role to tamper with", payload)
	}
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sig[0] ^= 1

	tests := []struct {
		name, token string
	}{
		{"Empty", ""},
		{"Garbage", "a.b.c"},
		{"TamperedPayload", parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(raised)) + "." + parts[2]},
		{"TamperedSignature", parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(sig)},
		{"AlgNone", sign(jwt.SigningMethodNone, claims, "k1", jwt.UnsafeAllowNoneSignatureType)},
		{"HS256KeyConfusion", sign(jwt.SigningMethodHS256, claims, "k1", []byte(pub))},
		{"HS256", sign(jwt.SigningMethodHS256, claims, "k1", []byte("a shared secret of thirty-two by"))},
		{"RS256", sign(jwt.SigningMethodRS256, claims, "k1", rsaKey)},
		{"OtherEd25519Key", sign(jwt.SigningMethodEdDSA, claims, "k1", otherPriv)},
		{"UnknownKid", sign(jwt.SigningMethodEdDSA, claims, "k9", key.Private)},
		{"NoKid", sign(jwt.SigningMethodEdDSA, claims, "", key.Private)},
		{"Expired", sign(jwt.SigningMethodEdDSA, expired, "k1", key.Private)},
		{"NoExpiry", sign(jwt.SigningMethodEdDSA, noExp, "k1", key.Private)},
		{"WrongAudience", sign(jwt.SigningMethodEdDSA, wrongAud, "k1", key.Private)},
		{"WrongIssuer", sign(jwt.SigningMethodEdDSA, wrongIss, "k1", key.Private)},
		{"NotYetValid", sign(jwt.SigningMethodEdDSA, future, "k1", key.Private)},
		{"UnknownRole", sign(jwt.SigningMethodEdDSA, noRole, "k1", key.Private)},
	}
	// The control: the same construction with valid claims passes.
	if _, err := tokens.Verify(sign(jwt.SigningMethodEdDSA, claims, "k1", key.Private)); err != nil {
		t.Fatalf("control token: got %v, want it accepted", err)
	}
	for _, tt := range tests {
		p, err := tokens.Verify(tt.token)
		if copydesk.ErrorCode(err) != copydesk.EUNAUTHORIZED {
			t.Errorf("%s: got %+v, %v, want EUNAUTHORIZED", tt.name, p, err)
			continue
		}
		if tt.token != "" && strings.Contains(err.Error(), tt.token) {
			t.Errorf("%s: error contains the token", tt.name)
		}
	}
	// A token that was valid expires with the clock.
	clock.Add(auth.TokenTTLDefault)
	if _, err := tokens.Verify(good); copydesk.ErrorCode(err) != copydesk.EUNAUTHORIZED || !strings.Contains(copydesk.ErrorMessage(err), "expired") {
		t.Errorf("after its TTL: got %v, want EUNAUTHORIZED saying expired", err)
	}
}

func TestKeyRotation(t *testing.T) {
	t.Parallel()
	tokens, _, _ := MustTokens(t)
	old := MustIssue(t, tokens)
	tokens.Keys.Rotate(MustSigningKey(t, "k2"))
	fresh := MustIssue(t, tokens)
	if h, _ := base64.RawURLEncoding.DecodeString(strings.Split(fresh, ".")[0]); !strings.Contains(string(h), `"kid":"k2"`) {
		t.Errorf("new token header %s: want kid k2", h)
	}
	for name, tok := range map[string]string{"old": old, "new": fresh} {
		if _, err := tokens.Verify(tok); err != nil {
			t.Errorf("during the overlap, %s token: got %v, want valid", name, err)
		}
	}
	if err := tokens.Keys.Remove("k2"); copydesk.ErrorCode(err) != copydesk.EINVALID {
		t.Errorf("Remove(current): got %v, want EINVALID", err)
	}
	if err := tokens.Keys.Remove("k1"); err != nil {
		t.Fatal(err)
	}
	if _, err := tokens.Verify(old); copydesk.ErrorCode(err) != copydesk.EUNAUTHORIZED {
		t.Errorf("old token after removing its key: got %v, want EUNAUTHORIZED", err)
	}
	if _, err := tokens.Verify(fresh); err != nil {
		t.Errorf("new token after removing the old key: got %v, want valid", err)
	}
}

func TestSigningKeyMarshal(t *testing.T) {
	t.Parallel()
	k := MustSigningKey(t, "2026-03")
	got, err := auth.ParseSigningKey(auth.MarshalSigningKey(k))
	if err != nil || got.ID != k.ID || !got.Private.Equal(k.Private) {
		t.Errorf("round trip: got %v, %v, want the same key", got, err)
	}
	if s := k.String(); strings.Contains(s, base64.RawURLEncoding.EncodeToString(k.Private.Seed())) {
		t.Errorf("String() reveals the key: %q", s)
	}
	for _, bad := range []string{"", "k1", "k1:", "k1:AAAA", ":" + base64.RawURLEncoding.EncodeToString(make([]byte, 32))} {
		if _, err := auth.ParseSigningKey(bad); copydesk.ErrorCode(err) != copydesk.EINVALID {
			t.Errorf("ParseSigningKey(%q): got %v, want EINVALID", bad, err)
		}
	}
	if _, err := auth.NewSigningKey("has space"); copydesk.ErrorCode(err) != copydesk.EINVALID {
		t.Errorf("NewSigningKey(bad id): got %v, want EINVALID", err)
	}
}
