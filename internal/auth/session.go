package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"time"
)

// Cookie names. The __Host- prefix makes browsers accept the cookie only
// with Secure, Path=/ and no Domain: no subdomain or plain-HTTP page can set
// or overwrite it.
const (
	SessionCookieName = "__Host-copydesk_session"
	CSRFCookieName    = "__Host-copydesk_csrf"
	// CSRFHeader carries the session's CSRF token on unsafe requests.
	CSRFHeader = "X-CSRF-Token"
)

// SessionTTLDefault is how long a browser session lasts.
const SessionTTLDefault = 12 * time.Hour

// NewToken returns a random 256-bit token, base64url encoded.
func NewToken() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// SessionCookie returns the session cookie: Secure, HttpOnly (scripts cannot
// read it), SameSite=Lax (not sent on cross-site POSTs), Path=/, __Host-.
// It lives for ttl (Max-Age), e.g. until the session's ExpiresAt.
func SessionCookie(token string, ttl time.Duration) *http.Cookie {
	return &http.Cookie{Name: SessionCookieName, Value: token, Path: "/",
		MaxAge: max(1, int(ttl.Seconds())), Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode}
}

// CSRFCookie returns a cookie with the session's CSRF token for the web UI's
// scripts to copy into the CSRFHeader: readable by scripts of the same
// origin (not HttpOnly), Secure, SameSite=Strict, __Host-. The server checks
// the header against the token stored with the session (synchronizer
// token), so an attacker who can write cookies still cannot forge it.
func CSRFCookie(token string, ttl time.Duration) *http.Cookie {
	return &http.Cookie{Name: CSRFCookieName, Value: token, Path: "/",
		MaxAge: max(1, int(ttl.Seconds())), Secure: true, HttpOnly: false, SameSite: http.SameSiteStrictMode}
}

// ClearCookie returns a cookie that deletes name (logout).
func ClearCookie(name string) *http.Cookie {
	return &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, Secure: true,
		HttpOnly: name == SessionCookieName, SameSite: http.SameSiteLaxMode}
}

// safeMethod reports whether a method does not change state.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// CSRFValid reports whether r carries want in CSRFHeader, in constant time.
func CSRFValid(r *http.Request, want string) bool {
	got := r.Header.Get(CSRFHeader)
	return want != "" && got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
