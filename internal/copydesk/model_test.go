package copydesk

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestAllowsModel(t *testing.T) {
	t.Parallel()
	luna := ModelInfo{ID: "gpt-6-luna", Kind: ModelKindChat, Provider: "openai", Model: "gpt-6-luna"}
	pinned := ModelInfo{ID: "openai/gpt-6-luna", Kind: ModelKindChat, Provider: "openai", Model: "gpt-6-luna"}
	fast := ModelInfo{ID: "fast", Kind: ModelKindClass, Class: "fast", Provider: "openai", Model: "gpt-6.1-terra"}
	alias := ModelInfo{ID: "gpt-4o", Kind: ModelKindClass, Class: "quality", AliasOf: "quality", Provider: "openai", Model: "gpt-6.1-sol"}
	for _, tc := range []struct {
		name    string
		allowed []string
		m       ModelInfo
		want    bool
	}{
		{"no list", nil, luna, true},
		{"by name", []string{"gpt-6-luna"}, luna, true},
		{"by name, asked as provider/model", []string{"gpt-6-luna"}, pinned, true},
		{"by provider/model", []string{"openai/gpt-6-luna"}, luna, true},
		{"other provider's model", []string{"azure/gpt-6-luna"}, luna, false},
		{"class", []string{"fast"}, fast, true},
		{"a class's first model does not allow the class", []string{"gpt-6.1-terra"}, fast, false},
		{"class does not allow its model by name", []string{"fast"}, ModelInfo{ID: "gpt-6.1-terra", Kind: ModelKindChat, Provider: "openai", Model: "gpt-6.1-terra"}, false},
		{"alias by its name", []string{"gpt-4o"}, alias, true},
		{"alias by its target", []string{"quality"}, alias, true},
		{"unrelated", []string{"claude-opus-5-5"}, luna, false},
	} {
		if got := (Principal{Models: tc.allowed}).AllowsModel(tc.m); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestValidateModelList(t *testing.T) {
	t.Parallel()
	long := make([]string, MaxAllowedModels+1)
	for i := range long {
		long[i] = "m" + string(rune('a'+i%26)) + string(rune('a'+i/26))
	}
	for _, tc := range []struct {
		models []string
		ok     bool
	}{
		{nil, true},
		{[]string{"gpt-6-luna", "fast", "anthropic/claude-haiku-5-5"}, true},
		{[]string{""}, false},
		{[]string{"a b"}, false},
		{[]string{"a", "a"}, false},
		{[]string{"a\x7f"}, false},
		{long, false},
	} {
		if err := ValidateModelList(tc.models); (err == nil) != tc.ok || err != nil && ErrorCode(err) != EINVALID {
			t.Errorf("%q: got %v, want ok=%v", tc.models, err, tc.ok)
		}
	}
}

func TestVectorJSON(t *testing.T) {
	t.Parallel()
	v := Vector{1, -2, 0.25, 3.1415927}
	b, err := json.Marshal(v)
	if err != nil || string(b) != `"AACAPwAAAMAAAIA+2w9JQA=="` {
		t.Fatalf("marshal: got %s, %v", b, err)
	}
	var back Vector
	if err := json.Unmarshal(b, &back); err != nil || !slices.Equal(back, v) {
		t.Errorf("round trip: got %v, %v", back, err)
	}
	if err := json.Unmarshal([]byte(`[0.5, 1]`), &back); err != nil || !slices.Equal(back, Vector{0.5, 1}) {
		t.Errorf("numbers: got %v, %v", back, err)
	}
	for _, bad := range []string{`"!!"`, `"AAA="`, `{}`} {
		if err := json.Unmarshal([]byte(bad), &back); err == nil {
			t.Errorf("%s: want an error", bad)
		}
	}
}
