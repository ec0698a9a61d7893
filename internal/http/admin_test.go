package http

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/auth"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/sqlite"
	"github.com/copydesk/copydesk/internal/storetest"
)

// accessFixture is a server over a real SQLite store (customers, users,
// keys, budgets) with callers of two customers.
type accessFixture struct {
	*testServer
	db                    *sqlite.DB
	custA, custB          *copydesk.Customer
	clientA, userA, userB *copydesk.User
	ledger                *fakeLedger
}

// fakeLedger answers a usage report of fixed rows and records the filter.
type fakeLedger struct {
	got copydesk.UsageFilter
}

func (l *fakeLedger) UsageReport(_ context.Context, f copydesk.UsageFilter) (*copydesk.UsageReport, error) {
	l.got = f
	rows := []copydesk.UsageRow{
		{Day: "2026-12-01", CustomerID: f.CustomerID, UserID: "u1", Model: "gpt", Kind: "chat", Calls: 2, InputTokens: 10, Cost: 300},
		{Day: "2026-12-02", CustomerID: f.CustomerID, UserID: "u2", Model: "gpt", Kind: "chat", Calls: 1, InputTokens: 5, Cost: 100},
	}
	return &copydesk.UsageReport{From: f.From, To: f.To, Rows: rows, Totals: copydesk.UsageRow{Calls: 3, InputTokens: 15, Cost: 400}}, nil
}

func MustAccessFixture(tb testing.TB) *accessFixture {
	tb.Helper()
	clock := storetest.NewClock(storetest.Epoch())
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "http.db"), sqlite.Options{Clock: clock})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	f := &accessFixture{db: db, ledger: &fakeLedger{}}
	f.custA = storetest.MustCreateCustomer(tb, db, "Acme")
	f.custB = storetest.MustCreateCustomer(tb, db, "Bolt")
	f.clientA = storetest.MustCreateUser(tb, db, f.custA.ID, "client@a.example", copydesk.RoleClient)
	f.userA = storetest.MustCreateUser(tb, db, f.custA.ID, "user@a.example", copydesk.RoleUser)
	f.userB = storetest.MustCreateUser(tb, db, f.custB.ID, "user@b.example", copydesk.RoleUser)
	f.testServer = MustServer(tb, func(s *Server) {
		s.Access, s.Budgets, s.Ledger, s.Clock = db, db, f.ledger, clock
	})
	f.auth.extra = map[string]copydesk.Principal{
		"ca": {UserID: f.clientA.ID, CustomerID: f.custA.ID, Role: copydesk.RoleClient, Method: auth.MethodKey, KeyID: "key_ca"},
		"ua": {UserID: f.userA.ID, CustomerID: f.custA.ID, Role: copydesk.RoleUser, Method: auth.MethodKey, KeyID: "key_ua"},
		"ub": {UserID: f.userB.ID, CustomerID: f.custB.ID, Role: copydesk.RoleUser, Method: auth.MethodKey, KeyID: "key_ub"},
	}
	return f
}

