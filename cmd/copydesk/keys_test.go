package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/providertest"
)

// keyWithBudget is a created key as POST /v1/keys answers it.
type keyWithBudget struct {
	Key    string          `json:"key"`
	APIKey copydesk.APIKey `json:"api_key"`
	Budget *struct {
		copydesk.Budget
		Left float64 `json:"left"`
	} `json:"budget"`
}

// TestKeyBudgetOverHTTP: a key with a monthly budget of its own (a virtual
// key) is refused once that budget is spent, never past it, under
// concurrent calls, by the key and by a JWT exchanged for it, while the
// same user's other key goes on; the budget shows in /v1/keys and
// /v1/budgets. On SQLite and, with COPYDESK_TEST_POSTGRES, PostgreSQL.
func TestKeyBudgetOverHTTP(t *testing.T) {
	t.Parallel()
	for _, store := range []string{"sqlite", "postgres"} {
		t.Run(store, func(t *testing.T) {
			t.Parallel()
			// Answers longer than the cap: each call costs about its estimate.
			long := strings.Repeat("word ", 300)
			models, fake := MustFakeModels(t, providertest.Options{Responder: func(providertest.Request) string { return long }})
			opts := []func(*Main){func(m *Main) { m.Routed = models }}
			if store == "postgres" {
				opts = append(opts, withPostgres(t))
			}
			m := MustRunMain(t, opts...)
			base := m.HTTP.URL()
			admin := MustAdminKey(t, m)
			owner := MustTenant(t, base, admin, "", copydesk.RoleClient, "owner-"+store+"@vk.example")
			est, err := m.routed.MaxCost(copydesk.ModelCall{Kind: "chat", Priority: copydesk.PriorityCritical,
				Request: copydesk.ModelRequest{MaxTokens: 100, Messages: []copydesk.Message{{Role: "user", Content: "Request 0000"}}}})
			if err != nil || est <= 0 {
				t.Fatalf("estimate %d, %v", est, err)
			}
			limit := int64(est) * 5
			MustStatus(t, call(t, base, "PUT", "/v1/budgets/"+owner.CustomerID, admin, map[string]any{"limit": limit * 1000}), 200, "customer budget")
			r := call(t, base, "POST", "/v1/keys", owner.Key, map[string]any{"name": "virtual", "budget": map[string]any{"limit": limit}})
			MustStatus(t, r, 201, "key with a budget")
			var vk keyWithBudget
			r.json(t, &vk)
			if vk.Budget == nil || vk.Budget.KeyID != vk.APIKey.ID || int64(vk.Budget.Limit) != limit {
				t.Fatalf("created key's budget: got %+v, want the key's budget of %d", vk.Budget, limit)
			}
			tok := call(t, base, "POST", "/v1/auth/token", vk.Key, nil)
			MustStatus(t, tok, 200, "token for the key")
			var jwt struct {
				AccessToken string `json:"access_token"`
			}
			tok.json(t, &jwt)

			const n = 100
			statuses, _ := concurrentChats(t, n, 100, func(int) string { return base }, func(i int) string {
				if i%2 == 1 {
					return jwt.AccessToken // the key's budget binds its tokens too
				}
				return vk.Key
			})
			if statuses[200] < 5 || statuses[200]+statuses[402] != n {
				t.Errorf("statuses %v, want at least 5 answers and the rest 402", statuses)
			}
			if fake.Calls() != statuses[200] {
				t.Errorf("provider calls %d, answers %d", fake.Calls(), statuses[200])
			}
			r = call(t, base, "GET", "/v1/budgets?customer_id="+owner.CustomerID+"&key_id="+vk.APIKey.ID, owner.Key, nil)
			MustStatus(t, r, 200, "the key's budget")
			var kb copydesk.Budget
			r.json(t, &kb)
			if int64(kb.Spent) > limit || kb.Reserved != 0 || kb.Spent == 0 {
				t.Errorf("key budget: spent %d reserved %d, want 0 < spent <= %d and nothing reserved", kb.Spent, kb.Reserved, limit)
			}
			rows := MustLedgerAddsUp(t, m, base, admin, owner.CustomerID)
			var sum copydesk.Micros
			for _, e := range rows {
				sum += e.Cost
			}
			if sum != kb.Spent || len(rows) != statuses[200] {
				t.Errorf("ledger: %d rows costing %d, want %d rows costing the key's spent %d", len(rows), sum, statuses[200], kb.Spent)
			}
			// The listing shows the same budget.
			for _, k := range MustListKeysWithBudgets(t, base, owner.Key) {
				if k.ID == vk.APIKey.ID && (k.Budget == nil || k.Budget.Spent != kb.Spent) {
					t.Errorf("GET /v1/keys: key %s budget %+v, want spent %d", k.ID, k.Budget, kb.Spent)
				}
			}
			// The key's budget does not bind the user's other key.
			r = call(t, base, "POST", "/v1/chat/completions", owner.Key, map[string]any{"model": "auto", "max_tokens": 100,
				"messages": []any{map[string]any{"role": "user", "content": "Another key"}}})
			MustStatus(t, r, 200, "the same user's key without a budget")
			r = call(t, base, "POST", "/v1/chat/completions", vk.Key, map[string]any{"model": "auto", "max_tokens": 100,
				"messages": []any{map[string]any{"role": "user", "content": "Once more"}}})
			MustStatus(t, r, 402, "the spent key")
			if !strings.Contains(string(r.Body), "API key's monthly budget") {
				t.Errorf("402 of the spent key: %s, want it to name the key's budget", r.Body)
			}
			t.Logf("%s: %v; estimate %d per call, key limit %d, spent %d", store, statuses, est, limit, kb.Spent)
		})
	}
}

