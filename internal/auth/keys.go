package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// KeyPrefix starts every API key.
const KeyPrefix = "cdk_"

const (
	prefixHexLen = 12 // 48 random bits: a public, unique handle
	secretLen    = 43 // base64url of 32 random bytes
	keyLen       = len(KeyPrefix) + prefixHexLen + 1 + secretLen
)

// NewAPIKey returns a new API key: the full key to show once, its public
// prefix (KeyPrefix and 12 hex digits) and the SHA-256 hash to store.
func NewAPIKey() (key, prefix string, hash []byte) {
	var p [prefixHexLen / 2]byte
	var s [32]byte
	rand.Read(p[:]) // crypto/rand never fails (Go 1.24+)
	rand.Read(s[:])
	prefix = KeyPrefix + hex.EncodeToString(p[:])
	key = prefix + "_" + base64.RawURLEncoding.EncodeToString(s[:])
	return key, prefix, HashSecret(key)
}

// HashSecret returns SHA-256 of a high-entropy secret (an API key or a
// session token): what is stored in its place.
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// ParseAPIKey checks a key's shape and returns its prefix. It reports false
// for anything that is not a Copydesk key, without saying what was wrong
// (the input is a secret).
func ParseAPIKey(key string) (prefix string, ok bool) {
	if len(key) != keyLen || !strings.HasPrefix(key, KeyPrefix) || key[len(KeyPrefix)+prefixHexLen] != '_' {
		return "", false
	}
	for _, c := range []byte(key[len(KeyPrefix) : len(KeyPrefix)+prefixHexLen]) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return "", false
		}
	}
	for _, c := range []byte(key[len(KeyPrefix)+prefixHexLen+1:]) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-' || c == '_') {
			return "", false
		}
	}
	return key[:len(KeyPrefix)+prefixHexLen], true
}

// secretEqual compares a presented secret with a stored hash in constant time.
func secretEqual(secret string, hash []byte) bool {
	return subtle.ConstantTimeCompare(HashSecret(secret), hash) == 1
}

// KeyOptions are the optional attributes of a new API key.
type KeyOptions struct {
	Name      string     // a label for the owner, e.g. "ci"
	Scopes    []string   // empty: everything the user's role allows
	Models    []string   // empty: every model; see copydesk.Principal.AllowsModel
	ExpiresAt *time.Time // nil: no expiry
	// RateLimit is the key's own rate limit, besides its user's and its
	// customer's; nil: none.
	RateLimit *copydesk.RateLimit
}

// CreateAPIKey makes a new key for a user of a customer, stores it hashed,
// and returns the full key (to show once) and the stored record. Returns
// ENOTFOUND if the user is not in the customer, EINVALID for bad options.
func CreateAPIKey(ctx context.Context, store copydesk.AccessStore, now time.Time, customerID, userID string, opts KeyOptions) (string, *copydesk.APIKey, error) {
	if opts.ExpiresAt != nil && !opts.ExpiresAt.After(now) {
		return "", nil, copydesk.Errorf(copydesk.EINVALID, "key expiry %s is not in the future", opts.ExpiresAt.UTC().Format(time.RFC3339))
	}
	for attempt := 0; ; attempt++ {
		key, prefix, hash := NewAPIKey()
		k := &copydesk.APIKey{CustomerID: customerID, UserID: userID, Name: opts.Name, Prefix: prefix, Hash: hash,
			Scopes: opts.Scopes, Models: opts.Models, ExpiresAt: opts.ExpiresAt, RateLimit: opts.RateLimit}
		err := store.CreateAPIKey(ctx, k)
		if copydesk.ErrorCode(err) == copydesk.ECONFLICT && attempt < 3 {
			continue // a prefix collision (1 in 2^48): draw again
		}
		if err != nil {
			return "", nil, err
		}
		return key, k, nil
	}
}
