package providertest

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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SchemaExample(json.RawMessage(tt.schema)); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}
