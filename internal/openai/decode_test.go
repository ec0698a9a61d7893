package openai

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/copydesk/copydesk/internal/jsonread"
)

// checkCompletion reads b with the fast decoder and, when it takes it,
// compares the result with encoding/json's, which must take it too.
func checkCompletion(t *testing.T, b []byte) bool {
	t.Helper()
	var got, want completion
	r := jsonread.NewReader(b)
	if !got.read(r) || !r.End() {
		return false
	}
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatalf("took %q, which encoding/json refuses: %v", b, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q:\ngot  %+v\nwant %+v", b, got, want)
	}
	return true
}

// checkChunk is checkCompletion for a stream chunk.
func checkChunk(t *testing.T, b []byte) bool {
	t.Helper()
	type plain completionChunk
	var got completionChunk
	var want plain
	r := jsonread.NewReader(b)
	if !got.read(r) || !r.End() {
		return false
	}
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatalf("took %q, which encoding/json refuses: %v", b, err)
	}
	if !reflect.DeepEqual(plain(got), want) {
		t.Fatalf("%q:\ngot  %+v\nwant %+v", b, got, want)
	}
	return true
}

const openAIAnswer = `{
  "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
  "object": "chat.completion",
  "created": 1741569952,
  "model": "gpt-4.1-2025-04-14",
  "choices": [
    {
      "index": 0,
      "message": {
        "role": "assistant",
        "content": "Hello! How can I assist you today?\n\n\"Quotes\" \u00e9 \ud83d\ude00",
        "refusal": null,
        "annotations": []
      },
      "logprobs": null,
      "finish_reason": "stop"
    }
  ],
  "usage": {
    "prompt_tokens": 19,
    "completion_tokens": 10,
    "total_tokens": 29,
    "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}
  },
  "service_tier": "default"
}`

func TestDecodeCompletion(t *testing.T) {
	for _, tc := range []struct {
		body string
		fast bool
	}{
		{openAIAnswer, true},
		{`{"model":"m","choices":[],"usage":null}`, true},
		{`{"choices":null,"usage":{"prompt_tokens":1.5e1,"completion_tokens":-3,"prompt_tokens_details":null}}`, true},
		{`{"choices":[{"message":null,"finish_reason":null}]}`, true},
		{`{"choices":[{"message":{"content":null,"refusal":"no <way>"}}]}`, true},
		{`{"Model":"m"}`, false},
		{`{"model":"m","model":"n"}`, false},
		{`{"choices":[null]}`, false},
		{`{"usage":{"prompt_tokens":"19"}}`, false},
		{`{"usage":{"prompt_tokens":1e999}}`, false},
		{`null`, false},
		{`{"model":"m"} x`, false},
	} {
		if got := checkCompletion(t, []byte(tc.body)); got != tc.fast {
			t.Errorf("fast decoder took %q: %v, want %v", tc.body, got, tc.fast)
		}
		var got, want completion
		err := decodeCompletion([]byte(tc.body), &got)
		wantErr := json.Unmarshal([]byte(tc.body), &want)
		if (err != nil) != (wantErr != nil) || err == nil && !reflect.DeepEqual(got, want) {
			t.Errorf("decodeCompletion(%q) = %+v, %v; encoding/json gives %+v, %v", tc.body, got, err, want, wantErr)
		}
	}
}

func TestDecodeChunk(t *testing.T) {
	for _, tc := range []struct {
		body string
		fast bool
	}{
		{`{"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel\nlo","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}`, true},
		{`{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":5,"prompt_tokens_details":{"cached_tokens":1}}}`, true},
		{`{"choices":[{"index":1,"delta":{},"finish_reason":"stop"}]}`, true},
		{`{"choices":[{"index":1.5}]}`, false},
		{`{"choices":[{"Delta":{}}]}`, false},
	} {
		if got := checkChunk(t, []byte(tc.body)); got != tc.fast {
			t.Errorf("fast decoder took %q: %v, want %v", tc.body, got, tc.fast)
		}
		var got completionChunk
		type plain completionChunk
		var want plain
		err := json.Unmarshal([]byte(tc.body), &got)
		wantErr := json.Unmarshal([]byte(tc.body), &want)
		if (err != nil) != (wantErr != nil) || err == nil && !reflect.DeepEqual(plain(got), want) {
			t.Errorf("json.Unmarshal(%q) = %+v, %v; want %+v, %v", tc.body, got, err, want, wantErr)
		}
	}
}

func FuzzDecodeCompletion(f *testing.F) {
	f.Add([]byte(openAIAnswer))
	f.Add([]byte(`{"model":"m","choices":[{"message":{"content":"a\"b","refusal":null},"finish_reason":"length"}],"usage":{"prompt_tokens":1}}`))
	f.Fuzz(func(t *testing.T, b []byte) { checkCompletion(t, b) })
}

func FuzzDecodeChunk(f *testing.F) {
	f.Add([]byte(`{"model":"m","choices":[{"index":0,"delta":{"content":"Hi \u00e9"},"finish_reason":null}],"usage":null}`))
	f.Add([]byte(`{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":5,"prompt_tokens_details":{"cached_tokens":1}}}`))
	f.Fuzz(func(t *testing.T, b []byte) { checkChunk(t, b) })
}
