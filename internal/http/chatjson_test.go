package http

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// TestChatChunkJSON: each stream chunk is one SSE data line whose JSON
// holds what OpenAI's chunks hold.
func TestChatChunkJSON(t *testing.T) {
	h := chunkHead{id: "chatcmpl-1", created: 1765000000, model: "gpt-4o-mini <b>"}
	head := map[string]any{"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1765000000.0, "model": "gpt-4o-mini <b>"}
	with := func(kv ...any) map[string]any {
		m := map[string]any{}
		for k, v := range head {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	choice := func(delta map[string]any, finish any) []any {
		return []any{map[string]any{"index": 0.0, "delta": delta, "logprobs": nil, "finish_reason": finish}}
	}
	tests := []struct {
		name string
		got  []byte
		want map[string]any
	}{
		{"role", h.appendChunk(nil, deltaRole, "", ""), with("choices", choice(map[string]any{"role": "assistant", "content": ""}, nil))},
		{"content", h.appendChunk(nil, deltaContent, "a \"<tag>\"\n", ""), with("choices", choice(map[string]any{"content": "a \"<tag>\"\n"}, nil))},
		{"end", h.appendChunk(nil, deltaEnd, "", "length"), with("choices", choice(map[string]any{}, "length"))},
		{"usage", h.appendUsageChunk(nil, usageOf(copydesk.Usage{InputTokens: 3, OutputTokens: 5, CachedTokens: 1})), with("choices", []any{}, "usage", map[string]any{
			"prompt_tokens": 3.0, "completion_tokens": 5.0, "total_tokens": 8.0, "prompt_tokens_details": map[string]any{"cached_tokens": 1.0}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line, ok := strings.CutPrefix(string(tt.got), "data: ")
			if !ok || !strings.HasSuffix(line, "}\n\n") || strings.Count(line, "\n") != 2 {
				t.Fatalf("got %q, want one SSE data line ending in a blank line", tt.got)
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(line), &got); err != nil {
				t.Fatalf("chunk is not JSON: %v: %s", err, line)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v\nwant %v", got, tt.want)
			}
		})
	}
}

// BenchmarkChatChunk compares a chunk appended by hand with encoding/json
// of the map a chunk used to be.
func BenchmarkChatChunk(b *testing.B) {
	h := chunkHead{id: newChatID(), created: 1765000000, model: "gpt-4o-mini"}
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			buf = h.appendChunk(buf[:0], deltaContent, "a delta of a few words ", "")
		}
	})
	b.Run("encoding-json-map", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c := map[string]any{"id": h.id, "object": "chat.completion.chunk", "created": h.created, "model": h.model,
				"choices": []any{map[string]any{"index": 0, "delta": map[string]any{"content": "a delta of a few words "}, "logprobs": nil, "finish_reason": nil}}}
			var buf bytes.Buffer
			buf.WriteString("data: ")
			if err := json.NewEncoder(&buf).Encode(c); err != nil {
				b.Fatal(err)
			}
			buf.WriteString("\n")
		}
	})
}

// TestChatCompletionJSON: the non-streamed answer is byte for byte what
// encoding/json's Encoder wrote for it (HTML escaping on, a newline last).
func TestChatCompletionJSON(t *testing.T) {
	refusal := "no <way>"
	cases := []*chatCompletion{
		{},
		{Choices: []chatChoice{}},
		{ID: "chatcmpl-1", Object: "chat.completion", Created: -5, Model: "gpt-4o-mini",
			Choices: []chatChoice{{Message: chatAnswer{Role: "assistant", Content: "Hello"}, FinishReason: "stop"}},
			Usage:   usageOf(copydesk.Usage{InputTokens: 3, OutputTokens: 5, CachedTokens: 1})},
		{Choices: []chatChoice{{Index: 2, Logprobs: &struct{}{}, Message: chatAnswer{Refusal: &refusal}}, {Index: 3}}},
	}
	for _, s := range []string{"<script>alert(1)</script> & more", "quote\" back\\ \u2028\u2029\x00\x1f", "\xff\xfe invalid", "日本語 é"} {
		cases = append(cases, &chatCompletion{ID: s, Object: s, Model: s, Choices: []chatChoice{{Message: chatAnswer{Role: s, Content: s, Refusal: &s}, FinishReason: s}}})
	}
	for i, c := range cases {
		checkChatCompletionJSON(t, i, c)
	}
}

func checkChatCompletionJSON(t *testing.T, i int, c *chatCompletion) {
	t.Helper()
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetEscapeHTML(true)
	if err := enc.Encode(c); err != nil {
		t.Fatal(err)
	}
	if got := c.appendJSON([]byte("x")); !bytes.Equal(got, append([]byte("x"), want.Bytes()...)) {
		t.Fatalf("case %d:\ngot  %q\nwant %q", i, got[1:], want.Bytes())
	}
}

func FuzzChatCompletionJSON(f *testing.F) {
	f.Add("chatcmpl-1", "gpt-4o-mini", "Hello <b>world</b>", "stop", int64(1765000000), 3, 5)
	f.Add("", "\xff", "\u2028", "", int64(-1), -1, 0)
	f.Fuzz(func(t *testing.T, id, model, content, finish string, created int64, in, out int) {
		checkChatCompletionJSON(t, 0, &chatCompletion{ID: id, Object: "chat.completion", Created: created, Model: model,
			Choices: []chatChoice{{Message: chatAnswer{Role: "assistant", Content: content}, FinishReason: finish}},
			Usage:   usageOf(copydesk.Usage{InputTokens: in, OutputTokens: out})})
	})
}

// TestChatMessageText checks the content of a message read without a
// second decoding against json.Unmarshal.
func TestChatMessageText(t *testing.T) {
	for _, s := range []string{"hello", "", "<b> & \u2028 日本語", "\xff\xfe invalid", "quote\" back\\ tab\t nul\x00", "\u00e9"} {
		raw, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, content := range []string{string(raw), `"` + s + `"`} {
			if !json.Valid([]byte(content)) {
				continue // not a body that decodes
			}
			var want string
			if err := json.Unmarshal([]byte(content), &want); err != nil {
				t.Fatal(err)
			}
			got, err := chatMessage{Content: json.RawMessage(content)}.text()
			if err != nil || got != want {
				t.Errorf("text(%q) = %q, %v; want %q", content, got, err, want)
			}
		}
	}
	if got, err := (chatMessage{Content: json.RawMessage(`[{"type":"text","text":"a"},{"type":"text","text":"b"}]`)}).text(); err != nil || got != "ab" {
		t.Errorf("text parts = %q, %v", got, err)
	}
	if got, err := (chatMessage{Content: json.RawMessage(`null`)}).text(); err != nil || got != "" {
		t.Errorf("null content = %q, %v", got, err)
	}
}
