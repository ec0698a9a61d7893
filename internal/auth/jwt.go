package auth

import (
	"cmp"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/golang-jwt/jwt/v5"
)

// SigningKey is an Ed25519 key with its key ID (the JWT kid header).
type SigningKey struct {
	ID      string
	Private ed25519.PrivateKey
}

// NewSigningKey returns a new random key with the given ID.
func NewSigningKey(id string) (SigningKey, error) {
	if id == "" || len(id) > 64 || strings.ContainsAny(id, " :\t\r\n") {
		return SigningKey{}, copydesk.Errorf(copydesk.EINVALID, "signing key id must be 1-64 characters without spaces or colons")
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return SigningKey{}, err
	}
	return SigningKey{ID: id, Private: priv}, nil
}

// String hides the key: a SigningKey printed by mistake shows only its ID.
func (k SigningKey) String() string { return "SigningKey(" + k.ID + ")" }

// MarshalSigningKey encodes k as "<kid>:<base64url seed>" for a key file.
func MarshalSigningKey(k SigningKey) string {
	return k.ID + ":" + base64.RawURLEncoding.EncodeToString(k.Private.Seed())
}

// ParseSigningKey decodes MarshalSigningKey's format. Returns EINVALID
// (without echoing the input) for anything else.
func ParseSigningKey(s string) (SigningKey, error) {
	id, seed, ok := strings.Cut(strings.TrimSpace(s), ":")
	b, err := base64.RawURLEncoding.DecodeString(seed)
	if !ok || id == "" || err != nil || len(b) != ed25519.SeedSize {
		return SigningKey{}, copydesk.Errorf(copydesk.EINVALID, "signing key must be <kid>:<base64url of a 32-byte Ed25519 seed>")
	}
	return SigningKey{ID: id, Private: ed25519.NewKeyFromSeed(b)}, nil
}

// KeySet holds the key that signs new tokens and the public keys that
// verify them: the current one and previous ones still in their overlap.
// It is safe for concurrent use.
type KeySet struct {
	mu      sync.RWMutex
	current SigningKey
	verify  map[string]ed25519.PublicKey
}

// NewKeySet returns a set that signs with current and also verifies with
// previous.
func NewKeySet(current SigningKey, previous ...SigningKey) *KeySet {
	ks := &KeySet{current: current, verify: map[string]ed25519.PublicKey{}}
	for _, k := range append(previous, current) {
		ks.verify[k.ID] = k.Private.Public().(ed25519.PublicKey)
	}
	return ks
}

// Rotate makes next the signing key; the old one keeps verifying until
// Remove. Tokens live for at most the Tokens TTL, so remove it after that.
func (ks *KeySet) Rotate(next SigningKey) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	ks.current = next
	ks.verify[next.ID] = next.Private.Public().(ed25519.PublicKey)
}

// Remove stops verifying with key id. Removing the current key is refused
// (EINVALID): rotate first.
func (ks *KeySet) Remove(id string) error {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if id == ks.current.ID {
		return copydesk.Errorf(copydesk.EINVALID, "key %q signs new tokens; rotate to another key before removing it", id)
	}
	delete(ks.verify, id)
	return nil
}

func (ks *KeySet) signer() SigningKey {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	return ks.current
}

func (ks *KeySet) publicKey(id string) (ed25519.PublicKey, bool) {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	k, ok := ks.verify[id]
	return k, ok
}

// Claims are the claims of a Copydesk token.
type Claims struct {
	jwt.RegisteredClaims
	CustomerID string        `json:"cus"`
	Role       copydesk.Role `json:"role"`
	Scopes     []string      `json:"scp,omitempty"`
	// Models are the models the token may use; empty: every model.
	Models []string `json:"mdl,omitempty"`
	// Key is the ID of the API key the token was exchanged for, Session
	// the ID of the browser session: the token works only while that key
	// (or session) and its user do (see Authenticator.Authenticate).
	Key     string `json:"key,omitempty"`
	Session string `json:"sid,omitempty"`
}

// TokenTTLDefault is how long an issued token is valid.
const TokenTTLDefault = 15 * time.Minute

