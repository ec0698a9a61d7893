package http

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/copydesk/copydesk/internal/copydesk"
)

const reportKey = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// TestCreateAnalysis: the service answers IDs; the handler answers the
// URLs built from them, the status and the headers.
func TestCreateAnalysis(t *testing.T) {
	t.Parallel()
	report := json.RawMessage(`{"language":"nl","results":[]}`)
	for _, tc := range []struct {
		name     string
		resp     *copydesk.AnalysisResponse
		err      error
		body     any
		status   int
		code     string
		location string
		fields   map[string]any
	}{
		{name: "complete", resp: &copydesk.AnalysisResponse{Status: "complete", Report: report, ResultKey: reportKey, Cached: true},
			body: map[string]any{"content": "Een tekst."}, status: 200,
			fields: map[string]any{"status": "complete", "result_key": reportKey, "result_url": "/v1/analyses/" + reportKey, "cached": true}},
		{name: "pending", resp: &copydesk.AnalysisResponse{Status: "pending", Report: report, ResultKey: reportKey, JobID: "job_1", Pending: []string{"grammar.model"}},
			body: map[string]any{"content": "Een tekst.", "deep": []string{"grammar"}}, status: 202, location: "/v1/jobs/job_1",
			fields: map[string]any{"status": "pending", "job_id": "job_1", "job_url": "/v1/jobs/job_1", "stream_url": "/v1/jobs/job_1/events", "result_url": "/v1/analyses/" + reportKey}},
		{name: "no cache", resp: &copydesk.AnalysisResponse{Status: "complete", Report: report},
			body: map[string]any{"content": "Een tekst."}, status: 200, fields: map[string]any{"status": "complete"}},
		{name: "service refuses", err: copydesk.Errorf(copydesk.EINVALID, "content is required"), body: map[string]any{"content": ""}, status: 400, code: "invalid"},
		{name: "too large", err: copydesk.Errorf(copydesk.ETOOLARGE, "content is 9 bytes; the limit is 1"), body: map[string]any{"content": "123456789"}, status: 413, code: "too_large"},
		{name: "no provider", err: copydesk.NoProvider("model-backed analysis"), body: map[string]any{"content": "x", "deep": []string{"tone"}}, status: 503, code: "no_provider"},
		{name: "unknown field", body: map[string]any{"content": "x", "colour": "red"}, status: 400, code: "invalid"},
		{name: "not JSON", body: "{content:", status: 400, code: "invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			an := &fakeAnalysis{resp: tc.resp, err: tc.err}
			ts := MustServer(t, func(s *Server) { s.Analysis = an })
			w := ts.do(t, "POST", "/v1/analyses", "user", tc.body, "Accept-Language", "de-DE,de;q=0.9")
			MustStatus(t, w, tc.status, tc.code)
			if got := w.Header().Get("Location"); got != tc.location {
				t.Errorf("Location: got %q, want %q", got, tc.location)
			}
			if tc.code != "" {
				return
			}
			m := decode(t, w)
			for k, v := range tc.fields {
				if m[k] != v {
					t.Errorf("%s: got %v, want %v", k, m[k], v)
				}
			}
			for _, k := range []string{"job_url", "stream_url", "result_url"} {
				if _, ok := tc.fields[k]; !ok && m[k] != nil {
					t.Errorf("%s: got %v, want it left out", k, m[k])
				}
			}
			if tc.resp.ResultKey != "" {
				if w.Header().Get("Content-Location") != "/v1/analyses/"+reportKey || w.Header().Get("ETag") != `"`+reportKey+`"` {
					t.Errorf("headers: got Content-Location %q ETag %q", w.Header().Get("Content-Location"), w.Header().Get("ETag"))
				}
			}
			if len(an.got) != 1 || an.got[0].AcceptLanguage != "de-DE,de;q=0.9" {
				t.Errorf("service got %+v, want one request with the Accept-Language header", an.got)
			}
		})
	}
}

