package simulator

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const openAIBody = `{"model":"gpt-sim","messages":[{"role":"system","content":"Be kind."},{"role":"user","content":"hello world"}]}`

// post sends body to path on h with a key and returns the recorded response.
func post(h http.Handler, path, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	r.Header.Set("Authorization", "Bearer test-key")
	r.Header.Set("x-goog-api-key", "test-key")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestEveryResponseSaysSimulated(t *testing.T) {
	s := NewServer(Options{})
	s.Enqueue(Behaviour{}, Behaviour{Kind: RateLimited}, Behaviour{Kind: ServerError})
	for i, path := range []string{"/v1/chat/completions", "/v1/chat/completions", "/v1/chat/completions", "/v1/messages", "/nowhere"} {
		w := post(s.Handler(), path, openAIBody)
		if got := w.Header().Get(SimulatedHeader); got != "true" {
			t.Errorf("call %d (%s, status %d): got %s %q, want \"true\"", i, path, w.Code, SimulatedHeader, got)
		}
	}
}

func TestQueueThenDefault(t *testing.T) {
	s := NewServer(Options{Default: Behaviour{Kind: Unavailable}})
	s.Enqueue(Behaviour{Kind: RateLimited, RetryAfter: 3 * time.Second}, Behaviour{})
	want := []int{429, 200, 503, 503}
	for i, code := range want {
		w := post(s.Handler(), "/v1/chat/completions", openAIBody)
		if w.Code != code {
			t.Errorf("call %d: got status %d, want %d", i, w.Code, code)
		}
		if i == 0 && w.Header().Get("Retry-After") != "3" {
			t.Errorf("got Retry-After %q, want \"3\"", w.Header().Get("Retry-After"))
		}
	}
	s.SetDefault(Behaviour{})
	if w := post(s.Handler(), "/v1/chat/completions", openAIBody); w.Code != 200 {
		t.Errorf("after SetDefault: got status %d, want 200", w.Code)
	}
	if n := s.Calls(); n != 5 {
		t.Errorf("got %d calls, want 5", n)
	}
	if n := s.PromptCalls("hello world"); n != 5 {
		t.Errorf("got %d calls for the prompt, want 5", n)
	}
	s.Reset()
	if n, m := s.Calls(), len(s.Requests()); n != 0 || m != 0 {
		t.Errorf("after Reset got %d calls and %d requests, want 0 and 0", n, m)
	}
}

func TestErrorRateIsSeededAndBounded(t *testing.T) {
	count := func(seed int64, rate float64) int {
		s := NewServer(Options{ErrorRate: rate, Seed: seed})
		failed := 0
		for range 200 {
			if post(s.Handler(), "/v1/chat/completions", openAIBody).Code != 200 {
				failed++
			}
		}
		return failed
	}
	if got := count(7, 0); got != 0 {
		t.Errorf("rate 0: got %d failures, want 0", got)
	}
	if got := count(7, 1); got != 200 {
		t.Errorf("rate 1: got %d failures, want 200", got)
	}
	a, b := count(7, 0.25), count(7, 0.25)
	if a != b {
		t.Errorf("same seed: got %d and %d failures, want equal", a, b)
	}
	if a < 20 || a > 80 {
		t.Errorf("rate 0.25: got %d failures of 200, want about 50", a)
	}
}

func TestKeys(t *testing.T) {
	s := NewServer(Options{Keys: []string{"good"}})
	tests := []struct {
		name   string
		header string
		value  string
		want   int
	}{
		{"bearer good", "Authorization", "Bearer good", 200},
		{"x-api-key good", "x-api-key", "good", 200},
		{"bearer bad", "Authorization", "Bearer bad", 401},
		{"none", "X-Nothing", "x", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"model":"c","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`
			r := httptest.NewRequest(http.MethodPost, "/v1/messages", strings.NewReader(body))
			r.Header.Set(tt.header, tt.value)
			w := httptest.NewRecorder()
			s.Handler().ServeHTTP(w, r)
			if w.Code != tt.want {
				t.Errorf("got status %d, want %d: %s", w.Code, tt.want, w.Body)
			}
		})
	}
}

