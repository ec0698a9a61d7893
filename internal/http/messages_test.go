package http

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/copydesk/copydesk/internal/copydesk"
)

func TestMessagesRequest(t *testing.T) {
	t.Parallel()
	temp := 0.5
	for _, tc := range []struct {
		name string
		body string
		want copydesk.ModelRequest
		err  string
	}{
		{
			name: "strings",
			body: `{"model":"claude-opus-5-5","max_tokens":100,"system":"Be brief.","messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"},{"role":"user","content":"Tagline?"}],"temperature":0.5,"metadata":{"user_id":"u"},"top_k":3}`,
			want: copydesk.ModelRequest{Model: "claude-opus-5-5", MaxTokens: 100, System: "Be brief.", Temperature: &temp,
				Messages: []copydesk.Message{{Role: "user", Content: "Hi"}, {Role: "assistant", Content: "Hello"}, {Role: "user", Content: "Tagline?"}}},
		},
		{
			name: "text blocks",
			body: `{"model":"m","max_tokens":5,"system":[{"type":"text","text":"One."},{"type":"text","text":"Two.","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}]}`,
			want: copydesk.ModelRequest{Model: "m", MaxTokens: 5, System: "One.\n\nTwo.", Messages: []copydesk.Message{{Role: "user", Content: "ab"}}},
		},
		{
			name: "structured output",
			body: `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"output_config":{"format":{"type":"json_schema","schema":{"type":"object"}}},"thinking":{"type":"adaptive"}}`,
			want: copydesk.ModelRequest{Model: "m", MaxTokens: 5, Messages: []copydesk.Message{{Role: "user", Content: "x"}}, JSONSchema: json.RawMessage(`{"type":"object"}`), SchemaName: "output"},
		},
		{name: "no model", body: `{"max_tokens":5,"messages":[{"role":"user","content":"x"}]}`, err: "model: Field required"},
		{name: "no max_tokens", body: `{"model":"m","messages":[{"role":"user","content":"x"}]}`, err: "max_tokens: Field required"},
		{name: "zero max_tokens", body: `{"model":"m","max_tokens":0,"messages":[{"role":"user","content":"x"}]}`, err: "max_tokens: must be"},
		{name: "no messages", body: `{"model":"m","max_tokens":5,"messages":[]}`, err: "at least one message"},
		{name: "tools", body: `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"t"}]}`, err: "tools are not supported"},
		{name: "stop sequences", body: `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"stop_sequences":["END"]}`, err: "stop_sequences"},
		{name: "thinking budget", body: `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"thinking":{"type":"enabled","budget_tokens":1024}}`, err: "thinking.type"},
		{name: "image", body: `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image","source":{}}]}]}`, err: `messages[0].content[0]: content blocks of type "image"`},
		{name: "bad role", body: `{"model":"m","max_tokens":5,"messages":[{"role":"system","content":"x"}]}`, err: "messages[0].role"},
		{name: "assistant first", body: `{"model":"m","max_tokens":5,"messages":[{"role":"assistant","content":"x"}]}`, err: "first message must use the user role"},
		{name: "temperature", body: `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"temperature":1.5}`, err: "temperature"},
		{name: "bad format", body: `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"output_config":{"format":{"type":"xml"}}}`, err: "not json_schema"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var m messagesRequest
			if err := json.Unmarshal([]byte(tc.body), &m); err != nil {
				t.Fatal(err)
			}
			got, err := m.modelRequest(false)
			if tc.err != "" {
				if copydesk.ErrorCode(err) != copydesk.EINVALID || !strings.Contains(copydesk.ErrorMessage(err), tc.err) {
					t.Errorf("got %v, want EINVALID mentioning %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
		})
	}
	// count_tokens takes no max_tokens.
	var m messagesRequest
	_ = json.Unmarshal([]byte(`{"model":"m","messages":[{"role":"user","content":"x"}]}`), &m)
	if _, err := m.modelRequest(true); err != nil {
		t.Errorf("count without max_tokens: %v", err)
	}
}

func TestAnthropicMapping(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"stop": "end_turn", "end_turn": "end_turn", "STOP": "end_turn", "": "end_turn",
		"length": "max_tokens", "max_tokens": "max_tokens", "MAX_TOKENS": "max_tokens",
		"stop_sequence": "stop_sequence", "content_filter": "refusal", "SAFETY": "refusal",
	} {
		if got := stopReason(in); got != want {
			t.Errorf("stopReason(%q) = %q, want %q", in, got, want)
		}
	}
	got := anthropicUsageOf(copydesk.Usage{InputTokens: 100, CachedTokens: 30, OutputTokens: 7})
	if want := (anthropicUsage{InputTokens: 70, CacheReadInputTokens: 30, OutputTokens: 7}); got != want {
		t.Errorf("usage: got %+v, want %+v", got, want)
	}
	for code, want := range map[string]string{
		copydesk.ENOMODEL: "not_found_error", copydesk.EUNAUTHORIZED: "authentication_error", copydesk.ERATELIMITED: "rate_limit_error",
		copydesk.EBUDGETEXCEEDED: "billing_error", copydesk.EINVALID: "invalid_request_error", copydesk.EUNAVAILABLE: "overloaded_error",
	} {
		b := anthropicErrorBody(copydesk.Errorf(code, "m"), "rid")
		if e := b["error"].(map[string]string); e["type"] != want || b["type"] != "error" || b["request_id"] != "rid" {
			t.Errorf("%s: got %v, want type %s", code, b, want)
		}
	}
	for path, want := range map[string]bool{"/v1/messages": true, "/v1/messages/count_tokens": true, "/v1/messagesx": false, "/v1/chat/completions": false} {
		if got := isAnthropicPath(path); got != want {
			t.Errorf("isAnthropicPath(%q) = %v", path, got)
		}
	}
}

func TestEmbeddingsRequest(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		body  string
		input []string
		dims  int
		err   string
	}{
		{body: `{"model":"e","input":"one"}`, input: []string{"one"}},
		{body: `{"model":"e","input":["a","b"],"dimensions":256,"encoding_format":"base64","user":"u"}`, input: []string{"a", "b"}, dims: 256},
		{body: `{"input":"x"}`, err: "model is required"},
		{body: `{"model":"e"}`, err: "input is required"},
		{body: `{"model":"e","input":[1,2,3]}`, err: "token arrays"},
		{body: `{"model":"e","input":[[1,2],[3]]}`, err: "string or an array of strings"},
		{body: `{"model":"e","input":[]}`, err: "at least one text"},
		{body: `{"model":"e","input":["a",""]}`, err: "input[1] is empty"},
		{body: `{"model":"e","input":"x","encoding_format":"int8"}`, err: "encoding_format"},
		{body: `{"model":"e","input":"x","dimensions":0}`, err: "dimensions"},
	} {
		var e embeddingsRequest
		if err := json.Unmarshal([]byte(tc.body), &e); err != nil {
			t.Fatal(err)
		}
		got, err := e.modelRequest()
		if tc.err != "" {
			if copydesk.ErrorCode(err) != copydesk.EINVALID || !strings.Contains(copydesk.ErrorMessage(err), tc.err) {
				t.Errorf("%s: got %v, want EINVALID mentioning %q", tc.body, err, tc.err)
			}
			continue
		}
		if err != nil || !cmp.Equal(got.Input, tc.input) || got.Dimensions != tc.dims || !got.IsEmbedding() || len(got.Messages) != 0 {
			t.Errorf("%s: got %+v, %v", tc.body, got, err)
		}
	}
	if got := encodeBase64([]float32{1, -2}); got != "AACAPwAAAMA=" {
		t.Errorf("base64 of [1 -2]: got %q", got)
	}
}

