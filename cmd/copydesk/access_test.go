package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/auth"
	"github.com/copydesk/copydesk/internal/copydesk"
	cdhttp "github.com/copydesk/copydesk/internal/http"
	"github.com/copydesk/copydesk/internal/pgtest"
	"github.com/copydesk/copydesk/internal/providertest"
	"github.com/copydesk/copydesk/internal/ratelimit"
)

// call sends a request as the holder of key ("" sends no credentials).
func call(tb testing.TB, base, method, path, key string, body any) response {
	tb.Helper()
	authz := ""
	if key != "" {
		authz = "Bearer " + key
	}
	if body == nil {
		return do(tb, method, base+path, "", nil, "Authorization", authz)
	}
	b, err := json.Marshal(body)
	if err != nil {
		tb.Fatal(err)
	}
	return do(tb, method, base+path, "application/json", b, "Authorization", authz)
}

// MustStatus fails unless r has status want.
func MustStatus(tb testing.TB, r response, want int, what string) {
	tb.Helper()
	if r.Status != want {
		tb.Fatalf("%s: got status %d, want %d: %s", what, r.Status, want, r.Body)
	}
}

// tenant is a user of a customer with its API key.
type tenant struct {
	CustomerID, UserID, Key string
}

// MustTenant creates a user (and its customer when customerID is "") as
// the ADMIN and returns it with a new key.
func MustTenant(tb testing.TB, base, adminKey, customerID string, role copydesk.Role, email string) tenant {
	tb.Helper()
	if customerID == "" {
		r := call(tb, base, "POST", "/v1/customers", adminKey, map[string]any{"name": "Customer of " + email})
		MustStatus(tb, r, 201, "create customer")
		var c copydesk.Customer
		r.json(tb, &c)
		customerID = c.ID
	}
	r := call(tb, base, "POST", "/v1/users", adminKey, map[string]any{"customer_id": customerID, "email": email, "role": string(role)})
	MustStatus(tb, r, 201, "create user")
	var u copydesk.User
	r.json(tb, &u)
	r = call(tb, base, "POST", "/v1/keys", adminKey, map[string]any{"user_id": u.ID, "name": "test"})
	MustStatus(tb, r, 201, "create key")
	var k struct {
		Key string `json:"key"`
	}
	r.json(tb, &k)
	return tenant{CustomerID: customerID, UserID: u.ID, Key: k.Key}
}

