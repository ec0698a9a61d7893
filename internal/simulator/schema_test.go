package simulator

import (
	"encoding/json"
	"testing"
)

func TestSchemaExample(t *testing.T) {
	tests := []struct {
		name, schema, want string
	}{
		{"object with enum", `{"type":"object","properties":{"findings":{"type":"array","items":{"type":"object","properties":{"quote":{"type":"string"},"severity":{"type":"string","enum":["warning","problem"]}}}}}}`,
			`{"findings":[{"quote":"[simulated] quote","severity":"warning"}]}`},
		{"scalars", `{"type":"object","properties":{"n":{"type":"integer","minimum":3},"ok":{"type":"boolean"},"t":{"type":["string","null"]}}}`,
			`{"n":3,"ok":false,"t":"[simulated] t"}`},
		{"broken schema", `{"type":`, `{}`},
		{"minItems", `{"type":"object","properties":{"items":{"type":"array","minItems":3,"maxItems":6,"items":{"type":"object","properties":{"title":{"type":"string"}}}}}}`,
			`{"items":[{"title":"[simulated] title"},{"title":"[simulated] title 2"},{"title":"[simulated] title 3"}]}`},
		{"minItems of strings are told apart", `{"type":"array","minItems":2,"uniqueItems":true,"items":{"type":"string"}}`,
			`["[simulated] value","[simulated] value 2"]`},
		{"minItems zero gives one item", `{"type":"array","minItems":0,"items":{"type":"string"}}`,
			`["[simulated] value"]`},
		{"maxItems zero gives none", `{"type":"array","maxItems":0,"items":{"type":"string"}}`,
			`[]`},
		{"minItems above maxItems keeps maxItems", `{"type":"array","minItems":5,"maxItems":2,"items":{"type":"integer"}}`,
			`[0,0]`},
		{"maxLength cuts", `{"type":"object","properties":{"headline":{"type":"string","maxLength":15}}}`,
			`{"headline":"[simulated] hea"}`},
		{"minLength pads", `{"type":"object","properties":{"a":{"type":"string","minLength":16}}}`,
			`{"a":"[simulated] a..."}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SchemaExample(json.RawMessage(tt.schema)); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}