// listedKey is a key as GET /v1/keys lists it.
type listedKey struct {
	copydesk.APIKey
	Budget *copydesk.Budget `json:"budget"`
}

// MustListKeysWithBudgets returns the caller's keys with their budgets.
func MustListKeysWithBudgets(tb testing.TB, base, key string) []listedKey {
	tb.Helper()
	r := call(tb, base, "GET", "/v1/keys", key, nil)
	MustStatus(tb, r, 200, "list keys")
	var list struct {
		Keys []listedKey `json:"keys"`
	}
	r.json(tb, &list)
	return list.Keys
}

// TestKeyLimitsOverHTTP: a key's own rate limit refuses its requests
// (429, scope key) while the user's other key goes on; only an ADMIN or the
// customer's CLIENT sets or removes a key's budget and rate limit; PATCH
// checks everything before it changes anything.
func TestKeyLimitsOverHTTP(t *testing.T) {
	t.Parallel()
	m := MustRunMain(t)
	base := m.HTTP.URL()
	admin := MustAdminKey(t, m)
	client := MustTenant(t, base, admin, "", copydesk.RoleClient, "client@limits.example")
	user := MustTenant(t, base, admin, client.CustomerID, copydesk.RoleUser, "user@limits.example")
	stranger := MustTenant(t, base, admin, "", copydesk.RoleClient, "client@other-limits.example")

	r := call(t, base, "POST", "/v1/keys", client.Key, map[string]any{"user_id": user.UserID, "name": "slow", "rate_limit": map[string]any{"per_minute": 1, "burst": 2}})
	MustStatus(t, r, 201, "key with a rate limit")
	var slow keyWithBudget
	r.json(t, &slow)
	if rl := slow.APIKey.RateLimit; rl == nil || rl.PerMinute != 1 || rl.Burst != 2 {
		t.Fatalf("created key's rate limit: got %+v, want 1 a minute, burst 2", rl)
	}
	MustStatus(t, call(t, base, "GET", "/v1/models", slow.Key, nil), 200, "first")
	MustStatus(t, call(t, base, "GET", "/v1/models", slow.Key, nil), 200, "second")
	r = call(t, base, "GET", "/v1/models", slow.Key, nil)
	MustStatus(t, r, 429, "third within the minute")
	if !strings.Contains(string(r.Body), "key rate limit") || r.Header.Get("Retry-After") == "" {
		t.Errorf("429: %s (Retry-After %q), want the key's rate limit named and Retry-After", r.Body, r.Header.Get("Retry-After"))
	}
	MustStatus(t, call(t, base, "GET", "/v1/models", user.Key, nil), 200, "the same user's other key")

	for _, tc := range []struct {
		name, cred string
		body       any
		want       int
	}{
		{"USER sets a budget at creation", user.Key, map[string]any{"name": "x", "budget": map[string]any{"limit": 5}}, 403},
		{"USER sets a rate limit at creation", user.Key, map[string]any{"name": "x", "rate_limit": map[string]any{"per_minute": 5}}, 403},
		{"a budget without a limit", client.Key, map[string]any{"name": "x", "budget": map[string]any{}}, 400},
		{"a rate of 0", client.Key, map[string]any{"name": "x", "rate_limit": map[string]any{"per_minute": 0}}, 400},
		{"an unknown budget field", client.Key, map[string]any{"name": "x", "budget": map[string]any{"limit": 5, "hard": true}}, 400},
	} {
		before := len(MustListKeys(t, base, admin))
		if r := call(t, base, "POST", "/v1/keys", tc.cred, tc.body); r.Status != tc.want {
			t.Errorf("%s: got %d %s, want %d", tc.name, r.Status, r.Body, tc.want)
		}
		if after := len(MustListKeys(t, base, admin)); after != before {
			t.Errorf("%s: %d keys after, want the %d before (refused: nothing created)", tc.name, after, before)
		}
	}

	path := "/v1/keys/" + slow.APIKey.ID
	for _, tc := range []struct {
		name, cred string
		body       any
		want       int
	}{
		{"USER", user.Key, map[string]any{"rate_limit": nil}, 403},
		{"another customer's CLIENT", stranger.Key, map[string]any{"rate_limit": nil}, 404},
		{"nothing to change", client.Key, map[string]any{}, 400},
		{"a bad budget with a good rate", client.Key, map[string]any{"budget": map[string]any{"limit": -1}, "rate_limit": map[string]any{"per_minute": 100}}, 400},
		{"a rate limit that is not an object", client.Key, map[string]any{"rate_limit": 5}, 400},
	} {
		if r := call(t, base, "PATCH", path, tc.cred, tc.body); r.Status != tc.want {
			t.Errorf("PATCH as %s: got %d %s, want %d", tc.name, r.Status, r.Body, tc.want)
		}
	}
	keyOf := func() listedKey {
		t.Helper()
		for _, k := range MustListKeysWithBudgets(t, base, client.Key) {
			if k.ID == slow.APIKey.ID {
				return k
			}
		}
		t.Fatalf("key %s not listed", slow.APIKey.ID)
		return listedKey{}
	}
	if k := keyOf(); k.RateLimit == nil || k.RateLimit.PerMinute != 1 || k.Budget != nil {
		t.Fatalf("after refused PATCHes: got rate %+v budget %+v, want unchanged (1 a minute, no budget)", k.RateLimit, k.Budget)
	}
	r = call(t, base, "PATCH", path, client.Key, map[string]any{"budget": map[string]any{"limit": 2_000_000}, "rate_limit": nil})
	MustStatus(t, r, 200, "set a budget, remove the rate limit")
	if k := keyOf(); k.RateLimit != nil || k.Budget == nil || k.Budget.Limit != 2_000_000 || k.Budget.KeyID != slow.APIKey.ID {
		t.Errorf("after PATCH: got rate %+v budget %+v, want no rate limit and a budget of 2000000", k.RateLimit, k.Budget)
	}
	MustStatus(t, call(t, base, "GET", "/v1/models", slow.Key, nil), 200, "rate limit removed: at once")
	MustStatus(t, call(t, base, "PATCH", path, admin, map[string]any{"budget": nil}), 200, "the ADMIN removes the budget")
	if k := keyOf(); k.Budget != nil {
		t.Errorf("after removing the budget: got %+v, want none", k.Budget)
	}
	MustStatus(t, call(t, base, "GET", "/v1/budgets?customer_id="+client.CustomerID+"&key_id="+slow.APIKey.ID, client.Key, nil), 404, "the removed key budget")
	MustStatus(t, call(t, base, "GET", "/v1/budgets?key_id="+slow.APIKey.ID+"&user_id="+user.UserID, client.Key, nil), 400, "key_id and user_id")

	// A CLIENT's virtual key cannot make an unbound key, nor unbind itself.
	r = call(t, base, "POST", "/v1/keys", client.Key, map[string]any{"name": "bound", "budget": map[string]any{"limit": 1_000_000}})
	MustStatus(t, r, 201, "a CLIENT key with a budget")
	var bound keyWithBudget
	r.json(t, &bound)
	MustStatus(t, call(t, base, "POST", "/v1/keys", bound.Key, map[string]any{"name": "escape"}), 403, "a key made by a key with a budget")
	MustStatus(t, call(t, base, "PATCH", "/v1/keys/"+bound.APIKey.ID, bound.Key, map[string]any{"budget": nil}), 403, "a key removing its own budget")
	r = call(t, base, "POST", "/v1/auth/token", bound.Key, nil)
	MustStatus(t, r, 200, "token of the bound key")
	var jwt struct {
		AccessToken string `json:"access_token"`
	}
	r.json(t, &jwt)
	MustStatus(t, call(t, base, "POST", "/v1/keys", jwt.AccessToken, map[string]any{"name": "escape"}), 403, "a key made by a token of a key with a budget")
	MustStatus(t, call(t, base, "GET", "/v1/keys", bound.Key, nil), 200, "the bound key still lists keys")
}

