package simulator

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// antBatchBody is a message batch creation of one request per params.
func antBatchBody(prefix string, params ...string) string {
	var reqs []string
	for i, p := range params {
		reqs = append(reqs, fmt.Sprintf(`{"custom_id":"%s%d","params":%s}`, prefix, i, p))
	}
	return `{"requests":[` + strings.Join(reqs, ",") + `]}`
}

const antParams = `{"model":"claude-sim","max_tokens":100,"system":"Be kind.","messages":[{"role":"user","content":"hello world"}]}`

// antDo sends a raw request with an Anthropic key to the server at base and
// decodes a JSON answer into v (when v is not nil).
func antDo(t *testing.T, method, url, body string, v any) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("x-api-key", "test-key")
	req.Header.Set("anthropic-version", "2023-06-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if v != nil {
		defer resp.Body.Close()
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatalf("%s %s: decode: %v", method, url, err)
		}
	}
	return resp
}

// antBatchObject is the message_batch object as the API documents it.
type antBatchObject struct {
	ID                string         `json:"id"`
	Type              string         `json:"type"`
	ProcessingStatus  string         `json:"processing_status"`
	RequestCounts     map[string]int `json:"request_counts"`
	CreatedAt         time.Time      `json:"created_at"`
	ExpiresAt         time.Time      `json:"expires_at"`
	EndedAt           *time.Time     `json:"ended_at"`
	CancelInitiatedAt *time.Time     `json:"cancel_initiated_at"`
	ResultsURL        *string        `json:"results_url"`
}

// antResultLines fetches url and decodes its JSON lines.
func antResultLines(t *testing.T, url string) []map[string]any {
	t.Helper()
	resp := antDo(t, http.MethodGet, url, "", nil)
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get(SimulatedHeader) != "true" {
		t.Fatalf("GET %s: got %d (simulated %q), want 200 simulated", url, resp.StatusCode, resp.Header.Get(SimulatedHeader))
	}
	var out []map[string]any
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("results line %q: %v", sc.Text(), err)
		}
		out = append(out, line)
	}
	return out
}

