package http

import (
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/copydesk/copydesk/internal/auth"
	"github.com/copydesk/copydesk/internal/copydesk"
)

// guard wraps the handler of a route with the access the route declared
// (registerRoutes): public routes pass; every other route authenticates
// the caller (API key, JWT, or session cookie with the CSRF token on
// unsafe methods), authorizes it for the route and takes the per-user and
// per-customer rate-limit token, and puts the Principal in the request's
// context. Routes whose priority is known only from the body
// (limitInHandler) take their rate-limit token in the handler.
func (s *Server) guard(rt Route, limitInHandler bool, h http.HandlerFunc) http.HandlerFunc {
	if rt.Public {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := s.authenticate(r)
		if err == nil {
			err = authorize(&p, rt)
		}
		if err != nil {
			s.writeAuthError(w, r, err)
			return
		}
		if sw, ok := w.(*statusWriter); ok {
			sw.customerID, sw.userID = p.CustomerID, p.UserID
		}
		r = r.WithContext(copydesk.WithAPIKey(withPrincipal(r.Context(), p), p.KeyID))
		if !limitInHandler && !s.allow(w, r, p, copydesk.PriorityHigh) {
			return
		}
		h(w, r)
	}
}

// authenticate returns the caller of r. A session request with an unsafe
// method must carry the session's CSRF token in CSRFHeader (EFORBIDDEN).
// Without an Authenticator nobody is authenticated.
func (s *Server) authenticate(r *http.Request) (copydesk.Principal, error) {
	if s.Auth == nil {
		return copydesk.Principal{}, copydesk.Errorf(copydesk.EUNAUTHORIZED, "authentication is not configured on this server")
	}
	p, csrf, err := s.Auth.Authenticate(r.Context(), credentials(r))
	if err != nil {
		return p, err
	}
	if p.Method == auth.MethodSession && !safeMethod(r.Method) && !csrfValid(r, csrf) {
		return copydesk.Principal{}, copydesk.Errorf(copydesk.EFORBIDDEN, "missing or wrong CSRF token: send the session's token in the %s header", CSRFHeader)
	}
	return p, nil
}

// writeAuthError answers an authentication or authorization failure: 401
// with a WWW-Authenticate challenge, or 403.
func (s *Server) writeAuthError(w http.ResponseWriter, r *http.Request, err error) {
	if copydesk.ErrorCode(err) == copydesk.EUNAUTHORIZED {
		w.Header().Set("WWW-Authenticate", `Bearer realm="copydesk"`)
	}
	s.writeError(w, r, err)
}

// allow takes a rate-limit token for p at priority prio, sets the
// RateLimit headers and, when refused, answers 429 and returns false.
func (s *Server) allow(w http.ResponseWriter, r *http.Request, p copydesk.Principal, prio copydesk.Priority) bool {
	if s.Limiter == nil {
		return true
	}
	d := s.Limiter.Allow(r.Context(), p, prio)
	setRateLimitHeaders(w.Header(), d)
	if err := d.Err(); err != nil {
		s.writeError(w, r, err)
		return false
	}
	return true
}

// principal returns the caller the guard authenticated. Handlers of
// guarded routes always have one; a missing one is an internal error.
func principal(r *http.Request) (copydesk.Principal, error) {
	p, ok := principalFrom(r.Context())
	if !ok {
		return p, copydesk.Errorf(copydesk.EINTERNAL, "request has no principal")
	}
	return p, nil
}

// bodyLimit is the body limit for the caller: the role's content limit,
// never above BodyLimit.
func (s *Server) bodyLimit(r *http.Request) int64 {
	p, ok := principalFrom(r.Context())
	if !ok {
		return s.BodyLimit
	}
	limits := s.ContentLimits
	if limits == nil {
		limits = DefaultContentLimits
	}
	return min(s.BodyLimit, limits.For(p.Role))
}

// loginRequest is the body of POST /v1/auth/login.
type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// loginResponse answers a login. The session token is only in the cookie;
// the CSRF token is also in its cookie, for scripts to copy into the
// X-CSRF-Token header.
type loginResponse struct {
	UserID     string        `json:"user_id"`
	CustomerID string        `json:"customer_id"`
	Role       copydesk.Role `json:"role"`
	CSRFToken  string        `json:"csrf_token"`
	ExpiresAt  time.Time     `json:"expires_at"`
}

// handleLogin checks an email and password, rate-limited per client
// address and per email, and starts a browser session.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if err := decodeJSON(w, r, 16<<10, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	email := strings.ToLower(strings.TrimSpace(req.Email))
	if email == "" || req.Password == "" {
		s.writeError(w, r, copydesk.Errorf(copydesk.EINVALID, "email and password are required"))
		return
	}
	if len(email) > copydesk.MaxEmailLen {
		s.writeError(w, r, copydesk.Errorf(copydesk.EINVALID, "email is longer than %d bytes", copydesk.MaxEmailLen))
		return
	}
	if s.Auth == nil {
		s.writeError(w, r, copydesk.Errorf(copydesk.EUNAVAILABLE, "authentication is not configured on this server"))
		return
	}
	if s.Limiter != nil {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		for _, key := range []string{"ip:" + host, "email:" + email} {
			d := s.Limiter.AllowLogin(r.Context(), key)
			setRateLimitHeaders(w.Header(), d)
			if err := d.Err(); err != nil {
				s.writeError(w, r, err)
				return
			}
		}
	}
	token, sess, err := s.Auth.Login(r.Context(), email, req.Password)
	if err != nil {
		s.writeAuthError(w, r, err)
		return
	}
	ttl := time.Until(sess.ExpiresAt)
	http.SetCookie(w, sessionCookie(token, ttl))
	http.SetCookie(w, csrfCookie(sess.CSRFToken, ttl))
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, loginResponse{UserID: sess.UserID, CustomerID: sess.CustomerID,
		Role: s.roleOf(r, sess.UserID), CSRFToken: sess.CSRFToken, ExpiresAt: sess.ExpiresAt})
}

// roleOf looks up a user's role for the login answer ("" if unknown).
func (s *Server) roleOf(r *http.Request, userID string) copydesk.Role {
	if s.Access == nil {
		return ""
	}
	u, err := s.Access.FindUserByID(r.Context(), userID)
	if err != nil {
		return ""
	}
	return u.Role
}

// handleLogout ends the caller's session and clears the cookies.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err == nil {
		err = s.Auth.Logout(r.Context(), p)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	http.SetCookie(w, clearCookie(SessionCookieName))
	http.SetCookie(w, clearCookie(CSRFCookieName))
	w.WriteHeader(http.StatusNoContent)
}

// tokenResponse answers POST /v1/auth/token in the OAuth 2 shape.
type tokenResponse struct {
	AccessToken string    `json:"access_token"`
	TokenType   string    `json:"token_type"`
	ExpiresIn   int       `json:"expires_in"`
	ExpiresAt   time.Time `json:"expires_at"`
}

// handleToken exchanges the caller's API key or session for a short-lived
// JWT.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	tok, exp, err := s.Auth.IssueToken(p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, tokenResponse{AccessToken: tok, TokenType: "Bearer",
		ExpiresIn: int(time.Until(exp).Seconds()), ExpiresAt: exp})
}
