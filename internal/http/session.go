package http

import (
	"crypto/subtle"
	"net/http"
	"strconv"
	"time"

	"github.com/copydesk/copydesk/internal/auth"
	"github.com/copydesk/copydesk/internal/ratelimit"
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

// sessionCookie returns the session cookie: Secure, HttpOnly (scripts
// cannot read it), SameSite=Lax (not sent on cross-site POSTs), Path=/,
// __Host-. It lives for ttl (Max-Age), e.g. until the session's ExpiresAt.
func sessionCookie(token string, ttl time.Duration) *http.Cookie {
	return &http.Cookie{Name: SessionCookieName, Value: token, Path: "/",
		MaxAge: max(1, int(ttl.Seconds())), Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode}
}

// csrfCookie returns a cookie with the session's CSRF token for the web
// UI's scripts to copy into the CSRFHeader: readable by scripts of the same
// origin (not HttpOnly), Secure, SameSite=Strict, __Host-. The guard checks
// the header against the token stored with the session (synchronizer
// token), so an attacker who can write cookies still cannot forge it.
func csrfCookie(token string, ttl time.Duration) *http.Cookie {
	return &http.Cookie{Name: CSRFCookieName, Value: token, Path: "/",
		MaxAge: max(1, int(ttl.Seconds())), Secure: true, HttpOnly: false, SameSite: http.SameSiteStrictMode}
}

// clearCookie returns a cookie that deletes name (logout).
func clearCookie(name string) *http.Cookie {
	return &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, Secure: true,
		HttpOnly: name == SessionCookieName, SameSite: http.SameSiteLaxMode}
}

// credentials reads what r presents: the Authorization and X-Api-Key
// headers and the session cookie.
func credentials(r *http.Request) auth.Credentials {
	c := auth.Credentials{Authorization: r.Header.Get("Authorization"), APIKey: r.Header.Get("X-Api-Key")}
	if ck, err := r.Cookie(SessionCookieName); err == nil {
		c.Session = ck.Value
	}
	return c
}

// safeMethod reports whether a method does not change state.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// csrfValid reports whether r carries want in CSRFHeader, in constant time.
func csrfValid(r *http.Request, want string) bool {
	got := r.Header.Get(CSRFHeader)
	return want != "" && got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// setRateLimitHeaders sets the IETF RateLimit header fields
// (draft-ietf-httpapi-ratelimit-headers) of d on h, and Retry-After when
// the request was refused; none for an unlimited decision. Seconds are
// rounded up.
func setRateLimitHeaders(h http.Header, d ratelimit.Decision) {
	if d.Scope == "" {
		return // unlimited
	}
	// The three values in one string and one slice: two allocations on
	// every limited request, not six.
	var buf [3 * 20]byte
	b := strconv.AppendInt(buf[:0], int64(d.Limit), 10)
	i := len(b)
	b = strconv.AppendInt(b, int64(d.Remaining), 10)
	j := len(b)
	b = strconv.AppendInt(b, int64(ceilSeconds(d.Reset)), 10)
	s := string(b)
	vals := []string{s[:i], s[i:j], s[j:]}
	h[hdrRateLimitLimit] = vals[0:1:1]
	h[hdrRateLimitRemain] = vals[1:2:2]
	h[hdrRateLimitReset] = vals[2:3:3]
	if !d.Allowed {
		setInt(h, hdrRetryAfter, max(1, ceilSeconds(d.RetryAfter)))
	}
}

func ceilSeconds(d time.Duration) int {
	return int((d + time.Second - 1) / time.Second)
}