func TestCustomersAndUsers(t *testing.T) {
	t.Parallel()
	f := MustAccessFixture(t)
	w := f.do(t, "GET", "/v1/customers", "admin", nil)
	MustStatus(t, w, 200, "")
	if !strings.Contains(w.Body.String(), f.custA.ID) || !strings.Contains(w.Body.String(), f.custB.ID) {
		t.Errorf("customers: got %s", w.Body.String())
	}
	w = f.do(t, "POST", "/v1/customers", "admin", map[string]any{"name": "New <b>Co</b>"})
	MustStatus(t, w, 201, "")
	if m := decode(t, w); m["name"] != "New <b>Co</b>" || w.Header().Get("Location") != "/v1/customers/"+m["id"].(string) {
		t.Errorf("create customer: got %v, Location %q", m, w.Header().Get("Location"))
	}
	if strings.Contains(w.Body.String(), "<b>") {
		t.Errorf("create customer: markup not escaped in JSON: %s", w.Body.String())
	}
	MustStatus(t, f.do(t, "POST", "/v1/customers", "admin", map[string]any{"name": ""}), 400, "invalid")
	MustStatus(t, f.do(t, "GET", "/v1/customers/"+f.custA.ID, "ca", nil), 200, "")
	MustStatus(t, f.do(t, "GET", "/v1/customers/"+f.custB.ID, "ca", nil), 404, "not_found")
	MustStatus(t, f.do(t, "GET", "/v1/customers/cus_nope", "admin", nil), 404, "not_found")

	w = f.do(t, "GET", "/v1/users", "ca", nil)
	MustStatus(t, w, 200, "")
	if !strings.Contains(w.Body.String(), f.userA.ID) || strings.Contains(w.Body.String(), f.userB.ID) || strings.Contains(w.Body.String(), "password") {
		t.Errorf("users of A: got %s", w.Body.String())
	}
	MustStatus(t, f.do(t, "GET", "/v1/users?customer_id="+f.custB.ID, "ca", nil), 404, "not_found")
	MustStatus(t, f.do(t, "GET", "/v1/users?customer_id="+f.custB.ID, "admin", nil), 200, "")

	w = f.do(t, "POST", "/v1/users", "ca", map[string]any{"email": "new@a.example", "role": "USER"})
	MustStatus(t, w, 201, "")
	newID, _ := decode(t, w)["id"].(string)
	if w.Header().Get("Location") != "/v1/users/"+newID {
		t.Errorf("create user: Location %q for %q", w.Header().Get("Location"), newID)
	}
	MustStatus(t, f.do(t, "POST", "/v1/users", "ca", map[string]any{"email": "new@a.example"}), 409, "conflict")
	MustStatus(t, f.do(t, "POST", "/v1/users", "ca", map[string]any{"email": "boss@a.example", "role": "ADMIN"}), 403, "forbidden")
	MustStatus(t, f.do(t, "POST", "/v1/users", "ca", map[string]any{"email": "x@a.example", "role": "KING"}), 400, "invalid")
	MustStatus(t, f.do(t, "POST", "/v1/users", "ca", map[string]any{"customer_id": f.custB.ID, "email": "x@b.example"}), 404, "not_found")

	MustStatus(t, f.do(t, "GET", "/v1/users/"+f.userA.ID, "ua", nil), 200, "")
	MustStatus(t, f.do(t, "GET", "/v1/users/"+f.userA.ID, "ub", nil), 404, "not_found")
	MustStatus(t, f.do(t, "GET", "/v1/users/usr_nope", "admin", nil), 404, "not_found")

	w = f.do(t, "PATCH", "/v1/users/"+f.userA.ID, "ca", map[string]any{"disabled": true})
	MustStatus(t, w, 200, "")
	if m := decode(t, w); m["disabled"] != true {
		t.Errorf("disable: got %v", m)
	}
	MustStatus(t, f.do(t, "PATCH", "/v1/users/"+f.userA.ID, "ca", map[string]any{}), 400, "invalid")
	MustStatus(t, f.do(t, "PATCH", "/v1/users/"+f.clientA.ID, "ca", map[string]any{"disabled": true}), 400, "invalid")
	MustStatus(t, f.do(t, "PATCH", "/v1/users/"+f.userB.ID, "ca", map[string]any{"disabled": true}), 404, "not_found")

	// Without a store the management routes answer 503.
	none := MustServer(t, nil)
	MustStatus(t, none.do(t, "GET", "/v1/customers", "admin", nil), 503, "unavailable")
	MustStatus(t, none.do(t, "GET", "/v1/budgets", "admin", nil), 503, "unavailable")
	MustStatus(t, none.do(t, "GET", "/v1/usage", "admin", nil), 503, "unavailable")
}

