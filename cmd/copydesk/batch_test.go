package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/batch"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/providertest"
)

// batchItem is a deep analysis of a page of its own (one block, with the
// error findingsResponder quotes).
func batchItem(i int) map[string]any {
	return map[string]any{"content": fmt.Sprintf("%s Dit is pagina nummer %d.", dutchText, i), "language": "nl", "deep": []string{"grammar"}}
}

type batchAccepted struct {
	ID         string `json:"id"`
	Status     string `json:"status"`
	Kind       string `json:"kind"`
	Total      int    `json:"total"`
	URL        string `json:"url"`
	StreamURL  string `json:"stream_url"`
	ResultsURL string `json:"results_url"`
}

type batchView struct {
	ID     string              `json:"id"`
	Status string              `json:"status"`
	Kind   string              `json:"kind"`
	Counts batch.Counts        `json:"counts"`
	Offset *int                `json:"offset"`
	Limit  *int                `json:"limit"`
	Items  []*batch.ItemResult `json:"items"`
}

// MustBatch starts a batch as the holder of key.
func MustBatch(tb testing.TB, base, key string, body any) batchAccepted {
	tb.Helper()
	r := call(tb, base, "POST", "/v1/batches", key, body)
	MustStatus(tb, r, 202, "start batch")
	var acc batchAccepted
	r.json(tb, &acc)
	if acc.ID == "" || acc.StreamURL == "" || r.Header.Get("Location") != acc.URL {
		tb.Fatalf("batch accepted as %s (Location %q)", r.Body, r.Header.Get("Location"))
	}
	return acc
}

// itemEvents decodes a batch stream's item events, failing on an item
// reported twice.
func itemEvents(tb testing.TB, evs []sseEvent) map[int]*batch.ItemResult {
	tb.Helper()
	items := map[int]*batch.ItemResult{}
	for _, ev := range evs {
		if ev.Type != batch.EventItemResult && ev.Type != batch.EventItemFailed {
			continue
		}
		var it batch.ItemResult
		if err := json.Unmarshal([]byte(ev.Data), &it); err != nil {
			tb.Fatalf("decode %s %s: %v", ev.Type, ev.Data, err)
		}
		if items[it.Index] != nil {
			tb.Fatalf("item %d reported twice", it.Index)
		}
		items[it.Index] = &it
	}
	return items
}

// TestBatchAnalyses runs a batch of 50 deep analyses, 5 of them analysed
// (and so cached) beforehand, through a fake provider, on SQLite and on
// PostgreSQL.
func TestBatchAnalyses(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		testBatchAnalyses(t)
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		testBatchAnalyses(t, withPostgres(t))
	})
}

