package cache

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// marshalCallKey is the reference: encoding/json of the call's key input,
// what CallRequest hashed before appendCallKey.
func marshalCallKey(r copydesk.ModelRequest) ([]byte, error) {
	return json.Marshal(callKeyInput{
		Model: r.Model, System: r.System, Messages: r.Messages, MaxTokens: r.MaxTokens,
		Temperature: r.Temperature, Schema: r.JSONSchema, SchemaName: r.SchemaName,
		Input: r.Input, Dimensions: r.Dimensions,
	})
}

func checkCallKey(t *testing.T, r copydesk.ModelRequest) {
	t.Helper()
	want, werr := marshalCallKey(r)
	got, err := appendCallKey(nil, r)
	if (err == nil) != (werr == nil) {
		t.Fatalf("appendCallKey(%+v): error %v, encoding/json's %v", r, err, werr)
	}
	if err == nil && !bytes.Equal(got, want) {
		t.Errorf("appendCallKey(%+v)\n = %s\nwant %s", r, got, want)
	}
}

func TestCallKeyEncoding(t *testing.T) {
	temp := func(f float64) *float64 { return &f }
	for _, r := range []copydesk.ModelRequest{
		{},
		{Messages: []copydesk.Message{}},
		{Model: "gpt-4o-mini", System: "be <brief> & kind", Messages: []copydesk.Message{{Role: "user", Content: "hi \"there\"\n\u2028 \xff"}, {Role: "assistant", Content: "日本語"}},
			MaxTokens: 300, Temperature: temp(0.7), SchemaName: "findings",
			JSONSchema: json.RawMessage(`{ "type": "object", "description": "<b> & \u2029" }`)},
		{Temperature: temp(0)}, {Temperature: temp(2)}, {Temperature: temp(1e-7)}, {MaxTokens: -1},
		{Temperature: temp(math.NaN())}, {Temperature: temp(math.Inf(1))},
		{JSONSchema: json.RawMessage(`{"a":`)}, {JSONSchema: json.RawMessage{}},
		{Model: "text-embedding-3-small", Input: []string{"a", "<b>"}, Dimensions: 256},
		{Input: []string{}, Dimensions: 0},
	} {
		checkCallKey(t, r)
	}
}

func FuzzCallKeyEncoding(f *testing.F) {
	f.Add("gpt-4o-mini", "system", "user", "hello <world>", 100, 0.5, true, []byte(`{"type":"object"}`), "", 0)
	f.Add("", "", "", "", 0, 0.0, false, []byte(nil), "input", 3)
	f.Fuzz(func(t *testing.T, model, system, role, content string, maxTokens int, temperature float64, hasTemp bool, schema []byte, input string, dims int) {
		r := copydesk.ModelRequest{Model: model, System: system, MaxTokens: maxTokens, JSONSchema: schema,
			SchemaName: role, Dimensions: dims}
		if role != "" || content != "" {
			r.Messages = []copydesk.Message{{Role: role, Content: content}}
		}
		if hasTemp {
			r.Temperature = &temperature
		}
		if input != "" {
			r.Input = []string{input, content}
		}
		checkCallKey(t, r)
	})
}
