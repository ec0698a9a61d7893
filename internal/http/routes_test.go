package http

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/auth"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/ratelimit"
	"github.com/copydesk/copydesk/internal/storetest"
)

// allRoutes builds a server with every optional route registered.
func allRoutes(tb testing.TB) *testServer {
	return MustServer(tb, func(s *Server) {
		s.MetricsHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("# metrics\n")) })
		s.Alerts = func() any { return []string{} }
		s.DailyReport = func(context.Context) (any, error) { return map[string]string{"day": "today"}, nil }
		s.Cache = CacheOps{Stats: func(context.Context) any { return map[string]int{"entries": 1} }}
		s.UI = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("<html>")) })
	})
}

// TestRouteTable: every route declares who may call it where it is
// registered; the guard enforces exactly that declaration, for nobody and
// each role, and for a key limited to scopes.
func TestRouteTable(t *testing.T) {
	t.Parallel()
	ts := allRoutes(t)
	seen := map[string]bool{}
	for _, rt := range ts.Routes() {
		p := rt.Method + " " + rt.Pattern
		if seen[p] {
			t.Errorf("route %s is registered twice", p)
		}
		seen[p] = true
		if !rt.Public && len(rt.Roles) == 0 {
			t.Errorf("route %s allows nobody", p)
		}
		if rt.Scope != "" && !slices.Contains(auth.Scopes, rt.Scope) {
			t.Errorf("route %s needs the unknown scope %q", p, rt.Scope)
		}
	}
	for _, want := range []string{"GET /healthz", "POST /v1/analyses", "GET /metrics", "GET /ui/{path...}", "PUT /v1/budgets/{customer_id}"} {
		if !seen[want] {
			t.Errorf("route %s is not registered", want)
		}
	}
	callers := map[string]copydesk.Principal{"admin": adminP, "client": clientP, "user": userP}
	for _, rt := range ts.Routes() {
		path := strings.NewReplacer("{key}", reportKey, "{id}", "x", "{id...}", "x", "{customer_id}", "cus_a", "{user_id}", "usr_user", "{path...}", "", "{$}", "").Replace(rt.Pattern)
		w := ts.do(t, rt.Method, path, "", nil)
		if rt.Public && w.Code == 401 && rt.Pattern != "/v1/auth/login" {
			t.Errorf("public %s %s as nobody: got 401", rt.Method, rt.Pattern)
		}
		if !rt.Public {
			if w.Code != 401 || w.Header().Get("WWW-Authenticate") != `Bearer realm="copydesk"` {
				t.Errorf("%s %s as nobody: got %d (WWW-Authenticate %q), want 401 with a challenge", rt.Method, rt.Pattern, w.Code, w.Header().Get("WWW-Authenticate"))
			}
			for tok, p := range callers {
				w := ts.do(t, rt.Method, path, tok, nil)
				if denied := !slices.Contains(rt.Roles, p.Role); denied != (w.Code == 403 && errorCode(t, w) == copydesk.EFORBIDDEN && strings.Contains(w.Body.String(), "may not call")) {
					t.Errorf("%s %s as %s: got %d %s; declared roles %v", rt.Method, rt.Pattern, tok, w.Code, w.Body.String(), rt.Roles)
				}
			}
			// A key limited to jobs:read reaches only the routes needing
			// that scope or none.
			w := ts.do(t, rt.Method, path, "scoped", nil)
			lacks := w.Code == 403 && strings.Contains(w.Body.String(), "lacks the scope")
			if want := rt.Scope != "" && rt.Scope != auth.ScopeJobsRead && slices.Contains(rt.Roles, copydesk.RoleUser); lacks != want {
				t.Errorf("%s %s with a jobs:read key: got %d %s, want scope refusal %v", rt.Method, rt.Pattern, w.Code, w.Body.String(), want)
			}
		}
	}
}

func TestRouteWithoutAccessFailsBuild(t *testing.T) {
	t.Parallel()
	s := &Server{mux: http.NewServeMux()}
	s.handle("GET", "/nobody", access{}, func(http.ResponseWriter, *http.Request) {})
	if s.routeErr == nil || !strings.Contains(s.routeErr.Error(), "allows nobody") {
		t.Errorf("got %v, want an error naming the route", s.routeErr)
	}
}

