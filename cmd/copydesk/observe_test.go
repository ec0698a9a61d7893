package main

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/providertest"
)

// scrape returns the value of every sample on /metrics by its full name
// with labels, as Prometheus prints them.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	r := do(t, "GET", url+"/metrics", "", nil)
	if r.Status != 200 {
		t.Fatalf("/metrics: %d", r.Status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(r.Body))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err == nil {
			out[line[:i]] = v
		}
	}
	return out
}

// TestMetricsAfterWorkload runs a scripted workload and checks each figure
// on /metrics against what happened.
func TestMetricsAfterWorkload(t *testing.T) {
	t.Parallel()
	models, _ := MustFakeModels(t, providertest.Options{Responder: findingsResponder})
	m := MustRunMain(t, func(m *Main) { m.Routed = models })
	// 3 identical local analyses: 1 computed, 2 L1 hits.
	for range 3 {
		if r := postJSON(t, m.HTTP.URL()+"/v1/analyses", map[string]any{"content": "Fresh bread every morning.", "language": "en"}); r.Status != 200 {
			t.Fatalf("status %d", r.Status)
		}
	}
	// One bad request.
	do(t, "POST", m.HTTP.URL()+"/v1/analyses", "text/plain", []byte("x"))
	// One deep job, read to done.
	r := postJSON(t, m.HTTP.URL()+"/v1/analyses", map[string]any{"content": dutchText, "language": "nl", "deep": []string{"grammar"}})
	var acc struct {
		StreamURL string `json:"stream_url"`
	}
	r.json(t, &acc)
	MustReadToDone(t, m.HTTP.URL()+acc.StreamURL, 0)

	want := map[string]float64{
		`copydesk_http_request_duration_seconds_count{code="2xx",route="POST /v1/analyses"}`: 4, // 3 × 200 and one 202
		`copydesk_http_request_duration_seconds_count{code="4xx",route="POST /v1/analyses"}`: 1,
		`copydesk_provider_requests_total{model="gpt-4o-mini",outcome="ok",provider="fake"}`: 1,
		`copydesk_request_done_seconds_count{kind="analysis.deep",status="succeeded"}`:       1,
		`copydesk_request_first_result_seconds_count{kind="analysis.deep"}`:                  1,
		`copydesk_job_duration_seconds_count{kind="analysis.deep",status="succeeded"}`:       1,
		`copydesk_sse_stream_duration_seconds_count{route="GET /v1/jobs/{id}/events"}`:       1,
	}
	// A stream's duration is recorded when its handler returns, after
	// the client has read done: scrape until the figures are in (10 s
	// bound), then check them all.
	got := scrape(t, m.HTTP.URL())
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); got = scrape(t, m.HTTP.URL()) {
		missing := false
		for name, v := range want {
			missing = missing || got[name] < v
		}
		if !missing {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for name, v := range want {
		if got[name] != v {
			t.Errorf("%s = %v, want %v", name, got[name], v)
		}
	}
	// Cache: the three identical reports and the deep block (all tier permanent).
	if h := got[`copydesk_cache_requests_total{result="l1_hit",tier="permanent"}`]; h != 2 {
		t.Errorf("permanent L1 hits %v, want 2", h)
	}
	if c := got[`copydesk_cache_requests_total{result="computed",tier="permanent"}`]; c != 3 {
		t.Errorf("permanent computed %v, want 3 (2 reports, 1 block)", c)
	}
	if in := got[`copydesk_provider_tokens_total{model="gpt-4o-mini",provider="fake",type="input"}`]; in <= 0 {
		t.Errorf("input tokens %v, want > 0", in)
	}
}

// TestDailyReportMatchesLedger: the digest served at /v1/reports/daily
// counts the provider calls and tokens the ledger recorded.
func TestDailyReportMatchesLedger(t *testing.T) {
	t.Parallel()
	models, fake := MustFakeModels(t, providertest.Options{})
	m := MustRunMain(t, func(m *Main) { m.Routed = models })
	for _, prompt := range []string{"one", "two", "three", "one"} { // the last is a cache hit
		r := postJSON(t, m.HTTP.URL()+"/v1/chat/completions", map[string]any{"model": "auto", "messages": []map[string]string{{"role": "user", "content": prompt}}})
		if r.Status != 200 {
			t.Fatalf("chat: %d %s", r.Status, r.Body)
		}
	}
	if fake.Calls() != 3 {
		t.Fatalf("provider calls %d, want 3", fake.Calls())
	}
	var d struct {
		Calls       int   `json:"calls"`
		InputTokens int64 `json:"input_tokens"`
		Models      []struct {
			Model string `json:"model"`
			Calls int    `json:"calls"`
		} `json:"models"`
	}
	r := do(t, "GET", m.HTTP.URL()+"/v1/reports/daily", "", nil)
	if r.Status != 200 {
		t.Fatalf("daily report: %d %s", r.Status, r.Body)
	}
	r.json(t, &d)
	var usage struct {
		Totals struct {
			InputTokens int64 `json:"input_tokens"`
		} `json:"totals"`
	}
	u := do(t, "GET", m.HTTP.URL()+"/v1/usage", "", nil)
	u.json(t, &usage)
	if d.InputTokens == 0 || d.InputTokens != usage.Totals.InputTokens {
		t.Errorf("digest input tokens %d, ledger usage %d (%s)", d.InputTokens, usage.Totals.InputTokens, u.Body)
	}
	if d.Calls < 3 {
		t.Errorf("digest calls %d, want at least the 3 provider calls: %s", d.Calls, r.Body)
	}
}
