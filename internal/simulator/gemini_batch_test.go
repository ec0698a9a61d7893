package simulator

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// gemBatchBody is a batchGenerateContent body of one request per prompt,
// each with metadata {"key": key}.
func gemBatchBody(name string, keys ...string) string {
	var reqs []string
	for _, k := range keys {
		reqs = append(reqs, `{"request":{"contents":[{"role":"user","parts":[{"text":"say `+k+`"}]}],"systemInstruction":{"parts":[{"text":"be brief"}]},"generationConfig":{"maxOutputTokens":40}},"metadata":{"key":"`+k+`"}}`)
	}
	return `{"batch":{"displayName":"` + name + `","inputConfig":{"requests":{"requests":[` + strings.Join(reqs, ",") + `]}}}}`
}

func get(h http.Handler, path string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	r.Header.Set("x-goog-api-key", "test-key")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// gemOp is the part of a batch operation the tests read.
type gemOp struct {
	Name     string `json:"name"`
	Done     bool   `json:"done"`
	Metadata struct {
		Type        string `json:"@type"`
		Model       string `json:"model"`
		DisplayName string `json:"displayName"`
		State       string `json:"state"`
		CreateTime  string `json:"createTime"`
		Output      *struct {
			InlinedResponses struct {
				InlinedResponses []struct {
					Response *gemResponse      `json:"response"`
					Error    *gemStatus        `json:"error"`
					Metadata map[string]string `json:"metadata"`
				} `json:"inlinedResponses"`
			} `json:"inlinedResponses"`
		} `json:"output"`
	} `json:"metadata"`
	Response json.RawMessage `json:"response"`
}

func mustOp(t *testing.T, w *httptest.ResponseRecorder) gemOp {
	t.Helper()
	if w.Code != http.StatusOK {
		t.Fatalf("got status %d (%s), want 200", w.Code, w.Body)
	}
	var op gemOp
	if err := json.Unmarshal(w.Body.Bytes(), &op); err != nil {
		t.Fatalf("not a batch operation: %v: %s", err, w.Body)
	}
	return op
}

func TestGeminiBatchWireFormat(t *testing.T) {
	s := NewServer(Options{Batch: BatchBehaviour{Delay: time.Hour, FailEvery: 3}})
	h := s.Handler()
	op := mustOp(t, post(h, "/v1beta/models/gemini-sim:batchGenerateContent", gemBatchBody("sub_1", "a", "b", "c")))
	if !strings.HasPrefix(op.Name, "batches/") || op.Done || op.Metadata.State != "BATCH_STATE_RUNNING" || op.Metadata.Output != nil ||
		op.Metadata.DisplayName != "sub_1" || op.Metadata.Model != "models/gemini-sim" || !strings.HasSuffix(op.Metadata.Type, ".GenerateContentBatch") {
		t.Fatalf("created: got %+v, want a running batches/… operation of models/gemini-sim named sub_1 without output", op)
	}
	if _, err := time.Parse(time.RFC3339Nano, op.Metadata.CreateTime); err != nil {
		t.Errorf("createTime %q: %v", op.Metadata.CreateTime, err)
	}
	if got := mustOp(t, get(h, "/v1beta/"+op.Name)); got.Done || got.Metadata.State != "BATCH_STATE_RUNNING" {
		t.Errorf("polled within the delay: got %+v, want running", got)
	}
	s.SetBatch(BatchBehaviour{FailEvery: 3})
	got := mustOp(t, get(h, "/v1beta/"+op.Name))
	if !got.Done || got.Metadata.State != "BATCH_STATE_SUCCEEDED" || got.Metadata.Output == nil || len(got.Response) == 0 {
		t.Fatalf("polled after the delay: got %+v, want a succeeded operation with output and response", got)
	}
	out := got.Metadata.Output.InlinedResponses.InlinedResponses
	if len(out) != 3 {
		t.Fatalf("got %d inlined responses, want 3", len(out))
	}
	for i, key := range []string{"a", "b", "c"} {
		r := out[i]
		if r.Metadata["key"] != key {
			t.Errorf("response %d: got metadata %v, want key %s (request order, metadata echoed)", i, r.Metadata, key)
		}
		if i == 2 {
			if r.Error == nil || r.Error.Code != 13 || r.Response != nil || !strings.HasPrefix(r.Error.Message, SimulatedPrefix) {
				t.Errorf("response 3 (FailEvery 3): got %+v, want only a simulated error with google.rpc.Code 13", r)
			}
			continue
		}
		if r.Error != nil || r.Response == nil || len(r.Response.Candidates) != 1 || r.Response.UsageMetadata.PromptTokenCount == 0 ||
			!strings.HasPrefix(r.Response.Candidates[0].Content.Parts[0].Text, SimulatedPrefix+`Reply to "say `+key+`"`) {
			t.Errorf("response %d: got %+v, want the simulated answer to \"say %s\" with usage", i, r, key)
		}
	}
	reqs := s.Requests()
	if len(reqs) != 2 || !reqs[0].Batch || reqs[0].System != "be brief" || reqs[0].MaxTokens != 40 || reqs[0].Model != "gemini-sim" {
		t.Errorf("got requests %+v, want the 2 answered ones, marked batch, with system and max tokens", reqs)
	}

	// A second and third batch: one custom id again; the list pages newest first.
	mustOp(t, post(h, "/v1beta/models/gemini-sim:batchGenerateContent", gemBatchBody("sub_2", "c", "d")))
	third := mustOp(t, post(h, "/v1beta/models/gemini-sim:batchGenerateContent", gemBatchBody("sub_3", "e")))
	if n, batches := s.BatchRequests(); n != 6 || batches != 3 {
		t.Errorf("BatchRequests: got %d in %d, want 6 in 3", n, batches)
	}
	if d := s.BatchDuplicates(); d != 1 {
		t.Errorf("BatchDuplicates: got %d, want 1", d)
	}
	var page struct {
		Operations    []gemOp `json:"operations"`
		NextPageToken string  `json:"nextPageToken"`
	}
	if err := json.Unmarshal(get(h, "/v1beta/batches?pageSize=2").Body.Bytes(), &page); err != nil || len(page.Operations) != 2 ||
		page.Operations[0].Name != third.Name || page.Operations[1].Metadata.DisplayName != "sub_2" || page.NextPageToken == "" {
		t.Fatalf("list page 1: got %+v (%v), want sub_3 and sub_2 and a next page token", page, err)
	}
	tok := page.NextPageToken
	page.NextPageToken = ""
	if err := json.Unmarshal(get(h, "/v1beta/batches?pageSize=2&pageToken="+tok).Body.Bytes(), &page); err != nil || len(page.Operations) != 1 ||
		page.Operations[0].Name != op.Name || page.NextPageToken != "" {
		t.Fatalf("list page 2: got %+v (%v), want sub_1 and no next page", page, err)
	}
}

func TestGeminiBatchExpires(t *testing.T) {
	s := NewServer(Options{Batch: BatchBehaviour{Expire: true}})
	op := mustOp(t, post(s.Handler(), "/v1beta/models/gemini-sim:batchGenerateContent", gemBatchBody("sub", "a", "b")))
	if !op.Done || op.Metadata.State != "BATCH_STATE_EXPIRED" || op.Metadata.Output != nil || len(op.Response) != 0 {
		t.Errorf("got %+v, want an expired operation without output", op)
	}
	if s.Calls() != 0 {
		t.Errorf("got %d calls answered, want none", s.Calls())
	}
}

func TestGeminiBatchRejects(t *testing.T) {
	s := NewServer(Options{Keys: []string{"test-key"}})
	h := s.Handler()
	tests := []struct {
		name, method, path, body, key string
		status                        int
	}{
		{"not JSON", "POST", "/v1beta/models/m:batchGenerateContent", "{", "test-key", 400},
		{"no display name", "POST", "/v1beta/models/m:batchGenerateContent", gemBatchBody("", "a"), "test-key", 400},
		{"no requests", "POST", "/v1beta/models/m:batchGenerateContent", `{"batch":{"displayName":"x","inputConfig":{"requests":{"requests":[]}}}}`, "test-key", 400},
		{"input file", "POST", "/v1beta/models/m:batchGenerateContent", `{"batch":{"displayName":"x","inputConfig":{"fileName":"files/1"}}}`, "test-key", 400},
		{"wrong key", "POST", "/v1beta/models/m:batchGenerateContent", gemBatchBody("x", "a"), "other", 401},
		{"unknown batch", "GET", "/v1beta/batches/nope", "", "test-key", 404},
		{"list with a wrong key", "GET", "/v1beta/batches", "", "other", 401},
		{"bad page token", "GET", "/v1beta/batches?pageToken=x", "", "test-key", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			r.Header.Set("x-goog-api-key", tt.key)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			var e gemError
			if w.Code != tt.status || json.Unmarshal(w.Body.Bytes(), &e) != nil || e.Error.Code != tt.status || e.Error.Status == "" {
				t.Errorf("got %d %s, want %d with a Gemini error body", w.Code, w.Body, tt.status)
			}
		})
	}
	if n, batches := s.BatchRequests(); n != 0 || batches != 0 {
		t.Errorf("got %d requests in %d batches, want none", n, batches)
	}
}

