package openai

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// TestBodyAsSDK compares the request body Complete and Stream send with
// what the SDK encodes for the same request's parameters: the same JSON
// value (keys in any order).
func TestBodyAsSDK(t *testing.T) {
	temp, zero := 0.7, 0.0
	schema := json.RawMessage(`{"type": "object", "properties": {"findings": {"type": "array", "description": "<b>a & b</b>"}}}`)
	reqs := []copydesk.ModelRequest{
		{Model: "gpt-4o-mini", Messages: []copydesk.Message{{Role: "user", Content: "Hello"}}},
		{Model: "m", System: "Be <brief> & \"exact\"\n", Messages: []copydesk.Message{{Role: "system", Content: "s"}, {Role: "user", Content: "u \u2028 \xff"}, {Role: "assistant", Content: "a"}},
			MaxTokens: 50, Temperature: &temp},
		{Model: "m", Messages: []copydesk.Message{{Role: "user", Content: ""}}, Temperature: &zero, JSONSchema: schema, SchemaName: "grammar findings/" + strings.Repeat("x", 70)},
		{Model: "m", Messages: []copydesk.Message{{Role: "user", Content: "x"}}, MaxTokens: 1, JSONSchema: schema},
	}
	for _, cfg := range []Config{{MaxTokensParam: MaxTokens}, {MaxTokensParam: MaxCompletionTokens, StrictSchema: true}} {
		c := &Client{cfg: cfg}
		for i, req := range reqs {
			for _, stream := range []bool{false, true} {
				got, err := c.body(req, stream)
				if err != nil {
					t.Fatal(err)
				}
				p, err := c.params(req)
				if err != nil {
					t.Fatal(err)
				}
				if stream {
					p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
				}
				sdk, err := p.MarshalJSON()
				if err != nil {
					t.Fatal(err)
				}
				var g, w map[string]any
				if err := json.Unmarshal(got, &g); err != nil {
					t.Fatalf("request %d: %v in %s", i, err, got)
				}
				if err := json.Unmarshal(sdk, &w); err != nil {
					t.Fatal(err)
				}
				if stream {
					w["stream"] = true // the SDK's NewStreaming sets it in the encoded body
				}
				if !reflect.DeepEqual(g, w) {
					t.Errorf("config %+v, request %d, stream %v:\ngot  %s\nwant %s", cfg, i, stream, got, sdk)
				}
			}
		}
	}
	c := &Client{cfg: Config{MaxTokensParam: MaxTokens}}
	bad := math.NaN()
	if _, err := c.body(copydesk.ModelRequest{Model: "m", Messages: []copydesk.Message{{Role: "user", Content: "x"}}, Temperature: &bad}, false); err == nil {
		t.Error("a NaN temperature gave a body")
	}
}