func TestGetAnalysis(t *testing.T) {
	t.Parallel()
	an := &fakeAnalysis{reports: map[string][]byte{reportKey: []byte(`{"language":"nl"}`)}}
	owners := map[string][2]string{reportKey: {"cus_a", "usr_user"}}
	ts := MustServer(t, func(s *Server) {
		s.Analysis = an
		s.ResultOwner = func(_ context.Context, key string) (string, string, bool, error) {
			o, ok := owners[key]
			return o[0], o[1], ok, nil
		}
	})
	w := ts.do(t, "GET", "/v1/analyses/"+reportKey, "user", nil)
	MustStatus(t, w, 200, "")
	if w.Body.String() != `{"language":"nl"}` || w.Header().Get("ETag") != `"`+reportKey+`"` ||
		!strings.HasPrefix(w.Header().Get("Cache-Control"), "private, max-age=") {
		t.Errorf("got %s with ETag %q Cache-Control %q", w.Body.String(), w.Header().Get("ETag"), w.Header().Get("Cache-Control"))
	}
	MustStatus(t, ts.do(t, "GET", "/v1/analyses/"+reportKey, "user", nil, "If-None-Match", `W/"`+reportKey+`"`), 304, "")
	MustStatus(t, ts.do(t, "GET", "/v1/analyses/"+reportKey, "client", nil), 200, "")
	MustStatus(t, ts.do(t, "GET", "/v1/analyses/"+reportKey, "admin", nil), 200, "")
	// Another customer's USER does not learn that the report exists.
	MustStatus(t, ts.do(t, "GET", "/v1/analyses/"+reportKey, "other", nil), 404, "not_found")
	MustStatus(t, ts.do(t, "GET", "/v1/analyses/NOT-A-KEY", "user", nil), 400, "invalid")
	other := strings.Repeat("f", 64)
	MustStatus(t, ts.do(t, "GET", "/v1/analyses/"+other, "user", nil), 404, "not_found")
	// A key the owner lookup knows but the cache no longer holds.
	owners[strings.Repeat("e", 64)] = [2]string{"", ""}
	MustStatus(t, ts.do(t, "GET", "/v1/analyses/"+strings.Repeat("e", 64), "user", nil), 404, "not_found")
	MustStatus(t, ts.do(t, "GET", "/v1/analyses/"+reportKey, "", nil), 401, "unauthorized")
}

// TestContentServicesMissing: a service that is not configured answers 503
// with a message naming it.
func TestContentServicesMissing(t *testing.T) {
	t.Parallel()
	ts := MustServer(t, nil)
	for _, tc := range []struct{ method, path, body string }{
		{"POST", "/v1/analyses", `{"content":"x"}`},
		{"GET", "/v1/analyses/" + reportKey, ""},
		{"POST", "/v1/generations", `{"business":{"name":"A"}}`},
		{"POST", "/v1/translations", `{"content":"x"}`},
		{"POST", "/v1/seo/suggestions", `{"content":"x"}`},
		{"POST", "/v1/batches", `{"kind":"analysis","items":[{"content":"x"}]}`},
		{"GET", "/v1/batches/job_1", ""},
		{"GET", "/v1/glossary", ""},
		{"PUT", "/v1/glossary", `{"terms":[]}`},
		{"GET", "/v1/translation-memory", ""},
		{"DELETE", "/v1/translation-memory", ""},
	} {
		var body any
		if tc.body != "" {
			body = tc.body
		}
		w := ts.do(t, tc.method, tc.path, "client", body)
		if tc.path == "/v1/analyses/"+reportKey {
			MustStatus(t, w, 404, "not_found") // no owner lookup: nothing is served
			continue
		}
		MustStatus(t, w, 503, "unavailable")
	}
	w := ts.do(t, "POST", "/v1/translation-memory", "client", "<tmx/>", "Content-Type", "application/xml")
	MustStatus(t, w, 503, "unavailable")
}

