package http

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/copydesk/copydesk/internal/auth"
	"github.com/copydesk/copydesk/internal/copydesk"
)

// Route is one registered endpoint and who may call it: the route table
// that Routes returns, the guard enforces, the OpenAPI test compares with
// openapi.json and the role × route matrix test (cmd/copydesk) judges.
type Route struct {
	Method  string
	Pattern string // path pattern as in http.ServeMux
	// Public routes need no credentials.
	Public bool
	// Roles may call the route; the handler still scopes reads to the
	// caller's customer (and a USER's to its own data).
	Roles []copydesk.Role
	// Scope is the scope an API key limited to some scopes must hold; ""
	// for none.
	Scope string
}

// access is who may call a route, as declared where it is registered.
type access struct {
	public bool
	roles  []copydesk.Role
	scope  string
}

// public routes need no credentials.
var public = access{public: true}

// anyRole lets every role (ADMIN, CLIENT, USER) call a route; a key limited
// to scopes needs scope ("" for none).
func anyRole(scope string) access {
	return access{roles: []copydesk.Role{copydesk.RoleAdmin, copydesk.RoleClient, copydesk.RoleUser}, scope: scope}
}

// owners lets the ADMIN and CLIENTs (a customer's owners) call a route.
func owners(scope string) access {
	return access{roles: []copydesk.Role{copydesk.RoleAdmin, copydesk.RoleClient}, scope: scope}
}

// adminOnly lets only the ADMIN (the operator) call a route.
func adminOnly(scope string) access {
	return access{roles: []copydesk.Role{copydesk.RoleAdmin}, scope: scope}
}