// FuzzMessagesRequest feeds arbitrary bodies to the Messages parser: it
// never panics, and a request it accepts is a valid chat call.
func FuzzMessagesRequest(f *testing.F) {
	for _, s := range []string{
		`{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}]}`,
		`{"model":"m","max_tokens":5,"system":[{"type":"text","text":"s"}],"messages":[{"role":"user","content":[{"type":"text","text":"a"}]}]}`,
		`{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image"}]}]}`,
		`{"messages":null}`, `[]`, `{"model":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var m messagesRequest
		if json.Unmarshal(body, &m) != nil {
			return
		}
		req, err := m.modelRequest(false)
		if err != nil {
			if copydesk.ErrorCode(err) != copydesk.EINVALID {
				t.Fatalf("got %v, want EINVALID", err)
			}
			return
		}
		if req.Model == "" || req.MaxTokens < 1 || len(req.Messages) == 0 || req.Messages[0].Role != "user" || req.IsEmbedding() {
			t.Fatalf("accepted an invalid request: %+v", req)
		}
	})
}

// FuzzEmbeddingsRequest does the same for the embeddings parser.
func FuzzEmbeddingsRequest(f *testing.F) {
	for _, s := range []string{`{"model":"e","input":"x"}`, `{"model":"e","input":["a","b"],"dimensions":3}`, `{"model":"e","input":[1,2]}`, `{}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var e embeddingsRequest
		if json.Unmarshal(body, &e) != nil {
			return
		}
		req, err := e.modelRequest()
		if err != nil {
			if copydesk.ErrorCode(err) != copydesk.EINVALID {
				t.Fatalf("got %v, want EINVALID", err)
			}
			return
		}
		if req.Model == "" || len(req.Input) == 0 || len(req.Input) > MaxEmbeddingInputs || req.Dimensions < 0 {
			t.Fatalf("accepted an invalid request: %+v", req)
		}
		for _, in := range req.Input {
			if in == "" {
				t.Fatal("accepted an empty input")
			}
		}
	})
}