// TestAdminKeyLimits: copydesk admin creates a key with a budget and a rate
// limit of its own, changes both, and the server lists them.
func TestAdminKeyLimits(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := t.Context()
	admin := func(args ...string) (string, error) {
		t.Helper()
		var out, errOut bytes.Buffer
		args = append(args, "--data", dir)
		err := run(ctx, append([]string{"admin"}, args...), strings.NewReader(""), &out, &errOut, func(string) string { return "" })
		return strings.TrimSpace(out.String()), err
	}
	must := func(args ...string) string {
		t.Helper()
		out, err := admin(args...)
		if err != nil {
			t.Fatalf("admin %v: %v", args, err)
		}
		return out
	}
	cust := must("create-customer", "--name", "Shell keys")
	user := must("create-user", "--customer", cust, "--email", "keys@shell.example", "--role", "client")
	secret := must("create-key", "--user", user, "--budget", "3000000", "--rate-per-minute", "100", "--burst", "60")
	if _, err := admin("create-key", "--user", user, "--rate-per-minute", "-5"); err == nil {
		t.Error("create-key with a negative rate: got no error")
	}
	if _, err := admin("set-budget", "--customer", cust, "--limit", "1", "--user", user, "--key", "key_x"); err == nil {
		t.Error("set-budget with --user and --key: got no error")
	}

	m := MustRunMain(t, func(m *Main) { m.Config.DataDir = dir })
	base := m.HTTP.URL()
	keys := MustListKeysWithBudgets(t, base, secret)
	if len(keys) != 1 {
		t.Fatalf("got %d keys, want the one made in the shell", len(keys))
	}
	k := keys[0]
	if k.Budget == nil || k.Budget.Limit != 3_000_000 || k.RateLimit == nil || k.RateLimit.PerMinute != 100 || k.RateLimit.Burst != 60 {
		t.Fatalf("shell-made key: budget %+v rate %+v, want 3000000 and 100 a minute, burst 60", k.Budget, k.RateLimit)
	}
	must("set-budget", "--customer", cust, "--key", k.ID, "--limit", "4000000")
	must("set-key-rate", "--key", k.ID, "--rate-per-minute", "0")
	// Read by another process: the server sees them within its cache TTL.
	deadline := time.Now().Add(5 * time.Second)
	for {
		k = MustListKeysWithBudgets(t, base, secret)[0]
		if k.Budget != nil && k.Budget.Limit == 4_000_000 && k.RateLimit == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the shell changes: budget %+v rate %+v, want 4000000 and no rate limit", k.Budget, k.RateLimit)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestKeyBudgetBindsJobs: the model calls of a job count on the budget of
// the key that submitted it: a deep analysis by a spent key fails its task
// with budget_exceeded, by the same user's other key it runs.
func TestKeyBudgetBindsJobs(t *testing.T) {
	t.Parallel()
	models, fake := MustFakeModels(t, providertest.Options{Responder: findingsResponder})
	m := MustRunMain(t, func(m *Main) { m.Routed = models })
	base := m.HTTP.URL()
	admin := MustAdminKey(t, m)
	owner := MustTenant(t, base, admin, "", copydesk.RoleClient, "owner@jobs-vk.example")
	r := call(t, base, "POST", "/v1/keys", owner.Key, map[string]any{"name": "spent", "budget": map[string]any{"limit": 1}})
	MustStatus(t, r, 201, "a key with a budget of one micro-unit")
	var spent keyWithBudget
	r.json(t, &spent)

	deep := func(key string) (jobKey string, failed []sseEvent) {
		t.Helper()
		r := call(t, base, "POST", "/v1/analyses", key, map[string]any{"content": dutchText, "language": "nl", "deep": []string{"tone"}})
		MustStatus(t, r, 202, "deep analysis")
		var acc struct {
			JobID     string `json:"job_id"`
			StreamURL string `json:"stream_url"`
		}
		r.json(t, &acc)
		for _, ev := range MustReadToDoneAs(t, base+acc.StreamURL, key) {
			if ev.Type == copydesk.EventTaskFailed {
				failed = append(failed, ev)
			}
		}
		r = call(t, base, "GET", "/v1/jobs/"+acc.JobID, key, nil)
		MustStatus(t, r, 200, "the job")
		var job copydesk.Job
		r.json(t, &job)
		return job.KeyID, failed
	}
	jobKey, failed := deep(spent.Key)
	if jobKey != spent.APIKey.ID {
		t.Errorf("job submitted with key %s records key %q", spent.APIKey.ID, jobKey)
	}
	if len(failed) != 1 || !strings.Contains(failed[0].Data, "budget_exceeded") {
		t.Errorf("deep analysis by the spent key: failed tasks %v, want one with budget_exceeded", failed)
	}
	if n := fake.Calls(); n != 0 {
		t.Errorf("provider called %d times for the spent key, want 0", n)
	}
	if _, failed := deep(owner.Key); len(failed) != 0 {
		t.Errorf("deep analysis by the user's other key: failed tasks %v, want none", failed)
	}
	if fake.Calls() == 0 {
		t.Error("the other key's analysis made no provider call")
	}
}