func TestCreateGeneration(t *testing.T) {
	t.Parallel()
	gen := &fakeGeneration{resp: &copydesk.GenerationResponse{Status: "pending", Blocks: []string{"block.1.hero"}, JobID: "job_g"}}
	ts := MustServer(t, func(s *Server) { s.Generation = gen })
	w := ts.do(t, "POST", "/v1/generations", "user", map[string]any{"business": map[string]any{"name": "Bakkerij"}, "blocks": []string{"hero"}, "priority": "low"})
	MustStatus(t, w, 202, "")
	m := decode(t, w)
	if w.Header().Get("Location") != "/v1/jobs/job_g" || m["job_url"] != "/v1/jobs/job_g" || m["stream_url"] != "/v1/jobs/job_g/events" || m["job_id"] != "job_g" {
		t.Errorf("got Location %q body %v", w.Header().Get("Location"), m)
	}
	if gen.got == nil || gen.got.Business.Name != "Bakkerij" || gen.got.Priority != "low" {
		t.Errorf("service got %+v", gen.got)
	}
	gen.err, gen.resp = copydesk.Errorf(copydesk.EINVALID, "business.name is required"), nil
	MustStatus(t, ts.do(t, "POST", "/v1/generations", "user", map[string]any{"business": map[string]any{}}), 400, "invalid")
	// A bad priority is the service's to name; the rate limit takes HIGH.
	MustStatus(t, ts.do(t, "POST", "/v1/generations", "user", map[string]any{"priority": "urgent"}), 400, "invalid")
	MustStatus(t, ts.do(t, "POST", "/v1/generations", "user", `[1]`), 400, "invalid")
}

func TestCreateTranslation(t *testing.T) {
	t.Parallel()
	tr := &fakeTranslation{resp: &copydesk.TranslationResponse{Status: "complete", SourceLanguage: "nl", Languages: []string{"en"}, Segments: 1,
		Translations: map[string]*copydesk.TranslationResult{"en": {Language: "en", Content: "Hello."}}}}
	ts := MustServer(t, func(s *Server) { s.Translation = tr })
	w := ts.do(t, "POST", "/v1/translations", "user", map[string]any{"content": "Hallo.", "target_languages": []string{"en"}})
	MustStatus(t, w, 200, "")
	m := decode(t, w)
	if m["status"] != "complete" || m["job_url"] != nil || m["stream_url"] != nil || w.Header().Get("Location") != "" {
		t.Errorf("complete: got %v, Location %q; want no job links", m, w.Header().Get("Location"))
	}
	tr.resp = &copydesk.TranslationResponse{Status: "pending", SourceLanguage: "nl", Languages: []string{"en"}, JobID: "job_t"}
	w = ts.do(t, "POST", "/v1/translations", "user", map[string]any{"content": "Hallo."})
	MustStatus(t, w, 202, "")
	m = decode(t, w)
	if m["job_url"] != "/v1/jobs/job_t" || m["stream_url"] != "/v1/jobs/job_t/events" || w.Header().Get("Location") != "/v1/jobs/job_t" {
		t.Errorf("pending: got %v, Location %q", m, w.Header().Get("Location"))
	}
	tr.err = copydesk.Errorf(copydesk.EUNPROCESSABLE, "content is not valid UTF-8")
	MustStatus(t, ts.do(t, "POST", "/v1/translations", "user", map[string]any{"content": "x"}), 422, "unprocessable")
}

func TestCreateSuggestions(t *testing.T) {
	t.Parallel()
	sg := &fakeSuggestions{resp: &copydesk.SuggestionResponse{Status: "pending", Current: json.RawMessage(`{"type":"seo"}`), JobID: "job_s"}}
	ts := MustServer(t, func(s *Server) { s.Suggestions = sg })
	w := ts.do(t, "POST", "/v1/seo/suggestions", "user", map[string]any{"content": "Vers brood."})
	MustStatus(t, w, 202, "")
	m := decode(t, w)
	if m["job_url"] != "/v1/jobs/job_s" || m["stream_url"] != "/v1/jobs/job_s/events" || w.Header().Get("Location") != "/v1/jobs/job_s" {
		t.Errorf("got %v, Location %q", m, w.Header().Get("Location"))
	}
	sg.resp, sg.err = nil, copydesk.NoProvider("SEO suggestions")
	MustStatus(t, ts.do(t, "POST", "/v1/seo/suggestions", "user", map[string]any{"content": "x"}), 503, "no_provider")
	// A scoped key without analyses:write may not start work.
	MustStatus(t, ts.do(t, "POST", "/v1/seo/suggestions", "scoped", map[string]any{"content": "x"}), 403, "forbidden")
}

