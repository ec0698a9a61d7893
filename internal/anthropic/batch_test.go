package anthropic_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/copydesk/copydesk/internal/anthropic"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/providertest"
)

// batchKey is a custom id of the form the batch tier gives (batchtier.Key:
// "cd" and 46 hex digits).
func batchKey(i int) string {
	return fmt.Sprintf("cd%046x", i+1)
}

func batchReqs(n int) []copydesk.BatchRequest {
	var reqs []copydesk.BatchRequest
	for i := range n {
		reqs = append(reqs, copydesk.BatchRequest{CustomID: batchKey(i),
			Request: copydesk.ModelRequest{System: "Be brief.", Messages: []copydesk.Message{{Role: "user", Content: "say " + string(rune('a'+i))}}, MaxTokens: 50}})
	}
	return reqs
}

// cancelBatch cancels a message batch with a raw request, as an operator
// might in Anthropic's console (the adapter never cancels).
func cancelBatch(t *testing.T, baseURL, id string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, baseURL+"/v1/messages/batches/"+id+"/cancel", nil)
	req.Header.Set("x-api-key", "k")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b struct {
		ProcessingStatus string `json:"processing_status"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&b); err != nil || resp.StatusCode != 200 || b.ProcessingStatus != "canceling" {
		t.Fatalf("cancel: got %d %q (%v), want 200 canceling", resp.StatusCode, b.ProcessingStatus, err)
	}
}

func TestBatchAgainstTheFake(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		b          providertest.BatchBehaviour
		cancel     bool
		ok, failed int
		failKind   copydesk.ProviderErrorKind
	}{
		{"completed", providertest.BatchBehaviour{}, false, 4, 0, ""},
		{"partial failures", providertest.BatchBehaviour{FailEvery: 2}, false, 2, 2, copydesk.ProviderServer},
		{"expired", providertest.BatchBehaviour{Expire: true}, false, 0, 4, copydesk.ProviderTimeout},
		{"canceled", providertest.BatchBehaviour{}, true, 0, 4, copydesk.ProviderServer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := providertest.NewTestServer(t, providertest.Options{})
			b := tt.b
			b.Delay = time.Hour
			srv.SetBatch(b)
			c := MustNew(t, anthropic.Config{Name: "an", APIKey: "k", BaseURL: srv.URL})
			id, err := c.SubmitBatch(ctx, "bsub_"+tt.name, "claude-sim", batchReqs(4))
			if err != nil {
				t.Fatalf("SubmitBatch: %v", err)
			}
			if !strings.HasPrefix(id, "msgbatch_") {
				t.Errorf("got batch id %q, want msgbatch_…", id)
			}
			st, err := c.PollBatch(ctx, id)
			if err != nil || st.Done || st.Status != "in_progress" {
				t.Fatalf("PollBatch while running: got %+v, %v; want in_progress", st, err)
			}
			if tt.cancel {
				cancelBatch(t, srv.URL, id)
			} else {
				b.Delay = 0 // ends the batch already created
				srv.SetBatch(b)
			}
			st, err = c.PollBatch(ctx, id)
			if err != nil || !st.Done || st.Status != "ended" {
				t.Fatalf("PollBatch: got %+v, %v; want done, ended", st, err)
			}
			var ok, failed int
			seen := map[string]bool{}
			for _, r := range st.Results {
				seen[r.CustomID] = true
				switch {
				case r.Err != nil:
					failed++
					if r.Err.Kind != tt.failKind || r.Err.Provider != "an" || r.Err.Message == "" {
						t.Errorf("%s: got error %+v, want kind %s from an with a message", r.CustomID, r.Err, tt.failKind)
					}
				case r.Response != nil:
					ok++
					want := providertest.Tokens(providertest.Request{System: "Be brief.", Messages: []copydesk.Message{{Role: "user", Content: "say x"}}}, r.Response.Text)
					if !strings.HasPrefix(r.Response.Text, providertest.SimulatedPrefix) || r.Response.Model != "claude-sim" ||
						r.Response.FinishReason != "end_turn" || r.Response.Usage != want {
						t.Errorf("%s: got %+v, want a simulated answer of claude-sim, end_turn, usage %+v", r.CustomID, r.Response, want)
					}
				default:
					t.Errorf("%s: a result with neither answer nor error", r.CustomID)
				}
			}
			if ok != tt.ok || failed != tt.failed || len(seen) != 4 {
				t.Errorf("got %d answers and %d failures for %d custom ids, want %d and %d for 4", ok, failed, len(seen), tt.ok, tt.failed)
			}
			if n, batches := srv.BatchRequests(); n != 4 || batches != 1 {
				t.Errorf("fake got %d requests in %d batches, want 4 in 1", n, batches)
			}
			for _, r := range srv.Requests() {
				if !r.Batch || r.Provider != providertest.FormatAnthropic || r.System != "Be brief." || r.MaxTokens != 50 {
					t.Errorf("fake answered %+v, want a batch request in Anthropic's format with the system prompt and max_tokens", r)
				}
			}
		})
	}
}

// TestBatchStructuredOutput reads a structured answer from a batch as the
// live call reads it: the forced tool's input (tool mode) or the text
// (native mode).
func TestBatchStructuredOutput(t *testing.T) {
	schema := json.RawMessage(`{"type":"object","properties":{"title":{"type":"string"}},"required":["title"]}`)
	for _, mode := range []string{anthropic.StructuredTool, anthropic.StructuredNative} {
		t.Run(mode, func(t *testing.T) {
			srv := providertest.NewTestServer(t, providertest.Options{})
			c := MustNew(t, anthropic.Config{APIKey: "k", BaseURL: srv.URL, StructuredOutput: mode})
			req := copydesk.ModelRequest{Messages: []copydesk.Message{{Role: "user", Content: "title?"}}, JSONSchema: schema, SchemaName: "page title"}
			id, err := c.SubmitBatch(context.Background(), "bsub_x", "claude-sim", []copydesk.BatchRequest{{CustomID: batchKey(0), Request: req}})
			if err != nil {
				t.Fatal(err)
			}
			st, err := c.PollBatch(context.Background(), id)
			if err != nil || !st.Done || len(st.Results) != 1 || st.Results[0].Response == nil {
				t.Fatalf("PollBatch: got %+v, %v; want one answer", st, err)
			}
			req.Model = "claude-sim"
			live, err := c.Complete(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			got := st.Results[0].Response
			if got.Text != live.Text || got.FinishReason != live.FinishReason || got.Usage != live.Usage {
				t.Errorf("batch answer %+v, want the live answer %+v", got, live)
			}
			var v map[string]any
			if err := json.Unmarshal([]byte(got.Text), &v); err != nil || v["title"] == nil {
				t.Errorf("got text %q, want a JSON object with a title", got.Text)
			}
		})
	}
}

// recorder keeps the raw bodies of the Messages calls and batch creations
// that pass through it to h.
type recorder struct {
	h       http.Handler
	mu      sync.Mutex
	live    []map[string]any // bodies of POST /v1/messages
	batches []map[string]any // bodies of POST /v1/messages/batches
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	var v map[string]any
	_ = json.Unmarshal(body, &v)
	rec.mu.Lock()
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v1/messages":
		rec.live = append(rec.live, v)
	case r.Method == http.MethodPost && r.URL.Path == "/v1/messages/batches":
		rec.batches = append(rec.batches, v)
	}
	rec.mu.Unlock()
	rec.h.ServeHTTP(w, r)
}

// TestBatchParamsAreTheLiveCallsParams sends each request live and in a
// batch and compares the JSON the provider got: a batch request's params
// must be the live call's body, field for field.
func TestBatchParamsAreTheLiveCallsParams(t *testing.T) {
	temp := 0.3
	user := []copydesk.Message{{Role: "user", Content: "hello"}}
	schema := json.RawMessage(`{"type":"object","properties":{"a":{"type":"string"}},"required":["a"],"additionalProperties":false}`)
	tests := []struct {
		name string
		cfg  anthropic.Config
		req  copydesk.ModelRequest
	}{
		{"plain", anthropic.Config{}, copydesk.ModelRequest{Messages: user}},
		{"system, conversation and max tokens", anthropic.Config{}, copydesk.ModelRequest{System: "Be brief.", MaxTokens: 300,
			Messages: []copydesk.Message{{Role: "system", Content: "Use Dutch."}, {Role: "user", Content: "hi"}, {Role: "assistant", Content: "hallo"}, {Role: "user", Content: "again"}}}},
		{"temperature", anthropic.Config{}, copydesk.ModelRequest{Messages: user, Temperature: &temp}},
		{"temperature ignored", anthropic.Config{IgnoreTemperature: true}, copydesk.ModelRequest{Messages: user, Temperature: &temp}},
		{"default max tokens", anthropic.Config{DefaultMaxTokens: 777}, copydesk.ModelRequest{Messages: user}},
		{"tool structured output", anthropic.Config{}, copydesk.ModelRequest{Messages: user, JSONSchema: schema, SchemaName: "answer"}},
		{"native structured output", anthropic.Config{StructuredOutput: anthropic.StructuredNative}, copydesk.ModelRequest{Messages: user, JSONSchema: schema}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{h: providertest.NewServer(providertest.Options{}).Handler()}
			ts := httptest.NewServer(rec)
			defer ts.Close()
			cfg := tt.cfg
			cfg.APIKey, cfg.BaseURL = "k", ts.URL
			c := MustNew(t, cfg)
			req := tt.req
			req.Model = "claude-sim"
			if _, err := c.Complete(context.Background(), req); err != nil {
				t.Fatal(err)
			}
			req.Model = "" // SubmitBatch names the model
			if _, err := c.SubmitBatch(context.Background(), "bsub_x", "claude-sim", []copydesk.BatchRequest{{CustomID: batchKey(0), Request: req}}); err != nil {
				t.Fatal(err)
			}
			if len(rec.live) != 1 || len(rec.batches) != 1 {
				t.Fatalf("got %d live calls and %d batches, want 1 and 1", len(rec.live), len(rec.batches))
			}
			reqs, _ := rec.batches[0]["requests"].([]any)
			if len(reqs) != 1 {
				t.Fatalf("got batch body %v, want one request", rec.batches[0])
			}
			first, _ := reqs[0].(map[string]any)
			if first["custom_id"] != batchKey(0) {
				t.Errorf("got custom_id %v, want %s", first["custom_id"], batchKey(0))
			}
			if diff := cmp.Diff(rec.live[0], first["params"]); diff != "" {
				t.Errorf("batch params differ from the live body (-live +batch):\n%s", diff)
			}
		})
	}
}

func TestSubmitBatchRefusesWhatTheAPIWould(t *testing.T) {
	srv := providertest.NewTestServer(t, providertest.Options{})
	c := MustNew(t, anthropic.Config{APIKey: "k", BaseURL: srv.URL})
	good := batchReqs(1)[0]
	with := func(id string) copydesk.BatchRequest { r := good; r.CustomID = id; return r }
	tests := []struct {
		name string
		reqs []copydesk.BatchRequest
	}{
		{"no requests", nil},
		{"custom id with a space", []copydesk.BatchRequest{with("cd 1")}},
		{"custom id with a dot", []copydesk.BatchRequest{with("cd.1")}},
		{"empty custom id", []copydesk.BatchRequest{with("")}},
		{"custom id of 65 characters", []copydesk.BatchRequest{with(strings.Repeat("a", 65))}},
		{"custom id twice", []copydesk.BatchRequest{good, good}},
		{"request without messages", []copydesk.BatchRequest{{CustomID: "cd1", Request: copydesk.ModelRequest{}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.SubmitBatch(context.Background(), "bsub_x", "claude-sim", tt.reqs)
			providertest.MustProviderError(t, c, err, copydesk.ProviderBadRequest)
		})
	}
	if n, batches := srv.BatchRequests(); n != 0 || batches != 0 {
		t.Errorf("fake got %d requests in %d batches, want none", n, batches)
	}
}

// endedBatch serves one ended message batch, msgbatch_1, whose results are
// results, on a server of its own: results the simulator never sends.
func endedBatch(t *testing.T, results string) *anthropic.Client {
	t.Helper()
	mux := http.NewServeMux()
	var base string
	mux.HandleFunc("GET /v1/messages/batches/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":%q,"type":"message_batch","processing_status":"ended","request_counts":{"processing":0,"succeeded":1,"errored":0,"canceled":0,"expired":0},`+
			`"created_at":"2026-12-07T05:00:00Z","expires_at":"2026-12-08T05:00:00Z","ended_at":"2026-12-07T05:10:00Z","archived_at":null,"cancel_initiated_at":null,"results_url":%q}`,
			r.PathValue("id"), base+"/v1/messages/batches/"+r.PathValue("id")+"/results")
	})
	mux.HandleFunc("GET /v1/messages/batches/msgbatch_1/results", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-jsonl")
		io.WriteString(w, results)
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	base = ts.URL
	return MustNew(t, anthropic.Config{Name: "an", APIKey: "test-key", BaseURL: ts.URL})
}