// Tokens issues and verifies short-lived JWTs.
type Tokens struct {
	// Keys signs and verifies. Required.
	Keys *KeySet
	// Clock tells the time of issue and expiry. Default copydesk.SystemClock.
	Clock copydesk.Clock
	// Issuer is the iss claim. Default "copydesk".
	Issuer string
	// Audience is the aud claim issued and required. Default "copydesk-api".
	Audience string
	// TTL is a token's lifetime. Default TokenTTLDefault; at most 24 h.
	TTL time.Duration
	// Leeway tolerates clock skew between instances. Default 0.
	Leeway time.Duration
}

func (t *Tokens) clock() copydesk.Clock {
	return cmp.Or[copydesk.Clock](t.Clock, copydesk.SystemClock{})
}
func (t *Tokens) issuer() string   { return cmp.Or(t.Issuer, "copydesk") }
func (t *Tokens) audience() string { return cmp.Or(t.Audience, "copydesk-api") }

// Issue returns a signed token for p and its expiry. Returns EINVALID for a
// principal without user, customer or valid role.
func (t *Tokens) Issue(p copydesk.Principal) (string, time.Time, error) {
	if p.UserID == "" || p.CustomerID == "" || !p.Role.Valid() {
		return "", time.Time{}, copydesk.Errorf(copydesk.EINVALID, "a token needs a user, a customer and a role")
	}
	ttl := cmp.Or(t.TTL, TokenTTLDefault)
	if ttl < 0 || ttl > 24*time.Hour {
		return "", time.Time{}, copydesk.Errorf(copydesk.EINVALID, "token TTL must be between 0 and 24h (got %s)", ttl)
	}
	now := t.clock().Now().Truncate(time.Second)
	exp := now.Add(ttl)
	claims := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: t.issuer(), Subject: p.UserID, Audience: jwt.ClaimStrings{t.audience()},
			ExpiresAt: jwt.NewNumericDate(exp), NotBefore: jwt.NewNumericDate(now), IssuedAt: jwt.NewNumericDate(now),
			ID: copydesk.NewID("jti_", now),
		},
		CustomerID: p.CustomerID, Role: p.Role, Scopes: p.Scopes, Models: p.Models,
		Key: p.KeyID, Session: p.SessionID,
	}
	key := t.Keys.signer()
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	tok.Header["kid"] = key.ID
	s, err := tok.SignedString(key.Private)
	if err != nil {
		return "", time.Time{}, err
	}
	return s, exp, nil
}

// Verify checks a token — EdDSA only, a known kid, issuer, audience, expiry
// (required) and not-before — and returns its principal (with the KeyID or
// SessionID it was exchanged for). It reads no store: whether that key,
// session and user still hold is Authenticator's check. Returns
// EUNAUTHORIZED with a reason that never contains the token.
func (t *Tokens) Verify(token string) (copydesk.Principal, error) {
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithAudience(t.audience()),
		jwt.WithIssuer(t.issuer()),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(t.Leeway),
		jwt.WithTimeFunc(t.clock().Now),
	)
	var claims Claims
	_, err := parser.ParseWithClaims(token, &claims, func(tok *jwt.Token) (any, error) {
		kid, _ := tok.Header["kid"].(string)
		k, ok := t.Keys.publicKey(kid)
		if !ok {
			return nil, errUnknownKey
		}
		return k, nil
	})
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return copydesk.Principal{}, copydesk.Errorf(copydesk.EUNAUTHORIZED, "token has expired; request a new one")
	case errors.Is(err, errUnknownKey):
		return copydesk.Principal{}, copydesk.Errorf(copydesk.EUNAUTHORIZED, "token was signed by an unknown or retired key; request a new one")
	case err != nil:
		return copydesk.Principal{}, copydesk.Errorf(copydesk.EUNAUTHORIZED, "token is invalid")
	}
	if claims.Subject == "" || claims.CustomerID == "" || !claims.Role.Valid() {
		return copydesk.Principal{}, copydesk.Errorf(copydesk.EUNAUTHORIZED, "token is invalid")
	}
	return copydesk.Principal{UserID: claims.Subject, CustomerID: claims.CustomerID, Role: claims.Role,
		Method: MethodJWT, Scopes: claims.Scopes, Models: claims.Models, KeyID: claims.Key, SessionID: claims.Session}, nil
}

var errUnknownKey = errors.New("unknown key id")

// Authentication methods, in copydesk.Principal.Method.
const (
	MethodKey     = "key"
	MethodSession = "session"
	MethodJWT     = "jwt"
)