func TestKeys(t *testing.T) {
	t.Parallel()
	f := MustAccessFixture(t)
	w := f.do(t, "POST", "/v1/keys", "ua", map[string]any{"name": "ci", "scopes": []string{auth.ScopeAnalyses}})
	MustStatus(t, w, 201, "")
	var created struct {
		Key    string          `json:"key"`
		APIKey copydesk.APIKey `json:"api_key"`
	}
	m := decode(t, w)
	created.Key, _ = m["key"].(string)
	ak, _ := m["api_key"].(map[string]any)
	created.APIKey.ID, _ = ak["id"].(string)
	if !strings.HasPrefix(created.Key, auth.KeyPrefix) || created.APIKey.ID == "" || ak["hash"] != nil {
		t.Errorf("create key: got %s", w.Body.String())
	}
	MustStatus(t, f.do(t, "POST", "/v1/keys", "ua", map[string]any{"name": "x", "scopes": []string{"root"}}), 400, "invalid")
	MustStatus(t, f.do(t, "POST", "/v1/keys", "ua", map[string]any{"name": "x", "budget": map[string]any{"limit": 5}}), 403, "forbidden")
	MustStatus(t, f.do(t, "POST", "/v1/keys", "ca", map[string]any{"name": "x", "user_id": f.userB.ID}), 404, "not_found")
	w = f.do(t, "POST", "/v1/keys", "ca", map[string]any{"name": "capped", "user_id": f.userA.ID, "budget": map[string]any{"limit": 1_000_000}, "rate_limit": map[string]any{"per_minute": 10}})
	MustStatus(t, w, 201, "")
	if m := decode(t, w); m["budget"] == nil {
		t.Errorf("key with a budget: got %v", m)
	}
	MustStatus(t, f.do(t, "POST", "/v1/keys", "ca", map[string]any{"name": "x", "budget": map[string]any{}}), 400, "invalid")

	w = f.do(t, "GET", "/v1/keys", "ua", nil)
	MustStatus(t, w, 200, "")
	if !strings.Contains(w.Body.String(), created.APIKey.ID) || strings.Contains(w.Body.String(), created.Key) {
		t.Errorf("list keys: got %s (the secret must never be listed)", w.Body.String())
	}
	MustStatus(t, f.do(t, "GET", "/v1/keys?user_id="+f.clientA.ID, "ua", nil), 404, "not_found")
	MustStatus(t, f.do(t, "GET", "/v1/keys?customer_id="+f.custA.ID, "admin", nil), 200, "")

	w = f.do(t, "PATCH", "/v1/keys/"+created.APIKey.ID, "ca", map[string]any{"rate_limit": map[string]any{"per_minute": 30}})
	MustStatus(t, w, 200, "")
	if !strings.Contains(w.Body.String(), `"per_minute":30`) {
		t.Errorf("patch key: got %s", w.Body.String())
	}
	MustStatus(t, f.do(t, "PATCH", "/v1/keys/"+created.APIKey.ID, "ca", map[string]any{"budget": map[string]any{"limit": 2_000_000}}), 200, "")
	MustStatus(t, f.do(t, "PATCH", "/v1/keys/"+created.APIKey.ID, "ca", map[string]any{"budget": nil, "rate_limit": nil}), 200, "")
	MustStatus(t, f.do(t, "PATCH", "/v1/keys/"+created.APIKey.ID, "ca", map[string]any{}), 400, "invalid")
	MustStatus(t, f.do(t, "PATCH", "/v1/keys/"+created.APIKey.ID, "ca", map[string]any{"rate_limit": "fast"}), 400, "invalid")
	MustStatus(t, f.do(t, "PATCH", "/v1/keys/"+created.APIKey.ID, "ub", map[string]any{"rate_limit": nil}), 403, "forbidden")
	MustStatus(t, f.do(t, "DELETE", "/v1/keys/"+created.APIKey.ID, "ub", nil), 404, "not_found")
	w = f.do(t, "DELETE", "/v1/keys/"+created.APIKey.ID, "ua", nil)
	MustStatus(t, w, 200, "")
	if m := decode(t, w); m["revoked_at"] == nil {
		t.Errorf("revoke: got %v", m)
	}
	MustStatus(t, f.do(t, "DELETE", "/v1/keys/key_nope", "ua", nil), 404, "not_found")
}

