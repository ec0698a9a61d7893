package auth

import (
	"crypto/rand"
	"encoding/base64"
	"time"
)

// SessionTTLDefault is how long a browser session lasts.
const SessionTTLDefault = 12 * time.Hour

// NewToken returns a random 256-bit token, base64url encoded.
func NewToken() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