func TestAuthorize(t *testing.T) {
	t.Parallel()
	rt := Route{Method: "POST", Pattern: "/v1/analyses", Roles: []copydesk.Role{copydesk.RoleAdmin, copydesk.RoleUser}, Scope: auth.ScopeAnalyses}
	for _, tc := range []struct {
		name string
		p    *copydesk.Principal
		rt   Route
		code string
	}{
		{"public", nil, Route{Public: true}, ""},
		{"anonymous", nil, rt, copydesk.EUNAUTHORIZED},
		{"role allowed", &userP, rt, ""},
		{"role denied", &clientP, rt, copydesk.EFORBIDDEN},
		{"scope held", &copydesk.Principal{Role: copydesk.RoleUser, Scopes: []string{auth.ScopeAnalyses}}, rt, ""},
		{"scope lacking", &scopedP, rt, copydesk.EFORBIDDEN},
		{"no scope needed", &scopedP, Route{Roles: rt.Roles}, ""},
		{"unknown role", &copydesk.Principal{Role: "ROOT"}, rt, copydesk.EFORBIDDEN},
	} {
		if got := copydesk.ErrorCode(authorize(tc.p, tc.rt)); got != tc.code {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.code)
		}
	}
}

func TestScopeUsage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name             string
		p                copydesk.Principal
		in               copydesk.UsageFilter
		customer, userID string
		code             string
	}{
		{"admin all", adminP, copydesk.UsageFilter{}, "", "", ""},
		{"admin other", adminP, copydesk.UsageFilter{CustomerID: "cus_a"}, "cus_a", "", ""},
		{"client own", clientP, copydesk.UsageFilter{}, "cus_a", "", ""},
		{"client other", clientP, copydesk.UsageFilter{CustomerID: "cus_b"}, "", "", copydesk.ENOTFOUND},
		{"client user", clientP, copydesk.UsageFilter{UserID: "usr_user"}, "cus_a", "usr_user", ""},
		{"user own", userP, copydesk.UsageFilter{}, "cus_a", "usr_user", ""},
		{"user other user", userP, copydesk.UsageFilter{UserID: "usr_x"}, "", "", copydesk.ENOTFOUND},
		{"unknown role", copydesk.Principal{Role: "ROOT"}, copydesk.UsageFilter{}, "", "", copydesk.EFORBIDDEN},
	} {
		got, err := scopeUsage(tc.p, tc.in)
		if copydesk.ErrorCode(err) != tc.code {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.code)
			continue
		}
		if err == nil && (got.CustomerID != tc.customer || got.UserID != tc.userID) {
			t.Errorf("%s: got customer %q user %q, want %q %q", tc.name, got.CustomerID, got.UserID, tc.customer, tc.userID)
		}
	}
}

func TestContentLimits(t *testing.T) {
	t.Parallel()
	limits := ContentLimits{copydesk.RoleUser: 100}
	for _, tc := range []struct {
		role copydesk.Role
		want int64
	}{{copydesk.RoleUser, 100}, {copydesk.RoleClient, 2 << 20}, {"ROOT", 1 << 20}} {
		if got := limits.For(tc.role); got != tc.want {
			t.Errorf("For(%s): got %d, want %d", tc.role, got, tc.want)
		}
	}
	// The role's limit applies to the body.
	an := &fakeAnalysis{resp: &copydesk.AnalysisResponse{Status: "complete"}}
	ts := MustServer(t, func(s *Server) { s.Analysis = an; s.ContentLimits = ContentLimits{copydesk.RoleUser: 32} })
	MustStatus(t, ts.do(t, "POST", "/v1/analyses", "user", map[string]any{"content": strings.Repeat("a", 64)}), 413, copydesk.ETOOLARGE)
	MustStatus(t, ts.do(t, "POST", "/v1/analyses", "client", map[string]any{"content": strings.Repeat("a", 64)}), 200, "")
}