func TestPollBatchReadsEveryResult(t *testing.T) {
	msg := func(content, stop string) string {
		return `{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-5","content":[` + content + `],"stop_reason":"` + stop + `","stop_sequence":null,` +
			`"usage":{"input_tokens":10,"output_tokens":7,"cache_read_input_tokens":5,"cache_creation_input_tokens":3}}`
	}
	errored := func(typ string) string {
		return `{"type":"errored","error":{"type":"error","error":{"type":"` + typ + `","message":"it went wrong"}}}`
	}
	tests := []struct {
		name   string
		result string
		want   *copydesk.ModelResponse
		kind   copydesk.ProviderErrorKind
	}{
		{"text with the prompt cache's tokens", `{"type":"succeeded","message":` + msg(`{"type":"text","text":"Hallo "},{"type":"text","text":"wereld"}`, "end_turn") + `}`,
			&copydesk.ModelResponse{Text: "Hallo wereld", Model: "claude-sonnet-5", FinishReason: "end_turn", Usage: copydesk.Usage{InputTokens: 18, OutputTokens: 7, CachedTokens: 5}}, ""},
		{"tool answer", `{"type":"succeeded","message":` + msg(`{"type":"tool_use","id":"toolu_1","name":"answer","input":{"a":"b"}}`, "tool_use") + `}`,
			&copydesk.ModelResponse{Text: `{"a":"b"}`, Model: "claude-sonnet-5", FinishReason: "tool_use", Usage: copydesk.Usage{InputTokens: 18, OutputTokens: 7, CachedTokens: 5}}, ""},
		{"cut at max tokens", `{"type":"succeeded","message":` + msg(`{"type":"text","text":"Hal"}`, "max_tokens") + `}`,
			&copydesk.ModelResponse{Text: "Hal", Model: "claude-sonnet-5", FinishReason: "max_tokens", Usage: copydesk.Usage{InputTokens: 18, OutputTokens: 7, CachedTokens: 5}}, ""},
		{"answer without text", `{"type":"succeeded","message":` + msg(``, "end_turn") + `}`, nil, copydesk.ProviderInvalid},
		{"api error", errored("api_error"), nil, copydesk.ProviderServer},
		{"overloaded", errored("overloaded_error"), nil, copydesk.ProviderOverloaded},
		{"invalid request", errored("invalid_request_error"), nil, copydesk.ProviderBadRequest},
		{"not found", errored("not_found_error"), nil, copydesk.ProviderBadRequest},
		{"rate limited", errored("rate_limit_error"), nil, copydesk.ProviderRateLimited},
		{"billing", errored("billing_error"), nil, copydesk.ProviderAuth},
		{"unknown error type", errored("cosmic_ray_error"), nil, copydesk.ProviderServer},
		{"expired", `{"type":"expired"}`, nil, copydesk.ProviderTimeout},
		{"canceled", `{"type":"canceled"}`, nil, copydesk.ProviderServer},
		{"unknown result type", `{"type":"postponed"}`, nil, copydesk.ProviderInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := endedBatch(t, `{"custom_id":"cd1","result":`+tt.result+"}\n")
			st, err := c.PollBatch(context.Background(), "msgbatch_1")
			if err != nil || !st.Done || len(st.Results) != 1 {
				t.Fatalf("PollBatch: got %+v, %v; want done with one result", st, err)
			}
			r := st.Results[0]
			if r.CustomID != "cd1" {
				t.Errorf("got custom id %q, want cd1", r.CustomID)
			}
			if tt.want != nil {
				if r.Err != nil {
					t.Fatalf("got error %v, want an answer", r.Err)
				}
				if diff := cmp.Diff(tt.want, r.Response); diff != "" {
					t.Errorf("answer (-want +got):\n%s", diff)
				}
				return
			}
			if r.Err == nil || r.Response != nil {
				t.Fatalf("got %+v, want an error of kind %s", r, tt.kind)
			}
			providertest.MustProviderError(t, c, r.Err, tt.kind)
		})
	}
}

