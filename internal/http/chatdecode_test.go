package http

import (
	"encoding/json"
	"reflect"
	"testing"
	"unicode/utf8"
)

// checkChatDecode decodes body with decodeFast and with json.Unmarshal:
// when decodeFast takes it, the two requests must be equal (and
// encoding/json must not refuse the body); when it declines, the request
// must be left zero. It returns whether decodeFast took it.
func checkChatDecode(t *testing.T, body []byte) bool {
	t.Helper()
	if !utf8.Valid(body) {
		return false // decodeBody refuses it first
	}
	var fast, want chatRequest
	took := fast.decodeFast(body)
	if !took {
		if !reflect.DeepEqual(fast, chatRequest{}) {
			t.Fatalf("declined %q but left %+v", body, fast)
		}
		return false
	}
	if err := json.Unmarshal(body, &want); err != nil {
		t.Fatalf("decodeFast took %q, which encoding/json refuses: %v", body, err)
	}
	if !reflect.DeepEqual(fast, want) {
		t.Fatalf("decodeFast(%q) = %+v, want %+v", body, fast, want)
	}
	return true
}

func TestChatDecodeFast(t *testing.T) {
	for _, tc := range []struct {
		body string
		fast bool
	}{
		{`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}`, true},
		{` { "model" : "m" , "messages" : [ { "role" : "system" , "content" : "Be brief." } , {"content":[{"type":"text","text":"a \"b\" <c>"}],"role":"user","name":"x"} ] , "stream" : true , "stream_options" : { "include_usage" : true, "other": [1, {"a": null}] } } `, true},
		{`{"model":"m","messages":[],"max_tokens":100,"max_completion_tokens":0,"n":-0,"temperature":0.7,"tools":[{"type":"function","function":{"name":"f"}}],"user":"u1","seed":42,"top_p":1e-3,"stop":null,"metadata":{"k":"v"}}`, true},
		{`{"messages":[{"role":"user","content":"x"}],"temperature":1E+2,"stream":false}`, true},
		{`{}`, true},
		{`{"model":"m\u0041","messages":[{"role":"us\u0065r","content":"x"}]}`, true},
		// Left to encoding/json.
		{`{"Model":"m"}`, false},
		{`{"model":"m","model":"n"}`, false},
		{`{"mod\u0065l":"m"}`, false},
		{`{"model":null}`, false},
		{`{"messages":[null]}`, false},
		{`{"messages":[{"role":"user","content":null}]}`, false},
		{`{"messages":[{"role":"user","ROLE":"x"}]}`, false},
		{`{"max_tokens":1.5}`, false},
		{`{"max_tokens":1e2}`, false},
		{`{"max_tokens":99999999999999999999}`, false},
		{`{"temperature":1e400}`, false},
		{`{"n":01}`, false},
		{`{"stream":"yes"}`, false},
		{`{"response_format":{"type":"json_object"}}`, false},
		{`{"model":"m"} {}`, false},
		{`{"model":"m",}`, false},
		{`{"x":[1,2}`, false},
		{`{"x":tru}`, false},
		{`{"x":"bad \q escape"}`, false},
		{`{"model":"m"`, false},
		{`{"model":"m"}]`, false},
	} {
		if got := checkChatDecode(t, []byte(tc.body)); got != tc.fast {
			t.Errorf("decodeFast took %q: %v, want %v", tc.body, got, tc.fast)
		}
	}
}

func FuzzChatDecodeFast(f *testing.F) {
	for _, s := range []string{
		`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello"}],"stream":true,"stream_options":{"include_usage":true}}`,
		`{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"x"}]}],"max_tokens":5,"temperature":0.2,"n":1,"tools":[],"user":"u"}`,
		`{"x":{"y":[1,"2",{"z":null}]},"model":"m"}`, `{"Model":"m"}`, `{"max_tokens":-0}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkChatDecode(t, body) })
}