func TestGlossary(t *testing.T) {
	t.Parallel()
	tr := &fakeTranslation{}
	ts := MustServer(t, func(s *Server) { s.Translation = tr })
	w := ts.do(t, "GET", "/v1/glossary", "user", nil)
	MustStatus(t, w, 200, "")
	if got := strings.TrimSpace(w.Body.String()); !strings.HasPrefix(got, `{"customer_id":"cus_a","terms":[]`) {
		t.Errorf("empty glossary: got %s", got)
	}
	w = ts.do(t, "PUT", "/v1/glossary", "client", map[string]any{"terms": []any{map[string]any{"term": "Copydesk", "do_not_translate": true}}})
	MustStatus(t, w, 200, "")
	if !strings.Contains(w.Body.String(), `"term":"Copydesk"`) {
		t.Errorf("put: got %s", w.Body.String())
	}
	MustStatus(t, ts.do(t, "PUT", "/v1/glossary", "client", map[string]any{}), 400, "invalid")
	MustStatus(t, ts.do(t, "PUT", "/v1/glossary", "client", map[string]any{"terms": []any{map[string]any{"term": ""}}}), 400, "invalid")
	// A USER reads the glossary but may not change it; nobody sees another
	// customer's.
	MustStatus(t, ts.do(t, "PUT", "/v1/glossary", "user", map[string]any{"terms": []any{}}), 403, "forbidden")
	MustStatus(t, ts.do(t, "GET", "/v1/glossary?customer_id=cus_b", "client", nil), 404, "not_found")
	MustStatus(t, ts.do(t, "GET", "/v1/glossary?customer_id=cus_a", "admin", nil), 200, "")
}

func TestTranslationMemory(t *testing.T) {
	t.Parallel()
	tr := &fakeTranslation{tmx: `<?xml version="1.0"?><tmx version="1.4"></tmx>`}
	ts := MustServer(t, func(s *Server) { s.Translation = tr; s.TMXLimit = 64 })
	w := ts.do(t, "GET", "/v1/translation-memory?source_language=nl", "client", nil)
	MustStatus(t, w, 200, "")
	if w.Body.String() != tr.tmx || !strings.HasPrefix(w.Header().Get("Content-Type"), TMXContentType) ||
		!strings.HasPrefix(w.Header().Get("Content-Disposition"), `attachment; filename="copydesk-cus_a-`) {
		t.Errorf("export: got %q, Content-Type %q, Content-Disposition %q", w.Body.String(), w.Header().Get("Content-Type"), w.Header().Get("Content-Disposition"))
	}
	MustStatus(t, ts.do(t, "GET", "/v1/translation-memory?target_language="+strings.Repeat("x", 20), "client", nil), 400, "invalid")
	MustStatus(t, ts.do(t, "GET", "/v1/translation-memory?customer_id=cus_broken", "admin", nil), 503, "unavailable")

	w = ts.do(t, "POST", "/v1/translation-memory", "client", "<tmx/>", "Content-Type", TMXContentType)
	MustStatus(t, w, 200, "")
	if m := decode(t, w); m["entries"] != float64(2) || tr.imported["cus_a"] != "<tmx/>" {
		t.Errorf("import: got %v, stored %q", m, tr.imported["cus_a"])
	}
	MustStatus(t, ts.do(t, "POST", "/v1/translation-memory", "client", "{}"), 415, "unsupported_media")
	MustStatus(t, ts.do(t, "POST", "/v1/translation-memory", "client", strings.Repeat("x", 100), "Content-Type", "text/xml"), 413, "too_large")
	tr.importErr = copydesk.Errorf(copydesk.EINVALID, "the file is not TMX")
	MustStatus(t, ts.do(t, "POST", "/v1/translation-memory", "client", "<x/>", "Content-Type", "text/xml"), 400, "invalid")

	w = ts.do(t, "DELETE", "/v1/translation-memory?source_language=nl&target_language=en", "client", nil)
	MustStatus(t, w, 200, "")
	if m := decode(t, w); m["deleted"] != float64(3) || len(tr.deleted) != 1 || tr.deleted[0] != (copydesk.TMFilter{CustomerID: "cus_a", SourceLang: "nl", TargetLang: "en"}) {
		t.Errorf("delete: got %v, filters %+v", m, tr.deleted)
	}
	MustStatus(t, ts.do(t, "DELETE", "/v1/translation-memory", "user", nil), 403, "forbidden")
}

