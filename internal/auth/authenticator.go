package auth

import (
	"cmp"
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// Authenticator turns a request's credentials into a copydesk.Principal.
type Authenticator struct {
	// Store holds users, keys and sessions. Required.
	Store copydesk.AccessStore
	// Tokens verifies JWTs; nil: bearer JWTs are refused.
	Tokens *Tokens
	// Clock tells key and session expiry. Default copydesk.SystemClock.
	Clock copydesk.Clock
	// SessionTTL is a browser session's lifetime. Default SessionTTLDefault.
	SessionTTL time.Duration
	// Password are the argon2id parameters of new hashes. Default DefaultPasswordParams.
	Password PasswordParams
	// Logger receives authentication failures, without secrets. Default: discard.
	Logger *slog.Logger

	dummyOnce sync.Once
	dummy     string // a hash to verify against when the email is unknown
}

func (a *Authenticator) clock() copydesk.Clock {
	return cmp.Or[copydesk.Clock](a.Clock, copydesk.SystemClock{})
}

func (a *Authenticator) params() PasswordParams {
	if a.Password == (PasswordParams{}) {
		return DefaultPasswordParams
	}
	return a.Password
}

func (a *Authenticator) logger() *slog.Logger {
	if a.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return a.Logger
}

func unauthorized(format string, args ...any) error {
	return copydesk.Errorf(copydesk.EUNAUTHORIZED, format, args...)
}

// Credentials are what a caller presents, as the http package reads them
// from a request. Authenticate uses the first one set, in field order.
type Credentials struct {
	// Authorization is the Authorization header: "Bearer <API key or JWT>".
	Authorization string
	// APIKey is the X-Api-Key header (how Anthropic's SDKs send a key).
	APIKey string
	// Session is the session token of the browser session cookie.
	Session string
}

// Authenticate returns the caller presenting c: an API key or a JWT in
// Authorization, else an API key in APIKey, else a session. For a session
// it also returns the session's CSRF token, which the http package
// requires on unsafe methods ("" for the other methods). Returns
// EUNAUTHORIZED for missing, malformed, unknown, revoked or expired
// credentials and disabled users. Messages say which, never echoing the
// credential.
func (a *Authenticator) Authenticate(ctx context.Context, c Credentials) (p copydesk.Principal, csrfToken string, err error) {
	if h := c.Authorization; h != "" {
		scheme, cred, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || cred == "" {
			return copydesk.Principal{}, "", unauthorized("authorization header must be \"Bearer <API key or token>\"")
		}
		cred = strings.TrimSpace(cred)
		if strings.HasPrefix(cred, KeyPrefix) {
			p, err := a.authenticateKey(ctx, cred)
			return p, "", err
		}
		if strings.Count(cred, ".") == 2 && a.Tokens != nil {
			p, err := a.Tokens.Verify(cred)
			if err == nil {
				err = a.tokenStanding(ctx, &p)
			}
			if err != nil {
				a.logger().Info("auth: token refused", "reason", copydesk.ErrorMessage(err))
				return copydesk.Principal{}, "", err
			}
			return p, "", nil
		}
		return copydesk.Principal{}, "", unauthorized("bearer credential is neither a Copydesk API key nor a token")
	}
	if key := strings.TrimSpace(c.APIKey); key != "" {
		if !strings.HasPrefix(key, KeyPrefix) {
			return copydesk.Principal{}, "", unauthorized("x-api-key is not a Copydesk API key")
		}
		p, err := a.authenticateKey(ctx, key)
		return p, "", err
	}
	if c.Session != "" {
		s, u, err := a.session(ctx, c.Session)
		if err != nil {
			return copydesk.Principal{}, "", err
		}
		return copydesk.Principal{UserID: u.ID, CustomerID: u.CustomerID, Role: u.Role, Method: MethodSession, SessionID: s.ID}, s.CSRFToken, nil
	}
	return copydesk.Principal{}, "", unauthorized("credentials are missing: send \"Authorization: Bearer <API key or token>\" (or \"X-Api-Key: <API key>\") or log in")
}

func (a *Authenticator) authenticateKey(ctx context.Context, key string) (copydesk.Principal, error) {
	prefix, ok := ParseAPIKey(key)
	if !ok {
		return copydesk.Principal{}, unauthorized("API key is malformed")
	}
	k, err := a.Store.FindAPIKeyByPrefix(ctx, prefix)
	if copydesk.ErrorCode(err) == copydesk.ENOTFOUND {
		return copydesk.Principal{}, unauthorized("API key is not valid")
	} else if err != nil {
		return copydesk.Principal{}, err
	}
	if !secretEqual(key, k.Hash) {
		a.logger().Warn("auth: API key with a known prefix and a wrong secret", "key_prefix", k.Prefix)
		return copydesk.Principal{}, unauthorized("API key is not valid")
	}
	now := a.clock().Now()
	if k.RevokedAt != nil {
		return copydesk.Principal{}, unauthorized("API key %s has been revoked", k.Prefix)
	}
	if k.ExpiresAt != nil && !now.Before(*k.ExpiresAt) {
		return copydesk.Principal{}, unauthorized("API key %s expired at %s", k.Prefix, k.ExpiresAt.UTC().Format(time.RFC3339))
	}
	u, err := a.activeUser(ctx, k.UserID)
	if err != nil {
		return copydesk.Principal{}, err
	}
	if u.CustomerID != k.CustomerID {
		return copydesk.Principal{}, unauthorized("API key is not valid")
	}
	return copydesk.Principal{UserID: u.ID, CustomerID: u.CustomerID, Role: u.Role, Method: MethodKey, KeyID: k.ID,
		Scopes: k.Scopes, Models: k.Models, KeyRateLimit: k.RateLimit}, nil
}

// tokenStanding checks that what a verified JWT was exchanged for still
// holds: its API key is neither revoked nor expired, its session still
// exists (a logout, a password change or disabling the user deletes it),
// and its user exists and is enabled. With a CachingStore as Store these
// are the same cached reads a key or session request makes, so a token
// costs no store round trip while they are fresh, and a revocation made on
// another instance bites within the cache's TTL. It sets the key's current
// rate limit on p.
func (a *Authenticator) tokenStanding(ctx context.Context, p *copydesk.Principal) error {
	now := a.clock().Now()
	if p.KeyID != "" {
		k, err := a.Store.FindAPIKeyByID(ctx, p.KeyID)
		if copydesk.ErrorCode(err) == copydesk.ENOTFOUND {
			return unauthorized("the token's API key no longer exists; request a new token")
		} else if err != nil {
			return err
		}
		if k.RevokedAt != nil {
			return unauthorized("the token's API key %s has been revoked", k.Prefix)
		}
		if k.ExpiresAt != nil && !now.Before(*k.ExpiresAt) {
			return unauthorized("the token's API key %s has expired", k.Prefix)
		}
		if k.UserID != p.UserID || k.CustomerID != p.CustomerID {
			return unauthorized("token is invalid")
		}
		p.KeyRateLimit = k.RateLimit
	}
	if p.SessionID != "" {
		s, err := a.Store.FindSessionByID(ctx, p.SessionID)
		if copydesk.ErrorCode(err) == copydesk.ENOTFOUND {
			return unauthorized("the token's session has ended; log in again")
		} else if err != nil {
			return err
		}
		if !now.Before(s.ExpiresAt) {
			return unauthorized("the token's session has expired; log in again")
		}
		if s.UserID != p.UserID {
			return unauthorized("token is invalid")
		}
	}
	u, err := a.activeUser(ctx, p.UserID)
	if err != nil {
		return err
	}
	if u.CustomerID != p.CustomerID {
		return unauthorized("token is invalid")
	}
	return nil
}

func (a *Authenticator) activeUser(ctx context.Context, id string) (*copydesk.User, error) {
	u, err := a.Store.FindUserByID(ctx, id)
	if copydesk.ErrorCode(err) == copydesk.ENOTFOUND {
		return nil, unauthorized("the account no longer exists")
	} else if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, unauthorized("the account is disabled")
	}
	return u, nil
}

