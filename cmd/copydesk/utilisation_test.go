package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/pgtest"
	"github.com/copydesk/copydesk/internal/providertest"
	"github.com/copydesk/copydesk/internal/ratelimit"
)

// longAnswer answers about 300 tokens, well under the calls' max_tokens
// of 400, as a real model's answer ends before its cap.
func longAnswer(providertest.Request) string {
	return strings.Repeat("Copydesk writes pages. ", 75)
}

// TestBudgetUtilisation sends 500 concurrent unique calls as one user on a
// budget that affords about 20 of them (by their actual cost) and checks
// the budget is spent to the last cent and never past it: spent ≤ limit,
// spent ≥ 95 % of the limit, the ledger adds up to spent, nothing stays
// reserved, and no call was refused while a call's minimum cost was left.
// On SQLite (one instance) and on PostgreSQL with two instances sharing the
// budget.
func TestBudgetUtilisation(t *testing.T) {
	t.Parallel()
	for _, store := range []string{"sqlite", "postgres"} {
		t.Run(store, func(t *testing.T) {
			t.Parallel()
			models, fake := MustFakeModels(t, providertest.Options{Responder: longAnswer})
			many := ratelimit.Rate{PerMinute: 100_000, Burst: 10_000}
			unlimited := func(m *Main) {
				m.Config.Access.RateLimits = ratelimit.Config{Roles: map[copydesk.Role]ratelimit.Rate{copydesk.RoleUser: many}, Customer: many}
			}
			configure := func(m *Main) { m.Routed = models; unlimited(m) }
			instances := 1
			if store == "postgres" {
				dsn, schema := pgtest.MustSchema(t)
				configure = func(m *Main) {
					m.Routed = models
					unlimited(m)
					m.Config.DatabaseURL = dsn
					m.Config.DatabaseSchema = schema
				}
				instances = 2
			}
			var ms []*Main
			for range instances {
				ms = append(ms, MustRunMain(t, configure))
			}
			base := ms[0].HTTP.URL()
			admin := MustAdminKey(t, ms[0])
			u := MustTenant(t, base, admin, "", copydesk.RoleUser, "spender-"+store+"@f.example")

			// One call's actual cost, measured on another customer.
			probe := MustTenant(t, base, admin, "", copydesk.RoleUser, "probe-"+store+"@f.example")
			r := MustChat(t, base, probe.Key, "Request probe", 400)
			var one struct {
				Usage struct {
					PromptTokens     int `json:"prompt_tokens"`
					CompletionTokens int `json:"completion_tokens"`
				} `json:"usage"`
			}
			r.json(t, &one)
			actual, err := ms[0].routed.MaxCost(copydesk.ModelCall{Kind: "chat", Priority: copydesk.PriorityCritical,
				Request: copydesk.ModelRequest{MaxTokens: one.Usage.CompletionTokens, Messages: []copydesk.Message{{Role: "user", Content: "Request 0000"}}}})
			if err != nil || actual <= 0 {
				t.Fatalf("actual cost %d, %v", actual, err)
			}
			minCost, err := ms[0].routed.MaxCost(copydesk.ModelCall{Kind: "chat", Priority: copydesk.PriorityCritical,
				Request: copydesk.ModelRequest{MaxTokens: 16, Messages: []copydesk.Message{{Role: "user", Content: "Request 0000"}}}})
			if err != nil {
				t.Fatal(err)
			}
			limit := int64(actual) * 20
			MustStatus(t, call(t, base, "PUT", "/v1/budgets/"+u.CustomerID, admin, map[string]any{"limit": limit}), 200, "budget")
			calls0 := fake.Calls()

			const n = 500
			statuses, clamped := concurrentChats(t, n, 400,
				func(i int) string { return ms[i%len(ms)].HTTP.URL() }, func(int) string { return u.Key })
			if statuses[200]+statuses[402] != n {
				t.Errorf("statuses %v, want only 200 and 402", statuses)
			}
			if got := fake.Calls() - calls0; got != statuses[200] {
				t.Errorf("provider calls %d, answers %d", got, statuses[200])
			}
			MustLedgerAddsUp(t, ms[0], base, admin, u.CustomerID) // spent ≤ limit, ledger = spent, nothing reserved
			b, err := ms[0].Store.FindBudget(t.Context(), u.CustomerID, "")
			if err != nil {
				t.Fatal(err)
			}
			if float64(b.Spent) < 0.95*float64(limit) {
				t.Errorf("spent %d of %d (%.1f %%), want at least 95 %%", b.Spent, limit, 100*float64(b.Spent)/float64(limit))
			}
			if statuses[402] > 0 && int64(b.Spent)+int64(minCost) <= limit {
				t.Errorf("%d calls refused while %d was left, more than a call's minimum cost %d", statuses[402], limit-int64(b.Spent), minCost)
			}
			t.Logf("%s, %d instance(s): %v, %d clamped; spent %d of %d (%.2f %%), one call %d, minimum %d",
				store, len(ms), statuses, clamped, b.Spent, limit, 100*float64(b.Spent)/float64(limit), actual, minCost)
		})
	}
}