func TestBatches(t *testing.T) {
	t.Parallel()
	var bs *fakeBatches
	ts := MustServer(t, func(s *Server) {
		bs = &fakeBatches{jobs: s.Jobs.(*fakeJobs), done: []*copydesk.BulkItem{{Index: 0, Status: "succeeded", Result: json.RawMessage(`{"ok":true}`)}}}
		s.Batches = bs
	})
	w := ts.do(t, "POST", "/v1/batches", "user", map[string]any{"kind": "analysis", "items": []any{map[string]any{"content": "a"}, map[string]any{"content": "b"}}})
	MustStatus(t, w, 202, "")
	m := decode(t, w)
	if w.Header().Get("Location") != "/v1/batches/job_batch_new" || m["url"] != "/v1/batches/job_batch_new" ||
		m["stream_url"] != "/v1/jobs/job_batch_new/events" || m["results_url"] != "/v1/batches/job_batch_new/results.jsonl" ||
		m["total"] != float64(2) || m["priority"] != "LOW" {
		t.Errorf("create: got %v, Location %q", m, w.Header().Get("Location"))
	}
	// JSONL: one item a line, kind in the query.
	w = ts.do(t, "POST", "/v1/batches?kind=analysis", "user", "{\"content\":\"a\"}\n\n{\"content\":\"b\"}\n{\"content\":\"c\"}\n", "Content-Type", "application/jsonl")
	MustStatus(t, w, 202, "")
	if m := decode(t, w); m["total"] != float64(3) {
		t.Errorf("jsonl: got total %v, want 3", m["total"])
	}
	MustStatus(t, ts.do(t, "POST", "/v1/batches?kind=analysis", "user", "{\"content\":\"a\"}\nnot json\n", "Content-Type", "application/x-ndjson"), 400, "invalid")
	MustStatus(t, ts.do(t, "POST", "/v1/batches?kind=analysis", "user", "{\"content\":\"caf\xe9\"}\n", "Content-Type", "application/jsonl"), 422, "unprocessable")

	w = ts.do(t, "GET", "/v1/batches/job_batch_new?offset=0&limit=10", "user", nil)
	MustStatus(t, w, 200, "")
	m = decode(t, w)
	if m["kind"] != "analysis" || m["results_url"] != "/v1/batches/job_batch_new/results.jsonl" || len(m["items"].([]any)) != 1 {
		t.Errorf("get: got %v", m)
	}
	MustStatus(t, ts.do(t, "GET", "/v1/batches/job_batch_new?limit=ten", "user", nil), 400, "invalid")
	MustStatus(t, ts.do(t, "GET", "/v1/batches/job_batch_new?limit=0", "user", nil), 400, "invalid")
	MustStatus(t, ts.do(t, "GET", "/v1/batches/job_batch_new", "other", nil), 404, "not_found")

	w = ts.do(t, "GET", "/v1/batches/job_batch_new/results.jsonl", "user", nil)
	MustStatus(t, w, 200, "")
	if got := w.Body.String(); got != `{"index":0,"status":"succeeded","cached":false,"cost":0,"result":{"ok":true}}`+"\n" ||
		!strings.HasPrefix(w.Header().Get("Content-Type"), "application/jsonl") {
		t.Errorf("results: got %q (%s)", got, w.Header().Get("Content-Type"))
	}

	// A job that is not a batch is no batch.
	ts.jobs.add(&copydesk.Job{ID: "job_plain", Kind: "analysis.deep", CustomerID: "cus_a", UserID: "usr_user", Status: copydesk.JobRunning})
	MustStatus(t, ts.do(t, "GET", "/v1/batches/job_plain", "user", nil), 404, "not_found")
	MustStatus(t, ts.do(t, "DELETE", "/v1/batches/job_plain", "user", nil), 404, "not_found")

	w = ts.do(t, "DELETE", "/v1/batches/job_batch_new", "user", nil)
	MustStatus(t, w, 200, "")
	if m := decode(t, w); m["status"] != "cancelled" || m["items"] != nil {
		t.Errorf("cancel: got %v", m)
	}
	MustStatus(t, ts.do(t, "DELETE", "/v1/batches/job_batch_new", "user", nil), 409, "conflict")

	bs.err = copydesk.Errorf(copydesk.EINVALID, "items[1]: content is required")
	MustStatus(t, ts.do(t, "POST", "/v1/batches", "user", map[string]any{"kind": "analysis", "items": []any{map[string]any{}}}), 400, "invalid")
	MustStatus(t, ts.do(t, "GET", "/v1/batches/job_batch_new/results.jsonl", "user", nil), 400, "invalid")
}