// TestSessionCSRF: a session needs its CSRF token on unsafe methods, not
// on safe ones; a bad session cookie is 401.
func TestSessionCSRF(t *testing.T) {
	t.Parallel()
	an := &fakeAnalysis{resp: &copydesk.AnalysisResponse{Status: "complete"}}
	ts := MustServer(t, func(s *Server) { s.Analysis = an })
	cookie := SessionCookieName + "=sess-token"
	MustStatus(t, ts.do(t, "GET", "/v1/glossary", "", nil, "Cookie", cookie), 503, "unavailable") // authenticated, no translation service
	MustStatus(t, ts.do(t, "POST", "/v1/analyses", "", map[string]any{"content": "x"}, "Cookie", cookie), 403, "forbidden")
	MustStatus(t, ts.do(t, "POST", "/v1/analyses", "", map[string]any{"content": "x"}, "Cookie", cookie, CSRFHeader, "csrf-tokenX"), 403, "forbidden")
	MustStatus(t, ts.do(t, "POST", "/v1/analyses", "", map[string]any{"content": "x"}, "Cookie", cookie, CSRFHeader, "csrf-token"), 200, "")
	MustStatus(t, ts.do(t, "GET", "/v1/jobs/x", "", nil, "Cookie", SessionCookieName+"=stale"), 401, "unauthorized")
	// A key in X-Api-Key (Anthropic's SDKs) needs no CSRF token.
	MustStatus(t, ts.do(t, "POST", "/v1/analyses", "", map[string]any{"content": "x"}, "X-Api-Key", "user"), 200, "")
	MustStatus(t, ts.do(t, "POST", "/v1/analyses", "", map[string]any{"content": "x"}, "X-Api-Key", "sk-ant-nope"), 401, "unauthorized")
	// Without an authenticator nobody is let in.
	s := MustServer(t, func(s *Server) { s.Auth = nil })
	MustStatus(t, s.do(t, "GET", "/v1/jobs/x", "user", nil), 401, "unauthorized")
	MustStatus(t, s.do(t, "POST", "/v1/auth/login", "", map[string]any{"email": "a@b.example", "password": "x"}), 503, "unavailable")
}

func TestCookies(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		c        *http.Cookie
		name     string
		httpOnly bool
		sameSite http.SameSite
	}{
		{sessionCookie("tok", time.Hour), SessionCookieName, true, http.SameSiteLaxMode},
		{csrfCookie("csrf", time.Hour), CSRFCookieName, false, http.SameSiteStrictMode},
	} {
		if !strings.HasPrefix(tc.c.Name, "__Host-") || tc.c.Name != tc.name || !tc.c.Secure || tc.c.Path != "/" || tc.c.Domain != "" ||
			tc.c.HttpOnly != tc.httpOnly || tc.c.SameSite != tc.sameSite || tc.c.MaxAge != 3600 {
			t.Errorf("cookie %s: got %q, want __Host-, Secure, Path=/, no Domain, HttpOnly=%v, SameSite %v, Max-Age 3600", tc.name, tc.c.String(), tc.httpOnly, tc.sameSite)
		}
		if err := tc.c.Valid(); err != nil {
			t.Errorf("cookie %s is not valid: %v", tc.name, err)
		}
	}
	if c := clearCookie(SessionCookieName); c.MaxAge >= 0 || !c.Secure || c.Path != "/" || !c.HttpOnly {
		t.Errorf("clearCookie: got %q, want Max-Age<0, Secure, Path=/, HttpOnly", c.String())
	}
	if c := sessionCookie("t", 0); c.MaxAge != 1 {
		t.Errorf("an expiring session: got Max-Age %d, want 1", c.MaxAge)
	}
}

func TestLoginLogoutToken(t *testing.T) {
	t.Parallel()
	ts := MustServer(t, nil)
	w := ts.do(t, "POST", "/v1/auth/login", "", map[string]any{"email": " USER@a.example ", "password": "correct horse"})
	MustStatus(t, w, 200, "")
	cookies := w.Result().Cookies()
	if len(cookies) != 2 || cookies[0].Name != SessionCookieName || cookies[0].Value != "sess-token" || !cookies[0].HttpOnly ||
		cookies[1].Name != CSRFCookieName || cookies[1].Value != "csrf-token" || w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("login cookies: got %v, Cache-Control %q", cookies, w.Header().Get("Cache-Control"))
	}
	if m := decode(t, w); m["csrf_token"] != "csrf-token" || m["user_id"] != "usr_user" || strings.Contains(w.Body.String(), "sess-token") {
		t.Errorf("login body: got %s; want the CSRF token and never the session token", w.Body.String())
	}
	MustStatus(t, ts.do(t, "POST", "/v1/auth/login", "", map[string]any{"email": "user@a.example", "password": "wrong"}), 401, "unauthorized")
	MustStatus(t, ts.do(t, "POST", "/v1/auth/login", "", map[string]any{"email": "", "password": "x"}), 400, "invalid")
	MustStatus(t, ts.do(t, "POST", "/v1/auth/login", "", map[string]any{"email": strings.Repeat("a", 300) + "@x.example", "password": "x"}), 400, "invalid")

	w = ts.do(t, "POST", "/v1/auth/logout", "", nil, "Cookie", SessionCookieName+"=sess-token", CSRFHeader, "csrf-token")
	MustStatus(t, w, 204, "")
	if cs := w.Result().Cookies(); len(cs) != 2 || cs[0].MaxAge >= 0 || cs[1].MaxAge >= 0 || len(ts.auth.loggedOut) != 1 {
		t.Errorf("logout: cookies %v, logged out %v", cs, ts.auth.loggedOut)
	}

	w = ts.do(t, "POST", "/v1/auth/token", "client", nil)
	MustStatus(t, w, 200, "")
	if m := decode(t, w); m["access_token"] != "jwt-for-usr_client" || m["token_type"] != "Bearer" || w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("token: got %v", m)
	}
	ts.auth.tokensOff = true
	MustStatus(t, ts.do(t, "POST", "/v1/auth/token", "client", nil), 503, "unavailable")
}