func testBatchAnalyses(t *testing.T, configure ...func(*Main)) {
	models, fake := MustFakeModels(t, providertest.Options{Responder: findingsResponder})
	m := MustRunMain(t, append([]func(*Main){func(m *Main) { m.Routed = models }}, configure...)...)
	base := m.HTTP.URL()
	admin := MustAdminKey(t, m)
	clientA := MustTenant(t, base, admin, "", copydesk.RoleClient, "client@a.example")
	userA := MustTenant(t, base, admin, clientA.CustomerID, copydesk.RoleUser, "user@a.example")
	userA2 := MustTenant(t, base, admin, clientA.CustomerID, copydesk.RoleUser, "user2@a.example")
	userB := MustTenant(t, base, admin, "", copydesk.RoleUser, "user@b.example")

	const total, cachedBefore = 50, 5
	for i := range cachedBefore {
		r := call(t, base, "POST", "/v1/analyses", userA.Key, batchItem(i))
		MustStatus(t, r, 202, "analysis before the batch")
		var acc struct {
			StreamURL string `json:"stream_url"`
		}
		r.json(t, &acc)
		MustReadToDoneAs(t, base+acc.StreamURL, userA.Key)
	}
	callsBefore := fake.Calls()

	items := make([]any, total)
	for i := range items {
		items[i] = batchItem(i)
	}

	t.Run("a bad item refuses the batch with its index", func(t *testing.T) {
		_, jobsBefore, err := m.Store.FindJobs(context.Background(), copydesk.JobFilter{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		bad := append([]any(nil), items...)
		bad[37] = map[string]any{"content": " ", "deep": []string{"grammar"}}
		r := call(t, base, "POST", "/v1/batches", userA.Key, map[string]any{"kind": "analysis", "items": bad})
		MustStatus(t, r, 400, "batch with a bad item")
		if !bytes.Contains(r.Body, []byte("items[37]: content is required")) {
			t.Errorf("got %s, want the message to name items[37]", r.Body)
		}
		bad[37] = map[string]any{"content": "x", "deep": []string{"grammar"}, "priority": "high"}
		MustStatus(t, call(t, base, "POST", "/v1/batches", userA.Key, map[string]any{"kind": "analysis", "items": bad}), 400, "item with a priority")
		bad[37] = map[string]any{"content": "x", "deep": []string{"spelling"}}
		MustStatus(t, call(t, base, "POST", "/v1/batches", userA.Key, map[string]any{"kind": "analysis", "items": bad}), 400, "item with an unknown deep analysis")
		MustStatus(t, call(t, base, "POST", "/v1/batches", userA.Key, map[string]any{"kind": "poems", "items": items}), 400, "unknown kind")
		MustStatus(t, call(t, base, "POST", "/v1/batches", userA.Key, map[string]any{"kind": "analysis", "items": []any{}}), 400, "no items")
		_, jobsAfter, err := m.Store.FindJobs(context.Background(), copydesk.JobFilter{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if jobsAfter != jobsBefore || fake.Calls() != callsBefore {
			t.Errorf("refused batches left %d jobs (was %d) and %d provider calls (was %d), want none accepted", jobsAfter, jobsBefore, fake.Calls(), callsBefore)
		}
	})

	acc := MustBatch(t, base, userA.Key, map[string]any{"kind": "analysis", "items": items})
	if acc.Total != total || acc.Kind != "analysis" || acc.Status != "queued" {
		t.Fatalf("accepted %+v", acc)
	}
	evs := MustReadToDoneAs(t, base+acc.StreamURL, userA.Key)
	if s := doneStatus(t, evs[len(evs)-1]); s != "succeeded" {
		t.Fatalf("batch ended %q, want succeeded", s)
	}
	got := itemEvents(t, evs)
	if len(got) != total {
		t.Fatalf("got %d item events, want %d", len(got), total)
	}
	var cost copydesk.Micros
	var last *batch.Counts
	for _, ev := range evs {
		if ev.Type == batch.EventItemResult {
			var it batch.ItemResult
			if err := json.Unmarshal([]byte(ev.Data), &it); err != nil {
				t.Fatal(err)
			}
			last = it.Counts
		}
	}
	for i := range total {
		it := got[i]
		if it == nil || it.Status != "succeeded" {
			t.Fatalf("item %d: %+v, want succeeded", i, it)
		}
		if wantCached := i < cachedBefore; it.Cached != wantCached || (it.Cost == 0) != wantCached {
			t.Errorf("item %d: cached %v cost %d, want cached %v (and cost 0 exactly when cached)", i, it.Cached, it.Cost, wantCached)
		}
		if !bytes.Contains(it.Result, []byte("hij vindt")) {
			t.Errorf("item %d: the report lacks the model's finding: %.300s", i, it.Result)
		}
		cost += it.Cost
	}
	want := batch.Counts{Total: total, Done: total, Cached: cachedBefore, Cost: cost}
	if last == nil || *last != want {
		t.Errorf("last counts on the stream %+v, want %+v", last, want)
	}
	if n := fake.Calls() - callsBefore; n != total-cachedBefore {
		t.Errorf("the batch made %d provider calls, want %d (none for the cached items)", n, total-cachedBefore)
	}

	r := call(t, base, "GET", acc.URL+"?offset=10&limit=5", userA.Key, nil)
	MustStatus(t, r, 200, "get batch")
	var v batchView
	r.json(t, &v)
	if v.Status != "succeeded" || v.Counts != want || len(v.Items) != 5 || v.Items[0].Index != 10 || v.Items[4].Index != 14 {
		t.Errorf("GET batch: status %s counts %+v, %d items from %v, want succeeded, %+v, items 10…14", v.Status, v.Counts, len(v.Items), v.Items, want)
	}
	MustStatus(t, call(t, base, "GET", acc.URL+"?limit=0", userA.Key, nil), 400, "limit 0")
	MustStatus(t, call(t, base, "GET", acc.URL+"?offset=x", userA.Key, nil), 400, "offset x")

	r = call(t, base, "GET", acc.ResultsURL, userA.Key, nil)
	MustStatus(t, r, 200, "results.jsonl")
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/jsonl") {
		t.Errorf("results content type %q", ct)
	}
	seen := map[int]bool{}
	sc := bufio.NewScanner(bytes.NewReader(r.Body))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var it batch.ItemResult
		if err := json.Unmarshal(sc.Bytes(), &it); err != nil {
			t.Fatalf("results line %q: %v", sc.Text(), err)
		}
		if seen[it.Index] || it.Status != "succeeded" || len(it.Result) == 0 {
			t.Errorf("results line %d: %+v (seen before: %v)", it.Index, it, seen[it.Index])
		}
		seen[it.Index] = true
	}
	if len(seen) != total {
		t.Errorf("results.jsonl has %d items, want %d", len(seen), total)
	}

	// A USER sees only its own batches, a CLIENT its customer's.
	for _, c := range []struct {
		name, key string
		want      int
	}{{"userA2", userA2.Key, 404}, {"userB", userB.Key, 404}, {"clientA", clientA.Key, 200}, {"admin", admin, 200}} {
		MustStatus(t, call(t, base, "GET", acc.URL, c.key, nil), c.want, "GET batch as "+c.name)
		MustStatus(t, call(t, base, "GET", acc.ResultsURL, c.key, nil), c.want, "GET results as "+c.name)
	}
	MustStatus(t, call(t, base, "DELETE", acc.URL, userA2.Key, nil), 404, "cancel as another USER")
	MustStatus(t, call(t, base, "DELETE", acc.URL, userA.Key, nil), 409, "cancel a finished batch")
	// A job that is not a batch is no batch.
	r = call(t, base, "POST", "/v1/analyses", userA.Key, batchItem(1000))
	var single struct {
		JobID string `json:"job_id"`
	}
	r.json(t, &single)
	MustStatus(t, call(t, base, "GET", "/v1/batches/"+single.JobID, userA.Key, nil), 404, "a single job as a batch")

	t.Run("JSONL upload", func(t *testing.T) {
		var body bytes.Buffer
		for i := range 3 {
			b, _ := json.Marshal(batchItem(i))
			body.Write(b)
			body.WriteByte('\n')
		}
		r := do(t, "POST", base+"/v1/batches?kind=analysis", "application/jsonl", body.Bytes(), "Authorization", "Bearer "+userA.Key)
		MustStatus(t, r, 202, "JSONL batch")
		var acc batchAccepted
		r.json(t, &acc)
		evs := MustReadToDoneAs(t, base+acc.StreamURL, userA.Key)
		got := itemEvents(t, evs)
		for i := range 3 {
			if got[i] == nil || !got[i].Cached {
				t.Errorf("JSONL item %d: %+v, want cached (done in the batch before)", i, got[i])
			}
		}
		r = do(t, "POST", base+"/v1/batches?kind=analysis", "application/jsonl", []byte("{\"content\":\"x\"}\nnot json\n"), "Authorization", "Bearer "+userA.Key)
		MustStatus(t, r, 400, "JSONL with a bad line")
		if !bytes.Contains(r.Body, []byte("line 2 (items[1])")) {
			t.Errorf("got %s, want it to name line 2", r.Body)
		}
	})
}

// gatedResponder answers the first n calls at once and holds the others
// until release is called (register it with t.Cleanup after the server
// that calls the fake, so that it runs before the fake is closed).
func gatedResponder(n int32) (respond func(providertest.Request) string, release func()) {
	gate := make(chan struct{})
	var calls atomic.Int32
	var once sync.Once
	return func(r providertest.Request) string {
		if calls.Add(1) > n {
			<-gate
		}
		return findingsResponder(r)
	}, func() { once.Do(func() { close(gate) }) }
}

// TestBatchCancel cancels a batch whose first items are done: they stay
// done, the rest never run.
func TestBatchCancel(t *testing.T) {
	t.Parallel()
	// Three answers at once, then the provider hangs.
	respond, release := gatedResponder(3)
	models, _ := MustFakeModels(t, providertest.Options{Responder: respond})
	m := MustRunMain(t, func(m *Main) {
		m.Routed = models
		m.Config.Batches.Concurrency = 1
	})
	t.Cleanup(release)
	base := m.HTTP.URL()
	key := MustAdminKey(t, m)
	items := make([]any, 10)
	for i := range items {
		items[i] = batchItem(i)
	}
	acc := MustBatch(t, base, key, map[string]any{"kind": "analysis", "items": items})

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	resp := openStream(t, ctx, base+acc.StreamURL, 0)
	defer resp.Body.Close()
	n := 0
	seen, err := readEvents(resp.Body, func(ev sseEvent) bool {
		if ev.Type == batch.EventItemResult {
			n++
		}
		return n == 3
	})
	if err != nil {
		t.Fatal(err)
	}
	r := call(t, base, "DELETE", acc.URL, key, nil)
	MustStatus(t, r, 200, "cancel batch")
	var v batchView
	r.json(t, &v)
	if v.Status != "cancelled" || v.Counts.Done != 3 || v.Counts.Pending != 7 {
		t.Errorf("cancelled batch: %s %+v, want cancelled with 3 done and 7 pending", v.Status, v.Counts)
	}
	rest, err := readEvents(resp.Body, nil)
	if err != nil {
		t.Fatal(err)
	}
	evs := append(seen, rest...)
	if last := evs[len(evs)-1]; last.Type != copydesk.EventDone || doneStatus(t, last) != "cancelled" {
		t.Fatalf("stream ended with %+v, want done cancelled", last)
	}
	r = call(t, base, "GET", acc.URL, key, nil)
	MustStatus(t, r, 200, "get cancelled batch")
	r.json(t, &v)
	if v.Status != "cancelled" || v.Counts.Done != 3 || len(v.Items) != 3 {
		t.Errorf("after cancel: %s %+v with %d items, want cancelled, 3 done with their results", v.Status, v.Counts, len(v.Items))
	}
}

// TestBatchResumesAfterRestart stops the server mid-batch: after a
// restart on the same data directory the batch finishes, and the items
// finished before the stop are not run again.
func TestBatchResumesAfterRestart(t *testing.T) {
	t.Parallel()
	// Four answers at once, then the provider hangs.
	respond, release := gatedResponder(4)
	models, _ := MustFakeModels(t, providertest.Options{Responder: respond})
	dir := t.TempDir()
	m := MustRunMain(t, func(m *Main) {
		m.Routed = models
		m.Config.DataDir = dir
		m.Config.ShutdownGrace = 500 * time.Millisecond
		m.Config.Batches.Concurrency = 1
	})
	t.Cleanup(release)
	base := m.HTTP.URL()
	const total = 10
	items := make([]any, total)
	for i := range items {
		items[i] = batchItem(i)
	}
	acc := MustBatch(t, base, MustAdminKey(t, m), map[string]any{"kind": "analysis", "items": items})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	resp := openStream(t, ctx, base+acc.StreamURL, 0)
	n := 0
	seen, err := readEvents(resp.Body, func(ev sseEvent) bool {
		if ev.Type == batch.EventItemResult {
			n++
		}
		return n == 4
	})
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}

	models2, fake2 := MustFakeModels(t, providertest.Options{Responder: findingsResponder})
	m2 := MustRunMain(t, func(m *Main) { m.Routed = models2; m.Config.DataDir = dir })
	evs := MustReadToDone(t, m2.HTTP.URL()+acc.StreamURL, seen[len(seen)-1].ID)
	if s := doneStatus(t, evs[len(evs)-1]); s != "succeeded" {
		t.Fatalf("after restart the batch ended %q, want succeeded", s)
	}
	checkSequence(t, append(seen, evs...), 1)
	got := itemEvents(t, append(seen, evs...))
	if len(got) != total {
		t.Errorf("got %d items, want %d, each once", len(got), total)
	}
	if c := fake2.Calls(); c != total-4 {
		t.Errorf("after restart the provider was called %d times, want %d: the 4 finished items must not run again", c, total-4)
	}
}

// TestBatchOtherKinds runs a small batch of each other kind: translations
// (the second batch of the same pages is answered from the translation
// memory), page generations and SEO suggestions.
func TestBatchOtherKinds(t *testing.T) {
	t.Parallel()
	seo := `{"titles":["Fresh bread in Utrecht | Bakkerij Jansen"],"meta_descriptions":["Fresh bread every morning: sourdough, rye and croissants from Bakkerij Jansen in Utrecht."],` +
		`"headings":[{"level":2,"text":"Why our fresh bread tastes better"}],"keyphrases":["fresh bread utrecht"]}`
	models, fake := MustFakeModels(t, providertest.Options{Responder: func(r providertest.Request) string {
		if r.SchemaName == "seo_suggestions" {
			return seo
		}
		return providertest.DefaultResponder(r)
	}})
	m := MustRunMain(t, func(m *Main) { m.Routed = models })
	base, key := m.HTTP.URL(), MustAdminKey(t, m)
	run := func(kind string, items []any) map[int]*batch.ItemResult {
		t.Helper()
		acc := MustBatch(t, base, key, map[string]any{"kind": kind, "items": items})
		evs := MustReadToDoneAs(t, base+acc.StreamURL, key)
		if s := doneStatus(t, evs[len(evs)-1]); s != "succeeded" {
			t.Fatalf("%s batch ended %q: %v", kind, s, evs)
		}
		got := itemEvents(t, evs)
		if len(got) != len(items) {
			t.Fatalf("%s batch: %d items, want %d", kind, len(got), len(items))
		}
		return got
	}

	pages := []any{
		map[string]any{"content": "Hallo wereld. Dit is de eerste pagina.", "source_language": "nl", "target_languages": []string{"en", "de"}},
		map[string]any{"content": "Vers brood elke ochtend.", "source_language": "nl", "target_languages": []string{"en"}},
	}
	paid := run("translation", pages)
	for i, it := range paid {
		if it.Cached || it.Cost == 0 || !bytes.Contains(it.Result, []byte(`"translations"`)) {
			t.Errorf("translation item %d: %+v, want a paid translation", i, it)
		}
	}
	before := fake.Calls()
	for i, it := range run("translation", pages) {
		if !it.Cached || it.Cost != 0 || !bytes.Contains(it.Result, []byte(`"translations"`)) {
			t.Errorf("translation item %d again: %+v, want it from the translation memory at no cost", i, it)
		}
		// Remembered or translated, an item's result has one shape.
		var a, b map[string]json.RawMessage
		_ = json.Unmarshal(paid[i].Result, &a)
		_ = json.Unmarshal(it.Result, &b)
		for _, k := range []string{"source_language", "languages", "translations", "failed"} {
			if a[k] == nil || b[k] == nil {
				t.Errorf("translation item %d: %q missing from %s or %s", i, k, paid[i].Result, it.Result)
			}
		}
	}
	if fake.Calls() != before {
		t.Errorf("the remembered batch called the provider %d times", fake.Calls()-before)
	}

	gen := run("generation", []any{
		map[string]any{"business": map[string]any{"name": "Bakkerij Jansen", "language": "nl"}, "blocks": []string{"hero", "faq"}},
		map[string]any{"business": map[string]any{"name": "Fietsen Pieters", "language": "en"}, "blocks": []string{"cta"}},
	})
	for i, it := range gen {
		if it.Status != "succeeded" || !bytes.Contains(it.Result, []byte(`"blocks"`)) {
			t.Errorf("generation item %d: %+v, want a page with blocks", i, it)
		}
	}

	sug := run("seo_suggestions", []any{
		map[string]any{"content": "<h1>Our bakery</h1><p>We bake fresh bread every morning in Utrecht.</p>", "format": "html", "language": "en", "keyphrase": "fresh bread"},
	})
	if it := sug[0]; !bytes.Contains(it.Result, []byte("Fresh bread in Utrecht")) {
		t.Errorf("suggestions item: %+v, want the model's title", it)
	}
}