func TestAnthropicBatchWireFormat(t *testing.T) {
	s := NewServer(Options{Batch: BatchBehaviour{Delay: time.Hour}})
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()

	body := antBatchBody("req_", antParams, `{"model":"claude-sim","messages":[{"role":"user","content":"no max_tokens"}]}`,
		`{"model":"claude-sim","max_tokens":10,"stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	var created antBatchObject
	if resp := antDo(t, http.MethodPost, ts.URL+"/v1/messages/batches", body, &created); resp.StatusCode != 200 {
		t.Fatalf("create: got %d, want 200", resp.StatusCode)
	}
	if !strings.HasPrefix(created.ID, "msgbatch_") || created.Type != "message_batch" || created.ProcessingStatus != "in_progress" ||
		created.RequestCounts["processing"] != 3 || created.ResultsURL != nil || created.EndedAt != nil ||
		created.ExpiresAt.Sub(created.CreatedAt) != 24*time.Hour {
		t.Fatalf("created: got %+v, want an in_progress message_batch of 3 requests, expiring 24 h after creation, without results", created)
	}
	if resp := antDo(t, http.MethodGet, ts.URL+"/v1/messages/batches/"+created.ID+"/results", "", nil); resp.StatusCode != 400 {
		t.Errorf("results while in progress: got %d, want 400", resp.StatusCode)
	}

	s.SetBatch(BatchBehaviour{})
	var ended antBatchObject
	antDo(t, http.MethodGet, ts.URL+"/v1/messages/batches/"+created.ID, "", &ended)
	want := map[string]int{"processing": 0, "succeeded": 1, "errored": 2, "canceled": 0, "expired": 0}
	if ended.ProcessingStatus != "ended" || ended.EndedAt == nil || fmt.Sprint(ended.RequestCounts) != fmt.Sprint(want) {
		t.Fatalf("ended: got %+v, want ended with counts %v", ended, want)
	}
	// The results are at the results_url, on the simulator's own host.
	if ended.ResultsURL == nil || *ended.ResultsURL != ts.URL+"/v1/messages/batches/"+created.ID+"/results" {
		t.Fatalf("got results_url %v, want one on %s", ended.ResultsURL, ts.URL)
	}
	lines := antResultLines(t, *ended.ResultsURL)
	if len(lines) != 3 {
		t.Fatalf("got %d result lines, want 3", len(lines))
	}
	for i, line := range lines {
		if line["custom_id"] != fmt.Sprintf("req_%d", i) {
			t.Errorf("line %d: got custom_id %v, want req_%d", i, line["custom_id"], i)
		}
	}
	var ok struct {
		Result struct {
			Type    string `json:"type"`
			Message struct {
				ID, Type, Role, Model string
				StopReason            string `json:"stop_reason"`
				Content               []struct{ Type, Text string }
				Usage                 struct {
					InputTokens  int `json:"input_tokens"`
					OutputTokens int `json:"output_tokens"`
				}
			} `json:"message"`
		} `json:"result"`
	}
	raw, _ := json.Marshal(lines[0])
	_ = json.Unmarshal(raw, &ok)
	m := ok.Result.Message
	if ok.Result.Type != "succeeded" || m.Type != "message" || m.Role != "assistant" || m.Model != "claude-sim" || m.StopReason != "end_turn" ||
		len(m.Content) != 1 || m.Content[0].Type != "text" || !strings.HasPrefix(m.Content[0].Text, SimulatedPrefix) ||
		m.Usage.InputTokens != 4 || m.Usage.OutputTokens != countWords(m.Content[0].Text) {
		t.Errorf("succeeded result: got %s, want a simulated message with usage (4 input tokens)", raw)
	}
	for i, wantMsg := range map[int]string{1: "max_tokens", 2: "stream"} {
		var e struct {
			Result struct {
				Type  string `json:"type"`
				Error struct {
					Type  string `json:"type"`
					Error struct{ Type, Message string }
				} `json:"error"`
			} `json:"result"`
		}
		raw, _ := json.Marshal(lines[i])
		_ = json.Unmarshal(raw, &e)
		if e.Result.Type != "errored" || e.Result.Error.Type != "error" || e.Result.Error.Error.Type != "invalid_request_error" ||
			!strings.HasPrefix(e.Result.Error.Error.Message, SimulatedPrefix) || !strings.Contains(e.Result.Error.Error.Message, wantMsg) {
			t.Errorf("line %d: got %s, want an errored result of type invalid_request_error about %s", i, raw, wantMsg)
		}
	}
	if n, batches := s.BatchRequests(); n != 3 || batches != 1 {
		t.Errorf("got %d requests in %d batches, want 3 in 1", n, batches)
	}
	if reqs := s.Requests(); len(reqs) != 1 || !reqs[0].Batch || reqs[0].Provider != FormatAnthropic || reqs[0].System != "Be kind." {
		t.Errorf("got requests %+v, want the one answered, marked batch", reqs)
	}
}

func TestAnthropicBatchBehaviour(t *testing.T) {
	tests := []struct {
		name   string
		b      BatchBehaviour
		cancel bool
		want   []string // result types in request order
	}{
		{"all answered", BatchBehaviour{}, false, []string{"succeeded", "succeeded", "succeeded", "succeeded"}},
		{"every second fails", BatchBehaviour{FailEvery: 2}, false, []string{"succeeded", "errored", "succeeded", "errored"}},
		{"expired", BatchBehaviour{Expire: true}, false, []string{"expired", "expired", "expired", "expired"}},
		{"canceled", BatchBehaviour{Delay: time.Hour}, true, []string{"canceled", "canceled", "canceled", "canceled"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewServer(Options{Batch: tt.b})
			ts := httptest.NewServer(s.Handler())
			defer ts.Close()
			var b antBatchObject
			antDo(t, http.MethodPost, ts.URL+"/v1/messages/batches", antBatchBody("r", antParams, antParams, antParams, antParams), &b)
			if tt.cancel {
				var c antBatchObject
				antDo(t, http.MethodPost, ts.URL+"/v1/messages/batches/"+b.ID+"/cancel", "", &c)
				if c.ProcessingStatus != "canceling" || c.CancelInitiatedAt == nil {
					t.Fatalf("cancel: got %+v, want canceling", c)
				}
				if resp := antDo(t, http.MethodPost, ts.URL+"/v1/messages/batches/"+b.ID+"/cancel", "", nil); resp.StatusCode != 400 {
					t.Errorf("second cancel: got %d, want 400 (ended)", resp.StatusCode)
				}
			}
			antDo(t, http.MethodGet, ts.URL+"/v1/messages/batches/"+b.ID, "", &b)
			if b.ProcessingStatus != "ended" || b.ResultsURL == nil {
				t.Fatalf("got %+v, want ended with results", b)
			}
			var got []string
			counts := map[string]int{}
			for _, line := range antResultLines(t, *b.ResultsURL) {
				typ := line["result"].(map[string]any)["type"].(string)
				got = append(got, typ)
				counts[typ]++
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got result types %v, want %v", got, tt.want)
			}
			for typ, n := range counts {
				if b.RequestCounts[typ] != n {
					t.Errorf("request_counts.%s: got %d, want %d", typ, b.RequestCounts[typ], n)
				}
			}
		})
	}
}

func TestAnthropicBatchRefusals(t *testing.T) {
	s := NewServer(Options{Keys: []string{"test-key"}})
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	tests := []struct {
		name, method, path, body, key string
		status                        int
		errType                       string
	}{
		{"no key", http.MethodPost, "/v1/messages/batches", antBatchBody("r", antParams), "", 401, "authentication_error"},
		{"wrong key", http.MethodGet, "/v1/messages/batches/msgbatch_sim1", "", "other", 401, "authentication_error"},
		{"not JSON", http.MethodPost, "/v1/messages/batches", "{", "test-key", 400, "invalid_request_error"},
		{"no requests", http.MethodPost, "/v1/messages/batches", `{"requests":[]}`, "test-key", 400, "invalid_request_error"},
		{"bad custom id", http.MethodPost, "/v1/messages/batches", `{"requests":[{"custom_id":"a b","params":` + antParams + `}]}`, "test-key", 400, "invalid_request_error"},
		{"custom id too long", http.MethodPost, "/v1/messages/batches", `{"requests":[{"custom_id":"` + strings.Repeat("a", 65) + `","params":` + antParams + `}]}`, "test-key", 400, "invalid_request_error"},
		{"custom id twice", http.MethodPost, "/v1/messages/batches", `{"requests":[{"custom_id":"a","params":` + antParams + `},{"custom_id":"a","params":` + antParams + `}]}`, "test-key", 400, "invalid_request_error"},
		{"no params", http.MethodPost, "/v1/messages/batches", `{"requests":[{"custom_id":"a"}]}`, "test-key", 400, "invalid_request_error"},
		{"unknown batch", http.MethodGet, "/v1/messages/batches/msgbatch_nope", "", "test-key", 404, "not_found_error"},
		{"results of an unknown batch", http.MethodGet, "/v1/messages/batches/msgbatch_nope/results", "", "test-key", 404, "not_found_error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, ts.URL+tt.path, strings.NewReader(tt.body))
			if tt.key != "" {
				req.Header.Set("x-api-key", tt.key)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			var e antError
			_ = json.Unmarshal(body, &e)
			if resp.StatusCode != tt.status || e.Type != "error" || e.Error.Type != tt.errType || !strings.HasPrefix(e.Error.Message, SimulatedPrefix) {
				t.Errorf("got %d %s, want %d with a simulated %s", resp.StatusCode, body, tt.status, tt.errType)
			}
		})
	}
	if n, batches := s.BatchRequests(); n != 0 || batches != 0 {
		t.Errorf("got %d requests in %d batches, want none", n, batches)
	}
}

// TestAnthropicBatchDuplicates counts a custom id sent again in a later
// batch, as for OpenAI batches.
func TestAnthropicBatchDuplicates(t *testing.T) {
	s := NewServer(Options{})
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	antDo(t, http.MethodPost, ts.URL+"/v1/messages/batches", antBatchBody("r", antParams, antParams), nil).Body.Close()
	if n := s.BatchDuplicates(); n != 0 {
		t.Fatalf("after one batch: got %d duplicates, want 0", n)
	}
	antDo(t, http.MethodPost, ts.URL+"/v1/messages/batches", antBatchBody("r", antParams), nil).Body.Close()
	if n := s.BatchDuplicates(); n != 1 {
		t.Errorf("after r0 again: got %d duplicates, want 1", n)
	}
	if n, batches := s.BatchRequests(); n != 3 || batches != 2 {
		t.Errorf("got %d requests in %d batches, want 3 in 2", n, batches)
	}
}
