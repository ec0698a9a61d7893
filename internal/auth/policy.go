package auth

import (
	"context"
	"slices"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// Scopes an API key may be limited to. A key without scopes may do all its
// user's role allows.
const (
	ScopeAnalyses  = "analyses:write" // start analyses, generation, translation
	ScopeChat      = "chat:write"     // the model gateway: chat completions, messages, embeddings, the model list
	ScopeJobsRead  = "jobs:read"      // read jobs and their events
	ScopeJobsWrite = "jobs:write"     // cancel jobs
	ScopeUsageRead = "usage:read"     // usage reports
	ScopeManage    = "manage"         // customers, users, keys, budgets
	ScopeMetrics   = "metrics:read"   // Prometheus metrics
)

// Route is one route's access rule.
type Route struct {
	// Pattern is the http.ServeMux pattern, e.g. "GET /v1/jobs/{id}".
	Pattern string
	// Public routes need no credentials.
	Public bool
	// Roles may call the route; the handler still scopes reads to the
	// caller's customer (and a USER's to its own data).
	Roles []copydesk.Role
	// Scope a scoped key must hold; "" for none.
	Scope string
}

var (
	all    = []copydesk.Role{copydesk.RoleAdmin, copydesk.RoleClient, copydesk.RoleUser}
	owners = []copydesk.Role{copydesk.RoleAdmin, copydesk.RoleClient}
	admin  = []copydesk.Role{copydesk.RoleAdmin}
)

// Policy is the role × route table: every route the server registers must
// be in it (the http package's matrix test enumerates both).
var Policy = []Route{
	{Pattern: "GET /healthz", Public: true},
	{Pattern: "GET /readyz", Public: true},
	{Pattern: "GET /openapi.json", Public: true},
	{Pattern: "GET /metrics", Roles: admin, Scope: ScopeMetrics},

	// The web UI's shell and assets hold no data: its data comes from the
	// API with the browser session.
	{Pattern: "GET /{$}", Public: true},
	{Pattern: "GET /ui/{path...}", Public: true},

	{Pattern: "POST /v1/auth/login", Public: true},
	{Pattern: "POST /v1/auth/logout", Roles: all},
	{Pattern: "POST /v1/auth/token", Roles: all},

	{Pattern: "GET /v1/alerts", Roles: admin, Scope: ScopeMetrics},
	{Pattern: "GET /v1/reports/daily", Roles: admin, Scope: ScopeMetrics},
	{Pattern: "GET /v1/cache/stats", Roles: admin, Scope: ScopeMetrics},
	{Pattern: "POST /v1/cache/purge", Roles: owners, Scope: ScopeManage},
	{Pattern: "POST /v1/cache/warm", Roles: owners, Scope: ScopeAnalyses},

	{Pattern: "POST /v1/analyses", Roles: all, Scope: ScopeAnalyses},
	{Pattern: "GET /v1/analyses/{key}", Roles: all, Scope: ScopeJobsRead},
	{Pattern: "POST /v1/chat/completions", Roles: all, Scope: ScopeChat},
	{Pattern: "POST /v1/messages", Roles: all, Scope: ScopeChat},
	{Pattern: "POST /v1/messages/count_tokens", Roles: all, Scope: ScopeChat},
	{Pattern: "POST /v1/embeddings", Roles: all, Scope: ScopeChat},
	{Pattern: "GET /v1/models", Roles: all, Scope: ScopeChat},
	{Pattern: "GET /v1/models/{id...}", Roles: all, Scope: ScopeChat},
	{Pattern: "POST /v1/generations", Roles: all, Scope: ScopeAnalyses},
	{Pattern: "POST /v1/translations", Roles: all, Scope: ScopeAnalyses},
	{Pattern: "POST /v1/seo/suggestions", Roles: all, Scope: ScopeAnalyses},
	{Pattern: "POST /v1/batches", Roles: all, Scope: ScopeAnalyses},
	{Pattern: "GET /v1/batches/{id}", Roles: all, Scope: ScopeJobsRead},
	{Pattern: "DELETE /v1/batches/{id}", Roles: all, Scope: ScopeJobsWrite},
	{Pattern: "GET /v1/batches/{id}/results.jsonl", Roles: all, Scope: ScopeJobsRead},
	{Pattern: "GET /v1/glossary", Roles: all, Scope: ScopeJobsRead},
	{Pattern: "PUT /v1/glossary", Roles: owners, Scope: ScopeManage},
	{Pattern: "GET /v1/translation-memory", Roles: owners, Scope: ScopeManage},
	{Pattern: "POST /v1/translation-memory", Roles: owners, Scope: ScopeManage},
	{Pattern: "DELETE /v1/translation-memory", Roles: owners, Scope: ScopeManage},
	{Pattern: "GET /v1/jobs", Roles: all, Scope: ScopeJobsRead},
	{Pattern: "GET /v1/jobs/{id}", Roles: all, Scope: ScopeJobsRead},
	{Pattern: "DELETE /v1/jobs/{id}", Roles: all, Scope: ScopeJobsWrite},
	{Pattern: "GET /v1/jobs/{id}/events", Roles: all, Scope: ScopeJobsRead},

	{Pattern: "GET /v1/customers", Roles: admin, Scope: ScopeManage},
	{Pattern: "POST /v1/customers", Roles: admin, Scope: ScopeManage},
	{Pattern: "GET /v1/customers/{id}", Roles: owners, Scope: ScopeManage},

	{Pattern: "GET /v1/users", Roles: owners, Scope: ScopeManage},
	{Pattern: "POST /v1/users", Roles: owners, Scope: ScopeManage},
	{Pattern: "GET /v1/users/{id}", Roles: all},
	{Pattern: "PATCH /v1/users/{id}", Roles: owners, Scope: ScopeManage},

	{Pattern: "GET /v1/keys", Roles: all, Scope: ScopeManage},
	{Pattern: "POST /v1/keys", Roles: all, Scope: ScopeManage},
	{Pattern: "PATCH /v1/keys/{id}", Roles: owners, Scope: ScopeManage},
	{Pattern: "DELETE /v1/keys/{id}", Roles: all, Scope: ScopeManage},

	{Pattern: "GET /v1/budgets", Roles: owners, Scope: ScopeManage},
	{Pattern: "PUT /v1/budgets/{customer_id}", Roles: admin, Scope: ScopeManage},
	{Pattern: "PUT /v1/budgets/{customer_id}/users/{user_id}", Roles: owners, Scope: ScopeManage},

	{Pattern: "GET /v1/usage", Roles: all, Scope: ScopeUsageRead},
	{Pattern: "GET /v1/reports/cost-per-page", Roles: all, Scope: ScopeUsageRead},
	{Pattern: "GET /v1/usage.csv", Roles: all, Scope: ScopeUsageRead},
}

// RouteFor returns the rule of a pattern, or false if the policy has none.
func RouteFor(pattern string) (Route, bool) {
	i := slices.IndexFunc(Policy, func(r Route) bool { return r.Pattern == pattern })
	if i < 0 {
		return Route{}, false
	}
	return Policy[i], true
}

// Authorize decides whether p (nil: no credentials) may call the route
// registered as pattern (http.Request.Pattern). Returns EUNAUTHORIZED
// without credentials, EFORBIDDEN for a role or key scope that does not
// allow the route, and EINTERNAL for a pattern missing from Policy (deny by
// default).
func Authorize(p *copydesk.Principal, pattern string) error {
	r, ok := RouteFor(pattern)
	switch {
	case !ok:
		return copydesk.Errorf(copydesk.EINTERNAL, "route %q has no access rule", pattern)
	case r.Public:
		return nil
	case p == nil:
		return copydesk.Errorf(copydesk.EUNAUTHORIZED, "credentials are missing: send \"Authorization: Bearer <API key or token>\" or log in")
	case !slices.Contains(r.Roles, p.Role):
		return copydesk.Errorf(copydesk.EFORBIDDEN, "role %s may not call %s", p.Role, r.Pattern)
	case r.Scope != "" && len(p.Scopes) > 0 && !slices.Contains(p.Scopes, r.Scope):
		return copydesk.Errorf(copydesk.EFORBIDDEN, "this API key lacks the scope %q needed for %s", r.Scope, r.Pattern)
	}
	return nil
}

// ScopeUsage narrows a usage filter to what p may see: an ADMIN any
// customer, a CLIENT its own customer, a USER its own usage. Asking for
// another customer's or user's usage returns ENOTFOUND (their existence is
// not revealed).
func ScopeUsage(p copydesk.Principal, f copydesk.UsageFilter) (copydesk.UsageFilter, error) {
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

// NewContext returns ctx carrying p, for handlers behind the
// authentication middleware.
func NewContext(ctx context.Context, p copydesk.Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal NewContext stored in ctx.
func FromContext(ctx context.Context) (copydesk.Principal, bool) {
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
