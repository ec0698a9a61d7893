package main

import (
	"strings"
	"testing"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// TestUserRoleOverHTTP changes roles with PATCH /v1/users/{id}: a CLIENT
// promotes its USER to CLIENT and back, but cannot make an ADMIN, change
// its own role, touch an ADMIN or another customer's user; the ADMIN can
// make anyone ADMIN; a refused change leaves the user as it was, and the
// new role is what the user's key acts with.
func TestUserRoleOverHTTP(t *testing.T) {
	t.Parallel()
	m := MustRunMain(t)
	base := m.HTTP.URL()
	admin := MustAdminKey(t, m)
	client := MustTenant(t, base, admin, "", copydesk.RoleClient, "client@role.example")
	user := MustTenant(t, base, admin, client.CustomerID, copydesk.RoleUser, "user@role.example")
	other := MustTenant(t, base, admin, "", copydesk.RoleUser, "other@role.example")

	role := func(id string) copydesk.Role {
		t.Helper()
		var u copydesk.User
		call(t, base, "GET", "/v1/users/"+id, admin, nil).json(t, &u)
		return u.Role
	}
	patch := func(key, id string, body map[string]any) response {
		t.Helper()
		return call(t, base, "PATCH", "/v1/users/"+id, key, body)
	}

	// USER keys may not list the customer's users; as a CLIENT they may.
	MustStatus(t, call(t, base, "GET", "/v1/users?customer_id="+client.CustomerID, user.Key, nil), 403, "USER lists users")
	MustStatus(t, patch(client.Key, user.UserID, map[string]any{"role": "CLIENT"}), 200, "CLIENT promotes its USER")
	if got := role(user.UserID); got != copydesk.RoleClient {
		t.Errorf("role after promotion: got %s, want CLIENT", got)
	}
	MustStatus(t, call(t, base, "GET", "/v1/users?customer_id="+client.CustomerID, user.Key, nil), 200, "promoted user lists users")

	for _, tc := range []struct {
		name   string
		key    string
		id     string
		body   map[string]any
		status int
		code   string
	}{
		{"CLIENT makes an ADMIN", client.Key, user.UserID, map[string]any{"role": "ADMIN"}, 403, "forbidden"},
		{"CLIENT changes its own role", client.Key, client.UserID, map[string]any{"role": "USER"}, 400, "invalid"},
		{"unknown role", client.Key, user.UserID, map[string]any{"role": "ROOT"}, 400, "invalid"},
		{"role and a refused part", client.Key, user.UserID, map[string]any{"role": "ADMIN", "disabled": true}, 403, "forbidden"},
		{"another customer's user", client.Key, other.UserID, map[string]any{"role": "CLIENT"}, 404, "not_found"},
	} {
		r := patch(tc.key, tc.id, tc.body)
		MustStatus(t, r, tc.status, tc.name)
		if !containsCode(r, tc.code) {
			t.Errorf("%s: body %s, want code %s", tc.name, r.Body, tc.code)
		}
	}
	if got := role(user.UserID); got != copydesk.RoleClient {
		t.Errorf("role after refused changes: got %s, want CLIENT unchanged", got)
	}
	var u copydesk.User
	call(t, base, "GET", "/v1/users/"+user.UserID, admin, nil).json(t, &u)
	if u.Disabled {
		t.Error("a refused role change disabled the user anyway")
	}

	MustStatus(t, patch(admin, user.UserID, map[string]any{"role": "ADMIN"}), 200, "ADMIN makes an ADMIN")
	if got := role(user.UserID); got != copydesk.RoleAdmin {
		t.Errorf("role: got %s, want ADMIN", got)
	}
	MustStatus(t, patch(client.Key, user.UserID, map[string]any{"role": "USER"}), 403, "CLIENT demotes an ADMIN")
	MustStatus(t, patch(admin, user.UserID, map[string]any{"role": "USER"}), 200, "ADMIN demotes")
	MustStatus(t, call(t, base, "GET", "/v1/users?customer_id="+client.CustomerID, user.Key, nil), 403, "demoted user lists users")
}

func containsCode(r response, code string) bool {
	return strings.Contains(string(r.Body), `"code":"`+code+`"`)
}