func TestBadBodiesAre400(t *testing.T) {
	s := NewServer(Options{})
	tests := []struct{ path, body string }{
		{"/v1/chat/completions", `{`},
		{"/v1/chat/completions", `{"model":"m","messages":[]}`},
		{"/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}]}`},
		{"/v1/messages", `{"model":"m","messages":[{"role":"user","content":"x"}]}`},
		{"/v1/messages", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"tool","name":"t"}}`},
		{"/v1beta/models/gemini:generateContent", `{"contents":[]}`},
		{"/v1beta/models/gemini:explode", `{"contents":[{"parts":[{"text":"x"}]}]}`},
		{"/v1beta/models/gemini:streamGenerateContent", `{"contents":[{"parts":[{"text":"x"}]}]}`},
	}
	for _, tt := range tests {
		if w := post(s.Handler(), tt.path, tt.body); w.Code != 400 {
			t.Errorf("%s %s: got status %d, want 400", tt.path, tt.body, w.Code)
		}
	}
	if n := s.Calls(); n != 0 {
		t.Errorf("got %d calls counted, want 0 for unparsable requests", n)
	}
}

// sseLines returns the non-empty lines of a stream.
func sseLines(t *testing.T, body []byte) []string {
	t.Helper()
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		if l := sc.Text(); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

func TestOpenAIStreamShape(t *testing.T) {
	s := NewServer(Options{})
	body := `{"model":"gpt-sim","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hello world"}]}`
	s.Enqueue(Behaviour{}, Behaviour{Kind: Truncated})
	full := sseLines(t, post(s.Handler(), "/v1/chat/completions", body).Body.Bytes())
	if last := full[len(full)-1]; last != "data: [DONE]" {
		t.Errorf("got last line %q, want data: [DONE]", last)
	}
	if !strings.Contains(full[len(full)-2], `"choices":[]`) || !strings.Contains(full[len(full)-2], `"prompt_tokens":2`) {
		t.Errorf("got %q before [DONE], want the usage chunk with no choices", full[len(full)-2])
	}
	cut := sseLines(t, post(s.Handler(), "/v1/chat/completions", body).Body.Bytes())
	for _, l := range cut {
		if strings.Contains(l, "[DONE]") || strings.Contains(l, `"finish_reason":"stop"`) {
			t.Errorf("truncated stream has terminator line %q", l)
		}
	}
	if len(cut) >= len(full) {
		t.Errorf("got %d lines truncated, want fewer than %d", len(cut), len(full))
	}
}

func TestGeminiStreamHasOnlyDataLines(t *testing.T) {
	s := NewServer(Options{})
	s.Enqueue(Behaviour{}, Behaviour{Kind: MidStreamError})
	for range 2 {
		w := post(s.Handler(), "/v1beta/models/gemini-sim:streamGenerateContent?alt=sse", `{"contents":[{"role":"user","parts":[{"text":"hello world"}]}]}`)
		for _, l := range sseLines(t, w.Body.Bytes()) {
			if !strings.HasPrefix(l, "data: {") {
				t.Errorf("got line %q, want only single-line data: events", l)
			}
		}
	}
}

func TestAnthropicStreamUsageIsCumulative(t *testing.T) {
	s := NewServer(Options{})
	w := post(s.Handler(), "/v1/messages", `{"model":"c","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"hello world"}]}`)
	var outs []int
	var events []string
	for _, l := range sseLines(t, w.Body.Bytes()) {
		if name, ok := strings.CutPrefix(l, "event: "); ok {
			events = append(events, name)
			continue
		}
		var ev struct {
			Type  string `json:"type"`
			Usage *struct {
				OutputTokens int `json:"output_tokens"`
			} `json:"usage"`
		}
		if err := json.Unmarshal([]byte(strings.TrimPrefix(l, "data: ")), &ev); err != nil {
			t.Fatalf("bad event %q: %v", l, err)
		}
		if ev.Type == "message_delta" {
			outs = append(outs, ev.Usage.OutputTokens)
		}
	}
	if events[0] != "message_start" || events[len(events)-1] != "message_stop" {
		t.Errorf("got events %v, want message_start … message_stop", events)
	}
	text := DefaultResponder(Request{Prompt: "hello world", Messages: nil})
	if len(outs) != 2 || outs[0] >= outs[1] || outs[1] != countWords(text) {
		t.Errorf("got message_delta output counts %v, want two running totals ending at %d", outs, countWords(text))
	}
}

func TestDefaultResponder(t *testing.T) {
	a := DefaultResponder(Request{Prompt: "Write a tagline"})
	if a != DefaultResponder(Request{Prompt: "Write a tagline"}) {
		t.Error("got different answers for the same prompt, want deterministic")
	}
	if a == DefaultResponder(Request{Prompt: "Write a slogan"}) {
		t.Error("got the same answer for different prompts, want them to differ")
	}
	if !strings.HasPrefix(a, SimulatedPrefix) {
		t.Errorf("got %q, want the simulated prefix", a)
	}
	if got := DefaultResponder(Request{JSON: true}); got != "{}" {
		t.Errorf("got %q for JSON output, want {}", got)
	}
}

func TestFirstWords(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"one two three", 2, "one two"},
		{"one two three", 3, "one two three"},
		{"  one\ttwo  three ", 1, "  one"},
		{"één twee", 1, "één"},
	}
	for _, tt := range tests {
		if got := firstWords(tt.in, tt.n); got != tt.want {
			t.Errorf("firstWords(%q, %d): got %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func FuzzSplitDeltas(f *testing.F) {
	for _, s := range []string{"", "a", "{}", `{"a":1}`, "[simulated] a b c d e f g h i j k l m n o p q r s t u v", "ééé"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d := splitDeltas(s)
		if got := strings.Join(d, ""); got != s {
			t.Fatalf("got deltas joining to %q, want %q", got, s)
		}
		if len(d) > 16 {
			t.Fatalf("got %d deltas, want at most 16", len(d))
		}
	})
}

// FuzzHandler feeds arbitrary bodies to every endpoint: the fake must answer
// 200 or a 4xx, never panic or 5xx.
func FuzzHandler(f *testing.F) {
	f.Add(0, openAIBody)
	f.Add(1, `{"model":"c","max_tokens":10,"system":[{"type":"text","text":"s"}],"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}],"tools":[{"name":"t","input_schema":{"type":"object"}}],"tool_choice":{"type":"tool","name":"t"}}`)
	f.Add(2, `{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"generationConfig":{"maxOutputTokens":1,"responseMimeType":"application/json"}}`)
	paths := []string{"/v1/chat/completions", "/v1/messages", "/v1beta/models/g:generateContent", "/v1beta/models/g:streamGenerateContent?alt=sse"}
	s := NewServer(Options{})
	f.Fuzz(func(t *testing.T, which int, body string) {
		path := paths[uint(which)%uint(len(paths))]
		w := post(s.Handler(), path, body)
		if w.Code != 200 && (w.Code < 400 || w.Code >= 500) {
			t.Fatalf("%s: got status %d, want 200 or 4xx", path, w.Code)
		}
		_, _ = io.Copy(io.Discard, w.Body)
	})
}