func TestPollBatchUnreadableResults(t *testing.T) {
	ok := `{"custom_id":"cd1","result":{"type":"expired"}}` + "\n"
	tests := []struct {
		name, results string
	}{
		{"not JSON", ok + "this is not json\n"},
		{"cut line", ok + `{"custom_id":"cd2","result":{"type":"succ`},
		{"wrong shape", ok + `["cd2","expired"]` + "\n"},
		{"empty line", ok + "\n" + ok},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := endedBatch(t, tt.results)
			st, err := c.PollBatch(context.Background(), "msgbatch_1")
			if st != nil {
				t.Errorf("got state %+v, want none", st)
			}
			pe := providertest.MustProviderError(t, c, err, copydesk.ProviderInvalid)
			if !strings.Contains(pe.Message, "line 2") {
				t.Errorf("got message %q, want it to name line 2", pe.Message)
			}
		})
	}
}

func TestPollBatchOfAnUnknownBatch(t *testing.T) {
	srv := providertest.NewTestServer(t, providertest.Options{})
	c := MustNew(t, anthropic.Config{APIKey: "k", BaseURL: srv.URL})
	_, err := c.PollBatch(context.Background(), "msgbatch_nope")
	pe := providertest.MustProviderError(t, c, err, copydesk.ProviderBadRequest)
	if pe.Status != http.StatusNotFound {
		t.Errorf("got status %d, want 404", pe.Status)
	}
}