// registerRoutes is the route table. Every route is registered here, with
// who may call it, in one line:
//
//	s.handle(method, pattern, access, handler)
//	s.handleLimited(method, pattern, access, handler) // takes its own rate-limit token
//
// where access is public, anyRole(scope), owners(scope) or adminOnly(scope)
// and scope one of the auth.Scope constants ("" for none). A new route
// adds its line here (and its path to openapi.json and its row to the
// matrix test in cmd/copydesk/access_test.go); nothing else decides access.
func (s *Server) registerRoutes() {
	s.handle("GET", "/healthz", public, s.handleHealthz)
	s.handle("GET", "/readyz", public, s.handleReadyz)
	s.handle("GET", "/openapi.json", public, s.handleOpenAPI)

	s.handle("POST", "/v1/auth/login", public, s.handleLogin)
	s.handle("POST", "/v1/auth/logout", anyRole(""), s.handleLogout)
	s.handle("POST", "/v1/auth/token", anyRole(""), s.handleToken)

	// Content: analyses, generation, translation, SEO suggestions, bulk
	// jobs. Their rate-limit token depends on the body's priority.
	s.handleLimited("POST", "/v1/analyses", anyRole(auth.ScopeAnalyses), s.handleCreateAnalysis)
	s.handle("GET", "/v1/analyses/{key}", anyRole(auth.ScopeJobsRead), s.handleGetAnalysis)
	s.handleLimited("POST", "/v1/generations", anyRole(auth.ScopeAnalyses), s.handleCreateGeneration)
	s.handleLimited("POST", "/v1/translations", anyRole(auth.ScopeAnalyses), s.handleCreateTranslation)
	s.handleLimited("POST", "/v1/seo/suggestions", anyRole(auth.ScopeAnalyses), s.handleCreateSuggestions)
	s.handleLimited("POST", "/v1/batches", anyRole(auth.ScopeAnalyses), s.handleCreateBatch)
	s.handle("GET", "/v1/batches/{id}", anyRole(auth.ScopeJobsRead), s.handleGetBatch)
	s.handle("DELETE", "/v1/batches/{id}", anyRole(auth.ScopeJobsWrite), s.handleCancelBatch)
	s.handle("GET", "/v1/batches/{id}/results.jsonl", anyRole(auth.ScopeJobsRead), s.handleBatchResults)
	s.handle("GET", "/v1/glossary", anyRole(auth.ScopeJobsRead), s.handleGetGlossary)
	s.handle("PUT", "/v1/glossary", owners(auth.ScopeManage), s.handlePutGlossary)
	s.handle("GET", "/v1/translation-memory", owners(auth.ScopeManage), s.handleExportTM)
	s.handle("POST", "/v1/translation-memory", owners(auth.ScopeManage), s.handleImportTM)
	s.handle("DELETE", "/v1/translation-memory", owners(auth.ScopeManage), s.handleDeleteTM)

	s.handle("GET", "/v1/jobs", anyRole(auth.ScopeJobsRead), s.handleListJobs)
	s.handle("GET", "/v1/jobs/{id}", anyRole(auth.ScopeJobsRead), s.handleGetJob)
	s.handle("DELETE", "/v1/jobs/{id}", anyRole(auth.ScopeJobsWrite), s.handleCancelJob)
	s.handle("GET", "/v1/jobs/{id}/events", anyRole(auth.ScopeJobsRead), s.handleJobEvents)

	// The model gateway.
	s.handleLimited("POST", "/v1/chat/completions", anyRole(auth.ScopeChat), s.handleChatCompletions)
	s.handleLimited("POST", "/v1/messages", anyRole(auth.ScopeChat), s.handleMessages)
	s.handle("POST", "/v1/messages/count_tokens", anyRole(auth.ScopeChat), s.handleCountTokens)
	s.handleLimited("POST", "/v1/embeddings", anyRole(auth.ScopeChat), s.handleEmbeddings)
	s.handle("GET", "/v1/models", anyRole(auth.ScopeChat), s.handleListModels)
	s.handle("GET", "/v1/models/{id...}", anyRole(auth.ScopeChat), s.handleGetModel)

	// Management: each handler also scopes what it reads and writes to
	// the caller's customer (and a USER's to itself), answering ENOTFOUND
	// for what the caller may not see.
	s.handle("GET", "/v1/customers", adminOnly(auth.ScopeManage), s.handleListCustomers)
	s.handle("POST", "/v1/customers", adminOnly(auth.ScopeManage), s.handleCreateCustomer)
	s.handle("GET", "/v1/customers/{id}", owners(auth.ScopeManage), s.handleGetCustomer)
	s.handle("GET", "/v1/users", owners(auth.ScopeManage), s.handleListUsers)
	s.handle("POST", "/v1/users", owners(auth.ScopeManage), s.handleCreateUser)
	s.handle("GET", "/v1/users/{id}", anyRole(""), s.handleGetUser)
	s.handle("PATCH", "/v1/users/{id}", owners(auth.ScopeManage), s.handleUpdateUser)
	s.handle("GET", "/v1/keys", anyRole(auth.ScopeManage), s.handleListKeys)
	s.handle("POST", "/v1/keys", anyRole(auth.ScopeManage), s.handleCreateKey)
	s.handle("PATCH", "/v1/keys/{id}", owners(auth.ScopeManage), s.handleUpdateKey)
	s.handle("DELETE", "/v1/keys/{id}", anyRole(auth.ScopeManage), s.handleRevokeKey)
	s.handle("GET", "/v1/budgets", owners(auth.ScopeManage), s.handleGetBudget)
	s.handle("PUT", "/v1/budgets/{customer_id}", adminOnly(auth.ScopeManage), s.handlePutCustomerBudget)
	s.handle("PUT", "/v1/budgets/{customer_id}/users/{user_id}", owners(auth.ScopeManage), s.handlePutUserBudget)
	s.handle("GET", "/v1/usage", anyRole(auth.ScopeUsageRead), s.handleUsage)
	s.handle("GET", "/v1/usage.csv", anyRole(auth.ScopeUsageRead), s.handleUsageCSV)
	s.handle("GET", "/v1/reports/cost-per-page", anyRole(auth.ScopeUsageRead), s.handleCostPerPage)
	if s.Prices != nil {
		s.handle("GET", "/v1/prices", owners(auth.ScopeUsageRead), s.handlePrices)
	}

	// Operations; each is left out when its dependency is not set.
	if s.MetricsHandler != nil {
		s.handle("GET", "/metrics", adminOnly(auth.ScopeMetrics), s.MetricsHandler.ServeHTTP)
	}
	if s.Cache.Stats != nil {
		s.handle("GET", "/v1/cache/stats", adminOnly(auth.ScopeMetrics), s.handleCacheStats)
		s.handle("POST", "/v1/cache/purge", owners(auth.ScopeManage), s.handlePurgeCache)
		s.handle("POST", "/v1/cache/warm", owners(auth.ScopeAnalyses), s.handleWarmCache)
	}
	if s.DailyReport != nil {
		s.handle("GET", "/v1/reports/daily", adminOnly(auth.ScopeMetrics), s.handleDailyReport)
	}
	if s.Alerts != nil {
		s.handle("GET", "/v1/alerts", adminOnly(auth.ScopeMetrics), s.handleAlerts)
	}

	// The web UI's shell and assets hold no data (its data comes from the
	// API with the browser session); they are left out of openapi.json,
	// which documents the JSON API.
	if s.UI != nil {
		s.handle("GET", "/{$}", public, s.handleUIRoot)
		s.handle("GET", "/ui/{path...}", public, s.UI.ServeHTTP)
	}

	s.mux.HandleFunc("/", s.handleNoRoute)
}