func TestBudgetsAndUsage(t *testing.T) {
	t.Parallel()
	f := MustAccessFixture(t)
	MustStatus(t, f.do(t, "GET", "/v1/budgets?customer_id="+f.custA.ID, "admin", nil), 404, "not_found")
	w := f.do(t, "PUT", "/v1/budgets/"+f.custA.ID, "admin", map[string]any{"limit": 5_000_000, "alert_percent": 80})
	MustStatus(t, w, 200, "")
	if m := decode(t, w); m["limit"] != float64(5_000_000) || m["left"] != float64(1) {
		t.Errorf("put budget: got %v", m)
	}
	MustStatus(t, f.do(t, "PUT", "/v1/budgets/"+f.custA.ID, "admin", map[string]any{}), 400, "invalid")
	MustStatus(t, f.do(t, "PUT", "/v1/budgets/cus_nope", "admin", map[string]any{"limit": 1}), 404, "not_found")
	MustStatus(t, f.do(t, "GET", "/v1/budgets", "ca", nil), 200, "")
	MustStatus(t, f.do(t, "PUT", "/v1/budgets/"+f.custA.ID+"/users/"+f.userA.ID, "ca", map[string]any{"limit": 1_000_000}), 200, "")
	MustStatus(t, f.do(t, "GET", "/v1/budgets?user_id="+f.userA.ID, "ca", nil), 200, "")
	MustStatus(t, f.do(t, "PUT", "/v1/budgets/"+f.custA.ID+"/users/"+f.userB.ID, "ca", map[string]any{"limit": 1}), 404, "not_found")
	MustStatus(t, f.do(t, "PUT", "/v1/budgets/"+f.custB.ID+"/users/"+f.userB.ID, "ca", map[string]any{"limit": 1}), 404, "not_found")
	MustStatus(t, f.do(t, "GET", "/v1/budgets?user_id=u&key_id=key_x", "ca", nil), 400, "invalid")
	MustStatus(t, f.do(t, "GET", "/v1/budgets?key_id=usr_x", "ca", nil), 400, "invalid")

	w = f.do(t, "GET", "/v1/usage?from=2026-12-01&to=2026-12-31&group=day,model", "ua", nil)
	MustStatus(t, w, 200, "")
	if f.ledger.got.CustomerID != f.custA.ID || f.ledger.got.UserID != f.userA.ID ||
		!f.ledger.got.From.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) || !f.ledger.got.To.Equal(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("usage filter: got %+v", f.ledger.got)
	}
	if !strings.Contains(w.Body.String(), `"currency":"USD"`) {
		t.Errorf("usage: got %s", w.Body.String())
	}
	w = f.do(t, "GET", "/v1/usage.csv?group=model", "ca", nil)
	MustStatus(t, w, 200, "")
	if lines := strings.Split(strings.TrimSpace(w.Body.String()), "\n"); len(lines) < 2 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") {
		t.Errorf("usage.csv: got %q (%s)", w.Body.String(), w.Header().Get("Content-Type"))
	}
	MustStatus(t, f.do(t, "GET", "/v1/usage?from=yesterday", "ua", nil), 400, "invalid")
	MustStatus(t, f.do(t, "GET", "/v1/usage?group=planet", "ua", nil), 400, "invalid")
	MustStatus(t, f.do(t, "GET", "/v1/usage?customer_id="+f.custB.ID, "ua", nil), 404, "not_found")
	MustStatus(t, f.do(t, "GET", "/v1/usage?user_id="+f.clientA.ID, "ua", nil), 404, "not_found")
}
