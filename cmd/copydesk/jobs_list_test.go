package main

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/providertest"
)

// TestListJobsScope: GET /v1/jobs shows an ADMIN every job, a CLIENT its
// customer's, a USER its own, never another customer's; bad filters are
// 400.
func TestListJobsScope(t *testing.T) {
	t.Parallel()
	models, _ := MustFakeModels(t, providertest.Options{Responder: findingsResponder})
	m := MustRunMain(t, func(m *Main) { m.Routed = models })
	base := m.HTTP.URL()
	admin := MustAdminKey(t, m)
	clientA := MustTenant(t, base, admin, "", copydesk.RoleClient, "client@a.example")
	userA := MustTenant(t, base, admin, clientA.CustomerID, copydesk.RoleUser, "user@a.example")
	clientB := MustTenant(t, base, admin, "", copydesk.RoleClient, "client@b.example")
	submit := func(key string) string {
		r := call(t, base, "POST", "/v1/analyses", key, map[string]any{"content": dutchText, "language": "nl", "deep": []string{"grammar"}})
		var acc struct {
			JobID string `json:"job_id"`
		}
		r.json(t, &acc)
		if acc.JobID == "" {
			// Answered from the deep cache: ask about other content.
			r = call(t, base, "POST", "/v1/analyses", key, map[string]any{"content": dutchText + " " + key[:12], "language": "nl", "deep": []string{"grammar"}})
			r.json(t, &acc)
		}
		if acc.JobID == "" {
			t.Fatalf("no job: %d %s", r.Status, r.Body)
		}
		return acc.JobID
	}
	jobAdmin, jobClientA, jobUserA, jobClientB := submit(admin), submit(clientA.Key), submit(userA.Key), submit(clientB.Key)
	list := func(key, query string) []string {
		t.Helper()
		r := call(t, base, "GET", "/v1/jobs"+query, key, nil)
		MustStatus(t, r, 200, "GET /v1/jobs"+query)
		var out struct {
			Jobs []struct {
				ID       string          `json:"id"`
				Priority string          `json:"priority"`
				Result   json.RawMessage `json:"result"`
			} `json:"jobs"`
			Total int `json:"total"`
		}
		r.json(t, &out)
		ids := make([]string, len(out.Jobs))
		for i, j := range out.Jobs {
			ids[i] = j.ID
			if j.Priority == "" || len(j.Result) != 0 {
				t.Errorf("listed job %s: priority %q, result %s; want a priority and no result", j.ID, j.Priority, j.Result)
			}
		}
		if out.Total < len(ids) {
			t.Errorf("total %d < %d listed", out.Total, len(ids))
		}
		slices.Sort(ids)
		return ids
	}
	sorted := func(ids ...string) []string { slices.Sort(ids); return ids }
	for _, tc := range []struct {
		who, key, query string
		want            []string
	}{
		{"admin, all", admin, "", sorted(jobAdmin, jobClientA, jobUserA, jobClientB)},
		{"admin, customer B", admin, "?customer_id=" + clientB.CustomerID, sorted(jobClientB)},
		{"client A", clientA.Key, "", sorted(jobClientA, jobUserA)},
		{"user A", userA.Key, "", sorted(jobUserA)},
		{"client B", clientB.Key, "", sorted(jobClientB)},
	} {
		if got := list(tc.key, tc.query); !slices.Equal(got, tc.want) {
			t.Errorf("%s: listed %v, want %v", tc.who, got, tc.want)
		}
	}
	for _, tc := range []struct {
		key, query string
		want       int
	}{
		{clientB.Key, "?customer_id=" + clientA.CustomerID, 404},
		{admin, "?status=lost", 400},
		{admin, "?limit=0", 400},
		{admin, "?limit=201", 400},
		{admin, "?offset=-1", 400},
		{"", "", 401},
	} {
		if r := call(t, base, "GET", "/v1/jobs"+tc.query, tc.key, nil); r.Status != tc.want {
			t.Errorf("GET /v1/jobs%s: status %d, want %d: %s", tc.query, r.Status, tc.want, r.Body)
		}
	}
}