// TestLoginRateLimit: logins are limited per address and per email, with
// the RateLimit fields and Retry-After on the refusal.
func TestLoginRateLimit(t *testing.T) {
	t.Parallel()
	lim, err := ratelimit.New(ratelimit.Config{Login: ratelimit.Rate{PerMinute: 2, Burst: 2}}, storetest.NewClock(storetest.Epoch()))
	if err != nil {
		t.Fatal(err)
	}
	ts := MustServer(t, func(s *Server) { s.Limiter = lim })
	body := map[string]any{"email": "user@a.example", "password": "wrong"}
	for i := range 2 {
		w := ts.do(t, "POST", "/v1/auth/login", "", body)
		MustStatus(t, w, 401, "unauthorized")
		if got := w.Header().Get("RateLimit-Remaining"); got != []string{"1", "0"}[i] {
			t.Errorf("attempt %d: RateLimit-Remaining %q", i+1, got)
		}
	}
	w := ts.do(t, "POST", "/v1/auth/login", "", body)
	MustStatus(t, w, 429, "rate_limited")
	if w.Header().Get("Retry-After") != "30" || w.Header().Get("RateLimit-Limit") != "2" {
		t.Errorf("refused: Retry-After %q RateLimit-Limit %q, want 30 and 2", w.Header().Get("Retry-After"), w.Header().Get("RateLimit-Limit"))
	}
}

// TestRateLimit: the guard takes a token per request; a content route takes
// it at the body's priority, so LOW work is refused first.
func TestRateLimit(t *testing.T) {
	t.Parallel()
	lim, err := ratelimit.New(ratelimit.Config{Roles: map[copydesk.Role]ratelimit.Rate{copydesk.RoleUser: {PerMinute: 6, Burst: 2}}}, storetest.NewClock(storetest.Epoch()))
	if err != nil {
		t.Fatal(err)
	}
	an := &fakeAnalysis{resp: &copydesk.AnalysisResponse{Status: "complete"}}
	ts := MustServer(t, func(s *Server) { s.Limiter = lim; s.Analysis = an })
	w := ts.do(t, "GET", "/v1/jobs/none", "user", nil)
	MustStatus(t, w, 404, "not_found")
	if w.Header().Get("RateLimit-Limit") != "2" || w.Header().Get("RateLimit-Remaining") != "1" || w.Header().Get("RateLimit-Reset") != "10" {
		t.Errorf("headers: got %v", w.Header())
	}
	// One token left: LOW priority needs half the bucket in reserve.
	w = ts.do(t, "POST", "/v1/analyses", "user", map[string]any{"content": "x", "priority": "low"})
	MustStatus(t, w, 429, "rate_limited")
	if w.Header().Get("Retry-After") == "" {
		t.Errorf("429 without Retry-After: %v", w.Header())
	}
	MustStatus(t, ts.do(t, "POST", "/v1/analyses", "user", map[string]any{"content": "x"}), 200, "")
	MustStatus(t, ts.do(t, "GET", "/v1/jobs/none", "user", nil), 429, "rate_limited")
	// A bad body still costs a token and is refused once the bucket is empty.
	MustStatus(t, ts.do(t, "POST", "/v1/analyses", "user", "{"), 429, "rate_limited")
	if len(an.got) != 1 {
		t.Errorf("service called %d times, want 1", len(an.got))
	}
}

func TestSetRateLimitHeaders(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	setRateLimitHeaders(h, ratelimit.Decision{Allowed: true})
	if len(h) != 0 {
		t.Errorf("unlimited: got %v, want no headers", h)
	}
	setRateLimitHeaders(h, ratelimit.Decision{Scope: "user", Limit: 5, Remaining: 0, Reset: 1500 * time.Millisecond, RetryAfter: 200 * time.Millisecond})
	want := map[string]string{"RateLimit-Limit": "5", "RateLimit-Remaining": "0", "RateLimit-Reset": "2", "Retry-After": "1"}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s: got %q, want %q", k, got, v)
		}
	}
}

