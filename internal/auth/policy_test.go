package auth_test

import (
	"context"
	"testing"

	"github.com/copydesk/copydesk/internal/auth"
	"github.com/copydesk/copydesk/internal/copydesk"
)

func TestAuthorize(t *testing.T) {
	t.Parallel()
	p := func(role copydesk.Role, scopes ...string) *copydesk.Principal {
		return &copydesk.Principal{UserID: "u", CustomerID: "c", Role: role, Scopes: scopes}
	}
	tests := []struct {
		name    string
		p       *copydesk.Principal
		pattern string
		code    string
	}{
		{"PublicAnonymous", nil, "GET /healthz", ""},
		{"Anonymous", nil, "POST /v1/analyses", copydesk.EUNAUTHORIZED},
		{"UserAnalyses", p(copydesk.RoleUser), "POST /v1/analyses", ""},
		{"UserCustomers", p(copydesk.RoleUser), "GET /v1/customers", copydesk.EFORBIDDEN},
		{"ClientCustomers", p(copydesk.RoleClient), "POST /v1/customers", copydesk.EFORBIDDEN},
		{"AdminCustomers", p(copydesk.RoleAdmin), "POST /v1/customers", ""},
		{"ClientCustomerBudget", p(copydesk.RoleClient), "PUT /v1/budgets/{customer_id}", copydesk.EFORBIDDEN},
		{"ClientUserBudget", p(copydesk.RoleClient), "PUT /v1/budgets/{customer_id}/users/{user_id}", ""},
		{"ScopedKeyInScope", p(copydesk.RoleUser, auth.ScopeAnalyses), "POST /v1/analyses", ""},
		{"ScopedKeyOutOfScope", p(copydesk.RoleUser, auth.ScopeJobsRead), "POST /v1/analyses", copydesk.EFORBIDDEN},
		{"ScopedAdminMetrics", p(copydesk.RoleAdmin, auth.ScopeAnalyses), "GET /metrics", copydesk.EFORBIDDEN},
		{"UnknownRoute", p(copydesk.RoleAdmin), "GET /v1/secret", copydesk.EINTERNAL},
		{"UnknownRole", p("ROOT"), "POST /v1/analyses", copydesk.EFORBIDDEN},
	}
	for _, tt := range tests {
		if got := copydesk.ErrorCode(auth.Authorize(tt.p, tt.pattern)); got != tt.code {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.code)
		}
	}
	seen := map[string]bool{}
	for _, r := range auth.Policy {
		if seen[r.Pattern] {
			t.Errorf("pattern %q appears twice", r.Pattern)
		}
		seen[r.Pattern] = true
		if !r.Public && len(r.Roles) == 0 {
			t.Errorf("pattern %q allows nobody", r.Pattern)
		}
	}
}

func TestScopeUsage(t *testing.T) {
	t.Parallel()
	admin := copydesk.Principal{UserID: "a", CustomerID: "op", Role: copydesk.RoleAdmin}
	client := copydesk.Principal{UserID: "c", CustomerID: "acme", Role: copydesk.RoleClient}
	user := copydesk.Principal{UserID: "u", CustomerID: "acme", Role: copydesk.RoleUser}
	tests := []struct {
		name             string
		p                copydesk.Principal
		in               copydesk.UsageFilter
		customer, userID string
		code             string
	}{
		{"AdminAll", admin, copydesk.UsageFilter{}, "", "", ""},
		{"AdminOther", admin, copydesk.UsageFilter{CustomerID: "acme"}, "acme", "", ""},
		{"ClientOwn", client, copydesk.UsageFilter{}, "acme", "", ""},
		{"ClientOther", client, copydesk.UsageFilter{CustomerID: "bolt"}, "", "", copydesk.ENOTFOUND},
		{"ClientUser", client, copydesk.UsageFilter{UserID: "u"}, "acme", "u", ""},
		{"UserOwn", user, copydesk.UsageFilter{}, "acme", "u", ""},
		{"UserOtherUser", user, copydesk.UsageFilter{UserID: "v"}, "", "", copydesk.ENOTFOUND},
	}
	for _, tt := range tests {
		got, err := auth.ScopeUsage(tt.p, tt.in)
		if copydesk.ErrorCode(err) != tt.code {
			t.Errorf("%s: got %v, want %q", tt.name, err, tt.code)
			continue
		}
		if err == nil && (got.CustomerID != tt.customer || got.UserID != tt.userID) {
			t.Errorf("%s: got customer %q user %q, want %q %q", tt.name, got.CustomerID, got.UserID, tt.customer, tt.userID)
		}
	}
}

func TestPolicyCoversServerRoutes(t *testing.T) {
	t.Parallel()
	// The routes internal/http registers today (server.go registerRoutes).
	for _, pattern := range []string{
		"GET /healthz", "GET /readyz", "GET /openapi.json", "POST /v1/analyses", "GET /v1/analyses/{key}",
		"GET /v1/jobs/{id}", "DELETE /v1/jobs/{id}", "GET /v1/jobs/{id}/events", "POST /v1/chat/completions",
		"GET /metrics", "GET /v1/alerts", "GET /v1/reports/daily",
		"GET /v1/cache/stats", "POST /v1/cache/purge", "POST /v1/cache/warm",
	} {
		if _, ok := auth.RouteFor(pattern); !ok {
			t.Errorf("route %q has no access rule", pattern)
		}
	}
}

func TestContextAndLimits(t *testing.T) {
	t.Parallel()
	p := copydesk.Principal{UserID: "u", CustomerID: "c", Role: copydesk.RoleUser}
	if got, ok := auth.FromContext(auth.NewContext(context.Background(), p)); !ok || got.UserID != "u" {
		t.Errorf("FromContext: got %+v, %v, want the principal", got, ok)
	}
	if _, ok := auth.FromContext(context.Background()); ok {
		t.Errorf("FromContext(empty): got ok, want false")
	}
	limits := auth.ContentLimits{copydesk.RoleUser: 100}
	for _, tt := range []struct {
		role copydesk.Role
		want int64
	}{{copydesk.RoleUser, 100}, {copydesk.RoleClient, 2 << 20}, {"ROOT", 1 << 20}} {
		if got := limits.For(tt.role); got != tt.want {
			t.Errorf("For(%s): got %d, want %d", tt.role, got, tt.want)
		}
	}
}