// handle registers a route with who may call it (see registerRoutes); the
// guard authenticates, authorizes and takes the caller's rate-limit token
// before h runs.
func (s *Server) handle(method, pattern string, a access, h http.HandlerFunc) {
	s.register(method, pattern, a, false, h)
}

// handleLimited registers a route like handle, but its handler takes its
// own rate-limit token once it knows the request's priority (s.allow).
func (s *Server) handleLimited(method, pattern string, a access, h http.HandlerFunc) {
	s.register(method, pattern, a, true, h)
}

func (s *Server) register(method, pattern string, a access, limitInHandler bool, h http.HandlerFunc) {
	rt := Route{Method: method, Pattern: pattern, Public: a.public, Roles: a.roles, Scope: a.scope}
	if !rt.Public && len(rt.Roles) == 0 && s.routeErr == nil {
		s.routeErr = fmt.Errorf("route %s %s allows nobody: declare public or its roles", method, pattern)
	}
	s.routes = append(s.routes, rt)
	s.mux.Handle(method+" "+pattern, s.guard(rt, limitInHandler, h))
}

// authorize decides whether p (nil: no credentials) may call rt. Returns
// EUNAUTHORIZED without credentials and EFORBIDDEN for a role or key scope
// that does not allow the route.
func authorize(p *copydesk.Principal, rt Route) error {
	switch {
	case rt.Public:
		return nil
	case p == nil:
		return copydesk.Errorf(copydesk.EUNAUTHORIZED, "credentials are missing: send \"Authorization: Bearer <API key or token>\" or log in")
	case !slices.Contains(rt.Roles, p.Role):
		return copydesk.Errorf(copydesk.EFORBIDDEN, "role %s may not call %s %s", p.Role, rt.Method, rt.Pattern)
	case rt.Scope != "" && len(p.Scopes) > 0 && !slices.Contains(p.Scopes, rt.Scope):
		return copydesk.Errorf(copydesk.EFORBIDDEN, "this API key lacks the scope %q needed for %s %s", rt.Scope, rt.Method, rt.Pattern)
	}
	return nil
}

// scopeUsage narrows a usage filter to what p may see: an ADMIN any
// customer, a CLIENT its own customer, a USER its own usage. Asking for
// another customer's or user's usage returns ENOTFOUND (their existence is
// not revealed).
func scopeUsage(p copydesk.Principal, f copydesk.UsageFilter) (copydesk.UsageFilter, error) {
	switch p.Role {
	case copydesk.RoleAdmin:
		return f, nil
	case copydesk.RoleClient, copydesk.RoleUser:
		if f.CustomerID != "" && f.CustomerID != p.CustomerID {
			return f, copydesk.Errorf(copydesk.ENOTFOUND, "customer %q not found", f.CustomerID)
		}
		f.CustomerID = p.CustomerID
		if p.Role == copydesk.RoleUser {
			if f.UserID != "" && f.UserID != p.UserID {
				return f, copydesk.Errorf(copydesk.ENOTFOUND, "user %q not found", f.UserID)
			}
			f.UserID = p.UserID
		}
		return f, nil
	}
	return f, copydesk.Errorf(copydesk.EFORBIDDEN, "unknown role %q", p.Role)
}

type principalKey struct{}

// withPrincipal returns ctx carrying p, for handlers behind the guard.
func withPrincipal(ctx context.Context, p copydesk.Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// principalFrom returns the principal withPrincipal stored in ctx.
func principalFrom(ctx context.Context) (copydesk.Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(copydesk.Principal)
	return p, ok
}

// ContentLimits caps request bodies in bytes by role.
type ContentLimits map[copydesk.Role]int64

// DefaultContentLimits let operators and owners send larger documents than
// users: 4 MiB for ADMIN, 2 MiB for CLIENT, 1 MiB for USER.
var DefaultContentLimits = ContentLimits{copydesk.RoleAdmin: 4 << 20, copydesk.RoleClient: 2 << 20, copydesk.RoleUser: 1 << 20}

// For returns the limit of role: its configured value, else the default,
// else the USER default (the smallest) for an unknown role.
func (c ContentLimits) For(role copydesk.Role) int64 {
	if n := c[role]; n > 0 {
		return n
	}
	if n := DefaultContentLimits[role]; n > 0 {
		return n
	}
	return DefaultContentLimits[copydesk.RoleUser]
}
