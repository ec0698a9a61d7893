package main

import (
	"slices"
	"strconv"
	"testing"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/pgtest"
	"github.com/copydesk/copydesk/internal/ratelimit"
	"github.com/copydesk/copydesk/internal/redistest"
)

// TestRateLimitSharedAcrossInstances runs two instances on one PostgreSQL
// schema with redis_url set: a USER's burst of 6 split across both allows
// exactly 6 requests, the RateLimit-Remaining count going down across the
// instances, then both answer 429 with Retry-After. The rate (one a
// minute) refills nothing while the test runs.
func TestRateLimitSharedAcrossInstances(t *testing.T) {
	t.Parallel()
	const burst = 6
	dsn, schema := pgtest.MustSchema(t)
	url, prefix := redistest.MustPrefix(t)
	configure := func(m *Main) {
		m.Config.DatabaseURL = dsn
		m.Config.DatabaseSchema = schema
		m.Config.RedisURL = url
		m.redisPrefix = prefix
		m.Config.Access.RateLimits = ratelimit.Config{Roles: map[copydesk.Role]ratelimit.Rate{copydesk.RoleUser: {PerMinute: 1, Burst: burst}}}
	}
	a := MustRunMain(t, configure)
	b := MustRunMain(t, configure)
	for i, m := range []*Main{a, b} {
		if m.sharedLimiter == nil || m.Limiter != ratelimit.Service(m.sharedLimiter) {
			t.Fatalf("instance %d: limiter %T, want the shared limiter", i, m.Limiter)
		}
	}
	u := MustTenant(t, a.HTTP.URL(), MustAdminKey(t, a), "", copydesk.RoleUser, "shared-limit@d.example")
	body := map[string]any{"content": "Een korte tekst.", "language": "nl"}
	var statuses, remaining []string
	for i := range burst + 2 {
		m := []*Main{a, b}[i%2]
		r := call(t, m.HTTP.URL(), "POST", "/v1/analyses", u.Key, body)
		statuses = append(statuses, strconv.Itoa(r.Status))
		remaining = append(remaining, r.Header.Get("RateLimit-Remaining"))
		if r.Status == 429 {
			var e struct {
				Error struct{ Code string } `json:"error"`
			}
			r.json(t, &e)
			if ra, err := strconv.Atoi(r.Header.Get("Retry-After")); e.Error.Code != "rate_limited" || err != nil || ra < 1 || ra > 60 {
				t.Errorf("request %d: 429 with code %q and Retry-After %q, want rate_limited and 1..60 s", i, e.Error.Code, r.Header.Get("Retry-After"))
			}
		}
	}
	if want := []string{"200", "200", "200", "200", "200", "200", "429", "429"}; !slices.Equal(statuses, want) {
		t.Errorf("statuses alternating between two instances: got %v, want %v", statuses, want)
	}
	if want := []string{"5", "4", "3", "2", "1", "0", "0", "0"}; !slices.Equal(remaining, want) {
		t.Errorf("RateLimit-Remaining: got %v, want %v (one bucket)", remaining, want)
	}
	for i, m := range []*Main{a, b} {
		if n := m.sharedLimiter.Fallbacks(); n != 0 {
			t.Errorf("instance %d: fallbacks %d, want 0", i, n)
		}
	}
}