// TestMatchBatch finds a message batch again by its requests' custom ids:
// not while a batch of the same size is in progress (a wait), then the
// batch that holds them; keys no batch holds, or of another size, find
// nothing. The list is read across pages.
func TestMatchBatch(t *testing.T) {
	ctx := context.Background()
	srv := providertest.NewTestServer(t, providertest.Options{})
	srv.SetBatch(providertest.BatchBehaviour{Delay: time.Hour})
	c := MustNew(t, anthropic.Config{Name: "an", APIKey: "k", BaseURL: srv.URL})
	since := time.Now().Add(-time.Minute)
	reqs := batchReqs(3)
	id, err := c.SubmitBatch(ctx, "bsub_1", "claude-sim", reqs)
	if err != nil {
		t.Fatal(err)
	}
	// 120 more batches of one request each: the list has two pages.
	for i := range 120 {
		one := batchReqs(4)[3:]
		one[0].CustomID = fmt.Sprintf("cdother%041d", i)
		if _, err := c.SubmitBatch(ctx, "bsub_other", "claude-sim", one); err != nil {
			t.Fatal(err)
		}
	}
	keys := []string{reqs[0].CustomID, reqs[1].CustomID, reqs[2].CustomID}
	if got, err := c.MatchBatch(ctx, keys, since); got != "" {
		t.Fatalf("while in progress: got %q, %v; want no batch and a wait", got, err)
	} else if _, ok := copydesk.IsWait(err); !ok {
		t.Fatalf("while in progress: got %v, want a *copydesk.WaitError", err)
	}
	if got, err := c.MatchBatch(ctx, []string{"cdnone1", "cdnone2"}, since); err != nil || got != "" {
		t.Errorf("keys of a size no batch has: got %q, %v; want none, no wait", got, err)
	}
	srv.SetBatch(providertest.BatchBehaviour{}) // every batch ends
	if got, err := c.MatchBatch(ctx, keys, since); err != nil || got != id {
		t.Errorf("after the end: got %q, %v; want %s", got, err, id)
	}
	if got, err := c.MatchBatch(ctx, []string{"cdnone1", "cdnone2", "cdnone3"}, since); err != nil || got != "" {
		t.Errorf("keys no batch holds: got %q, %v; want none", got, err)
	}
	if got, err := c.MatchBatch(ctx, keys, time.Now().Add(time.Minute)); err != nil || got != "" {
		t.Errorf("since after every batch: got %q, %v; want none", got, err)
	}
}