func TestJobs(t *testing.T) {
	t.Parallel()
	var listed copydesk.JobFilter
	ts := MustServer(t, func(s *Server) {
		s.JobList = func(_ context.Context, f copydesk.JobFilter) ([]*copydesk.Job, int, error) {
			listed = f
			return []*copydesk.Job{{ID: "job_done", Kind: "analysis.deep", Status: copydesk.JobSucceeded}}, 1, nil
		}
	})
	done := &copydesk.Job{ID: "job_done", Kind: "analysis.deep", CustomerID: "cus_a", UserID: "usr_user", Status: copydesk.JobSucceeded, Result: json.RawMessage(`{"ok":1}`)}
	ts.jobs.add(done,
		&copydesk.Event{JobID: "job_done", Seq: 1, Type: "task.delta", Data: json.RawMessage(`{"text":"<script>"}`)},
		&copydesk.Event{JobID: "job_done", Seq: 2, Type: copydesk.EventDone, Data: json.RawMessage(`{"status":"succeeded"}`)})
	ts.jobs.add(&copydesk.Job{ID: "job_run", Kind: "generation", CustomerID: "cus_a", UserID: "usr_user", Status: copydesk.JobRunning})

	w := ts.do(t, "GET", "/v1/jobs/job_done", "user", nil)
	MustStatus(t, w, 200, "")
	etag := w.Header().Get("ETag")
	if m := decode(t, w); m["stream_url"] != "/v1/jobs/job_done/events" || etag == "" || !strings.Contains(w.Header().Get("Cache-Control"), "immutable") {
		t.Errorf("finished job: got %v, ETag %q", m, etag)
	}
	MustStatus(t, ts.do(t, "GET", "/v1/jobs/job_done", "user", nil, "If-None-Match", etag), 304, "")
	w = ts.do(t, "GET", "/v1/jobs/job_run", "client", nil)
	MustStatus(t, w, 200, "")
	if w.Header().Get("Cache-Control") != "no-store" || w.Header().Get("ETag") != "" {
		t.Errorf("running job: Cache-Control %q ETag %q, want no-store and none", w.Header().Get("Cache-Control"), w.Header().Get("ETag"))
	}
	MustStatus(t, ts.do(t, "GET", "/v1/jobs/job_run", "other", nil), 404, "not_found")
	MustStatus(t, ts.do(t, "GET", "/v1/jobs/job_nope", "admin", nil), 404, "not_found")

	MustStatus(t, ts.do(t, "DELETE", "/v1/jobs/job_done", "user", nil), 409, "conflict")
	MustStatus(t, ts.do(t, "DELETE", "/v1/jobs/job_run", "other", nil), 404, "not_found")
	w = ts.do(t, "DELETE", "/v1/jobs/job_run", "user", nil)
	MustStatus(t, w, 200, "")
	if m := decode(t, w); m["status"] != "cancelled" {
		t.Errorf("cancel: got %v", m)
	}

	// The stream of a finished job: every event, then it ends.
	w = ts.do(t, "GET", "/v1/jobs/job_done/events", "user", nil)
	MustStatus(t, w, 200, "")
	want := "retry: 2000\n\nid: 1\nevent: task.delta\ndata: {\"text\":\"<script>\"}\n\nid: 2\nevent: done\ndata: {\"status\":\"succeeded\"}\n\n"
	if w.Body.String() != want || w.Header().Get("Content-Type") != "text/event-stream" {
		t.Errorf("stream: got %q (%s), want %q", w.Body.String(), w.Header().Get("Content-Type"), want)
	}
	// Resumed after the last event: nothing more, and it ends.
	w = ts.do(t, "GET", "/v1/jobs/job_done/events", "user", nil, "Last-Event-ID", "2")
	if w.Body.String() != "retry: 2000\n\n" {
		t.Errorf("resumed stream: got %q", w.Body.String())
	}
	w = ts.do(t, "GET", "/v1/jobs/job_done/events?last_event_id=1", "user", nil)
	if !strings.Contains(w.Body.String(), "id: 2\n") || strings.Contains(w.Body.String(), "id: 1\n") {
		t.Errorf("resumed with the query: got %q", w.Body.String())
	}
	MustStatus(t, ts.do(t, "GET", "/v1/jobs/job_done/events", "user", nil, "Last-Event-ID", "-3"), 400, "invalid")
	MustStatus(t, ts.do(t, "GET", "/v1/jobs/job_done/events", "other", nil), 404, "not_found")

	// The list: a USER's own jobs of its customer.
	w = ts.do(t, "GET", "/v1/jobs?status=succeeded&limit=10&offset=5", "user", nil)
	MustStatus(t, w, 200, "")
	if listed.CustomerID == nil || *listed.CustomerID != "cus_a" || listed.UserID == nil || *listed.UserID != "usr_user" ||
		listed.Status == nil || *listed.Status != copydesk.JobSucceeded || listed.Limit != 10 || listed.Offset != 5 {
		t.Errorf("filter: got %+v", listed)
	}
	if m := decode(t, w); m["total"] != float64(1) {
		t.Errorf("list: got %v", m)
	}
	w = ts.do(t, "GET", "/v1/jobs", "admin", nil)
	MustStatus(t, w, 200, "")
	if listed.CustomerID != nil || listed.UserID != nil {
		t.Errorf("admin filter: got %+v, want every customer", listed)
	}
	MustStatus(t, ts.do(t, "GET", "/v1/jobs?status=lost", "user", nil), 400, "invalid")
	MustStatus(t, ts.do(t, "GET", "/v1/jobs?limit=500", "user", nil), 400, "invalid")
	MustStatus(t, ts.do(t, "GET", "/v1/jobs?customer_id=cus_b", "client", nil), 404, "not_found")
	MustStatus(t, MustServer(t, nil).do(t, "GET", "/v1/jobs", "user", nil), 503, "unavailable")
}

// TestURLs: the URLs of the answers are the http package's own, built from
// the IDs the services return.
func TestURLs(t *testing.T) {
	t.Parallel()
	if jobURL("j") != "/v1/jobs/j" || streamURL("j") != "/v1/jobs/j/events" || resultURL("k") != "/v1/analyses/k" {
		t.Errorf("got %s %s %s", jobURL("j"), streamURL("j"), resultURL("k"))
	}
	u, s, r := batchURLs("b")
	if u != "/v1/batches/b" || s != "/v1/jobs/b/events" || r != "/v1/batches/b/results.jsonl" {
		t.Errorf("batch: got %s %s %s", u, s, r)
	}
}
