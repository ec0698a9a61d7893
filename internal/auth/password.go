package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/copydesk/copydesk/internal/copydesk"
	"golang.org/x/crypto/argon2"
)

// PasswordParams are argon2id's cost parameters.
type PasswordParams struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	SaltLen uint32
	KeyLen  uint32
}

// DefaultPasswordParams are OWASP's recommended argon2id minimum (Password
// Storage Cheat Sheet): 19 MiB, 2 passes, 1 lane; 16-byte salt, 32-byte
// hash. A login costs about that much memory and tens of milliseconds of
// one core (see BenchmarkHashPassword).
var DefaultPasswordParams = PasswordParams{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Bounds on what VerifyPassword accepts from a stored hash, so that a
// tampered row cannot make a login allocate gigabytes.
const (
	maxMemory  = 256 * 1024 // KiB
	maxTime    = 10
	maxThreads = 16
)

// Password length limits, in bytes.
const (
	MinPasswordLen = 10
	MaxPasswordLen = 1024
)

// ValidatePassword checks a new password's length. Returns EINVALID with the
// rule broken (never the password).
func ValidatePassword(pw string) error {
	switch {
	case !utf8.ValidString(pw):
		return copydesk.Errorf(copydesk.EINVALID, "password is not valid UTF-8")
	case len(pw) < MinPasswordLen:
		return copydesk.Errorf(copydesk.EINVALID, "password must be at least %d characters", MinPasswordLen)
	case len(pw) > MaxPasswordLen:
		return copydesk.Errorf(copydesk.EINVALID, "password must be at most %d bytes", MaxPasswordLen)
	}
	return nil
}

// HashPassword returns the PHC-format argon2id hash of pw with p:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>. Returns EINVALID if the
// password breaks ValidatePassword.
func HashPassword(pw string, p PasswordParams) (string, error) {
	if err := ValidatePassword(pw); err != nil {
		return "", err
	}
	salt := make([]byte, p.SaltLen)
	rand.Read(salt)
	sum := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(sum)), nil
}

// parsePasswordHash parses a PHC argon2id string.
func parsePasswordHash(encoded string) (p PasswordParams, salt, sum []byte, ok bool) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return p, nil, nil, false
	}
	var threads uint32
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &threads); err != nil || n != 3 ||
		fmt.Sprintf("m=%d,t=%d,p=%d", p.Memory, p.Time, threads) != parts[3] {
		return p, nil, nil, false
	}
	if p.Memory < 8 || p.Memory > maxMemory || p.Time < 1 || p.Time > maxTime || threads < 1 || threads > maxThreads {
		return p, nil, nil, false
	}
	p.Threads = uint8(threads)
	var err error
	if salt, err = base64.RawStdEncoding.Strict().DecodeString(parts[4]); err != nil || len(salt) < 8 || len(salt) > 64 {
		return p, nil, nil, false
	}
	if sum, err = base64.RawStdEncoding.Strict().DecodeString(parts[5]); err != nil || len(sum) < 16 || len(sum) > 64 {
		return p, nil, nil, false
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(sum))
	return p, salt, sum, true
}

// VerifyPassword reports whether pw matches the encoded hash, comparing in
// constant time. Returns EINTERNAL-coded error for a hash that is not a
// well-formed argon2id string within bounds (a corrupt row).
func VerifyPassword(encoded, pw string) (bool, error) {
	p, salt, sum, ok := parsePasswordHash(encoded)
	if !ok {
		return false, copydesk.Errorf(copydesk.EINTERNAL, "stored password hash is malformed")
	}
	if len(pw) > MaxPasswordLen {
		return false, nil
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return subtle.ConstantTimeCompare(got, sum) == 1, nil
}

// NeedsRehash reports whether encoded was made with parameters other than p
// (rehash at the next successful login).
func NeedsRehash(encoded string, p PasswordParams) bool {
	got, _, _, ok := parsePasswordHash(encoded)
	return !ok || got.Memory != p.Memory || got.Time != p.Time || got.Threads != p.Threads || got.KeyLen != p.KeyLen
}