// TestRoleRouteMatrix calls every registered route as nobody, the ADMIN,
// a CLIENT and two USERs of customer A, and a CLIENT and a USER of
// customer B, on resources of A's first USER, and checks each status. A
// registered route without expectations fails the test.
func TestRoleRouteMatrix(t *testing.T) {
	t.Parallel()
	models, _ := MustFakeModels(t, providertest.Options{Responder: findingsResponder})
	m := MustRunMain(t, func(m *Main) { m.Routed = models })
	base := m.HTTP.URL()
	admin := MustAdminKey(t, m)
	clientA := MustTenant(t, base, admin, "", copydesk.RoleClient, "client@a.example")
	userA := MustTenant(t, base, admin, clientA.CustomerID, copydesk.RoleUser, "user@a.example")
	userA2 := MustTenant(t, base, admin, clientA.CustomerID, copydesk.RoleUser, "user2@a.example")
	clientB := MustTenant(t, base, admin, "", copydesk.RoleClient, "client@b.example")
	userB := MustTenant(t, base, admin, clientB.CustomerID, copydesk.RoleUser, "user@b.example")
	victim := MustTenant(t, base, admin, clientA.CustomerID, copydesk.RoleUser, "victim@a.example")
	_ = victim

	// A's USER owns a finished deep-analysis job, a cached report and a
	// second key (revoked by the matrix).
	r := call(t, base, "POST", "/v1/analyses", userA.Key, map[string]any{"content": dutchText, "language": "nl", "deep": []string{"grammar"}})
	MustStatus(t, r, 202, "deep analysis")
	var acc struct {
		JobID     string `json:"job_id"`
		StreamURL string `json:"stream_url"`
		ResultKey string `json:"result_key"`
	}
	r.json(t, &acc)
	evs := MustReadToDoneAs(t, base+acc.StreamURL, userA.Key)
	if s := doneStatus(t, evs[len(evs)-1]); s != "succeeded" {
		t.Fatalf("job done status %q, want succeeded", s)
	}
	if acc.ResultKey == "" {
		t.Fatal("analysis answer has no result_key")
	}
	// A's USER owns a finished batch too.
	userBatch := MustBatch(t, base, userA.Key, map[string]any{"kind": "analysis", "items": []any{
		map[string]any{"content": "Een korte tekst om te analyseren.", "language": "nl"}}})
	MustReadToDoneAs(t, base+userBatch.StreamURL, userA.Key)
	r = call(t, base, "POST", "/v1/keys", userA.Key, map[string]any{"name": "spare"})
	MustStatus(t, r, 201, "spare key")
	var spare struct {
		APIKey copydesk.APIKey `json:"api_key"`
	}
	r.json(t, &spare)
	MustStatus(t, call(t, base, "PUT", "/v1/budgets/"+clientA.CustomerID, admin, map[string]any{"limit": 1_000_000_000_000}), 200, "budget of A")

	callers := []struct {
		name string
		key  string
	}{
		{"nobody", ""}, {"admin", admin}, {"clientA", clientA.Key}, {"userA", userA.Key},
		{"userA2", userA2.Key}, {"clientB", clientB.Key}, {"userB", userB.Key},
	}
	// want maps caller to acceptable statuses; "*" is everyone not named.
	type want map[string][]int
	ok := func(s ...int) []int { return s }
	inline := map[string]any{"content": "Een korte tekst om te analyseren.", "language": "nl"}
	chat := map[string]any{"model": "auto", "messages": []any{map[string]any{"role": "user", "content": "Say hi"}}, "max_tokens": 16}
	cases := []struct {
		route  string // the pattern as registered
		path   string
		body   func(caller string) any
		expect want
	}{
		{"GET /healthz", "/healthz", nil, want{"*": ok(200)}},
		{"GET /readyz", "/readyz", nil, want{"*": ok(200)}},
		{"GET /openapi.json", "/openapi.json", nil, want{"*": ok(200)}},
		{"GET /{$}", "/", nil, want{"*": ok(200)}}, // redirected to the UI's shell
		{"GET /ui/{path...}", "/ui/", nil, want{"*": ok(200)}},
		{"GET /metrics", "/metrics", nil, want{"nobody": ok(401), "admin": ok(200), "*": ok(403)}},
		{"GET /v1/alerts", "/v1/alerts", nil, want{"nobody": ok(401), "admin": ok(200), "*": ok(403)}},
		{"GET /v1/reports/daily", "/v1/reports/daily", nil, want{"nobody": ok(401), "admin": ok(200), "*": ok(403)}},
		{"GET /v1/cache/stats", "/v1/cache/stats", nil, want{"nobody": ok(401), "admin": ok(200), "*": ok(403)}},
		{"POST /v1/cache/purge", "/v1/cache/purge", func(string) any { return map[string]any{"kind": "generation.live"} }, want{"nobody": ok(401), "admin": ok(200), "clientA": ok(200), "clientB": ok(200), "*": ok(403)}},
		{"POST /v1/cache/warm", "/v1/cache/warm", func(string) any {
			return map[string]any{"items": []map[string]any{{"content": "Warm me up.", "language": "en"}}}
		}, want{"nobody": ok(401), "admin": ok(202), "clientA": ok(202), "clientB": ok(202), "*": ok(403)}},
		{"POST /v1/auth/login", "/v1/auth/login", func(string) any { return map[string]any{"email": "nobody@x.example", "password": "not the password"} }, want{"*": ok(401)}},
		{"POST /v1/auth/logout", "/v1/auth/logout", nil, want{"nobody": ok(401), "*": ok(204)}},
		{"POST /v1/auth/token", "/v1/auth/token", nil, want{"nobody": ok(401), "*": ok(200)}},
		{"POST /v1/analyses", "/v1/analyses", func(string) any { return inline }, want{"nobody": ok(401), "*": ok(200)}},
		{"GET /v1/analyses/{key}", "/v1/analyses/" + acc.ResultKey, nil, want{"nobody": ok(401), "admin": ok(200), "clientA": ok(200), "userA": ok(200), "*": ok(404)}},
		{"POST /v1/chat/completions", "/v1/chat/completions", func(c string) any { return chat }, want{"nobody": ok(401), "*": ok(200)}},
		{"POST /v1/messages", "/v1/messages", func(string) any {
			return map[string]any{"model": "quality", "max_tokens": 16, "messages": []any{map[string]any{"role": "user", "content": "Say hi"}}}
		}, want{"nobody": ok(401), "*": ok(200)}},
		{"POST /v1/messages/count_tokens", "/v1/messages/count_tokens", func(string) any {
			return map[string]any{"model": "quality", "messages": []any{map[string]any{"role": "user", "content": "Say hi"}}}
		}, want{"nobody": ok(401), "*": ok(200)}},
		{"POST /v1/embeddings", "/v1/embeddings", func(string) any { return map[string]any{"model": "gpt-4o-mini", "input": "Say hi"} }, want{"nobody": ok(401), "*": ok(200)}},
		{"GET /v1/models", "/v1/models", nil, want{"nobody": ok(401), "*": ok(200)}},
		{"GET /v1/models/{id...}", "/v1/models/quality", nil, want{"nobody": ok(401), "*": ok(200)}},
		{"POST /v1/generations", "/v1/generations", func(string) any {
			return map[string]any{"business": map[string]any{"name": "Bakkerij Jansen", "language": "nl"}, "blocks": []string{"hero"}}
		}, want{"nobody": ok(401), "*": ok(202)}},
		{"POST /v1/translations", "/v1/translations", func(string) any {
			return map[string]any{"content": "Hallo wereld.", "source_language": "nl", "target_languages": []string{"en"}}
		}, want{"nobody": ok(401), "*": ok(200, 202)}},
		{"POST /v1/seo/suggestions", "/v1/seo/suggestions", func(string) any {
			return map[string]any{"content": "Vers brood elke ochtend, gebakken in onze bakkerij.", "language": "nl", "keyphrase": "vers brood"}
		}, want{"nobody": ok(401), "*": ok(202)}},
		{"POST /v1/batches", "/v1/batches", func(string) any {
			return map[string]any{"kind": "analysis", "items": []any{inline}}
		}, want{"nobody": ok(401), "*": ok(202)}},
		{"GET /v1/batches/{id}", userBatch.URL, nil, want{"nobody": ok(401), "admin": ok(200), "clientA": ok(200), "userA": ok(200), "*": ok(404)}},
		{"GET /v1/batches/{id}/results.jsonl", userBatch.ResultsURL, nil, want{"nobody": ok(401), "admin": ok(200), "clientA": ok(200), "userA": ok(200), "*": ok(404)}},
		{"DELETE /v1/batches/{id}", userBatch.URL, nil, want{"nobody": ok(401), "admin": ok(409), "clientA": ok(409), "userA": ok(409), "*": ok(404)}},
		{"GET /v1/glossary", "/v1/glossary?customer_id=" + clientA.CustomerID, nil, want{"nobody": ok(401), "clientB": ok(404), "userB": ok(404), "*": ok(200)}},
		{"PUT /v1/glossary", "/v1/glossary?customer_id=" + clientA.CustomerID, func(string) any {
			return map[string]any{"terms": []any{map[string]any{"term": "Copydesk", "do_not_translate": true}}}
		}, want{"nobody": ok(401), "admin": ok(200), "clientA": ok(200), "clientB": ok(404), "*": ok(403)}},
		{"GET /v1/translation-memory", "/v1/translation-memory?customer_id=" + clientA.CustomerID, nil, want{"nobody": ok(401), "admin": ok(200), "clientA": ok(200), "clientB": ok(404), "*": ok(403)}},
		// A JSON body is not a TMX file: 415 shows the caller got past access control.
		{"POST /v1/translation-memory", "/v1/translation-memory?customer_id=" + clientA.CustomerID, nil, want{"nobody": ok(401), "admin": ok(415), "clientA": ok(415), "clientB": ok(404), "*": ok(403)}},
		{"DELETE /v1/translation-memory", "/v1/translation-memory?customer_id=" + clientA.CustomerID, nil, want{"nobody": ok(401), "admin": ok(200), "clientA": ok(200), "clientB": ok(404), "*": ok(403)}},
		{"GET /v1/jobs", "/v1/jobs?customer_id=" + clientA.CustomerID, nil, want{"nobody": ok(401), "clientB": ok(404), "userB": ok(404), "*": ok(200)}},
		{"GET /v1/jobs/{id}", "/v1/jobs/" + acc.JobID, nil, want{"nobody": ok(401), "admin": ok(200), "clientA": ok(200), "userA": ok(200), "*": ok(404)}},
		{"GET /v1/jobs/{id}/events", "/v1/jobs/" + acc.JobID + "/events", nil, want{"nobody": ok(401), "admin": ok(200), "clientA": ok(200), "userA": ok(200), "*": ok(404)}},
		{"DELETE /v1/jobs/{id}", "/v1/jobs/" + acc.JobID, nil, want{"nobody": ok(401), "admin": ok(200, 409), "clientA": ok(200, 409), "userA": ok(200, 409), "*": ok(404)}},
		{"GET /v1/customers", "/v1/customers", nil, want{"nobody": ok(401), "admin": ok(200), "*": ok(403)}},
		{"POST /v1/customers", "/v1/customers", func(string) any { return map[string]any{"name": "New"} }, want{"nobody": ok(401), "admin": ok(201), "*": ok(403)}},
		{"GET /v1/customers/{id}", "/v1/customers/" + clientA.CustomerID, nil, want{"nobody": ok(401), "admin": ok(200), "clientA": ok(200), "clientB": ok(404), "*": ok(403)}},
		{"GET /v1/users", "/v1/users", nil, want{"nobody": ok(401), "admin": ok(200), "clientA": ok(200), "clientB": ok(200), "*": ok(403)}},
		{"POST /v1/users", "/v1/users", func(c string) any {
			return map[string]any{"customer_id": clientA.CustomerID, "email": "new-by-" + strings.ToLower(c) + "@a.example"}
		}, want{"nobody": ok(401), "admin": ok(201), "clientA": ok(201), "clientB": ok(404), "*": ok(403)}},
		{"GET /v1/users/{id}", "/v1/users/" + userA.UserID, nil, want{"nobody": ok(401), "admin": ok(200), "clientA": ok(200), "userA": ok(200), "*": ok(404)}},
		{"PATCH /v1/users/{id}", "/v1/users/" + userA.UserID, func(string) any { return map[string]any{"disabled": false} }, want{"nobody": ok(401), "admin": ok(200), "clientA": ok(200), "clientB": ok(404), "*": ok(403)}},
		{"GET /v1/keys", "/v1/keys", nil, want{"nobody": ok(401), "*": ok(200)}},
		{"POST /v1/keys", "/v1/keys", func(string) any { return map[string]any{"name": "matrix"} }, want{"nobody": ok(401), "*": ok(201)}},
		{"PATCH /v1/keys/{id}", "/v1/keys/" + spare.APIKey.ID, func(string) any { return map[string]any{"rate_limit": nil} }, want{"nobody": ok(401), "admin": ok(200), "clientA": ok(200), "clientB": ok(404), "*": ok(403)}},
		{"DELETE /v1/keys/{id}", "/v1/keys/" + spare.APIKey.ID, nil, want{"nobody": ok(401), "admin": ok(200), "clientA": ok(200), "userA": ok(200), "*": ok(404)}},
		{"GET /v1/budgets", "/v1/budgets?customer_id=" + clientA.CustomerID, nil, want{"nobody": ok(401), "admin": ok(200), "clientA": ok(200), "clientB": ok(404), "*": ok(403)}},
		{"PUT /v1/budgets/{customer_id}", "/v1/budgets/" + clientA.CustomerID, func(string) any { return map[string]any{"limit": 1_000_000_000_000} }, want{"nobody": ok(401), "admin": ok(200), "*": ok(403)}},
		{"PUT /v1/budgets/{customer_id}/users/{user_id}", "/v1/budgets/" + clientA.CustomerID + "/users/" + userA.UserID, func(string) any { return map[string]any{"limit": 1_000_000_000} }, want{"nobody": ok(401), "admin": ok(200), "clientA": ok(200), "clientB": ok(404), "*": ok(403)}},
		{"GET /v1/usage", "/v1/usage?customer_id=" + clientA.CustomerID, nil, want{"nobody": ok(401), "clientB": ok(404), "userB": ok(404), "*": ok(200)}},
		{"GET /v1/usage.csv", "/v1/usage.csv?customer_id=" + clientA.CustomerID, nil, want{"nobody": ok(401), "clientB": ok(404), "userB": ok(404), "*": ok(200)}},
		{"GET /v1/reports/cost-per-page", "/v1/reports/cost-per-page?customer_id=" + clientA.CustomerID, nil, want{"nobody": ok(401), "clientB": ok(404), "userB": ok(404), "*": ok(200)}},
		{"GET /v1/prices", "/v1/prices", nil, want{"nobody": ok(401), "admin": ok(200), "clientA": ok(200), "clientB": ok(200), "*": ok(403)}},
	}
	covered := map[string]bool{}
	for _, tc := range cases {
		covered[tc.route] = true
	}
	// The access each route declares where it is registered (the http
	// package's route table) must agree with the matrix: nobody gets 401
	// from every route but the public ones, and a caller whose role the
	// route does not name gets 403; the calls below then check both
	// against the running server.
	roleOf := map[string]copydesk.Role{"admin": copydesk.RoleAdmin, "clientA": copydesk.RoleClient, "clientB": copydesk.RoleClient,
		"userA": copydesk.RoleUser, "userA2": copydesk.RoleUser, "userB": copydesk.RoleUser}
	expected := map[string]want{}
	for _, tc := range cases {
		expected[tc.route] = tc.expect
	}
	for _, rt := range m.HTTP.Routes() {
		p := rt.Method + " " + rt.Pattern
		if !covered[p] {
			t.Errorf("route %s is registered but has no expectations in the matrix", p)
			continue
		}
		exp := expected[p]
		statusOf := func(caller string) []int {
			if s, ok := exp[caller]; ok {
				return s
			}
			return exp["*"]
		}
		if got := statusOf("nobody"); rt.Public == slices.Contains(got, 401) && p != "POST /v1/auth/login" {
			t.Errorf("route %s is registered public=%v but the matrix expects %v for nobody", p, rt.Public, got)
		}
		if rt.Public {
			continue
		}
		for caller, role := range roleOf {
			got := statusOf(caller)
			if denied := !slices.Contains(rt.Roles, role); denied != slices.Equal(got, []int{403}) {
				t.Errorf("route %s is registered for roles %v but the matrix expects %v for %s (%s)", p, rt.Roles, got, caller, role)
			}
		}
	}
	for _, tc := range cases {
		method, _, _ := strings.Cut(tc.route, " ")
		// Callers who cannot see the resource go first, so that a cancel or
		// revoke by its owner does not change their answer.
		order := slices.Clone(callers)
		slices.SortStableFunc(order, func(a, b struct{ name, key string }) int {
			return boolInt(slices.Contains(tc.expect[a.name], 200)) - boolInt(slices.Contains(tc.expect[b.name], 200))
		})
		for _, c := range order {
			expected, ok := tc.expect[c.name]
			if !ok {
				expected = tc.expect["*"]
			}
			var body any
			if tc.body != nil {
				body = tc.body(c.name)
			} else if method == "POST" || method == "PUT" || method == "PATCH" {
				body = map[string]any{}
			}
			r := call(t, base, method, tc.path, c.key, body)
			if !slices.Contains(expected, r.Status) {
				t.Errorf("%s as %s: got status %d, want %v: %.200s", tc.route, c.name, r.Status, expected, r.Body)
			}
			if r.Status == 401 && r.Header.Get("WWW-Authenticate") == "" && tc.route != "POST /v1/auth/login" {
				t.Errorf("%s as %s: 401 without WWW-Authenticate", tc.route, c.name)
			}
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// MustReadToDoneAs reads a whole stream as the holder of key.
func MustReadToDoneAs(tb testing.TB, url, key string) []sseEvent {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		tb.Fatalf("stream status %d", resp.StatusCode)
	}
	evs, err := readEvents(resp.Body, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if len(evs) == 0 || evs[len(evs)-1].Type != copydesk.EventDone {
		tb.Fatalf("stream ended without done: %v", evs)
	}
	return evs
}

// TestAuthenticationOverHTTP checks revoked and expired keys, tampered,
// unsigned, wrongly signed, wrong-audience and expired JWTs, sessions with
// their cookie flags and CSRF, and the login rate limit.
func TestAuthenticationOverHTTP(t *testing.T) {
	t.Parallel()
	m := MustRunMain(t)
	base := m.HTTP.URL()
	admin := MustAdminKey(t, m)
	ctx := context.Background()
	u := MustTenant(t, base, admin, "", copydesk.RoleClient, "owner@c.example")

	t.Run("no credentials", func(t *testing.T) {
		r := call(t, base, "GET", "/v1/keys", "", nil)
		MustStatus(t, r, 401, "no credentials")
		if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("WWW-Authenticate %q, want a Bearer challenge", r.Header.Get("WWW-Authenticate"))
		}
		MustStatus(t, call(t, base, "GET", "/v1/keys", "cdk_000000000000_"+strings.Repeat("A", 43), nil), 401, "unknown key")
	})
	t.Run("revoked key", func(t *testing.T) {
		r := call(t, base, "POST", "/v1/keys", u.Key, map[string]any{"name": "to revoke"})
		MustStatus(t, r, 201, "create key")
		var k createdKey
		r.json(t, &k)
		MustStatus(t, call(t, base, "GET", "/v1/keys", k.Key, nil), 200, "fresh key")
		MustStatus(t, call(t, base, "DELETE", "/v1/keys/"+k.APIKey.ID, u.Key, nil), 200, "revoke")
		r = call(t, base, "GET", "/v1/keys", k.Key, nil)
		MustStatus(t, r, 401, "revoked key")
		if bytes.Contains(r.Body, []byte(k.Key)) {
			t.Error("the error answer echoes the key")
		}
	})
	t.Run("expired key", func(t *testing.T) {
		key, prefix, hash := auth.NewAPIKey()
		past := time.Now().Add(-time.Hour)
		if err := m.Store.CreateAPIKey(ctx, &copydesk.APIKey{CustomerID: u.CustomerID, UserID: u.UserID, Prefix: prefix, Hash: hash, ExpiresAt: &past}); err != nil {
			t.Fatal(err)
		}
		MustStatus(t, call(t, base, "GET", "/v1/keys", key, nil), 401, "expired key")
	})
	t.Run("expiry in the past refused at creation", func(t *testing.T) {
		r := call(t, base, "POST", "/v1/keys", u.Key, map[string]any{"expires_at": time.Now().Add(-time.Minute).Format(time.RFC3339)})
		MustStatus(t, r, 400, "past expiry")
	})

	// Tokens.
	r := call(t, base, "POST", "/v1/auth/token", u.Key, nil)
	MustStatus(t, r, 200, "issue token")
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	r.json(t, &tok)
	MustStatus(t, call(t, base, "GET", "/v1/keys", tok.AccessToken, nil), 200, "valid token")
	MustStatus(t, call(t, base, "POST", "/v1/auth/token", tok.AccessToken, nil), 403, "token for a token")
	parts := strings.Split(tok.AccessToken, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q is not a JWS", tok.AccessToken)
	}
	keyFile, err := os.ReadFile(filepath.Join(m.Config.DataDir, jwtKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	sk, err := auth.ParseSigningKey(string(keyFile))
	if err != nil {
		t.Fatal(err)
	}
	p := copydesk.Principal{UserID: u.UserID, CustomerID: u.CustomerID, Role: copydesk.RoleClient, Method: auth.MethodKey}
	wrongAud, _, err := (&auth.Tokens{Keys: auth.NewKeySet(sk), Audience: "someone-else"}).Issue(p)
	if err != nil {
		t.Fatal(err)
	}
	expired, _, err := (&auth.Tokens{Keys: auth.NewKeySet(sk), Clock: fixedClock(time.Now().Add(-time.Hour)), TTL: time.Minute}).Issue(p)
	if err != nil {
		t.Fatal(err)
	}
	otherKey, _ := auth.NewSigningKey(sk.ID)
	forged, _, err := (&auth.Tokens{Keys: auth.NewKeySet(otherKey)}).Issue(p)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding
	payload, _ := b64.DecodeString(parts[1])
	admined := bytes.Replace(payload, []byte(`"role":"CLIENT"`), []byte(`"role":"ADMIN"`), 1)
	hs := func(header string) string {
		h := b64.EncodeToString([]byte(header)) + "." + parts[1]
		mac := hmac.New(sha256.New, []byte(sk.Private.Public().(ed25519.PublicKey)))
		mac.Write([]byte(h))
		return h + "." + b64.EncodeToString(mac.Sum(nil))
	}
	bad := map[string]string{
		"tampered payload":                parts[0] + "." + b64.EncodeToString(admined) + "." + parts[2],
		"tampered signature":              parts[0] + "." + parts[1] + "." + flipLast(parts[2]),
		"alg none":                        b64.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + ".",
		"HS256 with the public key":       hs(`{"alg":"HS256","typ":"JWT","kid":"` + sk.ID + `"}`),
		"wrong audience":                  wrongAud,
		"expired":                         expired,
		"signed by another key, same kid": forged,
	}
	if !bytes.Contains(payload, []byte(`"role":"CLIENT"`)) {
		t.Fatalf("payload %s has no role claim to tamper with", payload)
	}
	for name, token := range bad {
		t.Run("token "+name, func(t *testing.T) {
			r := call(t, base, "GET", "/v1/keys", token, nil)
			MustStatus(t, r, 401, name)
		})
	}

	// Sessions.
	const pw = "correct horse battery"
	r = call(t, base, "POST", "/v1/users", admin, map[string]any{"customer_id": u.CustomerID, "email": "web@c.example", "role": "CLIENT", "password": pw})
	MustStatus(t, r, 201, "create web user")
	r = call(t, base, "POST", "/v1/auth/login", "", map[string]any{"email": "web@c.example", "password": "wrong password!"})
	MustStatus(t, r, 401, "wrong password")
	r = call(t, base, "POST", "/v1/auth/login", "", map[string]any{"email": "WEB@c.example", "password": pw})
	MustStatus(t, r, 200, "login")
	var session, csrf *http.Cookie
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		switch c.Name {
		case cdhttp.SessionCookieName:
			session = c
		case cdhttp.CSRFCookieName:
			csrf = c
		}
	}
	if session == nil || csrf == nil {
		t.Fatalf("login set cookies %v, want the session and CSRF cookies", r.Header.Values("Set-Cookie"))
	}
	if !session.HttpOnly || !session.Secure || session.SameSite != http.SameSiteLaxMode || session.Path != "/" || session.Domain != "" {
		t.Errorf("session cookie %q: want HttpOnly, Secure, SameSite=Lax, Path=/ and no Domain", session.String())
	}
	if csrf.HttpOnly || !csrf.Secure || csrf.SameSite != http.SameSiteStrictMode {
		t.Errorf("CSRF cookie %q: want script-readable, Secure, SameSite=Strict", csrf.String())
	}
	if bytes.Contains(r.Body, []byte(session.Value)) {
		t.Error("the login answer contains the session token")
	}
	withSession := func(method, path string, csrfToken string, body any) response {
		var b []byte
		ct := ""
		if body != nil {
			b, _ = json.Marshal(body)
			ct = "application/json"
		}
		h := []string{"Authorization", "", "Cookie", session.Name + "=" + session.Value}
		if csrfToken != "" {
			h = append(h, cdhttp.CSRFHeader, csrfToken)
		}
		return do(t, method, base+path, ct, b, h...)
	}
	MustStatus(t, withSession("GET", "/v1/keys", "", nil), 200, "session GET")
	MustStatus(t, withSession("POST", "/v1/keys", "", map[string]any{"name": "web"}), 403, "session POST without CSRF")
	MustStatus(t, withSession("POST", "/v1/keys", "wrong-token", map[string]any{"name": "web"}), 403, "session POST with a wrong CSRF token")
	MustStatus(t, withSession("POST", "/v1/keys", csrf.Value, map[string]any{"name": "web"}), 201, "session POST with CSRF")
	r = withSession("POST", "/v1/auth/token", csrf.Value, nil)
	MustStatus(t, r, 200, "token for a session")
	MustStatus(t, withSession("POST", "/v1/auth/logout", csrf.Value, nil), 204, "logout")
	MustStatus(t, withSession("GET", "/v1/keys", "", nil), 401, "session after logout")

}

// TestLoginRateLimit: the login after the limit is refused. The clock stands
// still, so that slow password checks (the race detector on a busy
// machine) do not let a token refill between the attempts.
func TestLoginRateLimit(t *testing.T) {
	t.Parallel()
	m := MustRunMain(t, func(m *Main) { m.Clock = fixedClock(time.Now()) })
	var last response
	for i := 0; i <= ratelimit.DefaultLoginRate.PerMinute; i++ {
		last = call(t, m.HTTP.URL(), "POST", "/v1/auth/login", "", map[string]any{"email": "guess@c.example", "password": "guess number " + strconv.Itoa(i)})
	}
	MustStatus(t, last, 429, "login after the limit")
	if last.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
}

type createdKey struct {
	Key    string          `json:"key"`
	APIKey copydesk.APIKey `json:"api_key"`
}

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

// flipLast changes the last character of a base64url string.
func flipLast(s string) string {
	b := []byte(s)
	if b[len(b)-2] == 'A' {
		b[len(b)-2] = 'B'
	} else {
		b[len(b)-2] = 'A'
	}
	return string(b)
}

// TestRateLimitOverHTTP: a USER's bucket of 4 lets LOW-priority work use
// only half of it while interactive work may use the rest, then answers
// 429 with Retry-After and the RateLimit headers.
func TestRateLimitOverHTTP(t *testing.T) {
	t.Parallel()
	m := MustRunMain(t, func(m *Main) {
		m.Config.Access.RateLimits = ratelimit.Config{Roles: map[copydesk.Role]ratelimit.Rate{copydesk.RoleUser: {PerMinute: 4}}}
	})
	base := m.HTTP.URL()
	u := MustTenant(t, base, MustAdminKey(t, m), "", copydesk.RoleUser, "limited@d.example")
	low := map[string]any{"content": "Een korte tekst.", "language": "nl", "priority": "low"}
	high := map[string]any{"content": "Een korte tekst.", "language": "nl"}
	var got []int
	for _, body := range []any{low, low, low, high, high, high} {
		r := call(t, base, "POST", "/v1/analyses", u.Key, body)
		got = append(got, r.Status)
		if r.Header.Get("RateLimit-Limit") != "4" || r.Header.Get("RateLimit-Remaining") == "" {
			t.Errorf("RateLimit headers %q/%q, want limit 4 and a remaining count", r.Header.Get("RateLimit-Limit"), r.Header.Get("RateLimit-Remaining"))
		}
		if r.Status == 429 {
			var e struct {
				Error struct{ Code string } `json:"error"`
			}
			r.json(t, &e)
			if e.Error.Code != "rate_limited" || r.Header.Get("Retry-After") == "" {
				t.Errorf("429 with code %q and Retry-After %q, want rate_limited and a delay", e.Error.Code, r.Header.Get("Retry-After"))
			}
		}
	}
	if want := []int{200, 200, 429, 200, 200, 429}; !slices.Equal(got, want) {
		t.Errorf("statuses %v, want %v (LOW stops at half the bucket, HIGH uses the rest)", got, want)
	}
	// Another user of another customer is not affected.
	other := MustTenant(t, base, MustAdminKey(t, m), "", copydesk.RoleUser, "other@d.example")
	MustStatus(t, call(t, base, "POST", "/v1/analyses", other.Key, high), 200, "another user")
}

// MustLedgerAddsUp checks that the customer's budget has nothing reserved
// and spent what its ledger rows cost, and that the usage report's totals
// equal the ledger.
func MustLedgerAddsUp(tb testing.TB, m *Main, base, adminKey, customerID string) []*copydesk.LedgerEntry {
	tb.Helper()
	ctx := context.Background()
	from, to := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	rows, err := m.ledger.FindLedger(ctx, copydesk.UsageFilter{CustomerID: customerID, From: from, To: to})
	if err != nil {
		tb.Fatal(err)
	}
	var sum copydesk.UsageRow
	for _, e := range rows {
		sum.Add(copydesk.UsageRow{Calls: int64(e.Count), CacheHits: int64(boolInt(e.CacheHit) * e.Count), InputTokens: int64(e.InputTokens),
			OutputTokens: int64(e.OutputTokens), CachedTokens: int64(e.CachedTokens), Cost: e.Cost, Saved: e.Saved})
	}
	b, err := m.Store.FindBudget(ctx, customerID, "")
	if err != nil {
		tb.Fatal(err)
	}
	if b.Reserved != 0 {
		tb.Errorf("budget reserved %d after all calls, want 0", b.Reserved)
	}
	if b.Spent != sum.Cost {
		tb.Errorf("budget spent %d, ledger costs add up to %d", b.Spent, sum.Cost)
	}
	if b.Spent > b.Limit {
		tb.Errorf("budget spent %d, above its hard limit %d", b.Spent, b.Limit)
	}
	q := fmt.Sprintf("?customer_id=%s&from=%s&to=%s", customerID, from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339))
	r := call(tb, base, "GET", "/v1/usage"+q, adminKey, nil)
	MustStatus(tb, r, 200, "usage")
	var rep copydesk.UsageReport
	r.json(tb, &rep)
	if rep.Totals != sum {
		tb.Errorf("usage totals %+v, ledger sums to %+v", rep.Totals, sum)
	}
	var rowSum copydesk.UsageRow
	for _, row := range rep.Rows {
		rowSum.Add(row)
	}
	if rowSum != sum {
		tb.Errorf("usage rows add up to %+v, ledger to %+v", rowSum, sum)
	}
	r = call(tb, base, "GET", "/v1/usage.csv"+q+"&group=model", adminKey, nil)
	MustStatus(tb, r, 200, "usage csv")
	if lines := strings.Split(strings.TrimSpace(string(r.Body)), "\n"); !strings.HasPrefix(lines[len(lines)-1], "total,") ||
		!strings.HasSuffix(lines[len(lines)-1], ","+strconv.FormatInt(int64(sum.Cost), 10)+","+strconv.FormatInt(int64(sum.Saved), 10)+",") {
		tb.Errorf("usage CSV's last line %q, want the totals (cost %d)", lines[len(lines)-1], sum.Cost)
	}
	return rows
}

// TestBudgetOverHTTP: a budget too small for any call refuses chat
// completions with 402 budget_exceeded and fails a deep task with the same
// code; a larger one lets calls through, each settled into the ledger,
// which the usage report and the budget agree with.
func TestBudgetOverHTTP(t *testing.T) {
	t.Parallel()
	models, fake := MustFakeModels(t, providertest.Options{Responder: findingsResponder})
	m := MustRunMain(t, func(m *Main) { m.Routed = models })
	base := m.HTTP.URL()
	admin := MustAdminKey(t, m)
	u := MustTenant(t, base, admin, "", copydesk.RoleUser, "payer@e.example")
	MustStatus(t, call(t, base, "PUT", "/v1/budgets/"+u.CustomerID, admin, map[string]any{"limit": 1}), 200, "tiny budget")

	chat := func(text string) response {
		return call(t, base, "POST", "/v1/chat/completions", u.Key, map[string]any{
			"model": "auto", "max_tokens": 50, "messages": []any{map[string]any{"role": "user", "content": text}}})
	}
	r := chat("Write a tagline")
	MustStatus(t, r, 402, "chat over budget")
	if !bytes.Contains(r.Body, []byte(`"code":"budget_exceeded"`)) {
		t.Errorf("402 body %s lacks the budget_exceeded code", r.Body)
	}
	r = call(t, base, "POST", "/v1/analyses", u.Key, map[string]any{"content": dutchText, "language": "nl", "deep": []string{"tone"}})
	MustStatus(t, r, 202, "deep analysis")
	var acc struct {
		StreamURL string `json:"stream_url"`
	}
	r.json(t, &acc)
	failed := 0
	for _, ev := range MustReadToDoneAs(t, base+acc.StreamURL, u.Key) {
		if ev.Type == copydesk.EventTaskFailed {
			failed++
			if !strings.Contains(ev.Data, "budget_exceeded") {
				t.Errorf("task.failed %s lacks budget_exceeded", ev.Data)
			}
		}
	}
	if failed != 1 {
		t.Errorf("%d failed tasks, want 1", failed)
	}
	if n := fake.Calls(); n != 0 {
		t.Errorf("provider called %d times over budget, want 0", n)
	}

	MustStatus(t, call(t, base, "PUT", "/v1/budgets/"+u.CustomerID, admin, map[string]any{"limit": 1_000_000}), 200, "budget of 1.00")
	MustStatus(t, chat("Write a tagline"), 200, "chat within budget")
	MustStatus(t, chat("Write a tagline"), 200, "the same chat again (cache)")
	MustStatus(t, chat("Write a headline"), 200, "another chat")
	// Cache hits are summed in memory and written every few seconds.
	if err := m.hits.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	rows := MustLedgerAddsUp(t, m, base, admin, u.CustomerID)
	hits, paid := 0, 0
	for _, e := range rows {
		if e.CacheHit {
			hits += e.Count
		} else if e.Cost > 0 && e.Model == "gpt-4o-mini" && e.UserID == u.UserID && e.Kind == "chat" {
			paid++
		}
	}
	if paid != 2 || hits != 1 {
		t.Errorf("ledger has %d paid chat calls and %d cache hits, want 2 and 1: %+v", paid, hits, rows)
	}
	// A USER sees only its own usage.
	r = call(t, base, "GET", "/v1/usage", u.Key, nil)
	MustStatus(t, r, 200, "own usage")
}

// TestBudgetRaceOverHTTP sends many concurrent chat completions against a
// budget that fits about ten: the hard limit holds, no reservation is
// left, and the ledger adds up to the budget's spent figure. With
// COPYDESK_TEST_POSTGRES set it runs on PostgreSQL too.
func TestBudgetRaceOverHTTP(t *testing.T) {
	t.Parallel()
	for _, store := range []string{"sqlite", "postgres"} {
		t.Run(store, func(t *testing.T) {
			t.Parallel()
			models, fake := MustFakeModels(t, providertest.Options{Responder: func(providertest.Request) string { return "ok" }})
			opts := []func(*Main){func(m *Main) { m.Routed = models }}
			if store == "postgres" {
				opts = append(opts, withPostgres(t))
			}
			m := MustRunMain(t, opts...)
			base := m.HTTP.URL()
			admin := MustAdminKey(t, m)
			u := MustTenant(t, base, admin, "", copydesk.RoleAdmin, "racer-"+store+"@f.example")
			est, err := m.routed.MaxCost(copydesk.ModelCall{Kind: "chat", Priority: copydesk.PriorityCritical,
				Request: copydesk.ModelRequest{MaxTokens: 100, Messages: []copydesk.Message{{Role: "user", Content: "Request 0000"}}}})
			if err != nil || est <= 0 {
				t.Fatalf("estimate %d, %v", est, err)
			}
			MustStatus(t, call(t, base, "PUT", "/v1/budgets/"+u.CustomerID, admin, map[string]any{"limit": int64(est) * 10}), 200, "budget")
			const n = 200
			statuses, _ := concurrentChats(t, n, 100, func(int) string { return base }, func(int) string { return u.Key })
			if statuses[200] < 10 || statuses[200]+statuses[402] != n {
				t.Errorf("statuses %v, want at least 10 answers and the rest 402", statuses)
			}
			if fake.Calls() != statuses[200] {
				t.Errorf("provider calls %d, answers %d", fake.Calls(), statuses[200])
			}
			rows := MustLedgerAddsUp(t, m, base, admin, u.CustomerID)
			if len(rows) != statuses[200] {
				t.Errorf("ledger rows %d, answers %d", len(rows), statuses[200])
			}
			t.Logf("%s: %v; estimate %d per call, limit %d", store, statuses, est, est*10)
		})
	}
}

// withPostgres runs Main on a fresh PostgreSQL schema (skips without
// COPYDESK_TEST_POSTGRES).
func withPostgres(tb testing.TB) func(*Main) {
	dsn, schema := pgtest.MustSchema(tb)
	return func(m *Main) {
		m.Config.DatabaseURL = dsn
		m.Config.DatabaseSchema = schema
	}
}

// TestAdminCommands creates a customer, a user with a password from stdin
// and a key from the shell, and uses the key and the password on a server
// over the same store.
func TestAdminCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	admin := func(stdin string, args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		args = append(args, "--data", dir)
		if err := run(ctx, append([]string{"admin"}, args...), strings.NewReader(stdin), &out, &errOut, func(string) string { return "" }); err != nil {
			t.Fatalf("admin %v: %v\n%s", args, err, errOut.String())
		}
		return strings.TrimSpace(out.String())
	}
	cust := admin("", "create-customer", "--name", "Shell Inc")
	if !strings.HasPrefix(cust, copydesk.CustomerIDPrefix) {
		t.Fatalf("create-customer printed %q, want a customer ID", cust)
	}
	user := admin("a long enough password\n", "create-user", "--customer", cust, "--email", "shell@g.example", "--role", "client", "--password-stdin")
	key := admin("", "create-key", "--user", user, "--name", "ci", "--expires", "24h")
	if _, ok := auth.ParseAPIKey(key); !ok {
		t.Fatalf("create-key printed %q, want an API key", key)
	}
	if list := admin("", "list-customers"); !strings.Contains(list, cust) || !strings.Contains(list, "Shell Inc") {
		t.Errorf("list-customers printed %q, want the customer", list)
	}
	admin("", "set-budget", "--customer", cust, "--limit", "5000000")

	var errOut bytes.Buffer
	err := run(ctx, []string{"admin", "create-user", "--data", dir, "--customer", cust, "--email", "x@g.example", "--role", "boss"}, strings.NewReader(""), &bytes.Buffer{}, &errOut, func(string) string { return "" })
	if copydesk.ErrorCode(err) != copydesk.EINVALID {
		t.Errorf("bad role: got %v, want EINVALID", err)
	}
	var ue *UsageError
	if err := run(ctx, []string{"admin", "frobnicate"}, nil, &bytes.Buffer{}, &errOut, func(string) string { return "" }); !errors.As(err, &ue) {
		t.Errorf("unknown subcommand: got %v, want a usage error", err)
	}

	m := MustRunMain(t, func(m *Main) { m.Config.DataDir = dir })
	base := m.HTTP.URL()
	r := call(t, base, "GET", "/v1/budgets", key, nil)
	MustStatus(t, r, 200, "budget with the shell-made key")
	var b copydesk.Budget
	r.json(t, &b)
	if b.CustomerID != cust || b.Limit != 5_000_000 {
		t.Errorf("budget %+v, want the shell-set limit of %s", b, cust)
	}
	MustStatus(t, call(t, base, "POST", "/v1/auth/login", "", map[string]any{"email": "shell@g.example", "password": "a long enough password"}), 200, "login with the shell-set password")
}

// TestClientCannotRaiseItself: a CLIENT (even of the operator's own
// customer) cannot make ADMIN users, keys for an ADMIN, or revoke an
// ADMIN's key, and cannot see another customer's users or keys.
func TestClientCannotRaiseItself(t *testing.T) {
	t.Parallel()
	m := MustRunMain(t)
	base := m.HTTP.URL()
	admin := MustAdminKey(t, m)
	admins, err := m.Store.FindUsers(context.Background(), copydesk.UserFilter{Role: copydesk.RoleAdmin})
	if err != nil || len(admins) != 1 {
		t.Fatalf("admins %v, %v", admins, err)
	}
	op := MustTenant(t, base, admin, admins[0].CustomerID, copydesk.RoleClient, "client@operator.example")
	other := MustTenant(t, base, admin, "", copydesk.RoleClient, "client@other.example")

	MustStatus(t, call(t, base, "POST", "/v1/users", op.Key, map[string]any{"email": "root2@operator.example", "role": "ADMIN"}), 403, "CLIENT creates an ADMIN")
	MustStatus(t, call(t, base, "POST", "/v1/keys", op.Key, map[string]any{"user_id": admins[0].ID}), 403, "CLIENT creates a key for the ADMIN")
	keys, err := m.Store.FindAPIKeys(context.Background(), copydesk.APIKeyFilter{UserID: admins[0].ID})
	if err != nil || len(keys) == 0 {
		t.Fatalf("admin keys %v, %v", keys, err)
	}
	MustStatus(t, call(t, base, "DELETE", "/v1/keys/"+keys[0].ID, op.Key, nil), 403, "CLIENT revokes the ADMIN's key")
	MustStatus(t, call(t, base, "PATCH", "/v1/users/"+admins[0].ID, op.Key, map[string]any{"password": "a new long password"}), 403, "CLIENT sets the ADMIN's password")
	MustStatus(t, call(t, base, "GET", "/v1/keys", admin, nil), 200, "the ADMIN key still works")

	r := call(t, base, "GET", "/v1/users", other.Key, nil)
	MustStatus(t, r, 200, "list users")
	var us struct {
		Users []copydesk.User `json:"users"`
	}
	r.json(t, &us)
	for _, u := range us.Users {
		if u.CustomerID != other.CustomerID {
			t.Errorf("CLIENT of %s sees user %s of %s", other.CustomerID, u.Email, u.CustomerID)
		}
	}
	MustStatus(t, call(t, base, "GET", "/v1/keys?customer_id="+op.CustomerID, other.Key, nil), 404, "another customer's keys")
	MustStatus(t, call(t, base, "GET", "/v1/users?customer_id="+op.CustomerID, other.Key, nil), 404, "another customer's users")
	MustStatus(t, call(t, base, "POST", "/v1/keys", other.Key, map[string]any{"scopes": []string{"root"}}), 400, "unknown scope")
	MustStatus(t, call(t, base, "POST", "/v1/users", other.Key, map[string]any{"email": "x@other.example", "role": "USER", "password": "short"}), 400, "short password")
	MustStatus(t, call(t, base, "POST", "/v1/users", other.Key, map[string]any{"email": "not an email"}), 400, "bad email")
	MustStatus(t, call(t, base, "POST", "/v1/users", other.Key, map[string]any{"email": "client@other.example"}), 409, "taken email")
	MustStatus(t, call(t, base, "POST", "/v1/customers", admin, map[string]any{"name": ""}), 400, "empty customer name")
	MustStatus(t, call(t, base, "POST", "/v1/customers", admin, map[string]any{"name": "X", "plan": "gold"}), 400, "unknown field")
	MustStatus(t, call(t, base, "PUT", "/v1/budgets/"+other.CustomerID, admin, map[string]any{"limit": -1}), 400, "negative limit")
	MustStatus(t, call(t, base, "PUT", "/v1/budgets/"+other.CustomerID, admin, map[string]any{"limit": 10, "alert_percent": 95, "warning_percent": 90}), 400, "thresholds out of order")
	MustStatus(t, call(t, base, "PUT", "/v1/budgets/cus_nope", admin, map[string]any{"limit": 10}), 404, "budget of an unknown customer")
	MustStatus(t, call(t, base, "GET", "/v1/usage?from=2026-02-01&to=2026-01-01", admin, nil), 400, "usage range backwards")
	MustStatus(t, call(t, base, "GET", "/v1/usage?from=yesterday", admin, nil), 400, "usage date")
	MustStatus(t, call(t, base, "GET", "/v1/usage?group=planet", admin, nil), 400, "usage group")
}

// MustRefusedWithin polls get until it answers 401, for at most 5 s (the
// bound the access section promises for a change made on another
// instance); nothing is timed below that bound.
func MustRefusedWithin(tb testing.TB, what string, get func() response) {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := get()
		if r.Status == 401 {
			return
		}
		if r.Status != 200 {
			tb.Fatalf("%s: got status %d, want 200 until refused, then 401: %s", what, r.Status, r.Body)
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s: still 200 five seconds after the change, want 401", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestRevocationOverHTTP: a JWT stops working when its key is revoked (on
// this instance or, straight in the store, on another) or its user is
// disabled; disabling a user ends its keys, tokens and sessions; a password
// change ends the user's sessions and the tokens exchanged for them.
func TestRevocationOverHTTP(t *testing.T) {
	t.Parallel()
	m := MustRunMain(t)
	base := m.HTTP.URL()
	admin := MustAdminKey(t, m)
	ctx := context.Background()
	owner := MustTenant(t, base, admin, "", copydesk.RoleClient, "owner@revoke.example")

	newKey := func(tb testing.TB, as string) createdKey {
		tb.Helper()
		r := call(tb, base, "POST", "/v1/keys", as, map[string]any{"name": "revocable"})
		MustStatus(tb, r, 201, "create key")
		var k createdKey
		r.json(tb, &k)
		return k
	}
	tokenFor := func(tb testing.TB, key string) string {
		tb.Helper()
		r := call(tb, base, "POST", "/v1/auth/token", key, nil)
		MustStatus(tb, r, 200, "issue token")
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		r.json(tb, &tok)
		return tok.AccessToken
	}
	get := func(cred string) func() response {
		return func() response { return call(t, base, "GET", "/v1/keys", cred, nil) }
	}
	const pw = "correct horse battery"
	login := func(tb testing.TB, email string) (session, csrf string) {
		tb.Helper()
		r := call(tb, base, "POST", "/v1/auth/login", "", map[string]any{"email": email, "password": pw})
		MustStatus(tb, r, 200, "login")
		for _, c := range (&http.Response{Header: r.Header}).Cookies() {
			switch c.Name {
			case cdhttp.SessionCookieName:
				session = c.Value
			case cdhttp.CSRFCookieName:
				csrf = c.Value
			}
		}
		return session, csrf
	}
	withSession := func(session, csrf, method, path string) func() response {
		return func() response {
			return do(t, method, base+path, "", nil, "Authorization", "", "Cookie", cdhttp.SessionCookieName+"="+session, cdhttp.CSRFHeader, csrf)
		}
	}
	webUser := func(tb testing.TB, email string) string {
		tb.Helper()
		r := call(tb, base, "POST", "/v1/users", admin, map[string]any{"customer_id": owner.CustomerID, "email": email, "role": "USER", "password": pw})
		MustStatus(tb, r, 201, "create user")
		var u copydesk.User
		r.json(tb, &u)
		return u.ID
	}

	t.Run("key revoked here", func(t *testing.T) {
		k := newKey(t, owner.Key)
		tok := tokenFor(t, k.Key)
		MustStatus(t, get(tok)(), 200, "fresh token")
		MustStatus(t, call(t, base, "DELETE", "/v1/keys/"+k.APIKey.ID, owner.Key, nil), 200, "revoke")
		MustStatus(t, get(tok)(), 401, "token of a key revoked on this instance")
		MustStatus(t, get(k.Key)(), 401, "the revoked key")
	})
	t.Run("key revoked elsewhere", func(t *testing.T) {
		k := newKey(t, owner.Key)
		tok := tokenFor(t, k.Key)
		MustStatus(t, get(tok)(), 200, "fresh token")
		if _, err := m.Store.RevokeAPIKey(ctx, k.APIKey.ID); err != nil { // as another instance would
			t.Fatal(err)
		}
		MustRefusedWithin(t, "token of a key revoked on another instance", get(tok))
	})
	t.Run("user disabled", func(t *testing.T) {
		uid := webUser(t, "disabled@revoke.example")
		r := call(t, base, "POST", "/v1/keys", admin, map[string]any{"user_id": uid, "name": "victim"})
		MustStatus(t, r, 201, "key of the user")
		var k createdKey
		r.json(t, &k)
		keyTok := tokenFor(t, k.Key)
		session, csrf := login(t, "disabled@revoke.example")
		r = withSession(session, csrf, "POST", "/v1/auth/token")()
		MustStatus(t, r, 200, "token for the session")
		var st struct {
			AccessToken string `json:"access_token"`
		}
		r.json(t, &st)
		for name, f := range map[string]func() response{"key": get(k.Key), "key token": get(keyTok), "session": withSession(session, csrf, "GET", "/v1/keys"), "session token": get(st.AccessToken)} {
			MustStatus(t, f(), 200, name+" before disabling")
		}
		MustStatus(t, call(t, base, "PATCH", "/v1/users/"+uid, admin, map[string]any{"disabled": true}), 200, "disable")
		for name, f := range map[string]func() response{"key": get(k.Key), "key token": get(keyTok), "session": withSession(session, csrf, "GET", "/v1/keys"), "session token": get(st.AccessToken)} {
			MustStatus(t, f(), 401, name+" of a disabled user")
		}
		r = call(t, base, "POST", "/v1/auth/login", "", map[string]any{"email": "disabled@revoke.example", "password": pw})
		MustStatus(t, r, 401, "login of a disabled user")
	})
	t.Run("user disabled elsewhere", func(t *testing.T) {
		uid := webUser(t, "disabled2@revoke.example")
		r := call(t, base, "POST", "/v1/keys", admin, map[string]any{"user_id": uid, "name": "victim"})
		MustStatus(t, r, 201, "key of the user")
		var k createdKey
		r.json(t, &k)
		tok := tokenFor(t, k.Key)
		session, csrf := login(t, "disabled2@revoke.example")
		MustStatus(t, get(tok)(), 200, "token before disabling")
		MustStatus(t, withSession(session, csrf, "GET", "/v1/keys")(), 200, "session before disabling")
		if err := m.Store.SetUserDisabled(ctx, uid, true); err != nil {
			t.Fatal(err)
		}
		MustRefusedWithin(t, "token of a user disabled on another instance", get(tok))
		MustRefusedWithin(t, "key of a user disabled on another instance", get(k.Key))
		MustRefusedWithin(t, "session of a user disabled on another instance", withSession(session, csrf, "GET", "/v1/keys"))
	})
	t.Run("password changed", func(t *testing.T) {
		uid := webUser(t, "changed@revoke.example")
		session, csrf := login(t, "changed@revoke.example")
		r := withSession(session, csrf, "POST", "/v1/auth/token")()
		MustStatus(t, r, 200, "token for the session")
		var st struct {
			AccessToken string `json:"access_token"`
		}
		r.json(t, &st)
		MustStatus(t, withSession(session, csrf, "GET", "/v1/keys")(), 200, "session before the change")
		MustStatus(t, call(t, base, "PATCH", "/v1/users/"+uid, admin, map[string]any{"password": "a brand new password"}), 200, "change password")
		MustStatus(t, withSession(session, csrf, "GET", "/v1/keys")(), 401, "session after a password change")
		MustStatus(t, get(st.AccessToken)(), 401, "session token after a password change")
		r = call(t, base, "POST", "/v1/auth/login", "", map[string]any{"email": "changed@revoke.example", "password": "a brand new password"})
		MustStatus(t, r, 200, "login with the new password")
	})
	t.Run("password changed elsewhere", func(t *testing.T) {
		uid := webUser(t, "changed2@revoke.example")
		session, csrf := login(t, "changed2@revoke.example")
		MustStatus(t, withSession(session, csrf, "GET", "/v1/keys")(), 200, "session before the change")
		h, err := auth.HashPassword("a brand new password", auth.DefaultPasswordParams)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Store.SetUserPassword(ctx, uid, h); err != nil {
			t.Fatal(err)
		}
		MustRefusedWithin(t, "session after a password change on another instance", withSession(session, csrf, "GET", "/v1/keys"))
	})
}

// TestReportIsolation: a local report read back by key is its USER's own:
// another USER of the same customer gets 404 (as for jobs and streams),
// even for the same content, which gets a key of its own; the customer's
// CLIENT and the ADMIN may read it; another customer may not.
func TestReportIsolation(t *testing.T) {
	t.Parallel()
	m := MustRunMain(t)
	base := m.HTTP.URL()
	admin := MustAdminKey(t, m)
	client := MustTenant(t, base, admin, "", copydesk.RoleClient, "client@iso.example")
	ann := MustTenant(t, base, admin, client.CustomerID, copydesk.RoleUser, "ann@iso.example")
	bob := MustTenant(t, base, admin, client.CustomerID, copydesk.RoleUser, "bob@iso.example")
	stranger := MustTenant(t, base, admin, "", copydesk.RoleClient, "client@other.example")

	post := func(key string) string {
		t.Helper()
		r := call(t, base, "POST", "/v1/analyses", key, map[string]any{"content": "Our bakery bakes fresh bread every morning.", "language": "en"})
		MustStatus(t, r, 200, "analysis")
		var a struct {
			ResultKey string `json:"result_key"`
		}
		r.json(t, &a)
		if a.ResultKey == "" {
			t.Fatalf("no result_key in %s", r.Body)
		}
		return a.ResultKey
	}
	annKey, bobKey := post(ann.Key), post(bob.Key)
	if annKey == bobKey {
		t.Fatal("two USERs got the same result key for the same content, want one each")
	}
	for _, tc := range []struct {
		who, cred, key string
		want           int
	}{
		{"ann her own", ann.Key, annKey, 200},
		{"bob his own", bob.Key, bobKey, 200},
		{"bob ann's", bob.Key, annKey, 404},
		{"ann bob's", ann.Key, bobKey, 404},
		{"their CLIENT ann's", client.Key, annKey, 200},
		{"the ADMIN ann's", admin, annKey, 200},
		{"another customer's CLIENT ann's", stranger.Key, annKey, 404},
	} {
		r := call(t, base, "GET", "/v1/analyses/"+tc.key, tc.cred, nil)
		if r.Status != tc.want {
			t.Errorf("%s: got status %d, want %d: %.200s", tc.who, r.Status, tc.want, r.Body)
		}
		if r.Status == 404 && bytes.Contains(r.Body, []byte(`"score"`)) {
			t.Errorf("%s: the 404 answer contains the report", tc.who)
		}
	}
}