// Gemini's wire format names no schema: a translation call (live or in a
// batch) is known by its schema's shape and answered by TranslateResponder.
func TestGeminiTranslationCall(t *testing.T) {
	schema := `{"type":"object","additionalProperties":false,"required":["translations"],"properties":{"translations":{"type":"array",` +
		`"items":{"type":"object","required":["n","text"],"properties":{"n":{"type":"integer"},"text":{"type":"string"}}}}}}`
	prompt, _ := json.Marshal(translationPrompt)
	body := `{"contents":[{"role":"user","parts":[{"text":` + string(prompt) + `}]}],` +
		`"generationConfig":{"responseMimeType":"application/json","responseJsonSchema":` + schema + `}}`
	s := NewServer(Options{})
	w := post(s.Handler(), "/v1beta/models/gemini-sim:generateContent", body)
	var resp gemResponse
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || len(resp.Candidates) != 1 {
		t.Fatalf("got %d %s, want one candidate", w.Code, w.Body)
	}
	var out struct {
		Translations []struct {
			N    int    `json:"n"`
			Text string `json:"text"`
		} `json:"translations"`
	}
	text := resp.Candidates[0].Content.Parts[0].Text
	if err := json.Unmarshal([]byte(text), &out); err != nil || len(out.Translations) != 2 || out.Translations[1].Text != "[simulated nl] It costs 19.99 for {name}." {
		t.Errorf("got answer %s, want the simulated translation of both segments", text)
	}
	if isTranslationSchema(json.RawMessage(`{"type":"object","properties":{"translations":{"type":"string"}}}`)) {
		t.Error("a schema whose translations are not a list of n and text was taken for a translation schema")
	}
}
