package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/copydesk/copydesk/internal/analysis"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/pgtest"
	"github.com/copydesk/copydesk/internal/providertest"
	"github.com/copydesk/copydesk/internal/redistest"
)

// TestRedisL2SharedAcrossInstances runs two instances on one PostgreSQL
// schema with redis_url set: an answer computed by one is served by the
// other (whose L1 is empty) from Redis without a provider call, the
// database holds no cache entries but the local report, and /readyz
// answers on both.
func TestRedisL2SharedAcrossInstances(t *testing.T) {
	t.Parallel()
	dsn, schema := pgtest.MustSchema(t)
	url, prefix := redistest.MustPrefix(t)
	models, fake := MustFakeModels(t, providertest.Options{Responder: findingsResponder})
	configure := func(m *Main) {
		m.Routed = models
		m.Config.DatabaseURL = dsn
		m.Config.DatabaseSchema = schema
		m.Config.RedisURL = url
		m.redisPrefix = prefix
	}
	a := MustRunMain(t, configure)
	b := MustRunMain(t, configure)
	for i, m := range []*Main{a, b} {
		r := postJSON(t, m.HTTP.URL()+"/v1/analyses", map[string]any{"content": dutchText, "language": "nl", "deep": []string{"grammar"}})
		var acc struct {
			StreamURL  string `json:"stream_url"`
			DeepCached bool   `json:"deep_cached"`
		}
		r.json(t, &acc)
		switch {
		case i == 0 && r.Status == 202:
			evs := MustReadToDone(t, m.HTTP.URL()+acc.StreamURL, 0)
			if s := doneStatus(t, evs[len(evs)-1]); s != "succeeded" {
				t.Errorf("instance %d: done status %q, want succeeded", i, s)
			}
		case i == 1 && r.Status == 200 && acc.DeepCached:
			// The other instance's answer, from Redis: complete at once.
		default:
			t.Fatalf("instance %d: status %d: %s; want 202 on the first, 200 from the cache on the second", i, r.Status, r.Body)
		}
		if r := do(t, "GET", m.HTTP.URL()+"/readyz", "", nil); r.Status != 200 {
			t.Errorf("instance %d: readyz %d, want 200", i, r.Status)
		}
	}
	if n := fake.Calls(); n != 1 {
		t.Errorf("provider calls across two instances: got %d, want 1", n)
	}
	if n := redistest.CountPrefix(t, url, prefix+"e:"); n == 0 {
		t.Errorf("cache entries in Redis: got 0, want some")
	}
	// /v1/cache/stats counts the entries in Redis (the deep block and the
	// report, both in the permanent tier).
	var stats struct {
		Total struct {
			L2 struct {
				UsageKnown bool
				Entries    int64
			}
		}
	}
	r := do(t, "GET", b.HTTP.URL()+"/v1/cache/stats", "", nil)
	r.json(t, &stats)
	if r.Status != 200 || !stats.Total.L2.UsageKnown || stats.Total.L2.Entries < 2 {
		t.Errorf("cache stats: %d, L2 %+v, want Redis's entries (at least 2)", r.Status, stats.Total.L2)
	}
	// The database keeps only the reports fetched by key (the source of
	// truth when Redis is down or lost them).
	if n, err := a.Store.PurgeCache(context.Background(), copydesk.CacheFilter{Kind: analysis.ReportKind}); err != nil || n != 1 {
		t.Errorf("analysis reports in the database: got %d, %v, want 1, nil", n, err)
	}
	if n, err := a.Store.PurgeCache(context.Background(), copydesk.CacheFilter{}); err != nil || n != 0 {
		t.Errorf("other cache entries in the database: got %d, %v, want 0, nil", n, err)
	}
}

// TestRedisURLValidation: a redis_url that is not redis:// or rediss:// is
// a usage error naming the field; an unreachable Redis does not stop the
// start.
func TestRedisURLValidation(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	env := map[string]string{"COPYDESK_REDIS_URL": "http://127.0.0.1:6379"}
	err := run(context.Background(), []string{"serve"}, nil, io.Discard, &stderr, func(k string) string { return env[k] })
	if code := exitCode(err, &stderr); code != 2 {
		t.Fatalf("exit code %d, want 2 (err %v)", code, err)
	}
	if !strings.Contains(stderr.String(), "redis_url") {
		t.Errorf("message %q does not name redis_url", stderr.String())
	}

	// An unreachable Redis does not stop the start: the instance serves,
	// degraded, until Redis answers.
	m := MustRunMain(t, func(m *Main) { m.Config.RedisURL = "redis://127.0.0.1:1/0" })
	if r := do(t, "GET", m.HTTP.URL()+"/readyz", "", nil); r.Status != 200 || !strings.Contains(string(r.Body), `"degraded":["redis"]`) {
		t.Errorf("readyz with an unreachable Redis: %d %s, want 200 degraded naming redis", r.Status, r.Body)
	}
	if r := postJSON(t, m.HTTP.URL()+"/v1/analyses", map[string]any{"content": "Fresh bread every morning.", "language": "en"}); r.Status != 200 {
		t.Errorf("an analysis with an unreachable Redis: %d %s, want 200", r.Status, r.Body)
	}
}