// TestServerBasics: health, the OpenAPI document, 404 and 405 as JSON, a
// panicking handler as a 500 that hides the panic, the request id.
func TestServerBasics(t *testing.T) {
	t.Parallel()
	var panics []string
	ts := allRoutes(t)
	ts.OnPanic = func(_ context.Context, p any, tags map[string]string) { panics = append(panics, tags["route"]) }
	w := ts.do(t, "GET", "/healthz", "", nil)
	MustStatus(t, w, 200, "")
	if m := decode(t, w); m["status"] != "ok" || m["version"] != "test" || len(w.Header().Get("X-Request-ID")) != 16 {
		t.Errorf("healthz: got %v, request id %q", m, w.Header().Get("X-Request-ID"))
	}
	w = ts.do(t, "GET", "/openapi.json", "", nil, "X-Request-ID", "req-42")
	MustStatus(t, w, 200, "")
	if !strings.Contains(w.Body.String(), `"openapi"`) || w.Header().Get("X-Request-ID") != "req-42" {
		t.Errorf("openapi: %.80s, request id %q", w.Body.String(), w.Header().Get("X-Request-ID"))
	}
	MustStatus(t, ts.do(t, "GET", "/v1/nothing", "user", nil), 404, "not_found")
	w = ts.do(t, "PATCH", "/v1/jobs/x", "user", nil)
	MustStatus(t, w, 405, "method_not_allowed")
	if w.Header().Get("Allow") != "GET, DELETE" {
		t.Errorf("Allow: got %q, want GET, DELETE", w.Header().Get("Allow"))
	}
	w = ts.do(t, "GET", "/", "", nil)
	if w.Code != 302 || w.Header().Get("Location") != "/ui/" {
		t.Errorf("/: got %d to %q, want 302 to /ui/", w.Code, w.Header().Get("Location"))
	}
	MustStatus(t, ts.do(t, "GET", "/ui/app.js", "", nil), 200, "")
	MustStatus(t, ts.do(t, "GET", "/metrics", "admin", nil), 200, "")
	w = ts.do(t, "GET", "/v1/reports/daily", "admin", nil)
	MustStatus(t, w, 200, "")
	if m := decode(t, w); m["day"] != "today" {
		t.Errorf("daily report: got %v", m)
	}
	MustStatus(t, ts.do(t, "GET", "/v1/alerts", "admin", nil), 200, "")
	MustStatus(t, ts.do(t, "GET", "/v1/cache/stats", "admin", nil), 200, "")

	ts.DailyReport = func(context.Context) (any, error) { panic("boom in the report") }
	w = ts.do(t, "GET", "/v1/reports/daily", "admin", nil)
	MustStatus(t, w, 500, "internal")
	if strings.Contains(w.Body.String(), "boom") || len(panics) != 1 || panics[0] != "GET /v1/reports/daily" {
		t.Errorf("panic: body %s, reported %v", w.Body.String(), panics)
	}
	ts.DailyReport = func(context.Context) (any, error) { return nil, errors.New("ledger: disk on fire") }
	w = ts.do(t, "GET", "/v1/reports/daily", "admin", nil)
	MustStatus(t, w, 500, "internal")
	if strings.Contains(w.Body.String(), "disk on fire") {
		t.Errorf("internal error leaked: %s", w.Body.String())
	}
	ts.logMu.Lock()
	logs := ts.logs.String()
	ts.logMu.Unlock()
	if !strings.Contains(logs, "disk on fire") || !strings.Contains(logs, `"route":"GET /v1/reports/daily"`) || strings.Contains(logs, "Bearer") {
		t.Errorf("logs: want the internal error and the route, no credentials: %.400s", logs)
	}
}

func TestOpenClose(t *testing.T) {
	t.Parallel()
	s := &Server{Addr: "127.0.0.1:0"}
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	res, err := http.Get(s.URL() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("healthz: got %d", res.StatusCode)
	}
	if err := s.Close(context.Background()); err != nil {
		t.Errorf("close: %v", err)
	}
	if err := s.Close(context.Background()); err != nil {
		t.Errorf("second close: %v", err)
	}
	if err := (&Server{Addr: "256.0.0.1:1"}).Open(); err == nil {
		t.Errorf("open on a bad address: got nil, want an error")
	}
}