func (a *Authenticator) session(ctx context.Context, token string) (*copydesk.Session, *copydesk.User, error) {
	s, err := a.Store.FindSessionByHash(ctx, HashSecret(token))
	if copydesk.ErrorCode(err) == copydesk.ENOTFOUND {
		return nil, nil, unauthorized("session is not valid; log in again")
	} else if err != nil {
		return nil, nil, err
	}
	if !a.clock().Now().Before(s.ExpiresAt) {
		return nil, nil, unauthorized("session has expired; log in again")
	}
	u, err := a.activeUser(ctx, s.UserID)
	if err != nil {
		return nil, nil, err
	}
	return s, u, nil
}

// Login checks an email and password and starts a session. It returns the
// session token (for the session cookie; shown nowhere else) and the
// session, whose CSRFToken the http package hands to the browser. Returns EUNAUTHORIZED "email or
// password is wrong" for an unknown email, a wrong password or a user
// without a password, taking about as long in each case.
func (a *Authenticator) Login(ctx context.Context, email, password string) (string, *copydesk.Session, error) {
	wrong := unauthorized("email or password is wrong")
	if len(email) > copydesk.MaxEmailLen || len(password) > MaxPasswordLen {
		return "", nil, wrong
	}
	u, err := a.Store.FindUserByEmail(ctx, email)
	if err != nil && copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
		return "", nil, err
	}
	if u == nil || u.PasswordHash == "" {
		a.dummyOnce.Do(func() { a.dummy, _ = HashPassword("not-a-real-password", a.params()) })
		VerifyPassword(a.dummy, password) // same work as a real check
		return "", nil, wrong
	}
	ok, err := VerifyPassword(u.PasswordHash, password)
	if err != nil {
		a.logger().Error("auth: stored password hash is malformed", "user_id", u.ID)
		return "", nil, wrong
	}
	if !ok {
		a.logger().Info("auth: wrong password", "user_id", u.ID)
		return "", nil, wrong
	}
	if u.Disabled {
		return "", nil, unauthorized("the account is disabled")
	}
	if NeedsRehash(u.PasswordHash, a.params()) {
		if h, err := HashPassword(password, a.params()); err == nil {
			if err := a.Store.SetUserPassword(ctx, u.ID, h); err != nil {
				a.logger().Warn("auth: rehash password", "user_id", u.ID, "err", err)
			}
		}
	}
	token := NewToken()
	s := &copydesk.Session{UserID: u.ID, CustomerID: u.CustomerID, Hash: HashSecret(token), CSRFToken: NewToken(),
		ExpiresAt: a.clock().Now().Add(cmp.Or(a.SessionTTL, SessionTTLDefault))}
	if err := a.Store.CreateSession(ctx, s); err != nil {
		return "", nil, err
	}
	return token, s, nil
}

// Logout ends the session of p (a no-op for other methods).
func (a *Authenticator) Logout(ctx context.Context, p copydesk.Principal) error {
	if p.Method != MethodSession || p.SessionID == "" {
		return nil
	}
	return a.Store.DeleteSession(ctx, p.SessionID)
}

// IssueToken exchanges an authenticated key or session for a short-lived
// JWT (POST /v1/auth/token). Returns EFORBIDDEN for a caller who is already
// using a token (no endless renewal) and EUNAVAILABLE if tokens are off.
func (a *Authenticator) IssueToken(p copydesk.Principal) (string, time.Time, error) {
	if a.Tokens == nil {
		return "", time.Time{}, copydesk.Errorf(copydesk.EUNAVAILABLE, "tokens are not enabled on this server")
	}
	if p.Method != MethodKey && p.Method != MethodSession {
		return "", time.Time{}, copydesk.Errorf(copydesk.EFORBIDDEN, "a token is exchanged for an API key or a session, not for another token")
	}
	return a.Tokens.Issue(p)
}