// TestBudgetSmallerThanOneCall: a budget that cannot pay one call at its
// full output cap still serves a call, clamped, and says so.
func TestBudgetSmallerThanOneCall(t *testing.T) {
	t.Parallel()
	models, _ := MustFakeModels(t, providertest.Options{Responder: longAnswer})
	m := MustRunMain(t, func(m *Main) { m.Routed = models })
	base := m.HTTP.URL()
	admin := MustAdminKey(t, m)
	u := MustTenant(t, base, admin, "", copydesk.RoleUser, "small@f.example")
	full, err := m.routed.MaxCost(copydesk.ModelCall{Kind: "chat", Priority: copydesk.PriorityCritical,
		Request: copydesk.ModelRequest{MaxTokens: 4096, Messages: []copydesk.Message{{Role: "user", Content: "Write a page"}}}})
	if err != nil {
		t.Fatal(err)
	}
	MustStatus(t, call(t, base, "PUT", "/v1/budgets/"+u.CustomerID, admin, map[string]any{"limit": int64(full) / 32}), 200, "budget")
	r := MustChat(t, base, u.Key, "Write a page", 0)
	got := r.Header.Get("X-Copydesk-Budget-Clamped")
	if got == "" {
		t.Fatalf("no X-Copydesk-Budget-Clamped header on a call the budget cannot pay in full: %v", r.Header)
	}
	var out struct {
		Choices []struct {
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
	}
	r.json(t, &out)
	if len(out.Choices) != 1 || out.Choices[0].FinishReason != "length" {
		t.Errorf("finish_reason %+v, want length (clamped to %s tokens)", out.Choices, got)
	}
	MustLedgerAddsUp(t, m, base, admin, u.CustomerID)
}

// MustChat makes one non-streamed chat call (maxTokens 0: the default cap)
// and wants 200.
func MustChat(tb testing.TB, base, key, prompt string, maxTokens int) response {
	tb.Helper()
	body := map[string]any{"model": "auto", "messages": []any{map[string]any{"role": "user", "content": prompt}}}
	if maxTokens > 0 {
		body["max_tokens"] = maxTokens
	}
	r := call(tb, base, "POST", "/v1/chat/completions", key, body)
	MustStatus(tb, r, 200, "chat")
	return r
}

// TestBudgetRefusals: every kind of budget refusal over HTTP answers 402
// budget_exceeded with a Retry-After of the month's end (the money is
// gone: only the reset changes that) and raises the scope's hard-limit
// event once; a refusal never comes while money for the call is left.
func TestBudgetRefusals(t *testing.T) {
	t.Parallel()
	models, fake := MustFakeModels(t, providertest.Options{Responder: longAnswer})
	m := MustRunMain(t, func(m *Main) { m.Routed = models })
	base := m.HTTP.URL()
	admin := MustAdminKey(t, m)
	minCost, err := m.routed.MaxCost(copydesk.ModelCall{Kind: "chat", Priority: copydesk.PriorityCritical,
		Request: copydesk.ModelRequest{MaxTokens: 16, Messages: []copydesk.Message{{Role: "user", Content: "Request 0000"}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		// setup gives the tenant a budget and returns the key to call with
		// and the budget query that shows the refusing scope.
		setup func(t *testing.T, u tenant) (key, query string)
	}{
		{"Customer", func(t *testing.T, u tenant) (string, string) {
			MustStatus(t, call(t, base, "PUT", "/v1/budgets/"+u.CustomerID, admin, map[string]any{"limit": int64(minCost) - 1}), 200, "customer budget")
			return u.Key, "customer_id=" + u.CustomerID
		}},
		{"User", func(t *testing.T, u tenant) (string, string) {
			MustStatus(t, call(t, base, "PUT", "/v1/budgets/"+u.CustomerID+"/users/"+u.UserID, admin, map[string]any{"limit": int64(minCost) - 1}), 200, "user budget")
			return u.Key, "customer_id=" + u.CustomerID + "&user_id=" + u.UserID
		}},
		{"Key", func(t *testing.T, u tenant) (string, string) {
			r := call(t, base, "POST", "/v1/keys", admin, map[string]any{"name": "virtual", "user_id": u.UserID, "budget": map[string]any{"limit": int64(minCost) - 1}})
			MustStatus(t, r, 201, "key with a budget")
			var vk keyWithBudget
			r.json(t, &vk)
			return vk.Key, "customer_id=" + u.CustomerID + "&key_id=" + vk.APIKey.ID
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := MustTenant(t, base, admin, "", copydesk.RoleUser, "refused-"+strings.ToLower(tc.name)+"@f.example")
			key, query := tc.setup(t, u)
			calls := fake.PromptCalls("Refused " + tc.name)
			for attempt := range 2 {
				r := call(t, base, "POST", "/v1/chat/completions", key, map[string]any{"model": "auto", "max_tokens": 400,
					"messages": []any{map[string]any{"role": "user", "content": "Refused " + tc.name}}})
				MustStatus(t, r, 402, "call over the budget")
				if !strings.Contains(string(r.Body), `"code":"budget_exceeded"`) {
					t.Errorf("attempt %d: body %s lacks budget_exceeded", attempt, r.Body)
				}
				retry, err := strconv.Atoi(r.Header.Get("Retry-After"))
				now := time.Now().UTC()
				untilMonth := time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, time.UTC).Sub(now)
				if err != nil || time.Duration(retry)*time.Second < untilMonth-time.Minute || time.Duration(retry)*time.Second > untilMonth+time.Minute {
					t.Errorf("attempt %d: Retry-After %q, want about %s (the month's end)", attempt, r.Header.Get("Retry-After"), untilMonth.Round(time.Second))
				}
			}
			if n := fake.PromptCalls("Refused " + tc.name); n != calls {
				t.Errorf("provider calls %d for refused calls, want 0", n-calls)
			}
			r := call(t, base, "GET", "/v1/budgets?"+query, admin, nil)
			MustStatus(t, r, 200, "budget")
			var b copydesk.Budget
			r.json(t, &b)
			if b.Raised&copydesk.ThresholdBit(copydesk.ThresholdHard) == 0 || b.Spent != 0 || b.Reserved != 0 {
				t.Errorf("budget after refusals %+v, want the hard-limit event raised, nothing spent or reserved", b)
			}
		})
	}
}

// concurrentChats sends n unique chat completions ("Request 0000", …) at
// once with max_tokens maxTokens, the i-th to the server at baseOf(i) with
// the credential credOf(i); it returns how many answers had each status
// and how many were clamped by a budget (X-Copydesk-Budget-Clamped).
func concurrentChats(t *testing.T, n, maxTokens int, baseOf, credOf func(i int) string) (statuses map[int]int, clamped int) {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses = map[int]int{}
	for i := range n {
		wg.Go(func() {
			b, _ := json.Marshal(map[string]any{"model": "auto", "max_tokens": maxTokens,
				"messages": []any{map[string]any{"role": "user", "content": fmt.Sprintf("Request %04d", i)}}})
			req, _ := http.NewRequest("POST", baseOf(i)+"/v1/chat/completions", bytes.NewReader(b))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+credOf(i))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			mu.Lock()
			defer mu.Unlock()
			statuses[resp.StatusCode]++
			if resp.Header.Get("X-Copydesk-Budget-Clamped") != "" {
				clamped++
			}
		})
	}
	wg.Wait()
	return statuses, clamped
}
