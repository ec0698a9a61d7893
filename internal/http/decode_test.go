package http

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/copydesk/copydesk/internal/copydesk"
)

func decodeString(t *testing.T, body string, strict bool, v any) error {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/v1/x", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return decodeBody(httptest.NewRecorder(), r, 1<<20, v, strict)
}

// TestDecodeBodyErrors: the lenient and the strict decoder (one decodes with
// json.Unmarshal, the other with a Decoder) give the same answer to the same
// malformed body.
func TestDecodeBodyErrors(t *testing.T) {
	type target struct {
		Model string `json:"model"`
		N     int    `json:"n"`
	}
	for _, tc := range []struct{ body, code, message string }{
		{`{"model":"a"} {"model":"b"}`, copydesk.EINVALID, "the request body has data after the JSON object"},
		{`{"model":"a"} x`, copydesk.EINVALID, "the request body has data after the JSON object"},
		{`{"model":"a"`, copydesk.EINVALID, "malformed JSON: the body ends too early"},
		{`{"model":"a",`, copydesk.EINVALID, "malformed JSON: the body ends too early"},
		{`{"model":1}`, copydesk.EINVALID, `field "model" must be a string, not number`},
		{`{"model":"a" "n":1}`, copydesk.EINVALID, "malformed JSON at byte 14: invalid character '\"' after object key:value pair"},
		{`[1]`, copydesk.EINVALID, "the request body must be a JSON object, not an array"},
		{"{\"model\":\"\xff\"}", copydesk.EUNPROCESSABLE, "the request body is not valid UTF-8"},
	} {
		for _, strict := range []bool{false, true} {
			var v target
			err := decodeString(t, tc.body, strict, &v)
			if copydesk.ErrorCode(err) != tc.code || copydesk.ErrorMessage(err) != tc.message {
				t.Errorf("strict %v, %q: got %s %q, want %s %q", strict, tc.body, copydesk.ErrorCode(err), copydesk.ErrorMessage(err), tc.code, tc.message)
			}
		}
	}
	var v target
	if err := decodeString(t, ` {"model":"a","other":1} `+"\n", false, &v); err != nil || v.Model != "a" {
		t.Errorf("lenient, an unknown field: %+v, %v", v, err)
	}
	if err := decodeString(t, `{"model":"a","other":1}`, true, &v); copydesk.ErrorMessage(err) != `unknown field "other"` {
		t.Errorf("strict, an unknown field: %v", err)
	}
}

// TestDecodeBodyKeepsNoBuffer: bodies are read into pooled buffers; what
// one request decoded must not change when the next reuses its buffer.
func TestDecodeBodyKeepsNoBuffer(t *testing.T) {
	type target struct {
		Name   string          `json:"name"`
		Raw    json.RawMessage `json:"raw"`
		Vector copydesk.Vector `json:"vector"`
	}
	var first target
	if err := decodeString(t, `{"name":"first","raw":{"a":[1,2,3]},"vector":[1,2]}`, false, &first); err != nil {
		t.Fatal(err)
	}
	for range 50 {
		var next target
		if err := decodeString(t, `{"name":"XXXXXXXXXXXXXXXX","raw":{"b":"YYYYYYYYYYYYYY"},"vector":[9,9,9]}`, false, &next); err != nil {
			t.Fatal(err)
		}
	}
	if first.Name != "first" || string(first.Raw) != `{"a":[1,2,3]}` || len(first.Vector) != 2 || first.Vector[1] != 2 {
		t.Errorf("the first request's values changed: %+v (raw %s)", first, first.Raw)
	}
}
